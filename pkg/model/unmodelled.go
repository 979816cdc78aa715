package model

import "strings"

// Unmodelled is an object of a kind that changes who can reach whom but that zonesim does not model (a
// CNI's own policy, a mesh's authorization, a policy of secondary networks). It is not evaluated; every
// verdict it may affect says so (simulate.Caveat), and --strict makes that an error.
type Unmodelled struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	// Namespace is "" for a cluster-wide kind, which may affect every verdict.
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Effect is what such an object does to traffic, in a few words.
	Effect string `json:"effect"`
	Source Source `json:"source"`
}

// Key is "Kind namespace/name" (or "Kind name" when cluster-wide).
func (u *Unmodelled) Key() string {
	if u.Namespace == "" {
		return u.Kind + " " + u.Name
	}
	return u.Kind + " " + u.Namespace + "/" + u.Name
}

// unmodelledKind says what a kind does to traffic and whether it is cluster-wide.
type unmodelledKind struct {
	effect  string
	cluster bool
}

// unmodelledKinds are the kinds, by API group and kind, that change reachability and are not modelled.
var unmodelledKinds = map[string]map[string]unmodelledKind{
	"cilium.io": {
		"CiliumNetworkPolicy":            {effect: "Cilium's own policy (L3-L7) also allows or denies traffic of the namespace's pods"},
		"CiliumClusterwideNetworkPolicy": {effect: "Cilium's cluster-wide policy also allows or denies traffic of any pod", cluster: true},
		"CiliumEgressGatewayPolicy":      {effect: "Cilium's egress gateway gives the pods it selects another source IP outside the cluster", cluster: true},
	},
	"gateway.networking.k8s.io": {
		"Gateway":   {effect: "a Gateway opens a path from outside through its gateway's pods, which zonesim does not model"},
		"HTTPRoute": {effect: "a route of the Gateway API sends outside traffic to the namespace's services through a gateway, which zonesim does not model"},
		"GRPCRoute": {effect: "a route of the Gateway API sends outside traffic to the namespace's services through a gateway, which zonesim does not model"},
		"TCPRoute":  {effect: "a route of the Gateway API sends outside traffic to the namespace's services through a gateway, which zonesim does not model"},
		"TLSRoute":  {effect: "a route of the Gateway API sends outside traffic to the namespace's services through a gateway, which zonesim does not model"},
		"UDPRoute":  {effect: "a route of the Gateway API sends outside traffic to the namespace's services through a gateway, which zonesim does not model"},
	},
	"networking.istio.io": {
		"Sidecar": {effect: "Istio's Sidecar limits the hosts the namespace's proxies reach (egress), which NetworkPolicy allows"},
	},
	"policy.linkerd.io": {
		"AuthorizationPolicy": {effect: "Linkerd's authorization denies requests inside the mesh that NetworkPolicy allows"},
		"Server":              {effect: "a Linkerd Server with a deny default policy refuses connections NetworkPolicy allows"},
	},
	"projectcalico.org": {
		"NetworkPolicy":       {effect: "Calico's own policy also allows or denies traffic of the namespace's pods, in tiers before NetworkPolicy"},
		"GlobalNetworkPolicy": {effect: "Calico's global policy also allows or denies traffic of any pod or host", cluster: true},
	},
	"crd.projectcalico.org": {
		"NetworkPolicy":       {effect: "Calico's own policy also allows or denies traffic of the namespace's pods, in tiers before NetworkPolicy"},
		"GlobalNetworkPolicy": {effect: "Calico's global policy also allows or denies traffic of any pod or host", cluster: true},
	},
	"crd.antrea.io": {
		"NetworkPolicy":        {effect: "Antrea's own policy also allows or denies traffic of the namespace's pods, in tiers before NetworkPolicy"},
		"ClusterNetworkPolicy": {effect: "Antrea's cluster-wide policy also allows or denies traffic of any pod", cluster: true},
	},
	"security.istio.io": {
		"AuthorizationPolicy": {effect: "Istio's authorization denies requests inside the mesh that NetworkPolicy allows (L7)"},
		"PeerAuthentication":  {effect: "Istio's mTLS mode can refuse plain-text connections NetworkPolicy allows"},
	},
	"k8s.cni.cncf.io": {
		"MultiNetworkPolicy":          {effect: "policy on the pods' secondary networks (Multus), which zonesim does not model"},
		"NetworkAttachmentDefinition": {effect: "pods that attach to it (k8s.v1.cni.cncf.io/networks) get a secondary network that NetworkPolicy does not govern; zonesim models the pod network only"},
	},
	"kubevirt.io": {
		"VirtualMachine":         {effect: "a KubeVirt VM runs in a virt-launcher pod that policies select by the VM template's labels; zonesim does not model it, so that pod is missing from the verdicts"},
		"VirtualMachineInstance": {effect: "a KubeVirt VM instance runs in a virt-launcher pod that policies select by its labels; zonesim does not model it, so that pod is missing from the verdicts"},
	},
	"k8s.ovn.org": {
		"AdminPolicyBasedExternalRoute": {effect: "external gateways route the selected namespaces' egress another way (and from another source)", cluster: true},
	},
}

// unmodelled returns what an object of this apiVersion and kind does to traffic, if it is an unmodelled
// kind that changes reachability.
func unmodelled(apiVersion, kind string) (unmodelledKind, bool) {
	group := ""
	if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
		group = apiVersion[:i]
	}
	k, ok := unmodelledKinds[group][kind]
	return k, ok
}
