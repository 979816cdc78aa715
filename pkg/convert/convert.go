// Package convert writes the ClusterNetworkPolicy (policy.networking.k8s.io v1alpha2 or v1beta1) that
// does what each v1alpha1 admin policy (AdminNetworkPolicy, BaselineAdminNetworkPolicy) of a cluster does,
// and proves it: the reachability matrix computed with the old objects equals the one computed with the
// new objects, read back as a user would apply them (CNP-6).
package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	anpv1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	"sigs.k8s.io/yaml"

	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// OutputName names the converted objects where the proof cites their lines: the lines of what convert
// writes.
const OutputName = "(convert's output)"

// BaselinePriority is the priority of the ClusterNetworkPolicy a BaselineAdminNetworkPolicy becomes: the
// last of the Baseline tier, where the engine takes the BaselineAdminNetworkPolicy (CNP-5).
const BaselinePriority = 1000

// Object is one converted policy.
type Object struct {
	From *model.AdminPolicy
	To   *cnp.ClusterNetworkPolicy
	// Notes say what the conversion changed in form (never in effect): a port range of one port written
	// as a number, a rule that matched nothing left out.
	Notes []string
}

// Result is the conversion of a cluster's v1alpha1 admin policies.
type Result struct {
	Objects []Object
	// Errors are the policies that cannot be written as a ClusterNetworkPolicy; they are left out, and
	// Refused are those policies: they stay in the cluster, as they are.
	Errors  []error
	Refused []*model.AdminPolicy
}

// Convert converts every AdminNetworkPolicy and the BaselineAdminNetworkPolicy of c, in the tier order,
// writing apiVersion (one of model.ClusterPolicyAPIVersions).
func Convert(c *model.Cluster, apiVersion string) (*Result, error) {
	if !slices.Contains(model.ClusterPolicyAPIVersions, apiVersion) {
		return nil, fmt.Errorf("--api-version %q: use one of %v", apiVersion, model.ClusterPolicyAPIVersions)
	}
	// The names a ClusterNetworkPolicy written now must not take: the input's ClusterNetworkPolicies
	// (applying one of their names would replace them), and the names given so far.
	taken := map[string]string{}
	for _, p := range c.AdminPolicies {
		if p.Kind == "ClusterNetworkPolicy" {
			taken[p.Name] = fmt.Sprintf("ClusterNetworkPolicy %s (%s)", p.Name, p.Source)
		}
	}
	res := &Result{}
	var convert []*model.AdminPolicy
	for _, p := range append(slices.Clone(c.AdminPolicies), c.Baseline) {
		if p != nil && p.Kind != "ClusterNetworkPolicy" {
			convert = append(convert, p)
		}
	}
	// The AdminNetworkPolicies keep their names where they can; the baseline is named after them.
	slices.SortStableFunc(convert, func(a, b *model.AdminPolicy) int {
		return boolInt(a.Kind == "BaselineAdminNetworkPolicy") - boolInt(b.Kind == "BaselineAdminNetworkPolicy")
	})
	for _, p := range convert {
		o, err := convertOne(p, apiVersion, taken)
		if err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("%s (%s): %w", p.Key(), p.Source, err))
			res.Refused = append(res.Refused, p)
			continue
		}
		res.Objects = append(res.Objects, o)
	}
	return res, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// freeName is the first of name, prefix-name, prefix-name-2, ... that no object takes, and the note
// that says why the name changed.
func freeName(name, prefix string, taken map[string]string) (string, string) {
	if _, ok := taken[name]; !ok {
		return name, ""
	}
	holder := taken[name]
	for i := 1; ; i++ {
		n := prefix + "-" + name
		if i > 1 {
			n += fmt.Sprintf("-%d", i)
		}
		if _, ok := taken[n]; !ok {
			return n, fmt.Sprintf("named %s: %s takes the name %s", n, holder, name)
		}
	}
}

func convertOne(p *model.AdminPolicy, apiVersion string, taken map[string]string) (Object, error) {
	o := Object{From: p}
	name, tier, priority := p.Name, cnp.AdminTier, p.Priority
	prefix := "anp"
	if p.Kind == "BaselineAdminNetworkPolicy" {
		tier, priority, prefix = cnp.BaselineTier, BaselinePriority, "baseline"
	}
	name, note := freeName(name, prefix, taken)
	if note != "" {
		o.Notes = append(o.Notes, note)
	}
	defer func() {
		if o.To != nil {
			taken[name] = fmt.Sprintf("the ClusterNetworkPolicy written for %s %s", p.Kind, p.Name)
		}
	}()
	to := &cnp.ClusterNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: apiVersion, Kind: "ClusterNetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       cnp.ClusterNetworkPolicySpec{Tier: tier, Priority: priority},
	}
	s := p.Subject
	to.Spec.Subject.Namespaces = s.Namespaces
	if s.Pods != nil {
		to.Spec.Subject.Pods = &cnp.NamespacedPod{NamespaceSelector: s.Pods.NamespaceSelector, PodSelector: s.Pods.PodSelector}
	}
	for d, rules := range [2][]model.AdminRule{p.Ingress, p.Egress} {
		dir := [2]string{"ingress", "egress"}[d]
		if len(rules) > maxItems {
			return o, fmt.Errorf("not supported: %d %s rules; a ClusterNetworkPolicy holds at most %d", len(rules), dir, maxItems)
		}
		for i, r := range rules {
			at := fmt.Sprintf("%s[%d]", dir, i)
			protocols, matches, notes, err := protocolsOf(r)
			if err != nil {
				return o, fmt.Errorf("%s: %w", at, err)
			}
			for _, n := range notes {
				o.Notes = append(o.Notes, at+": "+n)
			}
			if !matches {
				o.Notes = append(o.Notes, at+": left out: none of its ports matches a port (every portRange has start above end)")
				continue
			}
			if len(r.Peers) > maxItems {
				return o, fmt.Errorf("%s: not supported: %d peers; a rule holds at most %d", at, len(r.Peers), maxItems)
			}
			action := cnp.ClusterNetworkPolicyRuleAction(r.Action)
			if r.Action == "Allow" {
				action = cnp.ClusterNetworkPolicyRuleActionAccept
			}
			if d == 0 {
				in := cnp.ClusterNetworkPolicyIngressRule{Name: r.Name, Action: action, Protocols: protocols}
				for _, peer := range r.Peers {
					in.From = append(in.From, cnp.ClusterNetworkPolicyIngressPeer{Namespaces: peer.Namespaces, Pods: pods(peer.Pods)})
				}
				to.Spec.Ingress = append(to.Spec.Ingress, in)
				continue
			}
			out := cnp.ClusterNetworkPolicyEgressRule{Name: r.Name, Action: action, Protocols: protocols}
			for _, peer := range r.Peers {
				ep := cnp.ClusterNetworkPolicyEgressPeer{Namespaces: peer.Namespaces, Pods: pods(peer.Pods), Nodes: peer.Nodes}
				for _, n := range peer.Networks {
					ep.Networks = append(ep.Networks, cnp.CIDR(n.Masked().String()))
				}
				for _, n := range peer.DomainNames {
					ep.DomainNames = append(ep.DomainNames, cnp.DomainName(n))
				}
				if len(peer.DomainNames) > 0 {
					o.Notes = append(o.Notes, at+": domainNames: zonesim does not model them in an AdminNetworkPolicy (they match nothing) and matches them "+
						"against the scenario's external endpoints in a ClusterNetworkPolicy (CNP-3); the proof shows where that differs")
				}
				out.To = append(out.To, ep)
			}
			to.Spec.Egress = append(to.Spec.Egress, out)
		}
	}
	o.To = to
	return o, nil
}

const maxItems = 25

func pods(p *anpv1alpha1.NamespacedPod) *cnp.NamespacedPod {
	if p == nil {
		return nil
	}
	return &cnp.NamespacedPod{NamespaceSelector: p.NamespaceSelector, PodSelector: p.PodSelector}
}

// protocolsOf writes a rule's ports as protocols; matches is false when the rule names ports and none can
// match (a portRange with start above end matches no port, which a ClusterNetworkPolicy cannot say).
func protocolsOf(r model.AdminRule) (out []cnp.ClusterNetworkPolicyProtocol, matches bool, notes []string, err error) {
	if r.AllPorts {
		return nil, true, nil, nil
	}
	for i, p := range r.Ports {
		var port *cnp.Port
		var proto model.Protocol
		switch {
		case p.PortNumber != nil:
			proto, port = p.PortNumber.Protocol, &cnp.Port{Number: p.PortNumber.Port}
		case p.PortRange != nil:
			proto = p.PortRange.Protocol
			switch {
			case p.PortRange.Start > p.PortRange.End:
				notes = append(notes, fmt.Sprintf("ports[%d]: left out: portRange %d-%d matches no port", i, p.PortRange.Start, p.PortRange.End))
				continue
			case p.PortRange.Start == p.PortRange.End: // a ClusterNetworkPolicy range needs start < end
				port = &cnp.Port{Number: p.PortRange.Start}
				notes = append(notes, fmt.Sprintf("ports[%d]: portRange %d-%d written as the number %d", i, p.PortRange.Start, p.PortRange.End, p.PortRange.Start))
			default:
				port = &cnp.Port{Range: &cnp.PortRange{Start: p.PortRange.Start, End: p.PortRange.End}}
			}
		case p.NamedPort != nil:
			out = append(out, cnp.ClusterNetworkPolicyProtocol{DestinationNamedPort: *p.NamedPort})
			continue
		}
		if proto == "" {
			proto = "TCP"
		}
		var pr cnp.ClusterNetworkPolicyProtocol
		switch proto {
		case "TCP":
			pr.TCP = &cnp.ClusterNetworkPolicyProtocolTCP{DestinationPort: port}
		case "UDP":
			pr.UDP = &cnp.ClusterNetworkPolicyProtocolUDP{DestinationPort: port}
		case "SCTP":
			pr.SCTP = &cnp.ClusterNetworkPolicyProtocolSCTP{DestinationPort: port}
		}
		out = append(out, pr)
	}
	if len(out) > maxItems {
		return nil, false, nil, fmt.Errorf("not supported: %d ports; a rule holds at most %d protocols", len(out), maxItems)
	}
	return out, len(out) > 0, notes, nil
}

// Manifest is the converted object as a user writes it: no status (the implementation's to write), no
// empty creationTimestamp.
func (o Object) Manifest() (map[string]any, error) {
	raw, err := json.Marshal(o.To)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if meta, ok := m["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	return m, nil
}

// YAML writes the converted objects as YAML documents, each after a comment naming what it replaces.
func (r *Result) YAML() ([]byte, error) {
	var b bytes.Buffer
	for i, o := range r.Objects {
		m, err := o.Manifest()
		if err != nil {
			return nil, err
		}
		y, err := yaml.Marshal(m)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		fmt.Fprintf(&b, "# replaces %s %s (%s)\n", o.From.Kind, o.From.Name, o.From.Source)
		for _, n := range o.Notes {
			fmt.Fprintf(&b, "# %s\n", n)
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}

// After is the cluster with the converted objects, read back from their YAML, in place of the v1alpha1
// admin policies: the input of the proof's second matrix.
func (r *Result) After(c *model.Cluster) (*model.Cluster, error) {
	data, err := r.YAML()
	if err != nil {
		return nil, err
	}
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes(OutputName, data)
	back, err := l.Cluster()
	if err != nil {
		return nil, fmt.Errorf("the converted objects do not read back: %w", err)
	}
	after := *c
	after.AdminPolicies, after.Baseline = nil, nil
	for _, p := range c.AdminPolicies {
		if p.Kind == "ClusterNetworkPolicy" || slices.Contains(r.Refused, p) {
			after.AdminPolicies = append(after.AdminPolicies, p) // a refused policy stays as it is
		}
	}
	if slices.Contains(r.Refused, c.Baseline) {
		after.Baseline = c.Baseline
	}
	after.AdminPolicies = append(after.AdminPolicies, back.AdminPolicies...)
	after.Contents = nil // admin policies are cluster-wide: every cell is compared
	after.SortAdminPolicies()
	return &after, nil
}

// Prove compares the matrix of level of the input with the one of the converted input, both on the
// profile that enforces both APIs, and explains every cell that differs.
func Prove(c *model.Cluster, r *Result, zoneLabel string, level simulate.Level, pairs int) (*simulate.MatrixDiff, error) {
	after, err := r.After(c)
	if err != nil {
		return nil, err
	}
	p, err := simulate.LookupProfile("generic")
	if err != nil {
		return nil, err
	}
	be, ae := simulate.New(c, p, zoneLabel), simulate.New(after, p, zoneLabel)
	d, nodes, err := simulate.DiffEngines(be, ae, level)
	if err != nil {
		return nil, err
	}
	d.Explain(be, ae, nodes, pairs)
	return d, nil
}
