package conformance

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
	anpv1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
)

// The network-policy-api conformance suite (sigs.k8s.io/network-policy-api v0.1.7, v1alpha1), in zonesim's
// form; cnp.go ports v0.3.0's ClusterNetworkPolicy suite, from the same descriptions where the two agree. Its world is four "houses", each a namespace labelled conformance-house=<house> with two pods of
// one person; every pod serves TCP 80 (named web), TCP 8080, UDP 53 (named dns), UDP 5353 and SCTP
// 9003. A case applies admin policies to that world; each step changes them the way the upstream test
// patches its objects (the changes add up), then pokes from one pod to another.

// Houses maps each house to the person whose two pods live there.
var Houses = map[string]string{"gryffindor": "harry-potter", "slytherin": "draco-malfoy", "hufflepuff": "cedric-diggory", "ravenclaw": "luna-lovegood"}

// AdminNS is the namespace of a house.
func AdminNS(house string) string { return "network-policy-conformance-" + house }

// AdminWorld is the conformance world as manifests, pods first on 10.128.0.0/24 in a fixed order.
func AdminWorld() string { return houseWorld(false) }

// houseWorld writes the four houses; with podNames, each pod also carries the label its StatefulSet
// controller gives it (statefulset.kubernetes.io/pod-name), which some v0.3.0 tests select.
func houseWorld(podNames bool) string {
	var b strings.Builder
	ip := netip.MustParseAddr("10.128.0.10")
	for _, house := range []string{"gryffindor", "hufflepuff", "ravenclaw", "slytherin"} {
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: {conformance-house: %s}}\n---\n", AdminNS(house), house)
		for i := 0; i < 2; i++ {
			labels := "conformance-house: " + house
			if podNames {
				labels += fmt.Sprintf(", statefulset.kubernetes.io/pod-name: %s-%d", Houses[house], i)
			}
			fmt.Fprintf(&b, `apiVersion: v1
kind: Pod
metadata: {name: %s-%d, namespace: %s, labels: {%s}}
spec:
  containers:
    - name: server
      image: agnhost
      ports:
        - {name: web, containerPort: 80, protocol: TCP}
        - {containerPort: 8080, protocol: TCP}
        - {name: dns, containerPort: 53, protocol: UDP}
        - {containerPort: 5353, protocol: UDP}
        - {containerPort: 9003, protocol: SCTP}
status: {podIP: %s}
---
`, Houses[house], i, AdminNS(house), labels, ip)
			ip = ip.Next()
		}
	}
	return b.String()
}

// Poke is one connection and whether it must get through.
type Poke struct {
	From, To string // namespace/pod
	Protocol model.Protocol
	Port     int32
	Allowed  bool
}

// AdminStep changes the loaded policies (nil: none), then pokes.
type AdminStep struct {
	Name   string
	Mutate func(c *model.Cluster) error
	Pokes  []Poke
}

// AdminCase is one conformance test: what it applies over the world, and its steps. Policies holds its
// admin policies, and the other objects some tests apply with them (the integration test's NetworkPolicy;
// the node peer tests' nodes and host-network pods, see nodeWorld).
type AdminCase struct {
	Name     string
	Policies string
	Steps    []AdminStep
}

func pod(house string, i int) string {
	return fmt.Sprintf("%s/%s-%d", AdminNS(house), Houses[house], i)
}

func poke(fromHouse string, from int, toHouse string, to int, proto model.Protocol, port int32, allowed bool) Poke {
	return Poke{From: pod(fromHouse, from), To: pod(toHouse, to), Protocol: proto, Port: port, Allowed: allowed}
}

// everyProtocol pokes TCP 80, UDP 53 and SCTP 9003, as the inline CIDR tests do.
func everyProtocol(fromHouse string, from int, toHouse string, to int, allowed bool) []Poke {
	return []Poke{poke(fromHouse, from, toHouse, to, "TCP", 80, allowed), poke(fromHouse, from, toHouse, to, "UDP", 53, allowed),
		poke(fromHouse, from, toHouse, to, "SCTP", 9003, allowed)}
}

// adminPolicy finds an admin policy of the loaded cluster by kind and name.
func adminPolicy(c *model.Cluster, kind, name string) (*model.AdminPolicy, error) {
	if kind == "BaselineAdminNetworkPolicy" && c.Baseline != nil && c.Baseline.Name == name {
		return c.Baseline, nil
	}
	for _, p := range c.AdminPolicies {
		if p.Kind == kind && p.Name == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no %s %q", kind, name)
}

// onRules changes the rules of one direction of an admin policy in place, as the upstream tests patch
// their objects.
func onRules(kind, name string, egress bool, change func(rules []model.AdminRule) error) func(c *model.Cluster) error {
	return func(c *model.Cluster) error {
		p, err := adminPolicy(c, kind, name)
		if err != nil {
			return err
		}
		if egress {
			return change(p.Egress)
		}
		return change(p.Ingress)
	}
}

// onRule changes rule i of one direction.
func onRule(kind, name string, egress bool, i int, change func(r *model.AdminRule)) func(c *model.Cluster) error {
	return onRules(kind, name, egress, func(rules []model.AdminRule) error {
		if i >= len(rules) {
			return fmt.Errorf("%s %s has %d rules, no rule %d", kind, name, len(rules), i)
		}
		change(&rules[i])
		return nil
	})
}

// swapRules swaps two rules of one direction, as the upstream tests reorder rules to show that order decides.
func swapRules(kind, name string, egress bool, i, j int) func(c *model.Cluster) error {
	return onRules(kind, name, egress, func(rules []model.AdminRule) error {
		if i >= len(rules) || j >= len(rules) {
			return fmt.Errorf("%s %s has %d rules, cannot swap %d and %d", kind, name, len(rules), i, j)
		}
		rules[i], rules[j] = rules[j], rules[i]
		return nil
	})
}

// swapIngress swaps two ingress rules.
func swapIngress(kind, name string, i, j int) func(c *model.Cluster) error {
	return swapRules(kind, name, false, i, j)
}

// swapEgress swaps two egress rules.
func swapEgress(kind, name string, i, j int) func(c *model.Cluster) error {
	return swapRules(kind, name, true, i, j)
}

// setAction changes the action of rule i.
func setAction(kind, name string, egress bool, i int, action string) func(c *model.Cluster) error {
	return onRule(kind, name, egress, i, func(r *model.AdminRule) { r.Action = action })
}

// useNamedPort makes rule i match the named port instead of its ports.
func useNamedPort(kind, name string, egress bool, i int, port string) func(c *model.Cluster) error {
	return onRule(kind, name, egress, i, func(r *model.AdminRule) {
		r.AllPorts, r.Ports = false, []anpv1alpha1.AdminNetworkPolicyPort{{NamedPort: &port}}
	})
}

// setPriority changes a policy's priority and orders the policies again.
func setPriority(kind, name string, priority int32) func(c *model.Cluster) error {
	return func(c *model.Cluster) error {
		p, err := adminPolicy(c, kind, name)
		if err != nil {
			return err
		}
		p.Priority = priority
		c.SortAdminPolicies()
		return nil
	}
}

// allowAddresses puts first an egress rule whose networks peer holds the addresses of the given pods
// (/32 each), as the inline CIDR tests do; action is Allow or Accept, as the API spells it.
func allowAddresses(kind, name, action string, pods ...string) func(c *model.Cluster) error {
	return func(c *model.Cluster) error {
		var nets []netip.Prefix
		for _, key := range pods {
			p := c.Pod(key)
			if p == nil {
				return fmt.Errorf("no pod %s", key)
			}
			nets = append(nets, netip.PrefixFrom(p.IP, p.IP.BitLen()))
		}
		p, err := adminPolicy(c, kind, name)
		if err != nil {
			return err
		}
		rule := model.AdminRule{Name: "allow-egress-to-specific-podIPs", Action: action, AllPorts: true, Peers: []model.AdminPeer{{Networks: nets}}}
		p.Egress = append([]model.AdminRule{rule}, p.Egress...)
		return nil
	}
}

// setPodLabel sets a label of a pod ("namespace/name"); an empty value removes it.
func setPodLabel(key, label, value string) func(c *model.Cluster) error {
	return func(c *model.Cluster) error {
		p := c.Pod(key)
		if p == nil {
			return fmt.Errorf("no pod %s", key)
		}
		p.Labels = relabel(p.Labels, label, value)
		return nil
	}
}

// setNamespaceLabel sets a label of a namespace; an empty value removes it.
func setNamespaceLabel(name, label, value string) func(c *model.Cluster) error {
	return func(c *model.Cluster) error {
		ns := c.Namespace(name)
		if ns == nil {
			return fmt.Errorf("no namespace %s", name)
		}
		ns.Labels = relabel(ns.Labels, label, value)
		return nil
	}
}

// relabel is a copy of labels with one label set (or removed, for an empty value): the engine may hold the
// old map.
func relabel(labels map[string]string, label, value string) map[string]string {
	out := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		out[k] = v
	}
	if value == "" {
		delete(out, label)
	} else {
		out[label] = value
	}
	return out
}

// deleteNetworkPolicy removes a NetworkPolicy.
func deleteNetworkPolicy(namespace, name string) func(c *model.Cluster) error {
	return func(c *model.Cluster) error {
		for i, p := range c.Policies {
			if p.Namespace == namespace && p.Name == name {
				c.Policies = append(c.Policies[:i:i], c.Policies[i+1:]...)
				return nil
			}
		}
		return fmt.Errorf("no NetworkPolicy %s/%s", namespace, name)
	}
}

// mutations applies several changes in order, for an upstream patch that changes more than one thing.
func mutations(ms ...func(c *model.Cluster) error) func(c *model.Cluster) error {
	return func(c *model.Cluster) error {
		for _, m := range ms {
			if err := m(c); err != nil {
				return err
			}
		}
		return nil
	}
}

// byNamespaceName is an admin peer or subject selecting a house's namespace by its name label.
func byNamespaceName(house string) string {
	return "{matchLabels: {kubernetes.io/metadata.name: " + AdminNS(house) + "}}"
}

// byHouse is a pods peer or subject selecting a house's pods in the house's namespace.
func byHouse(house string) string {
	return "{namespaceSelector: {matchLabels: {conformance-house: " + house + "}}, podSelector: {matchLabels: {conformance-house: " + house + "}}}"
}

// namespaceOf is a subject or peer selecting a house's namespace by name; podsOf one selecting its pods.
func namespaceOf(house string) string { return "{namespaces: " + byNamespaceName(house) + "}" }
func podsOf(house string) string      { return "{pods: " + byHouse(house) + "}" }

const (
	// linuxNodes is a nodes peer selecting every node of the world.
	linuxNodes = "{nodes: {matchLabels: {kubernetes.io/os: linux}}}"
	// internet is a networks peer holding every address, pods' and nodes' included (ANP-2, CNP-3).
	internet = "{networks: [0.0.0.0/0, '::/0']}"
)

// adminAPI is what a case's admin policies are written as: network-policy-api v0.1.7's v1alpha1 (an
// AdminNetworkPolicy, or the BaselineAdminNetworkPolicy) or v0.3.0's ClusterNetworkPolicy in the Admin or
// the Baseline tier. A test both releases hold is one description rendered for each (its baseline policy
// is the singleton "default" in both); where v0.3.0 changed the test, the description says so.
type adminAPI struct {
	cnp      bool
	baseline bool
}

var (
	anpAPI  = adminAPI{}
	banpAPI = adminAPI{baseline: true}
)

// cnpAPI is ClusterNetworkPolicy in a tier.
func cnpAPI(baseline bool) adminAPI { return adminAPI{cnp: true, baseline: baseline} }

// tier is the same API in the Admin tier (false) or the Baseline tier (true).
func (a adminAPI) tier(baseline bool) adminAPI { a.baseline = baseline; return a }

func (a adminAPI) kind() string {
	switch {
	case a.cnp:
		return "ClusterNetworkPolicy"
	case a.baseline:
		return "BaselineAdminNetworkPolicy"
	}
	return "AdminNetworkPolicy"
}

// caseName is a test's name as the release calls it.
func (a adminAPI) caseName(test string) string {
	switch {
	case a.cnp && a.baseline:
		return "CNPBaselineTier" + test
	case a.cnp:
		return "CNPAdminTier" + test
	}
	return a.kind() + test
}

// apiVersion: v1alpha1; a ClusterNetworkPolicy is read at v1beta1 and v1alpha2 (one schema), so the
// Admin tier's are written at v1beta1 (as upstream) and the Baseline tier's at v1alpha2, to cover both.
func (a adminAPI) apiVersion() string {
	switch {
	case !a.cnp:
		return model.AdminPolicyAPIVersion
	case a.baseline:
		return "policy.networking.k8s.io/v1alpha2"
	}
	return "policy.networking.k8s.io/v1beta1"
}

// allow is the action that admits: Allow (v1alpha1) or Accept (ClusterNetworkPolicy).
func (a adminAPI) allow() string {
	if a.cnp {
		return "Accept"
	}
	return "Allow"
}

// adminPort is one entry of a rule's ports: a port (up to end, for a range) of a protocol, or a named port.
type adminPort struct {
	proto     model.Protocol
	port, end int32
	name      string
}

func onPort(proto model.Protocol, ports ...int32) []adminPort {
	out := make([]adminPort, len(ports))
	for i, p := range ports {
		out[i] = adminPort{proto: proto, port: p}
	}
	return out
}

func onRange(proto model.Protocol, start, end int32) adminPort {
	return adminPort{proto: proto, port: start, end: end}
}

// String is how a step name says it: "TCP 80", "UDP 53-5353", "port web".
func (p adminPort) String() string {
	switch {
	case p.name != "":
		return "port " + p.name
	case p.end != 0:
		return fmt.Sprintf("%s %d-%d", p.proto, p.port, p.end)
	}
	return fmt.Sprintf("%s %d", p.proto, p.port)
}

// render writes the port as the API does: ports (portNumber, portRange, namedPort) in v1alpha1, protocols
// (tcp/udp/sctp with a destinationPort number or range, destinationNamedPort) in a ClusterNetworkPolicy.
func (a adminAPI) render(p adminPort) string {
	switch {
	case p.name != "" && a.cnp:
		return "{destinationNamedPort: " + p.name + "}"
	case p.name != "":
		return "{namedPort: " + p.name + "}"
	case a.cnp && p.end != 0:
		return fmt.Sprintf("{%s: {destinationPort: {range: {start: %d, end: %d}}}}", strings.ToLower(string(p.proto)), p.port, p.end)
	case a.cnp:
		return fmt.Sprintf("{%s: {destinationPort: {number: %d}}}", strings.ToLower(string(p.proto)), p.port)
	case p.end != 0:
		return fmt.Sprintf("{portRange: {protocol: %s, start: %d, end: %d}}", p.proto, p.port, p.end)
	}
	return fmt.Sprintf("{portNumber: {protocol: %s, port: %d}}", p.proto, p.port)
}

// adminRule is one rule of a description; its action is Allow, Deny or Pass (Allow is written as the API
// spells it).
type adminRule struct {
	name, action string
	peers        []string
	ports        []adminPort
}

// rules writes rules of one direction, one block item each.
func (a adminAPI) rules(egress bool, rs ...adminRule) string {
	field := "from"
	if egress {
		field = "to"
	}
	var b strings.Builder
	for _, r := range rs {
		action := r.action
		if action == "Allow" {
			action = a.allow()
		}
		fmt.Fprintf(&b, "    - name: %s\n      action: %s\n      %s: [%s]\n", r.name, action, field, strings.Join(r.peers, ", "))
		if len(r.ports) > 0 {
			ports := make([]string, len(r.ports))
			for i, p := range r.ports {
				ports[i] = a.render(p)
			}
			key := "ports"
			if a.cnp {
				key = "protocols"
			}
			fmt.Fprintf(&b, "      %s: [%s]\n", key, strings.Join(ports, ", "))
		}
	}
	return b.String()
}

// policy writes one admin policy; ingress and egress are rule lists as rules writes them (empty: none).
// The BaselineAdminNetworkPolicy has no priority; a ClusterNetworkPolicy has a tier.
func (a adminAPI) policy(name string, priority int32, subject, ingress, egress string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: %s\nkind: %s\nmetadata: {name: %s}\nspec:\n", a.apiVersion(), a.kind(), name)
	switch {
	case a.cnp && a.baseline:
		b.WriteString("  tier: Baseline\n")
	case a.cnp:
		b.WriteString("  tier: Admin\n")
	}
	if a.cnp || !a.baseline {
		fmt.Fprintf(&b, "  priority: %d\n", priority)
	}
	fmt.Fprintf(&b, "  subject: %s\n", subject)
	if ingress != "" {
		b.WriteString("  ingress:\n" + ingress)
	}
	if egress != "" {
		b.WriteString("  egress:\n" + egress)
	}
	return b.String()
}

// houseRules is the rule list of the protocol and gress tests, in one direction, over the namespaces of
// three houses: all is allowed, then denied, then passed, on every port; limited is denied, then passed,
// on its ports; split is allowed on its ports and denied the rest. The Baseline tier has no Pass rules.
type houseRules struct {
	all, limited, split      string
	limitedPorts, splitPorts []adminPort
}

func (a adminAPI) houseRules(egress bool, h houseRules) string {
	prep := "from"
	if egress {
		prep = "to"
	}
	rule := func(name, action, house string, ports []adminPort) string {
		if action == "Pass" && a.baseline {
			return ""
		}
		return a.rules(egress, adminRule{name: name + "-" + prep + "-" + house, action: action, peers: []string{namespaceOf(house)}, ports: ports})
	}
	return rule("allow", "Allow", h.all, nil) + rule("deny", "Deny", h.all, nil) + rule("pass", "Pass", h.all, nil) +
		rule("deny", "Deny", h.limited, h.limitedPorts) + rule("pass", "Pass", h.limited, h.limitedPorts) +
		rule("allow", "Allow", h.split, h.splitPorts) + rule("deny-rest", "Deny", h.split, nil)
}

// gressRules is the rule list the ANP and BANP TCP tests start from, for gryffindor, in one direction:
// ravenclaw is allowed, then denied, then passed; slytherin is denied, then passed, on TCP 80; hufflepuff
// is allowed on TCP huffPort and denied the rest. The baseline has no Pass rules.
func gressRules(egress, pass bool, huffPort int32) string {
	return adminAPI{baseline: !pass}.houseRules(egress, houseRules{all: "ravenclaw", limited: "slytherin", split: "hufflepuff",
		limitedPorts: onPort("TCP", 80), splitPorts: onPort("TCP", huffPort)})
}

// hostPorts are the ports the host-network pods of the node peer tests serve, two of each protocol.
type hostPorts struct{ tcp, udp, sctp [2]int32 }

var (
	// v0.1.7 fixes them.
	hostPortsV1alpha1 = hostPorts{tcp: [2]int32{36363, 36364}, udp: [2]int32{34345, 34346}, sctp: [2]int32{9003, 9005}}
	// v0.3.0 takes eight ports of a range (by default from 34345): TCP 0 and 1, UDP 2 and 4 (3 and 5 are the
	// UDP servers' HTTP ports), SCTP 6 and 7.
	hostPortsCNP = hostPorts{tcp: [2]int32{34345, 34346}, udp: [2]int32{34347, 34349}, sctp: [2]int32{34351, 34352}}
)

// nodeWorld is what the node peer tests need besides AdminWorld: two Linux nodes, and the
// forbidden-forrest namespace with a host-network pod (a centaur) on each, serving the given ports at its
// node's address.
func nodeWorld(hp hostPorts) string {
	var b strings.Builder
	for i, ip := range []string{"172.18.0.2", "172.18.0.3"} {
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Node\nmetadata: {name: conformance-worker-%d, labels: {kubernetes.io/os: linux, kubernetes.io/hostname: conformance-worker-%d}}\n"+
			"status: {addresses: [{type: InternalIP, address: %s}]}\n---\n", i, i, ip)
	}
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: {conformance-house: forbidden-forrest}}\n---\n", AdminNS("forbidden-forrest"))
	for i := 0; i < 2; i++ {
		fmt.Fprintf(&b, `apiVersion: v1
kind: Pod
metadata: {name: centaur-%d, namespace: %s, labels: {conformance-house: forbidden-forrest}}
spec:
  nodeName: conformance-worker-%d
  hostNetwork: true
  containers:
    - name: server
      image: agnhost
      ports:
        - {name: web-%d, containerPort: %d, protocol: TCP}
        - {name: web-%d, containerPort: %d, protocol: TCP}
        - {name: dns-%d, containerPort: %d, protocol: UDP}
        - {name: dns-%d, containerPort: %d, protocol: UDP}
        - {containerPort: %d, protocol: SCTP}
        - {containerPort: %d, protocol: SCTP}
---
`, i, AdminNS("forbidden-forrest"), i, hp.tcp[0], hp.tcp[0], hp.tcp[1], hp.tcp[1], hp.udp[0], hp.udp[0], hp.udp[1], hp.udp[1], hp.sctp[0], hp.sctp[1])
	}
	return b.String()
}

// toCentaur pokes the host-network pod centaur-1 from a gryffindor pod, as the node peer tests do.
func toCentaur(from int, proto model.Protocol, port int32, allowed bool) Poke {
	return Poke{From: pod("gryffindor", from), To: AdminNS("forbidden-forrest") + "/centaur-1", Protocol: proto, Port: port, Allowed: allowed}
}

// protoTest is one of the single-direction tests of one protocol (ingress or egress; TCP, UDP or SCTP). Its
// policy holds houseRules for the subject house; each step pokes from client pod 0 and client pod 1 to one
// server pod, the subject's pods being the clients (egress) or the servers (ingress), the peer house and
// the verdicts being the step's:
//
//	allow first    all        allowed, allowed  (the allow comes before the deny and the pass)
//	split          split      allowed, denied   (allowed on its port, denied the rest)
//	deny first     all        denied, denied    (rules 0 and 1 swapped)
//	limited        limited    denied, allowed   (denied on its port; no rule matches the other)
//	pass first     all        allowed, allowed  (rules 0 and 2 swapped: NetworkPolicy (none) decides)
//	pass limited   limited    allowed, allowed  (rules 3 and 4 swapped)
//
// The Baseline tier has no Pass rules, and no pass steps.
type protoTest struct {
	test     string // after the API's prefix: IngressUDP, ...
	policy   string // the Admin tier policy's name; the Baseline tier's is "default"
	priority int32  // in the Admin tier
	egress   bool
	subject  string
	rules    houseRules
	// steps are, per step above, the server's pod index and the ports clients 0 and 1 poke.
	steps [6]protoStep
	// otherWay: v0.3.0's TCP tests poke the other direction after the split step, once to all and once to
	// limited on TCP 80, to show that the rules of one direction leave the other alone.
	otherWay bool
}

type protoStep struct {
	server int
	ports  [2]int32
}

func (t protoTest) proto() model.Protocol { return t.rules.limitedPorts[0].proto }

// policyOf is the name of the test's policy in an API, and the policy.
func (t protoTest) policyOf(a adminAPI) (string, string) {
	name, priority := t.policy, t.priority
	if a.baseline {
		name, priority = "default", 10
	}
	rules := a.houseRules(t.egress, t.rules)
	if t.egress {
		return name, a.policy(name, priority, namespaceOf(t.subject), "", rules)
	}
	return name, a.policy(name, priority, namespaceOf(t.subject), rules, "")
}

func (t protoTest) build(a adminAPI) AdminCase {
	name, policy := t.policyOf(a)
	prep := "from"
	if t.egress {
		prep = "to"
	}
	h := t.rules
	split, limited := portsText(h.splitPorts), portsText(h.limitedPorts)
	steps := [6]struct {
		name    string
		peer    string
		verdict [2]bool
		mutate  func(c *model.Cluster) error
	}{
		{fmt.Sprintf("allow %s %s: the first matching rule wins", prep, h.all), h.all, [2]bool{true, true}, nil},
		{fmt.Sprintf("allow %s %s on %s only", prep, h.split, split), h.split, [2]bool{true, false}, nil},
		{fmt.Sprintf("deny first: %s is denied", h.all), h.all, [2]bool{false, false}, swapRules(a.kind(), name, t.egress, 0, 1)},
		{fmt.Sprintf("deny %s %s on %s; other ports match no rule", prep, h.limited, limited), h.limited, [2]bool{false, true}, nil},
		{fmt.Sprintf("pass first: %s goes on to NetworkPolicy (none) and is allowed", h.all), h.all, [2]bool{true, true}, swapRules(a.kind(), name, t.egress, 0, 2)},
		{fmt.Sprintf("pass %s %s on %s", prep, h.limited, limited), h.limited, [2]bool{true, true}, swapRules(a.kind(), name, t.egress, 3, 4)},
	}
	n := len(steps)
	if a.baseline {
		n = 4
	}
	c := AdminCase{Name: a.caseName(t.test), Policies: policy}
	for i, s := range steps[:n] {
		step := AdminStep{Name: s.name, Mutate: s.mutate}
		for client := 0; client < 2; client++ {
			port, server := t.steps[i].ports[client], t.steps[i].server
			if t.egress {
				step.Pokes = append(step.Pokes, poke(t.subject, client, s.peer, server, t.proto(), port, s.verdict[client]))
			} else {
				step.Pokes = append(step.Pokes, poke(s.peer, client, t.subject, server, t.proto(), port, s.verdict[client]))
			}
		}
		c.Steps = append(c.Steps, step)
		if i == 1 && t.otherWay && a.cnp {
			other := AdminStep{Name: "rules of one direction leave the other alone, on the ports they name too"}
			if t.egress {
				other.Pokes = []Poke{poke(h.all, 0, t.subject, 0, "TCP", 80, true), poke(h.limited, 0, t.subject, 1, "TCP", 80, true)}
			} else {
				other.Pokes = []Poke{poke(t.subject, 0, h.all, 0, "TCP", 80, true), poke(t.subject, 1, h.limited, 0, "TCP", 80, true)}
			}
			c.Steps = append(c.Steps, other)
		}
	}
	return c
}

func portsText(ports []adminPort) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// The protocol tests. Their steps' servers and ports are upstream's (the same in v0.1.7 and v0.3.0).
var (
	ingressTCP = protoTest{test: "IngressTCP", policy: "ingress-tcp", priority: 3, subject: "gryffindor",
		rules: houseRules{all: "ravenclaw", limited: "slytherin", split: "hufflepuff", limitedPorts: onPort("TCP", 80), splitPorts: onPort("TCP", 80)},
		steps: [6]protoStep{{0, [2]int32{80, 8080}}, {1, [2]int32{80, 8080}}, {1, [2]int32{80, 8080}},
			{0, [2]int32{80, 8080}}, {0, [2]int32{80, 8080}}, {0, [2]int32{80, 8080}}},
		otherWay: true}
	ingressUDP = protoTest{test: "IngressUDP", policy: "ingress-udp", priority: 4, subject: "hufflepuff",
		rules: houseRules{all: "ravenclaw", limited: "slytherin", split: "gryffindor", limitedPorts: onPort("UDP", 5353), splitPorts: onPort("UDP", 53)},
		steps: [6]protoStep{{0, [2]int32{53, 5353}}, {1, [2]int32{53, 5353}}, {1, [2]int32{53, 5353}},
			{0, [2]int32{5353, 53}}, {1, [2]int32{5353, 53}}, {0, [2]int32{5353, 53}}}}
	ingressSCTP = protoTest{test: "IngressSCTP", policy: "ingress-sctp", priority: 5, subject: "ravenclaw",
		rules: houseRules{all: "gryffindor", limited: "slytherin", split: "hufflepuff", limitedPorts: onPort("SCTP", 9003), splitPorts: onPort("SCTP", 9003)},
		steps: [6]protoStep{{0, [2]int32{9003, 9005}}, {1, [2]int32{9003, 9005}}, {1, [2]int32{9003, 9005}},
			{0, [2]int32{9003, 9005}}, {1, [2]int32{9003, 9005}}, {0, [2]int32{9003, 9005}}}}
	egressTCP = protoTest{test: "EgressTCP", policy: "egress-tcp", priority: 6, egress: true, subject: "gryffindor",
		rules: houseRules{all: "ravenclaw", limited: "slytherin", split: "hufflepuff", limitedPorts: onPort("TCP", 80), splitPorts: onPort("TCP", 8080)},
		steps: [6]protoStep{{0, [2]int32{80, 8080}}, {1, [2]int32{8080, 80}}, {1, [2]int32{80, 8080}},
			{0, [2]int32{80, 8080}}, {0, [2]int32{80, 8080}}, {0, [2]int32{80, 8080}}},
		otherWay: true}
	egressUDP = protoTest{test: "EgressUDP", policy: "egress-udp", priority: 7, egress: true, subject: "hufflepuff",
		rules: houseRules{all: "ravenclaw", limited: "slytherin", split: "gryffindor", limitedPorts: onPort("UDP", 5353), splitPorts: onPort("UDP", 53)},
		steps: [6]protoStep{{0, [2]int32{53, 5353}}, {1, [2]int32{53, 5353}}, {1, [2]int32{53, 5353}},
			{0, [2]int32{5353, 53}}, {1, [2]int32{5353, 53}}, {0, [2]int32{5353, 53}}}}
	egressSCTP = protoTest{test: "EgressSCTP", policy: "egress-sctp", priority: 8, egress: true, subject: "ravenclaw",
		rules: houseRules{all: "gryffindor", limited: "slytherin", split: "hufflepuff", limitedPorts: onPort("SCTP", 9003), splitPorts: onPort("SCTP", 9003)},
		steps: [6]protoStep{{0, [2]int32{9003, 9005}}, {1, [2]int32{9003, 9005}}, {1, [2]int32{9003, 9005}},
			{0, [2]int32{9003, 9005}}, {1, [2]int32{9003, 9005}}, {0, [2]int32{9003, 9005}}}}
)

// namedPortCase is a named port test: it loads a protocol test's policy and makes the allow for the split
// house match a named port of the pods, web (TCP 80) or dns (UDP 53); the split house's pods poke the
// subject's pod 1 (or the reverse), on the named port (allowed) and on the protocol's other port (denied by
// the rule after). Upstream picks egress TCP and ingress UDP for the Admin tier, egress UDP and ingress TCP
// for the Baseline tier.
func namedPortCase(a adminAPI, t protoTest) AdminCase {
	name, policy := t.policyOf(a)
	split := 5 // after the pass rules
	if a.baseline {
		split = 3
	}
	named, port, other := "web", int32(80), int32(8080)
	if t.proto() == "UDP" {
		named, port, other = "dns", 53, 5353
	}
	direction := "Ingress"
	pk := func(client int, port int32, allowed bool) Poke {
		return poke(t.rules.split, client, t.subject, 1, t.proto(), port, allowed)
	}
	if t.egress {
		direction = "Egress"
		pk = func(client int, port int32, allowed bool) Poke {
			return poke(t.subject, client, t.rules.split, 1, t.proto(), port, allowed)
		}
	}
	return AdminCase{Name: a.caseName(direction + "NamedPort"), Policies: policy, Steps: []AdminStep{
		{Name: fmt.Sprintf("the %s allow matches port %s (%s %d) instead: that port is allowed, the rest denied", t.rules.split, named, t.proto(), port),
			Mutate: useNamedPort(a.kind(), name, t.egress, split, named),
			Pokes:  []Poke{pk(0, port, true), pk(1, other, false)}},
	}}
}

// gressCase is the gress test: one policy for gryffindor with rules in both directions and ports of
// every protocol; its steps are the protocol tests' (deny, pass: both directions reordered at once).
func gressCase(a adminAPI) AdminCase {
	name, priority := "gress-rules", int32(15)
	if a.baseline {
		name, priority = "default", 10
	}
	limited := []adminPort{{proto: "TCP", port: 80}, {proto: "UDP", port: 53}, {proto: "SCTP", port: 9003}}
	egress := houseRules{all: "ravenclaw", limited: "slytherin", split: "hufflepuff", limitedPorts: limited,
		splitPorts: []adminPort{{proto: "TCP", port: 8080}, {proto: "UDP", port: 5353}, {proto: "SCTP", port: 9003}}}
	ingress := houseRules{all: "ravenclaw", limited: "slytherin", split: "hufflepuff", limitedPorts: limited,
		splitPorts: []adminPort{{proto: "TCP", port: 80}, {proto: "UDP", port: 5353}, {proto: "SCTP", port: 9003}}}
	swap := func(i, j int) func(c *model.Cluster) error {
		return mutations(swapRules(a.kind(), name, true, i, j), swapRules(a.kind(), name, false, i, j))
	}
	// out: gryffindor's client pokes a peer's server; in: a peer's client pokes gryffindor's server.
	out := func(client int, peer string, server int, proto model.Protocol, port int32, allowed bool) Poke {
		return poke("gryffindor", client, peer, server, proto, port, allowed)
	}
	in := func(peer string, client, server int, proto model.Protocol, port int32, allowed bool) Poke {
		return poke(peer, client, "gryffindor", server, proto, port, allowed)
	}
	steps := []AdminStep{
		{Name: "allow to and from ravenclaw on every protocol: the first matching rule wins", Pokes: []Poke{
			out(0, "ravenclaw", 0, "TCP", 80, true), out(1, "ravenclaw", 0, "UDP", 53, true), out(0, "ravenclaw", 0, "SCTP", 9003, true),
			in("ravenclaw", 0, 0, "TCP", 80, true), in("ravenclaw", 1, 0, "UDP", 53, true), in("ravenclaw", 1, 0, "SCTP", 9003, true)}},
		{Name: "allow to hufflepuff on TCP 8080, UDP 5353, SCTP 9003 and from it on TCP 80, UDP 5353, SCTP 9003 only", Pokes: []Poke{
			out(0, "hufflepuff", 1, "TCP", 8080, true), out(1, "hufflepuff", 1, "TCP", 80, false),
			out(0, "hufflepuff", 1, "UDP", 5353, true), out(1, "hufflepuff", 1, "UDP", 53, false),
			out(0, "hufflepuff", 1, "SCTP", 9003, true), out(1, "hufflepuff", 1, "SCTP", 9005, false),
			in("hufflepuff", 0, 1, "TCP", 80, true), in("hufflepuff", 1, 1, "TCP", 8080, false),
			in("hufflepuff", 0, 1, "UDP", 5353, true), in("hufflepuff", 1, 1, "UDP", 53, false),
			in("hufflepuff", 0, 1, "SCTP", 9003, true), in("hufflepuff", 1, 1, "SCTP", 9005, false)}},
		{Name: "deny first, both ways: ravenclaw is denied", Mutate: swap(0, 1), Pokes: []Poke{
			out(0, "ravenclaw", 1, "TCP", 80, false), out(1, "ravenclaw", 1, "UDP", 53, false), out(0, "ravenclaw", 1, "SCTP", 9003, false),
			in("ravenclaw", 0, 1, "TCP", 80, false), in("ravenclaw", 1, 1, "UDP", 53, false), in("ravenclaw", 1, 1, "SCTP", 9003, false)}},
		{Name: "deny to and from slytherin on TCP 80, UDP 53, SCTP 9003; other ports match no rule", Pokes: []Poke{
			out(0, "slytherin", 0, "TCP", 80, false), out(1, "slytherin", 0, "TCP", 8080, true),
			out(0, "slytherin", 0, "UDP", 53, false), out(1, "slytherin", 0, "UDP", 5353, true),
			out(0, "slytherin", 0, "SCTP", 9003, false), out(1, "slytherin", 0, "SCTP", 9005, true),
			in("slytherin", 0, 0, "TCP", 80, false), in("slytherin", 1, 0, "TCP", 8080, true),
			in("slytherin", 0, 0, "UDP", 53, false), in("slytherin", 1, 0, "UDP", 5353, true),
			in("slytherin", 0, 0, "SCTP", 9003, false), in("slytherin", 1, 0, "SCTP", 9005, true)}},
	}
	if !a.baseline {
		steps = append(steps,
			AdminStep{Name: "pass first, both ways: ravenclaw goes on to NetworkPolicy (none) and is allowed", Mutate: swap(0, 2), Pokes: []Poke{
				out(0, "ravenclaw", 0, "TCP", 80, true), out(0, "ravenclaw", 0, "UDP", 5353, true), out(0, "ravenclaw", 0, "SCTP", 9003, true),
				in("ravenclaw", 0, 0, "TCP", 80, true), in("ravenclaw", 1, 0, "UDP", 53, true), in("ravenclaw", 1, 0, "SCTP", 9003, true)}},
			AdminStep{Name: "pass to and from slytherin on TCP 80, UDP 53, SCTP 9003", Mutate: swap(3, 4), Pokes: []Poke{
				out(0, "slytherin", 0, "TCP", 80, true), out(1, "slytherin", 0, "TCP", 8080, true),
				out(0, "slytherin", 0, "UDP", 53, true), out(1, "slytherin", 0, "UDP", 5353, true),
				out(0, "slytherin", 0, "SCTP", 9003, true), out(1, "slytherin", 0, "SCTP", 9005, true),
				in("slytherin", 0, 0, "TCP", 80, true), in("slytherin", 1, 0, "TCP", 8080, true),
				in("slytherin", 0, 0, "UDP", 53, true), in("slytherin", 1, 0, "UDP", 5353, true),
				in("slytherin", 0, 0, "SCTP", 9003, true), in("slytherin", 1, 0, "SCTP", 9005, true)}})
	}
	return AdminCase{Name: a.caseName("Gress"), Policies: a.policy(name, priority, namespaceOf("gryffindor"),
		a.houseRules(false, ingress), a.houseRules(true, egress)), Steps: steps}
}

// nodePeersCase is the node peer test: gryffindor's egress to nodes, poked at the host-network pod
// centaur-1 (its node's address). The Admin tier allows one TCP port on nodes, passes one UDP port, and
// denies nodes (with slytherin and every network) the rest; the Baseline tier allows a TCP port range on
// nodes and denies nodes and every network. v0.3.0 moved the ports (hostPortsCNP) and pokes the Admin
// tier's allowed port from harry-potter-1 instead of harry-potter-0.
func nodePeersCase(a adminAPI) AdminCase {
	hp, first := hostPortsV1alpha1, 0
	if a.cnp {
		hp, first = hostPortsCNP, 1
	}
	if a.baseline {
		allow := onRange("TCP", hp.tcp[0], hp.tcp[1])
		return AdminCase{Name: a.caseName("EgressNodePeers"),
			Policies: nodeWorld(hp) + a.policy("default", 10, namespaceOf("gryffindor"), "", a.rules(true,
				adminRule{name: fmt.Sprintf("allow-egress-to-%d-on-nodes", hp.tcp[0]), action: "Allow", peers: []string{linuxNodes}, ports: []adminPort{allow}},
				adminRule{name: "deny-egress-to-nodes-and-internet", action: "Deny", peers: []string{linuxNodes, internet}})),
			Steps: []AdminStep{
				{Name: "allow to nodes on " + allow.String(), Pokes: []Poke{
					toCentaur(0, "TCP", hp.tcp[0], true), toCentaur(1, "TCP", hp.tcp[1], true)}},
				{Name: "deny to nodes on other ports", Pokes: []Poke{
					toCentaur(1, "UDP", hp.udp[1], false), toCentaur(1, "SCTP", hp.sctp[0], false)}},
			}}
	}
	return AdminCase{Name: a.caseName("EgressNodePeers"),
		Policies: nodeWorld(hp) + a.policy("node-and-cidr-as-peers-example", 75, podsOf("gryffindor"), "", a.rules(true,
			adminRule{name: fmt.Sprintf("allow-egress-to-%d-on-nodes", hp.tcp[0]), action: "Allow", peers: []string{linuxNodes}, ports: onPort("TCP", hp.tcp[0])},
			adminRule{name: fmt.Sprintf("pass-egress-to-%d-on-nodes", hp.udp[0]), action: "Pass", peers: []string{linuxNodes}, ports: onPort("UDP", hp.udp[0])},
			adminRule{name: "deny-egress-to-slytherin-and-nodes-and-internet", action: "Deny", peers: []string{podsOf("slytherin"), linuxNodes, internet}})),
		Steps: []AdminStep{
			{Name: fmt.Sprintf("allow to nodes on TCP %d", hp.tcp[0]), Pokes: []Poke{toCentaur(first, "TCP", hp.tcp[0], true)}},
			{Name: fmt.Sprintf("pass to nodes on UDP %d: no NetworkPolicy or baseline decides, allowed", hp.udp[0]), Pokes: []Poke{toCentaur(1, "UDP", hp.udp[0], true)}},
			{Name: "deny to nodes on other ports", Pokes: []Poke{
				toCentaur(1, "TCP", hp.tcp[1], false), toCentaur(1, "UDP", hp.udp[1], false), toCentaur(1, "SCTP", hp.sctp[0], false)}},
		}}
}

// inlineCIDRCase is the inline CIDR test (the Admin tier's v1alpha1 one is AdminNetworkPolicyEgressInlineCIDRPeers
// above): gryffindor may send to slytherin's pods, then networks 0.0.0.0/0 and ::/0 deny, pods included; an
// allow for two pod addresses put first lets those two in. v0.3.0 also relabels slytherin's namespace so
// that the allow stops selecting it, and back.
func inlineCIDRCase(a adminAPI) AdminCase {
	name, priority, subject := "inline-cidr-as-peers-example", int32(85), podsOf("gryffindor")
	if a.baseline {
		name, priority, subject = "default", 10, namespaceOf("gryffindor")
	}
	steps := []AdminStep{
		{Name: "networks 0.0.0.0/0 holds pod addresses too: ravenclaw and hufflepuff are denied, on every protocol",
			Pokes: append(everyProtocol("gryffindor", 1, "ravenclaw", 0, false), everyProtocol("gryffindor", 1, "hufflepuff", 0, false)...)},
		{Name: "slytherin is allowed by the rule before", Pokes: everyProtocol("gryffindor", 1, "slytherin", 0, true)},
	}
	if a.cnp {
		steps = append(steps,
			AdminStep{Name: "slytherin's namespace relabelled: the pods peer no longer selects it, and the networks deny does",
				Mutate: setNamespaceLabel(AdminNS("slytherin"), "conformance-house", "denied-namespace-label"),
				Pokes:  everyProtocol("gryffindor", 1, "slytherin", 0, false)},
			AdminStep{Name: "its label back: allowed again",
				Mutate: setNamespaceLabel(AdminNS("slytherin"), "conformance-house", "slytherin"),
				Pokes:  everyProtocol("gryffindor", 1, "slytherin", 0, true)})
	}
	var last []Poke
	for _, i := range []int{0, 1} { // the pods 0 are let in, the pods 1 not
		last = append(last, everyProtocol("gryffindor", 1, "ravenclaw", i, i == 0)...)
		last = append(last, everyProtocol("gryffindor", 1, "hufflepuff", i, i == 0)...)
	}
	steps = append(steps, AdminStep{Name: "an allow for two pod addresses (/32) put first lets those two pods in, and not their neighbours",
		Mutate: allowAddresses(a.kind(), name, a.allow(), pod("ravenclaw", 0), pod("hufflepuff", 0)), Pokes: last})
	return AdminCase{Name: a.caseName("EgressInlineCIDRPeers"),
		Policies: a.policy(name, priority, subject, "", a.rules(true,
			adminRule{name: "allow-egress-to-slytherin", action: "Allow", peers: []string{podsOf("slytherin")}},
			adminRule{name: "deny-egress-to-internet", action: "Deny", peers: []string{internet}})),
		Steps: steps}
}

// integrationCase is the integration test: an Admin tier policy denies gryffindor's traffic with
// slytherin both ways, a NetworkPolicy allows it, and the baseline denies it. The admin rules become Pass
// (NetworkPolicy decides: allowed); then the NetworkPolicy is deleted (the baseline decides: denied).
// a is the Admin tier's API.
func integrationCase(a adminAPI) AdminCase {
	houseNS := func(house string) string { return "{namespaces: {matchLabels: {conformance-house: " + house + "}}}" }
	ingress := func(b adminAPI) string {
		return b.rules(false, adminRule{name: "deny-all-ingress-from-slytherin", action: "Deny", peers: []string{houseNS("slytherin")}})
	}
	egress := func(b adminAPI) string {
		return b.rules(true, adminRule{name: "deny-all-egress-to-slytherin", action: "Deny", peers: []string{houseNS("slytherin")}})
	}
	baseline := a.tier(true)
	policies := a.policy("pass-example", 10, houseNS("gryffindor"), ingress(a), egress(a)) + "---\n" +
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-gress-from-to-slytherin-to-gryffindor, namespace: " + AdminNS("gryffindor") + "}\n" +
		"spec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n" +
		"  ingress: [{from: [{namespaceSelector: {matchLabels: {conformance-house: slytherin}}}]}]\n" +
		"  egress: [{to: [{namespaceSelector: {matchLabels: {conformance-house: slytherin}}}]}]\n---\n" +
		baseline.policy("default", 10, houseNS("gryffindor"), ingress(baseline), egress(baseline))
	in := func(allowed bool) []Poke {
		return []Poke{poke("slytherin", 0, "gryffindor", 0, "TCP", 80, allowed), poke("slytherin", 1, "gryffindor", 0, "TCP", 8080, allowed)}
	}
	out := func(allowed bool) []Poke {
		return []Poke{poke("gryffindor", 0, "slytherin", 0, "TCP", 80, allowed), poke("gryffindor", 1, "slytherin", 0, "TCP", 8080, allowed)}
	}
	return AdminCase{Name: a.caseName("Integration"), Policies: policies, Steps: []AdminStep{
		{Name: "the admin deny wins over the NetworkPolicy: slytherin to gryffindor", Pokes: in(false)},
		{Name: "and gryffindor to slytherin", Pokes: out(false)},
		{Name: "the ingress rule made Pass: the NetworkPolicy allows", Mutate: setAction(a.kind(), "pass-example", false, 0, "Pass"), Pokes: in(true)},
		{Name: "the egress rule made Pass: the NetworkPolicy allows", Mutate: setAction(a.kind(), "pass-example", true, 0, "Pass"), Pokes: out(true)},
		{Name: "the NetworkPolicy deleted: what the admin tier passes, the baseline denies (ingress)",
			Mutate: deleteNetworkPolicy(AdminNS("gryffindor"), "allow-gress-from-to-slytherin-to-gryffindor"), Pokes: in(false)},
		{Name: "and egress", Pokes: out(false)},
	}}
}

// AdminCases are the ported conformance tests.
func AdminCases() []AdminCase {
	const anp = "AdminNetworkPolicy"
	const banp = "BaselineAdminNetworkPolicy"
	header := "apiVersion: " + model.AdminPolicyAPIVersion + "\n"
	return []AdminCase{
		{
			Name: "AdminNetworkPolicyIngressTCP",
			Policies: header + "kind: AdminNetworkPolicy\nmetadata: {name: ingress-tcp}\nspec:\n  priority: 3\n  subject: {namespaces: " +
				byNamespaceName("gryffindor") + "}\n  ingress:\n" + gressRules(false, true, 80),
			Steps: []AdminStep{
				{Name: "allow from ravenclaw: the first matching rule wins", Pokes: []Poke{
					poke("ravenclaw", 0, "gryffindor", 0, "TCP", 80, true), poke("ravenclaw", 1, "gryffindor", 0, "TCP", 8080, true)}},
				{Name: "allow from hufflepuff on port 80 only", Pokes: []Poke{
					poke("hufflepuff", 0, "gryffindor", 1, "TCP", 80, true), poke("hufflepuff", 1, "gryffindor", 1, "TCP", 8080, false)}},
				{Name: "deny first: ravenclaw is denied", Mutate: swapIngress(anp, "ingress-tcp", 0, 1), Pokes: []Poke{
					poke("ravenclaw", 0, "gryffindor", 1, "TCP", 80, false), poke("ravenclaw", 1, "gryffindor", 1, "TCP", 8080, false)}},
				{Name: "deny from slytherin on port 80; other ports match no rule", Pokes: []Poke{
					poke("slytherin", 0, "gryffindor", 0, "TCP", 80, false), poke("slytherin", 1, "gryffindor", 0, "TCP", 8080, true)}},
				{Name: "pass first: ravenclaw goes on to NetworkPolicy (none) and is allowed", Mutate: swapIngress(anp, "ingress-tcp", 0, 2), Pokes: []Poke{
					poke("ravenclaw", 0, "gryffindor", 0, "TCP", 80, true), poke("ravenclaw", 1, "gryffindor", 0, "TCP", 8080, true)}},
				{Name: "pass from slytherin on port 80", Mutate: swapIngress(anp, "ingress-tcp", 3, 4), Pokes: []Poke{
					poke("slytherin", 0, "gryffindor", 0, "TCP", 80, true), poke("slytherin", 1, "gryffindor", 0, "TCP", 8080, true)}},
			},
		},
		{
			Name: "BaselineAdminNetworkPolicyIngressTCP",
			Policies: header + "kind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec:\n  subject: {namespaces: " +
				byNamespaceName("gryffindor") + "}\n  ingress:\n" + gressRules(false, false, 80),
			Steps: []AdminStep{
				{Name: "allow from ravenclaw: the first matching rule wins", Pokes: []Poke{
					poke("ravenclaw", 0, "gryffindor", 0, "TCP", 80, true), poke("ravenclaw", 1, "gryffindor", 0, "TCP", 8080, true)}},
				{Name: "allow from hufflepuff on port 80 only", Pokes: []Poke{
					poke("hufflepuff", 0, "gryffindor", 1, "TCP", 80, true), poke("hufflepuff", 1, "gryffindor", 1, "TCP", 8080, false)}},
				{Name: "deny first: ravenclaw is denied", Mutate: swapIngress(banp, "default", 0, 1), Pokes: []Poke{
					poke("ravenclaw", 0, "gryffindor", 1, "TCP", 80, false), poke("ravenclaw", 1, "gryffindor", 1, "TCP", 8080, false)}},
				{Name: "deny from slytherin on port 80; other ports match no rule", Pokes: []Poke{
					poke("slytherin", 0, "gryffindor", 0, "TCP", 80, false), poke("slytherin", 1, "gryffindor", 0, "TCP", 8080, true)}},
			},
		},
		{
			Name: "AdminNetworkPolicyEgressTCP",
			Policies: header + "kind: AdminNetworkPolicy\nmetadata: {name: egress-tcp}\nspec:\n  priority: 6\n  subject: {namespaces: " +
				byNamespaceName("gryffindor") + "}\n  egress:\n" + gressRules(true, true, 8080),
			Steps: []AdminStep{
				{Name: "allow to ravenclaw: the first matching rule wins", Pokes: []Poke{
					poke("gryffindor", 0, "ravenclaw", 0, "TCP", 80, true), poke("gryffindor", 1, "ravenclaw", 0, "TCP", 8080, true)}},
				{Name: "allow to hufflepuff on port 8080 only", Pokes: []Poke{
					poke("gryffindor", 0, "hufflepuff", 1, "TCP", 8080, true), poke("gryffindor", 1, "hufflepuff", 1, "TCP", 80, false)}},
				{Name: "deny first: ravenclaw is denied", Mutate: swapEgress(anp, "egress-tcp", 0, 1), Pokes: []Poke{
					poke("gryffindor", 0, "ravenclaw", 1, "TCP", 80, false), poke("gryffindor", 1, "ravenclaw", 1, "TCP", 8080, false)}},
				{Name: "deny to slytherin on port 80; other ports match no rule", Pokes: []Poke{
					poke("gryffindor", 0, "slytherin", 0, "TCP", 80, false), poke("gryffindor", 1, "slytherin", 0, "TCP", 8080, true)}},
				{Name: "pass first: ravenclaw goes on to NetworkPolicy (none) and is allowed", Mutate: swapEgress(anp, "egress-tcp", 0, 2), Pokes: []Poke{
					poke("gryffindor", 0, "ravenclaw", 0, "TCP", 80, true), poke("gryffindor", 1, "ravenclaw", 0, "TCP", 8080, true)}},
				{Name: "pass to slytherin on port 80", Mutate: swapEgress(anp, "egress-tcp", 3, 4), Pokes: []Poke{
					poke("gryffindor", 0, "slytherin", 0, "TCP", 80, true), poke("gryffindor", 1, "slytherin", 0, "TCP", 8080, true)}},
			},
		},
		{
			Name: "BaselineAdminNetworkPolicyEgressTCP",
			Policies: header + "kind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec:\n  subject: {namespaces: " +
				byNamespaceName("gryffindor") + "}\n  egress:\n" + gressRules(true, false, 8080),
			Steps: []AdminStep{
				{Name: "allow to ravenclaw: the first matching rule wins", Pokes: []Poke{
					poke("gryffindor", 0, "ravenclaw", 0, "TCP", 80, true), poke("gryffindor", 1, "ravenclaw", 0, "TCP", 8080, true)}},
				{Name: "allow to hufflepuff on port 8080 only", Pokes: []Poke{
					poke("gryffindor", 0, "hufflepuff", 1, "TCP", 8080, true), poke("gryffindor", 1, "hufflepuff", 1, "TCP", 80, false)}},
				{Name: "deny first: ravenclaw is denied", Mutate: swapEgress(banp, "default", 0, 1), Pokes: []Poke{
					poke("gryffindor", 0, "ravenclaw", 1, "TCP", 80, false), poke("gryffindor", 1, "ravenclaw", 1, "TCP", 8080, false)}},
				{Name: "deny to slytherin on port 80; other ports match no rule", Pokes: []Poke{
					poke("gryffindor", 0, "slytherin", 0, "TCP", 80, false), poke("gryffindor", 1, "slytherin", 0, "TCP", 8080, true)}},
			},
		},
		{
			Name: "AdminNetworkPolicyPriorityField",
			Policies: header + "kind: AdminNetworkPolicy\nmetadata: {name: priority-50-example}\nspec:\n  priority: 50\n  subject: {pods: " + byHouse("gryffindor") + "}\n" +
				"  ingress: [{name: deny-all-ingress-from-slytherin, action: Deny, from: [{pods: " + byHouse("slytherin") + "}]}]\n" +
				"  egress: [{name: deny-all-egress-to-slytherin, action: Deny, to: [{pods: " + byHouse("slytherin") + "}]}]\n---\n" +
				header + "kind: AdminNetworkPolicy\nmetadata: {name: old-priority-60-new-priority-40-example}\nspec:\n  priority: 60\n  subject: {pods: " + byHouse("gryffindor") + "}\n" +
				"  ingress: [{name: pass-all-ingress-from-slytherin, action: Pass, from: [{pods: " + byHouse("slytherin") + "}]}]\n" +
				"  egress: [{name: pass-all-egress-to-slytherin, action: Pass, to: [{pods: " + byHouse("slytherin") + "}]}]\n---\n" +
				header + "kind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec:\n  subject: {pods: " + byHouse("gryffindor") + "}\n" +
				"  ingress: [{name: allow-all-ingress-from-slytherin, action: Allow, from: [{pods: " + byHouse("slytherin") + "}]}]\n" +
				"  egress: [{name: allow-all-egress-to-slytherin, action: Allow, to: [{pods: " + byHouse("slytherin") + "}]}]\n",
			Steps: []AdminStep{
				{Name: "the deny at priority 50 wins over the pass at 60: slytherin to gryffindor", Pokes: []Poke{
					poke("slytherin", 0, "gryffindor", 0, "TCP", 80, false), poke("slytherin", 1, "gryffindor", 0, "TCP", 8080, false)}},
				{Name: "and gryffindor to slytherin", Pokes: []Poke{
					poke("gryffindor", 0, "slytherin", 0, "TCP", 80, false), poke("gryffindor", 1, "slytherin", 0, "TCP", 8080, false)}},
				{Name: "the pass moved to priority 40 hands both directions to the baseline, which allows", Mutate: setPriority(anp, "old-priority-60-new-priority-40-example", 40), Pokes: []Poke{
					poke("slytherin", 0, "gryffindor", 0, "TCP", 80, true), poke("slytherin", 1, "gryffindor", 0, "TCP", 8080, true),
					poke("gryffindor", 0, "slytherin", 0, "TCP", 80, true), poke("gryffindor", 1, "slytherin", 0, "TCP", 8080, true)}},
			},
		},
		{
			Name: "AdminNetworkPolicyEgressInlineCIDRPeers",
			Policies: header + "kind: AdminNetworkPolicy\nmetadata: {name: inline-cidr-as-peers-example}\nspec:\n  priority: 85\n  subject: {pods: " + byHouse("gryffindor") + "}\n" +
				"  egress:\n    - {name: allow-egress-to-slytherin, action: Allow, to: [{pods: " + byHouse("slytherin") + "}]}\n" +
				"    - {name: deny-egress-to-internet, action: Deny, to: [{networks: [0.0.0.0/0, '::/0']}]}\n",
			Steps: []AdminStep{
				{Name: "networks 0.0.0.0/0 holds pod addresses too: ravenclaw and hufflepuff are denied, on every protocol", Pokes: []Poke{
					poke("gryffindor", 1, "ravenclaw", 0, "TCP", 80, false), poke("gryffindor", 1, "ravenclaw", 0, "UDP", 53, false),
					poke("gryffindor", 1, "ravenclaw", 0, "SCTP", 9003, false),
					poke("gryffindor", 1, "hufflepuff", 0, "TCP", 80, false), poke("gryffindor", 1, "hufflepuff", 0, "UDP", 53, false),
					poke("gryffindor", 1, "hufflepuff", 0, "SCTP", 9003, false)}},
				{Name: "slytherin is allowed by the rule before", Pokes: []Poke{
					poke("gryffindor", 1, "slytherin", 0, "TCP", 80, true), poke("gryffindor", 1, "slytherin", 0, "UDP", 53, true),
					poke("gryffindor", 1, "slytherin", 0, "SCTP", 9003, true)}},
				{Name: "an allow for two pod addresses (/32) put first lets those two pods in, and not their neighbours", Mutate: allowAddresses(anp, "inline-cidr-as-peers-example", "Allow", pod("ravenclaw", 0), pod("hufflepuff", 0)), Pokes: []Poke{
					poke("gryffindor", 1, "ravenclaw", 0, "TCP", 80, true), poke("gryffindor", 1, "ravenclaw", 0, "UDP", 53, true),
					poke("gryffindor", 1, "ravenclaw", 0, "SCTP", 9003, true),
					poke("gryffindor", 1, "hufflepuff", 0, "TCP", 80, true), poke("gryffindor", 1, "hufflepuff", 0, "UDP", 53, true),
					poke("gryffindor", 1, "hufflepuff", 0, "SCTP", 9003, true),
					poke("gryffindor", 1, "ravenclaw", 1, "TCP", 80, false), poke("gryffindor", 1, "ravenclaw", 1, "UDP", 53, false),
					poke("gryffindor", 1, "ravenclaw", 1, "SCTP", 9003, false),
					poke("gryffindor", 1, "hufflepuff", 1, "TCP", 80, false), poke("gryffindor", 1, "hufflepuff", 1, "UDP", 53, false),
					poke("gryffindor", 1, "hufflepuff", 1, "SCTP", 9003, false)}},
			},
		},
		// The tests ported since, rendered from descriptions the ClusterNetworkPolicy port (CNPCases) shares.
		ingressUDP.build(anpAPI), ingressUDP.build(banpAPI),
		ingressSCTP.build(anpAPI), ingressSCTP.build(banpAPI),
		egressUDP.build(anpAPI), egressUDP.build(banpAPI),
		egressSCTP.build(anpAPI), egressSCTP.build(banpAPI),
		gressCase(anpAPI), gressCase(banpAPI),
		namedPortCase(anpAPI, ingressUDP), namedPortCase(banpAPI, ingressTCP),
		namedPortCase(anpAPI, egressTCP), namedPortCase(banpAPI, egressUDP),
		nodePeersCase(anpAPI), nodePeersCase(banpAPI),
		inlineCIDRCase(banpAPI),
		integrationCase(anpAPI),
	}
}
