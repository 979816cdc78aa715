package gen

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
)

// The shapes of a generated cluster. ShapeZones is seed 002's style; the others are shapes real clusters
// have that break an engine's grouping of alike pods: every workload with its own port number behind a
// shared port name, per-pod labels, many ipBlocks.
const (
	ShapeZones    = "zones"
	ShapePorts    = "ports"
	ShapeLabels   = "labels"
	ShapeIPBlocks = "ipblocks"
)

type shape struct {
	about string
	write func(g *writer, o Options, r *rand.Rand)
}

var shapes = map[string]shape{
	ShapeZones: {"zone-labelled namespaces, a router namespace per zone, 2-6 NetworkPolicies per namespace (seed 002's style)", writeZones},
	ShapePorts: {"every Deployment serves its own port number behind the shared name http (and metrics 9090, postgres 5432 on db); " +
		"per namespace a default deny, a zone baseline (same namespace, listed zones, the zone's routers on http, TCP/5432 from the next zone) and egress ipBlocks with except lists", writePorts},
	ShapeLabels:   {"the zones shape with bare Pods, two per app, each with a label of its own (as StatefulSet pods' pod-name)", writeLabels},
	ShapeIPBlocks: {"the zones shape plus, per namespace, egress to four blocks of its own, each with an except", writeIPBlocks},
}

// Shapes lists the shapes by name.
func Shapes() []string { return slices.Sorted(maps.Keys(shapes)) }

// ShapeHelp describes every shape, a line each.
func ShapeHelp() string {
	var b strings.Builder
	for _, n := range Shapes() {
		fmt.Fprintf(&b, "  %-9s %s\n", n, shapes[n].about)
	}
	return b.String()
}

// routers writes a router namespace with its router Deployment per zone.
func (g *writer) routers(o Options) {
	for z := 0; z < o.Zones; z++ {
		zone := zoneName(z)
		g.doc(`apiVersion: v1
kind: Namespace
metadata:
  name: router-%s
  labels:
    network-zone-router: %s
`, zone, zone)
		g.deployment("router-"+zone, "router", "router", []port{{"http", 80, "TCP"}, {"https", 443, "TCP"}})
	}
}

func (g *writer) namespace(ns, zone string, team int) {
	g.doc(`apiVersion: v1
kind: Namespace
metadata:
  name: %s
  labels:
    network-zone: %s
    team: team-%d
`, ns, zone, team)
}

// appNamespaces writes the routers, then each zone-labelled application namespace followed by what fill
// writes into it.
func (g *writer) appNamespaces(o Options, r *rand.Rand, fill func(ns string, i, z int)) {
	g.routers(o)
	for i := 0; i < o.Namespaces; i++ {
		ns := fmt.Sprintf("ns-%04d", i)
		z := i % o.Zones
		g.namespace(ns, zoneName(z), r.IntN(10))
		fill(ns, i, z)
	}
}

// writePorts is ShapePorts: the shape where classing pods by what they expose degenerates, since every
// Deployment's http is another number.
func writePorts(g *writer, o Options, r *rand.Rand) {
	g.appNamespaces(o, r, func(ns string, i, z int) {
		for j := 0; j < o.Workloads; j++ {
			tier := tiers[j%len(tiers)]
			ports := []port{{"http", 10001 + (i*o.Workloads+j)%50000, "TCP"}, {"metrics", 9090, "TCP"}}
			if tier == "db" {
				ports = append(ports, port{"postgres", 5432, "TCP"})
			}
			g.deployment(ns, fmt.Sprintf("app-%02d", j), tier, ports)
		}
		zone, next := zoneName(z), zoneName((z+1)%o.Zones)
		g.doc(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: %s
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`, ns)
		g.doc(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: zone-baseline
  namespace: %s
spec:
  podSelector: {}
  ingress:
    - from:
        - podSelector: {}
    - from:
        - namespaceSelector:
            matchExpressions:
              - key: network-zone
                operator: In
                values: [%s, shared]
    - from:
        - namespaceSelector:
            matchLabels:
              network-zone-router: %s
      ports:
        - port: http
  egress:
    - to:
        - podSelector: {}
        - namespaceSelector:
            matchLabels:
              network-zone: %s
    - to:
        - ipBlock:
            cidr: 10.0.0.0/8
            except: [10.%d.0.0/16, 10.%d.0.0/16]
        - ipBlock:
            cidr: 0.0.0.0/0
            except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
      ports:
        - port: 443
    - ports:
        - port: 53
          protocol: UDP
`, ns, zone, zone, zone, z, 100+z)
		g.doc(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: postgres-from-%s
  namespace: %s
spec:
  podSelector:
    matchLabels:
      tier: db
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              network-zone: %s
      ports:
        - port: 5432
`, next, ns, next)
	})
}

// writeLabels is ShapeLabels: the zones shape whose pods each carry a label of their own.
func writeLabels(g *writer, o Options, r *rand.Rand) {
	g.appNamespaces(o, r, func(ns string, i, z int) {
		for j := 0; j < o.Workloads; j++ {
			app := fmt.Sprintf("app-%02d", j)
			for k := 0; k < 2; k++ {
				g.doc(`apiVersion: v1
kind: Pod
metadata:
  name: %s-%d
  namespace: %s
  labels:
    app: %s
    tier: %s
    pod-name: %s-%d
spec:
  containers:
    - name: main
      image: registry.example.com/%s:1
      ports:
        - name: http
          containerPort: 8080
`, app, k, ns, app, tiers[j%len(tiers)], app, k, app)
			}
		}
		g.policies(ns, i, z, o, r)
	})
}

// writeIPBlocks is ShapeIPBlocks: the zones shape with four egress blocks of its own per namespace.
func writeIPBlocks(g *writer, o Options, r *rand.Rand) {
	writeZones(g, o, r)
	for i := 0; i < o.Namespaces; i++ {
		var b strings.Builder
		for k := 0; k < 4; k++ {
			n := i*4 + k // a /28 of 198.18.0.0/15 each, less its first /30
			a, c := n/16%512, n%16*16
			fmt.Fprintf(&b, "        - ipBlock:\n            cidr: 198.%d.%d.%d/28\n            except: [198.%d.%d.%d/30]\n", 18+a/256, a%256, c, 18+a/256, a%256, c)
		}
		g.doc(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: partners
  namespace: ns-%04d
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to:
%s      ports:
        - port: 443
`, i, b.String())
	}
}
