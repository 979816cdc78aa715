package simulate

import "slices"

// Fast pair evaluation for matrices. What one side allows depends only on (a) the policies that isolate
// the pod on that side, (b) the destination's named ports, and (c) which of the peers named by those
// policies' rules select the other end. (c) is a small bitmask, so results are memoized per
// (policies, ports, mask) and a pair costs a few bit tests and two lookups in small tables.

// bitset is a set of class IDs.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int)      { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) has(i int) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }

type sideKey struct {
	dir   Direction
	pol   int32
	ports int32
	mask  uint64
}

// relevantPeers lists the distinct peers named by the rules of the given policies and admin policies in
// direction d.
func (e *Engine) relevantPeers(d Direction, pols, tiers []int32) []int32 {
	seen := map[int32]bool{}
	var out []int32
	e.eachRule(d, pols, tiers, func(r *crule) {
		for _, id := range r.peers {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	})
	return out
}

// eachRule calls f with every rule in direction d of the policies and admin tiers.
func (e *Engine) eachRule(d Direction, pols, tiers []int32, f func(*crule)) {
	for _, pi := range pols {
		for _, r := range e.policies[pi].rules[d] {
			f(r)
		}
	}
	for _, ti := range tiers {
		for _, r := range e.admins[ti].rules[d] {
			f(&r.crule)
		}
	}
}

// mask says which of rel select class c; ok is false when rel has more peers than a mask holds.
func (e *Engine) mask(d Direction, rel []int32, c *Class) (m uint64, ok bool) {
	if len(rel) > 64 {
		return 0, false
	}
	bits := e.peerBits[d]
	for i, id := range rel {
		if bits[id].has(c.ID) {
			m |= 1 << uint(i)
		}
	}
	return m, true
}

// egressID is the interned egress verdict of s towards pods of d.
func (e *Engine) egressID(s, d *Class) int32 {
	return e.sideID(Egress, s, d, d, func() ConnSet { return e.egressToClass(s, d, false).Conns })
}

// ingressID is the interned ingress verdict of d for pods of s.
func (e *Engine) ingressID(d, s *Class) int32 {
	return e.sideID(Ingress, d, s, d, func() ConnSet { return e.ingressFromClass(d, s, false).Conns })
}

// portsMatter is the memoized value of a side whose verdict depends on the destination's named ports.
const portsMatter int32 = -2

// sideID memoizes one side: owner's isolating policies in direction d, against the other end, with
// named ports resolved on dst.
func (e *Engine) sideID(d Direction, owner, other, dst *Class, eval func() ConnSet) int32 {
	id, k, ok := e.sharedSideID(d, owner, other, eval)
	switch {
	case ok:
		return id
	case id != portsMatter:
		return e.conns.id(eval())
	}
	k.ports = dst.portsKey
	if id, ok := e.sideMemo[k]; ok {
		return id
	}
	id = e.conns.id(eval())
	e.sideMemo[k] = id
	return id
}

// sharedSideID is sideID when the verdict is the same for every destination of the other end's family,
// whatever its named ports resolve to. Otherwise ok is false, and id is portsMatter when only the
// named ports are missing from the memo key k, or -1 when the side has too many peers to memoize.
func (e *Engine) sharedSideID(d Direction, owner, other *Class, eval func() ConnSet) (id int32, k sideKey, ok bool) {
	if len(owner.policies[d]) == 0 && len(owner.tiers[d]) == 0 {
		return connAll, k, true
	}
	m, ok := e.mask(d, owner.rel[d], other)
	if !ok {
		return -1, k, false
	}
	k = sideKey{dir: d, pol: owner.polKey[d], ports: -1, mask: m}
	memo := e.sharedMemo(d, k.pol)
	id, ok = memo[m]
	if !ok {
		id = portsMatter
		if !owner.named[d] || !e.namedRuleMatches(d, owner, maskHas(owner.rel[d], m)) {
			id = e.conns.id(eval())
		}
		memo[m] = id
	}
	return id, k, id != portsMatter
}

// sharedMemo is the memo of sharedSideID for one direction and policy list, by mask: a map with an
// integer key, as a matrix looks it up for every pair of source group and destination family.
func (e *Engine) sharedMemo(d Direction, pol int32) map[uint64]int32 {
	if int(pol) >= len(e.shared[d]) {
		e.shared[d] = append(e.shared[d], make([]map[uint64]int32, int(pol)+1-len(e.shared[d]))...)
	}
	memo := e.shared[d][pol]
	if memo == nil {
		memo = map[uint64]int32{}
		e.shared[d][pol] = memo
	}
	return memo
}

// namedRuleMatches reports whether a rule that names a port (NP-15) applies to the other end, whose
// peers are those has accepts: only then does the side depend on the destination's named ports.
func (e *Engine) namedRuleMatches(d Direction, owner *Class, has func(peer int32) bool) bool {
	found := false
	e.eachRule(d, owner.policies[d], owner.tiers[d], func(r *crule) {
		if found || !slices.ContainsFunc(r.ports, func(p cport) bool { return p.name != "" }) {
			return
		}
		found = r.allPeers || slices.ContainsFunc(r.peers, has)
	})
	return found
}

// maskHas accepts the peers of rel that the mask m selects.
func maskHas(rel []int32, m uint64) func(peer int32) bool {
	return func(id int32) bool {
		i := slices.Index(rel, id)
		return i >= 0 && m&(1<<uint(i)) != 0
	}
}

// intersectID interns a ∩ b.
func (e *Engine) intersectID(a, b int32) int32 {
	switch {
	case a == connAll:
		return b
	case b == connAll, a == b:
		return a
	case a == connNone || b == connNone:
		return connNone
	}
	k := uint64(a)<<32 | uint64(uint32(b))
	if id, ok := e.interMemo[k]; ok {
		return id
	}
	id := e.conns.id(e.conns.sets[a].Intersect(e.conns.sets[b]))
	e.interMemo[k] = id
	return id
}

// classPair returns the interned connections from a pod of s to another pod of d (NP-4: the source's
// egress AND the destination's ingress). A host-network source on the destination's node is the node
// itself, whose ingress is always allowed (NP-19).
func (e *Engine) classPair(s, d *Class) int32 {
	if e.separated(s, d) {
		return connNone // UDN-3
	}
	return e.policyPair(s, d)
}

// policyPair is classPair without the networks' gate: what the policies of both ends allow.
func (e *Engine) policyPair(s, d *Class) int32 {
	if s.HostNetwork && s.Node != "" && s.Node == d.Node {
		return e.egressID(s, d)
	}
	return e.intersectID(e.egressID(s, d), e.ingressID(d, s))
}

// familyPair is classPair for every destination of d's family (famKey) at once; ok is false when the
// verdict depends on which member, through its named ports.
func (e *Engine) familyPair(s, d *Class) (id int32, ok bool) {
	if e.separated(s, d) { // the family shares d's network: one verdict for all of it
		return connNone, true
	}
	eg, _, ok := e.sharedSideID(Egress, s, d, func() ConnSet { return e.egressToClass(s, d, false).Conns })
	if !ok {
		return 0, false
	}
	if s.HostNetwork && s.Node != "" && s.Node == d.Node {
		return eg, true
	}
	in, _, ok := e.sharedSideID(Ingress, d, s, func() ConnSet { return e.ingressFromClass(d, s, false).Conns })
	if !ok {
		return 0, false
	}
	return e.intersectID(eg, in), true
}
