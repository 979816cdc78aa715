package simulate

import (
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// selector is a compiled label selector (NP-9): matchLabels AND every matchExpression.
type selector struct {
	labels map[string]string
	exprs  []metav1.LabelSelectorRequirement
	key    string
}

func newSelector(s *metav1.LabelSelector) *selector {
	if s == nil {
		return nil
	}
	sel := &selector{labels: s.MatchLabels, exprs: s.MatchExpressions}
	sel.key = selectorKey(s)
	return sel
}

// matches reports whether labels satisfy the selector; NotIn and DoesNotExist match a missing key.
func (s *selector) matches(labels map[string]string) bool {
	for k, v := range s.labels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	for _, e := range s.exprs {
		v, ok := labels[e.Key]
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			if !ok || !containsString(e.Values, v) {
				return false
			}
		case metav1.LabelSelectorOpNotIn:
			if ok && containsString(e.Values, v) {
				return false
			}
		case metav1.LabelSelectorOpExists:
			if !ok {
				return false
			}
		case metav1.LabelSelectorOpDoesNotExist:
			if ok {
				return false
			}
		default:
			return false // rejected by validation; never match what we cannot read
		}
	}
	return true
}

// SelectorMatches evaluates a label selector as NetworkPolicy does (NP-9); a nil selector matches nothing.
func SelectorMatches(s *metav1.LabelSelector, labels map[string]string) bool {
	return s != nil && newSelector(s).matches(labels)
}

func (s *selector) empty() bool { return len(s.labels) == 0 && len(s.exprs) == 0 }

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// selectorKey is a canonical text of a selector, so equal selectors compile once.
func selectorKey(s *metav1.LabelSelector) string {
	var parts []string
	for k, v := range s.MatchLabels {
		parts = append(parts, k+"="+v)
	}
	for _, e := range s.MatchExpressions {
		vals := append([]string(nil), e.Values...)
		sort.Strings(vals)
		parts = append(parts, e.Key+" "+string(e.Operator)+" ("+strings.Join(vals, ",")+")")
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// String renders a selector like kubectl's -l syntax; "{}" for the empty selector.
func (s *selector) String() string {
	if s.empty() {
		return "{}"
	}
	return s.key
}
