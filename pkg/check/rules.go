package check

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
	"k8s.io/apimachinery/pkg/api/resource"
)

// ZN-1: every application namespace (and, with a scenario, every node) has a zone.
func (ch *checker) membership() {
	for _, ns := range ch.c.Namespaces {
		if ch.platform(ns.Name) || ns.Zone(ch.e.ZoneLabel) != "" {
			continue
		}
		ch.add(Finding{Rule: "ZN-1", Severity: Warning, Objects: []Object{nsObject(ns)},
			Message: fmt.Sprintf("namespace %s has no %s label: it is in no zone, so no zone policy or contract covers it", ns.Name, ch.e.ZoneLabel),
			Fix:     fmt.Sprintf("oc label namespace %s %s=<zone>, or list it in contract.platformNamespaces", ns.Name, ch.e.ZoneLabel)})
	}
	if ch.sc == nil {
		return
	}
	for _, n := range ch.c.Nodes {
		if n.Zone == "" {
			ch.add(Finding{Rule: "ZN-1", Severity: Warning, Objects: []Object{{Kind: "Node", Name: n.Name, Source: n.Source}},
				Message: fmt.Sprintf("node %s has no zone", n.Name),
				Fix:     fmt.Sprintf("oc label node %s %s=<zone>", n.Name, ch.e.ZoneLabel)})
		}
	}
}

// contractPorts is what the contract allows from zone a to zone b: nil when no flow is listed.
func (ch *checker) contractPorts(a, b string) *simulate.ConnSet {
	var out *simulate.ConnSet
	for _, f := range ch.sc.Contract.Flows {
		if f.From != a || f.To != b {
			continue
		}
		c := simulate.ConnsOf(f.Ports)
		if out == nil {
			out = &c
		} else {
			u := out.Union(c)
			out = &u
		}
	}
	return out
}

// ZN-3: traffic between zones flows only on the contract's directed pairs and ports; and a contract
// flow between zones on networks that keep their pods apart cannot flow, whatever NetworkPolicy says
// (UDN-3, UDN-6).
func (ch *checker) zoneFlows() {
	ch.separatedFlows()
	m := ch.e.Matrix(simulate.LevelNamespace)
	for i, from := range m.Nodes {
		za := ch.zoneOf[from.Name]
		if from.Kind != "namespace" || za == "" {
			continue
		}
		for j, to := range m.Nodes {
			zb := ch.zoneOf[to.Name]
			if to.Kind != "namespace" || zb == "" || za == zb {
				continue
			}
			cell := m.Cell(i, j)
			if cell.Allowed == 0 {
				continue
			}
			allowed := ch.contractPorts(za, zb)
			excess := cell.Conns
			what := fmt.Sprintf("the contract has no flow %s -> %s", za, zb)
			fix := fmt.Sprintf("narrow the ingress policies of %s so zone %s is not admitted, or add the flow %s -> %s to the contract with a reason", to.Name, za, za, zb)
			if allowed != nil {
				excess = cell.Conns.Subtract(*allowed)
				what = fmt.Sprintf("the contract allows %s -> %s on %s only", za, zb, allowed)
				fix = fmt.Sprintf("restrict the rule admitting zone %s in %s to ports %s", za, to.Name, allowed)
			}
			if excess.IsEmpty() {
				continue
			}
			objs := append([]Object{nsObject(ch.c.Namespace(to.Name))}, ch.explain(from.Name, to.Name)...)
			ch.add(Finding{Rule: "ZN-3", Severity: Error, Objects: objs,
				Message: fmt.Sprintf("%s (zone %s) can open connections to %s (zone %s) on %s (%d of %d pod pairs); %s",
					from.Name, za, to.Name, zb, excess, cell.Allowed, cell.Total, what),
				Query: ch.query(from.Name, to.Name, ""), Fix: fix})
		}
	}
}

// separatedFlows reports each contract flow whose zones' namespaces are on networks no
// ClusterNetworkConnect connects for pods: no NetworkPolicy can open it (UDN-3, UDN-6).
func (ch *checker) separatedFlows() {
	for _, f := range ch.sc.Contract.Flows {
		var from, to []string
		for ns, z := range ch.zoneOf {
			if z == f.From {
				from = append(from, ns)
			}
			if z == f.To {
				to = append(to, ns)
			}
		}
		sort.Strings(from)
		sort.Strings(to)
	pairs:
		for _, a := range from {
			for _, b := range to {
				if ch.e.PodsConnected(a, b) || ch.c.Namespace(a) == nil || ch.c.Namespace(b) == nil {
					continue
				}
				na, nb := ch.e.NetworkOf(a), ch.e.NetworkOf(b)
				if na == "" {
					na = "the cluster default network"
				}
				if nb == "" {
					nb = "the cluster default network"
				}
				ch.add(Finding{Rule: "ZN-3", Severity: Error, Objects: []Object{nsObject(ch.c.Namespace(a)), nsObject(ch.c.Namespace(b))},
					Message: fmt.Sprintf("the contract lets zone %s reach zone %s (%s), but %s is on %s and %s on %s, which no ClusterNetworkConnect connects for pods: no NetworkPolicy can open it (UDN-3)",
						f.From, f.To, f.Reason, a, na, b, nb),
					Query: ch.query(a, b, ""),
					Fix: fmt.Sprintf("connect the zones' networks with a ClusterNetworkConnect (connectivity PodNetwork) and admit zone %s in zone %s by an ipBlock on its network; zonesim render --segmentation udn writes both (UDN-6)",
						f.From, f.To)})
				break pairs // one finding per flow
			}
		}
	}
}

// ZN-4: traffic from outside enters only the inbound zones, through their routers.
func (ch *checker) inbound() {
	inbound := map[string]bool{}
	for _, z := range ch.sc.Contract.InboundZones {
		inbound[z] = true
	}
	for _, r := range ch.c.Routes {
		name := "route:" + r.Namespace + "/" + r.Name
		zone := ch.zoneOf[r.Namespace]
		if zone == "" || len(ch.sc.Contract.InboundZones) == 0 || inbound[zone] {
			continue
		}
		res := ch.queryResult(simulate.InternetName, name)
		if res == nil || !res.Allowed && res.Pairs.Allowed == 0 {
			continue
		}
		ch.add(Finding{Rule: "ZN-4", Severity: Error,
			Objects: []Object{{Kind: "Route", Name: r.Namespace + "/" + r.Name, Source: r.Source}},
			Message: fmt.Sprintf("%s in zone %s is reachable from the internet; only %s may receive traffic from outside",
				name, zone, strings.Join(ch.sc.Contract.InboundZones, ", ")),
			Query: ch.query(simulate.InternetName, name, ""),
			Fix:   "expose the service through a route in an inbound zone, or keep the zone's VIP off the perimeter's inbound rules"})
	}
	for _, z := range ch.sc.Zones {
		for _, v := range z.IngressVIPs {
			if !model.ContainsAddr(z.NodeNetworks, v) {
				ch.add(Finding{Rule: "ZN-4", Severity: Warning, Objects: []Object{{Kind: "Zone", Name: z.Name, Source: z.Source}},
					Message: fmt.Sprintf("zone %s's ingress VIP %s is not in the zone's node networks %v", z.Name, v, z.NodeNetworks),
					Fix:     "give the zone's load balancer a VIP from the zone's own network"})
			}
		}
	}
}

func (ch *checker) queryResult(from, to string) *simulate.QueryResult {
	src, err1 := ch.e.ResolveEndpoint(from)
	dst, err2 := ch.e.ResolveEndpoint(to)
	if err1 != nil || err2 != nil {
		return nil
	}
	res, err := ch.e.Query(src, dst, nil, 4)
	if err != nil {
		return nil
	}
	return res
}

func icObject(ic *model.IngressController) Object {
	return Object{Kind: "IngressController", Name: ic.Name, Source: ic.Source}
}

// ZN-5: each zone's routes are admitted only by the zone's own shard, placed on two infra nodes of the
// zone, and the zone's policies admit that shard's routers, not all of them (RT-1, RT-4).
func (ch *checker) routerShards() {
	for _, r := range ch.c.Routes {
		zone := ch.zoneOf[r.Namespace]
		if zone == "" {
			continue
		}
		robj := Object{Kind: "Route", Name: r.Namespace + "/" + r.Name, Source: r.Source}
		name := "route:" + r.Namespace + "/" + r.Name
		own := false
		for _, ic := range ch.e.Admitters(r) {
			sz := ch.e.ShardZone(ic)
			switch {
			case sz == zone && ic.Name != "default":
				own = true
			case ic.Name == "default":
				msg := fmt.Sprintf("%s (zone %s) is admitted by the default router, which serves every zone", name, zone)
				if ic.Implicit {
					msg += " (the input declares no default IngressController, so OpenShift's default admits everything, RT-1)"
				}
				ch.add(Finding{Rule: "ZN-5", Severity: Error, Objects: []Object{robj, icObject(ic)}, Message: msg,
					Query: ch.query(simulate.InternetName, name, ""),
					Fix:   "give the default IngressController a namespaceSelector excluding zoned namespaces: matchExpressions [{key: " + ch.e.ZoneLabel + ", operator: DoesNotExist}]"})
			default:
				ch.add(Finding{Rule: "ZN-5", Severity: Error, Objects: []Object{robj, icObject(ic)},
					Message: fmt.Sprintf("%s (zone %s) is admitted by IngressController %s, which serves zone %q", name, zone, ic.Name, sz),
					Query:   ch.query(simulate.InternetName, name, ""),
					Fix:     fmt.Sprintf("restrict IngressController %s's namespaceSelector to %s=%s", ic.Name, ch.e.ZoneLabel, sz)})
			}
		}
		if !own {
			ch.add(Finding{Rule: "ZN-5", Severity: Error, Objects: []Object{robj},
				Message: fmt.Sprintf("no router shard of zone %s admits %s", zone, name),
				Fix:     fmt.Sprintf("add an IngressController with namespaceSelector %s=%s placed on zone %s's infra nodes", ch.e.ZoneLabel, zone, zone)})
		}
	}
	for _, ic := range ch.c.IngressControllers {
		zone := ch.e.ShardZone(ic)
		if zone == "" || ic.Name == "default" {
			continue
		}
		infra := 0
		for _, n := range ch.c.NodesMatching(ic.NodeSelector) {
			if _, ok := n.Labels["node-role.kubernetes.io/infra"]; ok && n.Zone == zone {
				infra++
			}
		}
		if infra < 2 {
			ch.add(Finding{Rule: "ZN-5", Severity: Warning, Objects: []Object{icObject(ic)},
				Message: fmt.Sprintf("IngressController %s (zone %s) can run on %d infra node(s) of its zone; two are needed for HA", ic.Name, zone, infra),
				Fix:     fmt.Sprintf("label a second infra node of zone %s and include it in the nodePlacement", zone)})
		}
	}
	ch.allRouterPeers()
}

// allRouterPeers flags zone policies that admit every router shard (RT-4).
func (ch *checker) allRouterPeers() {
	ingressNS := ch.c.Namespace(model.IngressNamespace)
	if ingressNS == nil {
		return
	}
	for _, p := range ch.c.Policies {
		if ch.zoneOf[p.Namespace] == "" {
			continue
		}
		for i, r := range p.Spec.Ingress {
			for _, peer := range r.From {
				if !simulate.SelectorMatches(peer.NamespaceSelector, ingressNS.Labels) {
					continue
				}
				if peer.PodSelector != nil && !(len(peer.PodSelector.MatchLabels) == 0 && len(peer.PodSelector.MatchExpressions) == 0) {
					continue
				}
				line := p.Source.Line
				if i < len(p.IngressLines) {
					line = p.IngressLines[i]
				}
				ch.add(Finding{Rule: "ZN-5", Severity: Warning,
					Objects: []Object{{Kind: "NetworkPolicy", Name: p.Key(), Source: model.Source{File: p.Source.File, Line: line}}},
					Message: fmt.Sprintf("%s ingress[%d] admits every router shard in %s, not only zone %s's (RT-4)", p.Key(), i, model.IngressNamespace, ch.zoneOf[p.Namespace]),
					Fix:     fmt.Sprintf("add podSelector {matchLabels: {%s: <zone shard>}} to the peer", model.RouterPodLabel)})
			}
		}
	}
}

// ZN-6: external traffic of a zone leaves with an egress IP from the zone's range, hosted on two nodes of
// the zone (EIP-2, EIP-4, SDN-1).
func (ch *checker) egressIdentity() {
	covered := map[string]bool{}
	for _, eip := range ch.c.EgressIPs {
		obj := Object{Kind: eip.Kind, Name: eip.Name, Source: eip.Source}
		zones := map[string]bool{}
		for _, ns := range ch.c.Namespaces {
			if simulate.EgressIPSelectsNamespace(eip, ns) {
				covered[ns.Name] = true
				if z := ch.zoneOf[ns.Name]; z != "" {
					zones[z] = true
				}
			}
		}
		if len(zones) > 1 {
			ch.add(Finding{Rule: "ZN-6", Severity: Error, Objects: []Object{obj},
				Message: fmt.Sprintf("%s %s selects namespaces of zones %v: one egress identity for several zones", eip.Kind, eip.Name, slices.Sorted(maps.Keys(zones))),
				Fix:     "use one EgressIP per zone, selecting namespaces by the zone label"})
			continue
		}
		var zone *model.Zone
		for z := range zones {
			zone = ch.e.Zone(z)
		}
		hosts := 0
		for _, ip := range eip.IPs {
			if zone != nil && !model.ContainsAddr(zone.EgressRanges, ip) {
				ch.add(Finding{Rule: "ZN-6", Severity: Error, Objects: []Object{obj, {Kind: "Zone", Name: zone.Name, Source: zone.Source}},
					Message: fmt.Sprintf("egress IP %s of %s %s is outside zone %s's egress ranges %v", ip, eip.Kind, eip.Name, zone.Name, zone.EgressRanges),
					Fix:     fmt.Sprintf("take the egress IP from %v", zone.EgressRanges)})
			}
			n := len(ch.e.EgressHostNames(eip, ip))
			if n == 0 {
				conseq := "[assumption] its traffic leaves with node IPs instead"
				if eip.Kind == "NetNamespace" {
					conseq = "its external traffic is dropped (SDN-1)"
				}
				ch.add(Finding{Rule: "ZN-6", Severity: Error, Objects: []Object{obj},
					Message: fmt.Sprintf("no node can host egress IP %s of %s %s: %s", ip, eip.Kind, eip.Name, conseq),
					Fix:     fmt.Sprintf("label the zone's egress nodes %s=\"\" (their network must hold %s)", model.EgressAssignableLabel, ip)})
			}
			hosts += n
		}
		if hosts == 1 || hosts > 0 && len(eip.IPs) == 1 && hosts < 2 {
			ch.add(Finding{Rule: "ZN-6", Severity: Warning, Objects: []Object{obj},
				Message: fmt.Sprintf("%s %s has a single node able to host its egress IPs: no HA (EIP-4)", eip.Kind, eip.Name),
				Fix:     "make a second node of the zone egress-assignable"})
		}
	}
	for _, es := range ch.c.EgressServices {
		zone, svc := ch.e.Zone(ch.zoneOf[es.Namespace]), ch.c.Service(es.Namespace, es.Name)
		if zone == nil || svc == nil || es.SourceIPBy != model.SourceIPByLoadBalancer {
			continue
		}
		for _, ip := range svc.LoadBalancerIPs {
			if !model.ContainsAddr(zone.EgressRanges, ip) {
				ch.add(Finding{Rule: "ZN-6", Severity: Error, Objects: []Object{{Kind: "EgressService", Name: es.Key(), Source: es.Source}, {Kind: "Zone", Name: zone.Name, Source: zone.Source}},
					Message: fmt.Sprintf("EgressService %s gives its pods the load-balancer IP %s of Service %s (%s), outside zone %s's egress ranges %v (EGS-2)", es.Key(), ip, es.Key(), svc.LoadBalancerFrom, zone.Name, zone.EgressRanges),
					Fix:     fmt.Sprintf("take the service's load-balancer IP from %v (the load balancer's address pool for zone %s)", zone.EgressRanges, zone.Name)})
			}
		}
	}
	for _, er := range ch.c.EgressRouters {
		zone := ch.e.Zone(ch.zoneOf[er.Namespace])
		if zone == nil || model.ContainsAddr(zone.EgressRanges, er.Address) {
			continue
		}
		ch.add(Finding{Rule: "ZN-6", Severity: Error, Objects: []Object{{Kind: "EgressRouter", Name: er.Namespace + "/" + er.Name, Source: er.Source}},
			Message: fmt.Sprintf("egress router %s/%s leaves from %s, outside zone %s's egress ranges %v", er.Namespace, er.Name, er.Address, zone.Name, zone.EgressRanges),
			Fix:     fmt.Sprintf("give the egress router an address from %v", zone.EgressRanges)})
	}
	for _, ns := range ch.zoned() {
		z := ch.zoneOf[ns]
		if zone := ch.e.Zone(z); zone != nil && len(zone.EgressRanges) > 0 && !covered[ns] {
			ch.add(Finding{Rule: "ZN-6", Severity: Warning, Objects: []Object{nsObject(ch.c.Namespace(ns))},
				Message: fmt.Sprintf("namespace %s (zone %s) has no egress IP: its external traffic leaves with node IPs, not the zone's range %v", ns, z, zone.EgressRanges),
				Fix:     fmt.Sprintf("add an EgressIP with egressIPs from %v selecting %s=%s", zone.EgressRanges, ch.e.ZoneLabel, z)})
		}
	}
}

// ZN-7: a zoned namespace's pods can only be scheduled on nodes of its zone (NS-1).
func (ch *checker) computeIsolation() {
	for _, nsName := range ch.zoned() {
		zone := ch.zoneOf[nsName]
		ns := ch.c.Namespace(nsName)
		ann, ok := ns.NodeSelector()
		if !ok || ann == "" {
			ch.add(Finding{Rule: "ZN-7", Severity: Error, Objects: []Object{nsObject(ns)},
				Message: fmt.Sprintf("namespace %s (zone %s) has no %s annotation: its pods may run on any zone's nodes", nsName, zone, model.NodeSelectorAnnotation),
				Fix:     fmt.Sprintf("oc annotate namespace %s %s=%s=%s", nsName, model.NodeSelectorAnnotation, ch.e.ZoneLabel, zone)})
			continue
		}
		var other []string
		nodes := ch.c.NodesMatching(simulate.ParseNodeSelector(ann))
		for _, n := range nodes {
			if n.Zone != zone {
				other = append(other, n.Name)
			}
		}
		if len(other) > 0 {
			ch.add(Finding{Rule: "ZN-7", Severity: Error, Objects: []Object{nsObject(ns)},
				Message: fmt.Sprintf("namespace %s (zone %s) node selector %q selects nodes of other zones: %s", nsName, zone, ann, strings.Join(other, ", ")),
				Fix:     fmt.Sprintf("set %s to %s=%s", model.NodeSelectorAnnotation, ch.e.ZoneLabel, zone)})
		} else if len(nodes) == 0 && len(ch.c.Nodes) > 0 {
			ch.add(Finding{Rule: "ZN-7", Severity: Warning, Objects: []Object{nsObject(ns)},
				Message: fmt.Sprintf("namespace %s node selector %q selects no node: its pods cannot be scheduled", nsName, ann),
				Fix:     "label the zone's worker nodes, or correct the annotation"})
		}
	}
	ch.zoneSelectorEditors()
	for _, p := range ch.c.Pods {
		zone := ch.zoneOf[p.Namespace]
		if n := ch.nodeNamed(p.NodeName); n != nil && zone != "" && n.Zone != zone {
			ch.add(Finding{Rule: "ZN-7", Severity: Error, Objects: []Object{{Kind: "Pod", Name: p.Key(), Source: p.Source}},
				Message: fmt.Sprintf("pod %s (zone %s) is placed on node %s of zone %s", p.Key(), zone, n.Name, n.Zone),
				Fix:     "remove the pod's nodeName/nodeSelector override"})
		}
	}
}

func (ch *checker) nodeNamed(name string) *model.Node {
	for _, n := range ch.c.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// ZN-8: each zone's namespaces have a zero quota for every other zone's storage class (SQ-1).
func (ch *checker) storageIsolation() {
	for _, nsName := range ch.zoned() {
		zone := ch.zoneOf[nsName]
		for _, z := range ch.sc.Zones {
			if z.Name == zone || z.StorageClass == "" {
				continue
			}
			if ch.zeroQuota(nsName, z.StorageClass) {
				continue
			}
			ch.add(Finding{Rule: "ZN-8", Severity: Error, Objects: []Object{nsObject(ch.c.Namespace(nsName)), {Kind: "Zone", Name: z.Name, Source: z.Source}},
				Message: fmt.Sprintf("namespace %s (zone %s) may claim zone %s's storage class %s: no ResourceQuota sets it to 0", nsName, zone, z.Name, z.StorageClass),
				Fix:     fmt.Sprintf("add to a ResourceQuota in %s: %s.storageclass.storage.k8s.io/requests.storage: \"0\"", nsName, z.StorageClass)})
		}
	}
}

func (ch *checker) zeroQuota(ns, class string) bool {
	zero := resource.MustParse("0")
	for _, q := range ch.c.ResourceQuotas {
		if q.Namespace != ns {
			continue
		}
		for _, key := range []string{class + ".storageclass.storage.k8s.io/requests.storage", class + ".storageclass.storage.k8s.io/persistentvolumeclaims"} {
			if v, ok := q.Hard[key]; ok && v.Cmp(zero) == 0 {
				return true
			}
		}
	}
	return false
}

// ZN-9: every node reaches every node; a perimeter rule that blocks it is a violation, not a control.
func (ch *checker) nodeToNode() {
	firstByZone := map[string]*model.Node{}
	for _, n := range ch.c.Nodes {
		if n.Zone != "" && firstByZone[n.Zone] == nil {
			firstByZone[n.Zone] = n
		}
	}
	zones := make([]string, 0, len(firstByZone))
	for z := range firstByZone {
		zones = append(zones, z)
	}
	sort.Strings(zones)
	for _, a := range zones {
		for _, b := range zones {
			if a == b {
				continue
			}
			na, nb := firstByZone[a], firstByZone[b]
			conns, st := ch.e.PerimeterBetween(na.IP, nb.IP)
			if conns.IsAll() {
				continue
			}
			f := Finding{Rule: "ZN-9", Severity: Error,
				Message: fmt.Sprintf("the perimeter blocks node traffic from zone %s to zone %s (%s -> %s allows only %s); OpenShift needs every node to reach every node", a, b, na.Name, nb.Name, conns),
				Fix:     fmt.Sprintf("allow all traffic between the node networks of %s and %s; separate zones with NetworkPolicy, not the perimeter", a, b)}
			if st != nil {
				kind, name, _ := strings.Cut(st.Object, " ")
				f.Objects = []Object{{Kind: kind, Name: name, Source: st.Source}}
			}
			ch.add(f)
		}
	}
}

// builtinRoles are what the built-in cluster roles grant: admin and edit write NetworkPolicies; only
// cluster-admin updates namespaces.
var builtinRoles = map[string]model.Role{
	"admin":         {WritesNetworkPolicies: true},
	"edit":          {WritesNetworkPolicies: true},
	"cluster-admin": {WritesNetworkPolicies: true, UpdatesNamespaces: true},
}

// grantedSubject is a subject that a binding gives a role's permissions, in a scope.
type grantedSubject struct {
	name    string // Kind:name, as contract.networkPolicyWriters spells it
	scope   string // "every namespace" or "namespace X"
	binding *model.RoleBinding
}

// grantsOutside lists the subjects, other than the contract's writers, that bindings give a role for
// which want holds, in a scope covering a zoned namespace.
func (ch *checker) grantsOutside(want func(model.Role) bool) []grantedSubject {
	allowed := map[string]bool{"Group:system:masters": true}
	if ch.sc != nil {
		for _, w := range ch.sc.Contract.NetworkPolicyWriters {
			allowed[w] = true
		}
	}
	roles := map[string]model.Role{}
	for k, r := range builtinRoles {
		roles["ClusterRole/"+k] = r
	}
	for _, r := range ch.c.Roles {
		key := r.Kind + "/" + r.Name
		if r.Kind == "Role" {
			key = "Role/" + r.Namespace + "/" + r.Name
		}
		roles[key] = *r
	}
	var out []grantedSubject
	for _, b := range ch.c.RoleBindings {
		key := b.RoleKind + "/" + b.RoleName
		if b.RoleKind == "Role" {
			key = "Role/" + b.Namespace + "/" + b.RoleName
		}
		role, ok := roles[key]
		if !ok || !want(role) {
			continue
		}
		scope := "every namespace"
		if b.Kind == "RoleBinding" {
			if ch.zoneOf[b.Namespace] == "" {
				continue
			}
			scope = "namespace " + b.Namespace
		} else if len(ch.zoneOf) == 0 {
			continue
		}
		for _, s := range b.Subjects {
			name := s.Kind + ":" + s.Name
			if s.Kind == "ServiceAccount" {
				name = "ServiceAccount:" + s.Namespace + "/" + s.Name
			}
			if !allowed[name] {
				out = append(out, grantedSubject{name: name, scope: scope, binding: b})
			}
		}
	}
	return out
}

func bindingObject(b *model.RoleBinding) Object {
	return Object{Kind: b.Kind, Name: strings.TrimPrefix(b.Namespace+"/"+b.Name, "/"), Source: b.Source}
}

// ZN-10: only the designated subjects may write NetworkPolicies in zoned namespaces.
func (ch *checker) ownership() {
	for _, g := range ch.grantsOutside(func(r model.Role) bool { return r.WritesNetworkPolicies }) {
		ch.add(Finding{Rule: "ZN-10", Severity: Error, Objects: []Object{bindingObject(g.binding)},
			Message: fmt.Sprintf("%s can write NetworkPolicies in %s through %s %s: NetworkPolicies carry the zone design", g.name, g.scope, g.binding.RoleKind, g.binding.RoleName),
			Fix:     "bind a role without create/update/patch/delete on networkpolicies, or list the subject in contract.networkPolicyWriters"})
	}
}

// zoneSelectorEditors is the RBAC half of ZN-7: who else may change a zoned namespace's node selector.
func (ch *checker) zoneSelectorEditors() {
	for _, g := range ch.grantsOutside(func(r model.Role) bool { return r.UpdatesNamespaces }) {
		ch.add(Finding{Rule: "ZN-7", Severity: Error, Objects: []Object{bindingObject(g.binding)},
			Message: fmt.Sprintf("%s can update namespaces in %s through %s %s, so it can change the node selector that pins a zone's pods to its nodes", g.name, g.scope, g.binding.RoleKind, g.binding.RoleName),
			Fix:     "bind a role without update/patch on namespaces, or list the subject in contract.networkPolicyWriters"})
	}
}

// OB-1, OB-4: nothing outside an outbound-only namespace opens connections into it.
func (ch *checker) outboundOnly() {
	m := ch.e.Matrix(simulate.LevelNamespace)
	for _, ob := range ch.sc.Contract.OutboundOnly {
		ns := ch.c.Namespace(ob.Namespace)
		obObj := Object{Kind: "Contract", Name: "outboundOnly " + ob.Namespace, Source: ob.Source}
		if ns == nil {
			ch.add(Finding{Rule: "OB-1", Severity: Warning, Objects: []Object{obObj},
				Message: fmt.Sprintf("outbound-only namespace %s is not in the input", ob.Namespace), Fix: "add the namespace's manifests"})
			continue
		}
		exc := map[string]bool{}
		for _, x := range ob.Exceptions {
			exc[x] = true
		}
		j := -1
		for k, n := range m.Nodes {
			if n.Name == ob.Namespace && n.Kind == "namespace" {
				j = k
			}
		}
		for i, from := range m.Nodes {
			if j < 0 || i == j || exc[from.Name] {
				continue
			}
			cell := m.Cell(i, j)
			if cell.NA || cell.Allowed == 0 {
				continue
			}
			objs := append([]Object{obObj}, ch.explain(from.Name, ob.Namespace)...)
			ch.add(Finding{Rule: "OB-1", Severity: Error, Objects: objs,
				Message: fmt.Sprintf("%s can open connections into outbound-only namespace %s on %s (%d of %d pairs)", from.Name, ob.Namespace, cell.Conns, cell.Allowed, cell.Total),
				Query:   ch.query(from.Name, ob.Namespace, ""),
				Fix:     fmt.Sprintf("give %s a default-deny ingress policy (podSelector: {}, policyTypes: [Ingress]) and no allow rules, or list %s as an exception with a reason", ob.Namespace, from.Name)})
		}
		for _, r := range ch.c.Routes {
			if r.Namespace == ob.Namespace {
				ch.add(Finding{Rule: "OB-4", Severity: Error, Objects: []Object{{Kind: "Route", Name: r.Namespace + "/" + r.Name, Source: r.Source}},
					Message: fmt.Sprintf("route %s/%s exposes outbound-only namespace %s: inbound webhooks and callbacks cannot work there", r.Namespace, r.Name, ob.Namespace),
					Query:   ch.query(simulate.InternetName, "route:"+r.Namespace+"/"+r.Name, ""),
					Fix:     "delete the route; receive events by polling, long-polling or a message queue"})
			}
		}
		for _, s := range ch.c.Services {
			if s.Namespace == ob.Namespace && (s.Type == "NodePort" || s.Type == "LoadBalancer") {
				ch.add(Finding{Rule: "OB-4", Severity: Error, Objects: []Object{{Kind: "Service", Name: s.Namespace + "/" + s.Name, Source: s.Source}},
					Message: fmt.Sprintf("service %s/%s of type %s exposes outbound-only namespace %s", s.Namespace, s.Name, s.Type, ob.Namespace),
					Fix:     "make it a ClusterIP service; receive events by polling or a message queue"})
			}
		}
	}
}

// egressScoped are the namespaces whose egress must be scoped to known destinations (OB-2): the
// outbound-only ones and those the contract gives external egress.
func (ch *checker) egressScoped() []string {
	set := map[string]bool{}
	for _, ob := range ch.sc.Contract.OutboundOnly {
		set[ob.Namespace] = true
	}
	for _, eg := range ch.sc.Contract.Egress {
		for _, ns := range ch.allowanceNamespaces(eg) {
			set[ns] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

func (ch *checker) allowanceNamespaces(eg *model.EgressAllowance) []string {
	if z, ok := strings.CutPrefix(eg.From, "zone:"); ok {
		var out []string
		for _, ns := range ch.zoned() {
			if ch.zoneOf[ns] == z {
				out = append(out, ns)
			}
		}
		sort.Strings(out)
		return out
	}
	return []string{eg.From}
}

// OB-2: egress is scoped to known destinations: no NetworkPolicy egress to everything, and an
// EgressFirewall that ends in deny-all without wildcards.
func (ch *checker) egressScope() {
	for _, ns := range ch.egressScoped() {
		if ch.c.Namespace(ns) == nil {
			continue // a contract's namespace the input lacks: OB-3 says so
		}
		nsObj := nsObject(ch.c.Namespace(ns))
		for _, p := range ch.c.Policies {
			if p.Namespace != ns {
				continue
			}
			for i, r := range p.Spec.Egress {
				line := p.Source.Line
				if i < len(p.EgressLines) {
					line = p.EgressLines[i]
				}
				obj := Object{Kind: "NetworkPolicy", Name: p.Key(), Source: model.Source{File: p.Source.File, Line: line}}
				if len(r.To) == 0 {
					ch.add(Finding{Rule: "OB-2", Severity: Error, Objects: []Object{obj},
						Message: fmt.Sprintf("%s egress[%d] has no `to`: it allows every destination", p.Key(), i),
						Fix:     "list the destinations (namespaces, or ipBlocks of the known endpoints)"})
				}
				for _, peer := range r.To {
					if peer.IPBlock != nil && (peer.IPBlock.CIDR == "0.0.0.0/0" || peer.IPBlock.CIDR == "::/0") {
						ch.add(Finding{Rule: "OB-2", Severity: Error, Objects: []Object{obj},
							Message: fmt.Sprintf("%s egress[%d] allows %s: every address", p.Key(), i, peer.IPBlock.CIDR),
							Fix:     "replace it with the CIDRs of the endpoints the namespace needs"})
					}
				}
			}
		}
		ef := ch.c.EgressFirewallOf(ns)
		if ef == nil {
			ch.add(Finding{Rule: "OB-2", Severity: Error, Objects: []Object{nsObj},
				Message: fmt.Sprintf("namespace %s has no EgressFirewall: its egress is not limited to known hosts", ns),
				Query:   ch.query(ns, simulate.InternetName, ""),
				Fix:     fmt.Sprintf("add EgressFirewall \"default\" in %s allowing the contract's endpoints, ending with Deny 0.0.0.0/0", ns)})
			continue
		}
		efObj := Object{Kind: ef.Kind, Name: ef.Namespace + "/" + ef.Name, Source: ef.Source}
		if n := len(ef.Rules); n == 0 || ef.Rules[n-1].Allow || ef.Rules[n-1].CIDR.Bits() != 0 {
			ch.add(Finding{Rule: "OB-2", Severity: Error, Objects: []Object{efObj},
				Message: fmt.Sprintf("%s %s/%s does not end with Deny 0.0.0.0/0: destinations no rule names are allowed (EF-3)", ef.Kind, ef.Namespace, ef.Name),
				Query:   ch.query(ns, simulate.InternetName, ""),
				Fix:     "append {type: Deny, to: {cidrSelector: 0.0.0.0/0}}"})
		}
		for i, r := range ef.Rules {
			if r.Allow && strings.HasPrefix(r.DNSName, "*.") {
				ch.add(Finding{Rule: "OB-2", Severity: Warning, Objects: []Object{{Kind: ef.Kind, Name: ef.Namespace + "/" + ef.Name, Source: model.Source{File: ef.Source.File, Line: r.Line}}},
					Message: fmt.Sprintf("%s %s/%s rule %d allows the wildcard %s", ef.Kind, ef.Namespace, ef.Name, i, r.DNSName),
					Fix:     "name the hosts the namespace needs"})
			}
			if r.Allow && r.DNSName != "" && ch.laterDenyAll(ef, i) {
				ch.add(Finding{Rule: "EF-7", Severity: Warning, Objects: []Object{{Kind: ef.Kind, Name: ef.Namespace + "/" + ef.Name, Source: model.Source{File: ef.Source.File, Line: r.Line}}},
					Message: fmt.Sprintf("rule %d allows dnsName %s before a Deny 0.0.0.0/0: zonesim applies first match (the API's wording); newer documentation says the deny wins [disputed]", i, r.DNSName),
					Fix:     "confirm on your OpenShift version with zonesim e2e, or allow the endpoint's CIDR instead"})
			}
		}
	}
}

func (ch *checker) laterDenyAll(ef *model.EgressFirewall, i int) bool {
	for _, r := range ef.Rules[i+1:] {
		if !r.Allow && r.CIDR.IsValid() && r.CIDR.Bits() == 0 {
			return true
		}
	}
	return false
}

// OB-3: every egress the contract allows works end to end, and every egress identity of the
// namespaces allowed is on the endpoint's allowlist.
func (ch *checker) egressContract() {
	listed := map[string]bool{}
	for _, eg := range ch.sc.Contract.Egress {
		for _, to := range eg.To {
			x := ch.e.External(strings.TrimPrefix(to, "ext:"))
			if x == nil {
				continue
			}
			if !listed[x.Name] {
				listed[x.Name] = true
				ch.allowlistCovers(x)
			}
			for _, ns := range ch.allowanceNamespaces(eg) {
				if ch.c.Namespace(ns) == nil {
					ch.add(Finding{Rule: "OB-3", Severity: Warning, Objects: []Object{{Kind: "Contract", Name: "egress " + eg.From, Source: eg.Source}},
						Message: fmt.Sprintf("the contract lets %s reach ext:%s, but the input has no namespace %s", ns, x.Name, ns),
						Fix:     fmt.Sprintf("add namespace %s to the input, or remove it from the contract", ns)})
					continue
				}
				res := ch.queryResult(ns, "ext:"+x.Name)
				if res == nil || res.Allowed {
					continue
				}
				why := "denied"
				for _, p := range res.Results {
					if !p.Allowed {
						why = denyStep(p)
						break
					}
				}
				ch.add(Finding{Rule: "OB-3", Severity: Error, Objects: []Object{{Kind: "Contract", Name: "egress " + eg.From, Source: eg.Source}, {Kind: "External", Name: x.Name, Source: x.Source}},
					Message: fmt.Sprintf("the contract lets %s reach ext:%s, but the flow is %s (%d of %d pairs allowed): %s", ns, x.Name, strings.ToLower(res.Verdict), res.Pairs.Allowed, res.Pairs.Total, why),
					Query:   ch.query(ns, "ext:"+x.Name, ""),
					Fix:     "open the step named above: the egress policy, the EgressFirewall, the perimeter rule or the endpoint's allowlist"})
			}
		}
	}
}

// allowlistCovers reports the egress identities of the namespaces allowed to reach x that x's
// allowlist lacks (the entries zonesim allowlist shows as missing): one finding per egress IP object,
// one for the node IPs.
func (ch *checker) allowlistCovers(x *model.External) {
	if len(x.AcceptsFrom) == 0 {
		return
	}
	type group struct {
		objects   []Object
		addrs, ns []string
		what, why string
	}
	var groups []*group
	byObject := map[string]*group{}
	for _, en := range ch.allowlist(x).Entries {
		if en.Status == Stale {
			ch.add(Finding{Rule: "OB-3", Severity: Warning, Objects: []Object{{Kind: "External", Name: x.Name, Source: x.Source}},
				Message: fmt.Sprintf("ext:%s's allowlist holds %s, which no namespace the contract lets reach it leaves with: a stale entry admits whoever holds that address now", x.Name, en.Address),
				Fix:     fmt.Sprintf("ask the provider of ext:%s to remove %s (zonesim allowlist --endpoint %s lists every entry)", x.Name, en.Address, x.Name)})
		}
		if en.Status != Missing {
			continue
		}
		key, what := en.Kind+"/"+en.Name, fmt.Sprintf("egress IP(s) %%s of %s %s", en.Kind, en.Name)
		switch en.Kind {
		case "Node":
			key, what = "Node", "node IP(s) %s"
		case "EgressService":
			what = fmt.Sprintf("load-balancer IP(s) %%s of EgressService %s (EGS-2)", en.Name)
		}
		g := byObject[key]
		if g == nil {
			g = &group{what: what, why: en.Why}
			byObject[key] = g
			groups = append(groups, g)
		}
		g.addrs = append(g.addrs, en.Address)
		g.ns = union(g.ns, en.Namespaces...)
		if obj := (Object{Kind: en.Kind, Name: en.Name, Source: *en.Source}); !slices.Contains(g.objects, obj) {
			g.objects = append(g.objects, obj)
		}
	}
	for _, g := range groups {
		whose := strings.Join(g.ns, ", ") + "'s"
		if len(g.ns) > 1 {
			whose = "the"
		}
		why := ""
		if g.why != "" {
			why = " (" + g.why + ")"
		}
		fix := fmt.Sprintf("register %s with the provider of ext:%s (zonesim allowlist --endpoint %s -o csv lists every entry it needs)", strings.Join(g.addrs, ", "), x.Name, x.Name)
		if g.why != "" {
			fix = "give " + strings.Join(g.ns, ", ") + " an egress IP that a node can host and the provider has registered (ZN-6), or " + fix
		}
		ch.add(Finding{Rule: "OB-3", Severity: Error,
			Objects: append([]Object{{Kind: "External", Name: x.Name, Source: x.Source}}, g.objects...),
			Message: fmt.Sprintf("ext:%s's allowlist %v lacks %s%s: %s traffic fails whenever it leaves from one of them",
				x.Name, x.AcceptsFrom, fmt.Sprintf(g.what, strings.Join(g.addrs, ", ")), why, whose),
			Query: ch.query(g.ns[0], "ext:"+x.Name, ""),
			Fix:   fix})
	}
}

// OB-5: every external endpoint the contract lets a namespace reach is covered by a probe: one the
// scenario's probes name, or, when it names none, one zonesim probe can test (an address and a TCP port).
func (ch *checker) probeCoverage() {
	for i, p := range ch.sc.Probes {
		if p.Namespace != "" && ch.c.Namespace(p.Namespace) == nil {
			ch.add(Finding{Rule: "OB-5", Severity: Warning, Objects: []Object{{Kind: "Probe", Name: fmt.Sprintf("spec.probes[%d]", i), Source: p.Source}},
				Message: fmt.Sprintf("the probe of ext:%s stands for namespace %s, which the input does not have: zonesim probe refuses it", p.Endpoint, p.Namespace),
				Fix:     "name a namespace of the input, or leave namespace out"})
		}
	}
	// covered says whether a probe of the scenario tests x for a namespace of the allowance (or for none).
	covered := func(x string, eg *model.EgressAllowance) bool {
		for _, p := range ch.sc.Probes {
			if p.Endpoint == x && (p.Namespace == "" || slices.Contains(ch.allowanceNamespaces(eg), p.Namespace)) {
				return true
			}
		}
		return false
	}
	for _, eg := range ch.sc.Contract.Egress {
		for _, to := range eg.To {
			x := ch.e.External(strings.TrimPrefix(to, "ext:"))
			if x == nil {
				continue
			}
			objs := []Object{{Kind: "External", Name: x.Name, Source: x.Source}, {Kind: "Contract", Name: "egress " + eg.From, Source: eg.Source}}
			switch {
			case len(ch.sc.Probes) > 0 && !covered(x.Name, eg):
				ns := eg.From
				if z, ok := strings.CutPrefix(eg.From, "zone:"); ok {
					ns = "<a namespace of zone " + z + ">"
				}
				ch.add(Finding{Rule: "OB-5", Severity: Warning, Objects: objs,
					Message: fmt.Sprintf("the contract lets %s reach ext:%s, but no probe of spec.probes tests it: a broken path is found when the application fails", eg.From, x.Name),
					Fix:     fmt.Sprintf("add {endpoint: %s, namespace: %s} to spec.probes and run zonesim probe --every", x.Name, ns)})
			case len(ch.sc.Probes) == 0 && !probeable(x):
				ch.add(Finding{Rule: "OB-5", Severity: Warning, Objects: objs,
					Message: fmt.Sprintf("the contract lets %s reach ext:%s, but zonesim probe cannot test it: it needs an address and a single TCP port (it has %v, ports %v)", eg.From, x.Name, x.Addresses, x.Ports),
					Fix:     fmt.Sprintf("give ext:%s its addresses and TCP ports, or probe it with another tool and list what does", x.Name)})
			}
		}
	}
}

// probeable says whether zonesim probe can test an endpoint: it has an address and a single TCP port.
func probeable(x *model.External) bool {
	if len(x.Addresses) == 0 {
		return false
	}
	for _, p := range x.Ports {
		if p.Protocol == "TCP" && p.Lo == p.Hi {
			return true
		}
	}
	return false
}

// OB-6: the namespaces that build or pull reach the internet, and every endpoint outside the
// organization, only through the proxies or mirrors the contract names; and they do reach one of those.
func (ch *checker) pullThrough() {
	pt := ch.sc.Contract.PullThrough
	ptObj := Object{Kind: "Contract", Name: "pullThrough", Source: pt.Source}
	via := "ext:" + strings.Join(pt.Endpoints, ", ext:")
	for _, ns := range pt.Namespaces {
		if ch.c.Namespace(ns) == nil {
			ch.add(Finding{Rule: "OB-6", Severity: Warning, Objects: []Object{ptObj},
				Message: fmt.Sprintf("the contract's pullThrough names namespace %s, which the input does not have", ns),
				Fix:     fmt.Sprintf("add namespace %s to the input, or remove it from pullThrough", ns)})
			continue
		}
		// The internet, and the endpoints outside the organization that are neither a proxy nor one the
		// contract lets the namespace reach for its own work (a SaaS API it calls).
		direct := []string{simulate.InternetName}
		for _, x := range ch.sc.Externals {
			if x.Zone == "" && !slices.Contains(pt.Endpoints, x.Name) && !slices.Contains(ch.reaching(x), ns) {
				direct = append(direct, "ext:"+x.Name)
			}
		}
		for _, to := range direct {
			res := ch.queryResult(ns, to)
			if res == nil || res.Pairs.Allowed == 0 {
				continue
			}
			// Some pairs are allowed, so Connections names what they allow.
			ch.add(Finding{Rule: "OB-6", Severity: Error, Objects: []Object{nsObject(ch.c.Namespace(ns)), ptObj},
				Message: fmt.Sprintf("%s builds or pulls, so it may reach the outside only through %s and the endpoints the contract gives it, but it reaches %s directly on %s (%d of %d pod pairs)",
					ns, via, to, strings.Join(res.Connections, ", "), res.Pairs.Allowed, res.Pairs.Total),
				Query: ch.query(ns, to, ""),
				Fix:   fmt.Sprintf("restrict the egress of %s (NetworkPolicy, EgressFirewall) to %s", ns, via)})
		}
		reaches := false
		for _, e := range pt.Endpoints {
			if res := ch.queryResult(ns, "ext:"+e); res != nil && res.Pairs.Allowed > 0 {
				reaches = true
			}
		}
		if !reaches {
			ch.add(Finding{Rule: "OB-6", Severity: Error, Objects: []Object{nsObject(ch.c.Namespace(ns)), ptObj},
				Message: fmt.Sprintf("%s builds or pulls, but reaches none of %s: its builds and pulls fail", ns, via),
				Query:   ch.query(ns, "ext:"+pt.Endpoints[0], ""),
				Fix:     fmt.Sprintf("allow %s to reach %s (egress policy, EgressFirewall, perimeter)", ns, via)})
		}
	}
}

// denyStep names the first pipeline step that removed every connection.
func denyStep(p simulate.PairResult) string {
	if p.Egress != nil && p.Egress.Isolated && len(p.Egress.Rules) == 0 {
		return "the egress policy of " + p.From + " denies it"
	}
	for _, s := range p.Steps {
		if len(s.Connections) == 0 {
			return fmt.Sprintf("%s %s: %s", s.Step, s.Object, s.Detail)
		}
	}
	return "no connection is left after every step"
}
