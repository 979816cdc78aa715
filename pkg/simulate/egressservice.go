package simulate

import (
	"fmt"
	"net/netip"

	"github.com/zonesim/zonesim/pkg/model"
)

// EgressService (OVN-Kubernetes, EGS-1..EGS-3). The pods behind a LoadBalancer Service whose namespace
// holds an EgressService of the same name leave the cluster with the service's load-balancer IP, through
// one node of the EgressService's nodeSelector (sourceIPBy LoadBalancerIP); with sourceIPBy Network they
// leave through their own node on the named network, with that interface's address. It takes precedence
// over EgressIP, and changes nothing for traffic inside the cluster.

// egressServiceOf is the EgressService whose LoadBalancer Service has p among its endpoints, with the
// service; nil when none does.
func (e *Engine) egressServiceOf(p *model.Pod) (*model.EgressService, *model.Service) {
	if p.HostNetwork || e.netOf[p.Namespace] != "" {
		return nil, nil // OVN-Kubernetes does not apply EgressServices on user-defined networks yet (EGS-1)
	}
	for _, es := range e.Cluster.EgressServices {
		if es.Namespace != p.Namespace {
			continue
		}
		svc := e.Cluster.Service(es.Namespace, es.Name)
		if svc == nil || svc.Type != "LoadBalancer" || !selects(svc, p) {
			continue
		}
		return es, svc
	}
	return nil, nil
}

// egressServiceHosts are the nodes an EgressService's traffic with the load-balancer IP ip may leave
// through: the one its status names, else every node its nodeSelector takes in whose zone's network
// holds ip, as the load balancer announces the address there only; with externalTrafficPolicy Local,
// only nodes that run an endpoint of the service (EGS-2).
func (e *Engine) egressServiceHosts(es *model.EgressService, ip netip.Addr) []*model.Node {
	if n := e.nodes[es.Host]; n != nil {
		return []*model.Node{n}
	}
	zone := e.ZoneOfIP(ip)
	local := map[string]bool{}
	svc := e.Cluster.Service(es.Namespace, es.Name)
	if svc != nil && svc.ExternalTrafficPolicy == "Local" {
		for _, p := range e.backends(svc) {
			if p.NodeName != "" {
				local[p.NodeName] = true
			}
		}
	}
	var out []*model.Node
	for _, n := range e.Cluster.Nodes {
		if zone != "" && n.Zone != "" && n.Zone != zone || len(local) > 0 && !local[n.Name] {
			continue
		}
		if es.NodeSelector == nil || newSelector(es.NodeSelector).matches(n.Labels) {
			out = append(out, n)
		}
	}
	return out
}

// egressServiceSNAT is the egress identity an EgressService gives p's traffic to dst (any address when
// dst is not given); ok is false when no EgressService applies to it.
func (e *Engine) egressServiceSNAT(p *model.Pod, dst netip.Addr) (s SNAT, ok bool) {
	es, svc := e.egressServiceOf(p)
	if es == nil {
		return SNAT{}, false
	}
	obj := "EgressService " + es.Key()
	if es.SourceIPBy == model.SourceIPByNetwork {
		n := e.nodes[p.NodeName]
		if n == nil {
			return SNAT{Step: step("snat", obj, es.Source, AllConns(), fmt.Sprintf(
				"sourceIPBy Network: leaves through its own node on network %q with that interface's address; the pod's node is unknown, so its source IP is unknown (EGS-3)", es.Network))}, true
		}
		return SNAT{IP: n.IP, Step: step("snat", obj, es.Source, AllConns(), fmt.Sprintf(
			"sourceIPBy Network: leaves through its node %s on network %q with that interface's address [assumption: the node IP %s] (EGS-3)", n.Name, es.Network, n.IP))}, true
	}
	ips := sameFamily(svc.LoadBalancerIPs, dst)
	if len(svc.LoadBalancerIPs) == 0 {
		return SNAT{Step: step("snat", obj, es.Source, AllConns(), fmt.Sprintf(
			"leaves with the load-balancer IP of Service %s, which the input does not give (status.loadBalancer.ingress, spec.loadBalancerIP): its source IP is unknown (EGS-2)", svc.Namespace+"/"+svc.Name))}, true
	}
	if len(ips) == 0 {
		return SNAT{}, false // no load-balancer IP of dst's family: the service does not serve this traffic
	}
	hosts := e.egressServiceHosts(es, ips[0])
	if len(hosts) == 0 {
		return SNAT{Dropped: true, Step: step("snat", obj, es.Source, ConnSet{}, fmt.Sprintf(
			"no node of the nodeSelector, in the zone of %s, can carry the traffic of Service %s: it is not sent out (EGS-2) [assumption]", ips[0], svc.Namespace+"/"+svc.Name))}, true
	}
	via := hosts[0].Name
	if len(hosts) > 1 && es.Host == "" {
		via = fmt.Sprintf("one of the nodes %s (OVN-Kubernetes picks one)", nodeNames(hosts))
	}
	return SNAT{IP: ips[0], Step: step("snat", obj, es.Source, AllConns(), fmt.Sprintf(
		"leaves with the load-balancer IP %s of Service %s (%s), through %s; it takes precedence over EgressIP (EGS-1, EGS-2)", ips[0], svc.Namespace+"/"+svc.Name, svc.LoadBalancerFrom, via))}, true
}

func nodeNames(nodes []*model.Node) string {
	out := ""
	for i, n := range nodes {
		if i > 0 {
			out += ", "
		}
		out += n.Name
	}
	return out
}

// egressServiceIdentities are the addresses an EgressService gives p's traffic to addresses of dst's
// family, for the allowlists (EGS-2): its load-balancer IPs, leaving from the nodes that may carry them.
func (e *Engine) egressServiceIdentities(p *model.Pod, dst netip.Addr) (path EgressPath, ok bool) {
	es, svc := e.egressServiceOf(p)
	if es == nil || es.SourceIPBy == model.SourceIPByNetwork {
		return path, false // Network: the node's own address, as without it
	}
	if len(svc.LoadBalancerIPs) == 0 {
		path.Unknown = fmt.Sprintf("EgressService %s gives its pods the load-balancer IP of Service %s, which the input does not give (EGS-2)", es.Key(), es.Key())
		return path, true
	}
	ips := sameFamily(svc.LoadBalancerIPs, dst)
	if len(ips) == 0 {
		return path, false
	}
	for _, ip := range ips {
		var hosts []string
		for _, n := range e.egressServiceHosts(es, ip) {
			hosts = append(hosts, n.Name)
		}
		path.Identities = append(path.Identities, EgressIdentity{IP: ip, Kind: "EgressService", Name: es.Key(), Source: es.Source, Hosts: hosts})
	}
	return path, true
}

// egressServiceCaveats say which pods leave through an EgressService whose load-balancer IP the input
// does not give: the verdicts of their traffic out of the cluster (perimeter, allowlists) depend on it
// (EGS-2).
func (e *Engine) egressServiceCaveats(pods []*model.Pod) []Caveat {
	var out []Caveat
	seen := map[*model.EgressService]bool{}
	for _, p := range pods {
		es, svc := e.egressServiceOf(p)
		if es == nil || seen[es] || es.SourceIPBy != model.SourceIPByLoadBalancer || len(svc.LoadBalancerIPs) > 0 {
			continue
		}
		seen[es] = true
		out = append(out, Caveat{Kind: "assumption", Message: fmt.Sprintf(
			"EgressService %s gives the pods of Service %s its load-balancer IP, which the input does not give (status.loadBalancer.ingress, spec.loadBalancerIP): where their traffic leaving the cluster is allowed depends on it (EGS-2)",
			es.Key(), es.Key())})
	}
	return out
}
