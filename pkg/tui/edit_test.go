package tui

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
	"github.com/zonesim/zonesim/scenarios"
)

// A policy edited in $EDITOR replaces the loaded one in the draft what-if; an edit the API server would
// refuse is not kept, and says why.
func TestPolicyEditedInTheEditor(t *testing.T) {
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	require.NoError(t, scenarios.AddDefault(l))
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("generic")
	require.NoError(t, err)
	m := New(simulate.New(c, p, ""), Options{})
	const key = "NetworkPolicy shop-api/network-zone-a"

	tests := []struct {
		name, script, status string
		kept                 bool
	}{
		{"a valid edit", `sed -i 's/network-zone: A/network-zone: B/' "$1"`, "edited " + key + " (enter applies the what-if)", true},
		{"an invalid edit", `sed -i 's/protocol: TCP/protocol: XTP/; s/podSelector: {}/podSelector: {matchLabels: {"bad key": x}}/' "$1"`, "edit not kept: ", false},
		{"another policy", `sed -i 's/name: network-zone-a/name: other/' "$1"`, "edit not kept: the edited file must hold the one NetworkPolicy shop-api/network-zone-a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m.draft = newWhatIf()
			file, err := m.policyFile(key)
			require.NoError(t, err)
			require.NoError(t, exec.Command("sh", "-c", tt.script, "sh", file).Run())
			m.Update(editedMsg{key: key, file: file})
			assert.Contains(t, m.status, tt.status)
			assert.Equal(t, tt.kept, m.draft.edited[key] != nil)
			assert.NoFileExists(t, file, "the file given to the editor is removed")
		})
	}
}
