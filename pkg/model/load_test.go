package model_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/model"
)

func load(t *testing.T, yaml string) (*model.Cluster, model.Problems) {
	t.Helper()
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("in.yaml", []byte(yaml))
	c, err := l.Cluster()
	if err == nil {
		return c, c.Warnings
	}
	probs, ok := err.(model.Problems)
	require.True(t, ok, "error is not Problems: %v", err)
	return c, probs
}

// loadAcceptingRemovedAPIs loads input that must load without error with --accept-removed-apis.
func loadAcceptingRemovedAPIs(t *testing.T, in string) *model.Cluster {
	t.Helper()
	opts := model.DefaultLoadOptions()
	opts.AcceptRemovedAPIs = true
	l := model.NewLoader(opts, nil)
	l.AddBytes("in.yaml", []byte(in))
	c, err := l.Cluster()
	require.NoError(t, err)
	return c
}

func problemStrings(ps model.Problems) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

const policyHead = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: p
  namespace: ns
spec:
  podSelector: {}
`

// Every bad input the API server would reject is reported as file:line: field: message, all at once.
func TestLoaderRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"malformed YAML", "kind: [\n", []string{"in.yaml:1: malformed YAML: did not find expected node content"}},
		{"missing kind", "apiVersion: v1\nmetadata: {name: a}\n", []string{"in.yaml:1: kind: required: every object needs apiVersion and kind"}},
		{"unsupported apiVersion", "apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: a}\n",
			[]string{`in.yaml:1: apiVersion: apiVersion "apps/v2" is not supported for Deployment; use apps/v1`}},
		{"removed apiVersion", "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: a}\n",
			[]string{`in.yaml:1: apiVersion: batch/v1beta1 CronJob is no longer served by the API server, which refuses it: write it as batch/v1 (--accept-removed-apis reads it as such)`}},
		{"unknown field", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  lables: {x: y}\n",
			[]string{`in.yaml:5: metadata.lables: unknown field "lables"`}},
		{"YAML 1.1 boolean label value", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    enabled: on\n",
			[]string{`in.yaml:6: metadata.labels.enabled: unquoted "on" is a boolean in YAML 1.1, as kubectl and the API server read it; quote it ("on")`}},
		{"number where a string belongs", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    version: 1.0\n",
			[]string{`in.yaml:6: metadata.labels.version: expected string, got number "1.0" (quote it if a string is meant)`}},
		{"missing name", "apiVersion: v1\nkind: Namespace\nmetadata:\n  labels: {a: b}\n", []string{"in.yaml:4: metadata.name: required"}},
		{"empty peer", policyHead + "  ingress:\n    - from:\n        - {}\n",
			[]string{"in.yaml:10: spec.ingress[0].from[0]: must specify a peer: podSelector, namespaceSelector or ipBlock (an empty peer is invalid; omit from/to to allow all)"}},
		{"ipBlock with a selector", policyHead + "  egress:\n    - to:\n        - ipBlock: {cidr: 10.0.0.0/8}\n          podSelector: {}\n",
			[]string{"in.yaml:10: spec.egress[0].to[0].ipBlock: may not be specified together with podSelector or namespaceSelector"}},
		{"bad CIDR and except outside cidr", policyHead + "  egress:\n    - to:\n        - ipBlock:\n            cidr: 10.0.0.0/33\n    - to:\n        - ipBlock:\n            cidr: 10.0.0.0/8\n            except: [11.0.0.0/16, 10.0.0.0/8]\n",
			[]string{
				`in.yaml:11: spec.egress[0].to[0].ipBlock.cidr: invalid CIDR "10.0.0.0/33": must be an address and a prefix length, like 10.0.0.0/16`,
				"in.yaml:15: spec.egress[1].to[0].ipBlock.except[0]: 11.0.0.0/16 must be a strict subset of cidr 10.0.0.0/8",
				"in.yaml:15: spec.egress[1].to[0].ipBlock.except[1]: 10.0.0.0/8 must be a strict subset of cidr 10.0.0.0/8",
			}},
		{"endPort rules", policyHead + "  ingress:\n    - ports:\n        - endPort: 90\n        - port: http\n          endPort: 90\n        - port: 100\n          endPort: 90\n",
			[]string{
				"in.yaml:10: spec.ingress[0].ports[0].endPort: may not be specified when port is not specified",
				"in.yaml:12: spec.ingress[0].ports[1].endPort: may not be specified when port is a named port",
				"in.yaml:14: spec.ingress[0].ports[2].endPort: must be greater than or equal to port (100)",
			}},
		{"port out of range and bad protocol", policyHead + "  ingress:\n    - ports:\n        - port: 70000\n        - protocol: ICMP\n",
			[]string{
				"in.yaml:10: spec.ingress[0].ports[0].port: invalid port 70000: must be between 1 and 65535, inclusive",
				`in.yaml:11: spec.ingress[0].ports[1].protocol: unsupported value "ICMP": must be TCP, UDP or SCTP`,
			}},
		{"bad selector operator", policyHead + "  ingress:\n    - from:\n        - podSelector:\n            matchExpressions:\n              - {key: app, operator: Equals, values: [a]}\n              - {key: app, operator: In}\n",
			[]string{
				`in.yaml:12: spec.ingress[0].from[0].podSelector.matchExpressions[0].operator: not a valid selector operator "Equals": must be In, NotIn, Exists or DoesNotExist`,
				"in.yaml:13: spec.ingress[0].from[0].podSelector.matchExpressions[1].values: must be non-empty when operator is In",
			}},
		{"an item of a list is named from the file's root", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s, namespace: a}\n  spec:\n    ports: [{port: 0}]\n",
			[]string{"in.yaml:8: items[0].spec.ports[0].port: invalid port 0: must be between 1 and 65535, inclusive"}},
		{"duplicate object", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {x: z}}\n",
			[]string{`in.yaml:5: duplicate Namespace "a", first defined at in.yaml:1 with other content`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := load(t, tt.in)
			assert.Equal(t, tt.want, problemStrings(probs.Errors()))
		})
	}
}

func TestLoaderCollectsEveryProblem(t *testing.T) {
	in := "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {x: yes}\n---\n" +
		"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n  color: red\n"
	_, probs := load(t, in)
	assert.Len(t, probs.Errors(), 2)
}

func TestLoaderRefusesRemovedAPIsUnlessAsked(t *testing.T) {
	in := `{"apiVersion": "extensions/v1beta1", "kind": "NetworkPolicy", "metadata": {"name": "old", "namespace": "shop"}, "spec": {"podSelector": {}}}`
	_, probs := load(t, in)
	assert.Equal(t, []string{"in.yaml:1: apiVersion: extensions/v1beta1 NetworkPolicy is no longer served by the API server, which refuses it: write it as networking.k8s.io/v1 (--accept-removed-apis reads it as such)"},
		problemStrings(probs.Errors()))
}

func TestLoaderReadsWorkloadsListsAndDefaults(t *testing.T) {
	in := `apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop}
    spec:
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
            - name: c
              image: i
              ports: [{name: http, containerPort: 8080}]
  - apiVersion: batch/v1
    kind: CronJob
    metadata: {name: report, namespace: shop}
    spec:
      schedule: "@daily"
      jobTemplate:
        spec:
          template:
            metadata: {labels: {app: report}}
            spec: {containers: [{name: c, image: i}], restartPolicy: Never}
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: cfg, namespace: shop}
  - apiVersion: v1
    kind: Secret
    metadata: {name: s, namespace: shop}
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: cfg2, namespace: shop}
---
{"apiVersion": "extensions/v1beta1", "kind": "NetworkPolicy", "metadata": {"name": "old", "namespace": "shop"}, "spec": {"podSelector": {}}}
`
	c := loadAcceptingRemovedAPIs(t, in)
	warnings := c.Warnings
	require.Len(t, c.Pods, 2)
	assert.Equal(t, "shop/report-0", c.Pods[0].Key())
	assert.Equal(t, "shop/web-0", c.Pods[1].Key())
	assert.Equal(t, []model.ContainerPort{{Name: "http", Port: 8080, Protocol: "TCP"}}, c.Pods[1].Ports)
	assert.Equal(t, "10.128.0.1", c.Pods[0].IP.String())
	assert.Equal(t, "10.128.0.2", c.Pods[1].IP.String())
	assert.Equal(t, map[string]int{"ConfigMap": 2, "Secret": 1}, c.Ignored)
	require.Len(t, c.Namespaces, 1)
	assert.True(t, c.Namespaces[0].Implicit)
	assert.Equal(t, map[string]string{model.NamespaceNameLabel: "shop"}, c.Namespaces[0].Labels)
	require.Len(t, c.Policies, 1)
	text := strings.Join(problemStrings(warnings), "\n")
	assert.Contains(t, text, "extensions/v1beta1 NetworkPolicy is no longer served by the API server; read as networking.k8s.io/v1")
	assert.Contains(t, text, "referenced but not declared")
}

func TestLoaderKeepsRealPodsOfWorkloads(t *testing.T) {
	in := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ns}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d4
  namespace: ns
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: u1, controller: true}]
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-5d4-abcde
  namespace: ns
  labels: {app: web}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d4, uid: u2, controller: true}]
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.129.3.7}
`
	c, _ := load(t, in)
	require.Len(t, c.Pods, 1)
	require.Len(t, c.Workloads, 1)
	assert.Equal(t, "ns/deployment/web", c.Workloads[0].Key())
	assert.Equal(t, c.Workloads[0], c.Pods[0].Workload)
	assert.Equal(t, "10.129.3.7", c.Pods[0].IP.String())
}

func TestLoaderSkipsEmptyDocuments(t *testing.T) {
	c, probs := load(t, "---\n# only a comment\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n")
	assert.Empty(t, probs.Errors())
	require.Len(t, c.Namespaces, 1)
}

// The kind registry is what live reading lists: its resource names must be the API server's.
func TestKindsNameTheServedResources(t *testing.T) {
	want := map[string]string{
		"AdminNetworkPolicy": "adminnetworkpolicies", "BaselineAdminNetworkPolicy": "baselineadminnetworkpolicies", "ClusterNetworkPolicy": "clusternetworkpolicies", "ClusterNetworkConnect": "clusternetworkconnects", "ClusterUserDefinedNetwork": "clusteruserdefinednetworks", "UserDefinedNetwork": "userdefinednetworks",
		"ClusterRole": "clusterroles", "ClusterRoleBinding": "clusterrolebindings", "CronJob": "cronjobs",
		"DaemonSet": "daemonsets", "Deployment": "deployments", "EgressFirewall": "egressfirewalls", "EgressIP": "egressips",
		"EgressNetworkPolicy": "egressnetworkpolicies", "EgressRouter": "egressrouters", "EgressService": "egressservices", "HostSubnet": "hostsubnets", "Ingress": "ingresses", "IngressClass": "ingressclasses",
		"IngressController": "ingresscontrollers", "Job": "jobs", "Namespace": "namespaces", "NetNamespace": "netnamespaces",
		"NetworkPolicy": "networkpolicies", "Node": "nodes", "Pod": "pods", "ReplicaSet": "replicasets",
		"ReplicationController": "replicationcontrollers", "ResourceQuota": "resourcequotas", "Role": "roles",
		"RoleBinding": "rolebindings", "Route": "routes", "Service": "services", "StatefulSet": "statefulsets",
		"StorageClass": "storageclasses",
	}
	got := map[string]string{}
	required := []string{}
	for _, k := range model.Kinds() {
		got[k.Kind] = k.Resource
		if k.Live == model.LiveRequired {
			required = append(required, k.Kind)
		}
	}
	assert.Equal(t, want, got)
	assert.Equal(t, []string{"Namespace", "NetworkPolicy", "Node", "Pod", "Service"}, required)
}

// With --accept-removed-apis, an extensions/v1beta1 Deployment is read as apps/v1, with the selector that
// version defaulted from the template's labels.
func TestLoaderReadsRemovedWorkloadVersionsWhenAsked(t *testing.T) {
	in := `apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: i}]}
`
	c := loadAcceptingRemovedAPIs(t, in)
	require.Len(t, c.Workloads, 1)
	assert.Contains(t, problemStrings(c.Warnings), "in.yaml:1: warning: apiVersion: extensions/v1beta1 Deployment is no longer served by the API server; read as apps/v1 (write it as apps/v1)")
	require.Len(t, c.Pods, 1)
	assert.Equal(t, "web", c.Pods[0].Labels["app"])
}
