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
	Zones  []*MapZone
	Others []*MapNode // external endpoints, address blocks and the internet
	Flows  []*MapFlow
	// Unplaced counts the changed cells whose nodes no side places in a zone (a removed node of a golden).
	Unplaced int
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

// MapNode is an endpoint outside the cluster, as the matrix names it (ext:NAME, a CIDR, internet).
type MapNode struct {
	Name string
	Kind string
}

// MapFlow is a zone-level cell that allows something, between two zones or a zone and an endpoint.
type MapFlow struct {
	From, To string
	// Conns is what the flow allows ("all", "TCP/443, UDP/53"); Text the whole cell text.
	Conns, Text string
	// Some is true when only some pod pairs allow it, or not alike.
	Some bool
	// Change is "", Opened, Closed or Changed: what a diff's cells between these ends did.
	Change string
	// Cells are the changed cells behind Change, as "from -> to: before => after".
	Cells []string
}

// maxMapCells bounds the changed cells a flow lists (its tooltip and the report's table have them all).
const maxMapCells = 12

// NewZoneMap builds the zone map of an engine's cluster: the zones of the scenario (in its order) and
// of the namespaces' zone labels, the namespaces in each, and the zone-level matrix's flows.
func NewZoneMap(e *simulate.Engine) *ZoneMap {
	zm := &ZoneMap{}
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
			zm.Others = append(zm.Others, &MapNode{Name: n.Name, Kind: n.Kind})
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
				Some: !c.Uniform || c.Allowed < c.Total})
		}
	}
	return zm
}

// zoneOf is the map's name for a node of a matrix at level: its zone, or itself when it is outside the
// cluster; "" when no engine knows it.
func (zm *ZoneMap) zoneOf(level, node string, engines []*simulate.Engine) string {
	if level == string(simulate.LevelZone) {
		return node
	}
	if zm.isOther(node) {
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
// zone. engines place the nodes in zones (the after side first, then the before side).
func (zm *ZoneMap) MarkChanges(d *simulate.MatrixDiff, engines ...*simulate.Engine) {
	zones := map[string]*MapZone{}
	for _, z := range zm.Zones {
		zones[z.Name] = z
	}
	flows := map[[2]string]*MapFlow{}
	for _, f := range zm.Flows {
		flows[[2]string{f.From, f.To}] = f
	}
	if d.Level == string(simulate.LevelNamespace) {
		for _, n := range d.Added {
			if z := zones[zm.zoneOf(d.Level, n.Name, engines)]; z != nil {
				z.Added = append(z.Added, n.Name)
			}
		}
	}
	for _, c := range d.Changes {
		from, to := zm.zoneOf(d.Level, c.From, engines), zm.zoneOf(d.Level, c.To, engines)
		if from == "" || to == "" {
			zm.Unplaced++
			continue
		}
		for _, end := range []string{from, to} { // a zone only the before side has
			if zones[end] == nil && !zm.isOther(end) {
				zones[end] = &MapZone{Name: end}
				zm.Zones = append(zm.Zones, zones[end])
			}
		}
		if from == to {
			zones[from].Changes++
			continue
		}
		f := flows[[2]string{from, to}]
		if f == nil { // closed: the after side has no flow here
			f = &MapFlow{From: from, To: to}
			flows[[2]string{from, to}] = f
			zm.Flows = append(zm.Flows, f)
		}
		switch kind := ChangeKind(c); f.Change {
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
