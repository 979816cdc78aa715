package model_test

import (
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/model"
)

var update = flag.Bool("update", false, "rewrite docs/scenario.schema.json")

// The published schema is the one the loader enforces.
func TestScenarioSchemaIsPublished(t *testing.T) {
	got, err := json.MarshalIndent(model.ScenarioSchema(), "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	const path = "../../docs/scenario.schema.json"
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./pkg/model -update")
	assert.Equal(t, string(want), string(got))
}
