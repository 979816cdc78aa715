package conformance

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// nsLabel is the label the API server sets on every namespace.
const nsLabel = "kubernetes.io/metadata.name"

// World is the e2e world of one case: which pods exist, extra labels, and the policies per namespace.
type World struct {
	Pods      []string
	NSLabels  map[string]map[string]string
	PodLabels map[string]map[string]string
	Policies  []NSPolicy
	// IPs are the pods' addresses, known once the world was loaded (ipBlock cases build on them).
	IPs map[string]netip.Addr
}

// NSPolicy is a policy in a namespace of the world.
type NSPolicy struct {
	NS string
	NP *networkingv1.NetworkPolicy
}

// Check is one expectation: the truth table on one port and protocol.
type Check struct {
	Port     int32
	Protocol corev1.Protocol
	Want     func(pods []string) *Reach
}

// Step changes the world (policies, labels), then checks it.
type Step struct {
	Mutate func(f *World)
	Checks []Check
}

// Case is one upstream test: its pods and its steps.
type Case struct {
	Name  string
	Pods  []string
	Steps []Step
}

func tcp(port int32, want func(pods []string) *Reach) Check {
	return Check{Port: port, Protocol: corev1.ProtocolTCP, Want: want}
}

func allTrue(pods []string) *Reach { return newReach(pods, true) }

func np(name string, podSel metav1.LabelSelector, opts ...func(*networkingv1.NetworkPolicy)) *networkingv1.NetworkPolicy {
	p := &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: podSel},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func podA() metav1.LabelSelector { return labels("pod", "a") }

func labels(kv ...string) metav1.LabelSelector {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return metav1.LabelSelector{MatchLabels: m}
}

func ptrSel(s metav1.LabelSelector) *metav1.LabelSelector { return &s }

func expr(key string, op metav1.LabelSelectorOperator, values ...string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: key, Operator: op, Values: values}}}
}

// ingress adds ingress rules and the Ingress type, like upstream SetSpecIngressRules (no rule = deny all).
func ingress(rules ...networkingv1.NetworkPolicyIngressRule) func(*networkingv1.NetworkPolicy) {
	return func(p *networkingv1.NetworkPolicy) {
		if p.Spec.Ingress == nil {
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{}
			p.Spec.PolicyTypes = append(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		}
		p.Spec.Ingress = append(p.Spec.Ingress, rules...)
	}
}

func egress(rules ...networkingv1.NetworkPolicyEgressRule) func(*networkingv1.NetworkPolicy) {
	return func(p *networkingv1.NetworkPolicy) {
		if p.Spec.Egress == nil {
			p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{}
			p.Spec.PolicyTypes = append(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
		p.Spec.Egress = append(p.Spec.Egress, rules...)
	}
}

func from(peers ...networkingv1.NetworkPolicyPeer) networkingv1.NetworkPolicyIngressRule {
	return networkingv1.NetworkPolicyIngressRule{From: peers}
}

func to(peers ...networkingv1.NetworkPolicyPeer) networkingv1.NetworkPolicyEgressRule {
	return networkingv1.NetworkPolicyEgressRule{To: peers}
}

func peer(pod, ns *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{PodSelector: pod, NamespaceSelector: ns}
}

func ipPeer(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}
}

func port(p intstr.IntOrString, proto *corev1.Protocol) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Port: &p, Protocol: proto}
}

func proto(p corev1.Protocol) *corev1.Protocol { return &p }

func withPorts(r networkingv1.NetworkPolicyIngressRule, ports ...networkingv1.NetworkPolicyPort) networkingv1.NetworkPolicyIngressRule {
	r.Ports = ports
	return r
}

func create(ns string, p *networkingv1.NetworkPolicy) func(*World) {
	return func(f *World) { f.Policies = append(f.Policies, NSPolicy{NS: ns, NP: p}) }
}

// replace updates the policy of the same name, like upstream UpdatePolicy.
func replace(ns string, p *networkingv1.NetworkPolicy) func(*World) {
	return func(f *World) {
		for i, q := range f.Policies {
			if q.NS == ns && q.NP.Name == p.Name {
				f.Policies[i].NP = p
				return
			}
		}
		f.Policies = append(f.Policies, NSPolicy{NS: ns, NP: p})
	}
}

func seq(fs ...func(*World)) func(*World) {
	return func(f *World) {
		for _, fn := range fs {
			fn(f)
		}
	}
}

// Manifests renders the world as JSON documents (JSON is YAML), for the loader or a cluster.
func (f *World) Manifests() []byte {
	var docs []string
	add := func(v any) {
		b, err := json.Marshal(v)
		if err != nil {
			panic(fmt.Sprintf("conformance: marshal %T: %v", v, err)) // our own API types always marshal
		}
		docs = append(docs, string(b))
	}
	for _, ns := range []string{"x", "y", "z"} {
		add(&corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: f.NSLabels[ns]}})
	}
	for _, p := range f.Pods {
		ns, name, _ := strings.Cut(p, "/")
		lbl := map[string]string{"pod": name}
		for k, v := range f.PodLabels[p] {
			lbl[k] = v
		}
		var ports []corev1.ContainerPort
		for _, pr := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP} {
			for _, n := range []int32{80, 81} {
				ports = append(ports, corev1.ContainerPort{Name: fmt.Sprintf("serve-%d-%s", n, strings.ToLower(string(pr))), ContainerPort: n, Protocol: pr})
			}
		}
		add(&corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: lbl},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "agnhost", Image: "agnhost", Ports: ports}}}})
	}
	for _, p := range f.Policies {
		cp := p.NP.DeepCopy()
		cp.Namespace = p.NS
		add(cp)
	}
	return []byte(strings.Join(docs, "\n---\n"))
}

// Walk replays the case: it loads the world before each step (resolve returns the pods' IPs, which ipBlock
// steps build on), applies the step's mutation, and calls visit with the resulting manifests and checks.
func (c Case) Walk(resolve func(manifests []byte) (map[string]netip.Addr, error), visit func(step int, manifests []byte, checks []Check) error) error {
	f := &World{Pods: c.Pods, NSLabels: map[string]map[string]string{}, PodLabels: map[string]map[string]string{}}
	for i, s := range c.Steps {
		if s.Mutate != nil {
			ips, err := resolve(f.Manifests())
			if err != nil {
				return err
			}
			f.IPs = ips
			s.Mutate(f)
		}
		if err := visit(i, f.Manifests(), s.Checks); err != nil {
			return err
		}
	}
	return nil
}
