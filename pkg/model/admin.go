package model

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	anpv1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
)

// AdminPolicyAPIVersion is the network-policy-api version zonesim reads (v0.1.7).
const AdminPolicyAPIVersion = "policy.networking.k8s.io/v1alpha1"

// AdminPolicy is an AdminNetworkPolicy, the BaselineAdminNetworkPolicy (v1alpha1, ANP-1..ANP-6) or a
// ClusterNetworkPolicy (v1alpha2, CNP-1..CNP-5), with the lines of its rules. They share a shape: a
// subject, and ordered rules whose first match decides, in a tier around NetworkPolicy.
type AdminPolicy struct {
	Kind string // AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy
	// APIVersion is the version it was written in (policy.networking.k8s.io/v1alpha1, v1alpha2, v1beta1).
	APIVersion string
	// Tier is TierAdmin (AdminNetworkPolicy; ClusterNetworkPolicy of tier Admin) or TierBaseline.
	Tier     string
	Name     string
	Priority int32 // within the tier, lower wins (ANP-4, CNP-2); not for the BaselineAdminNetworkPolicy
	// PriorityLine is where spec.priority is written.
	PriorityLine int
	Subject      anpv1alpha1.AdminNetworkPolicySubject
	Ingress      []AdminRule
	Egress       []AdminRule
	Source       Source
}

// AdminRule is one rule: an action for the connections on Ports (all ports when AllPorts) to or from any
// of Peers.
type AdminRule struct {
	Name     string
	Action   string // Allow, Deny or Pass (AdminNetworkPolicy only); Accept, Deny or Pass (ClusterNetworkPolicy)
	Line     int
	Peers    []AdminPeer
	AllPorts bool
	Ports    []anpv1alpha1.AdminNetworkPolicyPort
}

// AdminPeer is one peer of a rule; exactly one field is set (ANP-2).
type AdminPeer struct {
	Namespaces *metav1.LabelSelector
	Pods       *anpv1alpha1.NamespacedPod
	Nodes      *metav1.LabelSelector // egress only
	Networks   []netip.Prefix        // egress only; match pod IPs too
	// DomainNames match the DNS names of the scenario's external endpoints (CNP-3); in an
	// AdminNetworkPolicy they are not modelled and match nothing.
	DomainNames []string

	networksGiven bool // networks was set, valid or not
}

// Key is the policy's kind and name: "AdminNetworkPolicy/name", "ClusterNetworkPolicy/name", ...
func (p *AdminPolicy) Key() string { return p.Kind + "/" + p.Name }

func init() {
	kindSpecs["AdminNetworkPolicy"] = kindSpec{versions: []string{AdminPolicyAPIVersion}, cluster: true,
		newObj: func() any { return &anpv1alpha1.AdminNetworkPolicy{} }, add: (*Loader).addAdminNetworkPolicy}
	kindSpecs["BaselineAdminNetworkPolicy"] = kindSpec{versions: []string{AdminPolicyAPIVersion}, cluster: true,
		newObj: func() any { return &anpv1alpha1.BaselineAdminNetworkPolicy{} }, add: (*Loader).addBaselineAdminNetworkPolicy}
}

func (l *Loader) addAdminNetworkPolicy(obj any, src Source, root *yaml.Node) {
	anp := obj.(*anpv1alpha1.AdminNetworkPolicy)
	v := &adminValidator{policyValidator: policyValidator{file: src.File, root: root}, kind: "AdminNetworkPolicy"}
	if anp.Spec.Priority < 0 || anp.Spec.Priority > 1000 {
		v.err([]any{"spec", "priority"}, fmt.Sprintf("must be between 0 and 1000, got %d (ANP-1)", anp.Spec.Priority))
	}
	p := &AdminPolicy{Kind: v.kind, APIVersion: AdminPolicyAPIVersion, Tier: TierAdmin, Name: anp.Name, Priority: anp.Spec.Priority, PriorityLine: lineAt(root, "spec", "priority"), Subject: anp.Spec.Subject, Source: src}
	v.subject(anp.Spec.Subject)
	p.Ingress = v.rules("ingress", len(anp.Spec.Ingress), func(i int) (string, string, []AdminPeer, *[]anpv1alpha1.AdminNetworkPolicyPort) {
		r := anp.Spec.Ingress[i]
		return r.Name, string(r.Action), ingressPeers(r.From), r.Ports
	})
	p.Egress = v.rules("egress", len(anp.Spec.Egress), func(i int) (string, string, []AdminPeer, *[]anpv1alpha1.AdminNetworkPolicyPort) {
		r := anp.Spec.Egress[i]
		return r.Name, string(r.Action), v.egressPeers(i, r.To), r.Ports
	})
	l.probs = append(l.probs, v.probs...)
	if len(v.probs.Errors()) == 0 {
		l.cluster.AdminPolicies = append(l.cluster.AdminPolicies, p)
	}
}

func (l *Loader) addBaselineAdminNetworkPolicy(obj any, src Source, root *yaml.Node) {
	banp := obj.(*anpv1alpha1.BaselineAdminNetworkPolicy)
	v := &adminValidator{policyValidator: policyValidator{file: src.File, root: root}, kind: "BaselineAdminNetworkPolicy", baseline: true}
	if banp.Name != "default" {
		v.err([]any{"metadata", "name"}, fmt.Sprintf("the BaselineAdminNetworkPolicy is a singleton named default, got %q (ANP-6)", banp.Name))
	}
	if l.cluster.Baseline != nil {
		v.err([]any{"metadata", "name"}, "a second BaselineAdminNetworkPolicy; first defined at "+l.cluster.Baseline.Source.String()+" (ANP-6)")
	}
	p := &AdminPolicy{Kind: v.kind, APIVersion: AdminPolicyAPIVersion, Tier: TierBaseline, Name: banp.Name, Subject: banp.Spec.Subject, Source: src}
	v.subject(banp.Spec.Subject)
	p.Ingress = v.rules("ingress", len(banp.Spec.Ingress), func(i int) (string, string, []AdminPeer, *[]anpv1alpha1.AdminNetworkPolicyPort) {
		r := banp.Spec.Ingress[i]
		return r.Name, string(r.Action), ingressPeers(r.From), r.Ports
	})
	p.Egress = v.rules("egress", len(banp.Spec.Egress), func(i int) (string, string, []AdminPeer, *[]anpv1alpha1.AdminNetworkPolicyPort) {
		r := banp.Spec.Egress[i]
		to := make([]anpv1alpha1.AdminNetworkPolicyEgressPeer, len(r.To)) // the same peers, without domainNames
		for j, t := range r.To {
			to[j] = anpv1alpha1.AdminNetworkPolicyEgressPeer{Namespaces: t.Namespaces, Pods: t.Pods, Nodes: t.Nodes, Networks: t.Networks}
		}
		return r.Name, string(r.Action), v.egressPeers(i, to), r.Ports
	})
	l.probs = append(l.probs, v.probs...)
	if len(v.probs.Errors()) == 0 {
		l.cluster.Baseline = p
	}
}

// rules checks and converts the n rules of one direction; rule(i) gives the i-th rule's name, action,
// peers and ports.
func (v *adminValidator) rules(dir string, n int, rule func(i int) (string, string, []AdminPeer, *[]anpv1alpha1.AdminNetworkPolicyPort)) []AdminRule {
	v.count(n, dir)
	peersField := map[string]string{"ingress": "from", "egress": "to"}[dir]
	var out []AdminRule
	for i := 0; i < n; i++ {
		name, action, peers, ports := rule(i)
		out = append(out, v.rule([]any{"spec", dir, i}, peersField, name, action, peers, ports))
	}
	return out
}

// egressPeers converts the peers of egress rule i, checking their networks.
func (v *adminValidator) egressPeers(i int, to []anpv1alpha1.AdminNetworkPolicyEgressPeer) []AdminPeer {
	peers := make([]AdminPeer, len(to))
	for j, t := range to {
		peers[j] = AdminPeer{Namespaces: t.Namespaces, Pods: t.Pods, Nodes: t.Nodes,
			Networks: v.networks([]any{"spec", "egress", i, "to", j}, t.Networks), networksGiven: len(t.Networks) > 0}
		for _, d := range t.DomainNames {
			peers[j].DomainNames = append(peers[j].DomainNames, string(d))
		}
	}
	return peers
}

func ingressPeers(from []anpv1alpha1.AdminNetworkPolicyIngressPeer) []AdminPeer {
	peers := make([]AdminPeer, len(from))
	for j, f := range from {
		peers[j] = AdminPeer{Namespaces: f.Namespaces, Pods: f.Pods}
	}
	return peers
}

// adminValidator checks what the CRDs' OpenAPI and CEL rules check, with file and line.
type adminValidator struct {
	policyValidator
	kind     string
	baseline bool
}

func (v *adminValidator) subject(s anpv1alpha1.AdminNetworkPolicySubject) {
	switch {
	case (s.Namespaces == nil) == (s.Pods == nil):
		v.err([]any{"spec", "subject"}, "must set exactly one of namespaces or pods (ANP-1)")
	case s.Namespaces != nil:
		v.selector(*s.Namespaces, "spec", "subject", "namespaces")
	default:
		v.pods([]any{"spec", "subject", "pods"}, s.Pods)
	}
}

// pods checks a v1alpha1 pods subject or peer: both selectors are required.
func (v *adminValidator) pods(path []any, p *anpv1alpha1.NamespacedPod) {
	v.required(path, "namespaceSelector", "podSelector")
	v.selector(p.NamespaceSelector, extend(path, "namespaceSelector")...)
	v.selector(p.PodSelector, extend(path, "podSelector")...)
}

func (v *adminValidator) count(n int, dir string) {
	if n > 100 {
		v.err([]any{"spec", dir}, fmt.Sprintf("at most 100 rules, got %d (ANP-1)", n))
	}
}

func (v *adminValidator) networks(path []any, cidrs []anpv1alpha1.CIDR) []netip.Prefix {
	var out []netip.Prefix
	if len(cidrs) > 25 {
		v.err(extend(path, "networks"), fmt.Sprintf("at most 25 networks, got %d", len(cidrs)))
	}
	for i, c := range cidrs {
		p, err := netip.ParsePrefix(string(c))
		if err != nil {
			v.err(extend(path, "networks", i), fmt.Sprintf("invalid CIDR %q", c))
			continue
		}
		out = append(out, p.Masked())
	}
	return out
}

// rule checks and converts one rule: action, 1..100 peers of exactly one kind each, ports.
func (v *adminValidator) rule(path []any, peersField, name, action string, peers []AdminPeer, ports *[]anpv1alpha1.AdminNetworkPolicyPort) AdminRule {
	r := AdminRule{Name: name, Action: action, Line: lineAt(v.root, path...), Peers: peers, AllPorts: ports == nil}
	if len(name) > 100 {
		v.err(extend(path, "name"), "at most 100 characters")
	}
	switch {
	case action == "Allow" || action == "Deny":
	case action == "Pass" && !v.baseline:
	case v.baseline:
		v.err(extend(path, "action"), fmt.Sprintf("unsupported value %q: must be Allow or Deny", action))
	default:
		v.err(extend(path, "action"), fmt.Sprintf("unsupported value %q: must be Allow, Deny or Pass", action))
	}
	nonPod := v.peers(path, peersField, peers, peerRules{max: 100, ruleID: "ANP-2", pods: v.pods,
		domains: func(pp []any, p AdminPeer) bool {
			if len(p.DomainNames) == 0 {
				return false
			}
			v.warn(extend(pp, "domainNames"), "not supported: domainNames peers are not modelled; this peer matches no destination")
			return true
		}})
	if ports != nil {
		r.Ports = *ports
		if len(r.Ports) == 0 || len(r.Ports) > 100 {
			v.err(extend(path, "ports"), fmt.Sprintf("must have 1 to 100 ports, got %d", len(r.Ports)))
		}
	}
	for i, p := range r.Ports {
		pp := extend(path, "ports", i)
		set := 0
		if p.PortNumber != nil {
			set++
			if p.PortNumber.Protocol == "" {
				p.PortNumber.Protocol = "TCP" // the v1alpha1 CRD's default
			}
			v.protocol(extend(pp, "portNumber", "protocol"), &p.PortNumber.Protocol)
			if p.PortNumber.Port < 1 || p.PortNumber.Port > 65535 {
				v.err(extend(pp, "portNumber", "port"), fmt.Sprintf("must be between 1 and 65535, got %d", p.PortNumber.Port))
			}
		}
		if p.NamedPort != nil {
			set++
			if nonPod {
				v.err(extend(pp, "namedPort"), "networks, nodes and domainNames peers cannot be used with named ports")
			}
		}
		if p.PortRange != nil {
			set++
			if p.PortRange.Protocol != "" {
				v.protocol(extend(pp, "portRange", "protocol"), &p.PortRange.Protocol)
			}
			switch {
			case p.PortRange.Start < 1 || p.PortRange.Start > 65535:
				v.err(extend(pp, "portRange", "start"), fmt.Sprintf("must be between 1 and 65535, got %d", p.PortRange.Start))
			case p.PortRange.End < 1 || p.PortRange.End > 65535:
				v.err(extend(pp, "portRange", "end"), fmt.Sprintf("must be between 1 and 65535, got %d", p.PortRange.End))
			case p.PortRange.Start > p.PortRange.End:
				// The v1alpha1 CRD checks only the bounds: the server stores it, and it selects no port.
				v.warn(extend(pp, "portRange"), fmt.Sprintf("start %d is above end %d: the CRD accepts it, and it matches no port", p.PortRange.Start, p.PortRange.End))
			}
		}
		if set != 1 {
			v.err(pp, fmt.Sprintf("must set exactly one of portNumber, namedPort or portRange, got %d (ANP-3)", set))
		}
	}
	return r
}

// peerRules are what the two admin policy APIs check differently in a rule's peers: how many a rule
// holds, the rule ID a peer of the wrong shape cites, what a pods peer requires, and whether a peer sets
// domainNames (with what the API says of them).
type peerRules struct {
	max     int
	ruleID  string
	pods    func(path []any, p *anpv1alpha1.NamespacedPod)
	domains func(path []any, p AdminPeer) bool
}

// peers checks a rule's peers (ANP-2, CNP-3): 1 to max of them, each setting exactly one field. nonPod
// says whether one is a nodes, networks or domainNames peer, which named ports cannot go with.
func (v *policyValidator) peers(path []any, peersField string, peers []AdminPeer, r peerRules) (nonPod bool) {
	if !has(v.root, extend(path, peersField)...) {
		v.err(extend(path, peersField), "required")
	} else if len(peers) == 0 || len(peers) > r.max {
		v.err(extend(path, peersField), fmt.Sprintf("must have 1 to %d peers, got %d", r.max, len(peers)))
	}
	for i, p := range peers {
		pp := extend(path, peersField, i)
		set := 0
		if p.Namespaces != nil {
			set++
			v.selector(*p.Namespaces, extend(pp, "namespaces")...)
		}
		if p.Pods != nil {
			set++
			r.pods(extend(pp, "pods"), p.Pods)
		}
		if p.Nodes != nil {
			set++
			nonPod = true
			v.selector(*p.Nodes, extend(pp, "nodes")...)
		}
		if p.networksGiven {
			set++
			nonPod = true
		}
		if r.domains(pp, p) {
			set++
			nonPod = true
		}
		if set != 1 {
			v.err(pp, fmt.Sprintf("must set exactly one peer field, got %d (%s)", set, r.ruleID))
		}
	}
	return nonPod
}

// protocol checks a port's protocol. The v1alpha1 CRD does not restrict its case: a lower-case one is
// read (with a warning) as the upper-case protocol, as the implementations compare it.
func (v *adminValidator) protocol(path []any, p *Protocol) {
	up := Protocol(strings.ToUpper(string(*p)))
	if up != "TCP" && up != "UDP" && up != "SCTP" {
		v.err(path, fmt.Sprintf("unsupported value %q: must be TCP, UDP or SCTP", *p))
		return
	}
	if up != *p {
		v.warn(path, fmt.Sprintf("%q is accepted by the CRD; read as %s", *p, up))
		*p = up
	}
}

// SortAdminPolicies orders the admin policies for evaluation: the Admin tier before the Baseline tier, by
// priority within a tier, then by name and kind (ANP-4, CNP-2); call it after changing a priority. The
// BaselineAdminNetworkPolicy (Cluster.Baseline) comes after them all.
func (c *Cluster) SortAdminPolicies() {
	ps := c.AdminPolicies
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		switch {
		case a.Tier != b.Tier:
			return a.Tier == TierAdmin
		case a.Priority != b.Priority:
			return a.Priority < b.Priority
		case a.Name != b.Name:
			return a.Name < b.Name
		}
		return a.Kind < b.Kind
	})
}

// finishAdminPolicies orders the admin policies (ANP-4, CNP-2) and warns where two of one tier and
// priority could both apply: the API leaves their order undefined. It says once how an input that holds
// both APIs is read.
func (l *Loader) finishAdminPolicies() {
	l.cluster.SortAdminPolicies()
	ps := l.cluster.AdminPolicies
	for i := 1; i < len(ps); i++ {
		if ps[i].Tier == ps[i-1].Tier && ps[i].Priority == ps[i-1].Priority {
			l.warn(ps[i].Source.File, ps[i].PriorityLine, "spec.priority", fmt.Sprintf(
				"%s %s has the same priority %d as %s %s (%s:%d): where both apply, the order is undefined (ANP-4, CNP-2); zonesim takes them by name",
				ps[i].Kind, ps[i].Name, ps[i].Priority, ps[i-1].Kind, ps[i-1].Name, ps[i-1].Source.File, ps[i-1].PriorityLine))
		}
	}
	var v1, v2 *AdminPolicy
	for _, p := range append(slices.Clone(ps), l.cluster.Baseline) {
		switch {
		case p == nil:
		case p.Kind == "ClusterNetworkPolicy":
			v2 = cmp.Or(v2, p)
		default:
			v1 = cmp.Or(v1, p)
		}
	}
	if v1 != nil && v2 != nil {
		l.warn(v2.Source.File, v2.Source.Line, "", fmt.Sprintf(
			"the input holds both admin policy APIs: %s %s (%s) and %s %s (%s); a network plugin implements one of them "+
				"(--cni ovn-kubernetes enforces v1alpha1 only); where both are enforced, zonesim orders each tier by priority across them, "+
				"and the BaselineAdminNetworkPolicy after the Baseline tier's ClusterNetworkPolicies (CNP-5)",
			v1.Kind, v1.Name, v1.APIVersion, v2.Kind, v2.Name, v2.APIVersion))
	}
}
