package simulate

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
)

// Impact analysis: two models' matrices, cell by cell, and for each changed cell the policy rules that
// decide a changed pod pair differently.

// CellTexts is a matrix as the text of each cell (Cell.Text), the form a diff compares; it is built from an
// engine's matrix or read from a stored `zonesim matrix -o json` (a golden matrix). Cells not listed
// are denied ("-"); cells NetworkPolicy does not decide (external to external) are never listed.
type CellTexts struct {
	Level string
	CNI   string
	Nodes []TextNode
	Cells map[[2]string]string
}

// TextNode is a row and column of CellTexts.
type TextNode struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	Pods int    `json:"pods,omitempty"`
}

// Texts renders every cell of the matrix that allows something.
func (m *Matrix) Texts() *CellTexts {
	t := &CellTexts{Level: string(m.Level), CNI: m.Profile, Cells: map[[2]string]string{}}
	for _, n := range m.Nodes {
		t.Nodes = append(t.Nodes, TextNode{Name: n.Name, Kind: n.Kind, Pods: n.Pods})
	}
	var row []Cell
	for i, from := range m.Nodes {
		row = m.Row(i, row)
		for j, c := range row {
			if !c.NA && c.Allowed > 0 {
				t.Cells[[2]string{from.Name, m.Cols[j].Name}] = c.Text()
			}
		}
	}
	return t
}

// text is a cell's text; "" for cells no policy decides.
func (t *CellTexts) text(from, to TextNode) string {
	if from.Kind == "external" && to.Kind == "external" {
		return ""
	}
	if s, ok := t.Cells[[2]string{from.Name, to.Name}]; ok {
		return s
	}
	return "-"
}

// CellChange is one cell whose text differs.
type CellChange struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Before string `json:"before"`
	After  string `json:"after"`
	// Pair is the pod pair the causes were read from, when both models were available.
	Pair string `json:"pair,omitempty"`
	// Causes are the deciding rules the after model has and the before model has not ("+ …"), and the
	// other way round ("- …").
	Causes []string `json:"causes,omitempty"`
}

// MatrixDiff is what changed between two matrices of one level.
type MatrixDiff struct {
	Level    string       `json:"level"`
	Added    []TextNode   `json:"addedNodes,omitempty"`
	Removed  []TextNode   `json:"removedNodes,omitempty"`
	Compared int          `json:"compared"`
	Changes  []CellChange `json:"changes"`
	// AddedCells are the cells of added nodes that allow something (Before is empty): what a new
	// namespace reaches and what reaches it.
	AddedCells []CellChange `json:"addedCells,omitempty"`
	// Caveats are what the matrices may depend on that zonesim did not model or assumed (the input's).
	Caveats []Caveat `json:"caveats,omitempty"`
}

// Diff compares two matrices of the same level over the nodes both have; nodes only one has are listed.
func Diff(before, after *CellTexts) (*MatrixDiff, error) { return diffCells(before, after, nil) }

// diffCells is Diff; with touched, it compares only the cells with a touched node at one end, and counts
// the others as compared and equal (the caller knows they are).
func diffCells(before, after *CellTexts, touched map[string]bool) (*MatrixDiff, error) {
	if before.Level != after.Level {
		return nil, fmt.Errorf("cannot compare a %s matrix with a %s matrix", before.Level, after.Level)
	}
	d := &MatrixDiff{Level: after.Level, Changes: []CellChange{}}
	in := func(nodes []TextNode) map[string]TextNode {
		m := map[string]TextNode{}
		for _, n := range nodes {
			m[n.Name] = n
		}
		return m
	}
	was, is := in(before.Nodes), in(after.Nodes)
	var common, hit []TextNode
	external := 0
	for _, n := range after.Nodes {
		if _, ok := was[n.Name]; ok {
			common = append(common, n)
			if touched[n.Name] {
				hit = append(hit, n)
			}
			if n.Kind == "external" {
				external++
			}
		} else {
			d.Added = append(d.Added, n)
		}
	}
	for _, n := range before.Nodes {
		if _, ok := is[n.Name]; !ok {
			d.Removed = append(d.Removed, n)
		}
	}
	compare := func(from, to TextNode) {
		b, a := before.text(was[from.Name], was[to.Name]), after.text(from, to)
		if a == "" && b == "" {
			return
		}
		d.Compared++
		if a != b {
			d.Changes = append(d.Changes, CellChange{From: from.Name, To: to.Name, Before: b, After: a})
		}
	}
	for _, from := range common {
		tos := common
		if touched != nil && !touched[from.Name] {
			tos = hit
		}
		for _, to := range tos {
			compare(from, to)
		}
	}
	if touched != nil { // every pair but those of two external blocks, which no policy decides
		d.Compared = len(common)*len(common) - external*external
	}
	seen := map[[2]string]bool{} // a cell between two added nodes is listed once
	for _, n := range d.Added {
		for _, m := range after.Nodes {
			for _, p := range [][2]TextNode{{n, m}, {m, n}} {
				key := [2]string{p[0].Name, p[1].Name}
				if a := after.text(p[0], p[1]); a != "" && a != "-" && !seen[key] {
					seen[key] = true
					d.AddedCells = append(d.AddedCells, CellChange{From: p[0].Name, To: p[1].Name, After: a})
				}
			}
		}
	}
	return d, nil
}

// endpointName is how a query names a matrix node.
func endpointName(n TextNode) string {
	if n.Kind == "zone" {
		return "zone:" + n.Name
	}
	return n.Name
}

// Explain fills in, for each change, a pod pair of the cell whose verdict differs between the two
// engines, and the deciding rules that differ for it. It looks at up to limit pairs per cell.
func (d *MatrixDiff) Explain(before, after *Engine, nodes []TextNode, limit int) {
	kind := map[string]TextNode{}
	for _, n := range nodes {
		kind[n.Name] = n
	}
	for i := range d.Changes {
		ch := &d.Changes[i]
		src, err1 := after.ResolveEndpoint(endpointName(kind[ch.From]))
		dst, err2 := after.ResolveEndpoint(endpointName(kind[ch.To]))
		if err1 != nil || err2 != nil {
			continue
		}
		tried := 0
	pairs:
		for _, s := range src.Members {
			for _, t := range dst.Members {
				if s.Pod != nil && s.Pod == t.Pod {
					continue
				}
				if tried++; tried > limit {
					break pairs
				}
				a, aok := explainPair(after, s, t)
				b, bok := explainPair(before, s, t)
				if !aok || !bok || a.conns == b.conns {
					continue
				}
				ch.Pair = s.Name + " -> " + t.Name
				ch.Causes = deciderDiff(b.deciders, a.deciders)
				if len(ch.Causes) == 0 {
					ch.Causes = []string{"no deciding rule differs for this pair: labels, ports, addresses or the objects around the flow did"}
				}
				break pairs
			}
		}
	}
}

type pairVerdict struct {
	conns string
	// deciders maps each thing that decided the pair, by what it is and what it says (never where it is
	// written: the same rule in another checkout or on another line is the same decider), to its text.
	deciders map[string]string
}

// explainPair queries one member pair by name in e; ok is false when e does not have both ends.
func explainPair(e *Engine, s, t Member) (pairVerdict, bool) {
	res, err := e.QueryNames(context.Background(), s.Name, t.Name, nil, 1)
	if err != nil || len(res.Results) == 0 {
		return pairVerdict{}, false
	}
	v := pairVerdict{conns: strings.Join(res.Connections, ", "), deciders: map[string]string{}}
	// A rule is keyed by its policy, direction and content, not its index: a rule that only moved (another
	// rule was removed before it) is no cause either.
	add := func(key, content, text, where string) { v.deciders[key+"\x00"+content] = text + " (" + where + ")" }
	for _, side := range []*Side{res.Results[0].Egress, res.Results[0].Ingress} {
		if side == nil {
			continue
		}
		for _, p := range side.Policies {
			np := networkPolicy(e, p.Name)
			in, eg := np.PolicyTypes()
			text := fmt.Sprintf("%s isolates the %s", p.Name, side.Direction)
			add(text, fingerprint(np.Spec.PodSelector, in, eg), text, srcText(p.Source, 0))
		}
		for _, h := range side.Rules {
			np := networkPolicy(e, h.Policy.Name)
			var rule any
			if side.Direction == "ingress" && h.Rule < len(np.Spec.Ingress) {
				rule = np.Spec.Ingress[h.Rule]
			} else if side.Direction == "egress" && h.Rule < len(np.Spec.Egress) {
				rule = np.Spec.Egress[h.Rule]
			}
			add(h.Policy.Name+" "+side.Direction, fingerprint(rule), fmt.Sprintf("%s %s[%d] allows", h.Policy.Name, side.Direction, h.Rule), srcText(h.Policy.Source, h.Line))
		}
		for _, h := range side.Admin {
			add(h.Policy.Name+" "+side.Direction+" "+h.Action, adminFingerprint(e, h.Policy.Name, side.Direction, h.Rule),
				fmt.Sprintf("%s%s %s[%d] %s", h.Policy.Name, tierText(h), side.Direction, h.Rule, strings.ToLower(h.Action)), srcText(h.Policy.Source, h.Line))
		}
	}
	if s.Pod != nil && t.Pod != nil && len(e.netOf) > 0 { // UDN-3, UDN-6: the networks of the two ends, as e has the pods
		if sc, tc := e.classOf[e.Cluster.Pod(s.Pod.Key())], e.classOf[e.Cluster.Pod(t.Pod.Key())]; sc != nil && tc != nil {
			sn, tn := e.classNet(sc), e.classNet(tc)
			if l := e.links[[2]string{sn, tn}]; l != nil && sn != tn {
				text := fmt.Sprintf("%s connects %s and %s", strings.Join(l.by, ", "), e.networkName(sn), e.networkName(tn))
				add("network-link "+sn+" "+tn, fingerprint(l.pods, l.services), text, "UDN-6")
			} else if sn != tn && e.separated(sc, tc) {
				text := fmt.Sprintf("%s and %s keep their pods apart", e.networkName(sn), e.networkName(tn))
				add("network-apart "+sn+" "+tn, "", text, "UDN-3")
			}
		}
	}
	for _, st := range res.Results[0].Steps { // the pipeline around the flow: egress firewall, SNAT, perimeter, …
		if st.Object != "" {
			text := fmt.Sprintf("%s %s: %s", st.Step, st.Object, strings.Join(st.Connections, ", "))
			add(text, "", text, srcText(st.Source, 0))
		}
	}
	return v, true
}

// networkPolicy finds a NetworkPolicy by namespace/name (an empty one when e has none: the fingerprint
// then says nothing was found).
func networkPolicy(e *Engine, key string) *model.NetworkPolicy {
	for _, np := range e.Cluster.Policies {
		if np.Key() == key {
			return np
		}
	}
	return &model.NetworkPolicy{}
}

// adminFingerprint is what an admin policy's rule says, with the policy's priority (which orders it).
func adminFingerprint(e *Engine, key, dir string, i int) string {
	for _, p := range append(slices.Clone(e.Cluster.AdminPolicies), e.Cluster.Baseline) {
		if p == nil || p.Key() != key {
			continue
		}
		rules := p.Ingress
		if dir == "egress" {
			rules = p.Egress
		}
		if i >= len(rules) {
			break
		}
		r := rules[i]
		r.Line = 0 // where it is written is not what it says
		return fingerprint(p.Priority, r)
	}
	return ""
}

// fingerprint is the content of API values, for telling whether a rule changed.
func fingerprint(vs ...any) string {
	b, err := json.Marshal(vs)
	if err != nil {
		return fmt.Sprint(vs...)
	}
	return string(b)
}

func srcText(s model.Source, line int) string {
	if line == 0 {
		line = s.Line
	}
	return fmt.Sprintf("%s:%d", s.File, line)
}

// deciderDiff lists what after has and before has not ("+ "), then the other way round ("- "): a decider
// whose content is the same on both sides is no cause, wherever it is written.
func deciderDiff(before, after map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if _, ok := before[k]; !ok {
			out = append(out, "+ "+after[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(before)) {
		if _, ok := after[k]; !ok {
			out = append(out, "- "+before[k])
		}
	}
	return out
}

// tierText is " (Admin tier, priority 10)" for a ClusterNetworkPolicy's rule, whose tier is not in its
// kind's name; "" for the v1alpha1 kinds.
func tierText(h AdminHit) string {
	if !strings.HasPrefix(h.Policy.Name, "ClusterNetworkPolicy/") || h.Priority == nil {
		return ""
	}
	return fmt.Sprintf(" (%s tier, priority %d)", h.Tier, *h.Priority)
}
