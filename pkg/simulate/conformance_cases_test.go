package simulate_test

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var (
	any_     = metav1.LabelSelector{}
	in       = metav1.LabelSelectorOpIn
	notIn    = metav1.LabelSelectorOpNotIn
	tcpProto = proto(corev1.ProtocolTCP)
	udpProto = proto(corev1.ProtocolUDP)
	sctp     = proto(corev1.ProtocolSCTP)
	p80      = intstr.FromInt32(80)
	p81      = intstr.FromInt32(81)
)

func nsIs(name string) *metav1.LabelSelector  { return ptrSel(labels(nsLabel, name)) }
func podIs(name string) *metav1.LabelSelector { return ptrSel(labels("pod", name)) }

func one(mutate func(*fixture), checks ...check) []step {
	return []step{{mutate: mutate, checks: checks}}
}

func defaultDeny(pr corev1.Protocol, port int32) conformanceCase {
	return conformanceCase{
		name: "default-deny-ingress " + string(pr), pods: []string{"x/a", "x/b", "y/a", "y/b"},
		steps: one(create("x", np("deny-ingress", any_, ingress())), check{port, pr, func(p []string) *reach {
			return newReach(p, true).peer(sel{}, sel{ns: "x"}, false)
		}}),
	}
}

func portsCase(pr corev1.Protocol, prp *corev1.Protocol) conformanceCase {
	return conformanceCase{
		name: "ports: only y may reach x/a on 81 " + string(pr), pods: []string{"x/a", "x/b", "y/a", "z/a"},
		steps: one(create("x", np("allow-81", podA(), ingress(withPorts(from(peer(nil, nsIs("y"))), port(p81, prp))))),
			check{81, pr, func(p []string) *reach {
				return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).peer(sel{ns: "z"}, sel{"x", "a"}, false)
			}}),
	}
}

func podAndNSCase(pr corev1.Protocol, pods ...string) conformanceCase {
	return conformanceCase{
		name: "only y/a may reach x/a (pod and namespace selector) " + string(pr), pods: pods,
		steps: one(create("x", np("allow-y-a", podA(), ingress(from(peer(podIs("a"), nsIs("y")))))),
			check{80, pr, func(p []string) *reach { return newReach(p, true).allIngress("x/a", false).pair("y/a", "x/a", true) }}),
	}
}

func upstreamCases() []conformanceCase {
	return []conformanceCase{
		defaultDeny(corev1.ProtocolTCP, 80),
		{name: "default-deny-all", pods: []string{"x/a", "x/b", "y/a"},
			steps: one(create("x", np("deny-all", any_, ingress(), egress())), tcp(80, func(p []string) *reach {
				return newReach(p, true).peer(sel{}, sel{ns: "x"}, false).peer(sel{ns: "x"}, sel{}, false)
			}))},
		{name: "allow from pods within the namespace by podSelector", pods: []string{"x/a", "x/b", "x/c", "y/a"},
			steps: one(create("x", np("x-a-allows-x-b", podA(), ingress(from(peer(podIs("b"), nil))))), tcp(80, func(p []string) *reach {
				return newReach(p, true).allIngress("x/a", false).pair("x/b", "x/a", true)
			}))},
		{name: "allow ingress for a target over a deny-all", pods: []string{"x/a", "x/b", "y/a"},
			steps: one(seq(create("x", np("deny-all", any_, ingress())),
				create("x", np("allow-all-to-a", podA(), ingress(from(peer(&any_, &any_)))))), tcp(80, func(p []string) *reach {
				return newReach(p, true).allIngress("x/a", true).allIngress("x/b", false)
			}))},
		{name: "allow ingress from all namespaces", pods: []string{"x/a", "x/b", "y/a", "z/a"},
			steps: one(create("x", np("allow-from-another-ns", podA(), ingress(from(peer(nil, ptrSel(labels())))))), tcp(80, allTrue))},
		{name: "allow only from a different namespace by namespaceSelector", pods: []string{"x/a", "x/b", "y/a", "z/a"},
			steps: one(create("x", np("allow-y", podA(), ingress(from(peer(nil, nsIs("y")))))), tcp(80, func(p []string) *reach {
				return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).peer(sel{ns: "z"}, sel{"x", "a"}, false)
			}))},
		{name: "podSelector with matchExpressions", pods: []string{"x/a", "x/b", "y/a"},
			steps: one(create("x", np("x-a-allows-x-b", podA(), ingress(from(peer(expr("pod", in, "b"), nil))))), tcp(80, func(p []string) *reach {
				return newReach(p, true).allIngress("x/a", false).pair("x/b", "x/a", true)
			}))},
		{name: "namespaceSelector with matchExpressions", pods: []string{"x/a", "x/b", "y/a", "z/a"},
			steps: one(create("x", np("allow-ns-y", podA(), ingress(from(peer(nil, expr(nsLabel, in, "y")))))), tcp(80, func(p []string) *reach {
				return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).peer(sel{ns: "z"}, sel{"x", "a"}, false)
			}))},
		{name: "podSelector or namespaceSelector", pods: []string{"x/a", "x/b", "x/c", "y/a"},
			steps: one(create("x", np("allow-ns-not-x-or-pod-b", podA(), ingress(from(peer(nil, expr(nsLabel, notIn, "x")), peer(podIs("b"), nil))))),
				tcp(80, func(p []string) *reach { return newReach(p, true).pair("x/a", "x/a", false).pair("x/c", "x/a", false) }))},
		{name: "podSelector and namespaceSelector", pods: []string{"x/a", "x/b", "y/a", "y/b", "z/b"},
			steps: one(create("x", np("allow-ns-not-x-and-pod-b", podA(), ingress(from(peer(podIs("b"), expr(nsLabel, notIn, "x")))))),
				tcp(80, func(p []string) *reach {
					return newReach(p, true).allIngress("x/a", false).pair("y/b", "x/a", true).pair("z/b", "x/a", true)
				}))},
		{name: "multiple podSelectors and namespaceSelectors", pods: []string{"x/a", "x/b", "y/a", "y/b", "y/c"},
			steps: one(create("x", np("allow-ns-y-z-pod-b-c", podA(), ingress(from(peer(expr("pod", in, "b", "c"), expr(nsLabel, notIn, "x")))))),
				tcp(80, func(p []string) *reach {
					return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).pair("y/a", "x/a", false)
				}))},
		{name: "any of several podSelectors", pods: []string{"x/a", "x/b", "x/c"},
			steps: one(create("x", np("allow-ns-x-pod-b-c", podA(), ingress(from(peer(podIs("b"), nil), peer(podIs("c"), nil))))),
				tcp(80, func(p []string) *reach {
					return newReach(p, true).allIngress("x/a", false).pair("x/b", "x/a", true).pair("x/c", "x/a", true)
				}))},
		podAndNSCase(corev1.ProtocolTCP, "x/a", "x/b", "y/a", "y/b", "z/a"),
		portsCase(corev1.ProtocolTCP, tcpProto),
		{name: "stacked policies with overlapping podSelectors", pods: []string{"x/a", "x/b", "y/a", "y/b", "z/a"},
			steps: []step{
				{mutate: create("x", np("allow-81", podA(), ingress(withPorts(from(peer(nil, nsIs("y"))), port(p81, tcpProto))))),
					checks: []check{
						tcp(81, func(p []string) *reach {
							return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).peer(sel{ns: "z"}, sel{"x", "a"}, false)
						}),
						tcp(80, func(p []string) *reach { return newReach(p, true).allIngress("x/a", false) }),
					}},
				{mutate: create("x", np("allow-80", podA(), ingress(withPorts(from(peer(nil, nsIs("y"))), port(p80, tcpProto))))),
					checks: []check{tcp(80, func(p []string) *reach {
						return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).peer(sel{ns: "z"}, sel{"x", "a"}, false)
					})}},
			}},
		{name: "allow-all policy", pods: []string{"x/a", "x/b", "y/a"},
			steps: one(create("x", np("allow-all", labels(), ingress(networkingv1.NetworkPolicyIngressRule{}))), tcp(80, allTrue), tcp(81, allTrue))},
		{name: "ingress on one named port", pods: []string{"x/a", "x/b", "y/a"},
			steps: one(create("x", np("allow-named-81", labels(), ingress(withPorts(networkingv1.NetworkPolicyIngressRule{}, port(intstr.FromString("serve-81-tcp"), nil))))),
				tcp(81, allTrue), tcp(80, func(p []string) *reach { return newReach(p, true).peer(sel{}, sel{ns: "x"}, false) }))},
		{name: "ingress from a namespace on one named port", pods: []string{"x/a", "x/b", "y/a", "z/a"},
			steps: one(create("x", np("allow-y-named-80", podA(), ingress(withPorts(from(peer(nil, nsIs("y"))), port(intstr.FromString("serve-80-tcp"), tcpProto))))),
				tcp(80, func(p []string) *reach {
					return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).peer(sel{ns: "z"}, sel{"x", "a"}, false)
				}),
				tcp(81, func(p []string) *reach { return newReach(p, true).allIngress("x/a", false) }))},
		{name: "egress on one named port", pods: []string{"x/a", "y/a"},
			steps: one(create("x", np("allow-egress-named-80", labels(), egress(networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{port(intstr.FromString("serve-80-tcp"), nil)}}))),
				tcp(80, allTrue), tcp(81, func(p []string) *reach { return newReach(p, true).peer(sel{ns: "x"}, sel{}, false) }))},
		{name: "a non-existent named port allows nothing", pods: []string{"x/a", "y/a"},
			steps: one(create("x", np("allow-no-such-port", podA(), ingress(withPorts(networkingv1.NetworkPolicyIngressRule{}, port(intstr.FromString("no-such-port"), tcpProto))))),
				tcp(80, func(p []string) *reach { return newReach(p, true).allIngress("x/a", false) }))},
		{name: "updated policy: allow-all becomes deny-all", pods: []string{"x/a", "y/a"},
			steps: []step{
				{mutate: create("x", np("mutate", labels(), ingress(networkingv1.NetworkPolicyIngressRule{}))), checks: []check{tcp(81, allTrue)}},
				{mutate: replace("x", np("mutate", labels(), ingress())), checks: []check{tcp(81, func(p []string) *reach {
					return newReach(p, true).peer(sel{}, sel{ns: "x"}, false)
				})}},
			}},
		{name: "ingress from an updated namespace", pods: []string{"x/a", "y/a"},
			steps: []step{
				{mutate: create("x", np("allow-ns2", podA(), ingress(from(peer(nil, ptrSel(labels("ns2", "updated"))))))),
					checks: []check{tcp(80, func(p []string) *reach { return newReach(p, true).allIngress("x/a", false) })}},
				{mutate: func(f *fixture) { f.nsLabels["y"] = map[string]string{"ns2": "updated"} },
					checks: []check{tcp(80, func(p []string) *reach {
						return newReach(p, true).allIngress("x/a", false).peer(sel{ns: "y"}, sel{}, true)
					})}},
			}},
		{name: "ingress from an updated pod", pods: []string{"x/a", "x/b"},
			steps: []step{
				{mutate: create("x", np("allow-pod2", podA(), ingress(from(peer(ptrSel(labels("pod", "b", "pod2", "updated")), nil))))),
					checks: []check{tcp(80, func(p []string) *reach { return newReach(p, true).allIngress("x/a", false) })}},
				{mutate: func(f *fixture) { f.podLabels["x/b"] = map[string]string{"pod2": "updated"} },
					checks: []check{tcp(80, func(p []string) *reach { return newReach(p, true).allIngress("x/a", false).pair("x/b", "x/a", true) })}},
			}},
		{name: "deny ingress from other namespaces", pods: []string{"x/a", "x/b", "y/a", "z/a"},
			steps: one(create("x", np("deny-other-ns", any_, ingress(from(peer(ptrSel(labels()), nil))))), tcp(80, func(p []string) *reach {
				return newReach(p, true).peer(sel{ns: "y"}, sel{ns: "x"}, false).peer(sel{ns: "z"}, sel{ns: "x"}, false)
			}))},
		{name: "deny ingress to an updated pod", pods: []string{"x/a", "y/a"},
			steps: []step{
				{mutate: create("x", np("deny-isolated", labels("target", "isolated"), ingress())), checks: []check{tcp(80, allTrue)}},
				{mutate: func(f *fixture) { f.podLabels["x/a"] = map[string]string{"target": "isolated"} },
					checks: []check{tcp(80, func(p []string) *reach { return newReach(p, true).allIngress("x/a", false) })}},
			}},
		{name: "deny egress by podSelector", pods: []string{"x/a", "x/b", "y/a"},
			steps: one(create("x", np("deny-egress-a", podA(), egress())), tcp(80, func(p []string) *reach { return newReach(p, true).allEgress("x/a", false) }))},
		{name: "deny egress from all pods of a namespace", pods: []string{"x/a", "x/b", "y/a"},
			steps: one(create("x", np("deny-egress-x", any_, egress())), tcp(80, func(p []string) *reach { return newReach(p, true).peer(sel{ns: "x"}, sel{}, false) }))},
		{name: "ingress and egress in one policy", pods: []string{"x/a", "x/b", "x/c", "y/a"},
			steps: one(create("x", func() *networkingv1.NetworkPolicy {
				p := np("in-and-out", podA(), ingress(from(peer(podIs("b"), nil))))
				p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{port(p80, nil)}}}
				p.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress, networkingv1.PolicyTypeIngress}
				return p
			}()),
				tcp(80, func(p []string) *reach { return newReach(p, true).allIngress("x/a", false).pair("x/b", "x/a", true) }),
				tcp(81, func(p []string) *reach {
					return newReach(p, true).allIngress("x/a", false).allEgress("x/a", false).pair("x/b", "x/a", true)
				}))},
		{name: "client-side egress deny wins over a server allow", pods: []string{"x/a", "y/a", "y/b"},
			steps: one(seq(
				create("x", np("allow-to-y-a", podA(), egress(to(peer(podIs("a"), nsIs("y")))))),
				create("y", np("allow-from-x-a-on-y-a", podA(), ingress(from(peer(podIs("a"), nsIs("x")))))),
				create("y", np("allow-from-x-a-on-y-b", labels("pod", "b"), ingress(from(peer(podIs("a"), nsIs("x"))))))),
				tcp(80, func(p []string) *reach {
					return newReach(p, true).peer(sel{"x", "a"}, sel{}, false).peer(sel{}, sel{"y", "a"}, false).
						peer(sel{"x", "a"}, sel{"y", "a"}, true).peer(sel{}, sel{"y", "b"}, false)
				}))},
		{name: "egress to a server in another namespace by pod and namespace selector", pods: []string{"x/a", "y/a", "y/b"},
			steps: one(create("x", np("allow-to-y-a", podA(), egress(to(peer(podIs("a"), nsIs("y")))))), tcp(80, func(p []string) *reach {
				return newReach(p, true).allEgress("x/a", false).pair("x/a", "y/a", true)
			}))},
		{name: "ingress on any port of one protocol", pods: []string{"x/a", "y/a"},
			steps: one(create("x", np("allow-tcp", podA(), ingress(withPorts(networkingv1.NetworkPolicyIngressRule{}, networkingv1.NetworkPolicyPort{Protocol: tcpProto})))),
				tcp(80, allTrue), check{80, corev1.ProtocolUDP, func(p []string) *reach { return newReach(p, true).peer(sel{}, sel{"x", "a"}, false) }})},
		{name: "ingress allow-all takes precedence", pods: []string{"x/a", "y/a"},
			steps: []step{
				{mutate: create("x", np("allow-80", labels(), ingress(withPorts(networkingv1.NetworkPolicyIngressRule{}, port(p80, nil))))),
					checks: []check{tcp(81, func(p []string) *reach { return newReach(p, true).peer(sel{}, sel{ns: "x"}, false) })}},
				{mutate: create("x", np("allow-all", labels(), ingress(networkingv1.NetworkPolicyIngressRule{}))), checks: []check{tcp(81, allTrue)}},
			}},
		{name: "egress allow-all takes precedence", pods: []string{"x/a", "y/a"},
			steps: []step{
				{mutate: create("x", np("allow-80", labels(), egress(networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{port(p80, nil)}}))),
					checks: []check{tcp(81, func(p []string) *reach { return newReach(p, true).peer(sel{ns: "x"}, sel{}, false) })}},
				{mutate: create("x", np("allow-all", labels(), egress(networkingv1.NetworkPolicyEgressRule{}))), checks: []check{tcp(81, allTrue)}},
			}},
		{name: "policies stop being enforced after deletion", pods: []string{"x/a", "y/a"},
			steps: []step{
				{mutate: create("x", np("deny-all", any_, ingress(), egress())), checks: []check{tcp(80, func(p []string) *reach {
					return newReach(p, true).peer(sel{ns: "x"}, sel{}, false).peer(sel{}, sel{ns: "x"}, false)
				})}},
				{mutate: func(f *fixture) { f.policies = nil }, checks: []check{tcp(80, allTrue)}},
			}},
		{name: "egress to a server in a CIDR block", pods: []string{"x/a", "y/a", "y/b"},
			steps: one(func(f *fixture) {
				create("x", np("allow-cidr", podA(), egress(to(ipPeer(f.ips["y/b"].String()+"/32")))))(f)
			}, tcp(80, func(p []string) *reach { return newReach(p, true).allEgress("x/a", false).pair("x/a", "y/b", true) }))},
		{name: "except clause in an egress CIDR block", pods: []string{"x/a", "x/b", "x/c"},
			steps: one(func(f *fixture) {
				create("x", np("allow-cidr-except", podA(), egress(to(ipPeer(largeCIDR(f, "x/b"), f.ips["x/b"].String()+"/32")))))(f)
			}, tcp(80, func(p []string) *reach { return newReach(p, true).pair("x/a", "x/b", false) }))},
		{name: "an IP in both a CIDR and an except of another policy is allowed", pods: []string{"x/a", "x/b", "x/c"},
			steps: []step{
				{mutate: func(f *fixture) {
					create("x", np("allow-cidr-except", podA(), egress(to(ipPeer(largeCIDR(f, "x/b"), f.ips["x/b"].String()+"/32")))))(f)
				}, checks: []check{tcp(80, func(p []string) *reach { return newReach(p, true).pair("x/a", "x/b", false) })}},
				{mutate: func(f *fixture) {
					replace("x", np("allow-cidr-except", podA(), egress(to(ipPeer(f.ips["x/b"].String()+"/32")))))(f)
				}, checks: []check{tcp(80, func(p []string) *reach { return newReach(p, true).allEgress("x/a", false).pair("x/a", "x/b", true) })}},
			}},
		{name: "ingress and egress policies are independent", pods: []string{"x/a", "x/b", "y/a"},
			steps: []step{
				{mutate: create("x", np("allow-egress-a", podA(), egress(networkingv1.NetworkPolicyEgressRule{}))), checks: []check{tcp(80, allTrue)}},
				{mutate: create("x", np("deny-ingress-a", podA(), ingress())), checks: []check{tcp(80, func(p []string) *reach { return newReach(p, true).allIngress("x/a", false) })}},
			}},
		{name: "SCTP is not TCP", pods: []string{"x/a", "y/a"},
			steps: one(seq(create("x", np("deny-ingress", any_, ingress())),
				create("x", np("allow-sctp-81", podA(), ingress(withPorts(networkingv1.NetworkPolicyIngressRule{}, port(p81, sctp)))))),
				tcp(81, func(p []string) *reach { return newReach(p, true).peer(sel{}, sel{ns: "x"}, false) }))},
		{name: "an SCTP-only policy isolates the pod for TCP", pods: []string{"x/a", "y/a"},
			steps: one(create("x", np("allow-sctp-80", podA(), ingress(withPorts(networkingv1.NetworkPolicyIngressRule{}, port(p80, sctp))))),
				tcp(81, func(p []string) *reach { return newReach(p, true).allIngress("x/a", false) }))},
		{name: "a UDP-only policy does not allow TCP", pods: []string{"x/a", "y/a"},
			steps: one(create("x", np("allow-udp-81", podA(), ingress(withPorts(networkingv1.NetworkPolicyIngressRule{}, port(p81, udpProto))))),
				tcp(81, func(p []string) *reach { return newReach(p, true).allIngress("x/a", false) }))},
		{name: "namespaceSelector matchLabels on the default namespace label", pods: []string{"x/a", "x/b", "y/a", "z/a"},
			steps: one(create("x", np("allow-y-by-name", podA(), ingress(from(peer(nil, nsIs("y")))))), tcp(80, func(p []string) *reach {
				return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).peer(sel{ns: "z"}, sel{"x", "a"}, false)
			}))},
		{name: "namespaceSelector matchExpressions on the default namespace label", pods: []string{"x/a", "x/b", "y/a", "z/a"},
			steps: one(create("x", np("allow-not-y", podA(), egress(to(peer(nil, expr(nsLabel, notIn, "y")))))), tcp(80, func(p []string) *reach {
				return newReach(p, true).peer(sel{"x", "a"}, sel{ns: "y"}, false)
			}))},
		defaultDeny(corev1.ProtocolUDP, 80),
		portsCase(corev1.ProtocolUDP, udpProto),
		podAndNSCase(corev1.ProtocolUDP, "x/a", "x/b", "y/a"),
		defaultDeny(corev1.ProtocolSCTP, 80),
		portsCase(corev1.ProtocolSCTP, sctp),
		podAndNSCase(corev1.ProtocolSCTP, "x/a", "x/b", "y/a"),
	}
}

// largeCIDR is the /4 around a pod's IP, as upstream makeLargeCIDRForIP.
func largeCIDR(f *fixture, pod string) string {
	p, _ := f.ips[pod].Prefix(4)
	return p.String()
}
