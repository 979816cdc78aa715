package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gitIn runs git commands in dir, as a committer of its own, failing the test on an error.
func gitIn(t *testing.T, dir string) func(args ...string) {
	return func(args ...string) {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
}

// gitRepo makes a repository: commit 1 holds the two-zone manifests under deploy/, and the same as a
// kustomization base/ with an overlay/ naming ../base; commit 2 is the change (zone B no longer admits
// zone A) in both; the work tree then breaks deploy/ without a commit. The test runs from the repository.
func gitRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	git := gitIn(t, dir)
	write := func(name string, data []byte) {
		t.Helper()
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	src := "../../scenarios/two-zone/manifests"
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		write("deploy/"+e.Name(), data)
		write("base/"+e.Name(), data)
		names = append(names, e.Name())
	}
	write("base/kustomization.yaml", []byte("resources:\n  - "+strings.Join(names, "\n  - ")+"\n"))
	write("overlay/kustomization.yaml", []byte("resources:\n  - ../base\n"))
	out, err := exec.Command("cp", "-r", "../../testdata/realworld/chart", filepath.Join(dir, "chart")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-q", "-m", "zones")
	data, err := os.ReadFile(filepath.Join(src, "policies.yaml"))
	require.NoError(t, err)
	at := strings.Index(string(data), "namespace: payments")
	text := string(data)[:at] + strings.Replace(string(data)[at:], "    - from:\n        - namespaceSelector:\n            matchLabels:\n              network-zone: A\n", "", 1)
	require.NotEqual(t, string(data), text)
	write("deploy/policies.yaml", []byte(text))
	write("base/policies.yaml", []byte(text))
	git("commit", "-q", "-am", "zone B no longer admits zone A")
	write("deploy/policies.yaml", []byte("kind: NetworkPolicy\nspec: [\n")) // uncommitted: git sources never see it
	t.Chdir(dir)
	return dir
}

// Any manifest source can be a git revision: -f, -k and diff's --base, read without touching the work
// tree, with every file named git:REV:PATH.
func TestGitSources(t *testing.T) {
	gitRepo(t)
	code, out, stderr := run("diff", "--base", "git:HEAD~1:deploy/", "-f", "git:HEAD:deploy/", "--level", "workload")
	assert.Equal(t, 1, code, stderr)
	assert.Equal(t, "workload matrix: 2 of 48 cells changed, 0 node(s) added, 0 removed\n\n"+
		"FROM                          TO                            BEFORE  AFTER\n"+
		"shop-api/deployment/catalog   payments/deployment/payments  all     -\n"+
		"  pair shop-api/catalog-0 -> payments/payments-0\n"+
		"    - payments/network-zone-b ingress[1] allows (git:HEAD~1:deploy/policies.yaml:52)\n"+
		"shop-web/deployment/frontend  payments/deployment/payments  all     -\n"+
		"  pair shop-web/frontend-0 -> payments/payments-0\n"+
		"    - payments/network-zone-b ingress[1] allows (git:HEAD~1:deploy/policies.yaml:52)\n", out)

	// The work tree's broken file is what -f deploy/ reads; the revision's is not.
	code, _, stderr = run("matrix", "-f", "deploy/")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "deploy/policies.yaml")

	// A kustomization at a revision, naming a base outside its directory (../base).
	code, out, stderr = run("query", "-k", "git:HEAD~1:overlay", "from", "shop-web", "to", "payments", "--port", "443")
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "ALLOWED")
	code, out, stderr = run("query", "-k", "git:HEAD:overlay", "from", "shop-web", "to", "payments", "--port", "443")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, out, "DENIED")

	// A chart at a revision; the explanation names its template there.
	code, out, stderr = run("query", "--chart", "git:HEAD:chart/shop", "--values", "chart/values-prod.yaml", "-n", "shop", "from", "internet", "to", "shop/deployment/release-name-shop")
	assert.NotEqual(t, 2, code, stderr)
	assert.Contains(t, out, "git:HEAD:chart/shop/templates/networkpolicy.yaml")

	// The whole tree of a revision, and the errors that name what is wrong.
	code, _, stderr = run("matrix", "-f", "git:HEAD")
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "git:HEAD:overlay: a kustomization: build it with -k git:HEAD:overlay")
	for _, tt := range []struct{ source, want string }{
		{"git:nope:deploy", "git:nope: no such revision in the repository"},
		{"git:HEAD:missing", "git:HEAD:missing: no such path at HEAD (commit "},
		{"git::deploy", "git::deploy: no revision"},
	} {
		code, _, stderr = run("matrix", "-f", tt.source)
		assert.Equal(t, 2, code, tt.source)
		assert.Contains(t, stderr, tt.want, tt.source)
	}
}

// A scenario read from a revision finds the files its spec.include names at that revision.
func TestGitScenarioReadsItsIncludes(t *testing.T) {
	dir := t.TempDir()
	git := gitIn(t, dir)
	out, err := exec.Command("cp", "-r", "../../scenarios/two-zone", filepath.Join(dir, "deploy")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "deploy/testdata")))
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-q", "-m", "zones")
	t.Chdir(dir)
	for _, base := range []string{"git:main:deploy/scenario.yaml", "git:main:deploy/"} {
		code, stdout, stderr := run("diff", "--base", base, "-f", "deploy/scenario.yaml")
		assert.Equal(t, 0, code, "%s: %s", base, stderr)
		assert.Contains(t, stdout, "namespace matrix: no change (48 cells compared)", base)
	}
}
