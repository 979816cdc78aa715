package model

import (
	"fmt"
	"net/netip"
	"strings"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OVNEgressService is k8s.ovn.org/v1 EgressService, in its served shape (EGS-1).
type OVNEgressService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		SourceIPBy   string                `json:"sourceIPBy,omitempty"`
		NodeSelector *metav1.LabelSelector `json:"nodeSelector,omitempty"`
		Network      string                `json:"network,omitempty"`
	} `json:"spec,omitempty"`
	Status struct {
		Host string `json:"host,omitempty"`
	} `json:"status,omitempty"`
}

// EgressService gives the pods behind the LoadBalancer Service of the same namespace and name the
// service's load-balancer IP as their source for traffic leaving the cluster, through one node
// (sourceIPBy LoadBalancerIP); or sends that traffic out through another network of the node
// (sourceIPBy Network). It takes precedence over EgressIP (EGS-1..EGS-3).
type EgressService struct {
	Namespace, Name string
	SourceIPBy      string // LoadBalancerIP or Network
	NodeSelector    *metav1.LabelSelector
	Network         string
	// Host is the status: the node chosen to carry the traffic, "ALL" with sourceIPBy Network.
	Host   string
	Source Source
}

// Key is "namespace/name".
func (s *EgressService) Key() string { return s.Namespace + "/" + s.Name }

// The values of EgressService's spec.sourceIPBy.
const (
	SourceIPByLoadBalancer = "LoadBalancerIP"
	SourceIPByNetwork      = "Network"
)

func init() {
	kindSpecs["EgressService"] = kindSpec{versions: []string{"k8s.ovn.org/v1"}, newObj: func() any { return &OVNEgressService{} }, add: (*Loader).addEgressService}
}

func (l *Loader) addEgressService(obj any, src Source, root *yaml.Node) {
	o := obj.(*OVNEgressService)
	s := &EgressService{Namespace: o.Namespace, Name: o.Name, SourceIPBy: o.Spec.SourceIPBy, NodeSelector: o.Spec.NodeSelector,
		Network: o.Spec.Network, Host: o.Status.Host, Source: src}
	v := &policyValidator{file: src.File, root: root}
	switch s.SourceIPBy {
	case SourceIPByLoadBalancer, SourceIPByNetwork:
	case "":
		s.SourceIPBy = SourceIPByLoadBalancer
	default:
		v.err([]any{"spec", "sourceIPBy"}, fmt.Sprintf("unsupported value %q: must be LoadBalancerIP or Network", s.SourceIPBy))
	}
	if s.NodeSelector != nil {
		v.selector(*s.NodeSelector, "spec", "nodeSelector")
	}
	l.probs = append(l.probs, v.probs...)
	if len(v.probs.Errors()) == 0 {
		l.cluster.EgressServices = append(l.cluster.EgressServices, s)
	}
}

// finishEgressServices warns about an EgressService without the LoadBalancer Service it is named
// after, or whose service has no load-balancer IP the input gives (EGS-1).
func (l *Loader) finishEgressServices() {
	for _, s := range l.cluster.EgressServices {
		svc := l.cluster.Service(s.Namespace, s.Name)
		switch {
		case svc == nil:
			l.warn(s.Source.File, s.Source.Line, "metadata.name", fmt.Sprintf("EgressService %s: no Service %s in the input; it applies to the endpoints of the LoadBalancer Service of its name, so it has no effect here (EGS-1)", s.Key(), s.Key()))
		case svc.Type != "LoadBalancer":
			l.warn(s.Source.File, s.Source.Line, "metadata.name", fmt.Sprintf("EgressService %s: Service %s is of type %s, not LoadBalancer: it has no effect (EGS-1)", s.Key(), s.Key(), svc.Type))
		case s.SourceIPBy == SourceIPByLoadBalancer && len(svc.LoadBalancerIPs) == 0:
			l.warn(s.Source.File, s.Source.Line, "metadata.name", fmt.Sprintf(
				"EgressService %s: Service %s has no load-balancer IP in the input (status.loadBalancer.ingress, spec.loadBalancerIP or a MetalLB loadBalancerIPs annotation): the source address of its pods' egress is unknown offline (EGS-2)",
				s.Key(), s.Key()))
		}
	}
}

// loadBalancerIPs are the addresses of a LoadBalancer Service: its status when the input has one, else
// what it asks for (spec.loadBalancerIP, MetalLB's annotations), and where they were read.
func loadBalancerIPs(status []string, spec string, annotations map[string]string) ([]netip.Addr, string) {
	parse := func(list []string) []netip.Addr {
		var out []netip.Addr
		for _, s := range list {
			if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
				out = append(out, a)
			}
		}
		return out
	}
	if ips := parse(status); len(ips) > 0 {
		return ips, "status.loadBalancer.ingress"
	}
	if ips := parse([]string{spec}); len(ips) > 0 {
		return ips, "spec.loadBalancerIP"
	}
	for _, a := range []string{"metallb.io/loadBalancerIPs", "metallb.universe.tf/loadBalancerIPs"} {
		if ips := parse(strings.Split(annotations[a], ",")); len(ips) > 0 {
			return ips, "annotation " + a
		}
	}
	return nil, ""
}
