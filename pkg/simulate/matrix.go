package simulate

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
)

// Level is the granularity of a matrix.
type Level string

// Matrix levels.
const (
	LevelPod       Level = "pod"
	LevelWorkload  Level = "workload"
	LevelNamespace Level = "namespace"
	LevelZone      Level = "zone"
)

// ParseLevel accepts pod, workload, namespace or zone.
func ParseLevel(s string) (Level, error) {
	switch l := Level(s); l {
	case LevelPod, LevelWorkload, LevelNamespace, LevelZone:
		return l, nil
	}
	return "", fmt.Errorf("unknown --level %q: use pod, workload, namespace or zone", s)
}

// UnzonedName is the zone-level node of namespaces without a zone label (ZN-1).
const UnzonedName = "(unzoned)"

// MatrixNode is a row and column of a matrix: a group of pods, or an external address block.
type MatrixNode struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // pod, workload, namespace, zone, external
	Pods int    `json:"pods,omitempty"`

	src, dst []group
	atom     *Atom
	pod      *model.Pod
	pods     []*model.Pod
}

// group is pods of one node that share a key on one side, with their count.
type group struct {
	class *Class
	n     int
}

// Cell is the aggregate of every pod pair of a matrix cell.
type Cell struct {
	// Conns is the union of what the pairs allow.
	Conns ConnSet
	// Allowed counts pairs that allow some connection; Full those that allow all; Total all pairs.
	Allowed, Full, Total int
	// Uniform is true when every pair allows exactly Conns.
	Uniform bool
	// NA marks cells NetworkPolicy does not decide (external to external).
	NA bool
	// ConnID identifies Conns within one engine: equal IDs mean equal sets, so writers can cache text.
	ConnID int32
}

// Text renders a cell: "all", "-", a connection list, "partial: … (k/n pairs)" when only k of the n pod
// pairs allow something, or "varies: … (n/n pairs)" when every pair allows something but not the same.
func (c Cell) Text() string {
	if c.NA {
		return ""
	}
	return CellText(c.Conns.String(), c.Uniform, c.Allowed, c.Total)
}

// CellText renders a cell from its connections' text and pair counts (also for cells read back from
// JSON): the connections, or "partial: … (k/n pairs)" when the pairs differ.
func CellText(conns string, uniform bool, allowed, total int) string {
	if uniform || allowed == 0 {
		return conns
	}
	if allowed == total {
		return fmt.Sprintf("varies: %s (%d/%d pairs, not alike)", conns, allowed, total)
	}
	return fmt.Sprintf("partial: %s (%d/%d pairs)", conns, allowed, total)
}

// Matrix is a reachability matrix whose rows are computed on demand, so large ones stream.
type Matrix struct {
	Level   Level
	Profile string
	Nodes   []*MatrixNode
	e       *Engine
	unions  map[uint64]int32
	// caveats of the current nodes, once computed (Narrow changes the nodes).
	caveats     []Caveat
	caveatsDone bool
}

// Matrix builds the matrix at a level: nodes for pods/workloads/namespaces/zones, then the external
// address blocks named by ipBlocks and internet (as sources they reach pods' ingress; as destinations
// they are reached by pods' egress).
func (e *Engine) Matrix(level Level) *Matrix {
	m := &Matrix{Level: level, Profile: e.Profile.Name, e: e, unions: map[uint64]int32{}}
	byName := map[string]*MatrixNode{}
	var order []string
	add := func(name, kind string, p *model.Pod) {
		n, ok := byName[name]
		if !ok {
			n = &MatrixNode{Name: name, Kind: kind}
			byName[name] = n
			order = append(order, name)
		}
		n.Pods++
		n.pods = append(n.pods, p)
		c := e.classOf[p]
		n.src = addGroup(n.src, c, func(g group) bool { return g.class.srcKey == c.srcKey })
		n.dst = addGroup(n.dst, c, func(g group) bool { return g.class.dstKey == c.dstKey })
		if level == LevelPod {
			n.pod = p
		}
	}
	for _, p := range e.Cluster.Pods {
		switch level {
		case LevelPod:
			add(p.Key(), "pod", p)
		case LevelWorkload:
			if p.Workload != nil {
				add(p.Workload.Key(), "workload", p)
			} else {
				add(p.Key(), "pod", p)
			}
		case LevelNamespace:
			add(p.Namespace, "namespace", p)
		case LevelZone:
			z := e.Cluster.Namespace(p.Namespace).Zone(e.ZoneLabel)
			if z == "" {
				z = UnzonedName
			}
			add(z, "zone", p)
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		if level == LevelZone && (order[i] == UnzonedName) != (order[j] == UnzonedName) {
			return order[j] == UnzonedName
		}
		return order[i] < order[j]
	})
	for _, name := range order {
		m.Nodes = append(m.Nodes, byName[name])
	}
	if sc := e.Cluster.Scenario; sc != nil {
		for _, x := range sc.Externals {
			if len(x.Addresses) == 0 {
				continue
			}
			m.Nodes = append(m.Nodes, &MatrixNode{Name: "ext:" + x.Name, Kind: "external",
				atom: &Atom{Name: "ext:" + x.Name, Prefix: x.Addresses[0], IP: x.Addresses[0].Addr(), External: x}})
		}
	}
	named := map[netip.Prefix]bool{}
	for _, n := range m.Nodes {
		if n.atom != nil {
			named[n.atom.Prefix] = true
		}
	}
	for _, a := range e.ExternalAtoms() {
		if named[a.Prefix] {
			continue // the block is a scenario endpoint's address, already a row and column as ext:<name>
		}
		a := a
		m.Nodes = append(m.Nodes, &MatrixNode{Name: a.Name, Kind: "external", atom: &a})
	}
	return m
}

// CanNarrow says whether a matrix of this level can be narrowed to a namespace (a zone spans namespaces),
// so a caller can refuse before computing anything.
func CanNarrow(l Level) error {
	if l == LevelZone {
		return fmt.Errorf("-n/--namespace narrows pod, workload and namespace matrices; a zone spans namespaces")
	}
	return nil
}

// Narrow keeps the rows and columns of the pods, workloads and namespace of namespace ns, and the
// external blocks, as kubectl's -n narrows a listing. A zone spans namespaces, so a zone matrix is not
// narrowed: that is an error, as is a namespace the cluster does not have.
func (m *Matrix) Narrow(ns string) error {
	if err := CanNarrow(m.Level); err != nil {
		return err
	}
	if err := m.e.CheckNamespace(ns); err != nil {
		return err
	}
	var keep []*MatrixNode
	for _, n := range m.Nodes {
		if n.Kind == "external" || len(n.pods) > 0 && n.pods[0].Namespace == ns {
			keep = append(keep, n)
		}
	}
	m.Nodes, m.caveatsDone = keep, false
	return nil
}

func addGroup(gs []group, c *Class, same func(group) bool) []group {
	for i := range gs {
		if same(gs[i]) {
			gs[i].n++
			return gs
		}
	}
	return append(gs, group{class: c, n: 1})
}

// Row computes the cells of row i into buf (reused when large enough).
func (m *Matrix) Row(i int, buf []Cell) []Cell {
	buf = buf[:0]
	from := m.Nodes[i]
	for _, to := range m.Nodes {
		buf = append(buf, m.cell(from, to))
	}
	return buf
}

// Cell computes one cell.
func (m *Matrix) Cell(i, j int) Cell { return m.cell(m.Nodes[i], m.Nodes[j]) }

func (m *Matrix) cell(from, to *MatrixNode) Cell {
	e := m.e
	switch {
	case from.atom != nil && to.atom != nil:
		return Cell{NA: true}
	case from == to && len(from.pods) == 1, from.pod != nil && from.pod == to.pod:
		return Cell{Conns: AllConns(), ConnID: connAll, Allowed: 1, Full: 1, Total: 1, Uniform: true} // NP-18
	}
	var agg cellAgg
	switch {
	case from.atom != nil:
		for _, g := range to.dst {
			agg.add(m, e.ingressFromIPID(g.class, from.atom), g.n)
		}
	case to.atom != nil && e.hasPipeline():
		for _, p := range from.pods { // SNAT and EgressFirewall differ per pod: evaluate each (few columns)
			agg.add(m, e.leaveClusterID(p, to.atom), 1)
		}
	case to.atom != nil:
		for _, g := range from.src {
			agg.add(m, e.egressToIPID(g.class, to.atom), g.n)
		}
	default:
		var self map[[2]int]int
		if from == to {
			self = m.selfPairs(from)
		}
		for si, s := range from.src {
			for di, d := range to.dst {
				if n := s.n*d.n - self[[2]int{si, di}]; n > 0 {
					agg.add(m, e.classPair(s.class, d.class), n)
				}
			}
		}
	}
	return agg.cell(e)
}

// selfPairs counts, per (source group, destination group), the pods of a node paired with themselves: a
// pod to itself is not a pair of a set (as in queries), so a diagonal cell leaves them out.
func (m *Matrix) selfPairs(n *MatrixNode) map[[2]int]int {
	srcIdx, dstIdx := make(map[int32]int, len(n.src)), make(map[int32]int, len(n.dst))
	for i, g := range n.src {
		srcIdx[g.class.srcKey] = i
	}
	for i, g := range n.dst {
		dstIdx[g.class.dstKey] = i
	}
	out := map[[2]int]int{}
	for _, p := range n.pods {
		c := m.e.classOf[p]
		out[[2]int{srcIdx[c.srcKey], dstIdx[c.dstKey]}]++
	}
	return out
}

type cellAgg struct {
	union, first         int32
	allowed, full, total int
	mixed, started       bool
}

func (a *cellAgg) add(m *Matrix, id int32, n int) {
	if !a.started {
		a.started, a.first, a.union = true, id, id
	} else if id != a.first {
		a.mixed = true
		a.union = m.unionID(a.union, id)
	}
	a.total += n
	if id != connNone {
		a.allowed += n
	}
	if id == connAll {
		a.full += n
	}
}

func (a *cellAgg) cell(e *Engine) Cell {
	return Cell{Conns: e.conns.sets[a.union], ConnID: a.union, Allowed: a.allowed, Full: a.full, Total: a.total, Uniform: !a.mixed}
}

func (m *Matrix) unionID(a, b int32) int32 {
	if a == b {
		return a
	}
	if a > b {
		a, b = b, a
	}
	k := uint64(a)<<32 | uint64(b)
	if id, ok := m.unions[k]; ok {
		return id
	}
	id := m.e.conns.id(m.e.conns.sets[a].Union(m.e.conns.sets[b]))
	m.unions[k] = id
	return id
}

// egressToIPID is the interned egress result of a class to an external block, memoized by source key.
func (e *Engine) egressToIPID(c *Class, a *Atom) int32 {
	return e.atomID(Egress, c.srcKey, a, func() ConnSet { return e.egressToIP(c, a.IP, false).Conns })
}

// ingressFromIPID is the interned ingress result of a class from an external block, memoized by
// destination key.
func (e *Engine) ingressFromIPID(c *Class, a *Atom) int32 {
	return e.atomID(Ingress, c.dstKey, a, func() ConnSet { return e.ingressFromIP(c, a.IP, false).Conns })
}

type atomKey struct {
	dir   Direction
	class int32
	block netip.Prefix
}

func (e *Engine) atomID(d Direction, classKey int32, a *Atom, eval func() ConnSet) int32 {
	k := atomKey{d, classKey, a.Prefix}
	if id, ok := e.atomMemo[k]; ok {
		return id
	}
	id := e.conns.id(eval())
	e.atomMemo[k] = id
	return id
}

// Describe summarises the engine for progress output.
func (e *Engine) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d namespaces, %d pods in %d classes, %d policies (cni profile %s)",
		len(e.Cluster.Namespaces), len(e.Cluster.Pods), len(e.classes), len(e.policies), e.Profile.Name)
	return b.String()
}

// leaveClusterID is the interned result of the whole egress pipeline from a pod to an external block.
func (e *Engine) leaveClusterID(p *model.Pod, a *Atom) int32 {
	var pr PairResult
	eg := e.egressToIPID(e.classOf[p], a)
	return e.conns.id(e.leaveCluster(p, a.member(), e.conns.sets[eg], &pr))
}
