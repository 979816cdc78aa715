// Package apply puts a configuration on a real cluster and checks zonesim's predictions against real
// traffic: it renders probe namespaces (a unique prefix per run), probe pods and the policies, applies
// them, probes every predicted cell with real connections, compares, and always cleans up.
package apply

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ProbeLabel marks everything a run creates; cleanup deletes only what carries the run's value.
const ProbeLabel = "zonesim.dev/run"

// Port is a protocol and port the probes use.
type Port struct {
	Protocol model.Protocol
	Port     int32
}

func (p Port) String() string { return fmt.Sprintf("%s/%d", p.Protocol, p.Port) }

// ProbePod is one pod of the run: a pod of the model, moved to its probe namespace.
type ProbePod struct {
	Namespace, Name string
	// Original is "namespace/name" in the input, for query commands.
	Original string
	Labels   map[string]string
	Ports    []corev1.ContainerPort
	IP       string
}

// Key is "namespace/name" in the cluster.
func (p ProbePod) Key() string { return p.Namespace + "/" + p.Name }

// Plan is what a run creates.
type Plan struct {
	RunID      string
	Namespaces []*corev1.Namespace
	Pods       []*ProbePod
	Policies   []*networkingv1.NetworkPolicy
	// Ports are the ports every probe pod serves and every cell is probed on.
	Ports []Port
	// Skipped lists what the input holds that the plan leaves out, with the reason.
	Skipped []string
	// Externals are the scenario's endpoints outside the cluster, probed where the backend can run them.
	Externals []ProbeExternal
	nsMap     map[string]string
	source    *model.Cluster
}

// NewRunID returns a short random run identifier.
func NewRunID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewPlan moves the cluster's pods and NetworkPolicies to probe namespaces "zs-<run>-<namespace>",
// rewriting namespace-name selectors (kubernetes.io/metadata.name) to follow, so every policy means on
// the cluster what it means in the input.
func NewPlan(c *model.Cluster, runID string) *Plan {
	p := &Plan{RunID: runID, nsMap: map[string]string{}, source: c}
	for _, ns := range c.Namespaces {
		mapped := ProbeNamespace(runID, ns.Name)
		p.nsMap[ns.Name] = mapped
		labels := map[string]string{ProbeLabel: runID}
		for k, v := range ns.Labels {
			// The primary-network label goes with the user-defined networks, which are not applied: without
			// them it would stop the namespace's pods (UDN-2).
			if k != model.NamespaceNameLabel && k != model.PrimaryUDNLabel {
				labels[k] = v
			}
		}
		p.Namespaces = append(p.Namespaces, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: mapped, Labels: labels}})
	}
	taken := map[string]bool{}
	for _, pod := range c.Pods {
		taken[pod.Key()] = true
	}
	for _, pod := range c.Pods {
		if pod.HostNetwork {
			p.Skipped = append(p.Skipped, fmt.Sprintf("pod %s: host-network pods cannot be probe pods", pod.Key()))
			continue
		}
		name := pod.Name
		if pod.Representative { // "[app=api]" is no pod name the API server takes: rep-app-api
			name = representativeName(pod, taken)
		}
		pp := &ProbePod{Namespace: p.nsMap[pod.Namespace], Name: name, Original: pod.Key(), Labels: map[string]string{ProbeLabel: runID}}
		for k, v := range pod.Labels {
			pp.Labels[k] = v
		}
		for _, cp := range pod.Ports {
			pp.Ports = append(pp.Ports, corev1.ContainerPort{Name: cp.Name, ContainerPort: cp.Port, Protocol: cp.Protocol})
		}
		if pod.IP.IsValid() {
			pp.IP = pod.IP.String() // requested; the backend fills in the address the pod really got
		}
		p.Pods = append(p.Pods, pp)
	}
	for _, np := range c.Policies {
		spec := *np.Spec.DeepCopy()
		p.rewrite(&spec)
		p.Policies = append(p.Policies, &networkingv1.NetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Name: np.Name, Namespace: p.nsMap[np.Namespace], Labels: map[string]string{ProbeLabel: runID}},
			Spec:       spec,
		})
	}
	p.Ports = probePorts(c)
	p.Externals = externals(c, p.Ports)
	for kind, objs := range map[string]int{
		"EgressFirewall": len(c.EgressFirewalls), "EgressIP": len(c.EgressIPs), "Route": len(c.Routes),
		"IngressController": len(c.IngressControllers), "EgressRouter": len(c.EgressRouters),
		"EgressService": len(c.EgressServices), "Ingress": len(c.Ingresses),
		"UserDefinedNetwork/ClusterUserDefinedNetwork": len(c.Networks), "ClusterNetworkConnect": len(c.NetworkConnects),
	} {
		if objs > 0 {
			p.Skipped = append(p.Skipped, fmt.Sprintf("%d %s object(s): probes cover pod-to-pod NetworkPolicy only", objs, kind))
		}
	}
	if n := len(c.AdminPolicies) + boolCount(c.Baseline != nil); n > 0 {
		// The prediction is made from what was applied, so it leaves them out too.
		p.Skipped = append(p.Skipped, fmt.Sprintf("%d AdminNetworkPolicy/BaselineAdminNetworkPolicy/ClusterNetworkPolicy object(s): not applied (the lab's kube-router does not implement them; applying them on other backends is not supported yet)", n))
	}
	sort.Strings(p.Skipped)
	return p
}

// Original maps a probe namespace back to the input's.
func (p *Plan) Original(ns string) string {
	for k, v := range p.nsMap {
		if v == ns {
			return k
		}
	}
	return ns
}

func (p *Plan) rewrite(spec *networkingv1.NetworkPolicySpec) {
	fix := func(sel *metav1.LabelSelector) {
		if sel == nil {
			return
		}
		if v, ok := sel.MatchLabels[model.NamespaceNameLabel]; ok {
			sel.MatchLabels[model.NamespaceNameLabel] = p.mapName(v)
		}
		for i, e := range sel.MatchExpressions {
			if e.Key != model.NamespaceNameLabel {
				continue
			}
			for j, v := range e.Values {
				sel.MatchExpressions[i].Values[j] = p.mapName(v)
			}
		}
	}
	for i := range spec.Ingress {
		for j := range spec.Ingress[i].From {
			fix(spec.Ingress[i].From[j].NamespaceSelector)
		}
	}
	for i := range spec.Egress {
		for j := range spec.Egress[i].To {
			fix(spec.Egress[i].To[j].NamespaceSelector)
		}
	}
}

func (p *Plan) mapName(ns string) string {
	if m, ok := p.nsMap[ns]; ok {
		return m
	}
	return "zs-" + p.RunID + "-" + ns // a namespace the input does not have: keep it absent on the cluster too
}

// ProbeNamespace is the namespace a run moves the input's namespace ns to: "zs-<run>-<ns>", cut to the
// 63 characters a namespace name may have.
func ProbeNamespace(runID, ns string) string {
	mapped := "zs-" + runID + "-" + ns
	if len(mapped) > 63 {
		mapped = mapped[:63]
	}
	return mapped
}

// probePorts are the ports the model cares about: every container port and every numeric port of a rule
// (ranges by their two ends). SCTP is listed and skipped where the backend lacks it.
func probePorts(c *model.Cluster) []Port {
	set := map[Port]bool{}
	for _, pod := range c.Pods {
		for _, cp := range pod.Ports {
			set[Port{cp.Protocol, cp.Port}] = true
		}
	}
	add := func(ports []networkingv1.NetworkPolicyPort) {
		for _, pp := range ports {
			proto := model.Protocol("TCP")
			if pp.Protocol != nil {
				proto = *pp.Protocol
			}
			if pp.Port == nil || pp.Port.Type != intstr.Int {
				continue
			}
			set[Port{proto, pp.Port.IntVal}] = true
			if pp.EndPort != nil {
				set[Port{proto, *pp.EndPort}] = true
			}
		}
	}
	for _, np := range c.Policies {
		for _, r := range np.Spec.Ingress {
			add(r.Ports)
		}
		for _, r := range np.Spec.Egress {
			add(r.Ports)
		}
	}
	if len(set) == 0 {
		set[Port{"TCP", 80}] = true
	}
	out := make([]Port, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Protocol != out[j].Protocol {
			return out[i].Protocol < out[j].Protocol
		}
		return out[i].Port < out[j].Port
	})
	return out
}

// Manifests renders what the prediction is computed from: the probe namespaces, the probe pods with their
// cluster IPs, and the policies, as JSON documents the model loader reads.
func (p *Plan) Manifests() ([]byte, error) {
	var docs []string
	add := func(v any) error {
		b, err := json.Marshal(v)
		docs = append(docs, string(b))
		return err
	}
	for _, ns := range p.Namespaces {
		o := ns.DeepCopy()
		o.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}
		if err := add(o); err != nil {
			return nil, err
		}
	}
	for _, pp := range p.Pods {
		pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: pp.Name, Namespace: pp.Namespace, Labels: pp.Labels},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "probe", Image: "probe", Ports: pp.Ports}}},
			Status:     corev1.PodStatus{PodIP: pp.IP}}
		if err := add(pod); err != nil {
			return nil, err
		}
	}
	for _, np := range p.Policies {
		if err := add(np); err != nil {
			return nil, err
		}
	}
	return []byte(strings.Join(docs, "\n---\n")), nil
}

func boolCount(b bool) int {
	if b {
		return 1
	}
	return 0
}

var nonDNS = regexp.MustCompile(`[^a-z0-9]+`)

// representativeName is a valid, unused pod name for a representative pod of policy-only input.
func representativeName(pod *model.Pod, taken map[string]bool) string {
	base := "rep-" + strings.Trim(nonDNS.ReplaceAllString(strings.ToLower(pod.Name), "-"), "-")
	if len(base) > 50 {
		base = strings.TrimRight(base[:50], "-")
	}
	name := base
	for i := 2; taken[pod.Namespace+"/"+name]; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	taken[pod.Namespace+"/"+name] = true
	return name
}
