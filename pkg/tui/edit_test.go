package tui

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
	"github.com/zonesim/zonesim/scenarios"
	networkingv1 "k8s.io/api/networking/v1"
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
