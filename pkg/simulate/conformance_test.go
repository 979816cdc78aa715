package simulate_test

// The Kubernetes NetworkPolicy e2e cases (k8s.io/kubernetes v1.37.2 test/e2e/network/netpol), ported as
// data: namespaces x, y, z; pods a, b, c labelled pod=<name>; ports 80 and 81 named serve-<port>-<proto>.
// Each case creates policies, then checks the expected truth table on one port and protocol, as the
// upstream ValidateOrFail does. Loopback (a pod to itself) is not checked, as upstream.

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const nsLabel = "kubernetes.io/metadata.name"

// fixture is the e2e world: which pods exist, extra labels, and the policies per namespace.
type fixture struct {
	pods      []string
	nsLabels  map[string]map[string]string
	podLabels map[string]map[string]string
	policies  []nsPolicy
	ips       map[string]netip.Addr
}

type nsPolicy struct {
	ns string
	np *networkingv1.NetworkPolicy
}

type check struct {
	port  int32
	proto corev1.Protocol
	want  func(pods []string) *reach
}

type step struct {
	// mutate changes the world before the checks (policy updates, label changes).
	mutate func(f *fixture)
	checks []check
}

type conformanceCase struct {
	name  string
	pods  []string
	steps []step
}

func tcp(port int32, want func(pods []string) *reach) check {
	return check{port: port, proto: corev1.ProtocolTCP, want: want}
}

func allTrue(pods []string) *reach { return newReach(pods, true) }

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

func create(ns string, p *networkingv1.NetworkPolicy) func(*fixture) {
	return func(f *fixture) { f.policies = append(f.policies, nsPolicy{ns, p}) }
}

// replace updates the policy of the same name, like upstream UpdatePolicy.
func replace(ns string, p *networkingv1.NetworkPolicy) func(*fixture) {
	return func(f *fixture) {
		for i, q := range f.policies {
			if q.ns == ns && q.np.Name == p.Name {
				f.policies[i].np = p
				return
			}
		}
		f.policies = append(f.policies, nsPolicy{ns, p})
	}
}

func seq(fs ...func(*fixture)) func(*fixture) {
	return func(f *fixture) {
		for _, fn := range fs {
			fn(f)
		}
	}
}

// manifests renders the fixture as YAML documents (JSON is YAML), so the loader is exercised too.
func (f *fixture) manifests(t *testing.T) []byte {
	var docs []string
	add := func(v any) {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		docs = append(docs, string(b))
	}
	for _, ns := range []string{"x", "y", "z"} {
		add(&corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: f.nsLabels[ns]}})
	}
	for _, p := range f.pods {
		ns, name, _ := strings.Cut(p, "/")
		lbl := map[string]string{"pod": name}
		for k, v := range f.podLabels[p] {
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
	for _, p := range f.policies {
		cp := p.np.DeepCopy()
		cp.Namespace = p.ns
		add(cp)
	}
	return []byte(strings.Join(docs, "\n---\n"))
}

func (f *fixture) engine(t *testing.T) *simulate.Engine {
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("conformance.yaml", f.manifests(t))
	c, err := l.Cluster()
	require.NoError(t, err)
	f.ips = map[string]netip.Addr{}
	for _, p := range c.Pods {
		f.ips[p.Key()] = p.IP
	}
	return simulate.New(c, mustProfile(t, "generic"), "")
}

func mustProfile(t *testing.T, name string) simulate.Profile {
	p, err := simulate.LookupProfile(name)
	require.NoError(t, err)
	return p
}

// observe computes the engine's truth table for one port and protocol.
func observe(t *testing.T, e *simulate.Engine, pods []string, port int32, pr corev1.Protocol) map[[2]string]bool {
	got := map[[2]string]bool{}
	for _, f := range pods {
		for _, to := range pods {
			if f == to {
				continue
			}
			src, err := e.ResolveEndpoint(f)
			require.NoError(t, err)
			dst, err := e.ResolveEndpoint(to)
			require.NoError(t, err)
			res, err := e.Query(src, dst, &simulate.PortSpec{Protocol: pr, Lo: port, Hi: port}, 0)
			require.NoError(t, err)
			got[[2]string{f, to}] = res.Allowed
		}
	}
	return got
}

func runCase(t *testing.T, c conformanceCase) {
	f := &fixture{pods: c.pods, nsLabels: map[string]map[string]string{}, podLabels: map[string]map[string]string{}}
	for i, s := range c.steps {
		if s.mutate != nil {
			// A step may need pod IPs (ipBlock cases): load once to assign them deterministically.
			f.engine(t)
			s.mutate(f)
		}
		e := f.engine(t)
		for _, ch := range s.checks {
			want := ch.want(c.pods)
			got := observe(t, e, c.pods, ch.port, ch.proto)
			ok := true
			for k, v := range want.want {
				if k[0] != k[1] && got[k] != v {
					ok = false
				}
			}
			if !ok {
				t.Errorf("step %d, %s/%d: engine disagrees with the upstream expectation\nexpected:\n%s\ncomputed:\n%s\ncomparison (. agree, X disagree):\n%s",
					i, ch.proto, ch.port, want.table(want.want, false), want.table(got, false), want.table(got, true))
			}
		}
	}
}

func TestConformanceUpstreamNetpol(t *testing.T) {
	for _, c := range upstreamCases() {
		t.Run(c.name, func(t *testing.T) { runCase(t, c) })
	}
}
