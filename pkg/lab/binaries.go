// Package lab runs a real Kubernetes control plane and NetworkPolicy enforcer on this machine without
// Docker (../shared/LOCAL-CLUSTER.md): etcd, kube-apiserver and kube-router as processes, pods as network
// namespaces wired with veth pairs, and a kubeconfig for kubectl and client-go users.
package lab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// Pinned versions of what the lab runs.
const (
	KubernetesVersion = "v1.37.2"
	KubeRouterVersion = "v2.10.0"
)

// Binaries are the paths of the lab's programs.
type Binaries struct {
	Etcd, APIServer, KubeRouter string
}

// CacheDir is where built binaries and their build modules live, outside any repository:
// $ZONESIM_CACHE, else ~/.cache/zonesim.
func CacheDir() string {
	if d := os.Getenv("ZONESIM_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "zonesim")
	}
	return filepath.Join(os.TempDir(), "zonesim-cache")
}

// GoProgram is a program built from the Go module proxy and kept in the cache by version.
type GoProgram struct {
	Name, Version, Package string
	// GoMod is the go.mod of the module the program is built in (it requires the program's module).
	GoMod   func(ctx context.Context) (string, error)
	LDFlags string
	// VersionArgs make the program print WantVersion; a cached binary that does not is built again.
	VersionArgs []string
	WantVersion string
}

// Path is where the built program is kept.
func (c GoProgram) Path() string {
	return filepath.Join(CacheDir(), "bin", c.Name+"-"+c.Version)
}

// EnsureBinaries returns the lab's programs, building kube-apiserver and kube-router once per version
// (cold: about 15 minutes on two cores) and reusing them after. etcd comes from the system (Debian's
// etcd-server package).
func EnsureBinaries(ctx context.Context, log io.Writer) (Binaries, error) {
	etcd, err := exec.LookPath("etcd")
	if err != nil {
		return Binaries{}, fmt.Errorf("etcd not found: install it (apt-get install -y etcd-server) or put it on PATH")
	}
	b := Binaries{Etcd: etcd}
	for _, c := range []struct {
		comp GoProgram
		dst  *string
	}{{KubernetesProgram("kube-apiserver"), &b.APIServer}, {KubeRouterProgram(), &b.KubeRouter}} {
		p, err := c.comp.Ensure(ctx, log)
		if err != nil {
			return Binaries{}, err
		}
		*c.dst = p
	}
	return b, nil
}

// KubernetesProgram is a command of k8s.io/kubernetes at KubernetesVersion (cmd/<name>, or a package path
// below k8s.io/kubernetes/).
func KubernetesProgram(name string) GoProgram {
	v := strings.TrimPrefix(KubernetesVersion, "v")
	parts := strings.Split(v, ".")
	ld := []string{
		"-X k8s.io/component-base/version.gitVersion=" + KubernetesVersion,
		"-X k8s.io/component-base/version.gitMajor=" + parts[0],
		"-X k8s.io/component-base/version.gitMinor=" + parts[1],
		"-X k8s.io/component-base/version.gitTreeState=clean",
		"-X k8s.io/client-go/pkg/version.gitVersion=" + KubernetesVersion,
	}
	pkg := "k8s.io/kubernetes/cmd/" + name
	if strings.Contains(name, "/") {
		pkg, name = "k8s.io/kubernetes/"+name, path.Base(name)
	}
	return GoProgram{
		Name: name, Version: KubernetesVersion, Package: pkg,
		LDFlags: strings.Join(ld, " "), VersionArgs: []string{"--version"}, WantVersion: "Kubernetes " + KubernetesVersion,
		GoMod: func(ctx context.Context) (string, error) {
			// k8s.io/kubernetes replaces its staging modules with local paths; point each at its release.
			staging, err := stagingModules(ctx, "k8s.io/kubernetes@"+KubernetesVersion)
			if err != nil {
				return "", err
			}
			stagingVersion := "v0." + strings.Join(parts[1:], ".")
			var b strings.Builder
			fmt.Fprintf(&b, "module zonesim.dev/lab/%s\n\ngo 1.26\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n", name, KubernetesVersion)
			for _, m := range staging {
				fmt.Fprintf(&b, "\t%s => %s %s\n", m, m, stagingVersion)
			}
			b.WriteString(")\n")
			return b.String(), nil
		},
	}
}

// KubeRouterProgram is kube-router at KubeRouterVersion.
func KubeRouterProgram() GoProgram {
	return GoProgram{
		Name: "kube-router", Version: KubeRouterVersion, Package: "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router",
		VersionArgs: []string{"--version"}, WantVersion: KubeRouterVersion,
		GoMod: func(context.Context) (string, error) {
			return "module zonesim.dev/lab/kube-router\n\ngo 1.26\n\nrequire github.com/cloudnativelabs/kube-router/v2 " + KubeRouterVersion +
				"\n\n// kube-router " + KubeRouterVersion + " needs this netlink release to build.\nreplace github.com/vishvananda/netlink => github.com/vishvananda/netlink v1.3.1\n", nil
		},
		LDFlags: "-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=" + KubeRouterVersion,
	}
}

// stagingModules lists the modules k8s.io/kubernetes replaces with ./staging paths.
func stagingModules(ctx context.Context, modVersion string) ([]string, error) {
	out, err := exec.CommandContext(ctx, "go", "mod", "download", "-json", modVersion).Output()
	if err != nil {
		return nil, fmt.Errorf("go mod download %s: %w", modVersion, err)
	}
	var info struct{ GoMod string }
	if err := json.Unmarshal(out, &info); err != nil {
		return nil, err
	}
	f, err := os.Open(info.GoMod)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var mods []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 3 && fields[1] == "=>" && strings.HasPrefix(fields[2], "./staging/") {
			mods = append(mods, fields[0])
		}
	}
	return mods, sc.Err()
}

// Ensure returns the cached binary when it reports the pinned version, and builds it when not.
func (c GoProgram) Ensure(ctx context.Context, log io.Writer) (string, error) {
	bin := c.Path()
	if verify(ctx, bin, c) == nil {
		return bin, nil
	}
	fmt.Fprintf(log, "building %s %s from the Go module proxy into %s (once; several minutes)\n", c.Name, c.Version, bin)
	src := filepath.Join(CacheDir(), "src", c.Name+"-"+c.Version)
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	gomod, err := c.GoMod(ctx)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte(gomod), 0o644); err != nil {
		return "", err
	}
	tools := "//go:build tools\n\npackage tools\n\nimport _ \"" + c.Package + "\"\n"
	if err := os.WriteFile(filepath.Join(src, "tools.go"), []byte(tools), 0o644); err != nil {
		return "", err
	}
	run := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go %s for %s: %w\n%s", args[0], c.Name, err, LastLines(out.String(), 20))
		}
		return nil
	}
	if err := run("mod", "tidy"); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	tmp := bin + ".tmp"
	if err := run("build", "-trimpath", "-ldflags", c.LDFlags, "-o", tmp, c.Package); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	if err := verify(ctx, bin, c); err != nil {
		return "", err
	}
	return bin, nil
}

func verify(ctx context.Context, bin string, c GoProgram) error {
	out, err := exec.CommandContext(ctx, bin, c.VersionArgs...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %v: %w", bin, c.VersionArgs, err)
	}
	if !strings.Contains(string(out), c.WantVersion) {
		return fmt.Errorf("%s reports %q, want %s", bin, strings.TrimSpace(string(out)), c.WantVersion)
	}
	return nil
}

// LastLines is the last n lines of s, for error messages that quote a command's output.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
