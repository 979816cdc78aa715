package simulate_test

import (
	"fmt"
	"strings"
)

// reach is a truth table of expected pod-to-pod connectivity, set by intent (the upstream e2e style).
type reach struct {
	pods []string
	want map[[2]string]bool
}

func newReach(pods []string, def bool) *reach {
	r := &reach{pods: pods, want: map[[2]string]bool{}}
	for _, f := range pods {
		for _, t := range pods {
			r.want[[2]string{f, t}] = def
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

func (r *reach) peer(from, to sel, v bool) *reach {
	for _, f := range r.pods {
		for _, t := range r.pods {
			if from.matches(f) && to.matches(t) {
				r.want[[2]string{f, t}] = v
			}
		}
	}
	return r
}

func (r *reach) pair(from, to string, v bool) *reach { r.want[[2]string{from, to}] = v; return r }

func (r *reach) allIngress(pod string, v bool) *reach {
	ns, name, _ := strings.Cut(pod, "/")
	return r.peer(sel{}, sel{ns, name}, v)
}

func (r *reach) allEgress(pod string, v bool) *reach {
	ns, name, _ := strings.Cut(pod, "/")
	return r.peer(sel{ns, name}, sel{}, v)
}

// table prints a truth table of got (or, with compare, "." where got agrees with want and "X" where not).
func (r *reach) table(got map[[2]string]bool, compare bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-6s", "")
	for _, t := range r.pods {
		fmt.Fprintf(&b, " %-4s", t)
	}
	b.WriteString("\n")
	for _, f := range r.pods {
		fmt.Fprintf(&b, "%-6s", f)
		for _, t := range r.pods {
			k := [2]string{f, t}
			c := "X"
			switch {
			case f == t:
				c = "#" // loopback is not checked, as upstream (NP-18 always allows it)
			case compare && got[k] == r.want[k]:
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
