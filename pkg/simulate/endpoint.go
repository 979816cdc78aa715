package simulate

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
)

// Member is one end of a pod pair: a pod, or an address outside the pod network.
type Member struct {
	Pod      *model.Pod
	IP       netip.Addr
	Name     string
	Node     *model.Node     // set for a node:name endpoint or a node IP
	External *model.External // set for an ext:name endpoint
	// Route is the route a backend of an Ingress is reached through (one per backend service).
	Route *model.Route
}

// Endpoint is what a query names: a pod, a workload, a namespace, a zone, a service, an address or block.
type Endpoint struct {
	Kind    string // pod, workload, namespace, zone, service, ip, cidr, internet
	Name    string
	Members []Member
	Service *model.Service
	Route   *model.Route
}

// IsSet reports whether the endpoint stands for more than one pod or block.
func (ep *Endpoint) IsSet() bool {
	switch ep.Kind {
	case "pod", "ip", "internet":
		return false
	}
	return len(ep.Members) != 1
}

func podMembers(pods []*model.Pod) []Member {
	out := make([]Member, 0, len(pods))
	for _, p := range pods {
		out = append(out, Member{Pod: p, Name: p.Key()})
	}
	return out
}

// EndpointForms lists every endpoint form ResolveEndpoint accepts, for help texts and errors.
const EndpointForms = `  ns/pod            a pod
  ns/KIND/name      a workload's pods; KIND is deployment, statefulset, daemonset, replicaset, job,
                    cronjob or replicationcontroller (or kubectl's short names: deploy, sts, ds, rs,
                    cj, rc)
  ns                a namespace's pods
  zone:Z            the pods of the namespaces labelled with zone Z (zone:(unzoned): of those without)
  svc:ns/name       a Service, evaluated on its backends at the target port
  route:ns/name     an OpenShift Route, through the router shards that admit it
  ingress:ns/name   an Ingress, through the routes OpenShift writes for it (ingress-to-route)
  node:N            a node (its InternalIP: host-network traffic)
  ext:name          an endpoint outside the cluster named in the Scenario
  IP, CIDR          an address or block
  internet          every address no ipBlock names (internet6: the IPv6 rest, once an ipBlock is IPv6)
With -n NS, pod/NAME, KIND/NAME, svc:NAME, route:NAME and ingress:NAME are in namespace NS.`

// workloadKinds maps kubectl's names of the workload kinds, full and short, to the full lower-case kind.
var workloadKinds = map[string]string{
	"deployment": "deployment", "deploy": "deployment", "statefulset": "statefulset", "sts": "statefulset",
	"daemonset": "daemonset", "ds": "daemonset", "replicaset": "replicaset", "rs": "replicaset",
	"job": "job", "cronjob": "cronjob", "cj": "cronjob", "replicationcontroller": "replicationcontroller", "rc": "replicationcontroller",
}

// QualifyEndpoint puts an endpoint given without a namespace into namespace ns, as kubectl's -n does:
// pod/NAME becomes ns/NAME, KIND/NAME ns/KIND/NAME, svc:NAME svc:ns/NAME, route:NAME route:ns/NAME and
// ingress:NAME ingress:ns/NAME.
// Every other form (qualified, a namespace, a zone, an address) is returned as it is.
func QualifyEndpoint(s, ns string) string {
	if ns == "" {
		return s
	}
	for _, prefix := range []string{"svc:", "route:", "ingress:"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok && rest != "" && !strings.Contains(rest, "/") {
			return prefix + ns + "/" + rest
		}
	}
	kind, name, ok := strings.Cut(s, "/")
	if !ok || name == "" || strings.Contains(name, "/") || strings.Contains(kind, ":") {
		return s
	}
	if kind = strings.ToLower(kind); kind == "pod" || kind == "po" || kind == "pods" {
		return ns + "/" + name
	}
	if _, ok := workloadKinds[kind]; ok {
		return ns + "/" + kind + "/" + name
	}
	return s
}

// ResolveEndpoint parses an endpoint in one of the EndpointForms. An unknown name gets an error listing
// close matches.
func (e *Engine) ResolveEndpoint(s string) (*Endpoint, error) {
	c := e.Cluster
	switch {
	case s == InternetName || s == InternetName+"6": // internet6: the IPv6 rest, where an ipBlock is IPv6
		for _, a := range e.ExternalAtoms() {
			if a.Name == s {
				return &Endpoint{Kind: "internet", Name: s, Members: []Member{{IP: a.IP, Name: s}}}, nil
			}
		}
		if s == InternetName+"6" {
			return nil, fmt.Errorf("%s: no policy names an IPv6 block, so the IPv6 internet is not a block of its own here; query an IPv6 address instead", s)
		}
	case strings.HasPrefix(s, "zone:"):
		z := strings.TrimPrefix(s, "zone:")
		if z == UnzonedName {
			z = "" // the matrix's row of the namespaces without a zone label
		}
		var pods []*model.Pod
		found := false
		for _, ns := range c.Namespaces {
			if ns.Zone(e.ZoneLabel) == z {
				found = true
				pods = append(pods, e.podsOf(ns.Name)...)
			}
		}
		if found {
			return &Endpoint{Kind: "zone", Name: s, Members: podMembers(pods)}, nil
		}
	case strings.HasPrefix(s, "node:"):
		if n := e.nodes[strings.TrimPrefix(s, "node:")]; n != nil {
			return &Endpoint{Kind: "node", Name: s, Members: []Member{{IP: n.IP, Name: s, Node: n}}}, nil
		}
	case strings.HasPrefix(s, "ext:"):
		if x := e.External(strings.TrimPrefix(s, "ext:")); x != nil {
			ep := &Endpoint{Kind: "external", Name: s}
			for _, a := range x.Addresses {
				name := s
				if len(x.Addresses) > 1 {
					name = s + " (" + a.Addr().String() + ")"
				}
				ep.Members = append(ep.Members, Member{IP: a.Addr(), Name: name, External: x})
			}
			return ep, nil
		}
	case strings.HasPrefix(s, "route:"):
		return e.routeEndpoint(s)
	case strings.HasPrefix(s, "ingress:"):
		return e.ingressEndpoint(s)
	case strings.HasPrefix(s, "svc:"):
		for _, svc := range c.Services {
			if "svc:"+svc.Namespace+"/"+svc.Name == s {
				return e.serviceEndpoint(svc)
			}
		}
	case strings.Contains(s, " except "): // a matrix's name of a block less the blocks nested in it
		for _, a := range e.ExternalAtoms() {
			if a.Name == s {
				return &Endpoint{Kind: "cidr", Name: s, Members: []Member{a.member()}}, nil
			}
		}
	default:
		if ip, err := netip.ParseAddr(s); err == nil {
			return e.ipEndpoint(ip), nil
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			return e.cidrEndpoint(p.Masked()), nil
		}
		if p := c.Pod(s); p != nil { // also a representative pod, whose name may hold a "/"
			return &Endpoint{Kind: "pod", Name: s, Members: podMembers([]*model.Pod{p})}, nil
		}
		if ns := c.Namespace(s); ns != nil { // also a representative namespace ([team=a], which may hold a "/")
			return &Endpoint{Kind: "namespace", Name: s, Members: podMembers(e.podsOf(s))}, nil
		}
		// ns/KIND/name: pods and namespaces were looked up by their whole name above.
		if parts := strings.Split(s, "/"); len(parts) == 3 {
			kind := strings.ToLower(parts[1])
			if full, ok := workloadKinds[kind]; ok {
				kind = full
			}
			for _, w := range c.Workloads {
				if w.Key() == parts[0]+"/"+kind+"/"+parts[2] {
					return &Endpoint{Kind: "workload", Name: w.Key(), Members: podMembers(w.Pods)}, nil
				}
			}
		}
	}
	return nil, e.unknownEndpoint(s)
}

func (e *Engine) podsOf(ns string) []*model.Pod {
	var out []*model.Pod
	for _, c := range e.nsIndex[ns] {
		out = append(out, c.Pods...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// selects says whether a service's selector takes in a pod of its namespace; a service without a
// selector selects none.
func selects(svc *model.Service, p *model.Pod) bool {
	return len(svc.Selector) > 0 && p.Namespace == svc.Namespace && (&selector{labels: svc.Selector}).matches(p.Labels)
}

// backends are the pods a service's selector takes in.
func (e *Engine) backends(svc *model.Service) []*model.Pod {
	var pods []*model.Pod
	for _, p := range e.podsOf(svc.Namespace) {
		if selects(svc, p) {
			pods = append(pods, p)
		}
	}
	return pods
}

func (e *Engine) serviceEndpoint(svc *model.Service) (*Endpoint, error) {
	pods := e.backends(svc)
	name := "svc:" + svc.Namespace + "/" + svc.Name
	if len(pods) == 0 {
		return nil, fmt.Errorf("service %s selects no pods, so no traffic reaches a backend (NP-17)", name)
	}
	return &Endpoint{Kind: "service", Name: name, Members: podMembers(pods), Service: svc}, nil
}

func (e *Engine) ipEndpoint(ip netip.Addr) *Endpoint {
	if p, ok := e.podByIP[ip]; ok {
		return &Endpoint{Kind: "pod", Name: p.Key(), Members: podMembers([]*model.Pod{p})}
	}
	for _, s := range e.Cluster.Services {
		if s.ClusterIP == ip {
			if ep, err := e.serviceEndpoint(s); err == nil {
				return ep
			}
		}
	}
	name := ip.String()
	m := Member{IP: ip}
	if n, ok := e.nodeByIP[ip]; ok {
		name = "node:" + n.Name + " (" + ip.String() + ")"
		m.Node = n
	}
	if sc := e.Cluster.Scenario; sc != nil {
		for _, x := range sc.Externals {
			if model.ContainsAddr(x.Addresses, ip) {
				name, m.External = "ext:"+x.Name+" ("+ip.String()+")", x
			}
		}
	}
	m.Name = name
	return &Endpoint{Kind: "ip", Name: name, Members: []Member{m}}
}

// cidrEndpoint splits a block at the ipBlock boundaries inside it, so each member is decided alike.
func (e *Engine) cidrEndpoint(p netip.Prefix) *Endpoint {
	prefixes := []netip.Prefix{p}
	for _, b := range e.ipBlocks {
		for _, q := range append([]netip.Prefix{b.cidr}, b.except...) {
			if q.Bits() > p.Bits() && p.Contains(q.Addr()) {
				prefixes = append(prefixes, q)
			}
		}
	}
	ep := &Endpoint{Kind: "cidr", Name: p.String()}
	for _, a := range e.atomsOf(prefixes) {
		name := a.Prefix.String()
		if a.Prefix != p || len(prefixes) > 1 {
			name = a.Prefix.String() + " (" + a.IP.String() + ")"
		}
		ep.Members = append(ep.Members, Member{IP: a.IP, Name: name})
	}
	return ep
}

func (e *Engine) endpointNames() []string {
	c := e.Cluster
	var names []string
	zones := map[string]bool{}
	for _, ns := range c.Namespaces {
		names = append(names, ns.Name)
		if z := ns.Zone(e.ZoneLabel); z != "" && !zones[z] {
			zones[z] = true
			names = append(names, "zone:"+z)
		}
	}
	for _, p := range c.Pods {
		names = append(names, p.Key())
	}
	for _, w := range c.Workloads {
		names = append(names, w.Key())
	}
	for _, s := range c.Services {
		names = append(names, "svc:"+s.Namespace+"/"+s.Name)
	}
	for _, n := range c.Nodes {
		names = append(names, "node:"+n.Name)
	}
	for _, r := range c.Routes {
		names = append(names, "route:"+r.Namespace+"/"+r.Name)
	}
	for _, in := range c.Ingresses {
		names = append(names, "ingress:"+in.Key())
	}
	if c.Scenario != nil {
		for _, x := range c.Scenario.Externals {
			names = append(names, "ext:"+x.Name)
		}
	}
	return append(names, InternetName)
}

func (e *Engine) unknownEndpoint(s string) error {
	type scored struct {
		name string
		d    int
	}
	var cands []scored
	for _, n := range e.endpointNames() {
		d := levenshtein(strings.ToLower(s), strings.ToLower(n))
		if strings.Contains(n, s) || d <= max(2, len(s)/3) {
			cands = append(cands, scored{n, d})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].d < cands[j].d })
	msg := fmt.Sprintf("unknown endpoint %q (forms: ns/pod, ns/KIND/name, ns, zone:Z, svc:ns/name, route:ns/name, ingress:ns/name, node:N, ext:name, IP, CIDR, internet)", s)
	if len(cands) > 0 {
		var list []string
		for i, c := range cands {
			if i == 5 {
				break
			}
			list = append(list, c.name)
		}
		msg += "; did you mean: " + strings.Join(list, ", ")
	}
	return fmt.Errorf("%s", msg)
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// PortSpec is a port in a query: a number, a range or a name, with a protocol (TCP when not given).
type PortSpec struct {
	Protocol model.Protocol
	Lo, Hi   int32
	Name     string
}

func (p PortSpec) String() string {
	switch {
	case p.Name != "":
		return string(p.Protocol) + "/" + p.Name
	case p.Lo == p.Hi:
		return fmt.Sprintf("%s/%d", p.Protocol, p.Lo)
	}
	return fmt.Sprintf("%s/%d-%d", p.Protocol, p.Lo, p.Hi)
}

// ParsePort reads 443, tcp/443, udp/53, 8080-8090, http or sctp/http.
func ParsePort(s string) (PortSpec, error) {
	ps := PortSpec{Protocol: "TCP"}
	if strings.Contains(s, ",") {
		return ps, fmt.Errorf("port %q: one port, range or name per query (a list is not one): ask once per port, or give a range like 80-443", s)
	}
	rest := s
	if proto, r, ok := strings.Cut(s, "/"); ok {
		ps.Protocol = model.Protocol(strings.ToUpper(proto))
		rest = r
		switch ps.Protocol {
		case "TCP", "UDP", "SCTP":
		default:
			return ps, fmt.Errorf("port %q: protocol must be tcp, udp or sctp", s)
		}
	}
	lo, hi, isRange := strings.Cut(rest, "-")
	n, err := strconv.Atoi(lo)
	if err != nil {
		if isRange || rest == "" {
			return ps, fmt.Errorf("port %q: expected a number, a range like 8080-8090, or a port name", s)
		}
		if !portNameRE.MatchString(rest) || strings.Contains(rest, "--") || len(rest) > 15 {
			return ps, fmt.Errorf("port %q: not a number, a range like 8080-8090, or a port name (up to 15 lowercase letters, digits and '-', with a letter)", s)
		}
		ps.Name = rest
		return ps, nil
	}
	m := n
	if isRange {
		if m, err = strconv.Atoi(hi); err != nil {
			return ps, fmt.Errorf("port %q: range end is not a number", s)
		}
	}
	if n < 1 || m > MaxPort || m < n {
		return ps, fmt.Errorf("port %q: must be within 1-65535 and the range end not below its start", s)
	}
	ps.Lo, ps.Hi = int32(n), int32(m)
	return ps, nil
}

// portNameRE is a container port's name as the API server accepts it (IANA_SVC_NAME).
var portNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// unknownNamespace is the error for a namespace the cluster does not have, with close matches.
func (e *Engine) unknownNamespace(ns string) error {
	var names []string
	for _, n := range e.Cluster.Namespaces {
		if levenshtein(ns, n.Name) <= max(2, len(ns)/3) || strings.Contains(n.Name, ns) {
			names = append(names, n.Name)
		}
	}
	if len(names) > 0 {
		return fmt.Errorf("no namespace %q; did you mean: %s", ns, strings.Join(names, ", "))
	}
	return fmt.Errorf("no namespace %q", ns)
}

// CheckNamespace returns an error naming close matches when the cluster has no namespace ns.
func (e *Engine) CheckNamespace(ns string) error {
	if e.Cluster.Namespace(ns) == nil {
		return e.unknownNamespace(ns)
	}
	return nil
}
