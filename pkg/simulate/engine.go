package simulate

import (
	"net/netip"

	"github.com/zonesim/zonesim/pkg/model"
)

// Engine answers reachability questions about one loaded cluster. Policies are compiled once into
// per-direction rules whose peers are matched against equivalence classes of pods; queries and matrices
// never walk the objects again.
type Engine struct {
	Cluster   *model.Cluster
	Profile   Profile
	ZoneLabel string

	policies  []*cpolicy
	admins    []*cadmin     // AdminNetworkPolicies by priority, then the baseline
	peers     [2]*peerTable // by direction
	ipBlocks  []*cipBlock
	assumed   map[*model.Pod]bool // pods with an assigned IP an ipBlock covers, for caveats
	classes   []*Class
	classOf   map[*model.Pod]*Class
	nsIndex   map[string][]*Class
	nodeByIP  map[netip.Addr]*model.Node
	nodes     map[string]*model.Node
	podByIP   map[netip.Addr]*model.Pod
	conns     *connTable
	peerBits  [2][]bitset           // by direction, per peer: the classes it selects
	sideMemo  map[sideKey]int32     // sides whose verdict depends on the destination's named ports
	shared    [2][]map[uint64]int32 // by direction and policy list (polKey), by mask: sideMemo without ports
	interMemo map[uint64]int32
	polKeys   map[string]int32
	atomMemo  map[atomKey]int32
	srcKeys   map[string]int32
	dstKeys   map[string]int32
	famKeys   map[string]int32
	portNames map[string]bool // port names some rule references
	// netOf is each namespace's network ("" the cluster default network); links the network pairs a
	// ClusterNetworkConnect connects (UDN-1..UDN-6).
	netOf   map[string]string
	netByID map[string]*model.Network
	links   map[[2]string]*networkLink
}

// New compiles the cluster's policies for the given profile. zoneLabel is the namespace label that names a
// zone (ZN-1); empty means model.DefaultZoneLabel.
func New(c *model.Cluster, p Profile, zoneLabel string) *Engine {
	if zoneLabel == "" {
		zoneLabel = model.DefaultZoneLabel
	}
	e := &Engine{
		Cluster: c, Profile: p, ZoneLabel: zoneLabel,
		classOf:   map[*model.Pod]*Class{},
		nsIndex:   map[string][]*Class{},
		nodeByIP:  map[netip.Addr]*model.Node{},
		nodes:     map[string]*model.Node{},
		podByIP:   map[netip.Addr]*model.Pod{},
		conns:     newConnTable(),
		sideMemo:  map[sideKey]int32{},
		interMemo: map[uint64]int32{},
		polKeys:   map[string]int32{},
		atomMemo:  map[atomKey]int32{},
		srcKeys:   map[string]int32{},
		dstKeys:   map[string]int32{},
		famKeys:   map[string]int32{},
		peers:     [2]*peerTable{{byKey: map[string]int32{}}, {byKey: map[string]int32{}}},
	}
	for _, n := range c.Nodes {
		e.nodes[n.Name] = n
		for _, a := range n.Addresses { // a nodes peer selects every address of the node (ANP-2, CNP-3)
			e.nodeByIP[a] = n
		}
	}
	for _, n := range c.Nodes {
		e.nodeByIP[n.IP] = n // the InternalIP names the node first
	}
	for _, pod := range c.Pods {
		if !pod.HostNetwork {
			e.podByIP[pod.IP] = pod
		}
	}
	e.compileNetworks()
	e.compilePolicies()
	e.compileAdmin()
	e.buildClasses()
	e.matchPeers()
	e.selectTargets()
	e.selectAdminTargets()
	e.assignKeys()
	return e
}
