package check_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pullScenario: namespace ci builds through the mirror; the perimeter lets its zone out to the
// internet on 443; its own egress decides the rest.
const pullScenario = `apiVersion: zonesim.dev/v1alpha1
kind: Scenario
metadata: {name: pull}
spec:
  zones:
    - {name: z, nodeNetworks: [10.1.0.0/24]}
    - {name: services, nodeNetworks: [10.2.0.0/24]}
  nodes: [{name: w1, zone: z, roles: [worker]}]
  externals:
    - {name: mirror, addresses: [10.2.0.10], ports: [tcp/443], zone: services}
    - {name: saas, addresses: [198.51.100.1], ports: [udp/514]}
  perimeter:
    default: deny
    rules:
      - {name: out, from: [zone:z], to: [any], ports: [tcp/443, udp/514], action: allow}
  contract:
    egress: [{from: ci, to: [mirror, saas]}]
    pullThrough: {namespaces: [ci], endpoints: [mirror]}
  objects:
    - {apiVersion: v1, kind: Namespace, metadata: {name: ci, labels: {network-zone: z}}}
    - {apiVersion: v1, kind: Pod, metadata: {name: build, namespace: ci}, spec: {containers: [{name: c, image: i}]}}
`

func runScenario(t *testing.T, scenario string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.yaml")
	require.NoError(t, os.WriteFile(path, []byte(scenario), 0o644))
	var out []string
	for _, f := range run(t, path).Findings {
		if f.Rule == "OB-5" || f.Rule == "OB-6" {
			out = append(out, f.Rule+" "+f.Message)
		}
	}
	return out
}

// OB-6: a namespace that builds reaches the internet only through its mirror; OB-5: an endpoint the
// contract allows that zonesim probe cannot test (no TCP port) is uncovered.
func TestOutboundOperations(t *testing.T) {
	egressOnlyMirror := `
    - apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: out, namespace: ci}
      spec: {podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.2.0.10/32}}]}]}
`
	tests := []struct {
		name, extra string
		want        []string
	}{
		{"open egress reaches the internet past the mirror", "", []string{
			"OB-6 ci builds or pulls, so it may reach the outside only through ext:mirror and the endpoints the contract gives it, but it reaches internet directly on TCP/443, UDP/514 (1 of 1 pod pairs)",
			"OB-5 the contract lets ci reach ext:saas, but zonesim probe cannot test it: it needs an address and a single TCP port (it has [198.51.100.1/32], ports [UDP/514])",
		}},
		{"egress only to the mirror", egressOnlyMirror, []string{
			"OB-5 the contract lets ci reach ext:saas, but zonesim probe cannot test it: it needs an address and a single TCP port (it has [198.51.100.1/32], ports [UDP/514])",
		}},
		{"a probe for another namespace covers nothing here", egressOnlyMirror + `
  probes: [{endpoint: mirror, namespace: ci}, {endpoint: saas, namespace: ghost}]
`, []string{
			"OB-5 the probe of ext:saas stands for namespace ghost, which the input does not have: zonesim probe refuses it",
			"OB-5 the contract lets ci reach ext:saas, but no probe of spec.probes tests it: a broken path is found when the application fails",
		}},
		{"a mirror it cannot reach", `
    - apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: out, namespace: ci}
      spec: {podSelector: {}, policyTypes: [Egress]}
  probes: [{endpoint: mirror, namespace: ci}, {endpoint: saas, namespace: ci}]
`, []string{
			"OB-6 ci builds or pulls, but reaches none of ext:mirror: its builds and pulls fail",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, runScenario(t, pullScenario+tt.extra))
		})
	}
}
