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

// component is one program built from the Go module proxy.
type component struct {
	name, version, pkg string
	goMod              func(ctx context.Context) (string, error)
	ldflags            string
	versionArgs        []string
	wantVersion        string
}

func (c component) path() string {
	return filepath.Join(CacheDir(), "bin", c.name+"-"+c.version)
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
		comp component
		dst  *string
	}{{apiServerComponent(), &b.APIServer}, {kubeRouterComponent(), &b.KubeRouter}} {
		p, err := ensure(ctx, c.comp, log)
		if err != nil {
			return Binaries{}, err
		}
		*c.dst = p
	}
	return b, nil
}

func apiServerComponent() component {
	v := strings.TrimPrefix(KubernetesVersion, "v")
	parts := strings.Split(v, ".")
	ld := []string{
		"-X k8s.io/component-base/version.gitVersion=" + KubernetesVersion,
		"-X k8s.io/component-base/version.gitMajor=" + parts[0],
		"-X k8s.io/component-base/version.gitMinor=" + parts[1],
		"-X k8s.io/component-base/version.gitTreeState=clean",
		"-X k8s.io/client-go/pkg/version.gitVersion=" + KubernetesVersion,
	}
	return component{
		name: "kube-apiserver", version: KubernetesVersion, pkg: "k8s.io/kubernetes/cmd/kube-apiserver",
		ldflags: strings.Join(ld, " "), versionArgs: []string{"--version"}, wantVersion: "Kubernetes " + KubernetesVersion,
		goMod: func(ctx context.Context) (string, error) {
			// k8s.io/kubernetes replaces its staging modules with local paths; point each at its release.
			staging, err := stagingModules(ctx, "k8s.io/kubernetes@"+KubernetesVersion)
			if err != nil {
				return "", err
			}
			stagingVersion := "v0." + strings.Join(parts[1:], ".")
			var b strings.Builder
			fmt.Fprintf(&b, "module zonesim.dev/lab/kube-apiserver\n\ngo 1.26\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n", KubernetesVersion)
			for _, m := range staging {
				fmt.Fprintf(&b, "\t%s => %s %s\n", m, m, stagingVersion)
			}
			b.WriteString(")\n")
			return b.String(), nil
		},
	}
}

func kubeRouterComponent() component {
	return component{
		name: "kube-router", version: KubeRouterVersion, pkg: "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router",
		versionArgs: []string{"--version"}, wantVersion: KubeRouterVersion,
		goMod: func(context.Context) (string, error) {
			return "module zonesim.dev/lab/kube-router\n\ngo 1.26\n\nrequire github.com/cloudnativelabs/kube-router/v2 " + KubeRouterVersion +
				"\n\n// kube-router " + KubeRouterVersion + " needs this netlink release to build.\nreplace github.com/vishvananda/netlink => github.com/vishvananda/netlink v1.3.1\n", nil
		},
		ldflags: "-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=" + KubeRouterVersion,
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

// ensure returns a cached binary that reports the pinned version, building it when absent.
func ensure(ctx context.Context, c component, log io.Writer) (string, error) {
	bin := c.path()
	if verify(ctx, bin, c) == nil {
		return bin, nil
	}
	fmt.Fprintf(log, "building %s %s from the Go module proxy into %s (once; several minutes)\n", c.name, c.version, bin)
	src := filepath.Join(CacheDir(), "src", c.name+"-"+c.version)
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	gomod, err := c.goMod(ctx)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte(gomod), 0o644); err != nil {
		return "", err
	}
	tools := "//go:build tools\n\npackage tools\n\nimport _ \"" + c.pkg + "\"\n"
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
			return fmt.Errorf("go %s for %s: %w\n%s", args[0], c.name, err, tail(out.String(), 20))
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
	if err := run("build", "-trimpath", "-ldflags", c.ldflags, "-o", tmp, c.pkg); err != nil {
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

func verify(ctx context.Context, bin string, c component) error {
	out, err := exec.CommandContext(ctx, bin, c.versionArgs...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %v: %w", bin, c.versionArgs, err)
	}
	if !strings.Contains(string(out), c.wantVersion) {
		return fmt.Errorf("%s reports %q, want %s", bin, strings.TrimSpace(string(out)), c.wantVersion)
	}
	return nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
