package model

import (
	"reflect"
	"strings"
)

// ScenarioSchema is the JSON Schema (draft 2020-12) of kind: Scenario, derived from the types the loader
// checks input against, so the published schema cannot drift from what zonesim accepts.
func ScenarioSchema() map[string]any {
	s := schemaOf(reflect.TypeOf(scenarioDoc{}))
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = "https://zonesim.dev/schemas/scenario-v1alpha1.json"
	s["title"] = "zonesim Scenario (" + ScenarioAPIVersion + ")"
	props := s["properties"].(map[string]any)
	props["apiVersion"].(map[string]any)["const"] = ScenarioAPIVersion
	props["kind"].(map[string]any)["const"] = "Scenario"
	return s
}

func schemaOf(t reflect.Type) map[string]any {
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Interface:
		return map[string]any{"type": "object", "description": "a Kubernetes or OpenShift object"}
	case reflect.Struct:
		props := map[string]any{}
		var required []any
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			p := schemaOf(f.Type)
			if d := f.Tag.Get("doc"); d != "" {
				p["description"] = d
			}
			props[name] = p
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
		out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			out["required"] = required
		}
		return out
	}
	return map[string]any{}
}
