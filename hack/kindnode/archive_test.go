package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readTar returns the regular files of a tar by name, and every name in order.
func readTar(t *testing.T, data []byte) (map[string][]byte, []string) {
	t.Helper()
	files, names := map[string][]byte{}, []string(nil)
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, names
		}
		require.NoError(t, err)
		names = append(names, h.Name)
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			require.NoError(t, err)
			files[h.Name] = b
		}
	}
}

func TestWriteArchiveIsADockerArchive(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	require.NoError(t, os.MkdirAll(filepath.Join(tree, "usr", "sbin"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(tree, "usr", "sbin", "iptables"), []byte("ipt"), 0o755))
	require.NoError(t, os.Symlink("iptables", filepath.Join(tree, "usr", "sbin", "ip6tables")))
	bin := filepath.Join(dir, "prog")
	require.NoError(t, os.WriteFile(bin, []byte("binary"), 0o700))
	img := image{ref: "registry.example/prog:v1", entrypoint: []string{"/usr/local/bin/prog"}, layers: []layer{
		{trees: map[string]string{"/": tree}},
		{files: map[string]hostFile{"/usr/local/bin/prog": {src: bin, mode: 0o755}, "/etc/passwd": {data: []byte("root:x:0:0::/:/bin/sh\n")}}},
	}}
	out := filepath.Join(dir, "prog.tar")
	require.NoError(t, writeArchive(img, dir, out))
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	files, _ := readTar(t, data)

	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	require.NoError(t, json.Unmarshal(files["manifest.json"], &manifest))
	require.Len(t, manifest, 1)
	assert.Equal(t, []string{"registry.example/prog:v1"}, manifest[0].RepoTags)
	require.Len(t, manifest[0].Layers, 2)
	var config struct {
		Config struct{ Entrypoint []string }
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	configSum := sha256.Sum256(files[manifest[0].Config])
	assert.Equal(t, hex.EncodeToString(configSum[:])+".json", manifest[0].Config, "the config is named by its digest")
	require.NoError(t, json.Unmarshal(files[manifest[0].Config], &config))
	assert.Equal(t, []string{"/usr/local/bin/prog"}, config.Config.Entrypoint)
	for i, name := range manifest[0].Layers {
		sum := sha256.Sum256(files[name])
		assert.Equal(t, "sha256:"+hex.EncodeToString(sum[:]), config.RootFS.DiffIDs[i], "layer %d's diff ID is its digest", i)
	}

	base, baseNames := readTar(t, files[manifest[0].Layers[0]])
	assert.Equal(t, []string{"usr/", "usr/sbin/", "usr/sbin/ip6tables", "usr/sbin/iptables"}, baseNames)
	assert.Equal(t, []byte("ipt"), base["usr/sbin/iptables"])
	top, topNames := readTar(t, files[manifest[0].Layers[1]])
	assert.Equal(t, []string{"etc/", "etc/passwd", "usr/", "usr/local/", "usr/local/bin/", "usr/local/bin/prog"}, topNames)
	assert.Equal(t, []byte("binary"), top["usr/local/bin/prog"])

	// The same inputs give the same archive.
	again := filepath.Join(dir, "again.tar")
	require.NoError(t, writeArchive(img, dir, again))
	data2, err := os.ReadFile(again)
	require.NoError(t, err)
	assert.Equal(t, sha256.Sum256(data), sha256.Sum256(data2))
}

func TestArchiveName(t *testing.T) {
	assert.Equal(t, "registry.k8s.io_coredns_coredns_v1.14.6.tar", archiveName("registry.k8s.io/coredns/coredns:v1.14.6"))
}
