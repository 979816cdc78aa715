package apply_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/apply"
)

// fakeKind puts stand-ins for the kind and docker CLIs first on PATH: they keep clusters as files in a
// directory and log every call, so the kind backend's use of them is checked where no Docker runs.
func fakeKind(t *testing.T, existing ...string) (dir string, calls func() string) {
	t.Helper()
	dir = t.TempDir()
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "clusters"), 0o755))
	require.NoError(t, os.MkdirAll(bin, 0o755))
	for _, c := range existing {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "clusters", c), nil, 0o644))
	}
	kind := `#!/bin/sh
d=` + dir + `
echo "kind $*" >> $d/calls
case "$1 $2" in
"create cluster") touch $d/clusters/$4 ;;
"get clusters") ls $d/clusters ;;
"get kubeconfig") printf 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: kind-%s, context: {cluster: c, user: u}}]\ncurrent-context: kind-%s\n' $4 $4 ;;
"delete cluster") rm $d/clusters/$4 ;;
*) exit 3 ;;
esac
`
	docker := `#!/bin/sh
d=` + dir + `
echo "docker $*" >> $d/calls
[ "$1" = inspect ] && [ -e "$d/clusters/${2%-control-plane}" ]
`
	require.NoError(t, os.WriteFile(filepath.Join(bin, "kind"), []byte(kind), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bin, "docker"), []byte(docker), 0o755))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir, func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "calls"))
		return string(b)
	}
}

func TestKindBackendCreatesAndDeletesItsCluster(t *testing.T) {
	dir, calls := fakeKind(t)
	var log bytes.Buffer
	b, release, err := apply.NewKindBackend(context.Background(), "zs", apply.ExistingOptions{}, &log)
	require.NoError(t, err)
	assert.Equal(t, "existing (context kind-zs)", b.Name())
	assert.FileExists(t, filepath.Join(dir, "clusters", "zs"))
	require.NoError(t, release())
	assert.NoFileExists(t, filepath.Join(dir, "clusters", "zs"))
	assert.Contains(t, calls(), "kind create cluster --name zs")
	assert.Contains(t, calls(), "kind delete cluster --name zs")
	assert.Contains(t, log.String(), "creating the kind cluster zs")
}

func TestKindBackendKeepsAClusterItDidNotCreate(t *testing.T) {
	dir, calls := fakeKind(t, "mine")
	var log bytes.Buffer
	b, release, err := apply.NewKindBackend(context.Background(), "mine", apply.ExistingOptions{}, &log)
	require.NoError(t, err)
	assert.Equal(t, "existing (context kind-mine)", b.Name())
	require.NoError(t, release())
	assert.FileExists(t, filepath.Join(dir, "clusters", "mine"))
	assert.NotContains(t, calls(), "create cluster")
	assert.NotContains(t, calls(), "delete cluster")
	assert.Contains(t, log.String(), "already there (it is not deleted afterwards)")
}
