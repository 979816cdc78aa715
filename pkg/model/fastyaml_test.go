package model

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// parserDocument is what the YAML parser gives for one document, or nil when it fails.
func parserDocument(data []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || doc.Kind == 0 {
		return nil
	}
	return &doc
}

// fastAgrees checks that where the fast parser reads a document, the YAML parser reads the same tree.
func fastAgrees(t *testing.T, data []byte) (read bool) {
	t.Helper()
	got := fastDocument(data)
	assert.Equal(t, got != nil, fastReads(data), "fastReads says what fastDocument does")
	if got == nil {
		return false
	}
	want := parserDocument(data)
	require.NotNil(t, want, "the YAML parser refuses what the fast parser read:\n%s", data)
	assert.Equal(t, treeText(want), treeText(got), "%s", data)
	return true
}

func TestFastDocument(t *testing.T) {
	tests := []struct {
		name string
		data string
		read bool // the fast parser reads it (or leaves it to the YAML parser)
	}{
		{"block mappings and sequences", "a: 1\nb:\n  c: x\n  d: [1, 2]\ne:\n- f: 1\n  g: 2\n- h\n-   i: 3\n", true},
		{"marker and comments", "--- # c\n# head\na: 1 # one\n\n  # indented comment\nb: 'x''y' # q\nc: \"a\\tb\\u00e9\"\n", true},
		{"scalars of every tag", "a: null\nb: true\nc: 1.5\nd: 0x1f\ne: -3\nf: 2001-12-14\ng: ~\nh: yes\ni: 010\nj: .inf\nk: \"1\"\n", true},
		{"flow collections", "a: {}\nb: []\nc: {x: [1, {y: z}], 'q': \"r\"}\nd: [a b, c-d, 'e']\n", true},
		{"literal blocks", "a: |\n  line 1\n\n   line 2\n  # not a comment\nb: |-\n  x\n\n\nc: 1\nd:\n- |\n  in a sequence\n", true},
		{"kubectl's layout", "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    app: x\n  name: p\nspec:\n  containers:\n  - image: nginx:1.25\n    name: c\n    ports:\n    - containerPort: 80\n      protocol: TCP\n", true},
		{"CRLF", "a: 1\r\nb:\r\n- c\r\n", true},
		{"colons and hashes in plain scalars", "url: http://x:80/a#b\nk:v: 1\ntime: 12:30\n", true},
		{"quoted keys", "\"a b\": 1\n'c': 2\n", true},
		{"kubectl get -o yaml", kubectlExport, true},
		{"a document that is a scalar", "just text\n", false},
		{"JSON", "{\"a\": 1,\n \"b\": 2}\n", true},
		{"kubectl get -o json", kubectlJSON, true},
		{"JSON numbers and literals", "[1, -2, 0.5, 1e3, -1.5E-2, true, false, null, \"10\", {}, []]\n", true},
		{"JSON over many lines", "{\n  \"a\": [\n    {\"b\": \"c\"},\n    {\n      \"d\": \"e\"\n    }\n  ],\n  \"f\": {}\n}\n", true},
		{"JSON escapes the fast parser leaves", "{\"a\": \"x\\/y\"}\n", false},
		{"a JSON key's colon on the next line", "{\"a\"\n: 1}\n", false},
		{"YAML's plain words in a flow mapping", "{a: b,\n c: d}\n", false},
		{"not JSON after the object", "{\"a\": 1} x\n", false},
		{"a number JSON does not have", "[01]\n", false},
		{"anchors", "a: &x 1\nb: *x\n", false},
		{"tags", "a: !!str 1\n", false},
		{"folded", "a: >\n  x\n", false},
		{"keep", "a: |+\n  x\n\n", false},
		{"multi-line plain", "a: x\n  y\n", false},
		{"multi-line quoted", "a: \"x\n  y\"\n", false},
		{"an empty value", "a:\nb: 1\n", false},
		{"tabs", "a:\t1\n", false},
		{"not ASCII", "a: é\n", false},
		{"a merge key", "<<: {a: 1}\n", false},
		{"an empty document", "# nothing\n", false},
		{"malformed", "a: 1\n - b\n", false},
		{"a mapping in a value", "a: b: c\n", false},
		{"a trailing comma", "a: [1, 2,]\n", false},
		{"a sequence after a key", "a: 1\n- b\n", false},
		{"more indented after a block", "a:\n  b: 1\n    c: 2\n", false},
		{"a question mark key", "? a\n: 1\n", false},
		{"directives", "%YAML 1.2\n---\na: 1\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.read, fastAgrees(t, []byte(tt.data)))
		})
	}
}

// The fast parser reads the documents of our own inputs, and agrees with the YAML parser on each.
func TestFastDocumentOnInputs(t *testing.T) {
	read, total := 0, 0
	eachInputFile(t, func(data []byte) {
		for _, c := range documents(data) {
			total++
			if fastAgrees(t, c.data) {
				read++
			}
		}
	})
	t.Logf("the fast parser read %d of %d documents", read, total)
	assert.Greater(t, read, total/2)
}

// eachInputFile calls f with every YAML file of the repository's manifests, scenarios and test data.
func eachInputFile(t *testing.T, f func(data []byte)) {
	t.Helper()
	for _, dir := range []string{"../../testdata", "../../scenarios", "../../docs", "../../e2e", "testdata"} {
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || (filepath.Ext(p) != ".yaml" && filepath.Ext(p) != ".yml") {
				return nil
			}
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			f(data)
			return nil
		})
	}
}

// Whatever the document, the fast parser reads what the YAML parser reads, or leaves it.
func FuzzFastDocument(f *testing.F) {
	for _, s := range []string{"a: 1\nb:\n- c: [1, {d: e}]\n  f: |\n    x\n", exportList, aheadDocs, "a: \"\\x41\\u00e9\"\n", kubectlJSON,
		"  - a: 1\n    b: [x]\n  - c\n", "   - a\n  - b\n", "  a: 1\n"} {
		for _, c := range documents([]byte(s)) {
			f.Add(c.data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Count(data, []byte("\n")) > 200 || strings.Contains(string(data), "\n---") {
			return
		}
		fastAgrees(t, data)
	})
}

// kubectlJSON is a List as kubectl get -o json writes one.
const kubectlJSON = `{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "creationTimestamp": "2024-01-01T00:00:00Z",
                "generation": 1,
                "name": "allow-web",
                "namespace": "shop",
                "resourceVersion": "1234",
                "uid": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
            },
            "spec": {
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {
                                        "network-zone": "dmz"
                                    }
                                }
                            }
                        ],
                        "ports": [
                            {
                                "port": 8080,
                                "protocol": "TCP"
                            },
                            {
                                "port": "http",
                                "protocol": "TCP"
                            }
                        ]
                    }
                ],
                "podSelector": {},
                "policyTypes": [
                    "Ingress"
                ]
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`

// kubectlExport is an object as kubectl get -o yaml writes it, server fields and all.
const kubectlExport = `apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    deployment.kubernetes.io/revision: "1"
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"web","namespace":"shop"},"spec":{"replicas":2}}
  creationTimestamp: "2026-11-30T10:00:00Z"
  generation: 1
  labels:
    app.kubernetes.io/name: web
  managedFields:
  - apiVersion: apps/v1
    fieldsType: FieldsV1
    fieldsV1:
      f:metadata:
        f:annotations:
          .: {}
          f:kubectl.kubernetes.io/last-applied-configuration: {}
      f:spec:
        f:template:
          f:spec:
            f:containers:
              k:{"name":"web"}:
                .: {}
                f:ports:
                  k:{"containerPort":8080,"protocol":"TCP"}:
                    .: {}
    manager: kubectl-client-side-apply
    operation: Update
    time: "2026-11-30T10:00:00Z"
  name: web
  namespace: shop
  resourceVersion: "4242"
  uid: 6f1c2d3e-0000-4000-8000-123456789abc
spec:
  progressDeadlineSeconds: 600
  replicas: 2
  selector:
    matchLabels:
      app: web
  strategy:
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 25%
    type: RollingUpdate
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: web
    spec:
      containers:
      - args:
        - --listen=:8080
        - -v=2
        env:
        - name: GREETING
          value: 'it''s "fine"'
        - name: EMPTY
          value: ""
        image: registry.example.com/web@sha256:0123abcd
        imagePullPolicy: IfNotPresent
        name: web
        ports:
        - containerPort: 8080
          name: http
          protocol: TCP
        resources:
          limits:
            cpu: 500m
            memory: 128Mi
        terminationMessagePath: /dev/termination-log
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      securityContext: {}
      terminationGracePeriodSeconds: 30
status:
  availableReplicas: 2
  conditions:
  - lastTransitionTime: "2026-11-30T10:00:05Z"
    message: Deployment has minimum availability.
    reason: MinimumReplicasAvailable
    status: "True"
    type: Available
  observedGeneration: 1
`
