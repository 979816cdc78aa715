package model

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// OVN-Kubernetes' user-defined networks (k8s.ovn.org/v1), in their served shape: the fields that decide
// reachability are typed; the rest of each topology's block (subnets, MTU, IPAM, VLAN, ...) is read as
// the CRD allows it and not evaluated.

// UDNLayer3, UDNLayer2, UDNLocalnet and UDNIPAM are the topology blocks of a network, with the fields the
// CRD has (an unknown field is an error, as the API server's strict field validation makes it).
type (
	UDNLayer3 struct {
		Role    string `json:"role"`
		MTU     int32  `json:"mtu,omitempty"`
		Subnets []struct {
			CIDR       string `json:"cidr,omitempty"`
			HostSubnet int32  `json:"hostSubnet,omitempty"`
		} `json:"subnets,omitempty"`
		JoinSubnets []string `json:"joinSubnets,omitempty"`
	}
	UDNIPAM struct {
		Mode      string `json:"mode,omitempty"`
		Lifecycle string `json:"lifecycle,omitempty"`
	}
	UDNLayer2 struct {
		Role                  string   `json:"role"`
		MTU                   int32    `json:"mtu,omitempty"`
		Subnets               []string `json:"subnets,omitempty"`
		ReservedSubnets       []string `json:"reservedSubnets,omitempty"`
		InfrastructureSubnets []string `json:"infrastructureSubnets,omitempty"`
		DefaultGatewayIPs     []string `json:"defaultGatewayIPs,omitempty"`
		JoinSubnets           []string `json:"joinSubnets,omitempty"`
		IPAM                  *UDNIPAM `json:"ipam,omitempty"`
	}
	UDNLocalnet struct {
		Role                string   `json:"role"`
		PhysicalNetworkName string   `json:"physicalNetworkName"`
		Subnets             []string `json:"subnets,omitempty"`
		ExcludeSubnets      []string `json:"excludeSubnets,omitempty"`
		IPAM                *UDNIPAM `json:"ipam,omitempty"`
		MTU                 int32    `json:"mtu,omitempty"`
		VLAN                *struct {
			Mode   string `json:"mode"`
			Access *struct {
				ID int32 `json:"id"`
			} `json:"access,omitempty"`
		} `json:"vlan,omitempty"`
	}
)

// OVNUserDefinedNetwork is a UserDefinedNetwork: a network of its namespace (UDN-1).
type OVNUserDefinedNetwork struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		Topology string     `json:"topology"`
		Layer3   *UDNLayer3 `json:"layer3,omitempty"`
		Layer2   *UDNLayer2 `json:"layer2,omitempty"`
	} `json:"spec"`
	Status struct {
		Conditions []metav1.Condition `json:"conditions,omitempty"`
	} `json:"status,omitempty"`
}

// OVNClusterUserDefinedNetwork is a ClusterUserDefinedNetwork: one network of every namespace its
// namespaceSelector selects (UDN-1).
type OVNClusterUserDefinedNetwork struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector"`
		Uplinks           []string              `json:"uplinks,omitempty"`
		Network           struct {
			Topology  string       `json:"topology"`
			Layer3    *UDNLayer3   `json:"layer3,omitempty"`
			Layer2    *UDNLayer2   `json:"layer2,omitempty"`
			Localnet  *UDNLocalnet `json:"localnet,omitempty"`
			Transport string       `json:"transport,omitempty"`
			NoOverlay *struct {
				OutboundSNAT string `json:"outboundSNAT"`
				Routing      string `json:"routing"`
			} `json:"noOverlay,omitempty"`
			EVPN map[string]any `json:"evpn,omitempty"`
		} `json:"network"`
	} `json:"spec"`
	Status struct {
		Conditions []metav1.Condition `json:"conditions,omitempty"`
	} `json:"status,omitempty"`
}

// CNCNetworkSelector selects networks for a ClusterNetworkConnect: CUDNs by their labels, or the primary
// networks of namespaces.
type CNCNetworkSelector struct {
	NetworkSelectionType              string `json:"networkSelectionType"`
	ClusterUserDefinedNetworkSelector *struct {
		NetworkSelector metav1.LabelSelector `json:"networkSelector"`
	} `json:"clusterUserDefinedNetworkSelector,omitempty"`
	PrimaryUserDefinedNetworkSelector *struct {
		NamespaceSelector metav1.LabelSelector `json:"namespaceSelector"`
	} `json:"primaryUserDefinedNetworkSelector,omitempty"`
	SecondaryUserDefinedNetworkSelector map[string]any `json:"secondaryUserDefinedNetworkSelector,omitempty"`
	NetworkAttachmentDefinitionSelector map[string]any `json:"networkAttachmentDefinitionSelector,omitempty"`
}

// CNCConnectSubnet is a ClusterNetworkConnect's range for one IP family, split by networkPrefix among the
// networks it connects.
type CNCConnectSubnet struct {
	CIDR          string `json:"cidr"`
	NetworkPrefix int32  `json:"networkPrefix"`
}

// OVNClusterNetworkConnect is a ClusterNetworkConnect: it connects the primary networks it selects (UDN-6).
type OVNClusterNetworkConnect struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		NetworkSelectors []CNCNetworkSelector `json:"networkSelectors"`
		ConnectSubnets   []CNCConnectSubnet   `json:"connectSubnets"`
		Connectivity     []string             `json:"connectivity"`
	} `json:"spec"`
	Status struct {
		Status     string             `json:"status,omitempty"`
		Conditions []metav1.Condition `json:"conditions,omitempty"`
	} `json:"status,omitempty"`
}

// PrimaryUDNLabel is the namespace label that puts a namespace on a primary user-defined network; it
// must be there when the namespace is created (UDN-2).
const PrimaryUDNLabel = "k8s.ovn.org/primary-user-defined-network"

// Network is a user-defined network: a UserDefinedNetwork of one namespace, or a
// ClusterUserDefinedNetwork of the namespaces it selects (UDN-1).
type Network struct {
	Kind      string // UserDefinedNetwork or ClusterUserDefinedNetwork
	Namespace string // UserDefinedNetwork only
	Name      string
	Labels    map[string]string // ClusterUserDefinedNetwork: what a ClusterNetworkConnect selects it by
	Topology  string            // Layer2, Layer3 or Localnet
	Role      string            // Primary or Secondary
	// NamespaceSelector selects the namespaces of a ClusterUserDefinedNetwork.
	NamespaceSelector *metav1.LabelSelector
	// Subnets are the network's pod subnets, where zonesim gives addresses to its pods that have none.
	Subnets []netip.Prefix
	// Transport is a ClusterUserDefinedNetwork's transport (NoOverlay, EVPN; empty: Geneve overlay).
	Transport string
	Source    Source
}

// ID names the network as OVN-Kubernetes does: namespace_name for a UDN, cluster_udn_name for a CUDN.
func (n *Network) ID() string {
	if n.Kind == "UserDefinedNetwork" {
		return n.Namespace + "_" + n.Name
	}
	return "cluster_udn_" + n.Name
}

// String is "UDN ns/name" or "CUDN name".
func (n *Network) String() string {
	if n.Kind == "UserDefinedNetwork" {
		return "UDN " + n.Namespace + "/" + n.Name
	}
	return "CUDN " + n.Name
}

// Connectivity types of a ClusterNetworkConnect.
const (
	ConnectPods     = "PodNetwork"
	ConnectServices = "ServiceNetwork"
)

// NetworkConnect is a ClusterNetworkConnect: every pair of the primary networks it selects is connected,
// both ways, for pods and/or ClusterIP services (UDN-6).
type NetworkConnect struct {
	Name string
	// CUDNSelectors select ClusterUserDefinedNetworks by their labels; NamespaceSelectors select the
	// primary UserDefinedNetworks of namespaces.
	CUDNSelectors      []metav1.LabelSelector
	NamespaceSelectors []metav1.LabelSelector
	Pods, Services     bool
	// Failed: its status says OVN-Kubernetes could not set it up (status.status Failure, or condition
	// Accepted False), or its connect subnets overlap a network's pod subnets; it connects nothing.
	Failed bool
	// Subnets are its connectSubnets.
	Subnets []netip.Prefix
	Source  Source
}

func init() {
	kindSpecs["UserDefinedNetwork"] = kindSpec{versions: []string{"k8s.ovn.org/v1"}, newObj: func() any { return &OVNUserDefinedNetwork{} }, add: (*Loader).addUserDefinedNetwork}
	kindSpecs["ClusterUserDefinedNetwork"] = kindSpec{versions: []string{"k8s.ovn.org/v1"}, newObj: func() any { return &OVNClusterUserDefinedNetwork{} }, add: (*Loader).addClusterUserDefinedNetwork, cluster: true}
	kindSpecs["ClusterNetworkConnect"] = kindSpec{versions: []string{"k8s.ovn.org/v1"}, newObj: func() any { return &OVNClusterNetworkConnect{} }, add: (*Loader).addClusterNetworkConnect, cluster: true}
}

// block is what the checks need of a topology block: whether it is given, its role, and its subnets.
type block struct {
	given   bool
	role    string
	subnets []string
}

func layer3Block(b *UDNLayer3) block {
	if b == nil {
		return block{}
	}
	out := block{given: true, role: b.Role}
	for _, s := range b.Subnets {
		out.subnets = append(out.subnets, s.CIDR)
	}
	return out
}

func layer2Block(b *UDNLayer2) block {
	if b == nil {
		return block{}
	}
	return block{given: true, role: b.Role, subnets: b.Subnets}
}

func localnetBlock(b *UDNLocalnet) block {
	if b == nil {
		return block{}
	}
	return block{given: true, role: b.Role, subnets: b.Subnets}
}

// topologyRole checks a network's topology and its block, and returns its role.
func (v *policyValidator) topologyRole(path []any, topology string, blocks map[string]block, allowed ...string) string {
	if !slices.Contains(allowed, topology) {
		if topology == "" {
			v.err(extend(path, "topology"), "required")
		} else {
			v.err(extend(path, "topology"), fmt.Sprintf("unsupported value %q: must be %s", topology, joinOr(allowed)))
		}
		return ""
	}
	field := map[string]string{"Layer3": "layer3", "Layer2": "layer2", "Localnet": "localnet"}[topology]
	for f, b := range blocks {
		if b.given && f != field {
			v.err(extend(path, f), fmt.Sprintf("only the %s block goes with topology %s", field, topology))
		}
	}
	b := blocks[field]
	if !b.given {
		v.err(extend(path, field), fmt.Sprintf("required with topology %s", topology))
		return ""
	}
	switch {
	case b.role == "":
		v.err(extend(path, field, "role"), "required")
	case b.role == "Primary" && topology == "Localnet":
		v.err(extend(path, field, "role"), "unsupported value \"Primary\": a Localnet network is Secondary")
	case b.role != "Primary" && b.role != "Secondary":
		v.err(extend(path, field, "role"), fmt.Sprintf("unsupported value %q: must be Primary or Secondary", b.role))
	}
	if topology == "Layer3" && len(b.subnets) == 0 {
		v.err(extend(path, field, "subnets"), "required with topology Layer3")
	}
	for i, c := range b.subnets {
		if _, err := netip.ParsePrefix(c); err != nil {
			v.err(extend(path, field, "subnets", i), fmt.Sprintf("invalid CIDR %q", c))
		}
	}
	return b.role
}

func joinOr(values []string) string {
	switch len(values) {
	case 1:
		return values[0]
	case 2:
		return values[0] + " or " + values[1]
	}
	out := ""
	for i, v := range values {
		switch {
		case i == len(values)-1:
			out += ", or " + v
		case i > 0:
			out += ", " + v
		default:
			out += v
		}
	}
	return out
}

func (l *Loader) addUserDefinedNetwork(obj any, src Source, root *yaml.Node) {
	u := obj.(*OVNUserDefinedNetwork)
	v := &policyValidator{file: src.File, root: root}
	l3, l2 := layer3Block(u.Spec.Layer3), layer2Block(u.Spec.Layer2)
	role := v.topologyRole([]any{"spec"}, u.Spec.Topology, map[string]block{"layer3": l3, "layer2": l2}, "Layer2", "Layer3")
	if u.Spec.Topology == "Layer2" {
		v.layer2IPAM([]any{"spec", "layer2"}, u.Spec.Layer2, role)
	}
	l.probs = append(l.probs, v.probs...)
	if len(v.probs.Errors()) == 0 {
		l.cluster.Networks = append(l.cluster.Networks, &Network{Kind: "UserDefinedNetwork", Namespace: u.Namespace, Name: u.Name,
			Topology: u.Spec.Topology, Role: role, Subnets: subnetsOf(l3, l2), Source: src})
	}
}

func (l *Loader) addClusterUserDefinedNetwork(obj any, src Source, root *yaml.Node) {
	u := obj.(*OVNClusterUserDefinedNetwork)
	v := &policyValidator{file: src.File, root: root}
	n := u.Spec.Network
	if u.Spec.NamespaceSelector == nil {
		v.err([]any{"spec", "namespaceSelector"}, "required")
	} else {
		v.selector(*u.Spec.NamespaceSelector, "spec", "namespaceSelector")
	}
	l3, l2, ln := layer3Block(n.Layer3), layer2Block(n.Layer2), localnetBlock(n.Localnet)
	role := v.topologyRole([]any{"spec", "network"}, n.Topology, map[string]block{"layer3": l3, "layer2": l2, "localnet": ln},
		"Layer2", "Layer3", "Localnet")
	if n.Topology == "Layer2" {
		v.layer2IPAM([]any{"spec", "network", "layer2"}, n.Layer2, role)
	}
	if n.Localnet != nil && n.Localnet.PhysicalNetworkName == "" {
		v.err([]any{"spec", "network", "localnet", "physicalNetworkName"}, "required")
	}
	switch n.Transport {
	case "", "NoOverlay", "EVPN":
	default:
		v.err([]any{"spec", "network", "transport"}, fmt.Sprintf("unsupported value %q: must be NoOverlay or EVPN", n.Transport))
	}
	l.probs = append(l.probs, v.probs...)
	if len(v.probs.Errors()) == 0 {
		l.cluster.Networks = append(l.cluster.Networks, &Network{Kind: "ClusterUserDefinedNetwork", Name: u.Name, Labels: copyLabels(u.Labels),
			Topology: n.Topology, Role: role, NamespaceSelector: u.Spec.NamespaceSelector, Subnets: subnetsOf(l3, l2, ln),
			Transport: n.Transport, Source: src})
	}
}

func (l *Loader) addClusterNetworkConnect(obj any, src Source, root *yaml.Node) {
	c := obj.(*OVNClusterNetworkConnect)
	v := &policyValidator{file: src.File, root: root}
	nc := &NetworkConnect{Name: c.Name, Source: src}
	if n := len(c.Spec.NetworkSelectors); n < 1 || n > 5 {
		v.err([]any{"spec", "networkSelectors"}, fmt.Sprintf("must have 1 to 5 selectors, got %d", n))
	}
	for i, s := range c.Spec.NetworkSelectors {
		path := []any{"spec", "networkSelectors", i}
		switch s.NetworkSelectionType {
		case "ClusterUserDefinedNetworks":
			if s.ClusterUserDefinedNetworkSelector != nil && !has(root, extend(path, "clusterUserDefinedNetworkSelector", "networkSelector")...) {
				v.err(extend(path, "clusterUserDefinedNetworkSelector", "networkSelector"), "required")
				continue
			}
			if s.ClusterUserDefinedNetworkSelector == nil {
				v.err(extend(path, "clusterUserDefinedNetworkSelector"), "required with networkSelectionType ClusterUserDefinedNetworks")
				continue
			}
			v.selector(s.ClusterUserDefinedNetworkSelector.NetworkSelector, extend(path, "clusterUserDefinedNetworkSelector", "networkSelector")...)
			nc.CUDNSelectors = append(nc.CUDNSelectors, s.ClusterUserDefinedNetworkSelector.NetworkSelector)
		case "PrimaryUserDefinedNetworks":
			if s.PrimaryUserDefinedNetworkSelector != nil && !has(root, extend(path, "primaryUserDefinedNetworkSelector", "namespaceSelector")...) {
				v.err(extend(path, "primaryUserDefinedNetworkSelector", "namespaceSelector"), "required")
				continue
			}
			if s.PrimaryUserDefinedNetworkSelector == nil {
				v.err(extend(path, "primaryUserDefinedNetworkSelector"), "required with networkSelectionType PrimaryUserDefinedNetworks")
				continue
			}
			v.selector(s.PrimaryUserDefinedNetworkSelector.NamespaceSelector, extend(path, "primaryUserDefinedNetworkSelector", "namespaceSelector")...)
			nc.NamespaceSelectors = append(nc.NamespaceSelectors, s.PrimaryUserDefinedNetworkSelector.NamespaceSelector)
		case "DefaultNetwork", "SecondaryUserDefinedNetworks", "NetworkAttachmentDefinitions":
			v.err(extend(path, "networkSelectionType"), fmt.Sprintf("not supported: a ClusterNetworkConnect connects primary user-defined networks only (ClusterUserDefinedNetworks, PrimaryUserDefinedNetworks), not %s (UDN-6)", s.NetworkSelectionType))
		default:
			v.err(extend(path, "networkSelectionType"), fmt.Sprintf("unsupported value %q: must be ClusterUserDefinedNetworks or PrimaryUserDefinedNetworks", s.NetworkSelectionType))
		}
	}
	if n := len(c.Spec.ConnectSubnets); n < 1 || n > 2 {
		v.err([]any{"spec", "connectSubnets"}, fmt.Sprintf("must have 1 or 2 subnets (one per IP family), got %d", n))
	}
	families := map[bool]bool{}
	for i, cs := range c.Spec.ConnectSubnets {
		path := []any{"spec", "connectSubnets", i}
		p, err := netip.ParsePrefix(cs.CIDR)
		switch {
		case err != nil:
			v.err(extend(path, "cidr"), fmt.Sprintf("invalid CIDR %q", cs.CIDR))
			continue
		case p != p.Masked():
			v.err(extend(path, "cidr"), fmt.Sprintf("invalid CIDR %q: host bits are set; write %s", cs.CIDR, p.Masked()))
		case families[p.Addr().Is4()]:
			v.err(extend(path, "cidr"), "one subnet per IP family")
		}
		families[p.Addr().Is4()] = true
		nc.Subnets = append(nc.Subnets, p.Masked())
		if int(cs.NetworkPrefix) <= p.Bits() || int(cs.NetworkPrefix) > p.Addr().BitLen() {
			v.err(extend(path, "networkPrefix"), fmt.Sprintf("must be longer than the cidr's prefix /%d and at most /%d, got %d", p.Bits(), p.Addr().BitLen(), cs.NetworkPrefix))
		}
	}
	if n := len(c.Spec.Connectivity); n < 1 || n > 2 {
		v.err([]any{"spec", "connectivity"}, fmt.Sprintf("must have 1 or 2 values, got %d", n))
	}
	for i, t := range c.Spec.Connectivity {
		if slices.Contains(c.Spec.Connectivity[:i], t) {
			v.err([]any{"spec", "connectivity", i}, fmt.Sprintf("duplicate value %q", t))
		}
		switch t {
		case ConnectPods:
			nc.Pods = true
		case ConnectServices, "ClusterIPServiceNetwork": // v1.2.0's name of ServiceNetwork
			nc.Services = true
		default:
			v.err([]any{"spec", "connectivity", i}, fmt.Sprintf("unsupported value %q: must be PodNetwork or ServiceNetwork", t))
		}
	}
	nc.Failed = c.Status.Status == "Failure"
	for _, cond := range c.Status.Conditions {
		nc.Failed = nc.Failed || cond.Type == "Accepted" && cond.Status == metav1.ConditionFalse
	}
	if nc.Failed {
		v.warn([]any{"status"}, "its status says OVN-Kubernetes could not set it up (Failure, or Accepted False): it connects nothing (UDN-6)")
	}
	l.probs = append(l.probs, v.probs...)
	if len(v.probs.Errors()) == 0 {
		l.cluster.NetworkConnects = append(l.cluster.NetworkConnects, nc)
	}
}

// PrimaryNetwork is the primary user-defined network of a namespace; nil for the cluster default
// network. Missing is true when the namespace carries the primary-network label but no primary network
// takes it in: its pods cannot start (UDN-2).
func (c *Cluster) PrimaryNetwork(ns string) (n *Network, missing bool) {
	r, ok := c.primary[ns]
	if !ok {
		return nil, false
	}
	return r.network, r.network == nil
}

type primaryOf struct{ network *Network }

// finishNetworks assigns each namespace its primary network (UDN-1, UDN-2) and says where a label and a
// network do not meet: a primary network for a namespace without the label (it stays on the default
// network), the label without a primary network (its pods cannot start), two primary networks for one
// namespace (the second is not ready there).
func (l *Loader) finishNetworks() {
	c := l.cluster
	c.primary = map[string]primaryOf{}
	for _, nc := range c.NetworkConnects {
		for _, n := range c.Networks {
			for _, p := range n.Subnets {
				for _, q := range nc.Subnets {
					if p.Overlaps(q) && !nc.Failed {
						nc.Failed = true
						l.warn(nc.Source.File, nc.Source.Line, "spec.connectSubnets", fmt.Sprintf(
							"ClusterNetworkConnect %s: connect subnet %s overlaps %s's pod subnet %s: OVN-Kubernetes refuses it, and it connects nothing (UDN-6)", nc.Name, q, n, p))
					}
				}
			}
		}
	}
	for _, n := range c.Networks {
		if n.Role != "Secondary" {
			continue
		}
		// UDN-1: an extra interface for the pods that request it, which NetworkPolicy does not govern
		// (MultiNetworkPolicy does): every verdict it may affect carries a caveat.
		c.Unmodelled = append(c.Unmodelled, &Unmodelled{Kind: n.Kind, APIVersion: "k8s.ovn.org/v1", Namespace: n.Namespace, Name: n.Name,
			Effect: fmt.Sprintf("a secondary %s network: pods that request it (k8s.v1.cni.cncf.io/networks) get an interface on it that NetworkPolicy does not govern; zonesim models the primary network only (UDN-1)", n.Topology),
			Source: n.Source})
	}
	for _, ns := range c.Namespaces {
		_, labelled := ns.Labels[PrimaryUDNLabel]
		var first *Network
		for _, n := range c.Networks {
			if n.Role != "Primary" || !n.holds(ns) {
				continue
			}
			switch {
			case !labelled:
				l.warn(n.Source.File, n.Source.Line, "", fmt.Sprintf("%s is a primary network for namespace %s, which lacks the label %s it needs at creation: the namespace stays on the cluster default network (UDN-2)",
					n, ns.Name, PrimaryUDNLabel))
			case first != nil:
				l.warn(n.Source.File, n.Source.Line, "", fmt.Sprintf("%s is a second primary network for namespace %s, after %s (%s): OVN-Kubernetes leaves it not ready there (UDN-2)",
					n, ns.Name, first, first.Source))
			default:
				first = n
			}
		}
		if labelled {
			c.primary[ns.Name] = primaryOf{network: first}
			if first == nil {
				l.warn(ns.Source.File, ns.Source.Line, "metadata.labels", fmt.Sprintf("namespace %s carries %s but no primary UserDefinedNetwork or ClusterUserDefinedNetwork takes it in: its pods cannot start (UDN-2)",
					ns.Name, PrimaryUDNLabel))
			}
		}
	}
}

// holds says whether a network is one of namespace ns.
func (n *Network) holds(ns *Namespace) bool {
	if n.Kind == "UserDefinedNetwork" {
		return n.Namespace == ns.Name
	}
	if n.NamespaceSelector == nil {
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(n.NamespaceSelector)
	return err == nil && sel.Matches(labels.Set(ns.Labels))
}

// subnetsOf are the pod subnets of a network's topology blocks.
func subnetsOf(blocks ...block) []netip.Prefix {
	var out []netip.Prefix
	for _, b := range blocks {
		for _, c := range b.subnets {
			if p, err := netip.ParsePrefix(c); err == nil {
				out = append(out, p.Masked())
			}
		}
	}
	return out
}

// layer2IPAM checks a Layer2 block's IPAM: a primary network assigns addresses, and needs subnets.
func (v *policyValidator) layer2IPAM(path []any, b *UDNLayer2, role string) {
	if b == nil {
		return
	}
	disabled := b.IPAM != nil && b.IPAM.Mode == "Disabled"
	switch {
	case disabled && role == "Primary":
		v.err(extend(path, "ipam", "mode"), "Disabled is for Secondary networks: a primary network assigns its pods' addresses")
	case !disabled && len(b.Subnets) == 0:
		v.err(extend(path, "subnets"), "required unless ipam.mode is Disabled")
	}
}

// podNetworksAnnotation is where OVN-Kubernetes writes each pod's addresses on its networks.
const podNetworksAnnotation = "k8s.ovn.org/pod-networks"

// primaryNetworkIPs are the addresses the pod-networks annotation gives a pod on its primary
// user-defined network: the entry of role primary that is not the default network.
func primaryNetworkIPs(annotation string) []netip.Addr {
	if annotation == "" {
		return nil
	}
	var nets map[string]struct {
		IPAddresses []string `json:"ip_addresses"`
		Role        string   `json:"role"`
	}
	if json.Unmarshal([]byte(annotation), &nets) != nil {
		return nil
	}
	var out []netip.Addr
	for name, n := range nets {
		if name == "default" || n.Role != "primary" {
			continue
		}
		for _, a := range n.IPAddresses {
			if p, err := netip.ParsePrefix(a); err == nil {
				out = append(out, p.Addr())
			}
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}
