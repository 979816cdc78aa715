package report_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// twoZones: a1 in zone A reaches b1 in zone B on TCP/5432 only, and nothing in B reaches A; b1 has no
// egress policy, so it also reaches the internet.
const twoZones = `
apiVersion: v1
kind: Namespace
metadata: {name: a1, labels: {network-zone: A}}
---
apiVersion: v1
kind: Namespace
metadata: {name: b1, labels: {network-zone: B}}
---
apiVersion: v1
kind: Namespace
metadata: {name: empty, labels: {network-zone: B}}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: a1, labels: {app: client}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: b1, labels: {app: db}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-in, namespace: a1}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {network-zone: B}}}]
    ports: [{port: 5432}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-a, namespace: b1}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {network-zone: A}}}]
    ports: [{port: 5432}]
`

func engineOf(t *testing.T, yaml string) *simulate.Engine {
	t.Helper()
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("cluster.yaml", []byte(yaml))
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("generic")
	require.NoError(t, err)
	return simulate.New(c, p, "")
}

func flowsOf(zm *report.ZoneMap) map[string]string {
	out := map[string]string{}
	for _, f := range zm.Flows {
		out[f.From+" -> "+f.To] = f.Conns + " " + f.Change
	}
	return out
}

// The map holds every zone with its namespaces (with pods or not) and the zone-level flows: one way
// from A to B here.
func TestZoneMapOfAnEngine(t *testing.T) {
	zm := report.NewZoneMap(engineOf(t, twoZones))
	require.Len(t, zm.Zones, 2)
	assert.Equal(t, report.MapZone{Name: "A", Namespaces: []string{"a1"}, Pods: 1, Within: "all"}, *zm.Zones[0], "a pod always reaches itself")
	assert.Equal(t, report.MapZone{Name: "B", Namespaces: []string{"b1", "empty"}, Pods: 1, Within: "all"}, *zm.Zones[1])
	assert.Equal(t, map[string]string{"A -> B": "TCP/5432 ", "B -> internet": "all "}, flowsOf(zm))
	assert.Equal(t, []*report.MapNode{{Name: "internet", Kind: "external"}}, zm.Others)
}

// A diff's changed cells land on the flow between their zones: a flow the change closes is drawn
// though the after side has none, a flow with opened and closed cells is "changed", a cell within a
// zone is counted on it, and a node no side knows is counted apart.
func TestZoneMapMarksChanges(t *testing.T) {
	e := engineOf(t, twoZones)
	zm := report.NewZoneMap(e)
	zm.MarkChanges(&simulate.MatrixDiff{Level: "namespace", Changes: []simulate.CellChange{
		{From: "a1", To: "b1", Before: "all", After: "TCP/5432"},
		{From: "b1", To: "a1", Before: "TCP/80", After: "-"},
		{From: "b1", To: "empty", Before: "-", After: "all"},
		{From: "a1", To: "internet", Before: "all", After: "-"},
		{From: "a1", To: "internet", Before: "-", After: "all"},
		{From: "gone", To: "a1", Before: "all", After: "-"},
	}, Added: []simulate.TextNode{{Name: "empty", Kind: "namespace"}}}, nil, e)
	assert.Equal(t, map[string]string{
		"A -> B":        "TCP/5432 changed",
		"B -> A":        " closed",
		"B -> internet": "all ",
		"A -> internet": " changed",
	}, flowsOf(zm))
	assert.Equal(t, 1, zm.Zones[1].Changes)
	assert.Equal(t, []string{"empty"}, zm.Zones[1].Added)
	assert.Equal(t, 1, zm.Unplaced)
}

// The SVG is well-formed XML for any map: none, one zone, many zones with long names and many
// namespaces, arcs both ways.
func TestZoneMapSVGIsWellFormed(t *testing.T) {
	many := &report.ZoneMap{}
	for i := range 9 {
		z := &report.MapZone{Name: strings.Repeat("z", 40) + string(rune('a'+i)), Pods: i}
		for j := range 12 {
			z.Namespaces = append(z.Namespaces, "ns-<&>-"+strings.Repeat("n", j*4))
		}
		many.Zones = append(many.Zones, z)
	}
	many.Others = []*report.MapNode{{Name: "internet", Kind: "external"}, {Name: "ext:\"quoted\"", Kind: "external"}}
	for i := range many.Zones {
		for j := range many.Zones {
			if i != j {
				many.Flows = append(many.Flows, &report.MapFlow{From: many.Zones[i].Name, To: many.Zones[j].Name, Conns: "TCP/1, TCP/2, TCP/3, TCP/4, TCP/5, TCP/6", Some: i%2 == 0})
			}
		}
		many.Flows = append(many.Flows, &report.MapFlow{From: many.Zones[i].Name, To: "internet", Conns: "all", Change: report.Opened, Cells: []string{"a -> b: - => all"}},
			&report.MapFlow{From: "ext:\"quoted\"", To: many.Zones[i].Name, Change: report.Closed})
	}
	for name, zm := range map[string]*report.ZoneMap{
		"empty":    {},
		"one zone": {Zones: []*report.MapZone{{Name: "only"}}},
		"many":     many,
	} {
		var out bytes.Buffer
		require.NoError(t, report.WriteZoneMapSVG(&out, zm, "a <title> & more"), name)
		dec := xml.NewDecoder(&out)
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, name)
		}
	}
}

// A namespace that moves to another zone takes its cells to other flows: the flow they left is marked
// closed (with what it allowed) and the flow they joined opened; cells that stay within a zone count on it.
func TestZoneMapMarksANamespaceThatMoves(t *testing.T) {
	before := engineOf(t, twoZones)
	after := engineOf(t, strings.Replace(twoZones, "{name: a1, labels: {network-zone: A}}", "{name: a1, labels: {network-zone: C}}", 1))
	zm := report.NewZoneMap(after)
	zm.MarkChanges(&simulate.MatrixDiff{Level: "namespace", Changes: []simulate.CellChange{
		{From: "a1", To: "b1", Before: "TCP/5432", After: "-"},
	}}, before, after)
	flows := map[string]*report.MapFlow{}
	for _, f := range zm.Flows {
		flows[f.From+" -> "+f.To] = f
	}
	require.Contains(t, flows, "A -> B")
	assert.Equal(t, report.Closed, flows["A -> B"].Change)
	assert.Equal(t, "TCP/5432", flows["A -> B"].Was, "a closed flow says what it allowed")
	assert.NotContains(t, flows, "C -> B", "nothing is allowed on the flow the cell joined")
	assert.Equal(t, []string{"B", "C", "A"}, zoneNames(zm), "the zone only the before side has is drawn, after the others")
}

func zoneNames(zm *report.ZoneMap) []string {
	var out []string
	for _, z := range zm.Zones {
		out = append(out, z.Name)
	}
	return out
}

// Past six address blocks, the map draws them as one node, with an arrow per zone and direction that
// counts the blocks it reaches; a changed cell to one of them lands on that arrow.
func TestZoneMapGroupsManyAddressBlocks(t *testing.T) {
	var b strings.Builder
	b.WriteString(twoZones + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: out, namespace: a1}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n")
	for i := range 8 {
		fmt.Fprintf(&b, "  - to: [{ipBlock: {cidr: 198.51.%d.0/24}}]\n", i)
	}
	e := engineOf(t, b.String())
	zm := report.NewZoneMap(e)
	var names []string
	for _, o := range zm.Others {
		names = append(names, o.Name)
	}
	assert.Equal(t, []string{"internet", "8 address blocks"}, names)
	flows := flowsOf(zm)
	assert.Equal(t, "8 of 8 blocks ", flows["A -> 8 address blocks"])
	assert.Equal(t, "8 of 8 blocks ", flows["B -> 8 address blocks"], "b1 has no egress policy")
	zm.MarkChanges(&simulate.MatrixDiff{Level: "namespace", Changes: []simulate.CellChange{
		{From: "a1", To: "198.51.3.0/24", Before: "-", After: "all"},
	}}, nil, e)
	assert.Equal(t, "8 of 8 blocks opened", flowsOf(zm)["A -> 8 address blocks"])
	assert.Zero(t, zm.Unplaced)
}
