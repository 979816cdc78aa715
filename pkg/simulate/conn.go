package simulate

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
)

// MaxPort is the highest TCP/UDP/SCTP port.
const MaxPort = 65535

// Range is an inclusive port range.
type Range struct{ Lo, Hi int32 }

// PortSet is a sorted list of disjoint, non-adjacent port ranges.
type PortSet []Range

// ConnSet is a set of connections: ports per protocol (TCP, UDP, SCTP, in model.Protocols order).
type ConnSet struct {
	p [3]PortSet
}

var fullRange = PortSet{{1, MaxPort}}

// AllConns is every port of every protocol.
func AllConns() ConnSet { return ConnSet{p: [3]PortSet{fullRange, fullRange, fullRange}} }

func protoIndex(p model.Protocol) int {
	switch p {
	case "UDP":
		return 1
	case "SCTP":
		return 2
	}
	return 0
}

// Add adds [lo,hi] of protocol p.
func (c *ConnSet) Add(p model.Protocol, lo, hi int32) {
	i := protoIndex(p)
	c.p[i] = c.p[i].union(PortSet{{lo, hi}})
}

// AddProtocol adds every port of protocol p.
func (c *ConnSet) AddProtocol(p model.Protocol) { c.Add(p, 1, MaxPort) }

// Union returns c ∪ o.
func (c ConnSet) Union(o ConnSet) ConnSet {
	var r ConnSet
	for i := range c.p {
		r.p[i] = c.p[i].union(o.p[i])
	}
	return r
}

// Intersect returns c ∩ o.
func (c ConnSet) Intersect(o ConnSet) ConnSet {
	var r ConnSet
	for i := range c.p {
		r.p[i] = c.p[i].intersect(o.p[i])
	}
	return r
}

// IsEmpty reports whether no connection is allowed.
func (c ConnSet) IsEmpty() bool { return len(c.p[0])+len(c.p[1])+len(c.p[2]) == 0 }

// IsAll reports whether every connection is allowed.
func (c ConnSet) IsAll() bool {
	for _, s := range c.p {
		if len(s) != 1 || s[0] != fullRange[0] {
			return false
		}
	}
	return true
}

// Contains reports whether port of protocol p is in the set.
func (c ConnSet) Contains(p model.Protocol, port int32) bool {
	for _, r := range c.p[protoIndex(p)] {
		if port >= r.Lo && port <= r.Hi {
			return true
		}
	}
	return false
}

// Equal reports whether both sets hold the same connections.
func (c ConnSet) Equal(o ConnSet) bool { return c.Key() == o.Key() }

// List returns the connections as strings: ["all"], [] or ["TCP/80", "TCP/8080-8090", "UDP"].
func (c ConnSet) List() []string {
	if c.IsAll() {
		return []string{"all"}
	}
	out := []string{}
	for i, s := range c.p {
		proto := string(model.Protocols[i])
		if len(s) == 1 && s[0] == fullRange[0] {
			out = append(out, proto)
			continue
		}
		for _, r := range s {
			if r.Lo == r.Hi {
				out = append(out, fmt.Sprintf("%s/%d", proto, r.Lo))
			} else {
				out = append(out, fmt.Sprintf("%s/%d-%d", proto, r.Lo, r.Hi))
			}
		}
	}
	return out
}

// String is "all", "-" for none, or "TCP/80, UDP/53".
func (c ConnSet) String() string {
	if c.IsEmpty() {
		return "-"
	}
	return strings.Join(c.List(), ", ")
}

// Key is a compact unique encoding, for interning.
func (c ConnSet) Key() string {
	var b strings.Builder
	for i, s := range c.p {
		if i > 0 {
			b.WriteByte('|')
		}
		for _, r := range s {
			b.WriteString(strconv.Itoa(int(r.Lo)))
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(r.Hi)))
			b.WriteByte(',')
		}
	}
	return b.String()
}

func (s PortSet) union(o PortSet) PortSet {
	if len(o) == 0 {
		return s
	}
	if len(s) == 0 {
		return o
	}
	merged := make(PortSet, 0, len(s)+len(o))
	i, j := 0, 0
	for i < len(s) || j < len(o) {
		var r Range
		if j >= len(o) || (i < len(s) && s[i].Lo <= o[j].Lo) {
			r, i = s[i], i+1
		} else {
			r, j = o[j], j+1
		}
		if n := len(merged); n > 0 && r.Lo <= merged[n-1].Hi+1 {
			if r.Hi > merged[n-1].Hi {
				merged[n-1].Hi = r.Hi
			}
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// unionAll is the union of many sets at once: every range sorted, then merged.
func unionAll(sets []ConnSet) ConnSet {
	var r ConnSet
	for i := range r.p {
		var all PortSet
		for _, c := range sets {
			all = append(all, c.p[i]...)
		}
		slices.SortFunc(all, func(a, b Range) int { return cmp.Compare(a.Lo, b.Lo) })
		for _, x := range all {
			if n := len(r.p[i]); n > 0 && x.Lo <= r.p[i][n-1].Hi+1 {
				r.p[i][n-1].Hi = max(r.p[i][n-1].Hi, x.Hi)
				continue
			}
			r.p[i] = append(r.p[i], x)
		}
	}
	return r
}

func (s PortSet) intersect(o PortSet) PortSet {
	var out PortSet
	i, j := 0, 0
	for i < len(s) && j < len(o) {
		lo, hi := max(s[i].Lo, o[j].Lo), min(s[i].Hi, o[j].Hi)
		if lo <= hi {
			out = append(out, Range{lo, hi})
		}
		if s[i].Hi < o[j].Hi {
			i++
		} else {
			j++
		}
	}
	return out
}

// connTable interns connection sets so matrices store small IDs.
type connTable struct {
	sets []ConnSet
	ids  map[string]int32
}

func newConnTable() *connTable {
	t := &connTable{ids: map[string]int32{}}
	t.id(ConnSet{})  // 0 = none
	t.id(AllConns()) // 1 = all
	return t
}

const (
	connNone int32 = 0
	connAll  int32 = 1
)

func (t *connTable) id(c ConnSet) int32 {
	k := c.Key()
	if id, ok := t.ids[k]; ok {
		return id
	}
	id := int32(len(t.sets))
	t.sets = append(t.sets, c)
	t.ids[k] = id
	return id
}

// Subtract returns c minus o.
func (c ConnSet) Subtract(o ConnSet) ConnSet {
	var r ConnSet
	for i := range c.p {
		r.p[i] = c.p[i].subtract(o.p[i])
	}
	return r
}

func (s PortSet) subtract(o PortSet) PortSet {
	var out PortSet
	for _, r := range s {
		lo := r.Lo
		for _, x := range o {
			if x.Hi < lo || x.Lo > r.Hi {
				continue
			}
			if x.Lo > lo {
				out = append(out, Range{lo, x.Lo - 1})
			}
			lo = x.Hi + 1
			if lo > r.Hi {
				break
			}
		}
		if lo <= r.Hi {
			out = append(out, Range{lo, r.Hi})
		}
	}
	return out
}

// portRangeConns is the set of one model.PortRange.
func portRangeConns(p model.PortRange) ConnSet {
	var c ConnSet
	c.Add(p.Protocol, p.Lo, p.Hi)
	return c
}

// portRangesConns is the union of port ranges; no range means every port.
func portRangesConns(ps []model.PortRange) ConnSet {
	if len(ps) == 0 {
		return AllConns()
	}
	var c ConnSet
	for _, p := range ps {
		c = c.Union(portRangeConns(p))
	}
	return c
}

// ConnsOf is the connection set of scenario port ranges; none means every port.
func ConnsOf(ps []model.PortRange) ConnSet { return portRangesConns(ps) }
