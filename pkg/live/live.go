// Package live reads the objects zonesim models from a running cluster (read-only: discovery and list
// calls) into a model.Loader, so a live cluster is one more input next to files. Which kinds it reads,
// in which version, and which it may do without, come from the loader's kind registry (model.Kinds); this
// package adds only the client.
package live

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Summary says what was read and what was left out, for the user.
type Summary struct {
	// Context is the kubeconfig context read.
	Context string
	// Read counts the objects read, by kind.
	Read map[string]int
	// Notes are what was left out and why (an API not served, not allowed, pods not running).
	Notes []string
}

// String is one line: what was read, by kind.
func (s *Summary) String() string { return model.KindCounts(s.Read) }

// Config loads a kubeconfig as kubectl does: kubeconfig "" is $KUBECONFIG or ~/.kube/config, context ""
// the current one. It returns the client configuration and the name of the context.
func Config(kubeconfig, context string) (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context})
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	name := context
	if name == "" {
		name = raw.CurrentContext
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	return cfg, name, nil
}

// Read reads the cluster of cfg into l; see ReadWith.
func Read(ctx context.Context, l *model.Loader, cfg *rest.Config, name string) (*Summary, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return ReadWith(ctx, l, dc, dyn, name)
}

// ReadWith reads every kind of model.Kinds that a live cluster holds (workloads are not read: their pods
// are, as they run). Each object is added as if from a file named "<name>/<kind>/<namespace>/<object>",
// so problems point at it. Pods that do not run (no IP, or finished) are left out. An optional kind the
// cluster does not serve, or the user may not list, is noted; not being able to read a required kind
// (namespaces, nodes, pods, services, NetworkPolicies) is an error. It stops when ctx is cancelled.
func ReadWith(ctx context.Context, l *model.Loader, dc discovery.DiscoveryInterface, dyn dynamic.Interface, name string) (*Summary, error) {
	if _, err := dc.ServerVersion(); err != nil {
		return nil, fmt.Errorf("cannot reach the API server of %s: %w", name, err)
	}
	sum := &Summary{Context: name, Read: map[string]int{}}
	var errs []string
	skippedPods := 0
	resources := map[schema.GroupVersion]map[string]bool{} // discovery, once per group version
	for _, k := range model.Kinds() {
		if k.Live == model.LiveSkipped {
			continue
		}
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		gv, err := schema.ParseGroupVersion(k.Versions[0])
		if err != nil {
			return nil, err
		}
		gvr := gv.WithResource(k.Resource)
		if _, ok := resources[gv]; !ok {
			resources[gv] = served(dc, gv)
		}
		if !resources[gv][k.Resource] {
			if k.Live == model.LiveRequired {
				errs = append(errs, fmt.Sprintf("the cluster does not serve %s", gvr))
			}
			continue
		}
		items, err := listAll(ctx, dyn.Resource(gvr))
		if err != nil {
			if ctx.Err() != nil {
				return sum, ctx.Err()
			}
			if k.Live == model.LiveOptional && (apierrors.IsForbidden(err) || apierrors.IsNotFound(err)) {
				sum.Notes = append(sum.Notes, fmt.Sprintf("%s not read: %v", k.Kind, err))
				continue
			}
			errs = append(errs, fmt.Sprintf("list %s: %v", k.Resource, err))
			continue
		}
		for _, u := range items {
			if k.Kind == "Pod" && !running(u) {
				skippedPods++
				continue
			}
			obj := u.Object
			unstructured.RemoveNestedField(obj, "metadata", "managedFields")
			if !k.KeepStatus {
				delete(obj, "status")
			}
			obj["apiVersion"], obj["kind"] = k.Versions[0], k.Kind
			data, err := json.Marshal(obj)
			if err != nil {
				return nil, err
			}
			parts := []string{name, k.Kind, u.GetNamespace(), u.GetName()}
			if u.GetNamespace() == "" {
				parts = []string{name, k.Kind, u.GetName()}
			}
			l.AddBytes(strings.Join(parts, "/"), data)
			sum.Read[k.Kind]++
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
