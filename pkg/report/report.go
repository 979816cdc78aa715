// Package report writes every output zonesim prints, in one place: query results, matrices, contract
// checks, diffs, e2e and apply results, audits; for people (tables) and machines (JSON, CSV, JUnit,
// SARIF, ...). It formats data and runs nothing: it imports no cluster client.
package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// Table is every command's default output format, a readable table; "text" is accepted as its alias.
const Table = "table"

// The -o values each command accepts; the first is the default.
var (
	QueryFormats   = []string{Table, "json"}
	MatrixFormats  = []string{Table, "json", "csv", "md", "dot", "html", "svg"}
	CheckFormats   = []string{Table, "json", "junit", "sarif", "html"}
	DiffFormats    = []string{Table, "json", "md", "html"}
	E2EFormats     = []string{Table, "json", "junit"}
	AuditFormats   = []string{Table, "json"}
	ApplyFormats   = []string{Table, "json"}
	VersionFormats = []string{Table, "json"}
)

// ParseFormat returns the format f names, or an error naming the accepted ones; "text" is "table".
func ParseFormat(f string, accepted []string) (string, error) {
	if f == "text" {
		f = Table
	}
	for _, a := range accepted {
		if f == a {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown output format %q: use one of %s", f, strings.Join(accepted, ", "))
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func src(s model.Source) string {
	if s.File == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", filepath.ToSlash(s.File), s.Line)
}

// WriteQuery writes a query result as text: the verdict, then each explained pair.
func WriteQuery(w io.Writer, r *simulate.QueryResult) error {
	bw := bufio.NewWriter(w)
	port := ""
	if r.Port != "" {
		port = " on " + r.Port
	}
	fmt.Fprintf(bw, "%s: %s -> %s%s\n", r.Verdict, r.From, r.To, port)
	writeCaveats(bw, r.Caveats)
	if r.Port != "" { // the allowed connections are listed whole, so the asked port is seen among them
		fmt.Fprintf(bw, "connections (every port, not only %s): %s\n", r.Port, strings.Join(nonEmpty(r.Connections), ", "))
	} else {
		fmt.Fprintf(bw, "connections: %s\n", strings.Join(nonEmpty(r.Connections), ", "))
	}
	if r.Pairs.Total > 1 {
		fmt.Fprintf(bw, "pod pairs allowed: %d of %d\n", r.Pairs.Allowed, r.Pairs.Total)
	}
	for _, p := range r.Results {
		verdict := "denied"
		if p.Allowed {
			verdict = "allowed"
		}
		fmt.Fprintf(bw, "\n%s -> %s: %s (%s)\n", p.From, p.To, verdict, strings.Join(nonEmpty(p.Connections), ", "))
		if p.Reason != "" {
			fmt.Fprintf(bw, "  note: %s\n", p.Reason)
		}
		for _, s := range []*simulate.Side{p.Egress, p.Ingress} {
			if s != nil {
				writeSide(bw, s)
			}
		}
		for _, st := range p.Steps {
			at := ""
			if st.Source.File != "" {
				at = " (" + src(st.Source) + ")"
			}
			obj := st.Object
			if obj != "" {
				obj += at + ": "
			}
			fmt.Fprintf(bw, "  %-15s %s%s\n", st.Step, obj, st.Detail)
		}
	}
	if r.Omitted > 0 {
		fmt.Fprintf(bw, "\n(%d more pairs not shown; use --details to show more)\n", r.Omitted)
	}
	return bw.Flush()
}

func nonEmpty(conns []string) []string {
	if len(conns) == 0 {
		return []string{"none"}
	}
	return conns
}

func writeSide(w io.Writer, s *simulate.Side) {
	who := s.Pod
	if who == "" {
		who = "-"
	}
	fmt.Fprintf(w, "  %-15s %s: ", s.Direction, who)
	if s.AdminTiers {
		writeAdminSide(w, s)
		return
	}
	if len(s.Policies) == 0 {
		fmt.Fprintf(w, "%s\n", s.Reason)
		return
	}
	var names []string
	for _, p := range s.Policies {
		names = append(names, fmt.Sprintf("%s (%s)", p.Name, src(p.Source)))
	}
	fmt.Fprintf(w, "isolated by %s\n", strings.Join(names, ", "))
	if len(s.Rules) == 0 {
		fmt.Fprintf(w, "%18sno rule allows it (NP-3)\n", "")
	}
	for _, h := range s.Rules {
		fmt.Fprintf(w, "%18sallowed by %s %s[%d]%s: %s\n", "", h.Policy.Name, s.Direction, h.Rule, ruleAt(h.Policy, h.Line), strings.Join(h.Conns, ", "))
	}
	if len(s.Rules) == 0 {
		for _, m := range s.Misses {
			fmt.Fprintf(w, "%18snot %s %s[%d]%s: %s\n", "", m.Policy.Name, s.Direction, m.Rule, ruleAt(m.Policy, m.Line), m.Why)
		}
	}
}

// writeAdminSide shows a side the admin tiers took part in: each deciding admin rule, then what
// NetworkPolicy decided for the rest.
func writeAdminSide(w io.Writer, s *simulate.Side) {
	fmt.Fprintf(w, "%s\n", s.Reason)
	for _, h := range s.Admin {
		prio := ""
		switch {
		case strings.HasPrefix(h.Policy.Name, "ClusterNetworkPolicy/"):
			prio = fmt.Sprintf(" (%s tier, priority %d)", h.Tier, *h.Priority)
		case h.Priority != nil:
			prio = fmt.Sprintf(" (priority %d)", *h.Priority)
		}
		name := ""
		if h.Name != "" {
			name = fmt.Sprintf(" %q", h.Name)
		}
		fmt.Fprintf(w, "%18s%s %s%s %s[%d]%s%s: %s\n", "", strings.ToLower(h.Action), h.Policy.Name, prio, s.Direction, h.Rule, name, ruleAt(h.Policy, h.Line), strings.Join(h.Conns, ", "))
	}
	if len(s.Policies) > 0 {
		var names []string
		for _, p := range s.Policies {
			names = append(names, fmt.Sprintf("%s (%s)", p.Name, src(p.Source)))
		}
		fmt.Fprintf(w, "%18sisolated by %s\n", "", strings.Join(names, ", "))
		for _, h := range s.Rules {
			fmt.Fprintf(w, "%18sallowed by %s %s[%d]%s: %s\n", "", h.Policy.Name, s.Direction, h.Rule, ruleAt(h.Policy, h.Line), strings.Join(h.Conns, ", "))
		}
	}
}

func ruleAt(p simulate.PolicyRef, line int) string {
	if line == 0 || p.Source.File == "" {
		return ""
	}
	return fmt.Sprintf(" (%s:%d)", filepath.ToSlash(p.Source.File), line)
}

// MatrixJSON is the documented JSON shape of a matrix (docs/json-schema.md).
// writeCaveats writes a verdict's caveats, one "caveat:" line each, next to it.
func writeCaveats(w io.Writer, caveats []simulate.Caveat) {
	for _, c := range caveats {
		fmt.Fprintf(w, "caveat: %s\n", c)
	}
}
