package apply_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/model"
)

const input = `apiVersion: v1
kind: Namespace
metadata: {name: x, labels: {team: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: "y"}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {pod: a}}
spec: {containers: [{name: c, image: i, ports: [{name: serve-80-tcp, containerPort: 80}, {containerPort: 53, protocol: UDP}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: "y", labels: {pod: a}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {}
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "y"}}
        - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [x, z]}]}
      ports: [{port: 8080, endPort: 8090}]
`

func load(t *testing.T, s string) *model.Cluster {
	t.Helper()
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("in.yaml", []byte(s))
	c, err := l.Cluster()
	require.NoError(t, err)
	return c
}

func TestPlanMovesEverythingToProbeNamespaces(t *testing.T) {
	p := apply.NewPlan(load(t, input), "r1")
	var names []string
	for _, ns := range p.Namespaces {
		names = append(names, ns.Name)
		assert.Equal(t, "r1", ns.Labels[apply.ProbeLabel])
	}
	assert.Equal(t, []string{"zs-r1-x", "zs-r1-y"}, names)
	assert.Equal(t, "a", p.Namespaces[0].Labels["team"])
	require.Len(t, p.Pods, 2)
	assert.Equal(t, "zs-r1-x/a", p.Pods[0].Key())
	assert.Equal(t, "x/a", p.Pods[0].Original)

	// Namespace-name selectors follow the renaming, including names the input does not have.
	from := p.Policies[0].Spec.Ingress[0].From
	assert.Equal(t, "zs-r1-y", from[0].NamespaceSelector.MatchLabels[model.NamespaceNameLabel])
	assert.Equal(t, []string{"zs-r1-x", "zs-r1-z"}, from[1].NamespaceSelector.MatchExpressions[0].Values)
	assert.Equal(t, "zs-r1-x", p.Policies[0].Namespace)

	var ports []string
	for _, port := range p.Ports {
		ports = append(ports, port.String())
	}
	assert.Equal(t, []string{"TCP/80", "TCP/8080", "TCP/8090", "UDP/53"}, ports)
	assert.Equal(t, "x", p.Original("zs-r1-x"))
}

func TestPlanManifestsLoadAndPredictLikeTheInput(t *testing.T) {
	p := apply.NewPlan(load(t, input), "r2")
	for i, pod := range p.Pods {
		pod.IP = []string{"10.244.0.10", "10.244.0.11"}[i]
	}
	docs, err := p.Manifests()
	require.NoError(t, err)
	c := load(t, string(docs))
	require.Len(t, c.Policies, 1)
	assert.Equal(t, "10.244.0.10", c.Pods[0].IP.String())
	assert.True(t, strings.Contains(string(docs), `"zonesim.dev/run":"r2"`))
}

// Policy-only input: representative pods become probe pods with names the API server takes.
func TestPlanNamesRepresentativePods(t *testing.T) {
	c := load(t, `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: api}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]
`)
	p := apply.NewPlan(c, "r1")
	var got []string
	for _, pod := range p.Pods {
		got = append(got, pod.Original+" -> "+pod.Key())
	}
	assert.Equal(t, []string{
		"x/[app.kubernetes.io/name=api] -> zs-r1-x/rep-app-kubernetes-io-name-api",
		"x/[app=web] -> zs-r1-x/rep-app-web",
		"x/[other pods] -> zs-r1-x/rep-other-pods",
	}, got)
}

// The user-defined networks are not applied, so neither is the label that puts a namespace on one: the
// prediction and the probes both see the one pod network (UDN-2).
func TestPlanLeavesTheNetworksOut(t *testing.T) {
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddPath("../../scenarios/udn-zones/design.yaml")
	l.AddPath("../../scenarios/udn-zones/rendered")
	c, err := l.Cluster()
	require.NoError(t, err)
	p := apply.NewPlan(c, "r1")
	for _, ns := range p.Namespaces {
		assert.NotContains(t, ns.Labels, model.PrimaryUDNLabel, ns.Name)
	}
	assert.Contains(t, p.Skipped, "2 UserDefinedNetwork/ClusterUserDefinedNetwork object(s): probes cover pod-to-pod NetworkPolicy only")
}
