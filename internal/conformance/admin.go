package conformance

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
)

// The network-policy-api conformance suite (sigs.k8s.io/network-policy-api v0.1.7, v1alpha1), in zonesim's
// form. Its world is four "houses", each a namespace labelled conformance-house=<house> with two pods of
// one person; every pod serves TCP 80 (named web), TCP 8080, UDP 53 (named dns), UDP 5353 and SCTP
// 9003. A case applies admin policies to that world; each step changes them the way the upstream test
// patches its objects (the changes add up), then pokes from one pod to another.

// Houses maps each house to the person whose two pods live there.
var Houses = map[string]string{"gryffindor": "harry-potter", "slytherin": "draco-malfoy", "hufflepuff": "cedric-diggory", "ravenclaw": "luna-lovegood"}

// AdminNS is the namespace of a house.
func AdminNS(house string) string { return "network-policy-conformance-" + house }

// AdminWorld is the conformance world as manifests, pods first on 10.128.0.0/24 in a fixed order.
func AdminWorld() string {
	var b strings.Builder
	ip := netip.MustParseAddr("10.128.0.10")
	for _, house := range []string{"gryffindor", "hufflepuff", "ravenclaw", "slytherin"} {
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: {conformance-house: %s}}\n---\n", AdminNS(house), house)
		for i := 0; i < 2; i++ {
			fmt.Fprintf(&b, `apiVersion: v1
kind: Pod
metadata: {name: %s-%d, namespace: %s, labels: {conformance-house: %s}}
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
`, Houses[house], i, AdminNS(house), house, ip)
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

// AdminCase is one conformance test: the admin policies it applies, and its steps.
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

// adminPolicy finds an admin policy of the loaded cluster by kind and name.
func adminPolicy(c *model.Cluster, kind, name string) (*model.AdminPolicy, error) {
	if kind == "BaselineAdminNetworkPolicy" && c.Baseline != nil && c.Baseline.Name == name {
		return c.Baseline, nil
	}
	for _, p := range c.AdminPolicies {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no %s %q", kind, name)
}

// swapIngress swaps two ingress rules, as the upstream tests reorder rules to show that order decides.
func swapIngress(kind, name string, i, j int) func(c *model.Cluster) error {
	return func(c *model.Cluster) error {
		p, err := adminPolicy(c, kind, name)
		if err != nil {
			return err
		}
		p.Ingress[i], p.Ingress[j] = p.Ingress[j], p.Ingress[i]
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

// gressRules is the rule list the ANP and BANP TCP tests start from, for gryffindor, in one direction:
// ravenclaw is allowed, then denied, then passed; slytherin is denied, then passed, on TCP 80; hufflepuff
// is allowed on TCP huffPort and denied the rest. The baseline has no Pass rules.
func gressRules(egress, pass bool, huffPort int32) string {
	field, prep := "from", "from"
	if egress {
		field, prep = "to", "to"
	}
	rule := func(name, action, house string, port int32) string {
		if action == "Pass" && !pass {
			return ""
		}
		s := fmt.Sprintf("    - name: %s-%s-%s\n      action: %s\n      %s: [{namespaces: %s}]\n", name, prep, house, action, field, byNamespaceName(house))
		if port != 0 {
			s += fmt.Sprintf("      ports: [{portNumber: {protocol: TCP, port: %d}}]\n", port)
		}
		return s
	}
	return rule("allow", "Allow", "ravenclaw", 0) + rule("deny", "Deny", "ravenclaw", 0) + rule("pass", "Pass", "ravenclaw", 0) +
		rule("deny", "Deny", "slytherin", 80) + rule("pass", "Pass", "slytherin", 80) +
		rule("allow", "Allow", "hufflepuff", huffPort) + rule("deny-rest", "Deny", "hufflepuff", 0)
}

// swapEgress swaps two egress rules.
func swapEgress(kind, name string, i, j int) func(c *model.Cluster) error {
	return func(c *model.Cluster) error {
		p, err := adminPolicy(c, kind, name)
		if err != nil {
			return err
		}
		p.Egress[i], p.Egress[j] = p.Egress[j], p.Egress[i]
		return nil
	}
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
				{Name: "the pass moved to priority 40 hands both directions to the baseline, which allows", Mutate: func(c *model.Cluster) error {
					p, err := adminPolicy(c, anp, "old-priority-60-new-priority-40-example")
					if err != nil {
						return err
					}
					p.Priority = 40
					c.SortAdminPolicies()
					return nil
				}, Pokes: []Poke{
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
				{Name: "an allow for two pod addresses (/32) put first lets those two pods in, and not their neighbours", Mutate: func(c *model.Cluster) error {
					var nets []netip.Prefix
					for _, key := range []string{pod("ravenclaw", 0), pod("hufflepuff", 0)} {
						p := c.Pod(key)
						if p == nil {
							return fmt.Errorf("no pod %s", key)
						}
						nets = append(nets, netip.PrefixFrom(p.IP, 32))
					}
					p, err := adminPolicy(c, anp, "inline-cidr-as-peers-example")
					if err != nil {
						return err
					}
					rule := model.AdminRule{Name: "allow-egress-to-specific-podIPs", Action: "Allow", AllPorts: true, Peers: []model.AdminPeer{{Networks: nets}}}
					p.Egress = append([]model.AdminRule{rule}, p.Egress...)
					return nil
				}, Pokes: []Poke{
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
	}
}
