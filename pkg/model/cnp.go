package model

import (
	"fmt"
	"net/netip"
	"regexp"

	"go.yaml.in/yaml/v3"
	anpv1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// ClusterPolicyAPIVersions are the versions of ClusterNetworkPolicy zonesim reads (network-policy-api
// v0.3.0 serves both, with one schema).
var ClusterPolicyAPIVersions = []string{"policy.networking.k8s.io/v1alpha2", "policy.networking.k8s.io/v1beta1"}

// The tiers of admin policies (CNP-2): Admin before NetworkPolicy, Baseline after it.
const (
	TierAdmin    = "Admin"
	TierBaseline = "Baseline"
)

func init() {
	kindSpecs["ClusterNetworkPolicy"] = kindSpec{versions: ClusterPolicyAPIVersions, cluster: true,
		newObj: func() any { return &cnp.ClusterNetworkPolicy{} }, add: (*Loader).addClusterNetworkPolicy}
}

// addClusterNetworkPolicy checks a ClusterNetworkPolicy as its CRD does (OpenAPI and CEL rules, experimental
// channel: nodes, domainNames and destinationNamedPort included) and adds it as an admin policy of its
// tier (CNP-1..CNP-4).
func (l *Loader) addClusterNetworkPolicy(obj any, src Source, root *yaml.Node) {
	c := obj.(*cnp.ClusterNetworkPolicy)
	v := &cnpValidator{policyValidator: policyValidator{file: src.File, root: root}}
	v.required([]any{"spec"}, "tier", "priority", "subject")
	switch c.Spec.Tier {
	case cnp.AdminTier, cnp.BaselineTier, "":
	default:
		v.err([]any{"spec", "tier"}, fmt.Sprintf("unsupported value %q: must be Admin or Baseline (CNP-1)", c.Spec.Tier))
	}
	if c.Spec.Priority < 0 || c.Spec.Priority > 1000 {
		v.err([]any{"spec", "priority"}, fmt.Sprintf("must be between 0 and 1000, got %d (CNP-1)", c.Spec.Priority))
	}
	p := &AdminPolicy{Kind: "ClusterNetworkPolicy", APIVersion: c.APIVersion, Tier: string(c.Spec.Tier), Name: c.Name, Priority: c.Spec.Priority,
		PriorityLine: lineAt(root, "spec", "priority"), Source: src}
	p.Subject = v.subject(c.Spec.Subject)
	v.count("ingress", len(c.Spec.Ingress))
	for i, r := range c.Spec.Ingress {
		peers := make([]AdminPeer, len(r.From))
		for j, f := range r.From {
			peers[j] = AdminPeer{Namespaces: f.Namespaces, Pods: namespacedPod(f.Pods)}
		}
		p.Ingress = append(p.Ingress, v.rule([]any{"spec", "ingress", i}, "from", r.Name, string(r.Action), peers, r.Protocols))
	}
	v.count("egress", len(c.Spec.Egress))
	for i, r := range c.Spec.Egress {
		peers := make([]AdminPeer, len(r.To))
		for j, t := range r.To {
			path := []any{"spec", "egress", i, "to", j}
			peers[j] = AdminPeer{Namespaces: t.Namespaces, Pods: namespacedPod(t.Pods), Nodes: t.Nodes,
				Networks: v.networks(path, t.Networks), networksGiven: has(root, extend(path, "networks")...)}
			for _, d := range t.DomainNames {
				peers[j].DomainNames = append(peers[j].DomainNames, string(d))
			}
			v.domainNames(path, string(r.Action), t.DomainNames, has(root, extend(path, "domainNames")...))
		}
		p.Egress = append(p.Egress, v.rule([]any{"spec", "egress", i}, "to", r.Name, string(r.Action), peers, r.Protocols))
	}
	l.probs = append(l.probs, v.probs...)
	if len(v.probs.Errors()) == 0 {
		l.cluster.AdminPolicies = append(l.cluster.AdminPolicies, p)
	}
}

func namespacedPod(p *cnp.NamespacedPod) *anpv1alpha1.NamespacedPod {
	if p == nil {
		return nil
	}
	return &anpv1alpha1.NamespacedPod{NamespaceSelector: p.NamespaceSelector, PodSelector: p.PodSelector}
}

// cnpValidator checks what the ClusterNetworkPolicy CRD checks, with file and line.
type cnpValidator struct {
	policyValidator
}

const cnpMaxItems = 25

func (v *cnpValidator) count(dir string, n int) {
	if n > cnpMaxItems {
		v.err([]any{"spec", dir}, fmt.Sprintf("at most %d rules, got %d (CNP-1)", cnpMaxItems, n))
	}
}

// subject checks the subject (exactly one of namespaces and pods) and gives it in the shape the engine
// evaluates.
func (v *cnpValidator) subject(s cnp.ClusterNetworkPolicySubject) anpv1alpha1.AdminNetworkPolicySubject {
	path := []any{"spec", "subject"}
	switch {
	case !has(v.root, path...):
		return anpv1alpha1.AdminNetworkPolicySubject{} // reported as required
	case (s.Namespaces == nil) == (s.Pods == nil):
		v.err(path, "must set exactly one of namespaces or pods (CNP-1)")
	case s.Namespaces != nil:
		v.selector(*s.Namespaces, extend(path, "namespaces")...)
	default:
		v.pods(extend(path, "pods"), namespacedPod(s.Pods))
	}
	return anpv1alpha1.AdminNetworkPolicySubject{Namespaces: s.Namespaces, Pods: namespacedPod(s.Pods)}
}

// pods checks a pods subject or peer: the podSelector is required, the namespaceSelector is not.
func (v *cnpValidator) pods(path []any, p *anpv1alpha1.NamespacedPod) {
	v.required(path, "podSelector")
	v.selector(p.NamespaceSelector, extend(path, "namespaceSelector")...)
	v.selector(p.PodSelector, extend(path, "podSelector")...)
}

// networks checks the CIDRs of a networks peer: at most 25, each a CIDR with no host bits set.
func (v *cnpValidator) networks(path []any, cidrs []cnp.CIDR) []netip.Prefix {
	path = extend(path, "networks")
	if has(v.root, path...) && (len(cidrs) == 0 || len(cidrs) > cnpMaxItems) {
		v.err(path, fmt.Sprintf("must have 1 to %d networks, got %d", cnpMaxItems, len(cidrs)))
	}
	var out []netip.Prefix
	seen := map[cnp.CIDR]bool{}
	for i, c := range cidrs {
		p, err := netip.ParsePrefix(string(c))
		switch {
		case seen[c]:
			v.err(extend(path, i), fmt.Sprintf("duplicate value %q: networks is a set", c))
		case err != nil || len(c) > 43:
			v.err(extend(path, i), fmt.Sprintf("invalid CIDR %q", c))
		case p != p.Masked():
			v.err(extend(path, i), fmt.Sprintf("invalid CIDR %q: host bits are set; write %s", c, p.Masked()))
		default:
			out = append(out, p)
		}
		seen[c] = true
	}
	return out
}

// domainNamePattern is the CRD's pattern for a domainNames entry: DNS labels, optionally behind "*.".
var domainNamePattern = regexp.MustCompile(`^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$`)

func (v *cnpValidator) domainNames(path []any, action string, names []cnp.DomainName, given bool) {
	if !given {
		return
	}
	path = extend(path, "domainNames")
	if len(names) == 0 || len(names) > cnpMaxItems {
		v.err(path, fmt.Sprintf("must have 1 to %d domain names, got %d", cnpMaxItems, len(names)))
	}
	seen := map[cnp.DomainName]bool{}
	for i, n := range names {
		if seen[n] {
			v.err(extend(path, i), fmt.Sprintf("duplicate value %q: domainNames is a set", n))
		}
		seen[n] = true
		if !domainNamePattern.MatchString(string(n)) {
			v.err(extend(path, i), fmt.Sprintf("invalid domain name %q: two DNS labels or more, optionally after a leading \"*.\"", n))
		}
	}
	if action != string(cnp.ClusterNetworkPolicyRuleActionAccept) {
		v.warn(path, fmt.Sprintf("domainNames are defined for Accept rules only; the CRD stores this %s rule, and implementations may ignore the peer (CNP-3); zonesim matches it as written", action))
	}
}

// rule checks one rule (action, 1 to 25 peers of exactly one field each, protocols) and converts it.
func (v *cnpValidator) rule(path []any, peersField, name, action string, peers []AdminPeer, protocols []cnp.ClusterNetworkPolicyProtocol) AdminRule {
	r := AdminRule{Name: name, Action: action, Line: lineAt(v.root, path...), Peers: peers, AllPorts: len(protocols) == 0}
	if len(name) > 100 {
		v.err(extend(path, "name"), "at most 100 characters")
	}
	switch cnp.ClusterNetworkPolicyRuleAction(action) {
	case cnp.ClusterNetworkPolicyRuleActionAccept, cnp.ClusterNetworkPolicyRuleActionDeny, cnp.ClusterNetworkPolicyRuleActionPass:
	case "":
		v.err(extend(path, "action"), "required")
	default:
		v.err(extend(path, "action"), fmt.Sprintf("unsupported value %q: must be Accept, Deny or Pass (CNP-2)", action))
	}
	nonPod := v.peers(path, peersField, peers, peerRules{max: cnpMaxItems, ruleID: "CNP-3", pods: v.pods,
		domains: func(pp []any, _ AdminPeer) bool { return has(v.root, extend(pp, "domainNames")...) }})
	if has(v.root, extend(path, "protocols")...) && (len(protocols) == 0 || len(protocols) > cnpMaxItems) {
		v.err(extend(path, "protocols"), fmt.Sprintf("must have 1 to %d protocols, got %d", cnpMaxItems, len(protocols)))
	}
	for i, pr := range protocols {
		pp := extend(path, "protocols", i)
		set := 0
		for _, x := range []struct {
			proto Protocol
			field string
			port  *cnp.Port
			given bool
		}{
			{"TCP", "tcp", portOf(pr.TCP), pr.TCP != nil},
			{"UDP", "udp", portOf(pr.UDP), pr.UDP != nil},
			{"SCTP", "sctp", portOf(pr.SCTP), pr.SCTP != nil},
		} {
			if !x.given {
				continue
			}
			set++
			if port := v.port(extend(pp, x.field), x.proto, x.port); port != nil {
				r.Ports = append(r.Ports, *port)
			}
		}
		if pr.DestinationNamedPort != "" {
			set++
			name := pr.DestinationNamedPort
			r.Ports = append(r.Ports, anpv1alpha1.AdminNetworkPolicyPort{NamedPort: &name})
			if nonPod {
				v.err(extend(pp, "destinationNamedPort"), "networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames")
			}
		}
		if set != 1 {
			v.err(pp, fmt.Sprintf("must set exactly one of tcp, udp, sctp or destinationNamedPort, got %d (CNP-4)", set))
		}
	}
	return r
}

func portOf[T cnp.ClusterNetworkPolicyProtocolTCP | cnp.ClusterNetworkPolicyProtocolUDP | cnp.ClusterNetworkPolicyProtocolSCTP](p *T) *cnp.Port {
	if p == nil {
		return nil
	}
	switch q := any(p).(type) {
	case *cnp.ClusterNetworkPolicyProtocolTCP:
		return q.DestinationPort
	case *cnp.ClusterNetworkPolicyProtocolUDP:
		return q.DestinationPort
	case *cnp.ClusterNetworkPolicyProtocolSCTP:
		return q.DestinationPort
	}
	return nil
}

// port checks a protocol's destinationPort (required: the protocol needs one property; exactly one of
// number and range) and converts it.
func (v *cnpValidator) port(path []any, proto Protocol, p *cnp.Port) *anpv1alpha1.AdminNetworkPolicyPort {
	if p == nil {
		v.err(path, "must have at least 1 property: destinationPort (CNP-4)")
		return nil
	}
	path = extend(path, "destinationPort")
	hasNumber, hasRange := has(v.root, extend(path, "number")...), p.Range != nil
	switch {
	case hasNumber == hasRange:
		v.err(path, "must set exactly one of number or range (CNP-4)")
	case hasNumber:
		v.portNumber(p.Number, extend(path, "number")...)
		return &anpv1alpha1.AdminNetworkPolicyPort{PortNumber: &anpv1alpha1.Port{Protocol: proto, Port: p.Number}}
	default:
		rp := extend(path, "range")
		v.required(rp, "start", "end")
		v.portNumber(p.Range.Start, extend(rp, "start")...)
		v.portNumber(p.Range.End, extend(rp, "end")...)
		if p.Range.Start >= p.Range.End {
			v.err(rp, fmt.Sprintf("Start port must be less than End port (start %d, end %d) (CNP-4)", p.Range.Start, p.Range.End))
		}
		return &anpv1alpha1.AdminNetworkPolicyPort{PortRange: &anpv1alpha1.PortRange{Protocol: proto, Start: p.Range.Start, End: p.Range.End}}
	}
	return nil
}
