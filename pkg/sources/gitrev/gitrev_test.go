package gitrev_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zonesim/zonesim/pkg/sources/gitrev"
)

// repo makes a git repository with two commits: v1 holds deploy/a.yaml and base/k.yaml, v2 changes
// deploy/a.yaml, adds deploy/b.yaml and leaves an uncommitted change in the work tree.
func repo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	write := func(name, text string) {
		t.Helper()
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	git("init", "-q", "-b", "main")
	write("deploy/a.yaml", "v1\n")
	write("base/k.yaml", "base\n")
	write(".gitattributes", "deploy/* export-ignore\n") // ls-tree and cat-file ignore attributes
	git("add", ".")
	git("commit", "-q", "-m", "v1")
	git("tag", "v1")
	write("deploy/a.yaml", "v2\n")
	write("deploy/b.yaml", "b\n")
	git("add", ".")
	git("commit", "-q", "-m", "v2")
	write("deploy/a.yaml", "work tree\n")
	return dir
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    gitrev.Spec
		wantErr string
	}{
		{"git:origin/main:deploy/", gitrev.Spec{Rev: "origin/main", Path: "deploy/"}, ""},
		{"git:HEAD~1", gitrev.Spec{Rev: "HEAD~1"}, ""},
		{"git:v1:a:b.yaml", gitrev.Spec{Rev: "v1", Path: "a:b.yaml"}, ""},
		{"git::deploy", gitrev.Spec{}, "no revision"},
		{"git:--output=x", gitrev.Spec{}, "a revision does not start with -"},
		{"deploy/", gitrev.Spec{}, "not a git source"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := gitrev.Parse(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRead(t *testing.T) {
	dir := repo(t)
	ctx := context.Background()
	read := func(t *testing.T, from, source string, paths ...string) *gitrev.Tree {
		t.Helper()
		s, err := gitrev.Parse(source)
		require.NoError(t, err)
		tree, err := gitrev.Read(ctx, from, s, paths...)
		require.NoError(t, err)
		t.Cleanup(func() { _ = tree.Remove() })
		return tree
	}
	content := func(t *testing.T, path string) string {
		t.Helper()
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		return string(b)
	}

	tree := read(t, dir, "git:v1:deploy", "deploy")
	assert.Equal(t, "v1\n", content(t, tree.Local(gitrev.Spec{Rev: "v1", Path: "deploy/a.yaml"})))
	assert.NoFileExists(t, filepath.Join(tree.Dir, "base/k.yaml"), "only the path asked for")
	assert.NoFileExists(t, filepath.Join(tree.Dir, "deploy/b.yaml"), "b came later")

	tree = read(t, dir, "git:HEAD")
	assert.Equal(t, "v2\n", content(t, tree.Local(gitrev.Spec{Path: "deploy/a.yaml"})), "the commit, not the work tree")
	assert.Equal(t, "base\n", content(t, tree.Local(gitrev.Spec{Path: "base/k.yaml"})))
	assert.Equal(t, "work tree\n", content(t, filepath.Join(dir, "deploy/a.yaml")), "the work tree is untouched")
	assert.Equal(t, "git:HEAD:deploy/a.yaml", tree.Display(filepath.Join(tree.Dir, "deploy/a.yaml")))

	// From a subdirectory, paths are relative to it, as -f's are.
	tree = read(t, filepath.Join(dir, "deploy"), "git:HEAD~1")
	assert.Equal(t, "v1\n", content(t, tree.Local(gitrev.Spec{Path: "a.yaml"})))
	assert.Equal(t, "git:HEAD~1:a.yaml", tree.Display(tree.Local(gitrev.Spec{Path: "a.yaml"})))
	assert.Equal(t, "kustomization git:HEAD~1:../base/k.yaml: bad", tree.Display("kustomization "+filepath.Join(tree.Dir, "base/k.yaml")+": bad"))

	for _, tt := range []struct{ from, source, path, want string }{
		{dir, "git:nope", "", "git:nope: no such revision in the repository"},
		{dir, "git:v1:missing", "missing", "git:v1:missing: no such path at v1 (commit "},
		{dir, "git:v1:../..", "../..", "git:v1:../..: outside the repository"},
		{t.TempDir(), "git:HEAD", "", "is not in a git repository"},
	} {
		s, err := gitrev.Parse(tt.source)
		require.NoError(t, err)
		var paths []string
		if tt.path != "" {
			paths = []string{tt.path}
		}
		_, err = gitrev.Read(ctx, tt.from, s, paths...)
		require.Error(t, err, tt.source)
		assert.Contains(t, err.Error(), tt.want)
	}
}

// Parse never panics, and what it accepts is a revision git will not read as an option.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"git:origin/main:deploy/", "git:HEAD", "git::x", "git:-x", "git:a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := gitrev.Parse(in)
		if err != nil {
			return
		}
		if s.Rev == "" || s.Rev[0] == '-' || strings.Contains(s.Rev, ":") {
			t.Fatalf("accepted revision %q from %q", s.Rev, in)
		}
	})
}
