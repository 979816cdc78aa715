package simulate

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"slices"
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

	src  []group
	fams []family // destination groups, by family
	atom *Atom
	pod  *model.Pod
	pods []*model.Pod
}

// group is pods of one node that share a key on one side, with their count.
type group struct {
	class *Class
	n     int
}

// family is the destination groups of one node that share a famKey: they differ only in named ports.
type family struct {
	class   *Class // the first member's
	n       int
	members []group
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
	// Nodes are the rows; Cols the columns: the same nodes, unless Filter kept other ones.
	Nodes  []*MatrixNode
	Cols   []*MatrixNode
	e      *Engine
	unions map[uint64]int32
	// families caches familyPair by source key and destination family, members classPair by source and
	// destination key.
	families, members pairTable
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
		n.addPod(e.classOf[p], p)
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
	var srcs, fams, members int
	for _, name := range order {
		n := byName[name]
		m.Nodes = append(m.Nodes, n)
		srcs += len(n.src)
		fams += len(n.fams)
		for _, f := range n.fams {
			members += len(f.members)
		}
	}
	// A cache pays where the rows and columns repeat a key (several workloads of one class), not where
	// every pair of keys is met once (namespaces, zones).
	m.families.off = !repeats(srcs*fams, len(e.srcKeys)*len(e.famKeys))
	m.members.off = !repeats(srcs*members, len(e.srcKeys)*len(e.dstKeys))
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
	m.Cols = m.Nodes
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
	keep := func(n *MatrixNode) bool { return n.Kind == "external" || len(n.pods) > 0 && n.pods[0].Namespace == ns }
	m.Nodes, m.Cols, m.caveatsDone = slices.DeleteFunc(slices.Clone(m.Nodes), not(keep)), slices.DeleteFunc(slices.Clone(m.Cols), not(keep)), false
	return nil
}

func not(f func(*MatrixNode) bool) func(*MatrixNode) bool {
	return func(n *MatrixNode) bool { return !f(n) }
}

// FilterHelp says what Filter's patterns are.
const FilterHelp = "a node name or a glob on names (*/deployment/api), a namespace or a glob on namespaces (ns-04*: their pods, workloads or themselves), zone:Z or a glob on zones (the nodes of zone Z)"

// Filter keeps the rows that match a pattern of from and the columns that match one of to (an empty
// list keeps all); see FilterHelp. Cells are computed on demand, so only the kept ones ever are. A
// pattern that matches nothing is an error.
func (m *Matrix) Filter(from, to []string) error {
	var errs []string
	pick := func(flag string, nodes []*MatrixNode, patterns []string) []*MatrixNode {
		if len(patterns) == 0 {
			return nodes
		}
		keep := make([]bool, len(nodes))
		for _, p := range patterns {
			found := false
			for i, n := range nodes {
				if m.matches(n, p) {
					found, keep[i] = true, true
				}
			}
			if !found {
				errs = append(errs, fmt.Sprintf("%s %q matches no node of the %s matrix (%s)", flag, p, m.Level, FilterHelp))
			}
		}
		var out []*MatrixNode // in the matrix's order
		for i, n := range nodes {
			if keep[i] {
				out = append(out, n)
			}
		}
		return out
	}
	rows, cols := pick("--from", m.Nodes, from), pick("--to", m.Cols, to)
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	m.Nodes, m.Cols, m.caveatsDone = rows, cols, false
	return nil
}

// matches says whether node n matches a Filter pattern.
func (m *Matrix) matches(n *MatrixNode, p string) bool {
	if ok, _ := path.Match(p, n.Name); ok {
		return true
	}
	ns := ""
	if len(n.pods) > 0 {
		ns = n.pods[0].Namespace
	}
	if zones, ok := strings.CutPrefix(p, "zone:"); ok { // a zone, or a glob on zones
		z := ""
		switch {
		case m.Level == LevelZone && n.Kind == "zone":
			z = n.Name
		case m.Level != LevelZone && ns != "":
			if z = m.e.Cluster.Namespace(ns).Zone(m.e.ZoneLabel); z == "" {
				z = UnzonedName
			}
		}
		ok, _ := path.Match(zones, z)
		return z != "" && ok
	}
	if m.Level == LevelZone || ns == "" {
		return false
	}
	ok, _ := path.Match(p, ns) // a namespace, or a glob on namespaces: their pods or workloads
	return ok
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

func addToFamily(fs []family, c *Class) []family {
	for i := range fs {
		if f := &fs[i]; f.class.famKey == c.famKey {
			f.n++
			f.members = addGroup(f.members, c, func(g group) bool { return g.class.dstKey == c.dstKey })
			return fs
		}
	}
	return append(fs, family{class: c, n: 1, members: []group{{class: c, n: 1}}})
}

// Row computes the cells of row i into buf (reused when large enough).
func (m *Matrix) Row(i int, buf []Cell) []Cell {
	buf = buf[:0]
	from := m.Nodes[i]
	for _, to := range m.Cols {
		buf = append(buf, m.cell(from, to))
	}
	return buf
}

// Cell computes the cell of row i, column j.
func (m *Matrix) Cell(i, j int) Cell { return m.cell(m.Nodes[i], m.Cols[j]) }

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
		for _, f := range to.fams {
			for _, g := range f.members {
				agg.add(e.ingressFromIPID(g.class, from.atom), g.n)
			}
		}
	case to.atom != nil && e.hasPipeline():
		for _, p := range from.pods { // SNAT and EgressFirewall differ per pod: evaluate each (few columns)
			agg.add(e.leaveClusterID(p, to.atom), 1)
		}
	case to.atom != nil:
		for _, g := range from.src {
			agg.add(e.egressToIPID(g.class, to.atom), g.n)
		}
	default:
		var self selfPairs
		if from == to {
			self = m.selfPairs(from, to)
		}
		m.eachPair(from, to, self, func(id int32, n int) { agg.add(id, n) })
	}
	return agg.cell(m)
}

// addPod adds a pod of class c to a node: to its source group and its destination family.
func (n *MatrixNode) addPod(c *Class, p *model.Pod) {
	n.Pods++
	n.pods = append(n.pods, p)
	n.src = addGroup(n.src, c, func(g group) bool { return g.class.srcKey == c.srcKey })
	n.fams = addToFamily(n.fams, c)
}

// eachPair calls f with the interned connections of the pod pairs from one node to another and how many
// pairs have them, leaving out the pods paired with themselves (self). A family's verdict is computed
// once, unless its members' named ports decide it.
func (m *Matrix) eachPair(from, to *MatrixNode, self selfPairs, f func(id int32, n int)) {
	for si, s := range from.src {
		for fi, fam := range to.fams {
			if id, ok := m.familyPair(s.class, fam.class); ok {
				if n := s.n*fam.n - self.fam[[2]int{si, fi}]; n > 0 {
					f(id, n)
				}
				continue
			}
			for di, d := range fam.members {
				if n := s.n*d.n - self.member[[3]int{si, fi, di}]; n > 0 {
					f(m.classPair(s.class, d.class), n)
				}
			}
		}
	}
}

// eachSetPair is eachPair between two sets of pods, which may share pods: a pod is never paired with
// itself.
func (e *Engine) eachSetPair(from, to []*model.Pod, f func(id int32, n int)) {
	m := &Matrix{e: e, families: pairTable{off: true}, members: pairTable{off: true}} // no cell: no unions
	var src, dst MatrixNode
	for _, p := range from {
		src.addPod(e.classOf[p], p)
	}
	for _, p := range to {
		dst.addPod(e.classOf[p], p)
	}
	m.eachPair(&src, &dst, m.selfPairs(&src, &dst), f)
}

// pairTable caches a result by (source key, destination key) in a dense table, allocated when first
// used: result+2, 1 for "not known by this key", 0 not computed yet.
type pairTable struct {
	cols  int
	cells []int32
	off   bool // not worth keeping
}

// maxPairTable bounds a pairTable (4 bytes an entry).
const maxPairTable = 16 << 20

// repeats says whether visits of a table of size entries meet each entry twice or more on average, and
// the table is not too large to keep.
func repeats(visits, size int) bool { return size <= maxPairTable && visits >= 2*size }

func (t *pairTable) get(rows, cols int, s, d int32, compute func() (int32, bool)) (int32, bool) {
	if t.off {
		return compute()
	}
	if t.cells == nil {
		t.cols, t.cells = cols, make([]int32, rows*cols)
	}
	i := int(s)*t.cols + int(d)
	switch v := t.cells[i]; v {
	case 0:
	case 1:
		return 0, false
	default:
		return v - 2, true
	}
	id, ok := compute()
	if ok {
		t.cells[i] = id + 2
	} else {
		t.cells[i] = 1
	}
	return id, ok
}

// familyPair is the engine's familyPair, cached for the matrix.
func (m *Matrix) familyPair(s, d *Class) (int32, bool) {
	return m.families.get(len(m.e.srcKeys), len(m.e.famKeys), s.srcKey, d.famKey, func() (int32, bool) { return m.e.familyPair(s, d) })
}

// classPair is the engine's classPair, cached for the matrix.
func (m *Matrix) classPair(s, d *Class) int32 {
	id, _ := m.members.get(len(m.e.srcKeys), len(m.e.dstKeys), s.srcKey, d.dstKey, func() (int32, bool) { return m.e.classPair(s, d), true })
	return id
}

// selfPairs counts the pods of both nodes, paired with themselves, per source group and destination
// family (fam) and family member (member): a pod to itself is not a pair of a set (as in queries), so a
// diagonal cell leaves them out.
type selfPairs struct {
	fam    map[[2]int]int
	member map[[3]int]int
}

func (m *Matrix) selfPairs(from, to *MatrixNode) selfPairs {
	both := from.pods
	if from != to {
		in := make(map[*model.Pod]bool, len(to.pods))
		for _, p := range to.pods {
			in[p] = true
		}
		both = slices.DeleteFunc(slices.Clone(from.pods), func(p *model.Pod) bool { return !in[p] })
	}
	out := selfPairs{fam: map[[2]int]int{}, member: map[[3]int]int{}}
	if len(both) == 0 {
		return out
	}
	srcIdx := make(map[int32]int, len(from.src))
	for i, g := range from.src {
		srcIdx[g.class.srcKey] = i
	}
	type at struct{ fam, member int }
	dstIdx := map[int32]at{}
	for fi, f := range to.fams {
		for di, g := range f.members {
			dstIdx[g.class.dstKey] = at{fi, di}
		}
	}
	for _, p := range both {
		c := m.e.classOf[p]
		si, d := srcIdx[c.srcKey], dstIdx[c.dstKey]
		out.fam[[2]int{si, d.fam}]++
		out.member[[3]int{si, d.fam, d.member}]++
	}
	return out
}

type cellAgg struct {
	first                int32
	allowed, full, total int
	mixed, started       bool
	ids                  []int32        // the distinct results, once mixed
	seen                 map[int32]bool // ids as a set, once there are many
}

func (a *cellAgg) add(id int32, n int) {
	if !a.started {
		a.started, a.first = true, id
	} else if id != a.first {
		a.addDistinct(id)
	}
	a.total += n
	if id != connNone {
		a.allowed += n
	}
	if id == connAll {
		a.full += n
	}
}

// addDistinct records a result other than the first; a cell may have thousands (every workload's own
// port), so the union is taken once at the end, not pair by pair.
func (a *cellAgg) addDistinct(id int32) {
	if !a.mixed {
		a.mixed = true
		a.ids = append(a.ids[:0], a.first)
	}
	if a.seen != nil {
		if !a.seen[id] {
			a.seen[id] = true
			a.ids = append(a.ids, id)
		}
		return
	}
	if slices.Contains(a.ids, id) {
		return
	}
	a.ids = append(a.ids, id)
	if len(a.ids) > 16 {
		a.seen = make(map[int32]bool, 2*len(a.ids))
		for _, x := range a.ids {
			a.seen[x] = true
		}
	}
}

func (a *cellAgg) cell(m *Matrix) Cell {
	union := a.first
	switch {
	case !a.mixed:
	case len(a.ids) <= 4:
		for _, id := range a.ids[1:] {
			union = m.unionID(union, id)
		}
	default:
		sets := make([]ConnSet, len(a.ids))
		for i, id := range a.ids {
			sets[i] = m.e.conns.sets[id]
		}
		union = m.e.conns.id(unionAll(sets))
	}
	return Cell{Conns: m.e.conns.sets[union], ConnID: union, Allowed: a.allowed, Full: a.full, Total: a.total, Uniform: !a.mixed}
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

// egressToIPID is the interned egress result of a class to an external block: it depends only on the
// class's isolating policies (polKey), as a block has no named ports.
func (e *Engine) egressToIPID(c *Class, a *Atom) int32 {
	return e.atomID(Egress, c, a, func() ConnSet { return e.egressToIP(c, a.IP, false).Conns })
}

// ingressFromIPID is the interned ingress result of a class from an external block: it depends on the
// class's isolating policies, and on its named ports only when a rule naming a port admits the block.
// The class's own node always gets in (NP-19), so a node's address is evaluated for each class.
func (e *Engine) ingressFromIPID(c *Class, a *Atom) int32 {
	if e.ownNode(c, a.IP) != nil {
		return e.conns.id(e.ingressFromIP(c, a.IP, false).Conns)
	}
	return e.atomID(Ingress, c, a, func() ConnSet { return e.ingressFromIP(c, a.IP, false).Conns })
}

type atomKey struct {
	dir   Direction
	pol   int32 // Class.polKey
	ports int32 // Class.portsKey, or -1 when the named ports do not matter
	block netip.Prefix
	net   string // the class's network: it may decide before the policies (UDN-2, UDN-3)
}

func (e *Engine) atomID(d Direction, c *Class, a *Atom, eval func() ConnSet) int32 {
	k := atomKey{d, c.polKey[d], -1, a.Prefix, e.classNet(c)}
	id, ok := e.atomMemo[k]
	if !ok {
		id = portsMatter
		if d == Egress || !c.named[d] || !e.namedRuleMatches(d, c, e.ipHas(d, a.IP)) {
			id = e.conns.id(eval())
		}
		e.atomMemo[k] = id
	}
	if id != portsMatter {
		return id
	}
	k.ports = c.portsKey
	if id, ok := e.atomMemo[k]; ok {
		return id
	}
	id = e.conns.id(eval())
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
