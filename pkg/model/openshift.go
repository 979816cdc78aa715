package model

import (
	"fmt"
	"net/netip"

	netv1 "github.com/openshift/api/network/v1"
	netopv1 "github.com/openshift/api/networkoperator/v1"
	operatorv1 "github.com/openshift/api/operator/v1"
	routev1 "github.com/openshift/api/route/v1"
	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// OVN-Kubernetes' Go module is not served here, so its two CRDs zonesim reads are declared in their
// served shape (k8s.ovn.org/v1).

// OVNEgressFirewall is k8s.ovn.org/v1 EgressFirewall (EF-1).
type OVNEgressFirewall struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		Egress []OVNEgressFirewallRule `json:"egress"`
	} `json:"spec"`
	Status struct {
		Status   string   `json:"status,omitempty"`
		Messages []string `json:"messages,omitempty"`
	} `json:"status,omitempty"`
}

// OVNEgressFirewallRule is one rule: Allow or Deny to one destination, optionally on ports.
type OVNEgressFirewallRule struct {
	Type string `json:"type"`
	To   struct {
		CIDRSelector string                `json:"cidrSelector,omitempty"`
		DNSName      string                `json:"dnsName,omitempty"`
		NodeSelector *metav1.LabelSelector `json:"nodeSelector,omitempty"`
	} `json:"to"`
	Ports []struct {
		Protocol string `json:"protocol"`
		Port     int32  `json:"port,omitempty"`
	} `json:"ports,omitempty"`
}

// OVNEgressIP is k8s.ovn.org/v1 EgressIP (EIP-1): cluster-scoped.
type OVNEgressIP struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		EgressIPs         []string             `json:"egressIPs"`
		NamespaceSelector metav1.LabelSelector `json:"namespaceSelector"`
		PodSelector       metav1.LabelSelector `json:"podSelector,omitempty"`
	} `json:"spec"`
	Status struct {
		Items []struct {
			Node     string `json:"node"`
			EgressIP string `json:"egressIP"`
		} `json:"items,omitempty"`
	} `json:"status,omitempty"`
}

// Route is an OpenShift route to a service (RT-1, RT-3).
type Route struct {
	Namespace  string
	Name       string
	Labels     map[string]string
	Host       string
	Service    string
	TargetPort intstr.IntOrString // empty: every service port
	// Ingress names the Ingress of the namespace OpenShift wrote this route for (IN-2); "" for a Route
	// of the input.
	Ingress string
	Source  Source
}

// IngressController is a router shard (RT-1, RT-2).
type IngressController struct {
	Name              string
	NamespaceSelector *metav1.LabelSelector
	RouteSelector     *metav1.LabelSelector
	NodeSelector      map[string]string
	Strategy          string // HostNetwork, LoadBalancerService, NodePortService, Private
	Replicas          int
	// Implicit marks the default IngressController that every OpenShift cluster has, when not declared.
	Implicit bool
	Source   Source
}

// EgressFirewall is an EgressFirewall (OVN-K) or an EgressNetworkPolicy (openshift-sdn) of a namespace.
type EgressFirewall struct {
	Kind      string // EgressFirewall or EgressNetworkPolicy
	Namespace string
	Name      string
	Rules     []EgressFirewallRule
	Source    Source
}

// EgressFirewallRule is one ordered rule; first match wins (EF-3).
type EgressFirewallRule struct {
	Allow        bool
	CIDR         netip.Prefix
	DNSName      string
	NodeSelector *metav1.LabelSelector
	Ports        []FirewallPort // empty: every port
	Line         int
}

// FirewallPort is a protocol and an optional port (0 = every port of the protocol).
type FirewallPort struct {
	Protocol Protocol
	Port     int32
}

// EgressIP gives pods a fixed source IP for traffic leaving the cluster (EIP-1, SDN-1).
type EgressIP struct {
	Kind string // EgressIP or NetNamespace
	Name string
	IPs  []netip.Addr
	// NamespaceSelector and PodSelector select the pods (EgressIP); Namespace names it (NetNamespace).
	NamespaceSelector *metav1.LabelSelector
	PodSelector       *metav1.LabelSelector
	Namespace         string
	// Assigned is the status: egress IP -> node, when the input has it.
	Assigned map[netip.Addr]string
	Source   Source
}

// EgressRouter gives one component its own egress identity: clients send to the router pod (through a
// service), which redirects each port to a destination, leaving from its own address (ZN-6).
type EgressRouter struct {
	Namespace string
	Name      string
	Address   netip.Addr
	Rules     []RedirectRule
	Fallback  netip.Addr
	Source    Source
}

// RedirectRule sends Port/Protocol arriving at the router to Destination:TargetPort.
type RedirectRule struct {
	Protocol    Protocol
	Port        int32
	Destination netip.Addr
	TargetPort  int32
}

// EgressRouterPodLabel labels the router pod the operator runs for an EgressRouter.
const EgressRouterPodLabel = "app"

// HostSubnet is openshift-sdn's per-node egress IP hosting (SDN-1).
type HostSubnet struct {
	Node        string
	EgressIPs   []netip.Addr
	EgressCIDRs []netip.Prefix
	Source      Source
}

// StorageClass is a storage class; Default is the cluster default (SQ-1).
type StorageClass struct {
	Name    string
	Default bool
	Source  Source
}

// ResourceQuota holds the hard limits of a namespace (SQ-1).
type ResourceQuota struct {
	Namespace string
	Name      string
	Hard      map[string]resource.Quantity
	Source    Source
}

// Role is a Role or ClusterRole, reduced to what zone checks ask of it (ZN-7, ZN-10).
type Role struct {
	Kind                  string
	Namespace             string
	Name                  string
	WritesNetworkPolicies bool
	// UpdatesNamespaces: the role may update or patch namespaces, so their node selector (ZN-7, NS-1).
	UpdatesNamespaces bool
	Source            Source
}

// RoleBinding is a RoleBinding or ClusterRoleBinding.
type RoleBinding struct {
	Kind      string
	Namespace string
	Name      string
	RoleKind  string
	RoleName  string
	Subjects  []rbacv1.Subject
	Source    Source
}

func init() {
	rbacRemoved := removedAPIs("rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1", "rbac.authorization.k8s.io/v1alpha1")
	more := map[string]kindSpec{
		"Route":               {versions: []string{"route.openshift.io/v1"}, newObj: func() any { return &routev1.Route{} }, add: (*Loader).addRoute},
		"IngressController":   {versions: []string{"operator.openshift.io/v1"}, newObj: func() any { return &operatorv1.IngressController{} }, add: (*Loader).addIngressController},
		"EgressFirewall":      {versions: []string{"k8s.ovn.org/v1"}, newObj: func() any { return &OVNEgressFirewall{} }, add: (*Loader).addEgressFirewall},
		"EgressNetworkPolicy": {versions: []string{"network.openshift.io/v1"}, newObj: func() any { return &netv1.EgressNetworkPolicy{} }, add: (*Loader).addEgressNetworkPolicy},
		"EgressIP":            {versions: []string{"k8s.ovn.org/v1"}, newObj: func() any { return &OVNEgressIP{} }, add: (*Loader).addEgressIP, cluster: true},
		"NetNamespace":        {versions: []string{"network.openshift.io/v1"}, newObj: func() any { return &netv1.NetNamespace{} }, add: (*Loader).addNetNamespace, cluster: true},
		"HostSubnet":          {versions: []string{"network.openshift.io/v1"}, newObj: func() any { return &netv1.HostSubnet{} }, add: (*Loader).addHostSubnet, cluster: true},
		"EgressRouter":        {versions: []string{"network.operator.openshift.io/v1"}, newObj: func() any { return &netopv1.EgressRouter{} }, add: (*Loader).addEgressRouter},
		"StorageClass":        {versions: []string{"storage.k8s.io/v1"}, deprecated: removedAPIs("storage.k8s.io/v1", "storage.k8s.io/v1beta1"), newObj: func() any { return &storagev1.StorageClass{} }, add: (*Loader).addStorageClass, cluster: true},
		"ResourceQuota":       {versions: []string{"v1"}, newObj: func() any { return &corev1.ResourceQuota{} }, add: (*Loader).addResourceQuota},
		"Role":                {versions: []string{"rbac.authorization.k8s.io/v1"}, deprecated: rbacRemoved, newObj: func() any { return &rbacv1.Role{} }, add: (*Loader).addRole},
		"ClusterRole":         {versions: []string{"rbac.authorization.k8s.io/v1"}, deprecated: rbacRemoved, newObj: func() any { return &rbacv1.ClusterRole{} }, add: (*Loader).addRole, cluster: true},
		"RoleBinding":         {versions: []string{"rbac.authorization.k8s.io/v1"}, deprecated: rbacRemoved, newObj: func() any { return &rbacv1.RoleBinding{} }, add: (*Loader).addRoleBinding},
		"ClusterRoleBinding":  {versions: []string{"rbac.authorization.k8s.io/v1"}, deprecated: rbacRemoved, newObj: func() any { return &rbacv1.ClusterRoleBinding{} }, add: (*Loader).addRoleBinding, cluster: true},
	}
	for k, v := range more {
		kindSpecs[k] = v
	}
}

// IngressOperatorNamespace holds IngressControllers; IngressNamespace holds their router pods (RT-4).
const (
	IngressOperatorNamespace = "openshift-ingress-operator"
	IngressNamespace         = "openshift-ingress"
	// RouterPodLabel selects the router pods of one IngressController (RT-4).
	RouterPodLabel = "ingresscontroller.operator.openshift.io/deployment-ingresscontroller"
	// IngressPolicyGroupLabel is on openshift-ingress; a peer on it matches every router shard (RT-4).
	IngressPolicyGroupLabel = "policy-group.network.openshift.io/ingress"
	// EgressAssignableLabel marks nodes that may host egress IPs (EIP-2).
	EgressAssignableLabel = "k8s.ovn.org/egress-assignable"
	// NodeSelectorAnnotation is the project node selector (NS-1).
	NodeSelectorAnnotation = "openshift.io/node-selector"
)

func (l *Loader) addRoute(obj any, src Source, _ *yaml.Node) {
	r := obj.(*routev1.Route)
	rt := &Route{Namespace: r.Namespace, Name: r.Name, Labels: copyLabels(r.Labels), Host: r.Spec.Host, Service: r.Spec.To.Name, Source: src}
	if r.Spec.Port != nil {
		rt.TargetPort = r.Spec.Port.TargetPort
	}
	l.cluster.Routes = append(l.cluster.Routes, rt)
}

func (l *Loader) addIngressController(obj any, src Source, root *yaml.Node) {
	ic := obj.(*operatorv1.IngressController)
	if ic.Namespace != IngressOperatorNamespace {
		l.warn(src.File, lineAt(root, "metadata", "namespace"), "metadata.namespace",
			fmt.Sprintf("IngressControllers live in %s; the operator ignores one in %s", IngressOperatorNamespace, ic.Namespace))
		return
	}
	c := &IngressController{Name: ic.Name, NamespaceSelector: ic.Spec.NamespaceSelector, RouteSelector: ic.Spec.RouteSelector,
		Strategy: "HostNetwork", Replicas: 2, Source: src}
	if ic.Spec.Replicas != nil {
		c.Replicas = int(*ic.Spec.Replicas)
	}
	if ic.Spec.EndpointPublishingStrategy != nil {
		c.Strategy = string(ic.Spec.EndpointPublishingStrategy.Type)
	}
	if np := ic.Spec.NodePlacement; np != nil && np.NodeSelector != nil {
		if len(np.NodeSelector.MatchExpressions) > 0 {
			l.problem(src.File, lineAt(root, "spec", "nodePlacement", "nodeSelector", "matchExpressions"), "spec.nodePlacement.nodeSelector.matchExpressions",
				"not supported: the router deployment takes matchLabels only (RT-2)")
		}
		c.NodeSelector = np.NodeSelector.MatchLabels
	} else {
		c.NodeSelector = map[string]string{"node-role.kubernetes.io/worker": ""}
	}
	l.cluster.IngressControllers = append(l.cluster.IngressControllers, c)
}

func (l *Loader) addEgressFirewall(obj any, src Source, root *yaml.Node) {
	ef := obj.(*OVNEgressFirewall)
	if ef.Name != "default" { // the CRD's rule: one per namespace, named default; OVN-Kubernetes ignores others
		l.problem(src.File, lineAt(root, "metadata", "name"), "metadata.name", fmt.Sprintf("an EgressFirewall must be named default (the CRD refuses %q)", ef.Name))
		return
	}
	out := &EgressFirewall{Kind: "EgressFirewall", Namespace: ef.Namespace, Name: ef.Name, Source: src}
	v := &policyValidator{file: src.File, root: root} // the CRD's schema
	v.required([]any{"spec"}, "egress")
	for i, r := range ef.Spec.Egress {
		path := []any{"spec", "egress", i}
		rule := EgressFirewallRule{Line: lineAt(root, path...), DNSName: r.To.DNSName, NodeSelector: r.To.NodeSelector}
		rule.Allow = l.firewallType(src.File, root, path, r.Type)
		n := 0
		if r.To.CIDRSelector != "" {
			n++
			rule.CIDR = l.prefix(src.File, root, extend(path, "to", "cidrSelector"), r.To.CIDRSelector)
		}
		if r.To.DNSName != "" {
			n++
		}
		if r.To.NodeSelector != nil {
			n++
		}
		if n != 1 {
			l.problem(src.File, lineAt(root, extend(path, "to")...), fieldPath(extend(path, "to")), "must set exactly one of cidrSelector, dnsName or nodeSelector (EF-1)")
		}
		for j, p := range r.Ports {
			// The CRD requires both, the protocol in upper case, the port within 1-65535.
			pp := extend(path, "ports", j)
			v.required(pp, "port", "protocol")
			if has(root, extend(pp, "protocol")...) {
				v.oneOf(p.Protocol, []string{"TCP", "UDP", "SCTP"}, extend(pp, "protocol")...)
			}
			if has(root, extend(pp, "port")...) {
				v.portNumber(p.Port, extend(pp, "port")...)
			}
			rule.Ports = append(rule.Ports, FirewallPort{Protocol: Protocol(p.Protocol), Port: p.Port})
		}
		out.Rules = append(out.Rules, rule)
	}
	l.probs = append(l.probs, v.probs...)
	l.addFirewall(out, root)
}

func (l *Loader) addEgressNetworkPolicy(obj any, src Source, root *yaml.Node) {
	enp := obj.(*netv1.EgressNetworkPolicy)
	out := &EgressFirewall{Kind: "EgressNetworkPolicy", Namespace: enp.Namespace, Name: enp.Name, Source: src}
	for i, r := range enp.Spec.Egress {
		path := []any{"spec", "egress", i}
		rule := EgressFirewallRule{Line: lineAt(root, path...), DNSName: r.To.DNSName}
		rule.Allow = l.firewallType(src.File, root, path, string(r.Type))
		if (r.To.CIDRSelector == "") == (r.To.DNSName == "") {
			l.problem(src.File, lineAt(root, extend(path, "to")...), fieldPath(extend(path, "to")), "must set exactly one of cidrSelector or dnsName (SDN-2)")
		}
		if r.To.CIDRSelector != "" {
			rule.CIDR = l.prefix(src.File, root, extend(path, "to", "cidrSelector"), r.To.CIDRSelector)
		}
		out.Rules = append(out.Rules, rule)
	}
	l.addFirewall(out, root)
}

func (l *Loader) firewallType(file string, root *yaml.Node, path []any, t string) bool {
	switch t {
	case "Allow":
		return true
	case "Deny":
		return false
	}
	l.problem(file, lineAt(root, extend(path, "type")...), fieldPath(extend(path, "type")), fmt.Sprintf("unsupported value %q: must be Allow or Deny", t))
	return false
}

// addFirewall keeps only the object named default (EF-2); others are reported, as the controller ignores them.
func (l *Loader) addFirewall(ef *EgressFirewall, root *yaml.Node) {
	if ef.Name != "default" {
		l.warn(ef.Source.File, lineAt(root, "metadata", "name"), "metadata.name",
			fmt.Sprintf("only the %s named \"default\" is enforced in a namespace; %q is ignored (EF-2)", ef.Kind, ef.Name))
		return
	}
	l.cluster.EgressFirewalls = append(l.cluster.EgressFirewalls, ef)
}

func (l *Loader) prefix(file string, root *yaml.Node, path []any, s string) netip.Prefix {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked()
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen())
	}
	l.problem(file, lineAt(root, path...), fieldPath(path), fmt.Sprintf("invalid CIDR %q", s))
	return netip.Prefix{}
}

func (l *Loader) addr(file string, root *yaml.Node, path []any, s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil {
		l.problem(file, lineAt(root, path...), fieldPath(path), fmt.Sprintf("invalid IP %q", s))
	}
	return a
}

func (l *Loader) addEgressIP(obj any, src Source, root *yaml.Node) {
	e := obj.(*OVNEgressIP)
	out := &EgressIP{Kind: "EgressIP", Name: e.Name, NamespaceSelector: &e.Spec.NamespaceSelector, PodSelector: &e.Spec.PodSelector,
		Assigned: map[netip.Addr]string{}, Source: src}
	// The CRD's rules: egressIPs and namespaceSelector are required (an empty selector selects every
	// namespace); a status, which an export carries, holds items of an egressIP and a node each.
	v := &policyValidator{file: src.File, root: root}
	if !has(root, "spec", "namespaceSelector") {
		v.err([]any{"spec", "namespaceSelector"}, "required: an EgressIP must select namespaces (EIP-1)")
	}
	v.required([]any{"spec"}, "egressIPs")
	if has(root, "status") {
		v.required([]any{"status"}, "items")
	}
	for i := range e.Status.Items {
		v.required([]any{"status", "items", i}, "egressIP", "node")
	}
	l.probs = append(l.probs, v.probs...)
	for i, s := range e.Spec.EgressIPs {
		out.IPs = append(out.IPs, l.addr(src.File, root, []any{"spec", "egressIPs", i}, s))
	}
	for i, it := range e.Status.Items {
		out.Assigned[l.addr(src.File, root, []any{"status", "items", i, "egressIP"}, it.EgressIP)] = it.Node
	}
	l.cluster.EgressIPs = append(l.cluster.EgressIPs, out)
}

func (l *Loader) addNetNamespace(obj any, src Source, root *yaml.Node) {
	n := obj.(*netv1.NetNamespace)
	if len(n.EgressIPs) == 0 {
		return
	}
	ns := n.NetName
	if ns == "" {
		ns = n.Name
	}
	out := &EgressIP{Kind: "NetNamespace", Name: n.Name, Namespace: ns, Source: src}
	for i, ip := range n.EgressIPs {
		out.IPs = append(out.IPs, l.addr(src.File, root, []any{"egressIPs", i}, string(ip)))
	}
	l.cluster.EgressIPs = append(l.cluster.EgressIPs, out)
}

func (l *Loader) addHostSubnet(obj any, src Source, root *yaml.Node) {
	h := obj.(*netv1.HostSubnet)
	out := &HostSubnet{Node: h.Host, Source: src}
	if out.Node == "" {
		out.Node = h.Name
	}
	for i, ip := range h.EgressIPs {
		out.EgressIPs = append(out.EgressIPs, l.addr(src.File, root, []any{"egressIPs", i}, string(ip)))
	}
	for i, c := range h.EgressCIDRs {
		out.EgressCIDRs = append(out.EgressCIDRs, l.prefix(src.File, root, []any{"egressCIDRs", i}, string(c)))
	}
	l.cluster.HostSubnets = append(l.cluster.HostSubnets, out)
}

func (l *Loader) addStorageClass(obj any, src Source, _ *yaml.Node) {
	sc := obj.(*storagev1.StorageClass)
	def := sc.Annotations["storageclass.kubernetes.io/is-default-class"] == "true"
	l.cluster.StorageClasses = append(l.cluster.StorageClasses, &StorageClass{Name: sc.Name, Default: def, Source: src})
}

func (l *Loader) addResourceQuota(obj any, src Source, _ *yaml.Node) {
	q := obj.(*corev1.ResourceQuota)
	hard := map[string]resource.Quantity{}
	for k, v := range q.Spec.Hard {
		hard[string(k)] = v
	}
	l.cluster.ResourceQuotas = append(l.cluster.ResourceQuotas, &ResourceQuota{Namespace: q.Namespace, Name: q.Name, Hard: hard, Source: src})
}

// grants reports whether rules allow one of verbs on resource of apiGroup (wildcards included).
func grants(rules []rbacv1.PolicyRule, apiGroup, resource string, verbs ...string) bool {
	for _, r := range rules {
		group := contains(r.APIGroups, apiGroup) || contains(r.APIGroups, "*")
		res := contains(r.Resources, resource) || contains(r.Resources, "*")
		verb := contains(r.Verbs, "*")
		for _, v := range verbs {
			verb = verb || contains(r.Verbs, v)
		}
		if group && res && verb {
			return true
		}
	}
	return false
}

func roleOf(kind, ns, name string, rules []rbacv1.PolicyRule, src Source) *Role {
	return &Role{Kind: kind, Namespace: ns, Name: name, Source: src,
		WritesNetworkPolicies: grants(rules, "networking.k8s.io", "networkpolicies", "create", "update", "patch", "delete"),
		UpdatesNamespaces:     grants(rules, "", "namespaces", "update", "patch")}
}

func (l *Loader) addRole(obj any, src Source, _ *yaml.Node) {
	switch r := obj.(type) {
	case *rbacv1.Role:
		l.cluster.Roles = append(l.cluster.Roles, roleOf("Role", r.Namespace, r.Name, r.Rules, src))
	case *rbacv1.ClusterRole:
		l.cluster.Roles = append(l.cluster.Roles, roleOf("ClusterRole", "", r.Name, r.Rules, src))
	}
}

func (l *Loader) addRoleBinding(obj any, src Source, _ *yaml.Node) {
	switch b := obj.(type) {
	case *rbacv1.RoleBinding:
		l.cluster.RoleBindings = append(l.cluster.RoleBindings, &RoleBinding{Kind: "RoleBinding", Namespace: b.Namespace, Name: b.Name,
			RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name, Subjects: b.Subjects, Source: src})
	case *rbacv1.ClusterRoleBinding:
		l.cluster.RoleBindings = append(l.cluster.RoleBindings, &RoleBinding{Kind: "ClusterRoleBinding", Name: b.Name,
			RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name, Subjects: b.Subjects, Source: src})
	}
}

func (l *Loader) addEgressRouter(obj any, src Source, root *yaml.Node) {
	er := obj.(*netopv1.EgressRouter)
	out := &EgressRouter{Namespace: er.Namespace, Name: er.Name, Source: src}
	if er.Spec.Mode != netopv1.EgressRouterModeRedirect {
		l.problem(src.File, lineAt(root, "spec", "mode"), "spec.mode", fmt.Sprintf("unsupported value %q: must be Redirect", er.Spec.Mode))
	}
	if len(er.Spec.Addresses) == 0 {
		l.problem(src.File, lineAt(root, "spec"), "spec.addresses", "required: the router's own address")
	} else {
		ip := er.Spec.Addresses[0].IP
		if p, err := netip.ParsePrefix(ip); err == nil {
			out.Address = p.Addr() // the router's own address, not its network
		} else {
			out.Address = l.addr(src.File, root, []any{"spec", "addresses", 0, "ip"}, ip)
		}
	}
	if r := er.Spec.Redirect; r != nil {
		for i, rr := range r.RedirectRules {
			p := []any{"spec", "redirect", "redirectRules", i}
			rule := RedirectRule{Protocol: Protocol(rr.Protocol), Port: rr.Port, TargetPort: rr.TargetPort,
				Destination: l.addr(src.File, root, extend(p, "destinationIP"), rr.DestinationIP)}
			if rule.TargetPort == 0 {
				rule.TargetPort = rule.Port
			}
			out.Rules = append(out.Rules, rule)
		}
		if r.FallbackIP != "" {
			out.Fallback = l.addr(src.File, root, []any{"spec", "redirect", "fallbackIP"}, r.FallbackIP)
		}
	}
	l.cluster.EgressRouters = append(l.cluster.EgressRouters, out)
	ports := []ContainerPort{}
	for _, r := range out.Rules {
		ports = append(ports, ContainerPort{Port: r.Port, Protocol: r.Protocol})
	}
	l.cluster.Pods = append(l.cluster.Pods, &Pod{Namespace: er.Namespace, Name: "egress-router-" + er.Name + "-0",
		Labels: map[string]string{EgressRouterPodLabel: "egress-router-cni"}, Ports: ports, Source: src, EgressRouter: out})
}
