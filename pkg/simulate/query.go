package simulate

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// PairResult is the verdict for one source and one destination member, with its explanation.
type PairResult struct {
	From        string   `json:"from"`
	To          string   `json:"to"`
	Allowed     bool     `json:"allowed"`
	Connections []string `json:"connections"`
	// SourceIP is the address the destination sees.
	SourceIP string `json:"sourceIP,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Egress   *Side  `json:"egress,omitempty"`
	Ingress  *Side  `json:"ingress,omitempty"`
	// Steps are the pipeline after the pod's egress policy, for traffic leaving the pod network.
	Steps []FlowStep `json:"steps,omitempty"`
}

// PairCount counts the member pairs of a set query.
type PairCount struct {
	Allowed int `json:"allowed"`
	Total   int `json:"total"`
}

// QueryResult answers "can From reach To (on Port)?" for every member pair.
type QueryResult struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Port    string `json:"port,omitempty"`
	Profile string `json:"cni"`
	// Allowed is true when every pair is allowed (on Port, or on some connection without a port).
	Allowed bool `json:"allowed"`
	// Verdict is ALLOWED, DENIED or PARTIAL (some pairs only).
	Verdict string `json:"verdict"`
	// Connections is the union of what the pairs allow; for a service, in service ports.
	Connections []string  `json:"connections"`
	Pairs       PairCount `json:"pairs"`
	// Results explains each pair; for large sets, the first pairs and every denied one up to a limit.
	Results []PairResult `json:"results"`
	// Omitted counts pairs not listed in Results.
	Omitted int `json:"omitted,omitempty"`
	// Caveats are what the verdict may depend on that zonesim did not model or assumed.
	Caveats []Caveat `json:"caveats,omitempty"`
}

// Query evaluates every pair of members. detail bounds how many pairs are explained in full.
func (e *Engine) Query(from, to *Endpoint, port *PortSpec, detail int) (*QueryResult, error) {
	return e.QueryContext(context.Background(), from, to, port, detail)
}

// QueryNames is QueryContext between two endpoints named as zonesim query names them.
func (e *Engine) QueryNames(ctx context.Context, from, to string, port *PortSpec, detail int) (*QueryResult, error) {
	src, err := e.ResolveEndpoint(from)
	if err != nil {
		return nil, err
	}
	dst, err := e.ResolveEndpoint(to)
	if err != nil {
		return nil, err
	}
	return e.QueryContext(ctx, src, dst, port, detail)
}

// QueryContext is Query that stops, with ctx's error, once ctx is done (a query between large sets
// evaluates millions of pairs).
func (e *Engine) QueryContext(ctx context.Context, from, to *Endpoint, port *PortSpec, detail int) (*QueryResult, error) {
	for _, ep := range []*Endpoint{from, to} {
		if len(ep.Members) == 0 {
			return nil, fmt.Errorf("%s has no pods", ep.Name)
		}
	}
	if from.Members[0].Pod == nil && to.Members[0].Pod == nil {
		return nil, fmt.Errorf("neither %s nor %s is a pod: NetworkPolicy only decides traffic to or from pods", from.Name, to.Name)
	}
	if port != nil && port.Name != "" && to.Members[0].Pod == nil {
		return nil, fmt.Errorf("named port %q needs a pod destination: a named port never matches %s (NP-15)", port.Name, to.Name)
	}
	if to.Route != nil && port != nil && !(port.Protocol == "TCP" && port.Name == "" && (port.Lo == 80 || port.Lo == 443) && port.Lo == port.Hi) {
		return nil, fmt.Errorf("a route or an Ingress is reached on the router's TCP/80 or TCP/443; --port %s does not apply", port)
	}
	if from.Route != nil {
		return nil, fmt.Errorf("%s can only be a destination", from.Name)
	}
	if port != nil && to.Service != nil {
		if _, err := servicePort(to.Service, *port); err != nil {
			return nil, err
		}
	}
	res := &QueryResult{From: from.Name, To: to.Name, Profile: e.Profile.Name}
	if port != nil {
		res.Port = port.String()
	}
	var union ConnSet
	// Two pods' verdict depends only on what the source's egress and the destination's ingress depend on
	// (their srcKey and dstKey; without a service or route in between). Between sets of pods, the pairs
	// are counted by class as a matrix cell is, and the pair loop below only finds the pairs it shows: the
	// first detail pairs, then denied ones. Otherwise the loop evaluates each key pair once and counts the
	// rest.
	classed := to.Route == nil && to.Service == nil
	fromPods, fromAll := memberPods(from.Members)
	toPods, toAll := memberPods(to.Members)
	grouped := classed && (from.IsSet() || to.IsSet()) && (port == nil || port.Name == "") && fromAll && toAll
	denied := -1 // with grouped: the pairs denied
	if grouped {
		pairs := map[int32]int{} // connections -> pairs
		e.eachSetPair(fromPods, toPods, func(id int32, n int) { pairs[id] += n })
		sets := make([]ConnSet, 0, len(pairs))
		for id, n := range pairs {
			conns := e.conns.sets[id]
			sets = append(sets, conns)
			res.Pairs.Total += n
			if e.allows(conns, port, Member{}, nil, &PairResult{}) {
				res.Pairs.Allowed += n
			}
		}
		union = unionAll(sets)
		denied = res.Pairs.Total - res.Pairs.Allowed
	}
	srcKey, dstKey := e.memberKeys(from.Members, true), e.memberKeys(to.Members, false)
	known := newPairMemo(len(e.srcKeys), len(e.dstKeys), len(from.Members)*len(to.Members))
	seen, allowedSeen, deniedSeen := 0, 0, 0
pairs:
	for i, s := range from.Members {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for j, d := range to.Members {
			if s.Pod != nil && s.Pod == d.Pod && (from.IsSet() || to.IsSet()) {
				continue // a pod to itself is not a pair of a set
			}
			if grouped && seen >= detail && (len(res.Results) >= 2*detail || deniedSeen == denied) {
				break pairs // every pair shown is found; the counts are the groups'
			}
			seen++
			shown := seen <= detail || len(res.Results) < 2*detail
			keyed := classed && srcKey[i] >= 0 && dstKey[j] >= 0 && s.Pod != d.Pod
			if keyed {
				if allowed, ok := known.get(srcKey[i], dstKey[j]); ok && !(shown && (seen <= detail || !allowed)) {
					if allowed {
						allowedSeen++
					} else {
						deniedSeen++
					}
					continue
				}
			}
			var pr PairResult
			var conns ConnSet
			if to.Route != nil {
				r := to.Route
				if d.Route != nil {
					r = d.Route // an Ingress's backend, through its own route
				}
				pr, conns = e.routePair(s, d, r, port)
			} else {
				pr, conns = e.pair(s, d, to.Service, port, shown)
			}
			if keyed {
				known.set(srcKey[i], dstKey[j], pr.Allowed)
			}
			if !grouped {
				union = union.Union(conns)
			}
			if pr.Allowed {
				allowedSeen++
			} else {
				deniedSeen++
			}
			if seen <= detail || (!pr.Allowed && len(res.Results) < 2*detail) {
				res.Results = append(res.Results, pr)
			}
		}
	}
	if !grouped {
		res.Pairs.Total, res.Pairs.Allowed = seen, allowedSeen
	}
	res.Omitted = res.Pairs.Total - len(res.Results)
	res.Caveats = e.memberCaveats(from, to)
	res.Connections = union.List()
	switch {
	case res.Pairs.Total > 0 && res.Pairs.Allowed == res.Pairs.Total:
		res.Allowed, res.Verdict = true, "ALLOWED"
	case res.Pairs.Allowed == 0:
		res.Verdict = "DENIED"
	default:
		res.Verdict = "PARTIAL"
	}
	return res, nil
}

// memberPods are the members' pods; all is false when some member is not a pod.
func memberPods(members []Member) (pods []*model.Pod, all bool) {
	for _, m := range members {
		if m.Pod == nil {
			return nil, false
		}
		pods = append(pods, m.Pod)
	}
	return pods, true
}

// allows says whether connections allow the pair: some connection, or with a port, that port.
func (e *Engine) allows(conns ConnSet, port *PortSpec, d Member, svc *model.Service, pr *PairResult) bool {
	if port == nil {
		return !conns.IsEmpty()
	}
	return e.portAllowed(conns, *port, d, svc, pr)
}

// memberKeys are the members' srcKey (src) or dstKey, -1 for a member that is not a pod.
func (e *Engine) memberKeys(members []Member, src bool) []int32 {
	out := make([]int32, len(members))
	for i, m := range members {
		switch {
		case m.Pod == nil:
			out[i] = -1
		case src:
			out[i] = e.classOf[m.Pod].srcKey
		default:
			out[i] = e.classOf[m.Pod].dstKey
		}
	}
	return out
}

// pairMemo remembers the verdict of each (srcKey, dstKey) pair a query evaluated: a dense table when the
// key pairs are few enough and no more than the query's pairs, else a map.
type pairMemo struct {
	dst   int
	dense []int8 // 0 unknown, 1 allowed, 2 denied
	byKey map[[2]int32]bool
}

func newPairMemo(src, dst, pairs int) *pairMemo {
	if n := src * dst; n <= 1<<22 && n <= pairs {
		return &pairMemo{dst: dst, dense: make([]int8, src*dst)}
	}
	return &pairMemo{byKey: map[[2]int32]bool{}}
}

func (m *pairMemo) get(s, d int32) (allowed, ok bool) {
	if m.dense == nil {
		allowed, ok = m.byKey[[2]int32{s, d}]
		return allowed, ok
	}
	v := m.dense[int(s)*m.dst+int(d)]
	return v == 1, v != 0
}

func (m *pairMemo) set(s, d int32, allowed bool) {
	if m.dense == nil {
		m.byKey[[2]int32{s, d}] = allowed
		return
	}
	v := int8(2)
	if allowed {
		v = 1
	}
	m.dense[int(s)*m.dst+int(d)] = v
}

// pair evaluates one member pair; conns are the allowed connections (for a service: in service-port
// terms encoded as the service port numbers).
func (e *Engine) pair(s, d Member, svc *model.Service, port *PortSpec, explain bool) (PairResult, ConnSet) {
	pr := PairResult{From: s.Name, To: d.Name}
	var conns ConnSet
	switch {
	case s.Pod != nil && s.Pod == d.Pod:
		conns = AllConns()
		pr.Reason = "a pod can always reach itself (NP-18)"
	case s.Pod != nil && d.Pod != nil:
		sc, dc := e.classOf[s.Pod], e.classOf[d.Pod]
		eg, in := e.egressToClass(sc, dc, explain), e.ingressFromClass(dc, sc, explain)
		eg.Pod, in.Pod = s.Pod.Key(), d.Pod.Key()
		conns = eg.Conns.Intersect(in.Conns)
		pr.Egress, pr.Ingress = &eg, &in
		pr.SourceIP = s.Pod.IP.String()
		if s.Pod.HostNetwork {
			pr.Reason = "the source is a host-network pod: its traffic is node traffic from " + s.Pod.IP.String() + " (NP-20)"
		}
		if d.Pod.HostNetwork {
			pr.Reason = joinReason(pr.Reason, "the destination is a host-network pod: it listens on its node's address "+d.Pod.IP.String()+
				", and whether NetworkPolicy isolates it is the plugin's choice (NP-20, --cni "+e.Profile.Name+")")
		}
	case s.Pod != nil:
		eg := e.egressToIP(e.classOf[s.Pod], d.IP, explain)
		eg.Pod = s.Pod.Key()
		in := Side{Direction: "ingress", Conns: AllConns(), Reason: "the destination is not a pod: no NetworkPolicy applies to it (NP-4)"}
		pr.Egress, pr.Ingress = &eg, &in
		pr.SourceIP = s.Pod.IP.String()
		if m := e.domainMatches(&eg, d.IP); m != "" {
			pr.Reason = joinReason(pr.Reason, m)
		}
		conns = e.leaveCluster(s.Pod, d, eg.Conns, &pr)
	default:
		in := e.ingressFromIP(e.classOf[d.Pod], s.IP, explain)
		in.Pod = d.Pod.Key()
		eg := Side{Direction: "egress", Conns: AllConns(), Reason: "the source is not a pod: no NetworkPolicy applies to it (NP-4)"}
		conns = in.Conns
		pr.Egress, pr.Ingress = &eg, &in
		pr.SourceIP = s.IP.String()
	}
	if s.Pod != nil && d.Pod != nil && s.Pod != d.Pod {
		conns = e.acrossNetworks(e.classOf[s.Pod], e.classOf[d.Pod], svc, conns, &pr)
	}
	for _, m := range []Member{s, d} {
		if m.Pod != nil && explain {
			if note := e.skippedAdmins(e.classOf[m.Pod]); note != "" {
				pr.Reason = joinReason(pr.Reason, note)
			}
		}
	}
	if svc != nil && d.Pod != nil {
		conns = e.throughService(conns, svc, d.Pod, &pr)
		if er := d.Pod.EgressRouter; er != nil {
			conns = e.throughEgressRouter(conns, svc, d.Pod, er, &pr)
		}
	}
	pr.Allowed = e.allows(conns, port, d, svc, &pr)
	pr.Connections = conns.List()
	return pr, conns
}

// throughService keeps the service ports whose target port on this backend is allowed (NP-17: policy
// sees the backend pod and the target port after DNAT). The result holds service port numbers.
func (e *Engine) throughService(conns ConnSet, svc *model.Service, backend *model.Pod, pr *PairResult) ConnSet {
	var out ConnSet
	var ports []string
	for _, sp := range svc.Ports {
		target, ok := resolveTarget(sp, backend)
		if !ok {
			ports = append(ports, fmt.Sprintf("%s/%d -> %s (no such container port)", sp.Protocol, sp.Port, sp.TargetPort.String()))
			continue
		}
		ports = append(ports, fmt.Sprintf("%s/%d -> %d", sp.Protocol, sp.Port, target))
		if conns.Contains(sp.Protocol, target) {
			out.Add(sp.Protocol, sp.Port, sp.Port)
		}
	}
	pr.Reason = joinReason(pr.Reason, "evaluated on backend "+backend.Key()+" at the target ports of "+
		"svc:"+svc.Namespace+"/"+svc.Name+" (NP-17): "+strings.Join(ports, ", "))
	return out
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func resolveTarget(sp model.ServicePort, backend *model.Pod) (int32, bool) {
	if sp.TargetPort.Type == intstr.Int {
		return sp.TargetPort.IntVal, true
	}
	for _, cp := range backend.Ports {
		if cp.Name == sp.TargetPort.StrVal && cp.Protocol == sp.Protocol {
			return cp.Port, true
		}
	}
	return 0, false
}

func servicePort(svc *model.Service, p PortSpec) (model.ServicePort, error) {
	for _, sp := range svc.Ports {
		if sp.Protocol == p.Protocol && (p.Name != "" && sp.Name == p.Name || p.Name == "" && sp.Port == p.Lo && p.Hi == p.Lo) {
			return sp, nil
		}
	}
	var have []string
	for _, sp := range svc.Ports {
		have = append(have, fmt.Sprintf("%s/%d (%s)", sp.Protocol, sp.Port, sp.Name))
	}
	return model.ServicePort{}, fmt.Errorf("svc:%s/%s has no port %s; it has %v", svc.Namespace, svc.Name, p, have)
}

func (e *Engine) portAllowed(conns ConnSet, p PortSpec, d Member, svc *model.Service, pr *PairResult) bool {
	if svc != nil {
		sp, _ := servicePort(svc, p)
		return conns.Contains(sp.Protocol, sp.Port)
	}
	if p.Name != "" {
		found := false
		for _, cp := range d.Pod.Ports {
			if cp.Name == p.Name && cp.Protocol == p.Protocol {
				found = true
				if !conns.Contains(cp.Protocol, cp.Port) {
					return false
				}
			}
		}
		if !found {
			pr.Reason = joinReason(pr.Reason, fmt.Sprintf("%s has no %s container port named %q (NP-15)", d.Pod.Key(), p.Protocol, p.Name))
		}
		return found
	}
	for port := p.Lo; port <= p.Hi; port++ {
		if !conns.Contains(p.Protocol, port) {
			return false
		}
	}
	return true
}

// routePair evaluates one client and one backend of a route.
func (e *Engine) routePair(s, d Member, r *model.Route, port *PortSpec) (PairResult, ConnSet) {
	pr := PairResult{From: s.Name, To: d.Name}
	if s.Pod != nil {
		pr.SourceIP = s.Pod.IP.String()
	} else {
		pr.SourceIP = s.IP.String()
	}
	conns := e.viaRoute(s, d, r, &pr)
	pr.Allowed = !conns.IsEmpty()
	if port != nil {
		pr.Allowed = conns.Contains(port.Protocol, port.Lo)
	}
	pr.Connections = conns.List()
	return pr, conns
}

// QueryCommand is the zonesim query command that reproduces from -> to (on port) on the input the
// flags input name (InputArgs, or a command's input flags as typed), each word quoted for a POSIX
// shell where it must be (zone:(unzoned), a file name with a space).
func QueryCommand(input []string, from, to, port string) string {
	words := append([]string{"zonesim", "query"}, input...)
	words = append(words, "from", from, "to", to)
	if port != "" {
		words = append(words, "--port", port)
	}
	for i, w := range words {
		words[i] = ShellQuote(w)
	}
	return strings.Join(words, " ")
}

// InputArgs are the input flags of a run that reads files (-f) with a network plugin profile (--cni,
// left out when it is the default).
func InputArgs(files []string, cni string) []string {
	var args []string
	for _, f := range files {
		args = append(args, "-f", filepath.ToSlash(f))
	}
	if cni != "" && cni != DefaultProfile {
		args = append(args, "--cni", cni)
	}
	return args
}

// ShellQuote quotes a word for a POSIX shell when it holds anything but letters, digits and
// _ - . / : = @ % + , (those stay as they are, so commands read as typed).
func ShellQuote(w string) string {
	if w != "" && strings.IndexFunc(w, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./:=@%+,", r))
	}) < 0 {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}
