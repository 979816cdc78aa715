// Package render writes the manifests that implement a scenario's zone design, in seed 002's pattern (or,
// with SegmentationUDN, with a primary ClusterUserDefinedNetwork per zone and ClusterNetworkConnects for
// the contract's flows):
// zone labels and node selectors on namespaces, one NetworkPolicy per zoned namespace (same namespace,
// same zone, the zone's own router shard, the contract's zone pairs), one IngressController per zone
// plus a default router that excludes zoned namespaces, EgressIPs from each zone's range, EgressFirewall
// allowlists ending in deny-all, and zero storage quotas for other zones' classes.
package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	operatorv1 "github.com/openshift/api/operator/v1"
	"github.com/zonesim/zonesim/pkg/model"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// File is one rendered manifest file.
type File struct {
	Name    string
	Objects []any
}

// Segmentations are how a zone design separates its zones: NetworkPolicies on the cluster's one pod
// network, or a primary ClusterUserDefinedNetwork per zone (UDN-1..UDN-6).
const (
	SegmentationPolicies = "policies"
	SegmentationUDN      = "udn"
)

// Options say how to render.
type Options struct {
	// Segmentation is SegmentationPolicies (the default) or SegmentationUDN.
	Segmentation string
	// UDNCIDR is split into one /16 per zone, for the zones' networks (SegmentationUDN).
	UDNCIDR netip.Prefix
	// ConnectCIDR is split into one /24 per pair of connected zones, for their ClusterNetworkConnect.
	ConnectCIDR netip.Prefix
}

// DefaultOptions are render's defaults.
func DefaultOptions() Options {
	return Options{Segmentation: SegmentationPolicies, UDNCIDR: netip.MustParsePrefix("10.192.0.0/12"), ConnectCIDR: netip.MustParsePrefix("100.90.0.0/16")}
}

// Check checks the options before any input is read: CIDRs without host bits, IPv4 (a /16 per zone and a
// /24 per connection), a connect range apart from the networks' range.
func (o Options) Check() error {
	if o.Segmentation != SegmentationPolicies && o.Segmentation != SegmentationUDN {
		return fmt.Errorf("--segmentation %q: use %s or %s", o.Segmentation, SegmentationPolicies, SegmentationUDN)
	}
	for _, c := range []struct {
		flag string
		p    netip.Prefix
		max  int
	}{{"--udn-cidr", o.UDNCIDR, 16}, {"--connect-cidr", o.ConnectCIDR, 24}} {
		switch {
		case !c.p.Addr().Is4():
			return fmt.Errorf("%s %s: an IPv4 CIDR (IPv6 zone networks are not supported yet)", c.flag, c.p)
		case c.p != c.p.Masked():
			return fmt.Errorf("%s %s: host bits are set; write %s", c.flag, c.p, c.p.Masked())
		case c.p.Bits() > c.max:
			return fmt.Errorf("%s %s: at most /%d, to hold a /%d per %s", c.flag, c.p, c.max, c.max, map[int]string{16: "zone", 24: "connection"}[c.max])
		}
	}
	if o.UDNCIDR.Overlaps(o.ConnectCIDR) {
		return fmt.Errorf("--connect-cidr %s overlaps --udn-cidr %s: OVN-Kubernetes refuses connect subnets that overlap pod subnets", o.ConnectCIDR, o.UDNCIDR)
	}
	return nil
}

// Render turns the scenario of c into manifests. Zoned namespaces are those the zones list plus those
// the input labels with the zone label.
func Render(c *model.Cluster, o Options) ([]File, error) {
	sc := c.Scenario
	if sc == nil {
		return nil, fmt.Errorf("render needs a kind: Scenario with zones and a contract (see docs/scenario.md)")
	}
	if o.Segmentation == "" {
		o.Segmentation = SegmentationPolicies
	}
	if err := o.Check(); err != nil {
		return nil, err
	}
	r := &renderer{c: c, sc: sc, label: sc.ZoneLabel, zoneOf: map[string]string{}, opts: o}
	if err := r.collectNamespaces(); err != nil {
		return nil, err
	}
	files := []File{{Name: "namespaces.yaml", Objects: r.namespaces()}}
	switch o.Segmentation {
	case SegmentationPolicies:
	case SegmentationUDN:
		nets, err := r.networks()
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: "networks.yaml", Objects: nets})
	}
	files = append(files, []File{
		{Name: "networkpolicies.yaml", Objects: r.policies()},
		{Name: "ingresscontrollers.yaml", Objects: r.ingressControllers()},
		{Name: "egress.yaml", Objects: r.egress()},
		{Name: "quotas.yaml", Objects: r.quotas()},
	}...)
	var out []File
	for _, f := range files {
		if len(f.Objects) > 0 {
			out = append(out, f)
		}
	}
	return out, nil
}

type renderer struct {
	c      *model.Cluster
	sc     *model.Scenario
	label  string
	zoneOf map[string]string
	order  []string
	opts   Options
	subnet map[string]netip.Prefix // SegmentationUDN: each zone's network
}

func (r *renderer) udn() bool { return r.opts.Segmentation == SegmentationUDN }

// networks renders a primary ClusterUserDefinedNetwork per zone in use, on a /16 of UDNCIDR each, and
// a ClusterNetworkConnect for pods per pair of zones the contract's flows join (UDN-6: a connection is
// both ways; the NetworkPolicies keep a flow one-way).
func (r *renderer) networks() ([]any, error) {
	zones := r.zonesInUse()
	base := r.opts.UDNCIDR.Masked()
	if base.Bits() > 16 || !base.Addr().Is4() || 1<<(16-base.Bits()) < len(zones) {
		return nil, fmt.Errorf("--udn-cidr %s holds fewer /16 networks than the %d zones need", r.opts.UDNCIDR, len(zones))
	}
	r.subnet = map[string]netip.Prefix{}
	var out []any
	for i, z := range zones {
		a := base.Addr().As4()
		a[1] += byte(i)
		sub := netip.PrefixFrom(netip.AddrFrom4(a), 16)
		r.subnet[z.Name] = sub
		n := &model.OVNClusterUserDefinedNetwork{TypeMeta: meta("ClusterUserDefinedNetwork", "k8s.ovn.org/v1"),
			ObjectMeta: metav1.ObjectMeta{Name: "zone-" + objectName(z.Name), Labels: map[string]string{r.label: z.Name}}}
		n.Spec.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{r.label: z.Name}}
		n.Spec.Network.Topology = "Layer3"
		n.Spec.Network.Layer3 = &model.UDNLayer3{Role: "Primary"}
		n.Spec.Network.Layer3.Subnets = append(n.Spec.Network.Layer3.Subnets, struct {
			CIDR       string `json:"cidr,omitempty"`
			HostSubnet int32  `json:"hostSubnet,omitempty"`
		}{CIDR: sub.String()})
		out = append(out, n)
	}
	type pair struct{ a, b string }
	var pairs []pair
	seen := map[pair]bool{}
	for _, f := range r.sc.Contract.Flows {
		p := pair{f.From, f.To}
		if p.b < p.a {
			p = pair{p.b, p.a}
		}
		if _, okA := r.subnet[p.a]; !okA || p.a == p.b || seen[p] {
			continue
		}
		if _, okB := r.subnet[p.b]; !okB {
			continue
		}
		seen[p] = true
		pairs = append(pairs, p)
	}
	cbase := r.opts.ConnectCIDR.Masked()
	if cbase.Bits() > 24 || !cbase.Addr().Is4() || 1<<(24-cbase.Bits()) < len(pairs) {
		return nil, fmt.Errorf("--connect-cidr %s holds fewer /24 subnets than the %d zone pairs need", r.opts.ConnectCIDR, len(pairs))
	}
	for i, p := range pairs {
		a := cbase.Addr().As4()
		a[1] += byte(i >> 8)
		a[2] += byte(i)
		c := &model.OVNClusterNetworkConnect{TypeMeta: meta("ClusterNetworkConnect", "k8s.ovn.org/v1"),
			ObjectMeta: metav1.ObjectMeta{Name: "zone-" + objectName(p.a) + "-zone-" + objectName(p.b)}}
		sel := model.CNCNetworkSelector{NetworkSelectionType: "ClusterUserDefinedNetworks"}
		sel.ClusterUserDefinedNetworkSelector = &struct {
			NetworkSelector metav1.LabelSelector `json:"networkSelector"`
		}{NetworkSelector: metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: r.label, Operator: metav1.LabelSelectorOpIn, Values: []string{p.a, p.b}}}}}
		c.Spec.NetworkSelectors = append(c.Spec.NetworkSelectors, sel)
		c.Spec.ConnectSubnets = append(c.Spec.ConnectSubnets, model.CNCConnectSubnet{CIDR: netip.PrefixFrom(netip.AddrFrom4(a), 24).String(), NetworkPrefix: 28})
		c.Spec.Connectivity = []string{model.ConnectPods}
		out = append(out, c)
	}
	return out, nil
}

func (r *renderer) collectNamespaces() error {
	add := func(ns, zone string) error {
		if prev, ok := r.zoneOf[ns]; ok && prev != zone {
			return fmt.Errorf("namespace %s is in zone %s and in zone %s", ns, prev, zone)
		}
		if _, ok := r.zoneOf[ns]; !ok {
			r.order = append(r.order, ns)
		}
		r.zoneOf[ns] = zone
		return nil
	}
	for _, z := range r.sc.Zones {
		for _, ns := range z.Namespaces {
			if err := add(ns, z.Name); err != nil {
				return err
			}
		}
	}
	for _, ns := range r.c.Namespaces {
		if z := ns.Labels[r.label]; z != "" && r.sc.Zone(z) != nil {
			if err := add(ns.Name, z); err != nil {
				return err
			}
		}
	}
	sort.Strings(r.order)
	if len(r.order) == 0 {
		return fmt.Errorf("no namespace is in a zone: list them under spec.zones[].namespaces or label them %s=<zone>", r.label)
	}
	return nil
}

func meta(kind, apiVersion string) metav1.TypeMeta {
	return metav1.TypeMeta{Kind: kind, APIVersion: apiVersion}
}

func (r *renderer) namespaces() []any {
	var out []any
	for _, ns := range r.order {
		o := &corev1.Namespace{TypeMeta: meta("Namespace", "v1"), ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{r.label: r.zoneOf[ns]}}}
		if r.udn() {
			o.Labels[model.PrimaryUDNLabel] = "" // at creation (UDN-2)
		}
		if r.sc.Contract.ComputeIsolation {
			o.Annotations = map[string]string{model.NodeSelectorAnnotation: r.label + "=" + r.zoneOf[ns]}
		}
		out = append(out, o)
	}
	return out
}

func (r *renderer) outboundOnly(ns string) *model.OutboundOnly {
	for _, o := range r.sc.Contract.OutboundOnly {
		if o.Namespace == ns {
			return o
		}
	}
	return nil
}

func (r *renderer) zonePeer(z string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{r.label: z}}}
}

func policyPorts(ps []model.PortRange) []networkingv1.NetworkPolicyPort {
	var out []networkingv1.NetworkPolicyPort
	for _, p := range ps {
		proto := p.Protocol
		pp := networkingv1.NetworkPolicyPort{Protocol: &proto}
		if !(p.Lo == 1 && p.Hi == 65535) {
			port := intstr.FromInt32(p.Lo)
			pp.Port = &port
			if p.Hi != p.Lo {
				end := p.Hi
				pp.EndPort = &end
			}
		}
		out = append(out, pp)
	}
	return out
}

// policies renders one NetworkPolicy per zoned namespace. Outbound-only namespaces admit nothing but their
// listed exceptions (OB-1) and send only to DNS and their allowed endpoints (OB-2).
func (r *renderer) policies() []any {
	var out []any
	for _, ns := range r.order {
		z := r.zoneOf[ns]
		np := &networkingv1.NetworkPolicy{TypeMeta: meta("NetworkPolicy", "networking.k8s.io/v1"),
			ObjectMeta: metav1.ObjectMeta{Name: "zone-" + objectName(z), Namespace: ns},
			Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}, Ingress: []networkingv1.NetworkPolicyIngressRule{}}}
		if ob := r.outboundOnly(ns); ob != nil {
			np.Name = "outbound-only"
			for _, x := range ob.Exceptions {
				np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{model.NamespaceNameLabel: x}}}}})
			}
			np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
			np.Spec.Egress = r.egressRules(ns)
			out = append(out, np)
			continue
		}
		same := &metav1.LabelSelector{}
		np.Spec.Ingress = append(np.Spec.Ingress,
			networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{PodSelector: same}}},
			networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{r.zonePeer(z)}})
		if !r.udn() { // on its own network, the zone's router reaches it through the node (UDN-3)
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{model.NamespaceNameLabel: model.IngressNamespace}},
				PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{model.RouterPodLabel: shardName(z)}},
			}}})
		}
		for _, f := range r.sc.Contract.Flows {
			if f.To == z && f.From != z {
				peer := r.zonePeer(f.From)
				if r.udn() { // UDN-4: a namespaceSelector selects its own network only; the other zone by its network
					peer = networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: r.subnet[f.From].String()}}
				}
				np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{peer}, Ports: policyPorts(f.Ports)})
			}
		}
		out = append(out, np)
	}
	return out
}

// allowedExternals lists the externals a namespace may reach, by the contract's egress allowances.
func (r *renderer) allowedExternals(ns string) []*model.External {
	var out []*model.External
	seen := map[string]bool{}
	for _, eg := range r.sc.Contract.Egress {
		if eg.From != ns && eg.From != "zone:"+r.zoneOf[ns] {
			continue
		}
		for _, to := range eg.To {
			name := strings.TrimPrefix(to, "ext:")
			for _, x := range r.sc.Externals {
				if x.Name == name && !seen[name] {
					seen[name] = true
					out = append(out, x)
				}
			}
		}
	}
	return out
}

func (r *renderer) egressRules(ns string) []networkingv1.NetworkPolicyEgressRule {
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	dns := intstr.FromInt32(5353)
	rules := []networkingv1.NetworkPolicyEgressRule{{ // NP-17: OpenShift DNS pods listen on 5353
		To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{model.NamespaceNameLabel: "openshift-dns"}}}},
		Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &dns}, {Protocol: &tcp, Port: &dns}},
	}}
	for _, x := range r.allowedExternals(ns) {
		rule := networkingv1.NetworkPolicyEgressRule{Ports: policyPorts(x.Ports)}
		for _, a := range x.Addresses {
			rule.To = append(rule.To, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: a.String()}})
		}
		rules = append(rules, rule)
	}
	return rules
}

func (r *renderer) zonesInUse() []*model.Zone {
	used := map[string]bool{}
	for _, z := range r.zoneOf {
		used[z] = true
	}
	var out []*model.Zone
	for _, z := range r.sc.Zones {
		if used[z.Name] {
			out = append(out, z)
		}
	}
	return out
}

// ingressControllers renders the default router, excluding zoned namespaces (RT-1), and one shard per
// zone on the zone's infra nodes, on the pod network so policies can tell shards apart (RT-4).
func (r *renderer) ingressControllers() []any {
	ic := func(name string, ns *metav1.LabelSelector, nodes map[string]string) *operatorv1.IngressController {
		o := &operatorv1.IngressController{TypeMeta: meta("IngressController", "operator.openshift.io/v1"),
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: model.IngressOperatorNamespace}}
		o.Spec.NamespaceSelector = ns
		o.Spec.EndpointPublishingStrategy = &operatorv1.EndpointPublishingStrategy{Type: operatorv1.LoadBalancerServiceStrategyType}
		if nodes != nil {
			two := int32(2)
			o.Spec.Replicas = &two
			o.Spec.NodePlacement = &operatorv1.NodePlacement{NodeSelector: &metav1.LabelSelector{MatchLabels: nodes}}
		}
		return o
	}
	out := []any{ic("default", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: r.label, Operator: metav1.LabelSelectorOpDoesNotExist}}}, nil)}
	for _, z := range r.zonesInUse() {
		out = append(out, ic(shardName(z.Name), &metav1.LabelSelector{MatchLabels: map[string]string{r.label: z.Name}},
			map[string]string{r.label: z.Name, "node-role.kubernetes.io/infra": ""}))
	}
	return out
}

// egress renders an EgressIP per zone from its range (ZN-6), and an EgressFirewall allowlist ending in
// deny-all for every namespace the contract gives external egress (OB-2).
func (r *renderer) egress() []any {
	var out []any
	for _, z := range r.zonesInUse() {
		if len(z.EgressRanges) == 0 {
			continue
		}
		e := &model.OVNEgressIP{TypeMeta: meta("EgressIP", "k8s.ovn.org/v1"), ObjectMeta: metav1.ObjectMeta{Name: "zone-" + objectName(z.Name)}}
		e.Spec.NamespaceSelector = metav1.LabelSelector{MatchLabels: map[string]string{r.label: z.Name}}
		ip := z.EgressRanges[0].Masked().Addr()
		for i := 0; i < 2; i++ {
			ip = ip.Next()
			if z.EgressRanges[0].Contains(ip) {
				e.Spec.EgressIPs = append(e.Spec.EgressIPs, ip.String())
			}
		}
		out = append(out, e)
	}
	for _, ns := range r.order {
		xs := r.allowedExternals(ns)
		if len(xs) == 0 && r.outboundOnly(ns) == nil {
			continue
		}
		ef := &model.OVNEgressFirewall{TypeMeta: meta("EgressFirewall", "k8s.ovn.org/v1"), ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}
		for _, x := range xs {
			for _, a := range x.Addresses {
				var rule model.OVNEgressFirewallRule
				rule.Type = "Allow"
				rule.To.CIDRSelector = a.String()
				for _, p := range x.Ports {
					for port := p.Lo; port <= p.Hi && p.Hi-p.Lo < 16; port++ {
						rule.Ports = append(rule.Ports, struct {
							Protocol string `json:"protocol"`
							Port     int32  `json:"port,omitempty"`
						}{string(p.Protocol), port})
					}
				}
				ef.Spec.Egress = append(ef.Spec.Egress, rule)
			}
		}
		var deny model.OVNEgressFirewallRule
		deny.Type = "Deny"
		deny.To.CIDRSelector = netip.MustParsePrefix("0.0.0.0/0").String()
		ef.Spec.Egress = append(ef.Spec.Egress, deny)
		out = append(out, ef)
	}
	return out
}

// quotas renders zero quotas for other zones' storage classes when the contract asks for it (ZN-8, SQ-1).
func (r *renderer) quotas() []any {
	if !r.sc.Contract.StorageIsolation {
		return nil
	}
	var out []any
	for _, ns := range r.order {
		hard := corev1.ResourceList{}
		for _, z := range r.sc.Zones {
			if z.Name != r.zoneOf[ns] && z.StorageClass != "" {
				hard[corev1.ResourceName(z.StorageClass+".storageclass.storage.k8s.io/requests.storage")] = resource.MustParse("0")
			}
		}
		if len(hard) == 0 {
			continue
		}
		out = append(out, &corev1.ResourceQuota{TypeMeta: meta("ResourceQuota", "v1"), ObjectMeta: metav1.ObjectMeta{Name: "zone-storage", Namespace: ns},
			Spec: corev1.ResourceQuotaSpec{Hard: hard}})
	}
	return out
}

// YAML renders objects as multi-document YAML without empty status or creationTimestamp fields.
func YAML(objs []any) ([]byte, error) {
	var b bytes.Buffer
	for i, o := range objs {
		raw, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		prune(m)
		y, err := yaml.Marshal(m)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}

// prune drops empty maps, nulls and creationTimestamp, which typed objects carry but manifests do not need.
func prune(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			prune(x)
			if len(x) == 0 && k != "podSelector" && k != "hard" {
				delete(m, k)
			}
		case []any:
			for _, e := range x {
				if em, ok := e.(map[string]any); ok {
					prune(em)
				}
			}
		}
		if k == "creationTimestamp" {
			delete(m, k)
		}
	}
}

// objectName turns a zone name into an RFC 1123 object name: lower case, other characters as '-'.
func objectName(zone string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(zone) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// shardName names a zone's IngressController (and so its router pods' label, RT-4); never "default".
func shardName(zone string) string {
	n := objectName(zone)
	if n == "default" {
		return "zone-default"
	}
	return n
}
