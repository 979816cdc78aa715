package simulate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
)

// User-defined networks (OVN-Kubernetes, UDN-1..UDN-6). A namespace on a primary UserDefinedNetwork or
// ClusterUserDefinedNetwork has its own network: its pods and the pods of another network (the cluster
// default network included) cannot reach each other, whatever NetworkPolicy says, unless a
// ClusterNetworkConnect connects the two networks for pods. NetworkPolicy applies within a network, and
// its peers select pods of the policy's network only; admin policies apply on the default network only.
// What crosses networks: the kubelet of a pod's own node (node:N, for probes), NodePort and
// LoadBalancer services, the default network's API and DNS services for a UDN pod, ClusterIP services of
// networks connected for services, and routes (the router reaches a backend through its service, via
// the node). Host-network pods and outside traffic by a pod's own address do not reach UDN pods.

// missingNetwork stands for the network of a namespace labelled for a primary network that has none:
// its pods cannot start (UDN-2).
const missingNetwork = "\x00missing"

// networkLink is how two networks are connected.
type networkLink struct {
	pods, services bool
	by             []string // the ClusterNetworkConnects
}

// compileNetworks gives each namespace its network ID ("" is the cluster default network) and finds
// which pairs of networks a ClusterNetworkConnect connects.
func (e *Engine) compileNetworks() {
	c := e.Cluster
	e.netOf = map[string]string{}
	e.netByID = map[string]*model.Network{}
	for _, ns := range c.Namespaces {
		n, missing := c.PrimaryNetwork(ns.Name)
		switch {
		case missing:
			e.netOf[ns.Name] = missingNetwork
		case n != nil:
			e.netOf[ns.Name] = n.ID()
			e.netByID[n.ID()] = n
		}
	}
	e.links = map[[2]string]*networkLink{}
	for _, nc := range c.NetworkConnects {
		var ids []string
		if nc.Failed {
			continue // its status says OVN-Kubernetes could not set it up (the loader warns)
		}
		add := func(n *model.Network) {
			if n != nil && n.Role == "Primary" && n.Transport == "" && !containsString(ids, n.ID()) {
				ids = append(ids, n.ID()) // NoOverlay and EVPN networks cannot be connected (UDN-6)
			}
		}
		for _, n := range c.Networks {
			if n.Kind != "ClusterUserDefinedNetwork" {
				continue
			}
			for _, s := range nc.CUDNSelectors {
				if newSelector(&s).matches(n.Labels) {
					add(n)
				}
			}
		}
		for _, ns := range c.Namespaces {
			for _, s := range nc.NamespaceSelectors {
				if n, _ := c.PrimaryNetwork(ns.Name); n != nil && newSelector(&s).matches(ns.Labels) {
					add(n)
				}
			}
		}
		for i, a := range ids { // every pair of the selected networks, both ways; not transitive
			for _, b := range ids[i+1:] {
				if overlap(e.netByID[a], e.netByID[b]) {
					continue // networks with overlapping pod subnets cannot be connected (UDN-6)
				}
				for _, k := range [][2]string{{a, b}, {b, a}} {
					l := e.links[k]
					if l == nil {
						l = &networkLink{}
						e.links[k] = l
					}
					l.pods = l.pods || nc.Pods
					l.services = l.services || nc.Services
					l.by = append(l.by, "ClusterNetworkConnect "+nc.Name)
				}
			}
		}
	}
}

// classNet is the network of a class's pods: host-network pods are the node's, on no pod network.
func (e *Engine) classNet(c *Class) string { return c.net }

// separated says whether the networks keep a pod of s from a pod of d (UDN-3, UDN-6): different
// networks that no ClusterNetworkConnect connects for pods. A host-network source is its node: its own
// node's pods take its traffic (kubelet probes), the pods of user-defined networks on other nodes do not.
func (e *Engine) separated(s, d *Class) bool {
	sn, dn := s.net, d.net
	if sn == dn && !s.HostNetwork {
		return sn == missingNetwork // the common case: one network
	}
	if sn == missingNetwork || dn == missingNetwork {
		return true
	}
	if s.HostNetwork {
		return dn != "" // only the kubelet reaches them from the node (ingress from node:N), no host process
	}
	if d.HostNetwork || sn == dn {
		return false
	}
	l := e.links[[2]string{sn, dn}]
	return l == nil || !l.pods
}

// networkName says which network an ID is, for explanations.
func (e *Engine) networkName(id string) string {
	switch id {
	case "":
		return "the cluster default network"
	case missingNetwork:
		return "no network (labelled for a primary user-defined network that none provides)"
	}
	if n := e.netByID[id]; n != nil {
		return n.String() + " (" + n.Source.String() + ")"
	}
	return id
}

// separation explains why the networks keep s from d.
func (e *Engine) separation(s, d *Class) string {
	sn, dn := e.classNet(s), e.classNet(d)
	switch {
	case sn == missingNetwork || dn == missingNetwork:
		return "a namespace labelled " + model.PrimaryUDNLabel + " without a primary network: its pods cannot start (UDN-2)"
	case s.HostNetwork:
		return fmt.Sprintf("host-network pods do not reach the pods of %s: only the kubelet does, for probes (UDN-3)", e.networkName(dn))
	}
	msg := fmt.Sprintf("different primary networks: %s and %s", e.networkName(sn), e.networkName(dn))
	if l := e.links[[2]string{sn, dn}]; l != nil {
		return msg + "; " + strings.Join(l.by, ", ") + " connects them for services only (UDN-6)"
	}
	return msg + ": not connected (UDN-3)"
}

// serviceAcross says whether a client of class s reaches service svc of another network, and why
// (UDN-3, UDN-6): NodePort and LoadBalancer services are reachable from every network; a UDN pod keeps
// the default network's kubernetes and kube-dns services; networks connected for services reach each
// other's ClusterIP services.
func (e *Engine) serviceAcross(s *Class, svc *model.Service) (string, bool) {
	sn, dn := e.classNet(s), e.netOf[svc.Namespace]
	switch {
	case sn == missingNetwork || dn == missingNetwork:
		return "", false
	case svc.Type == "NodePort" || svc.Type == "LoadBalancer":
		return fmt.Sprintf("a %s service is reachable from every network (UDN-3)", svc.Type), true
	case dn == "" && defaultNetworkServices[[2]string{svc.Namespace, svc.Name}]:
		return "a pod of a user-defined network keeps the default network's API and DNS services (UDN-3)", true
	}
	if l := e.links[[2]string{sn, dn}]; l != nil && l.services {
		return fmt.Sprintf("%s connects the networks for services (UDN-6)", strings.Join(l.by, ", ")), true
	}
	return "", false
}

// defaultNetworkServices are the default network's services a pod of a user-defined network keeps:
// the API server and cluster DNS (OVN-Kubernetes' udn-allowed-default-services; OpenShift's DNS is
// openshift-dns/dns-default).
var defaultNetworkServices = map[[2]string]bool{
	{"default", "kubernetes"}: true, {"kube-system", "kube-dns"}: true, {"openshift-dns", "dns-default"}: true,
}

// onUDN says whether a class's pods are on a user-defined network (or on none).
func (e *Engine) onUDN(c *Class) bool { return e.classNet(c) != "" }

// acrossNetworks is what of conns a pod of s sends to a pod of d when their networks may keep them apart
// (UDN-3): nothing, unless the pods share a network, their networks are connected for pods, or the
// traffic goes to a service another network may reach.
func (e *Engine) acrossNetworks(s, d *Class, svc *model.Service, conns ConnSet, pr *PairResult) ConnSet {
	if !e.separated(s, d) {
		if sn, dn := e.classNet(s), e.classNet(d); sn != dn && !s.HostNetwork && !d.HostNetwork {
			l := e.links[[2]string{sn, dn}]
			pr.Reason = joinReason(pr.Reason, fmt.Sprintf("%s connects %s and %s for pods; the NetworkPolicy peers of each select pods of its own network only (UDN-4, UDN-6)",
				strings.Join(l.by, ", "), e.networkName(sn), e.networkName(dn)))
		}
		return conns
	}
	if svc != nil {
		if why, ok := e.serviceAcross(s, svc); ok {
			pr.Reason = joinReason(pr.Reason, fmt.Sprintf("svc:%s/%s is on %s: %s", svc.Namespace, svc.Name, e.networkName(e.netOf[svc.Namespace]), why))
			return conns
		}
	}
	pr.Reason = joinReason(pr.Reason, e.separation(s, d)+": whatever NetworkPolicy allows")
	return ConnSet{}
}

// udnNamespaces are the namespaces on a user-defined network (or on none), sorted.
func (e *Engine) udnNamespaces() []string {
	var out []string
	for ns, net := range e.netOf {
		if net != "" {
			out = append(out, ns)
		}
	}
	sort.Strings(out)
	return out
}

// externalSide is the side of a pod on a user-defined network toward or from an address outside the pod
// network, when the network decides it (UDN-2, UDN-3): a namespace without its network runs no pod, and
// a pod of a user-defined network takes no traffic from outside the cluster by its own address; ok is
// false when the policies decide.
func (e *Engine) externalSide(c *Class, d Direction) (Side, bool) {
	dir := [2]string{"ingress", "egress"}[d]
	switch net := e.classNet(c); {
	case net == missingNetwork:
		return Side{Direction: dir, Reason: "a namespace labelled " + model.PrimaryUDNLabel + " without a primary network: its pods cannot start (UDN-2)"}, true
	case net != "" && d == Ingress:
		return Side{Direction: dir, Reason: fmt.Sprintf("a pod of %s takes no traffic from outside the cluster by its own address: outside traffic enters through NodePort and LoadBalancer services and routes (UDN-3)", e.networkName(net))}, true
	}
	return Side{}, false
}

// NetworkOf names the network of a namespace's pods: "" for the cluster default network, else the
// user-defined network ("CUDN zone-a (file:line)"), or why it has none.
func (e *Engine) NetworkOf(ns string) string {
	if net := e.netOf[ns]; net != "" {
		return e.networkName(net)
	}
	return ""
}

// PodsConnected says whether the networks of two namespaces let their pods reach each other (UDN-3,
// UDN-6): the same network, or networks a ClusterNetworkConnect connects for pods.
func (e *Engine) PodsConnected(a, b string) bool {
	na, nb := e.netOf[a], e.netOf[b]
	if na == missingNetwork || nb == missingNetwork {
		return false
	}
	if na == nb {
		return true
	}
	l := e.links[[2]string{na, nb}]
	return l != nil && l.pods
}

// skippedAdmins names the enforced admin policies whose subject would hold a class's pods but that do
// not apply to them on a user-defined network (UDN-5); "" when none.
func (e *Engine) skippedAdmins(c *Class) string {
	if !e.onUDN(c) {
		return ""
	}
	var names []string
	for _, a := range e.admins {
		if a.holds(c) {
			names = append(names, a.src.Key())
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("%s would select %s, but admin policies do not apply on %s (UDN-5)", strings.Join(names, ", "), c.Pods[0].Namespace, e.networkName(e.classNet(c)))
}

// overlap says whether two networks' pod subnets overlap.
func overlap(a, b *model.Network) bool {
	if a == nil || b == nil {
		return false
	}
	for _, p := range a.Subnets {
		for _, q := range b.Subnets {
			if p.Overlaps(q) {
				return true
			}
		}
	}
	return false
}
