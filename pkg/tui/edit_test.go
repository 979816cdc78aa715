package tui

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
	"github.com/zonesim/zonesim/scenarios"
	networkingv1 "k8s.io/api/networking/v1"
)

// A policy edited in $EDITOR replaces the loaded one in the draft what-if. An edit the API server would
// refuse is not kept: as kubectl edit does, the editor opens the file again with the reason on top, and
// closing it without a change cancels the edit.
func TestPolicyEditedInTheEditor(t *testing.T) {
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	require.NoError(t, scenarios.AddDefault(l))
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("generic")
	require.NoError(t, err)
	m := New(simulate.New(c, p, ""), Options{})
	const key = "NetworkPolicy shop-api/network-zone-a"
	const invalid = `sed -i 's/protocol: TCP/protocol: XTP/; s/podSelector: {}/podSelector: {matchLabels: {"bad key": x}}/' "$1"`

	tests := []struct {
		name    string
		scripts []string // what the user does in each editor opened, in turn
		status  string
		kept    bool
	}{
		{"a valid edit", []string{`sed -i 's/network-zone: A/network-zone: B/' "$1"`}, "edited " + key + " (enter applies the what-if)", true},
		{"an invalid edit, left as it is", []string{invalid, "true"}, "edit cancelled: ", false},
		{"an invalid edit, corrected", []string{invalid, `sed -i 's/protocol: XTP/protocol: TCP/; s/{"bad key": x}/{}/; s/network-zone: A/network-zone: B/' "$1"`}, "edited " + key, true},
		{"another policy, then the same", []string{`sed -i 's/name: network-zone-a/name: other/' "$1"`, `sed -i 's/name: other/name: network-zone-a/' "$1"`}, key + " is as loaded: no edit", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m.draft = newWhatIf()
			file, err := m.policyFile(key)
			require.NoError(t, err)
			var shown []byte
			for i, script := range tt.scripts {
				require.NoError(t, exec.Command("sh", "-c", script, "sh", file).Run())
				_, cmd := m.Update(editedMsg{key: key, file: file, shown: shown})
				if i < len(tt.scripts)-1 {
					require.NotNil(t, cmd, "the editor opens again")
					assert.Contains(t, m.status, "edit not kept: ")
					shown, err = os.ReadFile(file)
					require.NoError(t, err)
					assert.True(t, strings.HasPrefix(string(shown), editHeaderFirst), "the reason is on top:\n%s", shown)
					assert.Equal(t, 1, strings.Count(string(shown), editHeaderFirst), "once")
				}
			}
			assert.Contains(t, m.status, tt.status)
			assert.Equal(t, tt.kept, m.draft.edited[key] != nil)
			assert.NoFileExists(t, file, "the file given to the editor is removed")
		})
	}
}

// Labels typed for a namespace are checked as the API server checks them; the name label it sets on
// every namespace is kept and cannot change.
func TestNamespaceLabels(t *testing.T) {
	was := map[string]string{nameLabel: "shop", "network-zone": "A"}
	tests := []struct {
		typed   string
		want    map[string]string
		wantErr string
	}{
		{"network-zone=B", map[string]string{nameLabel: "shop", "network-zone": "B"}, ""},
		{"network-zone=B, team=web ,", map[string]string{nameLabel: "shop", "network-zone": "B", "team": "web"}, ""},
		{nameLabel + "=shop,network-zone=B", map[string]string{nameLabel: "shop", "network-zone": "B"}, ""},
		{nameLabel + "=other", nil, nameLabel + " is always the namespace's name"},
		{"team=a,team=b", nil, `label "team" is given twice`},
		{"team", nil, `"team": write labels as key=value`},
		{"bad key=x", nil, `invalid label key "bad key"`},
	}
	for _, tt := range tests {
		got, err := namespaceLabels(tt.typed, "shop", was)
		if tt.wantErr != "" {
			require.Error(t, err, tt.typed)
			assert.Contains(t, err.Error(), tt.wantErr)
			continue
		}
		require.NoError(t, err, tt.typed)
		assert.Equal(t, tt.want, got)
	}
}

// Names shrink in their middle, where alike names differ least; explanations wrap at words, a continued
// line under the text it continues.
func TestShortenAndWrap(t *testing.T) {
	assert.Equal(t, "openshi…/router-dmz-0", shorten("openshift-ingress/router-dmz-0", 21))
	assert.Equal(t, "short", shorten("short", 21))
	assert.Equal(t, []string{
		"  ingress         payments/payments-0: isolated by",
		"                  payments/network-zone-b",
		"                  (policies.yaml:42)",
	}, wrap("  ingress         payments/payments-0: isolated by payments/network-zone-b (policies.yaml:42)", 50))
}

// Two what-ifs that edit one policy differently are two what-ifs: applying the second recompiles.
func TestWhatIfsDifferByEditedContent(t *testing.T) {
	p := &model.NetworkPolicy{Namespace: "a", Name: "np"}
	q := *p
	q.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	w1, w2 := newWhatIf(), newWhatIf()
	w1.edited["NetworkPolicy a/np"], w2.edited["NetworkPolicy a/np"] = p, &q
	assert.False(t, w1.equal(w2))
	assert.True(t, w1.equal(w1.clone()))
	assert.Equal(t, "1 policy edited", w1.describe())
}
