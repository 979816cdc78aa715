// Package gen writes deterministic synthetic multi-zone clusters in the style of seed 002: zone-labelled
// namespaces, one router namespace per zone, workloads with named ports, and per namespace a default deny
// with same-namespace allow, a same-zone allow, the zone router, one-way zone pairs, per-app policies with
// named ports, and ipBlock egress with except.
package gen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
)

// Options size a generated cluster and choose its shape.
type Options struct {
	Namespaces int
	Workloads  int // per namespace
	Zones      int
	Seed       uint64
	// Shape is one of Shapes; "" is ShapeZones.
	Shape string
	// List writes one List document, as kubectl get -o yaml does, instead of a document per object.
	List bool
}

// Sizes are the benchmark presets of issue 3: S, M, L, XL.
var Sizes = map[string]Options{
	"S":  {Namespaces: 20, Workloads: 5, Zones: 3, Seed: 1},
	"M":  {Namespaces: 100, Workloads: 10, Zones: 3, Seed: 1},
	"L":  {Namespaces: 500, Workloads: 10, Zones: 3, Seed: 1},
	"XL": {Namespaces: 1000, Workloads: 20, Zones: 4, Seed: 1},
}

// SizeNames lists the presets in size order.
func SizeNames() []string {
	names := make([]string, 0, len(Sizes))
	for n := range Sizes {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		return Sizes[names[i]].Namespaces*Sizes[names[i]].Workloads < Sizes[names[j]].Namespaces*Sizes[names[j]].Workloads
	})
	return names
}

// Validate reports options that cannot make a cluster.
func (o Options) Validate() error {
	if o.Namespaces < 1 || o.Workloads < 1 || o.Zones < 1 {
		return fmt.Errorf("namespaces, workloads and zones must be at least 1 (got %d, %d, %d)", o.Namespaces, o.Workloads, o.Zones)
	}
	if _, ok := shapes[o.shape()]; !ok {
		return fmt.Errorf("unknown shape %q: use one of %s", o.Shape, strings.Join(Shapes(), ", "))
	}
	return nil
}

func (o Options) shape() string {
	if o.Shape == "" {
		return ShapeZones
	}
	return o.Shape
}

var tiers = []string{"web", "api", "worker", "db"}

// Write writes the cluster as multi-document YAML.
func Write(w io.Writer, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	g := &writer{w: bw, list: o.List}
	if o.List {
		_, g.err = io.WriteString(bw, "apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: \"\"\nitems:\n")
	}
	shapes[o.shape()].write(g, o, r)
	if g.err != nil {
		return g.err
	}
	return bw.Flush()
}

// writeZones is ShapeZones.
func writeZones(g *writer, o Options, r *rand.Rand) {
	g.appNamespaces(o, r, func(ns string, i, z int) {
		for j := 0; j < o.Workloads; j++ {
			ports := []port{{"http", 8080, "TCP"}}
			if r.IntN(3) == 0 {
				ports = append(ports, port{"metrics", 9090, "TCP"})
			}
			if r.IntN(5) == 0 {
				ports = append(ports, port{"dns", 5353, "UDP"})
			}
			g.deployment(ns, fmt.Sprintf("app-%02d", j), tiers[j%len(tiers)], ports)
		}
		g.policies(ns, i, z, o, r)
	})
}

func zoneName(z int) string { return fmt.Sprintf("zone-%d", z) }

type port struct {
	name  string
	num   int
	proto string
}

type writer struct {
	w    *bufio.Writer
	list bool // each object is an item of one List
	err  error
}

func (g *writer) doc(format string, args ...any) {
	if g.err != nil {
		return
	}
	if !g.list {
		_, g.err = fmt.Fprintf(g.w, "---\n"+format, args...)
		return
	}
	text := strings.TrimSuffix(fmt.Sprintf(format, args...), "\n")
	_, g.err = io.WriteString(g.w, "- "+strings.ReplaceAll(text, "\n", "\n  ")+"\n")
}

func (g *writer) deployment(ns, name, tier string, ports []port) {
	var b strings.Builder
	for _, p := range ports {
		fmt.Fprintf(&b, "            - name: %s\n              containerPort: %d\n              protocol: %s\n", p.name, p.num, p.proto)
	}
	g.doc(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
  namespace: %s
spec:
  selector:
    matchLabels:
      app: %s
  template:
    metadata:
      labels:
        app: %s
        tier: %s
    spec:
      containers:
        - name: main
          image: registry.example.com/%s:1
          ports:
%s`, name, ns, name, name, tier, name, b.String())
}

func (g *writer) policies(ns string, i, z int, o Options, r *rand.Rand) {
	zone := zoneName(z)
	// Default deny with the same namespace allowed, and the same zone on the named http port.
	g.doc(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: same-namespace
  namespace: %s
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector: {}
`, ns)
	g.doc(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: same-zone
  namespace: %s
spec:
  podSelector: {}
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              network-zone: %s
      ports:
        - port: http
`, ns, zone)
	if i%2 == 0 {
		g.doc(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: zone-router
  namespace: %s
spec:
  podSelector:
    matchLabels:
      tier: web
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              network-zone-router: %s
          podSelector:
            matchLabels:
              app: router
      ports:
        - port: 8080
`, ns, zone)
	}
	if z > 0 && i%3 == 0 {
		g.doc(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: from-%s
  namespace: %s
spec:
  podSelector:
    matchExpressions:
      - key: tier
        operator: In
        values: [api, worker]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              network-zone: %s
      ports:
        - port: 8443
        - port: 8080
          endPort: 8090
`, zoneName(z-1), ns, zoneName(z-1))
	}
	if i%4 == 0 {
		app := fmt.Sprintf("app-%02d", r.IntN(o.Workloads))
		g.doc(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: %s-egress
  namespace: %s
spec:
  podSelector:
    matchLabels:
      app: %s
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              network-zone: %s
    - to:
        - ipBlock:
            cidr: 203.0.%d.0/24
            except:
              - 203.0.%d.128/25
      ports:
        - port: 443
    - to:
        - ipBlock:
            cidr: 0.0.0.0/0
      ports:
        - port: 53
          protocol: UDP
`, app, ns, app, zone, z, z)
	}
	if i%5 == 0 {
		app := fmt.Sprintf("app-%02d", r.IntN(o.Workloads))
		g.doc(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: %s-metrics
  namespace: %s
spec:
  podSelector:
    matchLabels:
      app: %s
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              network-zone: %s
          podSelector:
            matchLabels:
              tier: worker
      ports:
        - port: metrics
`, app, ns, app, zone)
	}
}
