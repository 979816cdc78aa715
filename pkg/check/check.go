// Package check verifies a cluster against its zone contract (SEMANTICS ZN-*, OB-*): every finding names
// its rule, the objects involved with file:line, a query command that reproduces the offending flow, and
// a suggested fix.
package check

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// Severity orders findings; --fail-on compares against it.
type Severity int

// Severities, least severe first.
const (
	Info Severity = iota
	Warning
	Error
)

var severityNames = []string{"info", "warning", "error"}

func (s Severity) String() string { return severityNames[s] }

// MarshalText writes the severity as its name in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseSeverity reads info, warning, error or none (none: never fail).
func ParseSeverity(s string) (Severity, bool, error) {
	if s == "none" {
		return 0, false, nil
	}
	for i, n := range severityNames {
		if n == s {
			return Severity(i), true, nil
		}
	}
	return 0, false, fmt.Errorf("unknown severity %q: use error, warning, info or none", s)
}

// Object is an object a finding involves.
type Object struct {
	Kind   string       `json:"kind"`
	Name   string       `json:"name"`
	Source model.Source `json:"source"`
}

// Finding is one violation or risk.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Objects  []Object `json:"objects,omitempty"`
	// Query reproduces the offending flow.
	Query string `json:"query,omitempty"`
	Fix   string `json:"fix"`
}

// Report is the result of a check run.
type Report struct {
	Scenario string    `json:"scenario,omitempty"`
	Checked  []string  `json:"checked"`
	Skipped  []string  `json:"skipped,omitempty"`
	Findings []Finding `json:"findings"`
}

// Count returns how many findings are at or above s.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity >= s {
			n++
		}
	}
	return n
}

// Options say how reproducing commands name the input.
type Options struct {
	// Input are the run's input flags (-f, -k, --chart, --cni, ...: simulate.InputArgs or the command
	// line's), repeated in each finding's query command.
	Input []string
}

type checker struct {
	e      *simulate.Engine
	c      *model.Cluster
	sc     *model.Scenario
	opts   Options
	report *Report
	zoneOf map[string]string // namespace -> zone, for zoned application namespaces
}

func newChecker(e *simulate.Engine, opts Options) *checker {
	ch := &checker{e: e, c: e.Cluster, sc: e.Cluster.Scenario, opts: opts, report: &Report{Checked: []string{}, Findings: []Finding{}}, zoneOf: map[string]string{}}
	if ch.sc != nil {
		ch.report.Scenario = ch.sc.Name
	}
	for _, ns := range ch.c.Namespaces {
		if z := ns.Zone(e.ZoneLabel); z != "" && !ch.platform(ns.Name) {
			ch.zoneOf[ns.Name] = z
		}
	}
	return ch
}

// Run checks every rule the input can be checked against.
func Run(e *simulate.Engine, opts Options) *Report {
	ch := newChecker(e, opts)
	type rule struct {
		id    string
		needs bool
		why   string
		run   func()
	}
	has := ch.sc != nil
	rules := []rule{
		{"ZN-1", true, "", ch.membership},
		{"ZN-3", has, "needs a Scenario with a contract", ch.zoneFlows},
		{"ZN-4", has, "needs a Scenario (inbound zones, VIPs, perimeter)", ch.inbound},
		{"ZN-5", len(ch.c.Routes) > 0 || len(ch.c.IngressControllers) > 0, "no Route or IngressController in the input", ch.routerShards},
		{"ZN-6", has, "needs a Scenario (zone egress ranges)", ch.egressIdentity},
		{"ZN-7", has && ch.sc.Contract.ComputeIsolation, "the contract does not ask for compute isolation", ch.computeIsolation},
		{"ZN-8", has && ch.sc.Contract.StorageIsolation, "the contract does not ask for storage isolation", ch.storageIsolation},
		{"ZN-9", has && len(ch.c.Nodes) > 0, "needs a Scenario with nodes", ch.nodeToNode},
		{"ZN-10", true, "", ch.ownership},
		{"OB-1", has && len(ch.sc.Contract.OutboundOnly) > 0, "the contract names no outbound-only namespace", ch.outboundOnly},
		{"OB-2", has, "needs a Scenario", ch.egressScope},
		{"OB-3", has && len(ch.sc.Contract.Egress) > 0, "the contract lists no external egress", ch.egressContract},
		{"OB-5", has && len(ch.sc.Contract.Egress) > 0, "the contract lists no external egress", ch.probeCoverage},
		{"OB-6", has && ch.sc.Contract.PullThrough != nil, "the contract names no proxy or mirror for builds (pullThrough)", ch.pullThrough},
	}
	for _, r := range rules {
		if !r.needs {
			ch.report.Skipped = append(ch.report.Skipped, r.id+": "+r.why)
			continue
		}
		ch.report.Checked = append(ch.report.Checked, r.id)
		r.run()
	}
	ch.unmodelled()
	sort.SliceStable(ch.report.Findings, func(i, j int) bool {
		a, b := ch.report.Findings[i], ch.report.Findings[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		return ruleLess(a.Rule, b.Rule)
	})
	return ch.report
}

func (ch *checker) add(f Finding) { ch.report.Findings = append(ch.report.Findings, f) }

// unmodelled reports each object of a kind that changes reachability but that zonesim does not evaluate:
// the contract's verdicts about its pods may not be what the cluster enforces.
func (ch *checker) unmodelled() {
	for _, u := range ch.c.Unmodelled {
		scope := "every pod's verdicts"
		if u.Namespace != "" {
			scope = "the verdicts about namespace " + u.Namespace
		}
		ch.add(Finding{Rule: "UNMODELLED", Severity: Warning,
			Message: fmt.Sprintf("%s is not modelled (%s): %s may differ from what the cluster enforces", u.Key(), u.Effect, scope),
			Objects: []Object{{Kind: u.Kind, Name: strings.TrimPrefix(u.Key(), u.Kind+" "), Source: u.Source}},
			Fix:     "review it by hand against the findings above; --strict makes it an error"})
	}
}

// query renders the command that reproduces a flow.
func (ch *checker) query(from, to, port string) string {
	return simulate.QueryCommand(ch.opts.Input, from, to, port)
}

func (ch *checker) platform(ns string) bool {
	patterns := model.DefaultPlatformNamespaces
	if ch.sc != nil {
		patterns = ch.sc.Contract.PlatformNamespaces
	}
	for _, p := range patterns {
		if ok, _ := filepath.Match(p, ns); ok {
			return true
		}
	}
	return false
}

func nsObject(ns *model.Namespace) Object {
	return Object{Kind: "Namespace", Name: ns.Name, Source: ns.Source}
}

func policyObjects(sides ...*simulate.Side) []Object {
	var out []Object
	seen := map[string]bool{}
	for _, s := range sides {
		if s == nil {
			continue
		}
		for _, r := range s.Rules {
			if !seen[r.Policy.Name] {
				seen[r.Policy.Name] = true
				out = append(out, Object{Kind: "NetworkPolicy", Name: r.Policy.Name, Source: model.Source{File: r.Policy.Source.File, Line: r.Line}})
			}
		}
	}
	return out
}

// explain runs a query and returns the first allowed pair's deciding policies.
func (ch *checker) explain(from, to string) []Object {
	src, err1 := ch.e.ResolveEndpoint(from)
	dst, err2 := ch.e.ResolveEndpoint(to)
	if err1 != nil || err2 != nil {
		return nil
	}
	res, err := ch.e.Query(src, dst, nil, 1<<20)
	if err != nil {
		return nil
	}
	for _, p := range res.Results {
		if p.Allowed {
			return policyObjects(p.Egress, p.Ingress)
		}
	}
	return nil
}

// ruleLess orders rule IDs by family, then number: ZN-3 before ZN-10.
func ruleLess(a, b string) bool {
	fa, na := splitRule(a)
	fb, nb := splitRule(b)
	if fa != fb {
		return fa < fb
	}
	return na < nb
}

func splitRule(id string) (string, int) {
	fam, num, _ := strings.Cut(id, "-")
	n := 0
	fmt.Sscanf(num, "%d", &n)
	return fam, n
}

// zoned lists the zoned application namespaces in name order, so findings come out deterministically.
func (ch *checker) zoned() []string {
	out := make([]string, 0, len(ch.zoneOf))
	for ns := range ch.zoneOf {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}
