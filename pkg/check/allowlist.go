package check

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// Allowlist is what an external endpoint's source allowlist must hold (OB-3): the egress identity
// (ZN-6) of every namespace the contract lets reach it, against what the scenario says it holds.
type Allowlist struct {
	Endpoint string       `json:"endpoint"`
	Source   model.Source `json:"source"`
	// Keeps is false for an endpoint without acceptsFrom: it accepts every source, and its entries
	// are what to register should it keep a list.
	Keeps bool `json:"keepsAllowlist"`
	// Namespaces are those the contract lets reach the endpoint.
	Namespaces []string         `json:"namespaces"`
	Entries    []AllowlistEntry `json:"entries"`
	// Notes say what the entries could not take in: a namespace the input lacks, traffic that is
	// dropped, nodes that are unknown.
	Notes []string `json:"notes,omitempty"`
}

// Entry statuses.
const (
	Registered = "registered" // needed and on the list
	Missing    = "missing"    // needed and not on the list
	Stale      = "stale"      // on the list, needed by no namespace of the contract
	Required   = "required"   // needed; the endpoint keeps no list
	Unhosted   = "unhosted"   // an egress IP of the namespaces that no node can host (ZN-6): unused until one can
)

// AllowlistEntry is one address: an identity some namespace leaves with, or a stale entry of the list.
type AllowlistEntry struct {
	// Address is the identity's IP, or a stale entry as the list gives it.
	Address string `json:"address"`
	Status  string `json:"status"`
	// Kind and Name are the object giving the identity: EgressIP, NetNamespace or Node.
	Kind   string        `json:"kind,omitempty"`
	Name   string        `json:"name,omitempty"`
	Source *model.Source `json:"source,omitempty"`
	// Hosts are the nodes the address leaves from.
	Hosts []string `json:"hosts,omitempty"`
	// Namespaces are those whose traffic leaves with it.
	Namespaces []string `json:"namespaces,omitempty"`
	// ListedAs is the list's entry that holds the address, when it is a wider block (or the address is
	// unhosted, to say that the list has it).
	ListedAs string `json:"listedAs,omitempty"`
	// Why says why traffic leaves with a node's IP; several reasons are joined by "; ".
	Why string `json:"why,omitempty"`
}

// MissingEntries counts the entries the endpoints' lists lack.
func MissingEntries(lists []Allowlist) int {
	n := 0
	for _, a := range lists {
		for _, e := range a.Entries {
			if e.Status == Missing {
				n++
			}
		}
	}
	return n
}

// Allowlists computes the allowlist of each endpoint named (ext: optional), or of every endpoint that
// keeps one (acceptsFrom) when none is named. It needs a Scenario.
func Allowlists(e *simulate.Engine, endpoints []string) ([]Allowlist, error) {
	sc := e.Cluster.Scenario
	if sc == nil {
		return nil, fmt.Errorf("allowlists need a kind: Scenario: its externals (acceptsFrom) and its contract (egress) say who must be on them")
	}
	var xs []*model.External
	var unknown []string
	for _, name := range endpoints {
		x := sc.External(strings.TrimPrefix(name, "ext:"))
		switch {
		case x == nil:
			unknown = append(unknown, name)
		case !slices.Contains(xs, x):
			xs = append(xs, x)
		}
	}
	if len(unknown) > 0 {
		var names []string
		for _, x := range sc.Externals {
			names = append(names, x.Name)
		}
		has := "it declares none"
		if len(names) > 0 {
			has = "it has: " + strings.Join(names, ", ")
		}
		return nil, fmt.Errorf("no external endpoint %s in scenario %s (%s)", strings.Join(unknown, ", "), sc.Name, has)
	}
	if len(endpoints) == 0 {
		for _, x := range sc.Externals {
			if len(x.AcceptsFrom) > 0 {
				xs = append(xs, x)
			}
		}
	}
	ch := newChecker(e, Options{})
	out := make([]Allowlist, 0, len(xs))
	for _, x := range xs {
		out = append(out, ch.allowlist(x))
	}
	return out, nil
}

// allowlist computes one endpoint's list.
func (ch *checker) allowlist(x *model.External) Allowlist {
	a := Allowlist{Endpoint: x.Name, Source: x.Source, Keeps: len(x.AcceptsFrom) > 0, Namespaces: []string{}, Entries: []AllowlistEntry{}}
	reaching := ch.reaching(x)
	if len(reaching) == 0 {
		a.Notes = append(a.Notes, fmt.Sprintf("the contract lets no namespace reach ext:%s (contract.egress)", x.Name))
	}
	// An egress IP serves one address family: the identities are those of the families the endpoint has.
	var families []netip.Addr
	for _, p := range x.Addresses {
		if !slices.ContainsFunc(families, func(f netip.Addr) bool { return f.Is4() == p.Addr().Is4() }) {
			families = append(families, p.Addr())
		}
	}
	byIP := map[netip.Addr]*AllowlistEntry{}
	whys := map[netip.Addr][]string{} // why traffic leaves with a node's IP, every reason once
	add := func(id simulate.EgressIdentity, status, ns string) {
		en := byIP[id.IP]
		if en == nil {
			src := id.Source
			en = &AllowlistEntry{Address: id.IP.String(), Status: status, Kind: id.Kind, Name: id.Name, Source: &src}
			byIP[id.IP] = en
		}
		if status != Unhosted {
			en.Status = status // used by some pod: not only unhosted
		}
		en.Hosts = union(en.Hosts, id.Hosts...)
		en.Namespaces = union(en.Namespaces, ns)
		if id.Why != "" {
			whys[id.IP] = union(whys[id.IP], id.Why)
		}
	}
	unknown := false // some namespace leaves with an address the input does not give
	notes := map[string]bool{}
	note := func(n string) {
		if !notes[n] {
			notes[n] = true
			a.Notes = append(a.Notes, n)
		}
	}
	for _, ns := range reaching {
		if ch.c.Namespace(ns) == nil {
			note(fmt.Sprintf("the contract names namespace %s, which the input does not have: it is left out", ns))
			continue
		}
		a.Namespaces = append(a.Namespaces, ns)
		for _, p := range ch.podsOf(ns) {
			for _, dst := range families {
				path := ch.e.EgressIdentities(p, dst)
				for _, id := range path.Identities {
					add(id, Required, ns)
				}
				for _, id := range path.Unhostable {
					add(id, Unhosted, ns)
				}
				switch {
				case path.Unknown != "":
					unknown = true
					note(fmt.Sprintf("%s: %s, so the address its traffic leaves with is unknown, and no entry is called stale", ns, path.Unknown))
				case path.Dropped:
					note(fmt.Sprintf("%s's external traffic is dropped: its egress IPs are set but no node hosts them (SDN-1)", ns))
				case len(path.Identities) == 0 && len(ch.c.Nodes) == 0:
					note(fmt.Sprintf("%s: no node is declared, so the node IPs its traffic leaves with are unknown (declare the scenario's nodes)", ns))
				case len(path.Identities) == 0:
					note(fmt.Sprintf("%s: no declared node can run its pod %s (node selectors, NS-1), so no address its traffic would leave with is known", ns, p.Name))
				}
				if len(path.Overlapping) > 1 {
					note(fmt.Sprintf("several EgressIPs select pods of %s (%s): OVN-Kubernetes does not say which one applies, so the addresses of each are listed", ns, strings.Join(path.Overlapping, ", ")))
				}
			}
		}
	}
	used := make([]bool, len(x.AcceptsFrom))
	unhosted, objects := map[string][]string{}, []string(nil) // unhosted egress IPs by object
	for _, ip := range slices.SortedFunc(maps.Keys(byIP), netip.Addr.Compare) {
		en := byIP[ip]
		en.Why = strings.Join(whys[ip], "; ")
		if a.Keeps && en.Status == Required {
			en.Status = Missing
		}
		for i, pfx := range x.AcceptsFrom {
			if !pfx.Contains(ip) {
				continue
			}
			used[i] = true
			if en.Status == Missing {
				en.Status = Registered
			}
			if (pfx.Bits() != ip.BitLen() || en.Status == Unhosted) && en.ListedAs == "" {
				en.ListedAs = listed(pfx)
			}
		}
		if en.Status == Unhosted {
			key := en.Kind + " " + en.Name
			if unhosted[key] == nil {
				objects = append(objects, key)
			}
			unhosted[key] = append(unhosted[key], en.Address)
		}
		a.Entries = append(a.Entries, *en)
	}
	for _, obj := range objects {
		note(fmt.Sprintf("egress IP(s) %s of %s: no node can host them (EIP-2, ZN-6), so no traffic leaves with them until one can", strings.Join(unhosted[obj], ", "), obj))
	}
	for i, pfx := range x.AcceptsFrom {
		if !used[i] && !unknown { // an address not known offline may be the one the entry admits
			a.Entries = append(a.Entries, AllowlistEntry{Address: listed(pfx), Status: Stale})
		}
	}
	return a
}

// reaching are the namespaces the contract lets reach an endpoint.
func (ch *checker) reaching(x *model.External) []string {
	var out []string
	for _, eg := range ch.sc.Contract.Egress {
		for _, to := range eg.To {
			if strings.TrimPrefix(to, "ext:") == x.Name {
				out = union(out, ch.allowanceNamespaces(eg)...)
			}
		}
	}
	return out
}

// podsOf are a namespace's pods, or one without labels standing for those it will run.
func (ch *checker) podsOf(ns string) []*model.Pod {
	var out []*model.Pod
	for _, p := range ch.c.Pods {
		if p.Namespace == ns {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		out = append(out, &model.Pod{Namespace: ns, Name: "[any pod]"})
	}
	return out
}

// listed writes an allowlist entry as the scenario would: a single address without its /32 or /128.
func listed(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// union adds the values not in list yet, keeping it sorted.
func union(list []string, values ...string) []string {
	for _, v := range values {
		if i, found := slices.BinarySearch(list, v); !found {
			list = slices.Insert(list, i, v)
		}
	}
	return list
}
