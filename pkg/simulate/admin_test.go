package simulate_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/internal/conformance"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

func loadCluster(t *testing.T, docs ...string) *model.Cluster {
	t.Helper()
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	for i, d := range docs {
		l.AddBytes(fmt.Sprintf("in-%d.yaml", i), []byte(d))
	}
	c, err := l.Cluster()
	require.NoError(t, err)
	return c
}

func allowed(t *testing.T, e *simulate.Engine, from, to string, proto model.Protocol, port int32) bool {
	t.Helper()
	src, err := e.ResolveEndpoint(from)
	require.NoError(t, err)
	dst, err := e.ResolveEndpoint(to)
	require.NoError(t, err)
	res, err := e.Query(src, dst, &simulate.PortSpec{Protocol: proto, Lo: port, Hi: port}, 0)
	require.NoError(t, err)
	return res.Allowed
}

// The network-policy-api conformance tests (internal/conformance) against the engine: every poke of every
// step, on the profiles that implement the API; and the memoized matrix agrees with the explained query
// for every pod pair at every step.
func TestConformanceNetworkPolicyAPI(t *testing.T) {
	for _, cni := range []string{"generic", "ovn-kubernetes"} {
		for _, tc := range conformance.AdminCases() {
			t.Run(cni+"/"+tc.Name, func(t *testing.T) {
				c := loadCluster(t, conformance.AdminWorld(), tc.Policies)
				for _, step := range tc.Steps {
					if step.Mutate != nil {
						require.NoError(t, step.Mutate(c), step.Name)
					}
					e := simulate.New(c, mustProfile(t, cni), "")
					for _, p := range step.Pokes {
						assert.Equal(t, p.Allowed, allowed(t, e, p.From, p.To, p.Protocol, p.Port), "%s: %s -> %s on %s/%d", step.Name, p.From, p.To, p.Protocol, p.Port)
					}
					matrixAgreesWithQuery(t, e)
				}
			})
		}
	}
}

// matrixAgreesWithQuery checks the memoized matrix against the explained query, cell by cell: pod level
// (connections), and namespace level (connections and pair counts; a pod to itself is not a pair of a set).
func matrixAgreesWithQuery(t *testing.T, e *simulate.Engine) {
	t.Helper()
	for _, level := range []simulate.Level{simulate.LevelPod, simulate.LevelNamespace} {
		m := e.Matrix(level)
		var row []simulate.Cell
		for i, from := range m.Nodes {
			row = m.Row(i, row)
			for j, to := range m.Nodes {
				if from.Kind == "external" && to.Kind == "external" {
					continue
				}
				src, err := e.ResolveEndpoint(from.Name)
				require.NoError(t, err)
				dst, err := e.ResolveEndpoint(to.Name)
				require.NoError(t, err)
				res, err := e.Query(src, dst, nil, 0)
				require.NoError(t, err)
				assert.Equal(t, res.Connections, row[j].Conns.List(), "%s -> %s", from.Name, to.Name)
				if level == simulate.LevelNamespace && from.Kind != "external" && to.Kind != "external" {
					assert.Equal(t, [2]int{res.Pairs.Allowed, res.Pairs.Total}, [2]int{row[j].Allowed, row[j].Total}, "pairs %s -> %s", from.Name, to.Name)
				}
			}
		}
	}
}

const adminWorld = `
apiVersion: v1
kind: Namespace
metadata: {name: app, labels: {tier: app}}
---
apiVersion: v1
kind: Namespace
metadata: {name: db, labels: {tier: db}}
---
apiVersion: v1
kind: Namespace
metadata: {name: mon, labels: {tier: mon}}
---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {role: infra}}
status: {addresses: [{type: InternalIP, address: 192.168.1.10}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {app: web}}
spec: {nodeName: n1, containers: [{name: c, image: i, ports: [{name: http, containerPort: 8080}]}]}
status: {podIP: 10.128.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: pg, namespace: db, labels: {app: pg}}
spec: {nodeName: n1, containers: [{name: c, image: i, ports: [{name: sql, containerPort: 5432}]}]}
status: {podIP: 10.128.0.3}
---
apiVersion: v1
kind: Pod
metadata: {name: prom, namespace: mon, labels: {app: prom}}
spec: {nodeName: n1, containers: [{name: c, image: i}]}
status: {podIP: 10.128.0.4}
`

const anpHeader = "apiVersion: policy.networking.k8s.io/v1alpha1\n"

func TestAdminNetworkPolicyRules(t *testing.T) {
	tests := []struct {
		id       string
		policies []string
		from, to string
		port     int32
		want     bool
	}{
		{"ANP-4 deny is final over a NetworkPolicy allow", []string{
			anpHeader + "kind: AdminNetworkPolicy\nmetadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {matchLabels: {tier: db}}}, ingress: [{action: Deny, from: [{namespaces: {matchLabels: {tier: app}}}]}]}\n",
			"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-all, namespace: db}\nspec: {podSelector: {}, ingress: [{}]}\n"},
			"app/web", "db/pg", 5432, false},
		{"ANP-4 allow is final over a NetworkPolicy default deny", []string{
			anpHeader + "kind: AdminNetworkPolicy\nmetadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {matchLabels: {tier: db}}}, ingress: [{action: Allow, from: [{namespaces: {matchLabels: {tier: mon}}}]}]}\n",
			"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: db}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n"},
			"mon/prom", "db/pg", 5432, true},
		{"ANP-5 pass hands over to an isolating NetworkPolicy, which denies", []string{
			anpHeader + "kind: AdminNetworkPolicy\nmetadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, ingress: [{action: Pass, from: [{namespaces: {}}]}]}\n",
			anpHeader + "kind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec: {subject: {namespaces: {}}, ingress: [{action: Allow, from: [{namespaces: {}}]}]}\n",
			"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: db}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n"},
			"app/web", "db/pg", 5432, false},
		{"ANP-3 a reversed portRange (the CRD accepts it) matches no port: the deny does not apply", []string{
			anpHeader + "kind: AdminNetworkPolicy\nmetadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}], ports: [{portRange: {start: 6000, end: 5000}}]}]}\n"},
			"app/web", "db/pg", 5432, true},
		{"ANP-6 the baseline decides where NetworkPolicy does not isolate", []string{
			anpHeader + "kind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec: {subject: {namespaces: {matchLabels: {tier: db}}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}\n"},
			"app/web", "db/pg", 5432, false},
		{"ANP-5 an isolating NetworkPolicy overrides the baseline", []string{
			anpHeader + "kind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec: {subject: {namespaces: {matchLabels: {tier: db}}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}\n",
			"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-app, namespace: db}\nspec: {podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {tier: app}}}]}]}\n"},
			"app/web", "db/pg", 5432, true},
		{"ANP-7 the source's egress tier denies though the destination allows", []string{
			anpHeader + "kind: AdminNetworkPolicy\nmetadata: {name: a}\nspec: {priority: 5, subject: {pods: {namespaceSelector: {matchLabels: {tier: app}}, podSelector: {matchLabels: {app: web}}}}, egress: [{action: Deny, to: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: pg}}}}]}]}\n"},
			"app/web", "db/pg", 5432, false},
		{"ANP-3 a named port resolves on the destination pod", []string{
			anpHeader + "kind: AdminNetworkPolicy\nmetadata: {name: a}\nspec: {priority: 5, subject: {namespaces: {matchLabels: {tier: db}}}, ingress: [{action: Allow, from: [{namespaces: {}}], ports: [{namedPort: sql}]}, {action: Deny, from: [{namespaces: {}}]}]}\n"},
			"app/web", "db/pg", 5432, true},
		{"ANP-3 a port range is inclusive", []string{
			anpHeader + "kind: AdminNetworkPolicy\nmetadata: {name: a}\nspec: {priority: 5, subject: {namespaces: {matchLabels: {tier: db}}}, ingress: [{action: Deny, from: [{namespaces: {}}], ports: [{portRange: {start: 5000, end: 5432}}]}]}\n"},
			"app/web", "db/pg", 5432, false},
		{"ANP-2 a nodes peer selects the node's address", []string{
			anpHeader + "kind: AdminNetworkPolicy\nmetadata: {name: a}\nspec: {priority: 5, subject: {namespaces: {matchLabels: {tier: app}}}, egress: [{action: Deny, to: [{nodes: {matchLabels: {role: infra}}}]}]}\n"},
			"app/web", "192.168.1.10", 443, false},
		{"ANP-2 a nodes peer leaves other addresses alone", []string{
			anpHeader + "kind: AdminNetworkPolicy\nmetadata: {name: a}\nspec: {priority: 5, subject: {namespaces: {matchLabels: {tier: app}}}, egress: [{action: Deny, to: [{nodes: {matchLabels: {role: infra}}}]}]}\n"},
			"app/web", "192.168.1.11", 443, true},
		{"ANP-4 lower priority value wins", []string{
			anpHeader + "kind: AdminNetworkPolicy\nmetadata: {name: z-first}\nspec: {priority: 1, subject: {namespaces: {}}, ingress: [{action: Allow, from: [{namespaces: {}}]}]}\n",
			anpHeader + "kind: AdminNetworkPolicy\nmetadata: {name: a-second}\nspec: {priority: 2, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}\n"},
			"app/web", "db/pg", 5432, true},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			c := loadCluster(t, append([]string{adminWorld}, tt.policies...)...)
			e := simulate.New(c, mustProfile(t, "generic"), "")
			assert.Equal(t, tt.want, allowed(t, e, tt.from, tt.to, "TCP", tt.port))
			matrixAgreesWithQuery(t, e)
		})
	}
}

func TestAdminNetworkPolicyExplainedAndProfiles(t *testing.T) {
	c := loadCluster(t, adminWorld, anpHeader+"kind: AdminNetworkPolicy\nmetadata: {name: db-lockdown}\nspec: {priority: 7, subject: {namespaces: {matchLabels: {tier: db}}}, ingress: [{name: no-app, action: Deny, from: [{namespaces: {matchLabels: {tier: app}}}]}]}\n")
	e := simulate.New(c, mustProfile(t, "ovn-kubernetes"), "")
	src, _ := e.ResolveEndpoint("app/web")
	dst, _ := e.ResolveEndpoint("db/pg")
	res, err := e.Query(src, dst, nil, 1)
	require.NoError(t, err)
	require.False(t, res.Allowed)
	require.Len(t, res.Results, 1)
	in := res.Results[0].Ingress
	require.Len(t, in.Admin, 1)
	assert.Equal(t, "AdminNetworkPolicy/db-lockdown", in.Admin[0].Policy.Name)
	assert.Equal(t, "Deny", in.Admin[0].Action)
	assert.Equal(t, "no-app", in.Admin[0].Name)
	assert.Equal(t, int32(7), *in.Admin[0].Priority)
	assert.Positive(t, in.Admin[0].Line)

	// Profiles of plugins without the API ignore it, and say so.
	for _, cni := range []string{"cilium", "openshift-sdn"} {
		e := simulate.New(c, mustProfile(t, cni), "")
		assert.True(t, allowed(t, e, "app/web", "db/pg", "TCP", 5432), cni)
		assert.Contains(t, strings.Join(e.Notes(), "\n"), "1 AdminNetworkPolicy/BaselineAdminNetworkPolicy object(s) are not enforced by --cni "+cni)
	}
}
