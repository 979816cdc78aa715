package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// An image is written as a docker archive (what `docker save` writes, and what `ctr images import` and
// `kind load image-archive` read): manifest.json naming the image, its config, and one tar per layer.
type image struct {
	ref        string // registry/name:tag, as kubeadm and the manifests name it
	entrypoint []string
	env        []string
	layers     []layer
}

// A layer is the files it adds: host files at paths of the image, and whole host directories.
type layer struct {
	files map[string]hostFile // image path (absolute) -> file
	trees map[string]string   // image directory -> host directory copied into it
}

type hostFile struct {
	src  string      // a host path, or "" with data
	data []byte      // the content when src is ""
	mode fs.FileMode // 0: the host file's mode
}

// epoch is every entry's time, so that an image built twice from the same files is the same image.
var epoch = time.Unix(0, 0).UTC()

// writeLayer writes l as a tar: parent directories first, then each path in order.
func writeLayer(w io.Writer, l layer) error {
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	mkdirs := func(p string) error {
		var parents []string
		for d := path.Dir(p); d != "/" && d != "." && !dirs[d]; d = path.Dir(d) {
			parents = append(parents, d)
		}
		for i := len(parents) - 1; i >= 0; i-- {
			d := parents[i]
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(d, "/") + "/", Mode: 0o755, ModTime: epoch}); err != nil {
				return err
			}
		}
		return nil
	}
	for _, dst := range sortedKeys(l.trees) {
		if err := writeTree(tw, l.trees[dst], dst, dirs, mkdirs); err != nil {
			return err
		}
	}
	for _, dst := range sortedKeys(l.files) {
		f := l.files[dst]
		if err := mkdirs(dst); err != nil {
			return err
		}
		data, mode := f.data, f.mode
		if f.src != "" {
			info, err := os.Stat(f.src)
			if err != nil {
				return err
			}
			if data, err = os.ReadFile(f.src); err != nil {
				return err
			}
			if mode == 0 {
				mode = info.Mode().Perm()
			}
		}
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(dst, "/"), Mode: int64(mode.Perm()), Size: int64(len(data)), ModTime: epoch}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	return tw.Close()
}

// writeTree adds the host directory src at dst, keeping modes, owners, links and device nodes.
func writeTree(tw *tar.Writer, src, dst string, dirs map[string]bool, mkdirs func(string) error) error {
	if err := mkdirs(path.Join(dst, "x")); err != nil {
		return err
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		name := path.Join(dst, filepath.ToSlash(rel))
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = strings.TrimPrefix(name, "/")
		if info.IsDir() {
			hdr.Name += "/"
			dirs[name] = true
		}
		hdr.Uname, hdr.Gname = "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(tw, f); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeArchive writes img as a docker archive to file out; its layers are first written to dir.
func writeArchive(img image, dir, out string) error {
	type layerFile struct{ name, digest string }
	var layers []layerFile
	for i, l := range img.layers {
		f, err := os.CreateTemp(dir, fmt.Sprintf("layer-%d-*.tar", i))
		if err != nil {
			return err
		}
		tmp := f.Name()
		h := sha256.New()
		err = writeLayer(io.MultiWriter(f, h), l)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("layer %d of %s: %w", i, img.ref, err)
		}
		layers = append(layers, layerFile{tmp, hex.EncodeToString(h.Sum(nil))})
	}
	diffIDs := make([]string, len(layers))
	for i, l := range layers {
		diffIDs[i] = "sha256:" + l.digest
	}
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "created": epoch.Format(time.RFC3339),
		"config": map[string]any{"Entrypoint": img.entrypoint, "Env": append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, img.env...), "WorkingDir": "/"},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	if err != nil {
		return err
	}
	configSum := sha256.Sum256(config)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	manifest := []map[string]any{{"Config": configName, "RepoTags": []string{img.ref}, "Layers": layerNames(layers, func(l layerFile) string { return l.digest + "/layer.tar" })}}
	mdata, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	tw := tar.NewWriter(f)
	put := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: epoch}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := put(configName, config); err != nil {
		return err
	}
	for _, l := range layers {
		info, err := os.Stat(l.name)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: l.digest + "/", Mode: 0o755, ModTime: epoch}); err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: l.digest + "/layer.tar", Mode: 0o644, Size: info.Size(), ModTime: epoch}); err != nil {
			return err
		}
		lf, err := os.Open(l.name)
		if err != nil {
			return err
		}
		_, err = io.Copy(tw, lf)
		lf.Close()
		os.Remove(l.name)
		if err != nil {
			return err
		}
	}
	if err := put("manifest.json", mdata); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), out)
}

func layerNames[T any](ls []T, name func(T) string) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = name(l)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
