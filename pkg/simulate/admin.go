package simulate

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
)

// Admin policies: AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1, ANP-1..ANP-7) and
// ClusterNetworkPolicy (v1alpha2, CNP-1..CNP-5). A side is decided in tiers: the Admin tier's policies
// whose subject holds the pod, by priority, first matching rule (Allow/Accept and Deny are final, Pass
// hands over); then NetworkPolicy, final where it isolates the pod; else the Baseline tier (Baseline
// ClusterNetworkPolicies by priority, then the BaselineAdminNetworkPolicy), first matching rule, where
// Pass hands over to the default; else allowed. Admin rule peers live in the engine's peer tables next to
// NetworkPolicy peers, so classes, keys and memoized sides cover them too.

type cadmin struct {
	src      *model.AdminPolicy
	baseline bool
	nss, pod *selector // subject: namespaces, or pods (namespaceSelector and podSelector)
	rules    [2][]*carule
}

type carule struct {
	crule
	name   string
	action string
}

// compileAdmin compiles the admin policies in evaluation order: the Admin tier by priority, the Baseline
// tier by priority, then the BaselineAdminNetworkPolicy (model.Cluster.SortAdminPolicies). Policies of an
// API the profile does not implement are not compiled (see Notes).
func (e *Engine) compileAdmin() {
	nets := map[string]*cipBlock{}
	for _, p := range append(slices.Clone(e.Cluster.AdminPolicies), e.Cluster.Baseline) {
		if p == nil || !e.enforces(p) {
			continue
		}
		ca := &cadmin{src: p, baseline: p.Tier == model.TierBaseline}
		if p.Subject.Namespaces != nil {
			ca.nss = newSelector(p.Subject.Namespaces)
		} else if p.Subject.Pods != nil {
			ca.nss, ca.pod = newSelector(&p.Subject.Pods.NamespaceSelector), newSelector(&p.Subject.Pods.PodSelector)
		}
		for d, rules := range [2][]model.AdminRule{p.Ingress, p.Egress} {
			for i, r := range rules {
				ca.rules[d] = append(ca.rules[d], e.compileAdminRule(p, Direction(d), i, r, nets))
			}
		}
		e.admins = append(e.admins, ca)
	}
}

// enforces says whether the profile implements the API of an admin policy.
func (e *Engine) enforces(p *model.AdminPolicy) bool {
	if p.Kind == "ClusterNetworkPolicy" {
		return e.Profile.ClusterNetworkPolicy
	}
	return e.Profile.AdminNetworkPolicy
}

func (e *Engine) compileAdminRule(a *model.AdminPolicy, d Direction, i int, r model.AdminRule, nets map[string]*cipBlock) *carule {
	cr := &carule{crule: crule{index: i, line: r.Line, allPorts: r.AllPorts}, name: r.Name, action: r.Action}
	for _, p := range r.Peers {
		switch {
		case p.Namespaces != nil:
			cr.peers = append(cr.peers, e.internAdminPeer(d, &cpeer{admin: true, nss: newSelector(p.Namespaces)}))
		case p.Pods != nil:
			cr.peers = append(cr.peers, e.internAdminPeer(d, &cpeer{admin: true,
				nss: newSelector(&p.Pods.NamespaceSelector), pod: newSelector(&p.Pods.PodSelector)}))
		case p.Nodes != nil:
			cr.peers = append(cr.peers, e.internAdminPeer(d, &cpeer{admin: true, nodes: newSelector(p.Nodes)}))
		}
		for _, n := range p.Networks { // ANP-2: networks match pod IPs too, whatever the profile
			text := n.String()
			b, ok := nets[text]
			if !ok {
				b = &cipBlock{id: len(e.ipBlocks), cidr: n, anyPod: true, text: text}
				nets[text] = b
				e.ipBlocks = append(e.ipBlocks, b)
			}
			cr.peers = append(cr.peers, e.internAdminPeer(d, &cpeer{admin: true, ipb: b}))
		}
		if len(p.DomainNames) > 0 && a.Kind == "ClusterNetworkPolicy" {
			// CNP-3: the names of the scenario's external endpoints; an AdminNetworkPolicy's domainNames
			// are not modelled (the loader warns) and match nothing.
			cr.peers = append(cr.peers, e.internAdminPeer(d, &cpeer{admin: true, domains: p.DomainNames}))
		}
	}
	for _, p := range r.Ports {
		switch {
		case p.PortNumber != nil:
			cr.ports = append(cr.ports, cport{proto: p.PortNumber.Protocol, lo: p.PortNumber.Port, hi: p.PortNumber.Port})
		case p.PortRange != nil:
			if p.PortRange.Start > p.PortRange.End {
				continue // matches no port (the loader warns); the rule names ports, so it is not all ports
			}
			proto := p.PortRange.Protocol
			if proto == "" {
				proto = "TCP"
			}
			cr.ports = append(cr.ports, cport{proto: proto, lo: p.PortRange.Start, hi: p.PortRange.End})
		case p.NamedPort != nil:
			// ANP-3: a named port resolves on the destination pod, whatever its protocol.
			for _, proto := range model.Protocols {
				cr.ports = append(cr.ports, cport{proto: proto, name: *p.NamedPort})
			}
		}
	}
	return cr
}

func (e *Engine) internAdminPeer(d Direction, p *cpeer) int32 {
	var key string
	switch {
	case p.ipb != nil:
		key = "anp-net:" + p.ipb.text
	case p.nodes != nil:
		key = "anp-nodes:" + p.nodes.key
	case p.domains != nil:
		key = "anp-dns:" + strings.Join(p.domains, ",")
	default:
		key = "anp:" + p.selectorsKey()
	}
	return e.peers[d].intern(key, p)
}

// adminSubject reports whether an admin policy's subject holds the pods of a class (ANP-1). Host-network
// pods are never subjects.
func (e *Engine) adminHolds(a *cadmin, c *Class) bool {
	if e.onUDN(c) {
		return false // UDN-5: OVN-Kubernetes enforces admin policies on the default network only
	}
	return a.holds(c)
}

func (a *cadmin) holds(c *Class) bool {
	if c.HostNetwork || a.nss == nil || !a.nss.matches(c.Namespace.Labels) {
		return false
	}
	return a.pod == nil || a.pod.matches(c.Labels)
}

// selectAdminTargets records, per class and direction, the admin policies with rules in that direction
// whose subject holds the class, in evaluation order.
func (e *Engine) selectAdminTargets() {
	for i, a := range e.admins {
		for _, c := range e.classes {
			if !e.adminHolds(a, c) {
				continue
			}
			for d := range a.rules {
				if len(a.rules[d]) > 0 {
					c.tiers[d] = append(c.tiers[d], int32(i))
				}
			}
		}
	}
}

// AdminHit is an admin policy rule that decided some connections of a side.
type AdminHit struct {
	Policy   PolicyRef `json:"policy"`
	Tier     string    `json:"tier"`
	Priority *int32    `json:"priority,omitempty"` // not for the BaselineAdminNetworkPolicy
	Rule     int       `json:"rule"`
	Name     string    `json:"name,omitempty"`
	Line     int       `json:"line,omitempty"`
	Action   string    `json:"action"`
	Conns    []string  `json:"connections"`
}

// adminSide applies the tiers of ANP-4..ANP-6 around the NetworkPolicy result np (which the caller
// computes only when it is needed): connections an ANP rule allows or denies are final; the rest (passed
// or unmatched) get the NetworkPolicy result where NetworkPolicy isolates the pod, else the baseline's.
func (e *Engine) adminSide(d Direction, tiers []int32, has func(int32) bool, dstPorts []model.ContainerPort, dstIsPod, isolated bool,
	np func() ConnSet, why *Side) ConnSet {
	open := AllConns() // not yet decided
	var allowed ConnSet
	decide := func(a *cadmin, r *carule) {
		ok := false
		for _, id := range r.peers {
			if ok = has(id); ok {
				break
			}
		}
		if !ok {
			return
		}
		c := r.conns(dstPorts, dstIsPod).Intersect(open)
		if c.IsEmpty() {
			return
		}
		open = open.Subtract(c)
		if r.action == "Allow" || r.action == "Accept" {
			allowed = allowed.Union(c)
		}
		if why != nil {
			h := AdminHit{Policy: PolicyRef{Name: a.src.Key(), Source: a.src.Source}, Tier: a.src.Tier, Rule: r.index, Name: r.name, Line: r.line, Action: r.action, Conns: c.List()}
			if a.src.Kind != "BaselineAdminNetworkPolicy" {
				pr := a.src.Priority
				h.Priority = &pr
			}
			why.Admin = append(why.Admin, h)
		}
	}
	var baselines []*cadmin
	// tier runs the rules of one tier's policies over the open connections; what a Pass rule matched
	// leaves the tier (ANP-4, CNP-2).
	tier := func(as []*cadmin) ConnSet {
		passed := ConnSet{}
		for _, a := range as {
			for _, r := range a.rules[d] {
				before := open
				decide(a, r)
				if r.action == "Pass" {
					passed = passed.Union(before.Subtract(open))
				}
			}
		}
		return open.Union(passed)
	}
	var admins []*cadmin
	for _, ti := range tiers {
		if a := e.admins[ti]; a.baseline {
			baselines = append(baselines, a)
		} else {
			admins = append(admins, a)
		}
	}
	rest := tier(admins) // ANP-4: Pass and no match both go on to NetworkPolicy
	switch {
	case rest.IsEmpty():
		why.explain("every connection is decided by the rules listed", "ANP-4")
		return allowed
	case isolated:
		why.explain("the rest ("+rest.String()+") as NetworkPolicy decides: it isolates the pod", "ANP-5")
		return allowed.Union(rest.Intersect(np()))
	}
	if len(baselines) > 0 {
		open = rest
		rest = tier(baselines)
	}
	if rest.IsEmpty() {
		why.explain("every connection is decided by the rules listed", "ANP-6")
	} else {
		why.explain("the rest ("+rest.String()+") is allowed: NetworkPolicy does not isolate the pod and no baseline rule decides it", "ANP-5", "ANP-6")
	}
	return allowed.Union(rest)
}

// explain sets the reason of an explained side (s is nil when not explaining): the deciding admin rules,
// then what decided the rest, citing rules (and CNP-2 when a ClusterNetworkPolicy decided).
func (s *Side) explain(rest string, rules ...string) {
	if s == nil {
		return
	}
	var parts []string
	for _, h := range s.Admin {
		parts = append(parts, fmt.Sprintf("%s rule %d %s", h.Policy.Name, h.Rule, strings.ToLower(h.Action)))
	}
	decided := "no admin rule matches"
	if len(parts) > 0 {
		decided = strings.Join(parts, "; ")
	}
	isCNP := func(h AdminHit) bool { return strings.HasPrefix(h.Policy.Name, "ClusterNetworkPolicy/") }
	switch {
	case len(s.Admin) > 0 && !slices.ContainsFunc(s.Admin, func(h AdminHit) bool { return !isCNP(h) }):
		rules = []string{"CNP-2"} // the tiers of ClusterNetworkPolicy alone
	case slices.ContainsFunc(s.Admin, isCNP):
		rules = append(rules, "CNP-2")
	}
	s.Reason = decided + "; " + rest + " (" + strings.Join(rules, ", ") + ")"
}

// domainMatches says which DNS name of the scenario's endpoints at ip the domainNames peers of a side's
// deciding rules matched (CNP-3); "" when none did.
func (e *Engine) domainMatches(side *Side, ip netip.Addr) string {
	var out []string
	for _, h := range side.Admin {
		for _, a := range e.admins {
			if a.src.Key() != h.Policy.Name || h.Rule >= len(a.rules[Egress]) {
				continue
			}
			for _, id := range a.rules[Egress][h.Rule].peers {
				if p := e.peers[Egress].peers[id]; p.domains != nil {
					if name, ok := e.domainAt(p.domains, ip); ok {
						out = append(out, fmt.Sprintf("%s egress[%d] matched %s: domainNames %s, and the scenario gives %s the address %s (CNP-3)",
							h.Policy.Name, h.Rule, name, strings.Join(p.domains, ", "), name, ip))
					}
				}
			}
		}
	}
	return strings.Join(out, "; ")
}
