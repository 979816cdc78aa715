package simulate

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
)

// Caveat says that a verdict may depend on something zonesim did not model (an object of a kind it does
// not evaluate, in the namespace of one end or cluster-wide) or on an assumption the input does not state
// (an address zonesim assigned, which an ipBlock may cover; how a host-network pod is treated). Verdicts
// carry their caveats next to them.
type Caveat struct {
	// Kind is the unmodelled object's kind, or "assumption".
	Kind string `json:"kind"`
	// Object names it: namespace/name, or name when cluster-wide.
	Object string `json:"object,omitempty"`
	// Source is where the object was read; nil for an assumption.
	Source  *model.Source `json:"source,omitempty"`
	Message string        `json:"message"`
}

func (c Caveat) String() string {
	at := ""
	if c.Source != nil {
		at = " (" + c.Source.String() + ")"
	}
	if c.Kind == "assumption" {
		return c.Message
	}
	return fmt.Sprintf("%s %s%s is not modelled: %s", c.Kind, c.Object, at, c.Message)
}

// caveats lists the caveats of verdicts between pods of the given namespaces (and, cluster-wide, any), and
// about the given pods' addresses.
func (e *Engine) caveats(namespaces map[string]bool, pods []*model.Pod) []Caveat {
	var out []Caveat
	for _, u := range e.Cluster.Unmodelled {
		if u.Namespace != "" && !namespaces[u.Namespace] {
			continue
		}
		obj := u.Name
		if u.Namespace != "" {
			obj = u.Namespace + "/" + u.Name
		}
		src := u.Source
		out = append(out, Caveat{Kind: u.Kind, Object: obj, Source: &src, Message: u.Effect})
	}
	if len(e.ipBlocks) > 0 {
		var assigned, onNetworks []string
		for _, p := range pods {
			switch {
			case !e.assumedIP()[p]:
			case e.netOf[p.Namespace] != "":
				onNetworks = append(onNetworks, p.Key()+" "+p.IP.String())
			default:
				assigned = append(assigned, p.Key()+" "+p.IP.String())
			}
		}
		if n, list := fewOf(assigned); n > 0 {
			out = append(out, Caveat{Kind: "assumption", Message: fmt.Sprintf(
				"%d pod IP(s) that an ipBlock covers were assigned by zonesim (the input gives no status.podIP; --pod-cidr): %s; the verdicts on them assume those addresses",
				n, list)})
		}
		if n, list := fewOf(onNetworks); n > 0 {
			out = append(out, Caveat{Kind: "assumption", Message: fmt.Sprintf(
				"%d pod IP(s) on user-defined networks that an ipBlock covers were assigned by zonesim from their network's subnet (the input gives no k8s.ovn.org/pod-networks address): %s; the verdicts on them assume those addresses",
				n, list)})
		}
	}
	out = append(out, e.dnsNameCaveats(namespaces, pods)...)
	out = append(out, e.domainNameCaveats(namespaces, pods)...)
	out = append(out, e.samePriorityCaveats(namespaces, pods)...)
	out = append(out, e.egressServiceCaveats(pods)...)
	var host []string
	for _, p := range pods {
		if p.HostNetwork {
			host = append(host, p.Key())
		}
	}
	if n, list := fewOf(host); n > 0 {
		out = append(out, Caveat{Kind: "assumption", Message: fmt.Sprintf(
			"%d hostNetwork pod(s): %s; NetworkPolicy leaves host-network pods undefined (NP-20): their verdicts follow the %s profile's reading (the node's address, selected as node traffic), which another CNI may not share",
			n, list, e.Profile.Name)})
	}
	return out
}

// dnsNameCaveats are the dnsName rules of the namespaces' EgressFirewalls that name no DNS name of the
// scenario's external endpoints: where such a name resolves is not known offline, so a flow to one of
// its addresses is judged by the rules after it (EF-1).
func (e *Engine) dnsNameCaveats(namespaces map[string]bool, pods []*model.Pod) []Caveat {
	nss := namespacesOf(namespaces, pods)
	var out []Caveat
	for _, ns := range slices.Sorted(maps.Keys(nss)) {
		ef := e.Cluster.EgressFirewallOf(ns)
		if ef == nil {
			continue
		}
		for i, r := range ef.Rules {
			if r.DNSName == "" || e.namedByExternal(r.DNSName, DNSMatches) {
				continue
			}
			verb := "denies"
			if r.Allow {
				verb = "allows"
			}
			out = append(out, Caveat{Kind: "assumption", Message: fmt.Sprintf(
				"%s %s/%s rule %d (%s:%d) %s dnsName %s, which no external endpoint of the scenario names: the addresses it resolves to are unknown offline, "+
					"so flows to them are judged by the rules after it; declare the endpoint under the scenario's externals (dnsNames, addresses)",
				ef.Kind, ef.Namespace, ef.Name, i, ef.Source.File, r.Line, verb, r.DNSName)})
		}
	}
	return out
}

// domainNameCaveats are the domainNames peers of the enforced ClusterNetworkPolicies whose subject holds
// pods of the namespaces, where a name matches no DNS name of the scenario's external endpoints: where it
// resolves is not known offline, so a flow to one of its addresses is judged by the rules after it (CNP-3).
func (e *Engine) domainNameCaveats(namespaces map[string]bool, pods []*model.Pod) []Caveat {
	nss := namespacesOf(namespaces, pods)
	var out []Caveat
	for _, a := range e.admins {
		if !e.holdsAny(a, nss) {
			continue
		}
		dnsChecked := false
		for i, r := range a.src.Egress {
			for _, p := range r.Peers {
				if len(p.DomainNames) > 0 && a.src.Kind == "ClusterNetworkPolicy" && !dnsChecked {
					dnsChecked = true
					out = append(out, e.dnsReachCaveats(a, nss)...)
				}
				for _, name := range p.DomainNames {
					if a.src.Kind != "ClusterNetworkPolicy" || e.namedByExternal(name, DomainMatches) {
						continue
					}
					out = append(out, Caveat{Kind: "assumption", Message: fmt.Sprintf(
						"%s egress rule %d (%s:%d) %s domainName %s, which no external endpoint of the scenario names: the addresses it resolves to are unknown offline, "+
							"so flows to them are judged by the rules after it; declare the endpoint under the scenario's externals (dnsNames, addresses)",
						a.src.Key(), i, a.src.Source.File, r.Line, map[string]string{"Accept": "accepts", "Deny": "denies", "Pass": "passes"}[r.Action], name)})
				}
			}
		}
	}
	return out
}

// dnsServices are the cluster DNS services zonesim knows by name: Kubernetes' and OpenShift's.
var dnsServices = [][2]string{{"kube-system", "kube-dns"}, {"openshift-dns", "dns-default"}}

// dnsReachCaveats say, for a ClusterNetworkPolicy with domainNames peers, which of the namespaces its
// subject holds cannot reach the cluster DNS service on UDP/53: a domainNames rule works only for pods
// that can resolve names (CNP-3, NPEP-133), so its verdicts there are not what the cluster does.
func (e *Engine) dnsReachCaveats(a *cadmin, nss map[string]bool) []Caveat {
	var svc *model.Service
	for _, d := range dnsServices {
		if svc = e.Cluster.Service(d[0], d[1]); svc != nil {
			break
		}
	}
	if svc == nil {
		return nil // the input does not say where DNS is
	}
	ep, err := e.serviceEndpoint(svc)
	if err != nil {
		return nil
	}
	var blind []string
	for _, ns := range slices.Sorted(maps.Keys(nss)) {
		pods := e.podsOf(ns)
		if len(pods) == 0 || !e.adminHolds(a, e.classOf[pods[0]]) {
			continue
		}
		s := Member{Pod: pods[0], Name: pods[0].Key()}
		if pr, _ := e.pair(s, ep.Members[0], svc, &PortSpec{Protocol: "UDP", Lo: 53, Hi: 53}, false); !pr.Allowed {
			blind = append(blind, ns)
		}
	}
	if len(blind) == 0 {
		return nil
	}
	return []Caveat{{Kind: "assumption", Message: fmt.Sprintf(
		"%s has domainNames peers, but pods of %s cannot reach svc:%s/%s on UDP/53: a domainNames rule works only for pods that can resolve names (CNP-3), so its verdicts for them assume a resolution they cannot make",
		a.src.Key(), strings.Join(blind, ", "), svc.Namespace, svc.Name)}}
}

// samePriorityCaveats are the pairs of enforced admin policies of one tier and priority whose subjects
// hold pods of the namespaces: where both match a connection, the implementation may apply either, so
// a verdict they decide may differ from zonesim's, which takes them by name (ANP-4, CNP-2).
func (e *Engine) samePriorityCaveats(namespaces map[string]bool, pods []*model.Pod) []Caveat {
	nss := namespacesOf(namespaces, pods)
	var out []Caveat
	for i := 1; i < len(e.admins); i++ {
		a, b := e.admins[i-1], e.admins[i]
		if a.baseline != b.baseline || a.src.Kind == "BaselineAdminNetworkPolicy" || b.src.Kind == "BaselineAdminNetworkPolicy" ||
			a.src.Priority != b.src.Priority || !e.holdsAny(a, nss) || !e.holdsAny(b, nss) {
			continue
		}
		out = append(out, Caveat{Kind: "assumption", Message: fmt.Sprintf(
			"%s (%s) and %s (%s) have the same tier and priority %d: where both match a connection, the implementation may apply either (ANP-4, CNP-2); zonesim applies them in name order",
			a.src.Key(), a.src.Source, b.src.Key(), b.src.Source, a.src.Priority)})
	}
	return out
}

// namedByExternal says whether a name pattern matches a DNS name of some external endpoint of the
// scenario, by an EgressFirewall dnsName's rule (DNSMatches) or a domainNames entry's (DomainMatches).
func (e *Engine) namedByExternal(pattern string, matches func(pattern, name string) bool) bool {
	for _, x := range e.Cluster.Scenario.ExternalList() {
		for _, n := range x.DNSNames {
			if matches(pattern, n) {
				return true
			}
		}
	}
	return false
}

// namespacesOf are the namespaces, and those of the pods.
func namespacesOf(namespaces map[string]bool, pods []*model.Pod) map[string]bool {
	nss := maps.Clone(namespaces)
	for _, p := range pods {
		nss[p.Namespace] = true
	}
	return nss
}

// holdsAny says whether an admin policy's subject holds pods of one of the namespaces.
func (e *Engine) holdsAny(a *cadmin, nss map[string]bool) bool {
	for ns := range nss {
		if n := e.Cluster.Namespace(ns); n != nil && a.nss != nil && a.nss.matches(n.Labels) {
			return true
		}
	}
	return false
}

// fewOf counts names and lists the first three in order, then how many more.
func fewOf(names []string) (int, string) {
	sort.Strings(names)
	if n := len(names); n > 3 {
		return n, strings.Join(names[:3], ", ") + fmt.Sprintf(", and %d more", n-3)
	}
	return len(names), strings.Join(names, ", ")
}

// memberCaveats are the caveats of verdicts between two endpoints.
func (e *Engine) memberCaveats(eps ...*Endpoint) []Caveat {
	namespaces := map[string]bool{}
	seen := map[*model.Pod]bool{}
	var pods []*model.Pod
	for _, ep := range eps {
		for _, m := range ep.Members {
			if m.Pod != nil && !seen[m.Pod] { // a pod at both ends (a set to itself) is one pod
				seen[m.Pod] = true
				namespaces[m.Pod.Namespace] = true
				pods = append(pods, m.Pod)
			}
		}
	}
	return e.caveats(namespaces, pods)
}

// Caveats are the caveats of every verdict about the cluster: every unmodelled object, and the assigned
// addresses.
func (e *Engine) Caveats() []Caveat {
	namespaces := map[string]bool{}
	for _, u := range e.Cluster.Unmodelled {
		namespaces[u.Namespace] = true
	}
	return e.caveats(namespaces, e.Cluster.Pods)
}

// Caveats are the caveats of the matrix's cells: the unmodelled objects of its nodes' namespaces and the
// cluster-wide ones, and the addresses zonesim assigned to its pods. They are computed once per node set.
func (m *Matrix) Caveats() []Caveat {
	if m.caveatsDone {
		return m.caveats
	}
	m.caveats, m.caveatsDone = m.computeCaveats(), true
	return m.caveats
}

func (m *Matrix) computeCaveats() []Caveat {
	namespaces := map[string]bool{}
	var pods []*model.Pod
	seen := map[*MatrixNode]bool{}
	for _, n := range append(slices.Clone(m.Nodes), m.Cols...) {
		if seen[n] {
			continue
		}
		seen[n] = true
		for _, p := range n.pods {
			namespaces[p.Namespace] = true
		}
		pods = append(pods, n.pods...)
	}
	return m.e.caveats(namespaces, pods)
}

// assumedIP are the pods whose address zonesim assigned and some policy's ipBlock covers, computed once.
func (e *Engine) assumedIP() map[*model.Pod]bool {
	if e.assumed != nil {
		return e.assumed
	}
	e.assumed = map[*model.Pod]bool{}
	for _, p := range e.Cluster.Pods {
		if !p.AssignedIP {
			continue
		}
		for _, b := range e.ipBlocks {
			if b.contains(p.IP) {
				e.assumed[p] = true
				break
			}
		}
	}
	return e.assumed
}
