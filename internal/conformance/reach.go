// Package conformance holds the upstream Kubernetes NetworkPolicy e2e cases (k8s.io/kubernetes v1.37.2,
// test/e2e/network/netpol) as data, in our own form: namespaces x, y, z; pods a, b, c labelled pod=<name>;
// ports 80 and 81 named serve-<port>-<proto>. The engine's conformance test and the real-traffic e2e suite
// both run them.
package conformance

import (
	"fmt"
	"strings"
)

// Reach is a truth table of expected pod-to-pod connectivity, set by intent (the upstream e2e style).
type Reach struct {
	Pods []string
	Want map[[2]string]bool
}

func newReach(pods []string, def bool) *Reach {
	r := &Reach{Pods: pods, Want: map[[2]string]bool{}}
	for _, f := range pods {
		for _, t := range pods {
			r.Want[[2]string{f, t}] = def
		}
	}
	return r
}

// sel matches pods by namespace and/or name; "" matches any.
type sel struct{ ns, pod string }

func (s sel) matches(p string) bool {
	ns, name, _ := strings.Cut(p, "/")
	return (s.ns == "" || s.ns == ns) && (s.pod == "" || s.pod == name)
}

func (r *Reach) peer(from, to sel, v bool) *Reach {
	for _, f := range r.Pods {
		for _, t := range r.Pods {
			if from.matches(f) && to.matches(t) {
				r.Want[[2]string{f, t}] = v
			}
		}
	}
	return r
}

func (r *Reach) pair(from, to string, v bool) *Reach { r.Want[[2]string{from, to}] = v; return r }

func (r *Reach) allIngress(pod string, v bool) *Reach {
	ns, name, _ := strings.Cut(pod, "/")
	return r.peer(sel{}, sel{ns, name}, v)
}

func (r *Reach) allEgress(pod string, v bool) *Reach {
	ns, name, _ := strings.Cut(pod, "/")
	return r.peer(sel{ns, name}, sel{}, v)
}

// Table prints a truth table of got (or, with compare, "." where got agrees with want and "X" where not).
func (r *Reach) Table(got map[[2]string]bool, compare bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-6s", "")
	for _, t := range r.Pods {
		fmt.Fprintf(&b, " %-4s", t)
	}
	b.WriteString("\n")
	for _, f := range r.Pods {
		fmt.Fprintf(&b, "%-6s", f)
		for _, t := range r.Pods {
			k := [2]string{f, t}
			c := "X"
			switch {
			case f == t:
				c = "#" // loopback is not checked, as upstream (NP-18 always allows it)
			case compare && got[k] == r.Want[k]:
				c = "."
			case !compare && got[k]:
				c = "1"
			case !compare:
				c = "0"
			}
			fmt.Fprintf(&b, " %-4s", c)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Agrees reports whether got matches the expectation on every pair but loopback.
func (r *Reach) Agrees(got map[[2]string]bool) bool {
	for k, v := range r.Want {
		if k[0] != k[1] && got[k] != v {
			return false
		}
	}
	return true
}
