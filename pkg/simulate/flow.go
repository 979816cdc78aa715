package simulate

import (
	"fmt"
	"iter"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
)

// The flow pipeline of traffic that leaves the pod network (SEMANTICS "Flow pipeline"): the source's
// egress policy, then the namespace's EgressFirewall, then SNAT to an egress IP or the node IP, then the
// perimeter firewall, then the destination's source allowlist. Each step narrows the connections and
// says which object decided.

// FlowStep is one step of a flow's pipeline, with the object that decided it.
type FlowStep struct {
	Step        string       `json:"step"` // egress-firewall, snat, perimeter, allowlist, endpoint-ports, route
	Object      string       `json:"object,omitempty"`
	Source      model.Source `json:"source,omitempty"`
	Connections []string     `json:"connections"`
	Detail      string       `json:"detail"`
}

func step(name, object string, src model.Source, c ConnSet, detail string) FlowStep {
	return FlowStep{Step: name, Object: object, Source: src, Connections: c.List(), Detail: detail}
}

// egressFirewall evaluates the EgressFirewall (or EgressNetworkPolicy) of the pod's namespace towards d,
// first match per port (EF-3), everything not matched allowed. Host-network pods are exempt (EF-4).
func (e *Engine) egressFirewall(p *model.Pod, d Member) (ConnSet, *FlowStep) {
	if p.HostNetwork {
		return AllConns(), nil
	}
	ef := e.Cluster.EgressFirewallOf(p.Namespace)
	if ef == nil {
		return AllConns(), nil
	}
	remaining, allowed := AllConns(), ConnSet{}
	var decided []string
	for i, r := range ef.Rules {
		matched, ok := e.firewallRuleMatches(r, d)
		if !ok {
			continue
		}
		ports := AllConns()
		if len(r.Ports) > 0 {
			ports = ConnSet{}
			for _, fp := range r.Ports {
				if fp.Port == 0 {
					ports.AddProtocol(fp.Protocol)
				} else {
					ports.Add(fp.Protocol, fp.Port, fp.Port)
				}
			}
		}
		hit := remaining.Intersect(ports)
		if hit.IsEmpty() {
			continue
		}
		verb := "Deny"
		if r.Allow {
			verb = "Allow"
			allowed = allowed.Union(hit)
		}
		at := fmt.Sprintf("line %d", r.Line)
		if r.DNSName != "" {
			at += fmt.Sprintf(", dnsName %s matches %s, which resolves to %s", r.DNSName, matched, d.IP)
		}
		decided = append(decided, fmt.Sprintf("rule %d %s %s (%s)", i, verb, hit, at))
		remaining = remaining.Subtract(ports)
	}
	allowed = allowed.Union(remaining) // no match: allowed (EF-3)
	detail := "no rule matches: allowed (EF-3)"
	if len(decided) > 0 {
		detail = "first match per port (EF-3): " + strings.Join(decided, "; ")
		if !remaining.IsEmpty() {
			detail += "; the rest matches no rule: allowed"
		}
	}
	s := step("egress-firewall", ef.Kind+" "+ef.Namespace+"/"+ef.Name, ef.Source, allowed, detail)
	return allowed, &s
}

// firewallRuleMatches says whether an EgressFirewall rule's destination holds d; for a dnsName rule, it
// names the scenario's DNS name it matched: the name resolves to the addresses of the endpoint that
// declares it, and to nothing else zonesim knows of (dnsNameCaveats says so).
func (e *Engine) firewallRuleMatches(r model.EgressFirewallRule, d Member) (dnsName string, ok bool) {
	switch {
	case r.CIDR.IsValid():
		return "", r.CIDR.Contains(d.IP)
	case r.DNSName != "":
		if d.External == nil {
			return "", false
		}
		for _, n := range d.External.DNSNames {
			if DNSMatches(r.DNSName, n) {
				return n, true
			}
		}
		return "", false
	case r.NodeSelector != nil:
		n := e.nodeByIP[d.IP]
		return "", n != nil && newSelector(r.NodeSelector).matches(n.Labels)
	}
	return "", false
}

// DNSMatches matches an EgressFirewall dnsName; "*." matches exactly one label (EF-1).
func DNSMatches(pattern, name string) bool {
	pattern, name = strings.TrimSuffix(strings.ToLower(pattern), "."), strings.TrimSuffix(strings.ToLower(name), ".")
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		label, tail, found := strings.Cut(name, ".")
		return found && label != "" && tail == rest
	}
	return pattern == name
}

// SNAT is the source address traffic leaving the cluster carries (ZN-6, EIP-*, SDN-1).
type SNAT struct {
	IP      netip.Addr
	Dropped bool
	// Others are the other hosted egress IPs of the same EgressIP: OVN-Kubernetes spreads a pod's
	// traffic over them, so a flow may leave from any of them.
	Others []netip.Addr
	Step   FlowStep
}

// selectingEgressIPs yields the EgressIPs (and NetNamespaces) that select the pod, in input order
// (EIP-1, SDN-1); snat stops at the first that serves the flow.
func (e *Engine) selectingEgressIPs(p *model.Pod) iter.Seq[*model.EgressIP] {
	return func(yield func(*model.EgressIP) bool) {
		ns := e.Cluster.Namespace(p.Namespace)
		if ns == nil {
			return
		}
		for _, eip := range e.Cluster.EgressIPs {
			if EgressIPSelectsNamespace(eip, ns) && (eip.Kind != "EgressIP" || newSelector(eip.PodSelector).matches(p.Labels)) && !yield(eip) {
				return
			}
		}
	}
}

// sameFamily keeps the addresses of dst's family (every one when dst is not given): an egress IP
// serves only traffic of its own family.
func sameFamily(ips []netip.Addr, dst netip.Addr) []netip.Addr {
	if !dst.IsValid() {
		return ips
	}
	var out []netip.Addr
	for _, ip := range ips {
		if ip.Is4() == dst.Is4() {
			out = append(out, ip)
		}
	}
	return out
}

// snat finds the egress identity of a pod's traffic to dst outside the cluster (dst not given: to any
// address).
func (e *Engine) snat(p *model.Pod, dst netip.Addr) SNAT {
	node := e.nodes[p.NodeName]
	nodeIP := func(reason string) SNAT {
		if node == nil {
			nodes := e.schedulableNodes(p)
			if len(nodes) == 0 {
				return SNAT{Step: step("snat", "", model.Source{}, AllConns(), reason+"; the pod's node is unknown and no node is declared, so its source IP is unknown")}
			}
			node = nodes[0]
			reason += fmt.Sprintf("; the pod has no nodeName, so a node it can run on is assumed: %s", node.Name)
		}
		return SNAT{IP: node.IP, Step: step("snat", "Node "+node.Name, node.Source, AllConns(),
			fmt.Sprintf("%s: leaves with the node IP %s (ZN-6)", reason, node.IP))}
	}
	if p.HostNetwork {
		return nodeIP("host-network pod")
	}
	if s, ok := e.egressServiceSNAT(p, dst); ok {
		return s
	}
	for eip := range e.selectingEgressIPs(p) {
		ips := sameFamily(eip.IPs, dst)
		if len(ips) == 0 {
			continue // an egress IP serves only its own address family
		}
		obj := eip.Kind + " " + eip.Name
		var hosted []netip.Addr
		var host *model.Node
		for _, ip := range ips {
			if h := e.egressHost(eip, ip); h != nil {
				hosted = append(hosted, ip)
				if host == nil {
					host = h
				}
			}
		}
		if len(hosted) > 0 {
			detail := fmt.Sprintf("leaves with egress IP %s, hosted on node %s (EIP-1, EIP-2)", hosted[0], host.Name)
			if len(hosted) > 1 {
				detail += fmt.Sprintf("; OVN-Kubernetes spreads the traffic over the egress IPs %v, so it may leave from any of them", hosted)
			}
			return SNAT{IP: hosted[0], Others: hosted[1:], Step: step("snat", obj, eip.Source, AllConns(), detail)}
		}
		if eip.Kind == "NetNamespace" {
			return SNAT{Dropped: true, Step: step("snat", obj, eip.Source, ConnSet{},
				fmt.Sprintf("egress IPs %v are set but no HostSubnet hosts them: external traffic is dropped (SDN-1)", ips))}
		}
		s := nodeIP(fmt.Sprintf("egress IPs %v of %s have no node that can host them (EIP-2) [assumption: OVN-Kubernetes then SNATs to the node]", ips, obj))
		s.Step.Object, s.Step.Source = obj, eip.Source
		return s
	}
	return nodeIP("no EgressIP selects the pod")
}

// EgressIdentity is an address a pod's traffic to outside the cluster may leave with (ZN-6), and what
// gives it.
type EgressIdentity struct {
	IP netip.Addr
	// Kind and Name are the object that gives the address: an EgressIP or NetNamespace, or the Node.
	Kind, Name string
	Source     model.Source
	// Hosts are the nodes the address leaves from: those able to host the egress IP, or the node itself.
	Hosts []string
	// Why says why traffic leaves with a node's IP.
	Why string
}

// EgressPath is every address a pod's traffic to one address family outside the cluster may leave with.
type EgressPath struct {
	Identities []EgressIdentity
	// Dropped: the traffic is dropped instead (SDN-1).
	Dropped bool
	// Unhostable are egress IPs of the EgressIPs selecting the pod that no node can host (EIP-2): no
	// traffic leaves with them until one can.
	Unhostable []EgressIdentity
	// Overlapping names the EgressIPs selecting the pod when several do: OVN-Kubernetes does not say
	// which one applies, so the addresses of each are counted.
	Overlapping []string
	// Unknown says why the address is not known (an EgressService's load-balancer IP the input does not
	// give); there are no Identities then.
	Unknown string
}

// EgressIdentities are every address a pod's traffic to addresses of dst's family may leave with over
// its life, not only where it runs now: each hosted egress IP of the EgressIPs selecting it (traffic is
// spread over them, and an IP moves between the nodes able to host it, EIP-2, EIP-4), and where none
// serves it, the IP of every node it may be scheduled on (a workload's next pod lands on any of them; a
// bare pod with a nodeName stays on its node).
func (e *Engine) EgressIdentities(p *model.Pod, dst netip.Addr) EgressPath {
	nodeIDs := func(why string) []EgressIdentity {
		var nodes []*model.Node
		if n := e.nodes[p.NodeName]; n != nil && p.Workload == nil {
			nodes = []*model.Node{n}
		} else {
			nodes = e.schedulableNodes(p)
			if n != nil && !slices.Contains(nodes, n) {
				nodes = append(nodes, n)
			}
		}
		var out []EgressIdentity
		for _, n := range nodes {
			if n.IP.IsValid() && (!dst.IsValid() || n.IP.Is4() == dst.Is4()) {
				out = append(out, EgressIdentity{IP: n.IP, Kind: "Node", Name: n.Name, Source: n.Source, Hosts: []string{n.Name}, Why: why})
			}
		}
		return out
	}
	if p.HostNetwork {
		return EgressPath{Identities: nodeIDs("host-network pods of " + p.Namespace + " leave with their node's IP")}
	}
	if path, ok := e.egressServiceIdentities(p, dst); ok {
		return path
	}
	var path EgressPath
	var unhosted []*model.EgressIP
	family := "IPv4"
	if dst.Is6() {
		family = "IPv6"
	}
	var without []string
	for eip := range e.selectingEgressIPs(p) {
		ips := sameFamily(eip.IPs, dst)
		if len(ips) == 0 {
			without = append(without, eip.Kind+" "+eip.Name)
			continue
		}
		path.Overlapping = append(path.Overlapping, eip.Kind+" "+eip.Name)
		hosted := false
		for _, ip := range ips {
			hosts := e.egressHosts(eip, ip)
			id := EgressIdentity{IP: ip, Kind: eip.Kind, Name: eip.Name, Source: eip.Source, Hosts: hosts}
			if len(hosts) == 0 {
				path.Unhostable = append(path.Unhostable, id)
				continue
			}
			hosted = true
			path.Identities = append(path.Identities, id)
		}
		if !hosted {
			unhosted = append(unhosted, eip)
		}
	}
	if len(path.Overlapping) < 2 {
		path.Overlapping = nil
	}
	switch {
	case len(path.Identities) > 0:
		return path
	case len(unhosted) > 0 && unhosted[0].Kind == "NetNamespace":
		path.Dropped = true
		return path
	case len(unhosted) > 0:
		path.Identities = nodeIDs(fmt.Sprintf("no node can host the egress IPs of %s %s (EIP-2) [assumption: OVN-Kubernetes then SNATs to the node]", unhosted[0].Kind, unhosted[0].Name))
	case len(without) > 0:
		path.Identities = nodeIDs(fmt.Sprintf("%s has no %s egress IP", strings.Join(without, ", "), family))
	default:
		path.Identities = nodeIDs("no EgressIP selects pods of " + p.Namespace)
	}
	return path
}

// EgressIPSelectsNamespace reports whether an EgressIP's namespaceSelector (EIP-1), or a NetNamespace's
// name (SDN-1), takes in the namespace.
func EgressIPSelectsNamespace(eip *model.EgressIP, ns *model.Namespace) bool {
	if eip.Kind == "NetNamespace" {
		return ns.Name == eip.Namespace
	}
	return SelectorMatches(eip.NamespaceSelector, ns.Labels)
}

// EgressHostNames lists the nodes able to host an egress IP: for a NetNamespace, those whose HostSubnet
// lists the IP or a CIDR holding it (SDN-1); for an EgressIP, the egress-assignable nodes of a zone whose
// network holds it (EIP-2).
func (e *Engine) EgressHostNames(eip *model.EgressIP, ip netip.Addr) []string {
	var out []string
	if eip.Kind == "NetNamespace" {
		for _, h := range e.Cluster.HostSubnets {
			if model.ContainsAddr(h.EgressCIDRs, ip) || containsIP(h.EgressIPs, ip) {
				out = append(out, h.Node)
			}
		}
		return out
	}
	for _, n := range e.EgressHosts(ip) {
		out = append(out, n.Name)
	}
	return out
}

func containsIP(ips []netip.Addr, ip netip.Addr) bool {
	for _, x := range ips {
		if x == ip {
			return true
		}
	}
	return false
}

// egressHosts are the nodes an egress IP leaves from: the one the EgressIP's status assigns it to first
// (none when the input lacks that node), then the others able to host it, where it moves on failover.
func (e *Engine) egressHosts(eip *model.EgressIP, ip netip.Addr) []string {
	hosts := e.EgressHostNames(eip, ip)
	if n, ok := eip.Assigned[ip]; ok && eip.Kind == "EgressIP" {
		if e.nodes[n] == nil {
			return nil
		}
		return append([]string{n}, slices.DeleteFunc(hosts, func(h string) bool { return h == n })...)
	}
	return hosts
}

// egressHost is the node that hosts an egress IP: from the EgressIP's status, else the first node able
// to host it.
func (e *Engine) egressHost(eip *model.EgressIP, ip netip.Addr) *model.Node {
	if hosts := e.egressHosts(eip, ip); len(hosts) > 0 {
		return e.nodes[hosts[0]]
	}
	return nil
}

// EgressHosts lists the nodes that may host an egress IP (EIP-2): egress-assignable, and in a zone whose
// node networks hold the IP (any such node when the scenario gives no zone networks).
func (e *Engine) EgressHosts(ip netip.Addr) []*model.Node {
	var out []*model.Node
	for _, n := range e.Cluster.Nodes {
		if _, ok := n.Labels[model.EgressAssignableLabel]; !ok {
			continue
		}
		if z := e.Zone(n.Zone); z != nil && !model.ContainsAddr(z.NodeNetworks, ip) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// ZoneOfIP names the zone whose node networks hold ip; "" is outside every zone.
func (e *Engine) ZoneOfIP(ip netip.Addr) string {
	if e.Cluster.Scenario == nil {
		return ""
	}
	for _, z := range e.Cluster.Scenario.Zones {
		if model.ContainsAddr(z.NodeNetworks, ip) || model.ContainsAddr(z.EgressRanges, ip) {
			return z.Name
		}
		for _, v := range z.IngressVIPs {
			if v == ip {
				return z.Name
			}
		}
	}
	return ""
}

// schedulableNodes are the nodes a pod may run on: its namespace's node selector (NS-1) and its zone.
func (e *Engine) schedulableNodes(p *model.Pod) []*model.Node {
	sel := maps.Clone(p.NodeSelector)
	if sel == nil {
		sel = map[string]string{}
	}
	if ns := e.Cluster.Namespace(p.Namespace); ns != nil {
		ann, _ := ns.NodeSelector()
		for k, v := range ParseNodeSelector(ann) {
			if have, ok := sel[k]; ok && have != v {
				return nil // the pod's selector contradicts its project's: the pod is refused (NS-1)
			}
			sel[k] = v
		}
	}
	zone := ""
	if ns := e.Cluster.Namespace(p.Namespace); ns != nil {
		zone = ns.Zone(e.ZoneLabel)
	}
	// Prefer, in order: the namespace's own zone, workers, then name order.
	rank := func(n *model.Node) int {
		r := 0
		if n.Zone != zone {
			r += 2
		}
		if _, w := n.Labels["node-role.kubernetes.io/worker"]; !w {
			r++
		}
		return r
	}
	var out []*model.Node
	for _, n := range e.Cluster.NodesMatching(sel) {
		if _, master := n.Labels["node-role.kubernetes.io/master"]; !master {
			out = append(out, n)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out
}

// ParseNodeSelector reads the openshift.io/node-selector annotation: k=v[,k=v] (NS-1).
func ParseNodeSelector(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok && k != "" {
			out[k] = v
		}
	}
	return out
}

// PerimeterMatch reports whether an address is in a perimeter rule's from/to list (zone:Z, ext:name,
// outside, any, or a CIDR).
func (e *Engine) PerimeterMatch(list []string, ip netip.Addr) bool {
	for _, v := range list {
		switch {
		case v == "any":
			return true
		case v == "outside":
			if e.ZoneOfIP(ip) == "" {
				return true
			}
		case strings.HasPrefix(v, "zone:"):
			if e.ZoneOfIP(ip) == strings.TrimPrefix(v, "zone:") {
				return true
			}
		case strings.HasPrefix(v, "ext:"):
			if x := e.External(strings.TrimPrefix(v, "ext:")); x != nil && model.ContainsAddr(x.Addresses, ip) {
				return true
			}
		default:
			if p, err := netip.ParsePrefix(v); err == nil && p.Contains(ip) {
				return true
			}
			if a, err := netip.ParseAddr(v); err == nil && a == ip {
				return true
			}
		}
	}
	return false
}

// perimeter evaluates the perimeter firewall from src to dst: first matching rule per port, then the default.
func (e *Engine) perimeter(src, dst netip.Addr) (ConnSet, *FlowStep) {
	sc := e.Cluster.Scenario
	if sc == nil || !sc.Perimeter.Declared || !src.IsValid() {
		return AllConns(), nil
	}
	if e.ZoneOfIP(src) != "" && e.ZoneOfIP(src) == e.ZoneOfIP(dst) {
		s := step("perimeter", "", model.Source{}, AllConns(), fmt.Sprintf("%s and %s are in zone %s: the perimeter is not crossed", src, dst, e.ZoneOfIP(src)))
		return AllConns(), &s
	}
	remaining, allowed := AllConns(), ConnSet{}
	var decided []string
	var first *model.PerimeterRule
	for _, r := range sc.Perimeter.Rules {
		if !e.PerimeterMatch(r.From, src) || !e.PerimeterMatch(r.To, dst) {
			continue
		}
		hit := remaining.Intersect(portRangesConns(r.Ports))
		if hit.IsEmpty() {
			continue
		}
		if first == nil {
			first = r
		}
		verb := "deny"
		if r.Allow {
			verb = "allow"
			allowed = allowed.Union(hit)
		}
		decided = append(decided, fmt.Sprintf("%s %s %s", r.Name, verb, hit))
		remaining = remaining.Subtract(portRangesConns(r.Ports))
	}
	def := "deny"
	if sc.Perimeter.DefaultAllow {
		def = "allow"
		allowed = allowed.Union(remaining)
	}
	detail := fmt.Sprintf("%s -> %s: ", src, dst)
	if len(decided) > 0 {
		detail += strings.Join(decided, "; ")
		if !remaining.IsEmpty() {
			detail += "; the rest: default " + def
		}
	} else {
		detail += "no rule matches: default " + def
	}
	obj, src0 := "Perimeter default", sc.Source
	if first != nil {
		obj, src0 = "PerimeterRule "+first.Name, first.Source
	}
	s := step("perimeter", obj, src0, allowed, detail)
	return allowed, &s
}

// leaveCluster narrows what a pod may send to an address outside the pod network through the pipeline:
// EgressFirewall, SNAT, perimeter, the destination's allowlist and listening ports. conns is what the
// pod's egress policy allows.
func (e *Engine) leaveCluster(p *model.Pod, d Member, conns ConnSet, pr *PairResult) ConnSet {
	if ef, s := e.egressFirewall(p, d); s != nil {
		conns = conns.Intersect(ef)
		pr.Steps = append(pr.Steps, *s)
	}
	if d.Node != nil {
		return conns // to a node: no SNAT and no perimeter (EIP-3); the node sees the pod IP
	}
	if !e.hasEgressIdentity() {
		return conns
	}
	sn := e.snat(p, d.IP)
	pr.Steps = append(pr.Steps, sn.Step)
	if sn.Dropped {
		return ConnSet{}
	}
	if sn.IP.IsValid() {
		pr.SourceIP = sn.IP.String()
	} else {
		pr.SourceIP = ""
	}
	if per, s := e.perimeter(sn.IP, d.IP); s != nil {
		conns = conns.Intersect(per)
		pr.Steps = append(pr.Steps, *s)
	}
	if x := d.External; x != nil {
		conns = e.allowlist(x, sn.IP, sn.Others, conns, pr)
		if len(x.Ports) > 0 {
			conns = conns.Intersect(portRangesConns(x.Ports))
			pr.Steps = append(pr.Steps, step("endpoint-ports", "ext:"+x.Name, x.Source, conns, fmt.Sprintf("ext:%s listens on %v", x.Name, x.Ports)))
		}
	}
	return conns
}

// hasEgressIdentity reports whether the input says anything about where traffic leaves the cluster:
// a scenario, nodes or egress IPs. Without any, the SNAT and perimeter steps are not evaluated.
func (e *Engine) hasEgressIdentity() bool {
	return e.Cluster.Scenario != nil || len(e.Cluster.Nodes) > 0 || len(e.Cluster.EgressIPs) > 0
}

// hasPipeline reports whether traffic leaving the pod network passes more than the egress policy.
func (e *Engine) hasPipeline() bool {
	return e.hasEgressIdentity() || len(e.Cluster.EgressFirewalls) > 0
}

// PerimeterBetween is what the perimeter firewall lets through from src to dst, with the deciding step
// (nil when the input has no scenario).
func (e *Engine) PerimeterBetween(src, dst netip.Addr) (ConnSet, *FlowStep) {
	return e.perimeter(src, dst)
}

// External returns the scenario endpoint of that name, or nil.
func (e *Engine) External(name string) *model.External { return e.Cluster.Scenario.External(name) }

// Zone returns the scenario zone of that name, or nil.
func (e *Engine) Zone(name string) *model.Zone { return e.Cluster.Scenario.Zone(name) }

// throughEgressRouter follows each allowed service port through the egress router's redirect rule to its
// destination: the flow leaves from the router's own address (ZN-6, per-component identity), through the
// perimeter and the destination's allowlist. The router's macvlan traffic bypasses the pod network, so no
// EgressFirewall or EgressIP applies to it.
func (e *Engine) throughEgressRouter(svcPorts ConnSet, svc *model.Service, router *model.Pod, er *model.EgressRouter, pr *PairResult) ConnSet {
	var out ConnSet
	for _, sp := range svc.Ports {
		if !svcPorts.Contains(sp.Protocol, sp.Port) {
			continue
		}
		target, ok := resolveTarget(sp, router)
		if !ok {
			continue
		}
		var rule *model.RedirectRule
		for i := range er.Rules {
			if er.Rules[i].Port == target && er.Rules[i].Protocol == sp.Protocol {
				rule = &er.Rules[i]
			}
		}
		dst, dport := er.Fallback, target
		if rule != nil {
			dst, dport = rule.Destination, rule.TargetPort
		}
		if !dst.IsValid() {
			pr.Steps = append(pr.Steps, step("egress-router", "EgressRouter "+er.Namespace+"/"+er.Name, er.Source, ConnSet{},
				fmt.Sprintf("no redirect rule for %s/%d and no fallbackIP", sp.Protocol, target)))
			continue
		}
		var leg ConnSet
		leg.Add(sp.Protocol, dport, dport)
		detail := fmt.Sprintf("%s/%d redirected to %s:%d, leaving from the router's address %s", sp.Protocol, target, dst, dport, er.Address)
		pr.Steps = append(pr.Steps, step("egress-router", "EgressRouter "+er.Namespace+"/"+er.Name, er.Source, leg, detail))
		dm := e.ipEndpoint(dst).Members[0]
		if per, s := e.perimeter(er.Address, dst); s != nil {
			leg = leg.Intersect(per)
			pr.Steps = append(pr.Steps, *s)
		}
		if x := dm.External; x != nil {
			leg = e.allowlist(x, er.Address, nil, leg, pr)
		}
		if !leg.IsEmpty() {
			out.Add(sp.Protocol, sp.Port, sp.Port)
			pr.SourceIP = er.Address.String()
		}
	}
	return out
}

// allowlist applies an endpoint's source allowlist to a flow arriving from src (OB-3); others are the
// addresses the flow may leave from as well, which the explanation names when the list lacks them.
func (e *Engine) allowlist(x *model.External, src netip.Addr, others []netip.Addr, conns ConnSet, pr *PairResult) ConnSet {
	if len(x.AcceptsFrom) == 0 {
		return conns
	}
	from := "an unknown address"
	if src.IsValid() {
		from = src.String()
	}
	detail := fmt.Sprintf("ext:%s accepts %v; the flow arrives from %s", x.Name, x.AcceptsFrom, from)
	if !src.IsValid() || !model.ContainsAddr(x.AcceptsFrom, src) {
		conns = ConnSet{}
		detail += ": not on the allowlist (OB-3)"
	} else {
		var lacks []string
		for _, ip := range others {
			if !model.ContainsAddr(x.AcceptsFrom, ip) {
				lacks = append(lacks, ip.String())
			}
		}
		if len(lacks) > 0 {
			detail += fmt.Sprintf("; it may also leave from %s, which the allowlist lacks: then it fails (OB-3; zonesim allowlist lists them)", strings.Join(lacks, ", "))
		}
	}
	pr.Steps = append(pr.Steps, step("allowlist", "ext:"+x.Name, x.Source, conns, detail))
	return conns
}

// EgressSource is the address a pod's traffic to outside the cluster leaves with (ZN-6): an egress IP or
// a node IP; dropped is true where the traffic is dropped instead (SDN-1); ok is false when unknown.
func (e *Engine) EgressSource(p *model.Pod) (ip netip.Addr, dropped, ok bool) {
	sn := e.snat(p, netip.Addr{})
	return sn.IP, sn.Dropped, sn.IP.IsValid() || sn.Dropped
}
