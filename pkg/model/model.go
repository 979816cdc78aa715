// Package model holds the cluster graph zonesim reasons about: namespaces, nodes, pods, workloads, services
// and policies, with where each came from. It loads and validates input; it never evaluates or prints.
package model

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// DefaultZoneLabel is the namespace and node label that names a network zone (ZN-1).
const DefaultZoneLabel = "network-zone"

// NamespaceNameLabel is set on every namespace by the API server (NP-9).
const NamespaceNameLabel = "kubernetes.io/metadata.name"

// Protocol is TCP, UDP or SCTP (NP-13).
type Protocol = corev1.Protocol

// Protocols lists the protocols NetworkPolicy can name, in display order.
var Protocols = []Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}

// Source is where an object or field was read: file and 1-based line.
type Source struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

func (s Source) String() string { return fmt.Sprintf("%s:%d", s.File, s.Line) }

// Cluster is everything loaded from the input, sorted by namespace and name.
type Cluster struct {
	Namespaces []*Namespace
	Nodes      []*Node
	Pods       []*Pod
	Workloads  []*Workload
	Services   []*Service
	Policies   []*NetworkPolicy
	// AdminPolicies are the AdminNetworkPolicies and ClusterNetworkPolicies, Admin tier then Baseline
	// tier, by priority (ANP-4, CNP-2); Baseline is the BaselineAdminNetworkPolicy, or nil.
	AdminPolicies []*AdminPolicy
	Baseline      *AdminPolicy

	Routes             []*Route
	Ingresses          []*Ingress
	IngressClasses     []*IngressClass
	IngressControllers []*IngressController
	EgressFirewalls    []*EgressFirewall
	EgressIPs          []*EgressIP
	HostSubnets        []*HostSubnet
	EgressRouters      []*EgressRouter
	EgressServices     []*EgressService
	// Networks are the user-defined networks; NetworkConnects connect primary ones (UDN-1..UDN-6).
	Networks        []*Network
	NetworkConnects []*NetworkConnect
	primary         map[string]primaryOf // namespace -> its primary network (finishNetworks)
	StorageClasses  []*StorageClass
	ResourceQuotas  []*ResourceQuota
	Roles           []*Role
	RoleBindings    []*RoleBinding

	// Scenario is what a kind: Scenario added (zones, externals, perimeter, contract); nil without one.
	Scenario *Scenario

	// Ignored counts objects of kinds zonesim does not model, by kind.
	Ignored map[string]int
	// Unmodelled are the objects of kinds that change reachability but are not modelled; verdicts they
	// may affect carry a caveat.
	Unmodelled []*Unmodelled
	// Skipped lists the files of directories that hold no Kubernetes objects (a README.yaml, a chart's
	// Chart.yaml, a kustomization), with the reason; they were not read.
	Skipped []SkippedFile
	// Warnings holds non-fatal problems (deprecated API versions, implicit namespaces, ...).
	Warnings Problems
	// Contents is the digest of each object read, by "kind/namespace/name" (namespace empty for
	// cluster-scoped kinds), without its position or the server's metadata; ScenarioContent is the
	// scenario's. Two inputs whose digests agree for a namespace's objects hold the same objects there,
	// wherever they were read from (simulate.DiffEngines compares only what the others can change).
	Contents        map[string][32]byte
	ScenarioContent [32]byte

	nsByName map[string]*Namespace
}

// Namespace is a namespace with its labels; Implicit ones were referenced but not declared.
type Namespace struct {
	Name        string
	Labels      map[string]string
	Annotations map[string]string
	Implicit    bool
	Source      Source
}

// Node is a cluster node with its labels and internal IP.
type Node struct {
	Name   string
	Labels map[string]string
	IP     netip.Addr
	// Addresses are the node's other addresses of status.addresses (ExternalIP, a second family's
	// InternalIP): a nodes peer selects them too (ANP-2, CNP-3).
	Addresses []netip.Addr
	// Zone is the node's network zone: its zone label, or the scenario's zone for it (ZN-1).
	Zone   string
	Source Source
}

// ContainerPort is one declared container port; named ports resolve against these (NP-15).
type ContainerPort struct {
	Name     string
	Port     int32
	Protocol Protocol
}

// Pod is a pod: declared, or the template pod of a workload.
type Pod struct {
	Namespace string
	Name      string
	Labels    map[string]string
	Ports     []ContainerPort
	IP        netip.Addr
	// AssignedIP: the input gave no IP; zonesim assigned IP from --pod-cidr (or --node-cidr).
	AssignedIP bool
	// Representative: not a pod of the input but one standing for the pods a selector matches, in
	// policy-only input (its name is the selector in brackets).
	Representative bool
	NodeName       string
	// NodeSelector is the pod's spec.nodeSelector; the namespace's project node selector adds to it (NS-1).
	NodeSelector map[string]string
	HostNetwork  bool
	// Workload is the workload that owns the pod, nil for a bare pod.
	Workload *Workload
	// EgressRouter is set on the pod the operator runs for an EgressRouter.
	EgressRouter *EgressRouter
	// NetworkIPs are the addresses OVN-Kubernetes' k8s.ovn.org/pod-networks annotation gives the pod on its
	// primary user-defined network (status.podIP is then its default-network address, UDN-3).
	NetworkIPs []netip.Addr
	Source     Source
}

// Key is "namespace/name".
func (p *Pod) Key() string { return p.Namespace + "/" + p.Name }

// Workload is a controller with a pod template (Deployment, StatefulSet, ...).
type Workload struct {
	Kind      string
	Namespace string
	Name      string
	Pods      []*Pod
	Source    Source
}

// Key is "namespace/kind/name" with the kind in lower case, as query endpoints spell it.
func (w *Workload) Key() string { return w.Namespace + "/" + lowerKind(w.Kind) + "/" + w.Name }

// ServicePort maps a service port to a target port on the backends (NP-17).
type ServicePort struct {
	Name       string
	Port       int32
	Protocol   Protocol
	TargetPort intstr.IntOrString
}

// Service selects backend pods and maps ports to them.
type Service struct {
	Namespace string
	Name      string
	Type      string // ClusterIP, NodePort, LoadBalancer, ExternalName
	Selector  map[string]string
	Ports     []ServicePort
	ClusterIP netip.Addr
	// LoadBalancerIPs are a LoadBalancer Service's addresses, read from LoadBalancerFrom (its status,
	// spec.loadBalancerIP or MetalLB's annotation); none when the input does not give them.
	LoadBalancerIPs  []netip.Addr
	LoadBalancerFrom string
	// ExternalTrafficPolicy is spec.externalTrafficPolicy ("Local" keeps outside traffic on nodes with
	// an endpoint).
	ExternalTrafficPolicy string
	Source                Source
}

// NetworkPolicy is a networking.k8s.io/v1 NetworkPolicy with the lines of its rules.
type NetworkPolicy struct {
	Namespace string
	Name      string
	Spec      networkingv1.NetworkPolicySpec
	Source    Source
	// IngressLines and EgressLines give the line of each rule, for explanations.
	IngressLines []int
	EgressLines  []int
}

// Key is "namespace/name".
func (p *NetworkPolicy) Key() string { return p.Namespace + "/" + p.Name }

// PolicyTypes returns the effective policy types (NP-1): as declared, else Ingress, plus Egress when
// the policy has egress rules.
func (p *NetworkPolicy) PolicyTypes() (ingress, egress bool) {
	if len(p.Spec.PolicyTypes) == 0 {
		return true, len(p.Spec.Egress) > 0
	}
	for _, t := range p.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			ingress = true
		case networkingv1.PolicyTypeEgress:
			egress = true
		}
	}
	return ingress, egress
}

// EgressFirewallOf returns the enforced EgressFirewall (or EgressNetworkPolicy) of a namespace, or nil.
func (c *Cluster) EgressFirewallOf(ns string) *EgressFirewall {
	for _, f := range c.EgressFirewalls {
		if f.Namespace == ns {
			return f
		}
	}
	return nil
}

// Pod returns the pod "namespace/name", or nil.
func (c *Cluster) Pod(key string) *Pod {
	for _, p := range c.Pods {
		if p.Key() == key {
			return p
		}
	}
	return nil
}

// Service returns the service of that namespace and name, or nil.
func (c *Cluster) Service(namespace, name string) *Service {
	for _, s := range c.Services {
		if s.Namespace == namespace && s.Name == name {
			return s
		}
	}
	return nil
}

// Namespace returns the namespace of that name, or nil.
func (c *Cluster) Namespace(name string) *Namespace {
	return c.nsByName[name]
}

// NodeSelector returns the namespace's effective project node selector (NS-1): the
// scheduler.alpha.kubernetes.io/node-selector annotation takes precedence over openshift.io/node-selector.
func (n *Namespace) NodeSelector() (string, bool) {
	if v, ok := n.Annotations["scheduler.alpha.kubernetes.io/node-selector"]; ok {
		return v, true
	}
	v, ok := n.Annotations[NodeSelectorAnnotation]
	return v, ok
}

// Zone returns the zone of a namespace by the given label key, "" when unzoned (ZN-1).
func (n *Namespace) Zone(labelKey string) string {
	return n.Labels[labelKey]
}

// Index rebuilds the cluster's lookups after its lists changed (a what-if that replaces a namespace).
func (c *Cluster) Index() { c.index() }

func (c *Cluster) index() {
	c.nsByName = make(map[string]*Namespace, len(c.Namespaces))
	for _, n := range c.Namespaces {
		c.nsByName[n.Name] = n
	}
}

func (c *Cluster) sortAll() {
	sort.Slice(c.Namespaces, func(i, j int) bool { return c.Namespaces[i].Name < c.Namespaces[j].Name })
	sort.Slice(c.Nodes, func(i, j int) bool { return c.Nodes[i].Name < c.Nodes[j].Name })
	sort.Slice(c.Pods, func(i, j int) bool { return c.Pods[i].Key() < c.Pods[j].Key() })
	sort.Slice(c.Workloads, func(i, j int) bool { return c.Workloads[i].Key() < c.Workloads[j].Key() })
	sort.SliceStable(c.Unmodelled, func(i, j int) bool { return c.Unmodelled[i].Key() < c.Unmodelled[j].Key() })
	sort.Slice(c.Services, func(i, j int) bool {
		a, b := c.Services[i], c.Services[j]
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	sort.Slice(c.Policies, func(i, j int) bool { return c.Policies[i].Key() < c.Policies[j].Key() })
	sort.Slice(c.Routes, func(i, j int) bool {
		return c.Routes[i].Namespace+"/"+c.Routes[i].Name < c.Routes[j].Namespace+"/"+c.Routes[j].Name
	})
}

// SkippedFile is a file of a directory that was not read, and why.
type SkippedFile struct {
	File   string
	Reason string
}

// KindCounts renders objects counted by kind as "2 ConfigMap, 1 Secret", by kind name.
func KindCounts(counts map[string]int) string {
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	return strings.Join(parts, ", ")
}
