package simulate

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
)

// Atom is a block of addresses outside the pod network that every ipBlock treats alike: a prefix named in
// some policy minus the prefixes nested in it. The block of 0.0.0.0/0 is "internet".
type Atom struct {
	Name   string
	Prefix netip.Prefix
	// IP is an address of the block that no pod, node or service uses, to evaluate it by.
	IP netip.Addr
	// External is the scenario endpoint the block stands for, if any.
	External *model.External
}

func (a *Atom) member() Member { return Member{IP: a.IP, Name: a.Name, External: a.External} }

// InternetName names the addresses that no ipBlock names.
const InternetName = "internet"

// ExternalAtoms splits the address space at every ipBlock cidr and except, and at every EgressFirewall
// cidrSelector, so that what a rule allows is a block of its own (sorted, internet last).
func (e *Engine) ExternalAtoms() []Atom {
	prefixes := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
	v6 := false
	for _, b := range e.ipBlocks {
		prefixes = append(prefixes, b.cidr)
		prefixes = append(prefixes, b.except...)
		v6 = v6 || b.cidr.Addr().Is6()
	}
	for _, f := range e.Cluster.EgressFirewalls {
		for _, r := range f.Rules {
			if r.CIDR.IsValid() && r.CIDR.Bits() > 0 {
				prefixes = append(prefixes, r.CIDR)
				v6 = v6 || r.CIDR.Addr().Is6()
			}
		}
	}
	if v6 {
		prefixes = append(prefixes, netip.MustParsePrefix("::/0"))
	}
	atoms := e.atomsOf(prefixes)
	sort.SliceStable(atoms, func(i, j int) bool {
		a, b := atoms[i], atoms[j]
		if (a.Prefix.Bits() == 0) != (b.Prefix.Bits() == 0) {
			return b.Prefix.Bits() == 0
		}
		if a.Prefix.Addr() != b.Prefix.Addr() {
			return a.Prefix.Addr().Less(b.Prefix.Addr())
		}
		return a.Prefix.Bits() < b.Prefix.Bits()
	})
	return atoms
}

// atomsOf returns one atom per distinct prefix that still has an address of its own.
func (e *Engine) atomsOf(prefixes []netip.Prefix) []Atom {
	seen := map[netip.Prefix]bool{}
	var uniq []netip.Prefix
	for _, p := range prefixes {
		p = p.Masked()
		if !seen[p] {
			seen[p] = true
			uniq = append(uniq, p)
		}
	}
	var out []Atom
	for _, p := range uniq {
		var children []netip.Prefix
		for _, q := range uniq {
			if q != p && q.Bits() > p.Bits() && p.Contains(q.Addr()) && q.Addr().Is4() == p.Addr().Is4() {
				children = append(children, q)
			}
		}
		ip, ok := e.representative(p, children)
		if !ok {
			continue
		}
		name := p.String()
		if p.Bits() == 0 {
			name = InternetName
			if p.Addr().Is6() {
				name = InternetName + "6"
			}
		}
		if p.Bits() > 0 && len(children) > 0 {
			// Say exactly what the block covers: the prefix, less the blocks nested in it.
			var less []string
			for _, c := range children {
				less = append(less, c.String())
			}
			sort.Strings(less)
			name += " except " + strings.Join(less, ", ")
		}
		out = append(out, Atom{Name: name, Prefix: p, IP: ip})
	}
	return out
}

// representative finds an address in p, outside every child prefix, that no pod, node or service uses.
func (e *Engine) representative(p netip.Prefix, children []netip.Prefix) (netip.Addr, bool) {
	ip := p.Addr()
	if p.Bits() == 0 && ip.Is4() {
		ip = netip.MustParseAddr("192.0.2.1") // a documentation address stands for "some host on the internet"
	}
	for tries := 0; tries < 1<<16; tries++ {
		if !p.Contains(ip) {
			return netip.Addr{}, false
		}
		moved := false
		for _, c := range children {
			if c.Contains(ip) {
				ip = lastAddr(c).Next()
				moved = true
			}
		}
		if moved {
			if !ip.IsValid() {
				return netip.Addr{}, false
			}
			continue
		}
		if !e.isClusterIP(ip) {
			return ip, true
		}
		ip = ip.Next()
	}
	return netip.Addr{}, false
}

func (e *Engine) isClusterIP(ip netip.Addr) bool {
	if e.ZoneOfIP(ip) != "" {
		return true // a zone's own network is not "outside"
	}
	if _, ok := e.podByIP[ip]; ok {
		return true
	}
	if _, ok := e.nodeByIP[ip]; ok {
		return true
	}
	for _, s := range e.Cluster.Services {
		if s.ClusterIP == ip {
			return true
		}
	}
	return false
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().AsSlice()
	bits := p.Bits()
	for i := range a {
		for b := 0; b < 8; b++ {
			if i*8+b >= bits {
				a[i] |= 0x80 >> b
			}
		}
	}
	out, _ := netip.AddrFromSlice(a)
	return out
}
