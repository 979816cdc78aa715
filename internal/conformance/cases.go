package conformance

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

func one(mutate func(*World), checks ...Check) []Step {
	return []Step{{Mutate: mutate, Checks: checks}}
}

func defaultDeny(pr corev1.Protocol, port int32) Case {
	return Case{
		Name: "default-deny-ingress " + string(pr), Pods: []string{"x/a", "x/b", "y/a", "y/b"},
		Steps: one(create("x", np("deny-ingress", any_, ingress())), Check{port, pr, func(p []string) *Reach {
			return newReach(p, true).peer(sel{}, sel{ns: "x"}, false)
		}}),
	}
}

func portsCase(pr corev1.Protocol, prp *corev1.Protocol) Case {
	return Case{
		Name: "ports: only y may reach x/a on 81 " + string(pr), Pods: []string{"x/a", "x/b", "y/a", "z/a"},
		Steps: one(create("x", np("allow-81", podA(), ingress(withPorts(from(peer(nil, nsIs("y"))), port(p81, prp))))),
			Check{81, pr, func(p []string) *Reach {
				return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).peer(sel{ns: "z"}, sel{"x", "a"}, false)
			}}),
	}
}

func podAndNSCase(pr corev1.Protocol, pods ...string) Case {
	return Case{
		Name: "only y/a may reach x/a (pod and namespace selector) " + string(pr), Pods: pods,
		Steps: one(create("x", np("allow-y-a", podA(), ingress(from(peer(podIs("a"), nsIs("y")))))),
			Check{80, pr, func(p []string) *Reach { return newReach(p, true).allIngress("x/a", false).pair("y/a", "x/a", true) }}),
	}
}

// Cases returns every ported case.
func Cases() []Case {
	return []Case{
		defaultDeny(corev1.ProtocolTCP, 80),
		{Name: "default-deny-all", Pods: []string{"x/a", "x/b", "y/a"},
			Steps: one(create("x", np("deny-all", any_, ingress(), egress())), tcp(80, func(p []string) *Reach {
				return newReach(p, true).peer(sel{}, sel{ns: "x"}, false).peer(sel{ns: "x"}, sel{}, false)
			}))},
		{Name: "allow from pods within the namespace by podSelector", Pods: []string{"x/a", "x/b", "x/c", "y/a"},
			Steps: one(create("x", np("x-a-allows-x-b", podA(), ingress(from(peer(podIs("b"), nil))))), tcp(80, func(p []string) *Reach {
				return newReach(p, true).allIngress("x/a", false).pair("x/b", "x/a", true)
			}))},
		{Name: "allow ingress for a target over a deny-all", Pods: []string{"x/a", "x/b", "y/a"},
			Steps: one(seq(create("x", np("deny-all", any_, ingress())),
				create("x", np("allow-all-to-a", podA(), ingress(from(peer(&any_, &any_)))))), tcp(80, func(p []string) *Reach {
				return newReach(p, true).allIngress("x/a", true).allIngress("x/b", false)
			}))},
		{Name: "allow ingress from all namespaces", Pods: []string{"x/a", "x/b", "y/a", "z/a"},
			Steps: one(create("x", np("allow-from-another-ns", podA(), ingress(from(peer(nil, ptrSel(labels())))))), tcp(80, allTrue))},
		{Name: "allow only from a different namespace by namespaceSelector", Pods: []string{"x/a", "x/b", "y/a", "z/a"},
			Steps: one(create("x", np("allow-y", podA(), ingress(from(peer(nil, nsIs("y")))))), tcp(80, func(p []string) *Reach {
				return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).peer(sel{ns: "z"}, sel{"x", "a"}, false)
			}))},
		{Name: "podSelector with matchExpressions", Pods: []string{"x/a", "x/b", "y/a"},
			Steps: one(create("x", np("x-a-allows-x-b", podA(), ingress(from(peer(expr("pod", in, "b"), nil))))), tcp(80, func(p []string) *Reach {
				return newReach(p, true).allIngress("x/a", false).pair("x/b", "x/a", true)
			}))},
		{Name: "namespaceSelector with matchExpressions", Pods: []string{"x/a", "x/b", "y/a", "z/a"},
			Steps: one(create("x", np("allow-ns-y", podA(), ingress(from(peer(nil, expr(nsLabel, in, "y")))))), tcp(80, func(p []string) *Reach {
				return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).peer(sel{ns: "z"}, sel{"x", "a"}, false)
			}))},
		{Name: "podSelector or namespaceSelector", Pods: []string{"x/a", "x/b", "x/c", "y/a"},
			Steps: one(create("x", np("allow-ns-not-x-or-pod-b", podA(), ingress(from(peer(nil, expr(nsLabel, notIn, "x")), peer(podIs("b"), nil))))),
				tcp(80, func(p []string) *Reach { return newReach(p, true).pair("x/a", "x/a", false).pair("x/c", "x/a", false) }))},
		{Name: "podSelector and namespaceSelector", Pods: []string{"x/a", "x/b", "y/a", "y/b", "z/b"},
			Steps: one(create("x", np("allow-ns-not-x-and-pod-b", podA(), ingress(from(peer(podIs("b"), expr(nsLabel, notIn, "x")))))),
				tcp(80, func(p []string) *Reach {
					return newReach(p, true).allIngress("x/a", false).pair("y/b", "x/a", true).pair("z/b", "x/a", true)
				}))},
		{Name: "multiple podSelectors and namespaceSelectors", Pods: []string{"x/a", "x/b", "y/a", "y/b", "y/c"},
			Steps: one(create("x", np("allow-ns-y-z-pod-b-c", podA(), ingress(from(peer(expr("pod", in, "b", "c"), expr(nsLabel, notIn, "x")))))),
				tcp(80, func(p []string) *Reach {
					return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).pair("y/a", "x/a", false)
				}))},
		{Name: "any of several podSelectors", Pods: []string{"x/a", "x/b", "x/c"},
			Steps: one(create("x", np("allow-ns-x-pod-b-c", podA(), ingress(from(peer(podIs("b"), nil), peer(podIs("c"), nil))))),
				tcp(80, func(p []string) *Reach {
					return newReach(p, true).allIngress("x/a", false).pair("x/b", "x/a", true).pair("x/c", "x/a", true)
				}))},
		podAndNSCase(corev1.ProtocolTCP, "x/a", "x/b", "y/a", "y/b", "z/a"),
		portsCase(corev1.ProtocolTCP, tcpProto),
		{Name: "stacked policies with overlapping podSelectors", Pods: []string{"x/a", "x/b", "y/a", "y/b", "z/a"},
			Steps: []Step{
				{Mutate: create("x", np("allow-81", podA(), ingress(withPorts(from(peer(nil, nsIs("y"))), port(p81, tcpProto))))),
					Checks: []Check{
						tcp(81, func(p []string) *Reach {
							return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).peer(sel{ns: "z"}, sel{"x", "a"}, false)
						}),
						tcp(80, func(p []string) *Reach { return newReach(p, true).allIngress("x/a", false) }),
					}},
				{Mutate: create("x", np("allow-80", podA(), ingress(withPorts(from(peer(nil, nsIs("y"))), port(p80, tcpProto))))),
					Checks: []Check{tcp(80, func(p []string) *Reach {
						return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).peer(sel{ns: "z"}, sel{"x", "a"}, false)
					})}},
			}},
		{Name: "allow-all policy", Pods: []string{"x/a", "x/b", "y/a"},
			Steps: one(create("x", np("allow-all", labels(), ingress(networkingv1.NetworkPolicyIngressRule{}))), tcp(80, allTrue), tcp(81, allTrue))},
		{Name: "ingress on one named port", Pods: []string{"x/a", "x/b", "y/a"},
			Steps: one(create("x", np("allow-named-81", labels(), ingress(withPorts(networkingv1.NetworkPolicyIngressRule{}, port(intstr.FromString("serve-81-tcp"), nil))))),
				tcp(81, allTrue), tcp(80, func(p []string) *Reach { return newReach(p, true).peer(sel{}, sel{ns: "x"}, false) }))},
		{Name: "ingress from a namespace on one named port", Pods: []string{"x/a", "x/b", "y/a", "z/a"},
			Steps: one(create("x", np("allow-y-named-80", podA(), ingress(withPorts(from(peer(nil, nsIs("y"))), port(intstr.FromString("serve-80-tcp"), tcpProto))))),
				tcp(80, func(p []string) *Reach {
					return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).peer(sel{ns: "z"}, sel{"x", "a"}, false)
				}),
				tcp(81, func(p []string) *Reach { return newReach(p, true).allIngress("x/a", false) }))},
		{Name: "egress on one named port", Pods: []string{"x/a", "y/a"},
			Steps: one(create("x", np("allow-egress-named-80", labels(), egress(networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{port(intstr.FromString("serve-80-tcp"), nil)}}))),
				tcp(80, allTrue), tcp(81, func(p []string) *Reach { return newReach(p, true).peer(sel{ns: "x"}, sel{}, false) }))},
		{Name: "a non-existent named port allows nothing", Pods: []string{"x/a", "y/a"},
			Steps: one(create("x", np("allow-no-such-port", podA(), ingress(withPorts(networkingv1.NetworkPolicyIngressRule{}, port(intstr.FromString("no-such-port"), tcpProto))))),
				tcp(80, func(p []string) *Reach { return newReach(p, true).allIngress("x/a", false) }))},
		{Name: "updated policy: allow-all becomes deny-all", Pods: []string{"x/a", "y/a"},
			Steps: []Step{
				{Mutate: create("x", np("mutate", labels(), ingress(networkingv1.NetworkPolicyIngressRule{}))), Checks: []Check{tcp(81, allTrue)}},
				{Mutate: replace("x", np("mutate", labels(), ingress())), Checks: []Check{tcp(81, func(p []string) *Reach {
					return newReach(p, true).peer(sel{}, sel{ns: "x"}, false)
				})}},
			}},
		{Name: "ingress from an updated namespace", Pods: []string{"x/a", "y/a"},
			Steps: []Step{
				{Mutate: create("x", np("allow-ns2", podA(), ingress(from(peer(nil, ptrSel(labels("ns2", "updated"))))))),
					Checks: []Check{tcp(80, func(p []string) *Reach { return newReach(p, true).allIngress("x/a", false) })}},
				{Mutate: func(f *World) { f.NSLabels["y"] = map[string]string{"ns2": "updated"} },
					Checks: []Check{tcp(80, func(p []string) *Reach {
						return newReach(p, true).allIngress("x/a", false).peer(sel{ns: "y"}, sel{}, true)
					})}},
			}},
		{Name: "ingress from an updated pod", Pods: []string{"x/a", "x/b"},
			Steps: []Step{
				{Mutate: create("x", np("allow-pod2", podA(), ingress(from(peer(ptrSel(labels("pod", "b", "pod2", "updated")), nil))))),
					Checks: []Check{tcp(80, func(p []string) *Reach { return newReach(p, true).allIngress("x/a", false) })}},
				{Mutate: func(f *World) { f.PodLabels["x/b"] = map[string]string{"pod2": "updated"} },
					Checks: []Check{tcp(80, func(p []string) *Reach { return newReach(p, true).allIngress("x/a", false).pair("x/b", "x/a", true) })}},
			}},
		{Name: "deny ingress from other namespaces", Pods: []string{"x/a", "x/b", "y/a", "z/a"},
			Steps: one(create("x", np("deny-other-ns", any_, ingress(from(peer(ptrSel(labels()), nil))))), tcp(80, func(p []string) *Reach {
				return newReach(p, true).peer(sel{ns: "y"}, sel{ns: "x"}, false).peer(sel{ns: "z"}, sel{ns: "x"}, false)
			}))},
		{Name: "deny ingress to an updated pod", Pods: []string{"x/a", "y/a"},
			Steps: []Step{
				{Mutate: create("x", np("deny-isolated", labels("target", "isolated"), ingress())), Checks: []Check{tcp(80, allTrue)}},
				{Mutate: func(f *World) { f.PodLabels["x/a"] = map[string]string{"target": "isolated"} },
					Checks: []Check{tcp(80, func(p []string) *Reach { return newReach(p, true).allIngress("x/a", false) })}},
			}},
		{Name: "deny egress by podSelector", Pods: []string{"x/a", "x/b", "y/a"},
			Steps: one(create("x", np("deny-egress-a", podA(), egress())), tcp(80, func(p []string) *Reach { return newReach(p, true).allEgress("x/a", false) }))},
		{Name: "deny egress from all pods of a namespace", Pods: []string{"x/a", "x/b", "y/a"},
			Steps: one(create("x", np("deny-egress-x", any_, egress())), tcp(80, func(p []string) *Reach { return newReach(p, true).peer(sel{ns: "x"}, sel{}, false) }))},
		{Name: "ingress and egress in one policy", Pods: []string{"x/a", "x/b", "x/c", "y/a"},
			Steps: one(create("x", func() *networkingv1.NetworkPolicy {
				p := np("in-and-out", podA(), ingress(from(peer(podIs("b"), nil))))
				p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{port(p80, nil)}}}
				p.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress, networkingv1.PolicyTypeIngress}
				return p
			}()),
				tcp(80, func(p []string) *Reach { return newReach(p, true).allIngress("x/a", false).pair("x/b", "x/a", true) }),
				tcp(81, func(p []string) *Reach {
					return newReach(p, true).allIngress("x/a", false).allEgress("x/a", false).pair("x/b", "x/a", true)
				}))},
		{Name: "client-side egress deny wins over a server allow", Pods: []string{"x/a", "y/a", "y/b"},
			Steps: one(seq(
				create("x", np("allow-to-y-a", podA(), egress(to(peer(podIs("a"), nsIs("y")))))),
				create("y", np("allow-from-x-a-on-y-a", podA(), ingress(from(peer(podIs("a"), nsIs("x")))))),
				create("y", np("allow-from-x-a-on-y-b", labels("pod", "b"), ingress(from(peer(podIs("a"), nsIs("x"))))))),
				tcp(80, func(p []string) *Reach {
					return newReach(p, true).peer(sel{"x", "a"}, sel{}, false).peer(sel{}, sel{"y", "a"}, false).
						peer(sel{"x", "a"}, sel{"y", "a"}, true).peer(sel{}, sel{"y", "b"}, false)
				}))},
		{Name: "egress to a server in another namespace by pod and namespace selector", Pods: []string{"x/a", "y/a", "y/b"},
			Steps: one(create("x", np("allow-to-y-a", podA(), egress(to(peer(podIs("a"), nsIs("y")))))), tcp(80, func(p []string) *Reach {
				return newReach(p, true).allEgress("x/a", false).pair("x/a", "y/a", true)
			}))},
		{Name: "ingress on any port of one protocol", Pods: []string{"x/a", "y/a"},
			Steps: one(create("x", np("allow-tcp", podA(), ingress(withPorts(networkingv1.NetworkPolicyIngressRule{}, networkingv1.NetworkPolicyPort{Protocol: tcpProto})))),
				tcp(80, allTrue), Check{80, corev1.ProtocolUDP, func(p []string) *Reach { return newReach(p, true).peer(sel{}, sel{"x", "a"}, false) }})},
		{Name: "ingress allow-all takes precedence", Pods: []string{"x/a", "y/a"},
			Steps: []Step{
				{Mutate: create("x", np("allow-80", labels(), ingress(withPorts(networkingv1.NetworkPolicyIngressRule{}, port(p80, nil))))),
					Checks: []Check{tcp(81, func(p []string) *Reach { return newReach(p, true).peer(sel{}, sel{ns: "x"}, false) })}},
				{Mutate: create("x", np("allow-all", labels(), ingress(networkingv1.NetworkPolicyIngressRule{}))), Checks: []Check{tcp(81, allTrue)}},
			}},
		{Name: "egress allow-all takes precedence", Pods: []string{"x/a", "y/a"},
			Steps: []Step{
				{Mutate: create("x", np("allow-80", labels(), egress(networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{port(p80, nil)}}))),
					Checks: []Check{tcp(81, func(p []string) *Reach { return newReach(p, true).peer(sel{ns: "x"}, sel{}, false) })}},
				{Mutate: create("x", np("allow-all", labels(), egress(networkingv1.NetworkPolicyEgressRule{}))), Checks: []Check{tcp(81, allTrue)}},
			}},
		{Name: "policies stop being enforced after deletion", Pods: []string{"x/a", "y/a"},
			Steps: []Step{
				{Mutate: create("x", np("deny-all", any_, ingress(), egress())), Checks: []Check{tcp(80, func(p []string) *Reach {
					return newReach(p, true).peer(sel{ns: "x"}, sel{}, false).peer(sel{}, sel{ns: "x"}, false)
				})}},
				{Mutate: func(f *World) { f.Policies = nil }, Checks: []Check{tcp(80, allTrue)}},
			}},
		{Name: "egress to a server in a CIDR block", Pods: []string{"x/a", "y/a", "y/b"},
			Steps: one(func(f *World) {
				create("x", np("allow-cidr", podA(), egress(to(ipPeer(f.IPs["y/b"].String()+"/32")))))(f)
			}, tcp(80, func(p []string) *Reach { return newReach(p, true).allEgress("x/a", false).pair("x/a", "y/b", true) }))},
		{Name: "except clause in an egress CIDR block", Pods: []string{"x/a", "x/b", "x/c"},
			Steps: one(func(f *World) {
				create("x", np("allow-cidr-except", podA(), egress(to(ipPeer(largeCIDR(f, "x/b"), f.IPs["x/b"].String()+"/32")))))(f)
			}, tcp(80, func(p []string) *Reach { return newReach(p, true).pair("x/a", "x/b", false) }))},
		{Name: "an IP in both a CIDR and an except of another policy is allowed", Pods: []string{"x/a", "x/b", "x/c"},
			Steps: []Step{
				{Mutate: func(f *World) {
					create("x", np("allow-cidr-except", podA(), egress(to(ipPeer(largeCIDR(f, "x/b"), f.IPs["x/b"].String()+"/32")))))(f)
				}, Checks: []Check{tcp(80, func(p []string) *Reach { return newReach(p, true).pair("x/a", "x/b", false) })}},
				{Mutate: func(f *World) {
					replace("x", np("allow-cidr-except", podA(), egress(to(ipPeer(f.IPs["x/b"].String()+"/32")))))(f)
				}, Checks: []Check{tcp(80, func(p []string) *Reach { return newReach(p, true).allEgress("x/a", false).pair("x/a", "x/b", true) })}},
			}},
		{Name: "ingress and egress policies are independent", Pods: []string{"x/a", "x/b", "y/a"},
			Steps: []Step{
				{Mutate: create("x", np("allow-egress-a", podA(), egress(networkingv1.NetworkPolicyEgressRule{}))), Checks: []Check{tcp(80, allTrue)}},
				{Mutate: create("x", np("deny-ingress-a", podA(), ingress())), Checks: []Check{tcp(80, func(p []string) *Reach { return newReach(p, true).allIngress("x/a", false) })}},
			}},
		{Name: "SCTP is not TCP", Pods: []string{"x/a", "y/a"},
			Steps: one(seq(create("x", np("deny-ingress", any_, ingress())),
				create("x", np("allow-sctp-81", podA(), ingress(withPorts(networkingv1.NetworkPolicyIngressRule{}, port(p81, sctp)))))),
				tcp(81, func(p []string) *Reach { return newReach(p, true).peer(sel{}, sel{ns: "x"}, false) }))},
		{Name: "an SCTP-only policy isolates the pod for TCP", Pods: []string{"x/a", "y/a"},
			Steps: one(create("x", np("allow-sctp-80", podA(), ingress(withPorts(networkingv1.NetworkPolicyIngressRule{}, port(p80, sctp))))),
				tcp(81, func(p []string) *Reach { return newReach(p, true).allIngress("x/a", false) }))},
		{Name: "a UDP-only policy does not allow TCP", Pods: []string{"x/a", "y/a"},
			Steps: one(create("x", np("allow-udp-81", podA(), ingress(withPorts(networkingv1.NetworkPolicyIngressRule{}, port(p81, udpProto))))),
				tcp(81, func(p []string) *Reach { return newReach(p, true).allIngress("x/a", false) }))},
		{Name: "namespaceSelector matchLabels on the default namespace label", Pods: []string{"x/a", "x/b", "y/a", "z/a"},
			Steps: one(create("x", np("allow-y-by-name", podA(), ingress(from(peer(nil, nsIs("y")))))), tcp(80, func(p []string) *Reach {
				return newReach(p, true).peer(sel{ns: "x"}, sel{"x", "a"}, false).peer(sel{ns: "z"}, sel{"x", "a"}, false)
			}))},
		{Name: "namespaceSelector matchExpressions on the default namespace label", Pods: []string{"x/a", "x/b", "y/a", "z/a"},
			Steps: one(create("x", np("allow-not-y", podA(), egress(to(peer(nil, expr(nsLabel, notIn, "y")))))), tcp(80, func(p []string) *Reach {
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
func largeCIDR(f *World, pod string) string {
	p, _ := f.IPs[pod].Prefix(4)
	return p.String()
}
