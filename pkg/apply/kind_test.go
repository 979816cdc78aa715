package apply_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/apply"
)

// fakeKind puts stand-ins for the kind, docker and podman CLIs first on PATH: they keep clusters as files
// in a directory and log every call, so the kind backend's use of them is checked where no Docker runs.
// The engines named in down do not answer.
func fakeKind(t *testing.T, down []string, existing ...string) (dir string, calls func() string) {
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
"create cluster") touch $d/clusters/$4 $d/network; shift 4; [ "$1" = --config ] && cp "$2" $d/config; echo "provider=$KIND_EXPERIMENTAL_PROVIDER" >> $d/calls ;;
"load image-archive") ;;
"get clusters") ls $d/clusters ;;
"get kubeconfig") printf 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: kind-%s, context: {cluster: c, user: u}}]\ncurrent-context: kind-%s\n' $4 $4 ;;
"delete cluster") rm $d/clusters/$4 ;;
*) exit 3 ;;
esac
`
	require.NoError(t, os.WriteFile(filepath.Join(bin, "kind"), []byte(kind), 0o755))
	for _, engine := range []string{"docker", "podman"} {
		answers := "exit 0"
		if slices.Contains(down, engine) {
			answers = "echo 'Cannot connect to the engine' >&2; exit 1"
		}
		script := `#!/bin/sh
d=` + dir + `
echo "` + engine + ` $*" >> $d/calls
case "$1 $2" in
"info "*) ` + answers + ` ;;
"inspect "*) [ -e "$d/clusters/${2%-control-plane}" ] ;;
"network inspect") [ -e "$d/network" ] ;;
"network rm") rm "$d/network" ;;
"image inspect") case "$3" in *missing*) exit 1 ;; esac ;;
esac
`
		require.NoError(t, os.WriteFile(filepath.Join(bin, engine), []byte(script), 0o755))
	}
	t.Setenv("KIND_EXPERIMENTAL_PROVIDER", "")
	t.Setenv("CONTAINERS_CONF", "")
	t.Setenv("ZONESIM_CACHE", filepath.Join(dir, "cache"))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir, func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "calls"))
		return string(b)
	}
}

func TestKindBackendCreatesAndDeletesItsCluster(t *testing.T) {
	dir, calls := fakeKind(t, nil)
	var log bytes.Buffer
	b, release, err := apply.NewKindBackend(context.Background(), apply.KindOptions{Name: "zs", Workers: 1}, apply.ExistingOptions{}, &log)
	require.NoError(t, err)
	assert.Equal(t, "kind (cluster zs, docker)", b.Name())
	kubeconfig := b.Options().Kubeconfig
	assert.FileExists(t, kubeconfig)
	assert.FileExists(t, filepath.Join(dir, "clusters", "zs"))
	require.NoError(t, release())
	assert.NoFileExists(t, filepath.Join(dir, "clusters", "zs"))
	assert.Contains(t, calls(), "kind create cluster --name zs")
	assert.Contains(t, calls(), "provider=docker")
	assert.Contains(t, calls(), "kind delete cluster --name zs")
	assert.Contains(t, log.String(), "creating the kind cluster zs")
	assert.Contains(t, calls(), "docker network rm kind", "the network kind made is removed")
	assert.NoFileExists(t, kubeconfig)
	assert.NoFileExists(t, filepath.Join(dir, "network"))
}

func TestKindBackendLeavesANetworkItFound(t *testing.T) {
	dir, calls := fakeKind(t, nil)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "network"), nil, 0o644))
	_, release, err := apply.NewKindBackend(context.Background(), apply.KindOptions{Name: "zs"}, apply.ExistingOptions{}, io.Discard)
	require.NoError(t, err)
	require.NoError(t, release())
	assert.NotContains(t, calls(), "network rm")
	assert.FileExists(t, filepath.Join(dir, "network"))
}

func TestKindBackendKeepsAClusterItDidNotCreate(t *testing.T) {
	dir, calls := fakeKind(t, nil, "mine")
	var log bytes.Buffer
	b, release, err := apply.NewKindBackend(context.Background(), apply.KindOptions{Name: "mine"}, apply.ExistingOptions{}, &log)
	require.NoError(t, err)
	assert.Equal(t, "kind (cluster mine, docker)", b.Name())
	require.NoError(t, release())
	assert.FileExists(t, filepath.Join(dir, "clusters", "mine"))
	assert.NotContains(t, calls(), "create cluster")
	assert.NotContains(t, calls(), "delete cluster")
	assert.Contains(t, log.String(), "already there (it is not deleted afterwards;")
	assert.NoFileExists(t, b.Options().Kubeconfig, "the kubeconfig written for the run is removed")
}

func TestKindBackendRunsOnPodmanWhenDockerDoesNotAnswer(t *testing.T) {
	if _, err := os.Stat("/lib/modules"); err != nil {
		t.Skip("kind with podman needs /lib/modules on the host")
	}
	dir, calls := fakeKind(t, []string{"docker"})
	archive := filepath.Join(dir, "probe.tar")
	require.NoError(t, os.WriteFile(archive, nil, 0o644))
	var log bytes.Buffer
	_, release, err := apply.NewKindBackend(context.Background(), apply.KindOptions{Name: "zs", Image: "localhost/node:v1", Load: []string{archive}},
		apply.ExistingOptions{}, &log)
	require.NoError(t, err)
	require.NoError(t, release())
	assert.Contains(t, calls(), "kind create cluster --name zs --config")
	assert.Contains(t, calls(), "--image localhost/node:v1")
	assert.Contains(t, calls(), "provider=podman")
	assert.Contains(t, calls(), "kind load image-archive --name zs "+archive)
	assert.Contains(t, log.String(), "creating the kind cluster zs with podman")
}

func TestKindBackendErrors(t *testing.T) {
	tests := []struct {
		name string
		down []string
		opts apply.KindOptions
		want string
	}{
		{"no engine answers", []string{"docker", "podman"}, apply.KindOptions{Name: "zs"},
			"--backend kind needs a container engine for its nodes, and none answers (docker info: exit status 1: Cannot connect to the engine; podman info: exit status 1: Cannot connect to the engine); use --backend lab"},
		{"the engine asked for does not answer", []string{"docker"}, apply.KindOptions{Name: "zs", Provider: "docker"},
			"docker info: exit status 1: Cannot connect to the engine"},
		{"unknown provider", nil, apply.KindOptions{Name: "zs", Provider: "lxd"}, `unknown kind provider "lxd": use docker or podman`},
		{"missing archive", nil, apply.KindOptions{Name: "zs", Load: []string{"/nonexistent/probe.tar"}},
			"--kind-load: stat /nonexistent/probe.tar: no such file or directory"},
		{"a node image that was not built", nil, apply.KindOptions{Name: "zs", Image: "localhost/zonesim/missing:v1"},
			"the node image localhost/zonesim/missing:v1 is not in docker's images: build it (make kind-image) or give another --kind-image"},
		{"only an existing cluster, and there is none", nil, apply.KindOptions{Name: "zs", Existing: true},
			"no kind cluster zs (docker has no container zs-control-plane)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, calls := fakeKind(t, tt.down)
			_, release, err := apply.NewKindBackend(context.Background(), tt.opts, apply.ExistingOptions{}, io.Discard)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			require.NoError(t, release())
			assert.NotContains(t, calls(), "create cluster")
		})
	}
}

func TestKindConfig(t *testing.T) {
	assert.Equal(t, "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n", apply.KindConfig(0, false))
	assert.Equal(t, `kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
- role: control-plane
- role: worker
- role: worker
kubeadmConfigPatches:
- |
  kind: KubeletConfiguration
  failCgroupV1: false
`, apply.KindConfig(2, true))
}
