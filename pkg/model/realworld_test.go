package model_test

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/model"
)

// What the API server and kubectl hand users: typed lists, exports with status and server fields, the same
// object twice, Pods whose owners were not exported.
func TestLoaderReadsWhatTheAPIServerGives(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		pods     []string // namespace/name: workload key, or "" for none
		warnings []string
	}{
		{"typed list items take the list's kind", `apiVersion: v1
kind: PodList
items:
- metadata: {name: a, namespace: shop}
  spec: {containers: [{name: c, image: i}]}
- apiVersion: v1
  metadata: {name: b, namespace: shop}
  spec: {containers: [{name: c, image: i}]}
`, []string{"shop/a=", "shop/b="}, []string{`in.yaml:4: warning: 1 namespace(s) referenced but not declared, created with only the kubernetes.io/metadata.name label: shop`}},

		{"an export's status and server fields are read and ignored", `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny
  namespace: default
  uid: 0b0e0c0a-1111-2222-3333-444455556666
  resourceVersion: "123"
  generation: 1
  creationTimestamp: "2024-01-01T00:00:00Z"
  managedFields: [{manager: kubectl, operation: Update, apiVersion: networking.k8s.io/v1, fieldsType: FieldsV1, fieldsV1: {f:spec: {}}}]
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"kind":"NetworkPolicy"}'
spec: {podSelector: {}}
status: {}
`, []string{"default/[other pods]="}, []string{
			"in.yaml:1: warning: policy-only input (no Pods or workloads): analysing 1 representative pod(s), one per pod selector the policies use in each namespace they name and [other pods] per namespace, named by their selector in brackets",
			`in.yaml:1: warning: 1 namespace(s) referenced but not declared, created with only the kubernetes.io/metadata.name label: default`,
			"in.yaml:14: warning: status: read and ignored (an export from Kubernetes 1.24-1.27 carries it), but the API server no longer has this field: with strict field validation (kubectl's default) it refuses the object; remove status before applying it"}},

		{"the same object twice is read once", `apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Namespace
metadata: {name: a}
`, nil, []string{`in.yaml:5: warning: Namespace "a" is the same as at in.yaml:1: read once`}},

		{"two exports of one object, differing only in what the server keeps, are one object", `apiVersion: v1
kind: Namespace
metadata: {name: a, resourceVersion: "7", uid: u1, managedFields: [{manager: kubectl}]}
---
apiVersion: v1
kind: Namespace
metadata:
  name: a
  resourceVersion: "9"
  creationTimestamp: "2024-01-01T00:00:00Z"
  annotations: {kubectl.kubernetes.io/last-applied-configuration: '{"kind":"Namespace"}'}
`, nil, []string{`in.yaml:5: warning: Namespace "a" is the same as at in.yaml:1: read once`}},

		{"exported Pods of a Deployment are its pods, not a template pod besides", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: a}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-5f6d7c8b9-x2x4z
  namespace: a
  labels: {app: web, pod-template-hash: 5f6d7c8b9}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5f6d7c8b9, uid: u1, controller: true}]
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: report-28391220-abcde
  namespace: a
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: report-28391220, uid: u2, controller: true}]
spec: {containers: [{name: c, image: i}]}
`, []string{"a/report-28391220-abcde=a/job/report-28391220", "a/web-5f6d7c8b9-x2x4z=a/deployment/web"}, nil},

		{"a CronJob's Job follows from its name", `apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: a}
spec:
  schedule: "0 * * * *"
  jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: i}], restartPolicy: Never}}}}
---
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Pod
metadata:
  name: report-28391220-abcde
  namespace: a
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: report-28391220, uid: u2, controller: true}]
spec: {containers: [{name: c, image: i}]}
`, []string{"a/report-28391220-abcde=a/cronjob/report"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, probs := load(t, tt.in)
			require.Empty(t, probs.Errors())
			var pods []string
			for _, p := range c.Pods {
				w := ""
				if p.Workload != nil {
					w = p.Workload.Key()
				}
				pods = append(pods, p.Key()+"="+w)
			}
			assert.Equal(t, tt.pods, pods)
			assert.Equal(t, tt.warnings, problemStrings(probs))
		})
	}
}

// A directory holds more than manifests: what is not one is listed as skipped, never an error; a
// scenario's directory means that scenario.
func TestLoaderSkipsWhatIsNotAManifest(t *testing.T) {
	fsys := fstest.MapFS{
		"repo/ns.yaml":                      {Data: []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")},
		"repo/values-golden.json":           {Data: []byte(`{"level": "zone", "nodes": []}`)},
		"repo/config.yaml":                  {Data: []byte("replicas: 3\nimage: nginx\n")},
		"repo/app/kustomization.yaml":       {Data: []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../ns.yaml]\npatches: [{path: patch.yaml}]\n")},
		"repo/app/patch.yaml":               {Data: []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3}\n")},
		"repo/chart/Chart.yaml":             {Data: []byte("apiVersion: v2\nname: shop\nversion: 0.1.0\n")},
		"repo/chart/templates/svc.yaml":     {Data: []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n")},
		"repo/notes.yaml":                   {Data: []byte("{{ not yaml\n")},
		"scenario/scenario.yaml":            {Data: []byte("apiVersion: zonesim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: s}\nspec: {}\n")},
		"scenario/testdata/broken/bad.yaml": {Data: []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: 1}\n")},
		"scenario/extra/deny.yaml":          {Data: []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n")},
		"broken/ns.yaml":                    {Data: []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: [a\n")},
	}
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddFS(fsys, "repo", "repo")
	c, err := l.Cluster()
	require.NoError(t, err)
	assert.Equal(t, []model.SkippedFile{
		{File: "repo/app", Reason: "a kustomization: build it with -k repo/app"},
		{File: "repo/chart", Reason: "a Helm chart: render it with --chart repo/chart"},
		{File: "repo/config.yaml", Reason: "holds no Kubernetes object (no document has a kind or an apiVersion)"},
		{File: "repo/notes.yaml", Reason: "is not YAML or JSON and names no kind"},
		{File: "repo/values-golden.json", Reason: "holds no Kubernetes object (no document has a kind or an apiVersion)"},
	}, c.Skipped)
	require.NotNil(t, c.Namespace("a"))

	l = model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddFS(fsys, "repo/app", "repo/app")
	_, err = l.Cluster()
	assert.EqualError(t, err, "repo/app: a kustomization (kustomization.yaml): build it with -k repo/app; -f reads plain manifests\n1 error(s) in the input",
		"its patch is not read as an object")

	l = model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddFS(fsys, "repo/chart", "repo/chart")
	_, err = l.Cluster()
	assert.EqualError(t, err, "repo/chart: a Helm chart (Chart.yaml): render it with --chart repo/chart; -f reads plain manifests\n1 error(s) in the input",
		"its templates and Chart.yaml are not read as objects")

	l = model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddFS(fsys, "scenario", "scenario")
	c, err = l.Cluster()
	require.NoError(t, err, "the scenario's test data is not read")
	require.NotNil(t, c.Scenario)
	assert.Equal(t, []string{"scenario/scenario.yaml: warning: spec.include: 1 manifest file(s) beside the scenario were not read: a directory with a scenario.yaml reads the scenario and what its spec.include names; include them, or give them with -f: scenario/extra/deny.yaml"},
		problemStrings(c.Warnings), "a manifest beside the scenario is named, not read; its test data is its own")

	l = model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddFS(fsys, "broken", "broken")
	_, err = l.Cluster()
	require.Error(t, err, "a file meant as a manifest is read, and its problems reported")
	assert.Contains(t, err.Error(), "broken/ns.yaml:")
}

func TestAFileGivenTwiceIsReadOnce(t *testing.T) {
	fsys := fstest.MapFS{
		"s/scenario.yaml": {Data: []byte("apiVersion: zonesim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: s}\nspec: {include: [m]}\n")},
		"s/m/ns.yaml":     {Data: []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")},
	}
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddFS(fsys, "s/scenario.yaml", "s/scenario.yaml")
	l.AddFS(fsys, "s/m", "s/m")
	c, err := l.Cluster()
	require.NoError(t, err)
	assert.Equal(t, []string{"s/m/ns.yaml: warning: 1 file(s) given more than once (by -f and by a scenario's include, or twice) were read once: s/m/ns.yaml"},
		problemStrings(c.Warnings))
}

// What the admin-policy CRD accepts, zonesim reads: a portNumber without protocol is TCP (the CRD's
// default), a lower-case protocol is read as the upper-case one, with a warning.
func TestAdminPolicyCRDDefaults(t *testing.T) {
	c, probs := load(t, `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: a}
spec:
  priority: 10
  subject: {namespaces: {}}
  ingress:
  - action: Allow
    from: [{namespaces: {}}]
    ports: [{portNumber: {port: 80}}, {portNumber: {port: 53, protocol: udp}}]
`)
	require.Empty(t, probs.Errors())
	assert.Equal(t, []string{`in.yaml:10: warning: spec.ingress[0].ports[1].portNumber.protocol: "udp" is accepted by the CRD; read as UDP`}, problemStrings(probs))
	require.Len(t, c.AdminPolicies, 1)
	ports := c.AdminPolicies[0].Ingress[0].Ports
	assert.Equal(t, model.Protocol("TCP"), ports[0].PortNumber.Protocol)
	assert.Equal(t, model.Protocol("UDP"), ports[1].PortNumber.Protocol)
}

// What the API server refuses, zonesim refuses, with the field and its line.
func TestLoaderValidatesAsTheAPIServer(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"a Namespace name with a dot", "apiVersion: v1\nkind: Namespace\nmetadata: {name: team.a}\n",
			[]string{`in.yaml:3: metadata.name: invalid name "team.a": must not contain dots`}},
		{"a label key whose prefix is not a DNS subdomain", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {Team_X/app: b}}\n",
			[]string{`in.yaml:3: metadata.labels.Team_X/app: invalid label key "Team_X/app": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`}},
		{"a Deployment whose selector does not select its template", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: a}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: i}]}
`, []string{"in.yaml:7: spec.template.metadata.labels: `selector` does not match template `labels` (selector app=web)"}},
		{"a container port 0 and a duplicate port name", `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a}
spec:
  containers:
  - name: c
    image: i
    ports: [{containerPort: 0}, {name: http, containerPort: 80}, {name: http, containerPort: 81}]
`, []string{
			"in.yaml:8: spec.containers[0].ports[0].containerPort: invalid port 0: must be between 1 and 65535, inclusive",
			`in.yaml:8: spec.containers[0].ports[2].name: duplicate value "http"`}},
		{"unnamed ports of a multi-port Service and a bad targetPort name", `apiVersion: v1
kind: Service
metadata: {name: s, namespace: a}
spec:
  ports:
  - {port: 80, targetPort: Web_Port}
  - {name: b, port: 443}
`, []string{
			"in.yaml:6: spec.ports[0].name: required: a Service with more than one port names each",
			`in.yaml:6: spec.ports[0].targetPort: invalid port name "Web_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := load(t, tt.in)
			assert.Equal(t, tt.want, problemStrings(probs.Errors()))
		})
	}
}

func TestLoaderReadsNumbersAndNamesAsTheServer(t *testing.T) {
	c, probs := load(t, `apiVersion: v1
kind: Pod
metadata: {generateName: web-, namespace: a}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {}, ingress: [{ports: [{port: 80.0}]}]}
`)
	require.Empty(t, probs.Errors())
	require.Len(t, c.Pods, 1)
	assert.Equal(t, "a/web-00001", c.Pods[0].Key())
	assert.Contains(t, problemStrings(probs), `in.yaml:3: warning: metadata.generateName: no name: named "web-00001" (the API server appends 5 random characters to generateName)`)
	require.Len(t, c.Policies, 1)
	assert.Equal(t, int32(80), c.Policies[0].Spec.Ingress[0].Ports[0].Port.IntVal)

	_, probs = load(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec: {containers: [{name: c, image: i, ports: [{containerPort: \"80\"}]}]}\n")
	assert.Equal(t, []string{`in.yaml:4: spec.containers[0].ports[0].containerPort: expected integer, got the quoted string "80" (write it without quotes)`}, problemStrings(probs.Errors()))
}

// A YAML 1.1 boolean as a key (on:, yes:) is what kubectl sends as "true": read so, with a warning.
func TestBooleanKeysAreReadAsTheServerStoresThem(t *testing.T) {
	c, probs := load(t, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    on: edge\n")
	require.Empty(t, probs.Errors())
	assert.Equal(t, "edge", c.Namespace("a").Labels["true"])
	assert.Equal(t, []string{`in.yaml:6: warning: metadata.labels: key "on" is a boolean in YAML 1.1, as kubectl and the API server read it: it is stored as "true"; quote it to mean "on"`}, problemStrings(probs))
}

// EF-2: only an EgressFirewall named default is honoured, and the CRD refuses any other name.
func TestEgressFirewallMustBeNamedDefault(t *testing.T) {
	_, probs := load(t, "apiVersion: k8s.ovn.org/v1\nkind: EgressFirewall\nmetadata: {name: strict, namespace: app}\nspec: {egress: [{type: Deny, to: {cidrSelector: 0.0.0.0/0}}]}\n")
	assert.Equal(t, []string{`in.yaml:3: metadata.name: an EgressFirewall must be named default (the CRD refuses "strict")`}, problemStrings(probs.Errors()))
}

// Kinds that change reachability and are not modelled are kept, with what they do, never dropped as an
// ignored kind; kinds that do not change it (a ConfigMap) are only counted.
func TestUnmodelledKindsAreKept(t *testing.T) {
	for _, tt := range []struct {
		apiVersion, kind string
		namespaced       bool
	}{
		{"cilium.io/v2", "CiliumNetworkPolicy", true},
		{"cilium.io/v2", "CiliumEgressGatewayPolicy", false},
		{"projectcalico.org/v3", "GlobalNetworkPolicy", false},
		{"security.istio.io/v1", "AuthorizationPolicy", true},
		{"k8s.cni.cncf.io/v1", "NetworkAttachmentDefinition", true},
		{"gateway.networking.k8s.io/v1", "HTTPRoute", true},
		{"policy.linkerd.io/v1beta3", "Server", true},
		{"kubevirt.io/v1", "VirtualMachine", true},
		{"k8s.cni.cncf.io/v1beta1", "MultiNetworkPolicy", true},
		{"k8s.ovn.org/v1", "AdminPolicyBasedExternalRoute", false},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			c, probs := load(t, "apiVersion: "+tt.apiVersion+"\nkind: "+tt.kind+"\nmetadata: {name: x, namespace: team}\n---\n"+
				"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: team}\n")
			assert.Empty(t, probs.Errors())
			require.Len(t, c.Unmodelled, 1)
			u := c.Unmodelled[0]
			assert.Equal(t, tt.kind, u.Kind)
			assert.NotEmpty(t, u.Effect)
			assert.Equal(t, tt.namespaced, u.Namespace == "team", "namespaced or cluster-wide")
			assert.Equal(t, map[string]int{"ConfigMap": 1}, c.Ignored)
		})
	}
}
