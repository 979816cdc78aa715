// Package audit checks captured or logged traffic against the model: every connection a capture or a
// flow log shows is looked up in the engine; traffic that got through although the model denies it is
// a violation, and traffic a log shows dropped although the model allows it is a drop. A capture
// taken outside the cluster sees egress identities, not pods: a source address is then matched to the
// pods that leave with it (EgressIP, node IP).
package audit

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/zonesim/zonesim/pkg/capture"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// Flow is one connection a capture shows (see package capture).
type Flow = capture.Flow

// Statuses of a flow: observed as modelled (ok, blocked), or not (violation: answered although the model
// denies it; unanswered: allowed, but nothing answered).
const (
	OK         = "ok"
	Blocked    = "blocked"
	Unanswered = "unanswered"
	Violation  = "violation"
	// Dropped: a flow log shows it dropped although the model allows it.
	Dropped = "dropped"
	// Unexpected: it comes from an address of a zone's egress range that no pod leaves with (ZN-6): an
	// egress IP the model does not know, or one that moved.
	Unexpected = "unexpected-identity"
	// NotModelled: the model has nothing to say of it (an address family or hosts it does not hold).
	NotModelled = "not-modelled"
)

// Verdict is what the model says of one observed flow.
type Verdict struct {
	Flow
	// From is who the model takes the source for: a pod, pods leaving with that egress identity, or an
	// address outside the cluster.
	From    string `json:"from"`
	To      string `json:"to"`
	Allowed bool   `json:"allowed"`
	// Status: "ok" (observed as modelled), "violation" (answered although denied), "unanswered"
	// (allowed, but nothing answered), "blocked" (denied, and not answered: as modelled).
	Status string `json:"status"`
	// Query reproduces the model's verdict.
	Query string `json:"query"`
	// DecidedBy is the object whose ACL logged the flow, read from the ACL's name.
	DecidedBy string `json:"decidedBy,omitempty"`
}

// Options say how the queries that reproduce a verdict name the input: the run's input flags
// (simulate.InputArgs, or the command line's).
type Options struct {
	Input []string
}

// Check looks every flow up in the engine.
func Check(e *simulate.Engine, flows []Flow, opts Options) []Verdict {
	// egress identity -> the pods that may leave with it: every hosted egress IP of theirs (traffic is
	// spread over them), or the IPs of the nodes they may run on
	identities := map[netip.Addr][]*model.Pod{}
	for _, p := range e.Cluster.Pods {
		for _, id := range e.EgressIdentities(p, netip.Addr{}).Identities {
			identities[id.IP] = append(identities[id.IP], p)
		}
	}
	var out []Verdict
	for _, f := range flows {
		v := Verdict{Flow: f, From: f.Src.String(), To: f.Dst.String()}
		port := &simulate.PortSpec{Protocol: model.Protocol(f.Protocol), Lo: f.Port, Hi: f.Port}
		dst, err := e.ResolveEndpoint(f.Dst.String())
		if err == nil {
			v.To = dst.Name
		}
		var sources []*simulate.Endpoint
		if src, err := e.ResolveEndpoint(f.Src.String()); err == nil && src.Kind == "pod" {
			sources = append(sources, src)
			v.From = src.Name
		} else if pods := identities[f.Src]; len(pods) > 0 && dst != nil && dst.Kind != "pod" {
			var names []string
			for _, p := range pods {
				if ep, err := e.ResolveEndpoint(p.Key()); err == nil {
					sources = append(sources, ep)
					names = append(names, p.Key())
				}
			}
			v.From = fmt.Sprintf("%s (egress identity of %s)", f.Src, strings.Join(names, ", "))
		} else if err == nil {
			sources = append(sources, src)
			v.From = src.Name
		}
		for _, src := range sources {
			if dst == nil {
				break
			}
			r, err := e.Query(src, dst, port, 1) // src is one pod or address: one pair, explained
			if err != nil {
				continue
			}
			query := simulate.QueryCommand(opts.Input, src.Name, f.Dst.String(), fmt.Sprintf("%s/%d", strings.ToLower(f.Protocol), f.Port))
			if v.Query == "" {
				v.Query = query
			}
			// Outside the cluster the source is one of the pod's identities; the model follows the flow
			// from the first of them, and the endpoint's allowlist must hold the one seen.
			if x := dst.Members[0].External; r.Allowed && (len(identities[f.Src]) == 0 || x == nil || len(x.AcceptsFrom) == 0 || model.ContainsAddr(x.AcceptsFrom, f.Src)) {
				v.Allowed, v.Query = true, query
				break
			}
		}
		v.DecidedBy = ACLObject(f.ACL)
		if a, ok := parseACL(f.ACL); ok && !a.inModel(e.Cluster) {
			v.DecidedBy += " (not in the input)"
		}
		zone := egressRangeZone(e, f.Src)
		switch {
		case zone != "" && len(identities[f.Src]) == 0 && (f.Answered || f.Logged == capture.LogDrop):
			v.Status = Unexpected
			v.From = fmt.Sprintf("%s (in zone %s's egress range, the egress identity of no pod)", f.Src, zone)
		case v.Query == "":
			v.Status = NotModelled // neither end is something the model can ask about
		case v.Allowed && f.Answered:
			v.Status = OK
		case v.Allowed && f.Logged == capture.LogDrop:
			v.Status = Dropped
		case v.Allowed:
			v.Status = Unanswered
		case f.Answered:
			v.Status = Violation
		default:
			v.Status = Blocked
		}
		out = append(out, v)
	}
	return out
}

// egressRangeZone names the zone whose egress ranges hold ip ("" for none).
func egressRangeZone(e *simulate.Engine, ip netip.Addr) string {
	if e.Cluster.Scenario == nil {
		return ""
	}
	for _, z := range e.Cluster.Scenario.Zones {
		if model.ContainsAddr(z.EgressRanges, ip) {
			return z.Name
		}
	}
	return ""
}

// acl is what an OVN-Kubernetes ACL's name says of the object behind it: NP:ns:Ingress (the namespace's
// default deny), NP:ns:policy:Ingress:0, ANP:name:Egress:1, BANP:name:Ingress:0, EF:ns:0, or the older
// ns_policy.
type acl struct {
	kind, namespace, name, direction, rule string
}

// parseACL reads an ACL's name; ok is false for one in none of those forms.
func parseACL(name string) (a acl, ok bool) {
	p := strings.Split(name, ":")
	switch {
	case p[0] == "NP" && len(p) == 3:
		return acl{kind: "deny", namespace: p[1], direction: p[2]}, true
	case p[0] == "NP" && len(p) == 5:
		return acl{kind: "NetworkPolicy", namespace: p[1], name: p[2], direction: p[3], rule: p[4]}, true
	case (p[0] == "ANP" || p[0] == "BANP") && len(p) == 4:
		kind := map[string]string{"ANP": "AdminNetworkPolicy", "BANP": "BaselineAdminNetworkPolicy"}[p[0]]
		return acl{kind: kind, name: p[1], direction: p[2], rule: p[3]}, true
	case p[0] == "EF" && len(p) == 3:
		return acl{kind: "EgressFirewall", namespace: p[1], name: "default", rule: p[2]}, true
	case len(p) == 1 && strings.Contains(name, "_"):
		ns, policy, _ := strings.Cut(name, "_") // a namespace has no "_": the first one ends it
		return acl{kind: "NetworkPolicy", namespace: ns, name: policy}, true
	}
	return acl{}, false
}

// String names the object and its rule.
func (a acl) String() string {
	rule := ""
	if a.direction != "" && a.rule != "" {
		rule = fmt.Sprintf(" %s[%s]", strings.ToLower(a.direction), a.rule)
	}
	switch a.kind {
	case "deny":
		return fmt.Sprintf("the %s default deny of namespace %s (its pods are isolated, NP-2, NP-3)", strings.ToLower(a.direction), a.namespace)
	case "EgressFirewall":
		return fmt.Sprintf("EgressFirewall %s/default rule %s", a.namespace, a.rule)
	case "NetworkPolicy":
		return "NetworkPolicy " + a.namespace + "/" + a.name + rule
	}
	return a.kind + " " + a.name + rule
}

// inModel says whether the object is in the input (a namespace's default deny always is).
func (a acl) inModel(c *model.Cluster) bool {
	switch a.kind {
	case "NetworkPolicy":
		return slices.ContainsFunc(c.Policies, func(p *model.NetworkPolicy) bool { return p.Namespace == a.namespace && p.Name == a.name })
	case "AdminNetworkPolicy":
		return slices.ContainsFunc(c.AdminPolicies, func(p *model.AdminPolicy) bool { return p.Name == a.name })
	case "BaselineAdminNetworkPolicy":
		return c.Baseline != nil && c.Baseline.Name == a.name
	case "EgressFirewall":
		return c.EgressFirewallOf(a.namespace) != nil
	}
	return true
}

// ACLObject names the object behind an OVN-Kubernetes ACL, from the ACL's name (see acl); a name it
// cannot read is returned as it is.
func ACLObject(name string) string {
	if a, ok := parseACL(name); ok {
		return a.String()
	}
	return name
}

// Violations counts the flows that got through although the model denies them.
func Violations(verdicts []Verdict) int { return count(verdicts, Violation) }

// Drops counts the flows a log shows dropped although the model allows them.
func Drops(verdicts []Verdict) int { return count(verdicts, Dropped) }

// UnexpectedIdentities counts the flows from an egress range address no pod leaves with.
func UnexpectedIdentities(verdicts []Verdict) int { return count(verdicts, Unexpected) }

func count(verdicts []Verdict, status string) int {
	n := 0
	for _, v := range verdicts {
		if v.Status == status {
			n++
		}
	}
	return n
}
