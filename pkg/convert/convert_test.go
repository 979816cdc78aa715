package convert_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/internal/conformance"
	"github.com/zonesim/zonesim/pkg/convert"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

func load(t *testing.T, docs ...string) *model.Cluster {
	t.Helper()
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	for i, d := range docs {
		l.AddBytes(fmt.Sprintf("in-%d.yaml", i), []byte(d))
	}
	c, err := l.Cluster()
	require.NoError(t, err)
	return c
}

// Every v1alpha1 conformance case converts, reads back, and gives the same pod matrix (CNP-6).
func TestConversionOfTheConformanceCasesIsProven(t *testing.T) {
	for _, tc := range conformance.AdminCases() {
		t.Run(tc.Name, func(t *testing.T) {
			c := load(t, conformance.AdminWorld(), tc.Policies)
			res, err := convert.Convert(c, model.ClusterPolicyAPIVersions[1])
			require.NoError(t, err)
			require.Empty(t, res.Errors)
			require.NotEmpty(t, res.Objects)
			for _, o := range res.Objects {
				assert.Equal(t, "policy.networking.k8s.io/v1beta1", o.To.APIVersion)
			}
			d, err := convert.Prove(c, res, model.DefaultZoneLabel, simulate.LevelPod, 1)
			require.NoError(t, err)
			assert.Empty(t, d.Changes)
			assert.Positive(t, d.Compared)
		})
	}
}

func TestConversion(t *testing.T) {
	const world = `apiVersion: v1
kind: Namespace
metadata: {name: a, labels: {team: a}}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a}
spec: {containers: [{name: c, image: i}]}
---
`
	rules := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "    - {action: Deny, from: [{namespaces: {}}], ports: [{portNumber: {port: %d}}]}\n", i+1)
		}
		return b.String()
	}
	tests := []struct {
		name       string
		policies   string
		wantYAML   []string
		wantErrors []string
		wantDiff   bool
	}{
		{
			name: "ports, networks, actions and the baseline",
			policies: `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: default}
spec:
  priority: 7
  subject: {pods: {namespaceSelector: {}, podSelector: {}}}
  egress:
    - {name: out, action: Allow, to: [{networks: [10.1.2.3/16]}], ports: [{portRange: {protocol: SCTP, start: 10, end: 20}}, {portNumber: {protocol: UDP, port: 53}}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress: [{action: Allow, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {a: b}}}}]}]`,
			wantYAML: []string{
				"# replaces AdminNetworkPolicy default (in-1.yaml:1)\n",
				"  - action: Accept\n    name: out\n    protocols:\n    - sctp:\n        destinationPort:\n          range:\n            end: 20\n            start: 10\n    - udp:\n        destinationPort:\n          number: 53\n    to:\n    - networks:\n      - 10.1.0.0/16\n",
				"# named baseline-default: the ClusterNetworkPolicy written for AdminNetworkPolicy default takes the name default\n",
				"  priority: 1000\n",
				"  tier: Baseline\n",
			},
		},
		{
			name: "a name an existing ClusterNetworkPolicy holds is not taken over",
			policies: `apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: protect}
spec: {tier: Admin, priority: 11, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {matchLabels: {team: b}}}]}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: protect}
spec: {priority: 10, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {matchLabels: {team: c}}}]}]}`,
			wantYAML: []string{"# named anp-protect: ClusterNetworkPolicy protect (in-1.yaml:1) takes the name protect\n", "  name: anp-protect\n"},
		},
		{
			name: "more rules than a ClusterNetworkPolicy holds",
			policies: "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: big}\nspec:\n  priority: 1\n  subject: {namespaces: {}}\n  ingress:\n" +
				rules(26),
			wantErrors: []string{"AdminNetworkPolicy/big (in-1.yaml:1): not supported: 26 ingress rules; a ClusterNetworkPolicy holds at most 25"},
		},
		{
			name: "domainNames match the scenario's endpoints only as a ClusterNetworkPolicy",
			policies: `apiVersion: zonesim.dev/v1alpha1
kind: Scenario
metadata: {name: s}
spec:
  externals: [{name: api, dnsNames: [api.example.com], addresses: [203.0.113.5]}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: dns}
spec:
  priority: 1
  subject: {namespaces: {}}
  egress:
    - {action: Allow, to: [{domainNames: [api.example.com]}]}
    - {action: Deny, to: [{networks: [0.0.0.0/0]}]}`,
			wantYAML: []string{"# egress[0]: domainNames: zonesim does not model them in an AdminNetworkPolicy"},
			wantDiff: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := load(t, world, tt.policies)
			res, err := convert.Convert(c, model.ClusterPolicyAPIVersions[0])
			require.NoError(t, err)
			var errs []string
			for _, e := range res.Errors {
				errs = append(errs, e.Error())
			}
			assert.Equal(t, tt.wantErrors, errs)
			data, err := res.YAML()
			require.NoError(t, err)
			for _, w := range tt.wantYAML {
				assert.Contains(t, string(data), w)
			}
			if len(res.Objects) == 0 {
				return
			}
			d, err := convert.Prove(c, res, model.DefaultZoneLabel, simulate.LevelPod, 1)
			require.NoError(t, err)
			assert.Equal(t, tt.wantDiff, len(d.Changes) > 0, "%+v", d.Changes)
		})
	}
}
