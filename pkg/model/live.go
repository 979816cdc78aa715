package model

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// liveKind is an API resource read from a live cluster, and whether the run can do without it (an API
// the cluster may not serve, or the user may not be allowed to list).
type liveKind struct {
	gvr      schema.GroupVersionResource
	kind     string
	optional bool
	// keepStatus: the status carries what the model needs (pod and node addresses, a service's IP).
	keepStatus bool
}

// liveKinds are the objects zonesim models. Workloads are not read: their pods are, as they run.
var liveKinds = []liveKind{
	{schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "Namespace", false, false},
	{schema.GroupVersionResource{Version: "v1", Resource: "nodes"}, "Node", false, true},
	{schema.GroupVersionResource{Version: "v1", Resource: "pods"}, "Pod", false, true},
	{schema.GroupVersionResource{Version: "v1", Resource: "services"}, "Service", false, true},
	{schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"}, "NetworkPolicy", false, false},
	{schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1alpha1", Resource: "adminnetworkpolicies"}, "AdminNetworkPolicy", true, false},
	{schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1alpha1", Resource: "baselineadminnetworkpolicies"}, "BaselineAdminNetworkPolicy", true, false},
	{schema.GroupVersionResource{Group: "route.openshift.io", Version: "v1", Resource: "routes"}, "Route", true, false},
	{schema.GroupVersionResource{Group: "operator.openshift.io", Version: "v1", Resource: "ingresscontrollers"}, "IngressController", true, false},
	{schema.GroupVersionResource{Group: "k8s.ovn.org", Version: "v1", Resource: "egressfirewalls"}, "EgressFirewall", true, false},
	{schema.GroupVersionResource{Group: "k8s.ovn.org", Version: "v1", Resource: "egressips"}, "EgressIP", true, false},
	{schema.GroupVersionResource{Group: "network.openshift.io", Version: "v1", Resource: "egressnetworkpolicies"}, "EgressNetworkPolicy", true, false},
	{schema.GroupVersionResource{Group: "network.openshift.io", Version: "v1", Resource: "netnamespaces"}, "NetNamespace", true, false},
	{schema.GroupVersionResource{Group: "network.openshift.io", Version: "v1", Resource: "hostsubnets"}, "HostSubnet", true, false},
	{schema.GroupVersionResource{Group: "network.operator.openshift.io", Version: "v1", Resource: "egressrouters"}, "EgressRouter", true, false},
}

// LiveSummary says what AddCluster read and what it left out, for the user.
type LiveSummary struct {
	Read map[string]int
	// Notes are what was left out and why (an API not served, not allowed, pods not running).
	Notes []string
}

// AddCluster reads the objects zonesim models from a live cluster (read-only: list calls). Each object
// is added as if from a file named "<name>/<kind>/<namespace>/<object>", so problems point at it. Pods
// that do not run (no IP, or finished) are left out. An API the cluster does not serve, or an optional
// one the user may not list, is noted; not being able to read namespaces, nodes, pods, services or
// NetworkPolicies is an error.
func (l *Loader) AddCluster(ctx context.Context, cfg *rest.Config, name string) (*LiveSummary, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if _, err := dc.ServerVersion(); err != nil {
		return nil, fmt.Errorf("cannot reach the API server of %s: %w", name, err)
	}
	sum := &LiveSummary{Read: map[string]int{}}
	var errs []string
	skippedPods := 0
	resources := map[schema.GroupVersion]map[string]bool{} // discovery, once per group version
	for _, k := range liveKinds {
		gv := k.gvr.GroupVersion()
		if _, ok := resources[gv]; !ok {
			resources[gv] = served(dc, gv)
		}
		if !resources[gv][k.gvr.Resource] {
			if !k.optional {
				errs = append(errs, fmt.Sprintf("the cluster does not serve %s", k.gvr))
			}
			continue
		}
		items, err := listAll(ctx, dyn.Resource(k.gvr))
		if err != nil {
			if k.optional && (apierrors.IsForbidden(err) || apierrors.IsNotFound(err)) {
				sum.Notes = append(sum.Notes, fmt.Sprintf("%s not read: %v", k.kind, err))
				continue
			}
			errs = append(errs, fmt.Sprintf("list %s: %v", k.gvr.Resource, err))
			continue
		}
		for _, u := range items {
			if k.kind == "Pod" && !running(u) {
				skippedPods++
				continue
			}
			obj := u.Object
			unstructured.RemoveNestedField(obj, "metadata", "managedFields")
			if !k.keepStatus {
				delete(obj, "status")
			}
			obj["apiVersion"], obj["kind"] = k.gvr.GroupVersion().String(), k.kind
			if k.gvr.Group == "" {
				obj["apiVersion"] = k.gvr.Version
			}
			data, err := json.Marshal(obj)
			if err != nil {
				return nil, err
			}
			file := strings.Join([]string{name, k.kind, u.GetNamespace(), u.GetName()}, "/")
			if u.GetNamespace() == "" {
				file = strings.Join([]string{name, k.kind, u.GetName()}, "/")
			}
			l.AddBytes(file, data)
			sum.Read[k.kind]++
		}
	}
	if skippedPods > 0 {
		sum.Notes = append(sum.Notes, fmt.Sprintf("%d pod(s) not running (no IP yet, or finished) were left out", skippedPods))
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return sum, fmt.Errorf("read %s: %s", name, strings.Join(errs, "; "))
	}
	return sum, nil
}

// served lists the resources the cluster serves in a group version (none when it does not serve it).
func served(dc discovery.DiscoveryInterface, gv schema.GroupVersion) map[string]bool {
	out := map[string]bool{}
	if list, err := dc.ServerResourcesForGroupVersion(gv.String()); err == nil {
		for _, r := range list.APIResources {
			out[r.Name] = true
		}
	}
	return out
}

// listAll lists every object of a resource, a page at a time.
func listAll(ctx context.Context, ri dynamic.NamespaceableResourceInterface) ([]unstructured.Unstructured, error) {
	var out []unstructured.Unstructured
	opts := metav1.ListOptions{Limit: 500}
	for {
		list, err := ri.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, list.Items...)
		if list.GetContinue() == "" {
			return out, nil
		}
		opts.Continue = list.GetContinue()
	}
}

// running reports whether a pod is an endpoint: it has an IP and has not finished.
func running(u unstructured.Unstructured) bool {
	phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
	ip, _, _ := unstructured.NestedString(u.Object, "status", "podIP")
	return ip != "" && phase != "Succeeded" && phase != "Failed"
}

// Summary is one line: what was read, by kind.
func (s *LiveSummary) Summary() string {
	kinds := make([]string, 0, len(s.Read))
	for k := range s.Read {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", s.Read[k], k))
	}
	return strings.Join(parts, ", ")
}
