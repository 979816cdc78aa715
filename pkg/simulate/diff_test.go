package simulate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/simulate"
)

func TestDiffNamesTheRulesBehindEachChangedCell(t *testing.T) {
	beforeC := loadCluster(t, adminWorld)
	afterC := loadCluster(t, adminWorld, anpHeader+"kind: AdminNetworkPolicy\nmetadata: {name: db-lockdown}\nspec: {priority: 7, subject: {namespaces: {matchLabels: {tier: db}}}, ingress: [{name: only-app, action: Allow, from: [{namespaces: {matchLabels: {tier: app}}}], ports: [{namedPort: sql}]}, {name: no-one-else, action: Deny, from: [{namespaces: {}}]}]}\n",
		`apiVersion: v1
kind: Namespace
metadata: {name: new, labels: {tier: new}}
---
apiVersion: v1
kind: Pod
metadata: {name: newpod, namespace: new}
spec: {containers: [{name: c, image: i}]}
`)
	before := simulate.New(beforeC, mustProfile(t, "generic"), "")
	after := simulate.New(afterC, mustProfile(t, "generic"), "")
	bt, at := before.Matrix(simulate.LevelNamespace).Texts(), after.Matrix(simulate.LevelNamespace).Texts()
	d, err := simulate.Diff(bt, at)
	require.NoError(t, err)
	assert.Equal(t, []simulate.TextNode{{Name: "new", Kind: "namespace", Pods: 1}}, d.Added)
	assert.Empty(t, d.Removed)
	d.Explain(before, after, at.Nodes, 50)
	byCell := map[[2]string]simulate.CellChange{}
	for _, c := range d.Changes {
		byCell[[2]string{c.From, c.To}] = c
	}
	assert.Len(t, byCell, 2, "app and mon lose all but the named port / everything into db")
	app := byCell[[2]string{"app", "db"}]
	assert.Equal(t, "all", app.Before)
	assert.Equal(t, "TCP/5432", app.After)
	assert.Equal(t, "app/web -> db/pg", app.Pair)
	assert.Equal(t, []string{
		"+ AdminNetworkPolicy/db-lockdown ingress[0] allow (in-1.yaml:4)",
		"+ AdminNetworkPolicy/db-lockdown ingress[1] deny (in-1.yaml:4)",
	}, app.Causes)
	mon := byCell[[2]string{"mon", "db"}]
	assert.Equal(t, "-", mon.After)
	assert.Equal(t, []string{"+ AdminNetworkPolicy/db-lockdown ingress[1] deny (in-1.yaml:4)"}, mon.Causes)

	_, err = simulate.Diff(bt, after.Matrix(simulate.LevelPod).Texts())
	assert.EqualError(t, err, "cannot compare a namespace matrix with a pod matrix")
}

// A query command reads back in a POSIX shell as the words it was made of: names with parentheses,
// spaces or quotes are quoted, everything else stays as typed.
func TestQueryCommandQuotesForTheShell(t *testing.T) {
	for _, c := range []struct {
		input          []string
		from, to, port string
		want           string
	}{
		{simulate.InputArgs([]string{"deploy/"}, ""), "a", "b", "", "zonesim query -f deploy/ from a to b"},
		{simulate.InputArgs([]string{"a b.yaml"}, "ovn-kubernetes"), "zone:(unzoned)", "svc:ns/web", "tcp/443",
			"zonesim query -f 'a b.yaml' --cni ovn-kubernetes from 'zone:(unzoned)' to svc:ns/web --port tcp/443"},
		{[]string{"-k", "overlays/prod", "--set", "a=b,c"}, `zone:it's`, "ext:partner&co", "", `zonesim query -k overlays/prod --set a=b,c from 'zone:it'\''s' to 'ext:partner&co'`},
		{nil, "", "*", "", "zonesim query from '' to '*'"},
	} {
		assert.Equal(t, c.want, simulate.QueryCommand(c.input, c.from, c.to, c.port))
	}
}
