package check

import (
	"fmt"
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
	// ListedAs is the list's entry that holds the address, when it is a wider block.
	ListedAs string `json:"listedAs,omitempty"`
	// Why says why traffic leaves with a node's IP.
	Why string `json:"why,omitempty"`
}

// Missing counts the entries the endpoint's list lacks.
func (a Allowlist) Missing() int {
	n := 0
	for _, e := range a.Entries {
		if e.Status == Missing {
			n++
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
		if x := sc.External(strings.TrimPrefix(name, "ext:")); x != nil {
			xs = append(xs, x)
		} else {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		var names []string
		for _, x := range sc.Externals {
			names = append(names, x.Name)
		}
		return nil, fmt.Errorf("no external endpoint %s in scenario %s (it has: %s)", strings.Join(unknown, ", "), sc.Name, strings.Join(names, ", "))
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
	a := Allowlist{Endpoint: x.Name, Source: x.Source, Keeps: len(x.AcceptsFrom) > 0, Namespaces: ch.reaching(x), Entries: []AllowlistEntry{}}
	if len(a.Namespaces) == 0 {
		a.Notes = append(a.Notes, fmt.Sprintf("the contract lets no namespace reach ext:%s (contract.egress)", x.Name))
	}
	byIP := map[netip.Addr]*AllowlistEntry{}
	var order []netip.Addr
	for _, ns := range a.Namespaces {
		if ch.c.Namespace(ns) == nil {
			a.Notes = append(a.Notes, fmt.Sprintf("the contract names namespace %s, which the input does not have", ns))
			continue
		}
		pods := ch.podsOf(ns)
		dropped, unknown := false, false
		for _, p := range pods {
			ids, drop := ch.e.EgressIdentities(p)
			dropped = dropped || drop
			unknown = unknown || !drop && len(ids) == 0
			for _, id := range ids {
				en := byIP[id.IP]
				if en == nil {
					src := id.Source
					en = &AllowlistEntry{Address: id.IP.String(), Kind: id.Kind, Name: id.Name, Source: &src, Why: id.Why}
					byIP[id.IP] = en
					order = append(order, id.IP)
				}
				en.Hosts = union(en.Hosts, id.Hosts...)
				en.Namespaces = union(en.Namespaces, ns)
			}
		}
		if dropped {
			a.Notes = append(a.Notes, fmt.Sprintf("%s's external traffic is dropped: its egress IPs are set but no node hosts them (SDN-1)", ns))
		}
		if unknown {
			a.Notes = append(a.Notes, fmt.Sprintf("%s: no node it can run on is declared, so the node IPs its traffic leaves with are unknown (declare the scenario's nodes)", ns))
		}
	}
	slices.SortFunc(order, netip.Addr.Compare)
	used := make([]bool, len(x.AcceptsFrom))
	for _, ip := range order {
		en := byIP[ip]
		en.Status = Required
		if a.Keeps {
			en.Status = Missing
		}
		for i, pfx := range x.AcceptsFrom {
			if pfx.Contains(ip) {
				used[i] = true
				if en.Status == Missing {
					en.Status = Registered
					if pfx.Bits() != ip.BitLen() {
						en.ListedAs = pfx.String()
					}
				}
			}
		}
		a.Entries = append(a.Entries, *en)
	}
	for i, pfx := range x.AcceptsFrom {
		if !used[i] {
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
