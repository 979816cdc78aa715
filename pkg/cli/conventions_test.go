package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/cli"
)

// commands lists every command under root, hidden ones too.
func commands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		out = append(out, commands(sub)...)
	}
	return out
}

// The flag conventions hold in every command: -o is the output format with table the default (yaml where
// the result is manifests, as kubectl convert writes them), files are
// --out/--out-dir, the cluster acted on is never the cluster read, and flags that mean nothing to a
// command are not offered.
func TestEveryCommandSpeaksTheSameFlags(t *testing.T) {
	root := cli.NewCommand(cli.Streams{})
	readers := map[string]bool{"query": true, "matrix": true, "check": true, "render": true, "diff": true, "tui": true,
		"audit": true, "e2e": true, "apply": true, "allowlist": true, "probe": true, "convert": true}
	actors := map[string]bool{"e2e": true, "apply": true, "probe": true} // probe: its probe pods
	profiled := map[string]bool{"query": true, "matrix": true, "check": true, "diff": true, "tui": true, "audit": true, "e2e": true, "allowlist": true, "probe": true}
	evaluators := map[string]bool{"query": true, "matrix": true, "check": true, "diff": true, "tui": true, "audit": true, "allowlist": true, "probe": true,
		"convert": true} // its proof compares matrices, always on the profile that enforces both APIs
	manifests := map[string]bool{"convert": true}
	for _, c := range commands(root) {
		name := c.Name()
		fs := c.Flags()
		if o := fs.Lookup("output"); o != nil {
			assert.Equal(t, "o", o.Shorthand, name)
			want := "table"
			if manifests[name] {
				want = "yaml"
			}
			assert.Equal(t, want, o.DefValue, "%s: -o defaults to %s", name, want)
		}
		if o := fs.ShorthandLookup("o"); o != nil {
			assert.Equal(t, "output", o.Name, "%s: -o is the format", name)
		}
		assert.Equal(t, readers[name], fs.Lookup("filename") != nil, "%s: -f only where a model is read", name)
		assert.Equal(t, profiled[name], fs.Lookup("cni") != nil, "%s: --cni only where verdicts depend on the plugin", name)
		assert.Equal(t, evaluators[name], fs.Lookup("pod-cidr") != nil, "%s: the CIDRs only where verdicts depend on addresses", name)
		assert.Equal(t, evaluators[name], fs.Lookup("zone-label") != nil, "%s: --zone-label only where verdicts depend on zones", name)
		assert.Equal(t, readers[name], fs.Lookup("kubeconfig") != nil, "%s: --kubeconfig reads a model", name)
		assert.Equal(t, actors[name], fs.Lookup("target-context") != nil, "%s: only e2e, apply and probe act on a cluster", name)
		if f := fs.Lookup("namespace"); f != nil {
			assert.Equal(t, "n", f.Shorthand, name)
		}
		assert.Nil(t, c.PersistentFlags().Lookup("kubeconfig"), "%s: no flag is inherited to be shadowed", name)
		assert.Equal(t, name == "gen", fs.Lookup("out") != nil, "%s: --out FILE where a command writes a file", name)
		assert.Equal(t, name == "render", fs.Lookup("out-dir") != nil, "%s: --out-dir DIR where it writes a directory", name)
		fs.VisitAll(func(f *pflag.Flag) {
			if f.Name != "output" {
				assert.NotEqual(t, "o", f.Shorthand, "%s --%s", name, f.Name)
			}
		})
	}
	for _, name := range []string{"matrix", "query", "tui"} {
		c, _, err := root.Find([]string{name})
		require.NoError(t, err)
		assert.NotNil(t, c.Flags().Lookup("namespace"), "%s takes -n", name)
	}
}

func TestHelpListsEveryEndpointForm(t *testing.T) {
	code, out, _ := run("query", "--help")
	require.Equal(t, 0, code)
	for _, form := range []string{"ns/pod", "ns/KIND/name", "zone:Z", "svc:ns/name", "route:ns/name", "node:N", "ext:name", "CIDR", "internet"} {
		assert.Contains(t, out, form)
	}
}

func TestOutputConventions(t *testing.T) {
	_, table, _ := run("query", "from", "internet", "to", "ledger")
	_, text, _ := run("query", "from", "internet", "to", "ledger", "-o", "text")
	assert.Equal(t, table, text, "text is table")
	code, _, stderr := run("matrix", "-o", "yaml")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `unknown output format "yaml": use one of table, json, csv, md, dot`)

	dir := t.TempDir()
	file := filepath.Join(dir, "gen.yaml")
	code, out, stderr := run("gen", "--size", "S", "--out", file)
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, out)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Contains(t, string(data), "kind: NetworkPolicy")

	code, _, stderr = run("render", "-f", "../../scenarios/three-tier/scenario.yaml", "--out-dir", filepath.Join(dir, "rendered"))
	require.Equal(t, 0, code, stderr)
	entries, err := os.ReadDir(filepath.Join(dir, "rendered"))
	require.NoError(t, err)
	assert.NotEmpty(t, entries)

	code, _, stderr = run("gen", "-f", "x.yaml")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "unknown shorthand flag: 'f'")
}

func TestNamespaceNarrows(t *testing.T) {
	code, out, stderr := run("matrix", "-n", "payments", "--level", "workload")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Contains(t, lines[0], "payments/deployment/payments")
	assert.NotContains(t, out, "shop-web/")
	assert.Contains(t, out, "internet", "external blocks stay")

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"matrix", "-n", "payments", "-A"}, "give -n/--namespace or -A/--all-namespaces, not both"},
		{[]string{"matrix", "-n", "payments", "--level", "zone"}, "a zone spans namespaces"},
		{[]string{"matrix", "-n", "paymnts"}, `no namespace "paymnts"; did you mean: payments`},
	} {
		code, _, stderr := run(tt.args...)
		assert.Equal(t, 2, code, tt.args)
		assert.Contains(t, stderr, tt.want, tt.args)
	}

	_, qualified, _ := run("query", "from", "shop-web/deployment/frontend", "to", "svc:payments/payments", "--port", "443")
	code, short, stderr := run("query", "-n", "shop-web", "from", "deploy/frontend", "to", "svc:payments/payments", "--port", "443")
	assert.Equal(t, 0, code, stderr)
	assert.Equal(t, qualified, short)
	code, _, stderr = run("query", "-n", "payments", "from", "pod/payments-0", "to", "svc:payments", "--port", "443")
	assert.NotEqual(t, 2, code, stderr)
}

// e2e and apply act on the cluster of the target flags; without them, on the one read (with a note).
func TestTargetIsNotTheReadFlag(t *testing.T) {
	prod := filepath.Join(t.TempDir(), "prod.kubeconfig")
	require.NoError(t, os.WriteFile(prod, []byte("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"+
		"users: [{name: u, user: {token: t}}]\ncontexts: [{name: prod, context: {cluster: c, user: u}}]\ncurrent-context: prod\n"), 0o600))
	code, _, stderr := run("e2e", "--kubeconfig", prod)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "note: acting on the cluster that is read (kubeconfig "+prod+"); give --target-context to act on another")
	assert.Contains(t, stderr, `context "prod" is not a kind (kind-*) or zonesim lab (zonesim-lab-*) context`)

	code, _, stderr = run("apply", "--target-kubeconfig", prod)
	assert.Equal(t, 2, code)
	assert.NotContains(t, stderr, "note: acting on the cluster that is read")
	assert.Contains(t, stderr, `context "prod" is not a kind`)

	code, _, stderr = run("e2e", "--backend", "lab", "--target-context", "prod")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--target-kubeconfig/--target-context name the cluster of --backend existing, not of --backend lab")
}
