package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/zonesim/zonesim/pkg/simulate"
)

// ZoneMap is what the zone map draws: the zones with their namespaces, the endpoints outside the
// cluster, and the flows the zone-level matrix allows between them; on a diff, which flows a change
// opens, closes or changes.
type ZoneMap struct {
	// Label is the namespace label zones are read from (said when no namespace has it).
	Label  string
	Zones  []*MapZone
	Others []*MapNode // external endpoints, address blocks and the internet
	Flows  []*MapFlow
	// Unplaced counts the changed cells whose nodes no side places in a zone (a removed node of a golden).
	Unplaced int
	// grouped maps the address blocks drawn as one node (past maxBlocks) to that node's name.
	grouped map[string]string
}

// MapZone is a zone: its namespaces (all of them, pods or not), its pods, and what it allows within.
type MapZone struct {
	Name       string
	Namespaces []string
	Pods       int
	// Within is the zone-level cell from the zone to itself ("" when nothing is allowed).
	Within string
	// Changes counts the changed cells between two nodes of this zone.
	Changes int
	// Added are the namespaces a diff adds.
	Added []string
}

// MapNode is an endpoint outside the cluster, as the matrix names it (ext:NAME, a CIDR, internet), or the
// address blocks drawn as one node; Zone is the zone whose network a scenario endpoint is in.
type MapNode struct {
	Name string
	Kind string
	Zone string
}

// MapFlow is a zone-level cell that allows something, between two zones or a zone and an endpoint.
type MapFlow struct {
	From, To string
	// Conns is what the flow allows ("all", "TCP/443, UDP/53"); Text the whole cell text.
	Conns, Text string
	// Some is true when only some pod pairs allow it; Varies when every pair allows something, not the
	// same.
	Some, Varies bool
	// Change is "", Opened, Closed or Changed: what a diff's cells between these ends did.
	Change string
	// Cells are the changed cells behind Change, as "from -> to: before => after".
	Cells []string
	// Was is what a flow the change closes allowed (when the before side is known).
	Was string
}

// maxMapCells bounds the changed cells a flow lists (its tooltip and the report's table have them all).
const maxMapCells = 12

// NewZoneMap builds the zone map of an engine's cluster: the zones of the scenario (in its order) and
// of the namespaces' zone labels, the namespaces in each, and the zone-level matrix's flows.
func NewZoneMap(e *simulate.Engine) *ZoneMap {
	zm := &ZoneMap{Label: e.ZoneLabel}
	byName := map[string]*MapZone{}
	zone := func(name string) *MapZone {
		z := byName[name]
		if z == nil {
			z = &MapZone{Name: name}
			byName[name] = z
			zm.Zones = append(zm.Zones, z)
		}
		return z
	}
	if sc := e.Cluster.Scenario; sc != nil {
		for _, z := range sc.Zones {
			zone(z.Name)
		}
	}
	designed := len(zm.Zones)
	m := e.Matrix(simulate.LevelZone)
	for _, n := range m.Nodes {
		if n.Kind == "zone" {
			zone(n.Name).Pods = n.Pods
		} else {
			o := &MapNode{Name: n.Name, Kind: n.Kind}
			if x := e.External(strings.TrimPrefix(n.Name, "ext:")); x != nil && strings.HasPrefix(n.Name, "ext:") {
				o.Zone = x.Zone
			}
			zm.Others = append(zm.Others, o)
		}
	}
	for _, ns := range e.Cluster.Namespaces {
		z := ns.Zone(e.ZoneLabel)
		if z == "" {
			z = simulate.UnzonedName
			if byName[z] == nil {
				continue // namespaces without a zone and without pods: not part of the design
			}
		}
		zone(z).Namespaces = append(zone(z).Namespaces, ns.Name)
	}
	// Zones the labels add after the designed ones: by name, the unzoned last (as the matrix orders them).
	slices.SortStableFunc(zm.Zones[designed:], func(a, b *MapZone) int {
		if (a.Name == simulate.UnzonedName) != (b.Name == simulate.UnzonedName) {
			if a.Name == simulate.UnzonedName {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Name, b.Name)
	})
	for _, z := range zm.Zones {
		slices.Sort(z.Namespaces)
	}
	var row []simulate.Cell
	for i, from := range m.Nodes {
		row = m.Row(i, row)
		for j, c := range row {
			to := m.Cols[j]
			if c.NA || c.Allowed == 0 {
				continue
			}
			if from == to {
				zone(from.Name).Within = c.Text()
				continue
			}
			zm.Flows = append(zm.Flows, &MapFlow{From: from.Name, To: to.Name, Conns: c.Conns.String(), Text: c.Text(),
				Some: c.Allowed < c.Total, Varies: !c.Uniform && c.Allowed == c.Total})
		}
	}
	zm.groupBlocks()
	return zm
}

// maxBlocks is how many address blocks the map draws one by one; past it they are one node, whose
// arrows list each block's cell in their tooltip.
const maxBlocks = 6

// isBlock says whether an endpoint is an address block a policy names (not the internet, not a scenario
// endpoint).
func isBlock(o *MapNode) bool {
	return o.Kind == "external" && !strings.HasPrefix(o.Name, "ext:") && !strings.HasPrefix(o.Name, simulate.InternetName)
}

// groupBlocks draws more than maxBlocks address blocks as one node, "N address blocks", with one flow
// per zone and direction that says how many of them it reaches and lists each.
func (zm *ZoneMap) groupBlocks() {
	n := 0
	for _, o := range zm.Others {
		if isBlock(o) {
			n++
		}
	}
	if n <= maxBlocks {
		return
	}
	name := fmt.Sprintf("%d address blocks", n)
	zm.grouped = map[string]string{}
	var others []*MapNode
	for _, o := range zm.Others {
		if isBlock(o) {
			zm.grouped[o.Name] = name
			continue
		}
		others = append(others, o)
	}
	zm.Others = append(others, &MapNode{Name: name, Kind: "blocks"})
	var flows []*MapFlow
	merged := map[[2]string]*MapFlow{}
	count := map[*MapFlow]int{}
	for _, f := range zm.Flows {
		from, to := zm.groupOf(f.From), zm.groupOf(f.To)
		if from == f.From && to == f.To {
			flows = append(flows, f)
			continue
		}
		g := merged[[2]string{from, to}]
		if g == nil {
			g = &MapFlow{From: from, To: to}
			merged[[2]string{from, to}] = g
			flows = append(flows, g)
		}
		count[g]++
		g.Some = g.Some || f.Some
		if len(g.Cells) < maxMapCells {
			g.Cells = append(g.Cells, fmt.Sprintf("%s -> %s: %s", f.From, f.To, f.Text))
		}
	}
	for g, k := range count {
		g.Conns = fmt.Sprintf("%d of %d blocks", k, n)
		g.Text = g.Conns + ":\n" + strings.Join(g.Cells, "\n")
		g.Cells = nil
	}
	zm.Flows = flows
}

// groupOf is the map's node for an endpoint: the grouped blocks' node, or itself.
func (zm *ZoneMap) groupOf(name string) string {
	if g, ok := zm.grouped[name]; ok {
		return g
	}
	return name
}

// zoneOf is the map's name for a node of a matrix at level: its zone, or itself when it is outside the
// cluster; "" when no engine knows it.
func (zm *ZoneMap) zoneOf(level, node string, engines []*simulate.Engine) string {
	if g, ok := zm.grouped[node]; ok {
		return g
	}
	if level == string(simulate.LevelZone) || zm.isOther(node) {
		return node
	}
	ns, _, _ := strings.Cut(node, "/")
	for _, e := range engines {
		if e == nil {
			continue
		}
		if n := e.Cluster.Namespace(ns); n != nil {
			if z := n.Zone(e.ZoneLabel); z != "" {
				return z
			}
			return simulate.UnzonedName
		}
	}
	return ""
}

// MarkChanges puts a diff's changed cells on the map: each on the flow between the zones (or endpoints)
// of its two nodes, which it marks opened, closed or changed; a cell within one zone is counted on the
// zone. Each side places the nodes in zones (before may be nil: a golden matrix; then the after side
// places both): a cell whose nodes moved to other zones leaves the flow it was on (closed there) and
// joins the one it is on now (opened there). A flow the change closes says what it allowed (was).
func (zm *ZoneMap) MarkChanges(d *simulate.MatrixDiff, before, after *simulate.Engine) {
	zones := map[string]*MapZone{}
	for _, z := range zm.Zones {
		zones[z.Name] = z
	}
	flows := map[[2]string]*MapFlow{}
	for _, f := range zm.Flows {
		flows[[2]string{f.From, f.To}] = f
	}
	was := map[[2]string]*MapFlow{} // the before side's flows, read once a flow is closed
	wasRead := false
	afterSide, beforeSide := []*simulate.Engine{after, before}, []*simulate.Engine{before, after}
	if d.Level == string(simulate.LevelNamespace) {
		for _, n := range d.Added {
			if z := zones[zm.zoneOf(d.Level, n.Name, afterSide)]; z != nil {
				z.Added = append(z.Added, n.Name)
			}
		}
	}
	mark := func(from, to, kind string, c simulate.CellChange) {
		for _, end := range []string{from, to} { // a zone only the before side has
			if zones[end] == nil && !zm.isOther(end) {
				zones[end] = &MapZone{Name: end}
				zm.Zones = append(zm.Zones, zones[end])
			}
		}
		if from == to {
			zones[from].Changes++
			return
		}
		f := flows[[2]string{from, to}]
		if f == nil { // closed: the after side has no flow here
			f = &MapFlow{From: from, To: to}
			if !wasRead && before != nil {
				for _, w := range NewZoneMap(before).Flows {
					was[[2]string{w.From, w.To}] = w
				}
				wasRead = true
			}
			if w := was[[2]string{from, to}]; w != nil {
				f.Was = w.Conns
			}
			flows[[2]string{from, to}] = f
			zm.Flows = append(zm.Flows, f)
		}
		switch f.Change {
		case "", kind:
			f.Change = kind
		default:
			f.Change = Changed
		}
		if len(f.Cells) < maxMapCells {
			f.Cells = append(f.Cells, fmt.Sprintf("%s -> %s: %s => %s", c.From, c.To, c.Before, c.After))
		} else if len(f.Cells) == maxMapCells {
			f.Cells = append(f.Cells, "…")
		}
	}
	for _, c := range d.Changes {
		fromA, toA := zm.zoneOf(d.Level, c.From, afterSide), zm.zoneOf(d.Level, c.To, afterSide)
		fromB, toB := zm.zoneOf(d.Level, c.From, beforeSide), zm.zoneOf(d.Level, c.To, beforeSide)
		if fromA == "" || toA == "" || fromB == "" || toB == "" {
			zm.Unplaced++
			continue
		}
		if fromA == fromB && toA == toB {
			mark(fromA, toA, ChangeKind(c), c)
			continue
		}
		if c.Before != "-" {
			mark(fromB, toB, Closed, c)
		}
		if c.After != "-" {
			mark(fromA, toA, Opened, c)
		}
	}
}

func (zm *ZoneMap) isOther(name string) bool {
	return slices.ContainsFunc(zm.Others, func(o *MapNode) bool { return o.Name == name })
}

// MapTitle names a cluster's zone map: its scenario, or the zone label the zones come from.
func MapTitle(e *simulate.Engine) string {
	if sc := e.Cluster.Scenario; sc != nil && sc.Name != "" {
		return fmt.Sprintf("Zones of %s (cni %s)", sc.Name, e.Profile.Name)
	}
	return fmt.Sprintf("Zones by the namespace label %s (cni %s)", e.ZoneLabel, e.Profile.Name)
}
