package model

import (
	"fmt"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OtherPods names the representative pod that stands for the pods no policy's selector names;
// OtherNamespaces the representative namespace for the namespaces no policy's selector selects.
const (
	OtherPods       = "[other pods]"
	OtherNamespaces = "[other namespaces]"
)

// representativePods gives policy-only input (NetworkPolicies without pods or workloads, the usual shape
// of a platform repository) pods to analyse: one per distinct pod selector the policies use in each
// namespace they name, labelled so that selector matches it, and one OtherPods per namespace. Their names
// are the selector in brackets (payments/[app=api]), so nobody takes them for real pods. Namespaces the
// policies select by label get a representative namespace each, named the same way ([zone=dmz]), and
// OtherNamespaces stands for the rest.
func (l *Loader) representativePods() {
	c := l.cluster
	if len(c.Pods) > 0 || len(c.Policies) == 0 {
		return
	}
	type rep struct {
		ns     string
		labels map[string]string
		src    Source
	}
	byKey := map[string]*rep{}
	namespaces := map[string]Source{}
	byLabel := map[string]map[string]string{} // representative namespaces -> their labels
	add := func(ns string, sel *metav1.LabelSelector, src Source) {
		if _, ok := namespaces[ns]; !ok {
			namespaces[ns] = src
		}
		labels := labelsFor(sel)
		key := ns + "/" + labelString(labels)
		if _, ok := byKey[key]; !ok {
			byKey[key] = &rep{ns: ns, labels: labels, src: src}
		}
	}
	for _, p := range c.Policies {
		add(p.Namespace, &p.Spec.PodSelector, p.Source)
		var peers []networkingv1.NetworkPolicyPeer
		for _, r := range p.Spec.Ingress {
			peers = append(peers, r.From...)
		}
		for _, r := range p.Spec.Egress {
			peers = append(peers, r.To...)
		}
		for _, peer := range peers {
			ns := p.Namespace
			if sel := peer.NamespaceSelector; sel != nil {
				if ns = namedNamespace(sel); ns == "" {
					if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
						continue // every namespace: the ones represented already
					}
					// Namespaces by label, which the input does not name: one stands for them.
					labels := labelsFor(sel)
					ns = OtherNamespaces
					if len(labels) > 0 {
						ns = "[" + labelString(labels) + "]"
					}
					if _, ok := byLabel[ns]; !ok {
						byLabel[ns] = labels
					}
				}
			}
			if peer.PodSelector != nil {
				add(ns, peer.PodSelector, p.Source)
			} else if peer.NamespaceSelector != nil {
				add(ns, &metav1.LabelSelector{}, p.Source)
			}
		}
	}
	if len(byLabel) > 0 { // and one for the namespaces no selector selects
		if _, ok := byLabel[OtherNamespaces]; !ok {
			byLabel[OtherNamespaces] = map[string]string{}
			namespaces[OtherNamespaces] = c.Policies[0].Source
		}
	}
	for ns, src := range namespaces {
		add(ns, nil, src)
		if labels, ok := byLabel[ns]; ok {
			labels = copyLabels(labels)
			labels[NamespaceNameLabel] = ns
			c.Namespaces = append(c.Namespaces, &Namespace{Name: ns, Labels: labels, Implicit: true, Source: src})
			l.declaredNS[ns] = true
			continue
		}
		if _, ok := l.nsRefs[ns]; !ok {
			l.nsRefs[ns] = src
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r := byKey[k]
		name := OtherPods
		if len(r.labels) > 0 {
			name = "[" + labelString(r.labels) + "]"
		}
		c.Pods = append(c.Pods, &Pod{Namespace: r.ns, Name: name, Labels: r.labels, Representative: true, Source: r.src})
	}
	first := c.Policies[0].Source
	more := ""
	if len(byLabel) > 0 {
		more = fmt.Sprintf("; namespaces selected by label are %d representative namespace(s), named by their selector in brackets, and %s", len(byLabel)-1, OtherNamespaces)
	}
	l.warn(first.File, first.Line, "", fmt.Sprintf("policy-only input (no Pods or workloads): analysing %d representative pod(s), one per pod selector the policies use "+
		"in each namespace they name and %s per namespace, named by their selector in brackets%s", len(keys), OtherPods, more))
}

// labelsFor returns labels a selector matches (nil: none, for OtherPods): matchLabels, and for each
// expression a value it accepts (In: its first value, Exists: "any"); NotIn and DoesNotExist need none.
func labelsFor(sel *metav1.LabelSelector) map[string]string {
	out := map[string]string{}
	if sel == nil {
		return out
	}
	for k, v := range sel.MatchLabels {
		out[k] = v
	}
	for _, e := range sel.MatchExpressions {
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			if len(e.Values) > 0 {
				out[e.Key] = e.Values[0]
			}
		case metav1.LabelSelectorOpExists:
			if _, ok := out[e.Key]; !ok {
				out[e.Key] = "any"
			}
		}
	}
	return out
}

// namedNamespace is the namespace a selector names by kubernetes.io/metadata.name, or "".
func namedNamespace(sel *metav1.LabelSelector) string {
	if v := sel.MatchLabels[NamespaceNameLabel]; v != "" {
		return v
	}
	for _, e := range sel.MatchExpressions {
		if e.Key == NamespaceNameLabel && e.Operator == metav1.LabelSelectorOpIn && len(e.Values) == 1 {
			return e.Values[0]
		}
	}
	return ""
}

func labelString(labels map[string]string) string {
	parts := make([]string, 0, len(labels))
	for k, v := range labels {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}
