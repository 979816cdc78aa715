package simulate

import (
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
)

// PolicyRef names a NetworkPolicy and where it was read.
type PolicyRef struct {
	Name   string       `json:"name"`
	Source model.Source `json:"source"`
}

// RuleHit is one rule that allowed some of the connections.
type RuleHit struct {
	Policy PolicyRef `json:"policy"`
	// Rule is the index of the rule in spec.ingress or spec.egress.
	Rule  int      `json:"rule"`
	Line  int      `json:"line,omitempty"`
	Conns []string `json:"connections"`
}

// RuleMiss is a rule of an isolating policy that did not allow the traffic, and why.
type RuleMiss struct {
	Policy PolicyRef `json:"policy"`
	Rule   int       `json:"rule"`
	Line   int       `json:"line,omitempty"`
	Why    string    `json:"why"`
}

// Side is the verdict of one direction: the source's egress or the destination's ingress.
type Side struct {
	Direction string `json:"direction"`
	// Pod is the pod whose policies decide this side; empty when the end is not a pod.
	Pod      string      `json:"pod,omitempty"`
	Isolated bool        `json:"isolated"`
	Policies []PolicyRef `json:"isolatedBy,omitempty"`
	Rules    []RuleHit   `json:"allowedBy,omitempty"`
	// AdminTiers says admin policies select the pod on this side; Admin lists the admin policy rules
	// (AdminNetworkPolicy, then the baseline) that decided connections.
	AdminTiers bool       `json:"adminTiers,omitempty"`
	Admin      []AdminHit `json:"adminRules,omitempty"`
	Misses     []RuleMiss `json:"notMatching,omitempty"`
	// Reason says why the side allows or denies when no rule decides (rule IDs from SEMANTICS.md).
	Reason string  `json:"reason"`
	Conns  ConnSet `json:"-"`
}

func sortedHas(list []int32) func(int32) bool {
	return func(id int32) bool {
		i := sort.Search(len(list), func(i int) bool { return list[i] >= id })
		return i < len(list) && list[i] == id
	}
}

// allowedBy computes what the rules of the isolating policies allow (NP-3, NP-6): the union, over rules
// whose peers include the other end, of the rule's ports resolved on the destination (NP-13..NP-15).
// With why non-nil it records each allowing rule and why each other rule did not allow.
func (e *Engine) allowedBy(d Direction, pols []int32, has func(int32) bool, dstPorts []model.ContainerPort, dstIsPod bool, why *Side) ConnSet {
	var out ConnSet
	for _, pi := range pols {
		p := e.policies[pi]
		for _, r := range p.rules[d] {
			ok := r.allPeers
			for _, id := range r.peers {
				if ok {
					break
				}
				ok = has(id)
			}
			if !ok {
				if why != nil {
					why.Misses = append(why.Misses, RuleMiss{Policy: policyRef(p.src), Rule: r.index, Line: r.line,
						Why: "its peers do not select the " + other(d) + ": " + e.describePeers(d, r)})
				}
				continue
			}
			c := r.conns(dstPorts, dstIsPod)
			if c.IsEmpty() {
				if why != nil {
					why.Misses = append(why.Misses, RuleMiss{Policy: policyRef(p.src), Rule: r.index, Line: r.line,
						Why: "its ports resolve to nothing on the destination (named ports need a matching container port, NP-15)"})
				}
				continue
			}
			out = out.Union(c)
			if why != nil {
				why.Rules = append(why.Rules, RuleHit{Policy: policyRef(p.src), Rule: r.index, Line: r.line, Conns: c.List()})
			}
		}
	}
	return out
}

// conns resolves a rule's ports on the destination. Named ports resolve on the destination pod's
// container ports with the same protocol, and never on a non-pod destination (NP-15).
func (r *crule) conns(dstPorts []model.ContainerPort, dstIsPod bool) ConnSet {
	if r.allPorts {
		return AllConns()
	}
	var c ConnSet
	for _, p := range r.ports {
		if p.name == "" {
			c.Add(p.proto, p.lo, p.hi)
			continue
		}
		if !dstIsPod {
			continue
		}
		for _, cp := range dstPorts {
			if cp.Name == p.name && cp.Protocol == p.proto {
				c.Add(p.proto, cp.Port, cp.Port)
			}
		}
	}
	return c
}

func policyRef(p *model.NetworkPolicy) PolicyRef { return PolicyRef{Name: p.Key(), Source: p.Source} }

func (e *Engine) side(d Direction, pod string, pols, tiers []int32, has func(int32) bool, dstPorts []model.ContainerPort, dstIsPod, explain bool) Side {
	s := Side{Direction: d.String(), Pod: pod, Isolated: len(pols) > 0, AdminTiers: len(tiers) > 0}
	if len(tiers) > 0 {
		var why *Side
		if explain {
			why = &s
			for _, pi := range pols {
				s.Policies = append(s.Policies, policyRef(e.policies[pi].src))
			}
		}
		s.Conns = e.adminSide(d, tiers, has, dstPorts, dstIsPod, s.Isolated,
			func() ConnSet { return e.allowedBy(d, pols, has, dstPorts, dstIsPod, why) }, why)
		return s
	}
	if !s.Isolated {
		s.Conns = AllConns()
		if explain {
			s.Reason = "not isolated: no NetworkPolicy selects it for " + d.String() + " (NP-2, NP-3)"
			if d == Egress && !e.Profile.EnforcesEgress {
				s.Reason = "egress is not enforced by the " + e.Profile.Name + " profile (SDN-2)"
			}
		}
		return s
	}
	var why *Side
	if explain {
		why = &s
		for _, pi := range pols {
			s.Policies = append(s.Policies, policyRef(e.policies[pi].src))
		}
	}
	s.Conns = e.allowedBy(d, pols, has, dstPorts, dstIsPod, why)
	if explain && s.Conns.IsEmpty() {
		s.Reason = "isolated and no rule of the isolating policies allows it (NP-3)"
	} else if explain {
		s.Reason = "allowed by the rules listed (NP-3: rules add up)"
	}
	return s
}

// egressToClass is what s may send to pods of d.
func (e *Engine) egressToClass(s, d *Class, explain bool) Side {
	return e.side(Egress, "", s.policies[Egress], s.tiers[Egress], sortedHas(d.matched[Egress]), d.NamedPorts, true, explain)
}

// ingressFromClass is what d accepts from pods of s.
func (e *Engine) ingressFromClass(d, s *Class, explain bool) Side {
	if s.HostNetwork && s.Node != "" && s.Node == d.Node {
		return Side{Direction: "ingress", Isolated: len(d.policies[Ingress]) > 0, Conns: AllConns(),
			Reason: "from the pod's own node (host-network source on " + s.Node + "): always allowed (NP-19)"}
	}
	return e.side(Ingress, "", d.policies[Ingress], d.tiers[Ingress], sortedHas(s.matched[Ingress]), d.NamedPorts, true, explain)
}

func (e *Engine) ipHas(d Direction, ip netip.Addr) func(int32) bool {
	peers := e.peers[d].peers
	node := e.nodeByIP[ip]
	return func(id int32) bool {
		p := peers[id]
		switch {
		case p.nodes != nil: // ANP-2: a nodes peer selects the nodes' IPs
			return node != nil && p.nodes.matches(node.Labels)
		case p.domains != nil:
			_, ok := e.domainAt(p.domains, ip)
			return ok
		}
		return p.ipb != nil && p.ipb.contains(ip)
	}
}

// domainAt finds a DNS name of an external endpoint of the scenario at ip that one of the domainNames
// patterns matches (CNP-3): zonesim knows where a name resolves only when the scenario declares it.
func (e *Engine) domainAt(patterns []string, ip netip.Addr) (string, bool) {
	for _, x := range e.Cluster.Scenario.ExternalList() {
		if !slices.ContainsFunc(x.Addresses, func(p netip.Prefix) bool { return p.Contains(ip) }) {
			continue
		}
		for _, n := range x.DNSNames {
			for _, pattern := range patterns {
				if DomainMatches(pattern, n) {
					return n, true
				}
			}
		}
	}
	return "", false
}

// DomainMatches matches a ClusterNetworkPolicy domainNames entry: exact, or "*." followed by a domain
// whose subdomains (one label or more) it matches, not the domain itself (CNP-3). Case and a final dot
// do not matter.
func DomainMatches(pattern, name string) bool {
	pattern, name = strings.TrimSuffix(strings.ToLower(pattern), "."), strings.TrimSuffix(strings.ToLower(name), ".")
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		sub, found := strings.CutSuffix(name, "."+rest)
		return found && sub != "" && !strings.HasPrefix(sub, ".") && !strings.HasSuffix(sub, ".")
	}
	return pattern == name
}

// egressToIP is what s may send to an address outside the pod network (NP-10, NP-15).
func (e *Engine) egressToIP(s *Class, ip netip.Addr, explain bool) Side {
	if side, ok := e.externalSide(s, Egress); ok {
		return side
	}
	return e.side(Egress, "", s.policies[Egress], s.tiers[Egress], e.ipHas(Egress, ip), nil, false, explain)
}

// ingressFromIP is what d accepts from an address outside the pod network; its own node always gets in (NP-19).
func (e *Engine) ingressFromIP(d *Class, ip netip.Addr, explain bool) Side {
	if n := e.ownNode(d, ip); n != nil {
		return Side{Direction: "ingress", Isolated: len(d.policies[Ingress]) > 0, Conns: AllConns(),
			Reason: "from the pod's own node " + n.Name + ": always allowed (NP-19)"}
	}
	if side, ok := e.externalSide(d, Ingress); ok {
		return side
	}
	return e.side(Ingress, "", d.policies[Ingress], d.tiers[Ingress], e.ipHas(Ingress, ip), d.NamedPorts, true, explain)
}

// ownNode is the node of d's pods when ip is its address, or nil.
func (e *Engine) ownNode(d *Class, ip netip.Addr) *model.Node {
	for _, p := range d.Pods[:1] {
		if n := e.nodes[p.NodeName]; n != nil && n.IP == ip {
			return n
		}
	}
	return nil
}

func other(d Direction) string {
	if d == Ingress {
		return "source"
	}
	return "destination"
}

// describePeers renders a rule's peers the way a reader of the YAML would name them.
func (e *Engine) describePeers(d Direction, r *crule) string {
	var parts []string
	for _, id := range r.peers {
		p := e.peers[d].peers[id]
		switch {
		case p.ipb != nil:
			parts = append(parts, "ipBlock "+p.ipb.text)
		case p.domains != nil:
			parts = append(parts, "domainNames "+strings.Join(p.domains, ", "))
		case p.nss == nil:
			parts = append(parts, podsText(p.pod)+" of namespace "+p.ns)
		case p.pod == nil:
			parts = append(parts, "all pods of "+nsText(p.nss))
		default:
			parts = append(parts, podsText(p.pod)+" of "+nsText(p.nss))
		}
	}
	return strings.Join(parts, "; ")
}

func podsText(s *selector) string {
	if s.empty() {
		return "all pods"
	}
	return "pods " + s.String()
}

func nsText(s *selector) string {
	if s.empty() {
		return "all namespaces"
	}
	return "namespaces " + s.String()
}
