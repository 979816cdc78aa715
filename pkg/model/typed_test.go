package model

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// decodeAgrees decodes n as newObj's type both ways, directly and through JSON as the API server does, and
// says whether the object passed the checker (and so was decoded) and whether the direct way read it alone.
func decodeAgrees(t *testing.T, n *yaml.Node, newObj func() any) (checked, direct bool) {
	t.Helper()
	var probs Problems
	obj := newObj()
	(&schemaChecker{file: "f", probs: &probs}).checkAt(n, reflect.TypeOf(obj), "")
	if len(probs.Errors()) > 0 {
		return false, false
	}
	want := newObj()
	raw, err := appendJSON(nil, n, withoutServerFields)
	require.NoError(t, err)
	wantErr := json.Unmarshal(raw, want)
	direct = decodeValue(n, reflect.ValueOf(obj).Elem(), withoutServerFields) == nil
	got := newObj()
	gotErr := decodeInto(n, got, withoutServerFields)
	if wantErr != nil {
		assert.EqualError(t, gotErr, wantErr.Error())
		return true, direct
	}
	require.NoError(t, gotErr)
	assert.Equal(t, want, got, "%s", raw)
	if direct {
		assert.Equal(t, want, obj, "%s", raw)
	}
	return true, direct
}

// objectsOf are the objects of a YAML document that the loader decodes, with their types.
func objectsOf(n *yaml.Node) (objs []*yaml.Node, types []func() any) {
	n = resolveAlias(n)
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return objectsOf(n.Content[0])
	}
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	if its, ok := listOf(n); ok {
		for _, it := range its {
			o, ts := objectsOf(it)
			objs, types = append(objs, o...), append(types, ts...)
		}
		return objs, types
	}
	if spec, ok := kindSpecs[scalarAt(n, "kind")]; ok {
		return []*yaml.Node{n}, []func() any{spec.newObj}
	}
	return nil, nil
}

// Every object of the repository's manifests decodes directly to what encoding/json makes of its JSON.
func TestDecodeIntoOnInputs(t *testing.T) {
	checked, direct := 0, 0
	eachInputFile(t, func(data []byte) {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc yaml.Node
			if dec.Decode(&doc) != nil {
				break
			}
			objs, types := objectsOf(&doc)
			for i, o := range objs {
				c, d := decodeAgrees(t, o, types[i])
				if c {
					checked++
				}
				if d {
					direct++
				}
			}
		}
	})
	t.Logf("%d of %d checked objects decoded directly", direct, checked)
	assert.Greater(t, checked, 100)
	assert.Greater(t, direct, checked*9/10)
}

// decodeCases are objects at the edges of what the direct decoder reads itself.
var decodeCases = []struct {
	name, yaml string
	direct     bool // read without encoding/json
}{
	{"policy", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, labels: {on: x, 'y': z}}\n" +
		"spec: {podSelector: {}, policyTypes: [Ingress], ingress: [{ports: [{port: 80}, {port: http, protocol: UDP}, {port: 0x1F, endPort: 1_000}]}]}", true},
	{"port as a float", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}, ingress: [{ports: [{port: 80.0}]}]}", false},
	{"port beyond int32", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}, ingress: [{ports: [{port: 4294967296}]}]}", false},
	{"endPort beyond int32", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}, ingress: [{ports: [{port: 1, endPort: 4294967296}]}]}", false},
	{"nulls", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, labels: ~, namespace: null}\nspec: {podSelector: ~, ingress: [~, {ports: ~, from: [{ipBlock: null}]}]}", true},
	{"empty lists stay empty", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}, ingress: [], egress: [{}], policyTypes: []}", true},
	{"server fields left out", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  uid: '1'\n  creationTimestamp: \"2024-01-01T00:00:00Z\"\n" +
		"  annotations: {kubectl.kubernetes.io/last-applied-configuration: '{}'}\nspec: {ports: [{port: 80, targetPort: web}], clusterIP: None}", true},
	{"quantities and times", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, creationTimestamp: null}\n" +
		"spec: {containers: [{name: c, resources: {limits: {cpu: 500m, memory: 1Gi}, requests: {cpu: 0.5}}}]}\nstatus: {startTime: \"2024-01-01T00:00:00Z\", podIP: 10.0.0.1}", true},
	{"booleans", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {hostNetwork: True, containers: [{name: c, stdin: false}]}", true},
	{"status of an old export", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}}\nstatus: {}", true},
	{"escapes", "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns, annotations: {a: \"\\xff\\u00e9\\t\"}}", true},
	{"a deployment", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 3, selector: {matchLabels: {app: a}}, template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}}}", true},
}

func TestDecodeIntoCases(t *testing.T) {
	for _, tt := range decodeCases {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			require.NoError(t, yaml.Unmarshal([]byte(tt.yaml), &doc))
			objs, types := objectsOf(&doc)
			require.Len(t, objs, 1)
			checked, direct := decodeAgrees(t, objs[0], types[0])
			assert.True(t, checked)
			assert.Equal(t, tt.direct, direct)
		})
	}
}

// A string that is not UTF-8 (which the YAML parsers never give) becomes what encoding/json makes of it.
func TestDecodeIntoInvalidUTF8(t *testing.T) {
	n := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "a"}, {Kind: yaml.ScalarNode, Tag: "!!str", Value: "x\xffy"}}}
	var got map[string]string
	assert.ErrorIs(t, decodeValue(n, reflect.ValueOf(&got).Elem(), nil), errViaJSON)
	require.NoError(t, decodeInto(n, &got, nil))
	assert.Equal(t, map[string]string{"a": "x\ufffdy"}, got)
}

// Whatever the manifest, the direct decoder and encoding/json make the same object of it.
func FuzzDecodeInto(f *testing.F) {
	for _, c := range decodeCases {
		f.Add(c.yaml)
	}
	f.Add(kubectlExport)
	f.Fuzz(func(t *testing.T, in string) {
		var doc yaml.Node
		if len(in) > 4096 || yaml.Unmarshal([]byte(in), &doc) != nil {
			return
		}
		objs, types := objectsOf(&doc)
		for i, o := range objs {
			decodeAgrees(t, o, types[i])
		}
	})
}
