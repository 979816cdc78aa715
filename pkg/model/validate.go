package model

import (
	"fmt"
	"net/netip"
	"strings"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// policyValidator checks a NetworkPolicy as the API server's validation does (NP-8, NP-10, NP-13, NP-14),
// collecting every problem with its line.
type policyValidator struct {
	file  string
	root  *yaml.Node
	probs Problems
}

func validateNetworkPolicy(np *networkingv1.NetworkPolicy, file string, root *yaml.Node) Problems {
	v := &policyValidator{file: file, root: root}
	for _, msg := range dns1123SubdomainProblems(np.Name) {
		v.err([]any{"metadata", "name"}, fmt.Sprintf("invalid name %q: %s", np.Name, msg))
	}
	v.selector(np.Spec.PodSelector, "spec", "podSelector")
	seenTypes := map[networkingv1.PolicyType]bool{}
	for i, t := range np.Spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			v.err([]any{"spec", "policyTypes", i}, fmt.Sprintf("unsupported value %q: must be Ingress or Egress", t))
		}
		if seenTypes[t] {
			v.err([]any{"spec", "policyTypes", i}, fmt.Sprintf("duplicate value %q", t))
		}
		seenTypes[t] = true
	}
	for i, r := range np.Spec.Ingress {
		v.ports(r.Ports, "spec", "ingress", i, "ports")
		for j, peer := range r.From {
			v.peer(peer, "spec", "ingress", i, "from", j)
		}
	}
	for i, r := range np.Spec.Egress {
		v.ports(r.Ports, "spec", "egress", i, "ports")
		for j, peer := range r.To {
			v.peer(peer, "spec", "egress", i, "to", j)
		}
	}
	return v.probs
}

func fieldPath(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch k := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		case int:
			fmt.Fprintf(&b, "[%d]", k)
		}
	}
	return b.String()
}

func (v *policyValidator) at(sev Severity, path []any, msg string) {
	v.probs = append(v.probs, Problem{File: v.file, Line: lineAt(v.root, path...), Field: fieldPath(path), Message: msg, Severity: sev})
}

func (v *policyValidator) err(path []any, msg string)  { v.at(Error, path, msg) }
func (v *policyValidator) warn(path []any, msg string) { v.at(Warning, path, msg) }

// required reports each field under path the schema requires and the document does not give.
func (v *policyValidator) required(path []any, fields ...string) {
	for _, f := range fields {
		if !has(v.root, extend(path, f)...) {
			v.err(extend(path, f), "required")
		}
	}
}

// portNumber reports a port number outside 1-65535.
func (v *policyValidator) portNumber(n int32, path ...any) {
	if n < 1 || n > 65535 {
		v.err(path, fmt.Sprintf("invalid port %d: must be between 1 and 65535, inclusive", n))
	}
}

func extend(path []any, more ...any) []any {
	out := make([]any, 0, len(path)+len(more))
	return append(append(out, path...), more...)
}

func (v *policyValidator) selector(s metav1.LabelSelector, path ...any) {
	for k, val := range s.MatchLabels {
		for _, msg := range qualifiedNameProblems(k) {
			v.err(extend(path, "matchLabels", k), "invalid label key: "+msg)
		}
		for _, msg := range labelValueProblems(val) {
			v.err(extend(path, "matchLabels", k), fmt.Sprintf("invalid label value %q: %s", val, msg))
		}
	}
	for i, e := range s.MatchExpressions {
		p := extend(path, "matchExpressions", i)
		for _, msg := range qualifiedNameProblems(e.Key) {
			v.err(extend(p, "key"), "invalid label key: "+msg)
		}
		switch e.Operator {
		case metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn:
			if len(e.Values) == 0 {
				v.err(extend(p, "values"), fmt.Sprintf("must be non-empty when operator is %s", e.Operator))
			}
		case metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist:
			if len(e.Values) > 0 {
				v.err(extend(p, "values"), fmt.Sprintf("must be empty when operator is %s", e.Operator))
			}
		default:
			v.err(extend(p, "operator"), fmt.Sprintf("not a valid selector operator %q: must be In, NotIn, Exists or DoesNotExist", e.Operator))
		}
		for j, val := range e.Values {
			for _, msg := range labelValueProblems(val) {
				v.err(extend(p, "values", j), fmt.Sprintf("invalid label value %q: %s", val, msg))
			}
		}
	}
}

// protocol checks a core API protocol field (NetworkPolicy, container and Service ports): TCP, UDP or SCTP,
// in upper case; empty is defaulted to TCP by the server.
func (v *policyValidator) protocol(p string, path []any) {
	switch corev1.Protocol(p) {
	case "", corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		return
	}
	v.err(path, fmt.Sprintf("unsupported value %q: must be TCP, UDP or SCTP", p))
}

func (v *policyValidator) ports(ports []networkingv1.NetworkPolicyPort, path ...any) {
	for i, p := range ports {
		pp := extend(path, i)
		if p.Protocol != nil {
			v.protocol(string(*p.Protocol), extend(pp, "protocol"))
		}
		if p.Port != nil {
			if p.Port.Type == intstr.Int {
				v.portNumber(p.Port.IntVal, extend(pp, "port")...)
			} else {
				for _, msg := range portNameProblems(p.Port.StrVal) {
					v.err(extend(pp, "port"), fmt.Sprintf("invalid port name %q: %s", p.Port.StrVal, msg))
				}
			}
		}
		if p.EndPort != nil {
			switch {
			case p.Port == nil:
				v.err(extend(pp, "endPort"), "may not be specified when port is not specified")
			case p.Port.Type == intstr.String:
				v.err(extend(pp, "endPort"), "may not be specified when port is a named port")
			case *p.EndPort < p.Port.IntVal:
				v.err(extend(pp, "endPort"), fmt.Sprintf("must be greater than or equal to port (%d)", p.Port.IntVal))
			case *p.EndPort > 65535:
				v.portNumber(*p.EndPort, extend(pp, "endPort")...)
			}
		}
	}
}

func (v *policyValidator) peer(p networkingv1.NetworkPolicyPeer, path ...any) {
	n := 0
	if p.PodSelector != nil {
		n++
		v.selector(*p.PodSelector, extend(path, "podSelector")...)
	}
	if p.NamespaceSelector != nil {
		n++
		v.selector(*p.NamespaceSelector, extend(path, "namespaceSelector")...)
	}
	if p.IPBlock != nil {
		n++
		if n > 1 {
			v.err(extend(path, "ipBlock"), "may not be specified together with podSelector or namespaceSelector")
		}
		v.ipBlock(p.IPBlock, extend(path, "ipBlock"))
	}
	if n == 0 {
		v.err(path, "must specify a peer: podSelector, namespaceSelector or ipBlock (an empty peer is invalid; omit from/to to allow all)")
	}
}

func (v *policyValidator) ipBlock(b *networkingv1.IPBlock, path []any) {
	cidr, ok := v.prefix(b.CIDR, extend(path, "cidr"))
	if b.CIDR == "" {
		v.err(extend(path, "cidr"), "required")
		return
	}
	for i, e := range b.Except {
		ex, eok := v.prefix(e, extend(path, "except", i))
		if !ok || !eok {
			continue
		}
		if ex.Addr().Is4() != cidr.Addr().Is4() || !cidr.Contains(ex.Masked().Addr()) || ex.Bits() <= cidr.Bits() {
			v.err(extend(path, "except", i), fmt.Sprintf("%s must be a strict subset of cidr %s", e, b.CIDR))
		}
	}
}

func (v *policyValidator) prefix(s string, path []any) (netip.Prefix, bool) {
	if s == "" {
		return netip.Prefix{}, false
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		v.err(path, fmt.Sprintf("invalid CIDR %q: must be an address and a prefix length, like 10.0.0.0/16", s))
		return netip.Prefix{}, false
	}
	if p.Masked() != p {
		// The API server (v1.37, strict IP and CIDR validation) refuses it on create.
		v.err(path, fmt.Sprintf("invalid CIDR %q: it has host bits set; write %s", s, p.Masked()))
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}
