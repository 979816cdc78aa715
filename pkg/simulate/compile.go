package simulate

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/zonesim/zonesim/pkg/model"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Direction is ingress or egress.
type Direction int

const (
	// Ingress is traffic into a pod.
	Ingress Direction = iota
	// Egress is traffic out of a pod.
	Egress
)

func (d Direction) String() string { return [...]string{"ingress", "egress"}[d] }

// Class is a set of pods that every policy treats alike: same namespace, labels, named ports, host
// network, and the same answer from every ipBlock.
type Class struct {
	ID          int
	Namespace   *model.Namespace
	Labels      map[string]string
	HostNetwork bool
	Node        string // set only where NP-19 can tell pods apart
	NamedPorts  []model.ContainerPort
	Pods        []*model.Pod
	IP          netip.Addr // of the first pod; every pod of the class matches the same ipBlocks

	policies [2][]int32 // policies that isolate the class, by direction
	tiers    [2][]int32 // admin policies whose subject holds the class, in evaluation order, by direction
	matched  [2][]int32 // peers (by direction of the rule) that select the class, sorted
	srcKey   int32
	dstKey   int32
	// famKey is dstKey without the named ports: destinations of one family differ only in what their
	// named ports resolve to, so a pair whose rules name no port has one verdict for the whole family.
	famKey   int32
	rel      [2][]int32 // peers named by the rules of the isolating policies, by direction
	polKey   [2]int32   // interned isolating policy list, by direction
	portsKey int32      // interned named ports
	// named says, by direction, whether a rule of the isolating policies names a port: only then does
	// the other end's named ports matter to this side.
	named [2]bool
	// net is the network of the class's pods: "" the cluster default network (UDN-1).
	net string
}

type cpolicy struct {
	src   *model.NetworkPolicy
	pod   *selector
	types [2]bool
	rules [2][]*crule
}

type crule struct {
	index    int
	line     int
	allPeers bool
	peers    []int32
	allPorts bool
	ports    []cport
}

type cport struct {
	proto  model.Protocol
	lo, hi int32
	name   string
}

type cpeer struct {
	id  int32
	ns  string    // the policy's namespace, for a podSelector-only peer
	pod *selector // nil with a namespaceSelector: every pod
	nss *selector // nil: the policy's own namespace
	ipb *cipBlock
	// admin marks an admin policy peer (ANP-2): its namespaces and pods never include host-network pods;
	// nodes selects nodes (and host-network pods) by node labels.
	admin bool
	nodes *selector
	// domains are a ClusterNetworkPolicy's domainNames (CNP-3): they select the addresses of the
	// scenario's external endpoints whose DNS names match.
	domains []string
	// net is the network of the policy's namespace: namespace and pod peers select pods of that network
	// only (UDN-4); admin peers select pods of the default network (UDN-5).
	net string
}

type cipBlock struct {
	id      int
	cidr    netip.Prefix
	except  []netip.Prefix
	ignored bool // the profile ignores it (openshift-sdn with except)
	anyPod  bool // an admin policy network: matches pod IPs whatever the profile (ANP-2)
	text    string
}

func (b *cipBlock) contains(ip netip.Addr) bool {
	if b.ignored || !b.cidr.Contains(ip) {
		return false
	}
	for _, e := range b.except {
		if e.Contains(ip) {
			return false
		}
	}
	return true
}

type peerTable struct {
	peers []*cpeer
	byKey map[string]int32
}

func (e *Engine) compilePolicies() {
	ipbByKey := map[string]*cipBlock{}
	for _, np := range e.Cluster.Policies {
		cp := &cpolicy{src: np, pod: newSelector(&np.Spec.PodSelector)}
		cp.types[Ingress], cp.types[Egress] = np.PolicyTypes()
		for i, r := range np.Spec.Ingress {
			cp.rules[Ingress] = append(cp.rules[Ingress], e.compileRule(Ingress, np, i, np.IngressLines, r.From, r.Ports, ipbByKey))
		}
		for i, r := range np.Spec.Egress {
			cp.rules[Egress] = append(cp.rules[Egress], e.compileRule(Egress, np, i, np.EgressLines, r.To, r.Ports, ipbByKey))
		}
		e.policies = append(e.policies, cp)
	}
}

func (e *Engine) compileRule(d Direction, np *model.NetworkPolicy, i int, lines []int, peers []networkingv1.NetworkPolicyPeer,
	ports []networkingv1.NetworkPolicyPort, ipbs map[string]*cipBlock) *crule {
	r := &crule{index: i, allPeers: len(peers) == 0, allPorts: len(ports) == 0}
	if i < len(lines) {
		r.line = lines[i]
	}
	for _, p := range peers {
		r.peers = append(r.peers, e.internPeer(d, np.Namespace, p, ipbs))
	}
	for _, p := range ports {
		proto := model.Protocol("TCP") // NP-13
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		cp := cport{proto: proto, lo: 1, hi: MaxPort}
		if p.Port != nil {
			if p.Port.Type == intstr.String {
				cp.name = p.Port.StrVal
			} else {
				cp.lo, cp.hi = p.Port.IntVal, p.Port.IntVal
				if p.EndPort != nil {
					cp.hi = *p.EndPort // NP-14
				}
			}
		}
		r.ports = append(r.ports, cp)
	}
	return r
}

func (e *Engine) internPeer(d Direction, ns string, p networkingv1.NetworkPolicyPeer, ipbs map[string]*cipBlock) int32 {
	peer := &cpeer{pod: newSelector(p.PodSelector), nss: newSelector(p.NamespaceSelector), net: e.netOf[ns]}
	var key string
	switch {
	case p.IPBlock != nil:
		text := p.IPBlock.CIDR
		if len(p.IPBlock.Except) > 0 {
			text += " except " + strings.Join(p.IPBlock.Except, ", ")
		}
		b, ok := ipbs[text]
		if !ok {
			b = &cipBlock{id: len(e.ipBlocks), cidr: netip.MustParsePrefix(p.IPBlock.CIDR).Masked(), text: text}
			for _, x := range p.IPBlock.Except {
				b.except = append(b.except, netip.MustParsePrefix(x).Masked())
			}
			b.ignored = e.Profile.IgnoreIPBlocksWithExcept && len(b.except) > 0
			ipbs[text] = b
			e.ipBlocks = append(e.ipBlocks, b)
		}
		peer.ipb = b
		key = "ip:" + text
	case peer.nss == nil:
		peer.ns = ns
		key = "pod:" + ns + "|" + peer.pod.key
	default:
		key = "ns:" + peer.selectorsKey()
		if peer.net != "" {
			key += "|net:" + peer.net // UDN-4: the peers of a policy on a user-defined network are of that network
		}
	}
	return e.peers[d].intern(key, peer)
}

// selectorsKey identifies a peer's namespace and pod selectors.
func (p *cpeer) selectorsKey() string {
	podKey := "*"
	if p.pod != nil {
		podKey = p.pod.key
	}
	return p.nss.key + "|" + podKey
}

// intern returns the ID of the peer of that key, adding p under it when there is none.
func (t *peerTable) intern(key string, p *cpeer) int32 {
	if id, ok := t.byKey[key]; ok {
		return id
	}
	p.id = int32(len(t.peers))
	t.peers = append(t.peers, p)
	t.byKey[key] = p.id
	return p.id
}

// ipSignature lists the ipBlocks that match a pod's IP (NP-11); pods of one class must agree on it.
func (e *Engine) ipSignature(p *model.Pod) []int {
	var out []int
	for _, b := range e.ipBlocks {
		if (b.anyPod || e.Profile.IPBlockMatchesPods || p.HostNetwork) && b.contains(p.IP) {
			out = append(out, b.id)
		}
	}
	return out
}

func (e *Engine) buildClasses() {
	hostNetNodes := map[string]bool{}
	for _, p := range e.Cluster.Pods {
		if p.HostNetwork && p.NodeName != "" {
			hostNetNodes[p.NodeName] = true
		}
	}
	e.portNames = map[string]bool{}
	for d := range e.peers {
		e.eachRule(Direction(d), allIDs(len(e.policies)), allIDs(len(e.admins)), func(r *crule) {
			for _, p := range r.ports {
				if p.name != "" {
					e.portNames[p.name] = true
				}
			}
		})
	}
	byKey := map[string]*Class{}
	var b strings.Builder
	for _, p := range e.Cluster.Pods {
		b.Reset()
		b.WriteString(p.Namespace)
		b.WriteByte(0)
		keys := make([]string, 0, len(p.Labels))
		for k := range p.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(p.Labels[k])
			b.WriteByte(1)
		}
		b.WriteByte(0)
		named := namedPorts(p.Ports, e.portNames)
		for _, cp := range named {
			fmt.Fprintf(&b, "%s/%s/%d,", cp.Name, cp.Protocol, cp.Port)
		}
		node := ""
		if hostNetNodes[p.NodeName] {
			node = p.NodeName
		}
		fmt.Fprintf(&b, "\x00%t\x00%s\x00%v", p.HostNetwork, node, e.ipSignature(p))
		k := b.String()
		c, ok := byKey[k]
		if !ok {
			c = &Class{ID: len(e.classes), Namespace: e.Cluster.Namespace(p.Namespace), Labels: p.Labels,
				HostNetwork: p.HostNetwork, Node: node, NamedPorts: named, IP: p.IP}
			if !p.HostNetwork { // host-network pods are the node's, on no pod network
				c.net = e.netOf[p.Namespace]
			}
			byKey[k] = c
			e.classes = append(e.classes, c)
			e.nsIndex[p.Namespace] = append(e.nsIndex[p.Namespace], c)
		}
		c.Pods = append(c.Pods, p)
		e.classOf[p] = c
	}
}

// namedPorts are the pod's named ports whose names some rule references (NP-15): the other names never
// change a verdict, so they never split a class.
func namedPorts(ports []model.ContainerPort, referenced map[string]bool) []model.ContainerPort {
	var out []model.ContainerPort
	for _, p := range ports {
		if p.Name != "" && referenced[p.Name] {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name < out[j].Name || out[i].Name == out[j].Name && out[i].Port < out[j].Port
	})
	return out
}

// peerMatchesClass decides whether a rule peer selects the pods of a class (NP-8, NP-9, NP-11, NP-20).
func (e *Engine) peerMatchesClass(p *cpeer, c *Class) bool {
	if p.ipb != nil {
		return (c.HostNetwork || e.Profile.IPBlockMatchesPods || p.ipb.anyPod) && p.ipb.contains(c.IP)
	}
	if p.domains != nil {
		return false // a DNS name is no pod's
	}
	if p.nodes != nil {
		n := e.nodes[c.Node]
		return c.HostNetwork && n != nil && p.nodes.matches(n.Labels)
	}
	if !c.HostNetwork && p.net != e.classNet(c) {
		return false // UDN-4, UDN-5: pods of another network
	}
	if p.admin {
		return !c.HostNetwork && p.nss.matches(c.Namespace.Labels) && (p.pod == nil || p.pod.matches(c.Labels))
	}
	if c.HostNetwork {
		// NP-20: host-network pods are node traffic. OVN-Kubernetes [derived] lets a namespaceSelector
		// with an empty podSelector select them, and a namespace-only peer too when the namespace is a
		// policy group (RT-4: openshift-ingress with host-network routers).
		if !e.Profile.HostNetworkBySelector || p.nss == nil || !p.nss.matches(c.Namespace.Labels) {
			return false
		}
		if p.pod != nil {
			return p.pod.empty()
		}
		return isPolicyGroup(c.Namespace.Labels)
	}
	if p.nss == nil {
		return c.Namespace.Name == p.ns && p.pod.matches(c.Labels)
	}
	return p.nss.matches(c.Namespace.Labels) && (p.pod == nil || p.pod.matches(c.Labels))
}

// candidates returns the classes a peer could select, so matching does not test every class.
func (e *Engine) candidates(p *cpeer, nsCache map[string][]string) []*Class {
	switch {
	case p.domains != nil:
		return nil
	case p.ipb != nil, p.nodes != nil:
		return e.classes
	case p.nss == nil:
		return e.nsIndex[p.ns]
	}
	names, ok := nsCache[p.nss.key]
	if !ok {
		for _, ns := range e.Cluster.Namespaces {
			if p.nss.matches(ns.Labels) {
				names = append(names, ns.Name)
			}
		}
		nsCache[p.nss.key] = names
	}
	var out []*Class
	for _, n := range names {
		out = append(out, e.nsIndex[n]...)
	}
	return out
}

func (e *Engine) matchPeers() {
	nsCache := map[string][]string{}
	for d, t := range e.peers {
		e.peerBits[d] = make([]bitset, len(t.peers))
		for _, p := range t.peers {
			bits := newBitset(len(e.classes))
			for _, c := range e.candidates(p, nsCache) {
				if e.peerMatchesClass(p, c) {
					c.matched[d] = append(c.matched[d], p.id)
					bits.set(c.ID)
				}
			}
			e.peerBits[d][p.id] = bits
		}
	}
}

// selectTargets records which policies isolate each class per direction (NP-2, NP-7). Host-network pods
// are never selected (NP-20).
func (e *Engine) selectTargets() {
	for i, p := range e.policies {
		for _, c := range e.nsIndex[p.src.Namespace] {
			if c.HostNetwork || !p.pod.matches(c.Labels) {
				continue
			}
			for d := range p.types {
				if p.types[d] && (Direction(d) == Ingress || e.Profile.EnforcesEgress) {
					c.policies[d] = append(c.policies[d], int32(i))
				}
			}
		}
	}
}

// assignKeys gives each class a source key and a destination key: classes with equal keys are
// indistinguishable on that side, so pair results are computed once per key pair.
func (e *Engine) assignKeys() {
	for _, c := range e.classes {
		node := c.Node
		if net := e.classNet(c); net != "" {
			node += "\x00net:" + net // pods of different networks never share a verdict (UDN-3)
		}
		src := encodeKey(node, c.HostNetwork, nil, c.policies[Egress], c.tiers[Egress], c.matched[Ingress])
		dst := encodeKey(node, c.HostNetwork, c.NamedPorts, c.policies[Ingress], c.tiers[Ingress], c.matched[Egress])
		c.srcKey = intern(e.srcKeys, src)
		c.dstKey = intern(e.dstKeys, dst)
		c.famKey = intern(e.famKeys, encodeKey(node, c.HostNetwork, nil, c.policies[Ingress], c.tiers[Ingress], c.matched[Egress]))
		for d := range c.policies {
			c.rel[d] = e.relevantPeers(Direction(d), c.policies[d], c.tiers[d])
			c.polKey[d] = intern(e.polKeys, encodeKey("", false, nil, c.policies[d], c.tiers[d]))
			c.named[d] = e.namesPorts(Direction(d), c.policies[d], c.tiers[d])
		}
		c.portsKey = intern(e.polKeys, encodeKey("ports", false, c.NamedPorts))
	}
}

// namesPorts reports whether a rule of the policies or admin tiers in direction d names a port.
func (e *Engine) namesPorts(d Direction, pols, tiers []int32) bool {
	named := false
	e.eachRule(d, pols, tiers, func(r *crule) {
		for _, p := range r.ports {
			named = named || p.name != ""
		}
	})
	return named
}

// allIDs is 0..n-1.
func allIDs(n int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

func intern(m map[string]int32, k string) int32 {
	if id, ok := m[k]; ok {
		return id
	}
	id := int32(len(m))
	m[k] = id
	return id
}

func encodeKey(node string, host bool, ports []model.ContainerPort, lists ...[]int32) string {
	buf := make([]byte, 0, 64+len(node))
	buf = append(buf, node...)
	buf = append(buf, 0)
	if host {
		buf = append(buf, 1)
	}
	for _, p := range ports {
		buf = fmt.Appendf(buf, "%s/%s/%d,", p.Name, p.Protocol, p.Port)
	}
	buf = append(buf, 0)
	for _, l := range lists { // each list length-prefixed, so the encoding is unambiguous
		buf = binary.AppendUvarint(buf, uint64(len(l)))
		for _, x := range l {
			buf = binary.AppendUvarint(buf, uint64(x))
		}
	}
	return string(buf)
}

// Classes returns the equivalence classes, in pod order of their first pod.
func (e *Engine) Classes() []*Class { return e.classes }

// ClassOf returns the class of a pod.
func (e *Engine) ClassOf(p *model.Pod) *Class { return e.classOf[p] }

// isPolicyGroup reports whether a namespace carries an OpenShift policy-group label (RT-4, NP-20).
func isPolicyGroup(labels map[string]string) bool {
	for k := range labels {
		if strings.HasPrefix(k, "policy-group.network.openshift.io/") {
			return true
		}
	}
	return false
}
