package model

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// A manifest becomes the JSON kubectl would send (YAML 1.1 through sigs.k8s.io/yaml), without the API
// server's own metadata.
func TestDecodeWritesTheJSONKubectlSends(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"keys sorted", "b: 1\na: 2", `{"a":2,"b":1}`},
		{"last repeated key wins", "a: 1\na: 2", `{"a":2}`},
		{"YAML 1.1 booleans", "a: yes\nb: Off\nc: 'yes'\nd: true\non: 1", `{"a":true,"b":false,"c":"yes","d":true,"true":1}`},
		{"integers", "a: 0x1F\nb: 1_000\nc: -7\nd: 123456789012345678901234", `{"a":31,"b":1000,"c":-7,"d":1.2345678901234569e+23}`},
		{"floats", "a: 0.5\nb: .inf\nc: 1e3", `{"a":0.5,"b":".inf","c":1000}`},
		{"nulls", "a: ~\nb: null\nc:", `{"a":null,"b":null,"c":null}`},
		{"strings escaped", "a: \"q\\\"\\\\\\t\\x01<&>\"\nb: é", `{"a":"q\"\\\u0009\u0001<&>","b":"é"}`},
		{"invalid UTF-8", "a: \"\\xff\"", `{"a":"ÿ"}`},
		{"anchors are copies", "a: &x {k: v}\nb: *x", `{"a":{"k":"v"},"b":{"k":"v"}}`},
		{"sequences", "a: [1, x, {b: c}]", `{"a":[1,"x",{"b":"c"}]}`},
		{"server metadata dropped", "metadata:\n  name: web\n  uid: u\n  resourceVersion: '1'\n  managedFields: []\n" +
			"  annotations: {kubectl.kubernetes.io/last-applied-configuration: '{}', keep: k}\nspec: {uid: kept}",
			`{"metadata":{"annotations":{"keep":"k"},"name":"web"},"spec":{"uid":"kept"}}`},
		{"annotations of last-applied only dropped", "metadata:\n  name: web\n  annotations: {kubectl.kubernetes.io/last-applied-configuration: '{}'}",
			`{"metadata":{"name":"web"}}`},
		{"empty annotations kept", "metadata: {name: web, annotations: {}}", `{"metadata":{"annotations":{},"name":"web"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			require.NoError(t, yaml.Unmarshal([]byte(tt.yaml), &doc))
			raw, err := appendJSON(nil, &doc, withoutServerFields)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(raw))
			var v map[string]any
			assert.NoError(t, json.Unmarshal(raw, &v))
		})
	}
}
