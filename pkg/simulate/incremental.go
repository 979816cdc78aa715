package simulate

import (
	"maps"
	"reflect"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
)

// A change to objects of one namespace changes only the cells with a node of that namespace at one end:
// a NetworkPolicy selects pods of its own namespace (NP-1), so it decides their ingress and egress and
// nothing else; a namespace's labels and its pods' labels, addresses and nodes matter only to flows of
// those pods. So when two inputs differ only in namespaced objects, DiffEngines compares the rows and
// columns of the namespaces they touch and leaves every other cell alone: it is equal on both sides.
// Anything whose reach is wider makes it compare every cell: cluster-scoped objects (admin policies,
// EgressIPs, nodes, IngressControllers), the scenario, the external address blocks, and the pods that
// policy-only input derives from every policy's selectors.

// DiffEngines is Diff of the two engines' matrices at level, computed over the cells a change can have
// touched (all of them when the change is cluster-wide), and the after matrix's nodes.
func DiffEngines(before, after *Engine, level Level) (*MatrixDiff, []TextNode, error) {
	mb, ma := before.Matrix(level), after.Matrix(level)
	touched, ok := TouchedNamespaces(before, after)
	if !ok {
		tb, ta := mb.Texts(), ma.Texts()
		d, err := Diff(tb, ta)
		return d, ta.Nodes, err
	}
	// A node is touched when it holds a pod of a touched namespace on either side (a namespace that
	// moves to another zone touches both zones).
	nodes := mb.nodesOf(touched)
	maps.Copy(nodes, ma.nodesOf(touched))
	tb, ta := mb.textsAround(nodes), ma.textsAround(nodes)
	d, err := diffCells(tb, ta, nodes)
	return d, ta.Nodes, err
}

// TouchedNamespaces are the namespaces whose objects, or whose pods' derived addresses and nodes,
// differ between two engines' inputs; ok is false when the difference reaches beyond namespaces, or
// when the inputs carry no digests to compare.
func TouchedNamespaces(before, after *Engine) (touched map[string]bool, ok bool) {
	b, a := before.Cluster, after.Cluster
	if before.Profile.Name != after.Profile.Name || before.ZoneLabel != after.ZoneLabel || b.Contents == nil || a.Contents == nil ||
		b.ScenarioContent != a.ScenarioContent {
		return nil, false
	}
	touched = map[string]bool{}
	// touch marks the namespace of an object that differs; false for an object whose reach is wider.
	touch := func(key string) bool {
		kind, rest, _ := strings.Cut(key, "/")
		ns, name, _ := strings.Cut(rest, "/")
		switch {
		case kind == "Namespace":
			touched[name] = true
		case ns == "" || kind == "IngressController": // an IngressController admits routes of every namespace
			return false
		default:
			touched[ns] = true
		}
		return true
	}
	for k, h := range b.Contents {
		if g, ok := a.Contents[k]; (!ok || g != h) && !touch(k) {
			return nil, false
		}
	}
	for k := range a.Contents {
		if _, ok := b.Contents[k]; !ok && !touch(k) {
			return nil, false
		}
	}
	if !sameNodes(b.Nodes, a.Nodes) || !sameAtoms(before.ExternalAtoms(), after.ExternalAtoms()) {
		return nil, false
	}
	// What the loader derives rather than reads: pods' addresses (assigned in order over every pod),
	// nodes, template and router pods; implicit namespaces and their labels.
	pods := map[string]*model.Pod{}
	for _, p := range b.Pods {
		if p.Representative {
			return nil, false
		}
		pods[p.Key()] = p
	}
	for _, p := range a.Pods {
		if p.Representative {
			return nil, false
		}
		if q, ok := pods[p.Key()]; !ok || !samePod(p, q) {
			touched[p.Namespace] = true
		}
		delete(pods, p.Key())
	}
	for _, q := range pods {
		touched[q.Namespace] = true
	}
	nss := map[string]*model.Namespace{}
	for _, n := range b.Namespaces {
		nss[n.Name] = n
	}
	for _, n := range a.Namespaces {
		if m, ok := nss[n.Name]; !ok || !maps.Equal(n.Labels, m.Labels) || n.Implicit != m.Implicit {
			touched[n.Name] = true
		}
		delete(nss, n.Name)
	}
	for name := range nss {
		touched[name] = true
	}
	return touched, true
}

// samePod says whether two pods read alike: everything but where they were read and the objects they
// point to, which are compared by name.
func samePod(p, q *model.Pod) bool {
	owner := func(p *model.Pod) (string, string) {
		w, r := "", ""
		if p.Workload != nil {
			w = p.Workload.Key()
		}
		if p.EgressRouter != nil {
			r = p.EgressRouter.Namespace + "/" + p.EgressRouter.Name
		}
		return w, r
	}
	pw, pr := owner(p)
	qw, qr := owner(q)
	pc, qc := *p, *q
	pc.Source, qc.Source, pc.Workload, qc.Workload, pc.EgressRouter, qc.EgressRouter = model.Source{}, model.Source{}, nil, nil, nil, nil
	return pw == qw && pr == qr && reflect.DeepEqual(pc, qc)
}

func sameNodes(b, a []*model.Node) bool {
	if len(b) != len(a) {
		return false
	}
	for i := range b {
		x, y := *b[i], *a[i]
		x.Source, y.Source = model.Source{}, model.Source{}
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

func sameAtoms(b, a []Atom) bool {
	if len(b) != len(a) {
		return false
	}
	for i := range b {
		if b[i].Name != a[i].Name || b[i].Prefix != a[i].Prefix || b[i].IP != a[i].IP || (b[i].External == nil) != (a[i].External == nil) {
			return false
		}
	}
	return true
}

// nodesOf are the names of the nodes that hold a pod of one of the namespaces.
func (m *Matrix) nodesOf(namespaces map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, n := range m.Nodes {
		for _, p := range n.pods {
			if namespaces[p.Namespace] {
				out[n.Name] = true
				break
			}
		}
	}
	return out
}

// textsAround are the texts of the cells with one of the named nodes at one end, over every node.
func (m *Matrix) textsAround(names map[string]bool) *CellTexts {
	t := &CellTexts{Level: string(m.Level), CNI: m.Profile, Cells: map[[2]string]string{}}
	var hit []*MatrixNode
	for _, n := range m.Nodes {
		t.Nodes = append(t.Nodes, TextNode{Name: n.Name, Kind: n.Kind, Pods: n.Pods})
		if names[n.Name] {
			hit = append(hit, n)
		}
	}
	put := func(from, to *MatrixNode) {
		if c := m.cell(from, to); !c.NA && c.Allowed > 0 {
			t.Cells[[2]string{from.Name, to.Name}] = c.Text()
		}
	}
	for _, from := range m.Nodes {
		tos := hit
		if names[from.Name] {
			tos = m.Cols
		}
		for _, to := range tos {
			put(from, to)
		}
	}
	return t
}
