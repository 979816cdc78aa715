package conformance

import (
	"fmt"

	"github.com/zonesim/zonesim/pkg/model"
)

// The network-policy-api v0.3.0 conformance suite for ClusterNetworkPolicy, in zonesim's form: the tests
// of the Admin tier and their Baseline tier counterparts. Most are v0.1.7's tests on the new API and share
// their descriptions with AdminCases (admin.go); the pod selector, port range and same priority tests are
// new in v0.3.0. Admin tier policies are written at v1beta1, Baseline tier ones at v1alpha2.

// CNPWorld is the world the ClusterNetworkPolicy cases run in: AdminWorld with the label each pod's
// StatefulSet gives it (statefulset.kubernetes.io/pod-name), which the pod selector tests select by.
func CNPWorld() string { return houseWorld(true) }

// CNPCases are the ported ClusterNetworkPolicy conformance tests, in upstream's order.
func CNPCases() []AdminCase {
	var cases []AdminCase
	for _, baseline := range []bool{false, true} {
		a := cnpAPI(baseline)
		cases = append(cases,
			ingressTCP.build(a), ingressUDP.build(a), ingressSCTP.build(a),
			egressTCP.build(a), egressUDP.build(a), egressSCTP.build(a),
			gressCase(a), podSelectorCase(a), portRangeCase(a))
		if !baseline {
			cases = append(cases, priorityCase())
		}
		named := [2]protoTest{ingressUDP, egressTCP} // the Admin tier's
		if baseline {
			named = [2]protoTest{ingressTCP, egressUDP}
		}
		cases = append(cases, samePriorityCase(a), inlineCIDRCase(a), nodePeersCase(a),
			namedPortCase(a, named[0]), namedPortCase(a, named[1]))
		if !baseline {
			cases = append(cases, integrationCase(a))
		}
	}
	return cases
}

// priorityCase is the priority test (AdminNetworkPolicyPriorityField in v1alpha1): a deny at priority 50
// wins over a pass at 60, until the pass moves to 40 and hands gryffindor's traffic with slytherin to the
// Baseline tier, which accepts it.
func priorityCase() AdminCase {
	admin, baseline := cnpAPI(false), cnpAPI(true)
	rulePair := func(a adminAPI, action, what string) (string, string) {
		return a.rules(false, adminRule{name: action + "-all-ingress-from-slytherin", action: what, peers: []string{podsOf("slytherin")}}),
			a.rules(true, adminRule{name: action + "-all-egress-to-slytherin", action: what, peers: []string{podsOf("slytherin")}})
	}
	denyIn, denyOut := rulePair(admin, "deny", "Deny")
	passIn, passOut := rulePair(admin, "pass", "Pass")
	allowIn, allowOut := rulePair(baseline, "allow", "Allow")
	return AdminCase{Name: admin.caseName("PriorityField"),
		Policies: admin.policy("priority-50-example", 50, podsOf("gryffindor"), denyIn, denyOut) + "---\n" +
			admin.policy("old-priority-60-new-priority-40-example", 60, podsOf("gryffindor"), passIn, passOut) + "---\n" +
			baseline.policy("default", 10, podsOf("gryffindor"), allowIn, allowOut),
		Steps: []AdminStep{
			{Name: "the deny at priority 50 wins over the pass at 60: slytherin to gryffindor", Pokes: []Poke{
				poke("slytherin", 0, "gryffindor", 0, "TCP", 80, false), poke("slytherin", 1, "gryffindor", 0, "TCP", 8080, false)}},
			{Name: "and gryffindor to slytherin", Pokes: []Poke{
				poke("gryffindor", 0, "slytherin", 0, "TCP", 80, false), poke("gryffindor", 1, "slytherin", 0, "TCP", 8080, false)}},
			{Name: "the pass moved to priority 40 hands both directions to the Baseline tier, which accepts",
				Mutate: setPriority(admin.kind(), "old-priority-60-new-priority-40-example", 40), Pokes: []Poke{
					poke("slytherin", 0, "gryffindor", 0, "TCP", 80, true), poke("slytherin", 1, "gryffindor", 0, "TCP", 8080, true),
					poke("gryffindor", 0, "slytherin", 0, "TCP", 80, true), poke("gryffindor", 1, "slytherin", 0, "TCP", 8080, true)}},
		}}
}

// podSelectorCase is the pod selector test: pods subjects and peers by pod label alone (no
// namespaceSelector: every namespace) and together with a namespace selector, selecting single pods by
// their StatefulSet pod-name label, and following pod labels the test sets and removes
// (conformance-role). A subtest that sets labels and checks after each change is one step per change here;
// the labels a subtest clears when it ends are cleared by the next step.
func podSelectorCase(a adminAPI) AdminCase {
	priority, restrictedPriority := int32(20), int32(21)
	if a.baseline {
		priority, restrictedPriority = 10, 10
	}
	podNamed := func(house string, i int) string {
		return fmt.Sprintf("{pods: {namespaceSelector: {matchLabels: {conformance-house: %s}}, podSelector: {matchLabels: {statefulset.kubernetes.io/pod-name: %s-%d}}}}", house, Houses[house], i)
	}
	// anyNamespace selects a house's pods by label alone: a pods selector without namespaceSelector
	// selects in every namespace.
	anyNamespace := func(house string) string {
		return "{pods: {podSelector: {matchLabels: {conformance-house: " + house + "}}}}"
	}
	rules := a.policy("pod-selector-rules", priority, anyNamespace("gryffindor"),
		a.rules(false,
			adminRule{name: "allow-from-draco-malfoy-0", action: "Allow", peers: []string{podNamed("slytherin", 0)}},
			adminRule{name: "deny-from-slytherin-pods", action: "Deny", peers: []string{anyNamespace("slytherin")}},
			adminRule{name: "deny-from-blocked-hufflepuff-pods", action: "Deny",
				peers: []string{"{pods: {namespaceSelector: {matchLabels: {conformance-house: hufflepuff}}, podSelector: {matchLabels: {conformance-role: blocked}}}}"}}),
		a.rules(true,
			adminRule{name: "allow-to-luna-lovegood-0-tcp-80", action: "Allow", peers: []string{podNamed("ravenclaw", 0)}, ports: onPort("TCP", 80)},
			adminRule{name: "deny-to-ravenclaw-pods", action: "Deny", peers: []string{anyNamespace("ravenclaw")}}))
	restricted := a.policy("label-selected-subject-rules", restrictedPriority,
		"{pods: {namespaceSelector: {matchLabels: {conformance-house: ravenclaw}}, podSelector: {matchLabels: {conformance-role: restricted}}}}", "",
		a.rules(true, adminRule{name: "deny-to-slytherin", action: "Deny", peers: []string{namespaceOf("slytherin")}}))
	role := func(house string, i int, value string) func(c *model.Cluster) error {
		return setPodLabel(pod(house, i), "conformance-role", value)
	}
	return AdminCase{Name: a.caseName("PodSelector"), Policies: rules + "---\n" + restricted, Steps: []AdminStep{
		{Name: "egress peers: luna-lovegood-0 by pod name on TCP 80 only; the other ravenclaw pods by label, in any namespace, denied", Pokes: []Poke{
			poke("gryffindor", 0, "ravenclaw", 0, "TCP", 8080, false), poke("gryffindor", 0, "ravenclaw", 0, "TCP", 80, true),
			poke("gryffindor", 1, "ravenclaw", 1, "TCP", 80, false)}},
		{Name: "ingress peers: slytherin pods by label denied, draco-malfoy-0 by pod name before them accepted", Pokes: []Poke{
			poke("slytherin", 1, "gryffindor", 1, "TCP", 80, false), poke("slytherin", 0, "gryffindor", 0, "TCP", 80, true)}},
		{Name: "ingress peers: cedric-diggory-0 labelled blocked is denied, its unlabelled neighbour is not",
			Mutate: role("hufflepuff", 0, "blocked"), Pokes: []Poke{
				poke("hufflepuff", 0, "gryffindor", 0, "TCP", 80, false), poke("hufflepuff", 1, "gryffindor", 0, "TCP", 80, true)}},
		{Name: "ingress peers: its label removed, allowed again",
			Mutate: role("hufflepuff", 0, ""), Pokes: []Poke{poke("hufflepuff", 0, "gryffindor", 0, "TCP", 80, true)}},
		{Name: "ingress peers: cedric-diggory-1 labelled blocked instead is denied",
			Mutate: role("hufflepuff", 1, "blocked"), Pokes: []Poke{poke("hufflepuff", 1, "gryffindor", 0, "TCP", 80, false)}},
		{Name: "subject: a pods subject without namespaceSelector selects by its podSelector, not every pod",
			Mutate: mutations(role("hufflepuff", 0, ""), role("hufflepuff", 1, "")), // the ingress subtest's cleanup
			Pokes:  []Poke{poke("slytherin", 0, "ravenclaw", 1, "TCP", 80, true)}},
		{Name: "subject: luna-lovegood-0 labelled restricted becomes a subject and is denied to slytherin; its neighbour is not",
			Mutate: role("ravenclaw", 0, "restricted"), Pokes: []Poke{
				poke("ravenclaw", 0, "slytherin", 0, "TCP", 80, false), poke("ravenclaw", 1, "slytherin", 0, "TCP", 80, true)}},
		{Name: "subject: its label removed, allowed again",
			Mutate: role("ravenclaw", 0, ""), Pokes: []Poke{poke("ravenclaw", 0, "slytherin", 0, "TCP", 80, true)}},
		{Name: "subject: luna-lovegood-1 labelled restricted instead is denied",
			Mutate: role("ravenclaw", 1, "restricted"), Pokes: []Poke{poke("ravenclaw", 1, "slytherin", 0, "TCP", 80, false)}},
	}}
}

// portRangeCase is the port range test: gryffindor accepts, both ways, a TCP range with ravenclaw, a UDP
// range with hufflepuff and an SCTP range with slytherin (ends included), then denies every house.
func portRangeCase(a adminAPI) AdminCase {
	priority := int32(9)
	if a.baseline {
		priority = 10
	}
	houses := []string{"ravenclaw", "hufflepuff", "slytherin"}
	ranges := []adminPort{onRange("TCP", 80, 8080), onRange("UDP", 53, 5353), onRange("SCTP", 9003, 9005)}
	protocol := []string{"tcp", "udp", "sctp"}
	everyHouse := []string{"{namespaces: {matchExpressions: [{key: conformance-house, operator: Exists}]}}"}
	var in, out []adminRule
	for i, house := range houses {
		out = append(out, adminRule{name: "allow-to-" + house + "-" + protocol[i] + "-port-range", action: "Allow", peers: []string{namespaceOf(house)}, ports: []adminPort{ranges[i]}})
		in = append(in, adminRule{name: "allow-from-" + house + "-" + protocol[i] + "-port-range", action: "Allow", peers: []string{namespaceOf(house)}, ports: []adminPort{ranges[i]}})
	}
	out = append(out, adminRule{name: "deny-all-egress", action: "Deny", peers: everyHouse})
	in = append(in, adminRule{name: "deny-all-ingress", action: "Deny", peers: everyHouse})
	// Per house: both ends of its range from (or to) pod 0 accepted, TCP 80 (or UDP 53 for ravenclaw, whose
	// range is TCP) from pod 1 denied.
	var egress, ingress []Poke
	for i, house := range houses {
		r, other, otherPort := ranges[i], model.Protocol("TCP"), int32(80)
		if r.proto == "TCP" {
			other, otherPort = "UDP", 53
		}
		egress = append(egress, poke("gryffindor", 0, house, 0, r.proto, r.port, true), poke("gryffindor", 0, house, 0, r.proto, r.end, true),
			poke("gryffindor", 1, house, 0, other, otherPort, false))
		ingress = append(ingress, poke(house, 0, "gryffindor", 0, r.proto, r.port, true), poke(house, 0, "gryffindor", 0, r.proto, r.end, true),
			poke(house, 1, "gryffindor", 0, other, otherPort, false))
	}
	return AdminCase{Name: a.caseName("PortRange"),
		Policies: a.policy("port-range-rules", priority, namespaceOf("gryffindor"), a.rules(false, in...), a.rules(true, out...)),
		Steps: []AdminStep{
			{Name: "egress port ranges of every protocol, ends included; other protocols denied", Pokes: egress},
			{Name: "ingress port ranges of every protocol, ends included; other protocols denied", Pokes: ingress},
		}}
}

// samePriorityCase is the same priority test: three policies of one tier and priority, each denying one
// house both ways on one port: gryffindor-slytherin and gryffindor-hufflepuff on TCP 80 share a subject,
// hufflepuff-slytherin on TCP 8080 shares a peer with the first. All apply, and none applies its rules to
// another's subject. The Admin tier's servers are the pods 0, the Baseline tier's the pods 1.
func samePriorityCase(a adminAPI) AdminCase {
	prefix, priority, s := "same-priority-", int32(15), 0
	if a.baseline {
		prefix, priority, s = "baseline-same-priority-", 10, 1
	}
	deny := func(subject, peer string, port int32) string {
		return a.policy(prefix+subject+"-"+peer, priority, namespaceOf(subject),
			a.rules(false, adminRule{name: fmt.Sprintf("deny-from-%s-at-port-%d", peer, port), action: "Deny", peers: []string{namespaceOf(peer)}, ports: onPort("TCP", port)}),
			a.rules(true, adminRule{name: fmt.Sprintf("deny-to-%s-at-port-%d", peer, port), action: "Deny", peers: []string{namespaceOf(peer)}, ports: onPort("TCP", port)}))
	}
	return AdminCase{Name: a.caseName("SamePriority"),
		Policies: deny("gryffindor", "slytherin", 80) + "---\n" + deny("gryffindor", "hufflepuff", 80) + "---\n" + deny("hufflepuff", "slytherin", 8080),
		Steps: []AdminStep{
			{Name: "every policy denies, both ways", Pokes: []Poke{
				poke("slytherin", 0, "gryffindor", s, "TCP", 80, false), poke("gryffindor", 0, "slytherin", s, "TCP", 80, false),
				poke("hufflepuff", 0, "gryffindor", s, "TCP", 80, false), poke("gryffindor", 1, "hufflepuff", s, "TCP", 80, false),
				poke("slytherin", 1, "hufflepuff", s, "TCP", 8080, false), poke("hufflepuff", 1, "slytherin", s, "TCP", 8080, false)}},
			{Name: "no policy's rules apply to another's subject", Pokes: []Poke{
				poke("slytherin", 0, "gryffindor", s, "TCP", 8080, true), poke("gryffindor", 0, "slytherin", s, "TCP", 8080, true),
				poke("slytherin", 1, "hufflepuff", s, "TCP", 80, true), poke("hufflepuff", 0, "slytherin", s, "TCP", 80, true)}},
			{Name: "traffic no policy names is allowed", Pokes: []Poke{
				poke("ravenclaw", 0, "gryffindor", s, "TCP", 80, true), poke("gryffindor", 1-s, "ravenclaw", s, "TCP", 80, true)}},
		}}
}
