package simulate

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/zonesim/zonesim/pkg/model"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// routePorts are the ports a router serves on its VIP.
var routePorts = func() ConnSet {
	var c ConnSet
	c.Add("TCP", 80, 80)
	c.Add("TCP", 443, 443)
	return c
}()

// Admitters returns the IngressControllers that admit a route (RT-1): the route's namespace labels match
// the namespaceSelector and its labels the routeSelector; an unset selector does not filter.
func (e *Engine) Admitters(r *model.Route) []*model.IngressController {
	ns := e.Cluster.Namespace(r.Namespace)
	var out []*model.IngressController
	for _, ic := range e.Cluster.IngressControllers {
		if ic.NamespaceSelector != nil && (ns == nil || !newSelector(ic.NamespaceSelector).matches(ns.Labels)) {
			continue
		}
		if ic.RouteSelector != nil && !newSelector(ic.RouteSelector).matches(r.Labels) {
			continue
		}
		out = append(out, ic)
	}
	return out
}

// ShardZone is the zone an IngressController serves from: the zone of the nodes its placement selects,
// "" when they span zones or none is known.
func (e *Engine) ShardZone(ic *model.IngressController) string {
	zone := ""
	for _, n := range e.Cluster.NodesMatching(ic.NodeSelector) {
		if zone != "" && n.Zone != zone {
			return ""
		}
		zone = n.Zone
	}
	return zone
}

// routeBackends resolves a route to its service's backend pods and, per backend, the target port (RT-3:
// the router proxies straight to the endpoints).
func (e *Engine) routeBackends(r *model.Route) (*model.Service, error) {
	for _, s := range e.Cluster.Services {
		if s.Namespace == r.Namespace && s.Name == r.Service {
			return s, nil
		}
	}
	return nil, fmt.Errorf("route:%s/%s points to service %q, which is not in the input", r.Namespace, r.Name, r.Service)
}

// routeTargets returns the target ports a route sends to on one backend.
func routeTargets(r *model.Route, svc *model.Service, backend *model.Pod) ConnSet {
	var c ConnSet
	for _, sp := range svc.Ports {
		tp := r.TargetPort
		match := tp.IntVal == 0 && tp.StrVal == "" ||
			tp.Type == intstr.String && (sp.Name == tp.StrVal || sp.TargetPort.StrVal == tp.StrVal) ||
			tp.Type == intstr.Int && (sp.TargetPort.IntVal == tp.IntVal || sp.Port == tp.IntVal)
		if !match {
			continue
		}
		if port, ok := resolveTarget(sp, backend); ok {
			c.Add(sp.Protocol, port, port)
		}
	}
	return c
}

// routeEndpoint resolves route:ns/name to its backends.
func (e *Engine) routeEndpoint(name string) (*Endpoint, error) {
	for _, r := range e.Cluster.Routes {
		if "route:"+r.Namespace+"/"+r.Name != name {
			continue
		}
		svc, err := e.routeBackends(r)
		if err != nil {
			return nil, err
		}
		ep, err := e.serviceEndpoint(svc)
		if err != nil {
			return nil, err
		}
		ep.Kind, ep.Name, ep.Service, ep.Route = "route", name, nil, r
		return ep, nil
	}
	return nil, e.unknownEndpoint(name)
}

// ingressEndpoint resolves ingress:ns/name to the backends of the routes OpenShift writes for it, each
// reached through its own route (IN-2). An Ingress another controller serves is not modelled (IN-3).
func (e *Engine) ingressEndpoint(name string) (*Endpoint, error) {
	for _, in := range e.Cluster.Ingresses {
		if "ingress:"+in.Key() != name {
			continue
		}
		ep := &Endpoint{Kind: "ingress", Name: name}
		seen := map[*model.Pod]bool{}
		for _, r := range e.Cluster.Routes {
			if r.Namespace != in.Namespace || r.Ingress != in.Name {
				continue
			}
			svc, err := e.routeBackends(r)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			backends, err := e.serviceEndpoint(svc)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for _, m := range backends.Members {
				if !seen[m.Pod] { // a pod behind two backends is reached through the first
					seen[m.Pod] = true
					m.Route = r
					ep.Members = append(ep.Members, m)
				}
			}
			if ep.Route == nil {
				ep.Route = r
			}
		}
		if ep.Route == nil {
			return nil, fmt.Errorf("not supported: %s is not served by OpenShift's ingress-to-route, the only Ingress controller zonesim models (IN-3); its caveat names its controller", name)
		}
		return ep, nil
	}
	return nil, e.unknownEndpoint(name)
}

// viaRoute evaluates a client reaching a backend through a route: for each admitting shard, the client
// to the shard (the VIP through the perimeter for an outside client; the router pod's policies for a pod),
// then the router pod to the backend at the route's target port (RT-3: the backend sees the router).
// The connections are the router ports (TCP/80, TCP/443) of the paths that get through.
func (e *Engine) viaRoute(s, d Member, r *model.Route, pr *PairResult) ConnSet {
	svc, _ := e.routeBackends(r)
	targets := routeTargets(r, svc, d.Pod)
	shards := e.Admitters(r)
	theRoute := "the route"
	if r.Ingress != "" {
		theRoute = fmt.Sprintf("the route %s that OpenShift writes for Ingress %s/%s (IN-2)", r.Name, r.Namespace, r.Ingress)
	}
	if len(shards) == 0 {
		pr.Steps = append(pr.Steps, step("route", "route:"+r.Namespace+"/"+r.Name, r.Source, ConnSet{}, "no IngressController admits "+theRoute+" (RT-1)"))
		return ConnSet{}
	}
	var out ConnSet
	for _, ic := range shards {
		obj := "IngressController " + ic.Name
		routers := e.Cluster.RouterPods(ic.Name)
		if len(routers) == 0 {
			pr.Steps = append(pr.Steps, step("route", obj, ic.Source, ConnSet{}, "admits the route but has no router pod"))
			continue
		}
		router := routers[0]
		rc := e.classOf[router]
		in := routePorts
		var how string
		if s.Pod != nil {
			c := e.conns.sets[e.classPair(e.classOf[s.Pod], rc)]
			in = in.Intersect(c)
			how = fmt.Sprintf("%s -> router %s: %s", s.Name, router.Key(), in)
		} else {
			vips := e.shardVIPs(ic)
			if len(vips) == 0 {
				how = fmt.Sprintf("%s -> router %s (no ingress VIP known for its zone)", s.Name, router.Key())
			} else {
				per, st := e.perimeter(s.IP, vips[0])
				in = in.Intersect(per)
				how = fmt.Sprintf("%s -> VIP %s of zone %s: %s", s.Name, vips[0], e.ShardZone(ic), in)
				if st != nil {
					how += " (" + st.Detail + ")"
				}
			}
		}
		back := targets.Intersect(e.conns.sets[e.classPair(rc, e.classOf[d.Pod])])
		sees := fmt.Sprintf("the backend sees the router pod %s, RT-3", router.IP)
		if net := e.classNet(e.classOf[d.Pod]); net != "" && net != e.classNet(rc) {
			// UDN-3 [derived]: the router reaches a backend of another network through its service, via the
			// node's management port, which OVN-Kubernetes admits on every network whatever NetworkPolicy says.
			back = targets
			sees = fmt.Sprintf("the backend is on %s: the router reaches it through its service via the node, which its network always admits, UDN-3 [derived]", e.networkName(net))
		}
		verdict, through := "blocked", ConnSet{}
		if !in.IsEmpty() && !back.IsEmpty() {
			verdict, through = "open", in
			out = out.Union(in)
		}
		detail := fmt.Sprintf("admits %s (RT-1); %s; router -> %s at %s: %s (%s); path %s",
			theRoute, how, d.Pod.Key(), targets, back, sees, verdict)
		pr.Steps = append(pr.Steps, step("route", obj, ic.Source, through, detail))
	}
	return out
}

// shardVIPs are the ingress VIPs of the zone a shard serves from.
func (e *Engine) shardVIPs(ic *model.IngressController) []netip.Addr {
	if z := e.Zone(e.ShardZone(ic)); z != nil {
		return z.IngressVIPs
	}
	return nil
}

// RouteNames lists route endpoints, sorted.
func (e *Engine) RouteNames() []string {
	var out []string
	for _, r := range e.Cluster.Routes {
		out = append(out, "route:"+r.Namespace+"/"+r.Name)
	}
	sort.Strings(out)
	return out
}
