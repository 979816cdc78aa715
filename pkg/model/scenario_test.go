package model_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/model"
)

const badScenario = `apiVersion: zonesim.dev/v1alpha1
kind: Scenario
metadata: {name: bad}
spec:
  zones:
    - {name: dmz, nodeNetworks: [10.10.0.0/33], egressRanges: [10.10.0.200/29]}
    - {name: dmz, nodeNetworks: [10.20.0.0/24], ingressVIPs: [10.20.0.300]}
  nodes:
    - {name: n1, zone: dmz, roles: [gateway]}
    - {name: n2, zone: core}
    - {name: n3, zone: dmz, ip: 10.99.0.1}
  externals:
    - {name: internet, addresses: [1.2.3.4]}
    - {name: api, addresses: [], ports: [icmp/1]}
  perimeter:
    default: maybe
    rules:
      - {name: r, from: [zone:nowhere], to: [ext:ghost], action: permit}
  contract:
    flows:
      - {from: dmz, to: core}
    outboundOnly:
      - {namespace: ""}
  colour: blue
`

func TestScenarioValidationCollectsEveryProblem(t *testing.T) {
	_, probs := load(t, badScenario)
	assert.Equal(t, []string{
		`in.yaml:24: spec.colour: unknown field "colour"`,
	}, problemStrings(probs.Errors()), "an unknown field stops the document before semantic checks, as the API server does")

	fixed := badScenario[:len(badScenario)-len("  colour: blue\n")]
	_, probs = load(t, fixed)
	assert.Equal(t, []string{
		`in.yaml:6: spec.zones[0].nodeNetworks[0]: invalid CIDR "10.10.0.0/33"`,
		`in.yaml:7: spec.zones[1].ingressVIPs[0]: invalid IP "10.20.0.300"`,
		`in.yaml:7: spec.zones[1].name: duplicate zone "dmz"`,
		`in.yaml:9: spec.nodes[0].roles[0]: unknown role "gateway": use infra, router, egress, worker or master`,
		`in.yaml:10: spec.nodes[1].zone: unknown zone "core": the scenario declares dmz`,
		`in.yaml:11: spec.nodes[2].ip: 10.99.0.1 is outside zone dmz's node networks [10.20.0.0/24]`,
		`in.yaml:13: spec.externals[0].name: "internet" is built in; name the endpoint itself`,
		`in.yaml:14: spec.externals[1].addresses: required: the endpoint's IPs or CIDRs`,
		`in.yaml:14: spec.externals[1].ports[0]: invalid port "icmp/1": protocol must be tcp, udp or sctp`,
		`in.yaml:16: spec.perimeter.default: unsupported value "maybe": must be allow or deny`,
		`in.yaml:18: spec.perimeter.rules[0].action: unsupported value "permit": must be allow or deny`,
		`in.yaml:18: spec.perimeter.rules[0].from[0]: unknown zone in "zone:nowhere": the scenario declares dmz`,
		`in.yaml:18: spec.perimeter.rules[0].to[0]: unknown external endpoint "ext:ghost"`,
		`in.yaml:21: spec.contract.flows[0].to: unknown zone "core": the scenario declares dmz`,
		`in.yaml:23: spec.contract.outboundOnly[0].namespace: required`,
	}, problemStrings(probs.Errors()))
}

func TestScenarioBuildsZonesNodesAndNamespaces(t *testing.T) {
	c, _ := load(t, `apiVersion: zonesim.dev/v1alpha1
kind: Scenario
metadata: {name: s}
spec:
  zones:
    - {name: a, nodeNetworks: [10.0.0.0/24], namespaces: [shop]}
  nodes:
    - {name: a1, zone: a, roles: [infra, egress]}
    - {name: a2, zone: a}
  objects:
    - {apiVersion: v1, kind: Namespace, metadata: {name: other, labels: {network-zone: b}}}
`)
	require.NotNil(t, c.Scenario)
	require.Len(t, c.Nodes, 2)
	assert.Equal(t, "10.0.0.11", c.Nodes[0].IP.String())
	assert.Equal(t, "10.0.0.12", c.Nodes[1].IP.String())
	assert.Equal(t, map[string]string{"network-zone": "a", "kubernetes.io/hostname": "a1", "node-role.kubernetes.io/infra": "",
		"node-role.kubernetes.io/egress": "", model.EgressAssignableLabel: ""}, c.Nodes[0].Labels)
	shop := c.Namespace("shop")
	require.NotNil(t, shop)
	assert.Equal(t, "a", shop.Zone("network-zone"))
	assert.False(t, c.Scenario.Perimeter.Declared)
	assert.Equal(t, model.DefaultPlatformNamespaces, c.Scenario.Contract.PlatformNamespaces)
}

func TestScenarioRejectsASecondScenarioAndBadVersion(t *testing.T) {
	_, probs := load(t, "apiVersion: zonesim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: a}\nspec: {zones: []}\n---\n"+
		"apiVersion: zonesim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: b}\nspec: {zones: []}\n---\n"+
		"apiVersion: zonesim.dev/v2\nkind: Scenario\nmetadata: {name: c}\nspec: {zones: []}\n")
	assert.Equal(t, []string{
		"in.yaml:6: a second Scenario; only one is allowed per run (first at in.yaml:1)",
		`in.yaml:11: apiVersion: apiVersion "zonesim.dev/v2" is not supported for Scenario; use zonesim.dev/v1alpha1`,
	}, problemStrings(probs.Errors()))
}
