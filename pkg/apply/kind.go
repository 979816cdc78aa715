package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/zonesim/zonesim/pkg/lab"
	"github.com/zonesim/zonesim/pkg/model"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/e2e-framework/support/kind"
)

// KindVersion is the kind release e2e-framework installs (go install) when no kind CLI is found.
const KindVersion = "v0.33.0"

// KindOptions say how the kind backend makes its cluster.
type KindOptions struct {
	Name string // the cluster
	// Image is the node image (kind create cluster --image); empty: kind's default, which is pulled.
	Image string
	// Provider runs the nodes: docker or podman; empty: docker when its engine answers, else podman.
	Provider string
	Workers  int // worker nodes beside the control plane
	// Load are image archives (docker save / podman save) loaded into every node before pods run, for
	// images no registry serves (kind load image-archive).
	Load []string
	// Existing uses the cluster only if it is there, and never creates one (apply --delete).
	Existing bool
}

// kindProviders are the container engines kind runs nodes in.
var kindProviders = []string{"docker", "podman"}

// pickKindProvider returns the provider asked for, or the first whose engine answers.
func pickKindProvider(ctx context.Context, asked string) (string, error) {
	if asked != "" {
		if !slices.Contains(kindProviders, asked) {
			return "", fmt.Errorf("unknown kind provider %q: use docker or podman", asked)
		}
		return asked, engineAnswers(ctx, asked)
	}
	var tried []string
	for _, p := range kindProviders {
		err := engineAnswers(ctx, p)
		if err == nil {
			return p, nil
		}
		tried = append(tried, err.Error())
	}
	return "", fmt.Errorf("--backend kind needs a container engine for its nodes, and none answers (%s); use --backend lab", strings.Join(tried, "; "))
}

// podman's default limits for the containers of root, which kind's nodes are.
const podmanNofile, podmanNproc = 1048576, 4194304

// PodmanLimits gives podman's containers this host's limits where they are below podman's defaults (every
// container then fails in setrlimit: "error setting rlimit type 7"), through a containers.conf of zonesim's
// (CONTAINERS_CONF) unless the user has one: in $CONTAINERS_CONF or /etc/containers. The limits are the
// hard limits of open files and processes, the latter no higher than the kernel's pid_max.
func PodmanLimits(log io.Writer) error {
	if os.Getenv("CONTAINERS_CONF") != "" {
		return nil
	}
	if _, err := os.Stat("/etc/containers/containers.conf"); err == nil {
		return nil
	}
	var nofile, nproc unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &nofile); err != nil {
		return err
	}
	if err := unix.Getrlimit(unix.RLIMIT_NPROC, &nproc); err != nil {
		return err
	}
	// A container's process limit above the kernel's pid_max also fails (measured: 32768 ran, 32769 did not).
	if data, err := os.ReadFile("/proc/sys/kernel/pid_max"); err == nil {
		if pidMax, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64); err == nil {
			nproc.Max = min(nproc.Max, pidMax)
		}
	}
	if nofile.Max >= podmanNofile && nproc.Max >= podmanNproc {
		return nil
	}
	nofile.Max, nproc.Max = min(nofile.Max, podmanNofile), min(nproc.Max, podmanNproc)
	dir := filepath.Join(lab.CacheDir(), "podman")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	conf := filepath.Join(dir, "containers.conf")
	text := fmt.Sprintf("# Written by zonesim: this host's hard limits are below podman's defaults for containers.\n"+
		"[containers]\ndefault_ulimits = [\"nofile=%d:%d\", \"nproc=%d:%d\"]\n", nofile.Max, nofile.Max, nproc.Max, nproc.Max)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(log, "podman: containers get this host's hard limits (nofile %d, nproc %d), below podman's defaults (CONTAINERS_CONF=%s)\n",
		nofile.Max, nproc.Max, conf)
	return os.Setenv("CONTAINERS_CONF", conf)
}

func engineAnswers(ctx context.Context, provider string) error {
	if _, err := exec.LookPath(provider); err != nil {
		return fmt.Errorf("%s: not installed", provider)
	}
	out, err := exec.CommandContext(ctx, provider, "info").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s info: %v: %s", provider, err, strings.TrimSpace(lastLine(string(out))))
	}
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// cgroupV1 says whether this host mounts cgroup v1 (no unified hierarchy at /sys/fs/cgroup).
func cgroupV1() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return errors.Is(err, os.ErrNotExist)
}

// KindConfig is the kind Cluster configuration the backend creates its cluster with: a control plane and
// the workers; on a cgroup v1 host the kubelet is told to run there (Kubernetes 1.35 and later refuse
// cgroup v1 unless failCgroupV1 is false).
func KindConfig(workers int, cgroupV1 bool) string {
	var b strings.Builder
	b.WriteString("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n")
	for range workers {
		b.WriteString("- role: worker\n")
	}
	if cgroupV1 {
		b.WriteString("kubeadmConfigPatches:\n- |\n  kind: KubeletConfiguration\n  failCgroupV1: false\n")
	}
	return b.String()
}

// NewKindBackend creates a kind cluster through sigs.k8s.io/e2e-framework and returns the existing backend
// on it and a function that deletes the cluster again. A cluster of that name that was there before is
// used and never deleted.
func NewKindBackend(ctx context.Context, ko KindOptions, opts ExistingOptions, log io.Writer) (*ExistingBackend, func() error, error) {
	nothing := func() error { return nil }
	provider, err := pickKindProvider(ctx, ko.Provider)
	if err != nil {
		return nil, nothing, err
	}
	// kind runs its nodes with the provider it is told (else it prefers a docker CLI it finds).
	if err := os.Setenv("KIND_EXPERIMENTAL_PROVIDER", provider); err != nil {
		return nil, nothing, err
	}
	if provider == "podman" {
		if err := PodmanLimits(log); err != nil {
			return nil, nothing, err
		}
		if _, err := os.Stat("/lib/modules"); err != nil {
			return nil, nothing, fmt.Errorf("kind with podman mounts /lib/modules into every node, and this host has none (its kernel's modules are built in): create it (mkdir -p /lib/modules)")
		}
	}
	for _, a := range ko.Load {
		if _, err := os.Stat(a); err != nil {
			return nil, nothing, fmt.Errorf("--kind-load: %w", err)
		}
	}
	existed := exec.CommandContext(ctx, provider, "inspect", ko.Name+"-control-plane").Run() == nil
	if ko.Existing && !existed {
		return nil, nothing, fmt.Errorf("no kind cluster %s (%s has no container %s-control-plane)", ko.Name, provider, ko.Name)
	}
	if !existed && strings.HasPrefix(ko.Image, "localhost/") && exec.CommandContext(ctx, provider, "image", "inspect", ko.Image).Run() != nil {
		return nil, nothing, fmt.Errorf("the node image %s is not in %s's images: build it (make kind-image) or give another --kind-image", ko.Image, provider)
	}
	// kind makes the network its nodes share and never removes it: what zonesim made, it removes.
	network := kindNetwork(provider)
	networkExisted := exec.CommandContext(ctx, provider, "network", "inspect", network).Run() == nil
	cluster := kind.NewCluster(ko.Name)
	cluster.WithVersion(KindVersion)
	if ko.Image != "" {
		cluster.WithOpts(kind.WithImage(ko.Image))
	}
	var kubeconfig string
	if existed {
		fmt.Fprintf(log, "using the kind cluster %s that is already there (it is not deleted afterwards; --kind-image, --kind-workers apply to a cluster zonesim creates)\n", ko.Name)
		kubeconfig, err = cluster.Create(ctx)
	} else {
		fmt.Fprintf(log, "creating the kind cluster %s with %s (kind %s, %d worker(s); a few minutes)\n", ko.Name, provider, KindVersion, ko.Workers)
		kubeconfig, err = createKind(ctx, cluster, KindConfig(ko.Workers, cgroupV1()))
	}
	created := !existed && err == nil
	release := func() error {
		if existed {
			// e2e-framework wrote the cluster's kubeconfig to a file of its own; the cluster keeps its own.
			if f := cluster.GetKubeconfig(); f != "" {
				return os.Remove(f)
			}
			return nil
		}
		ctx := context.WithoutCancel(ctx)
		if created {
			fmt.Fprintf(log, "deleting the kind cluster %s\n", ko.Name)
		}
		if err := cluster.Destroy(ctx); err != nil {
			return err
		}
		if networkExisted || exec.CommandContext(ctx, provider, "network", "inspect", network).Run() != nil {
			return nil
		}
		if out, err := exec.CommandContext(ctx, provider, "network", "rm", network).CombinedOutput(); err != nil {
			return fmt.Errorf("%s network rm %s: %v: %s", provider, network, err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	if err != nil {
		return nil, nothing, withCleanup(err, release())
	}
	for _, a := range ko.Load {
		fmt.Fprintf(log, "loading %s into the nodes of %s\n", a, ko.Name)
		if err := cluster.LoadImageArchive(ctx, a); err != nil {
			return nil, nothing, withCleanup(err, release())
		}
	}
	opts.Kubeconfig, opts.Context = kubeconfig, cluster.GetKubectlContext()
	if err := sctpSocket(); err != nil {
		// kind's nodes share this host's kernel.
		if opts.Unsupported == nil {
			opts.Unsupported = map[model.Protocol]string{}
		}
		if _, given := opts.Unsupported[corev1.ProtocolSCTP]; !given {
			opts.Unsupported[corev1.ProtocolSCTP] = fmt.Sprintf("skipped: this host's kernel, which kind's nodes share, has no SCTP (%v)", err)
		}
	}
	b, err := NewExistingBackend(ctx, opts)
	if err != nil {
		return nil, nothing, withCleanup(err, release())
	}
	b.name = fmt.Sprintf("kind (cluster %s, %s)", ko.Name, provider)
	return b, release, nil
}

// withCleanup adds what went wrong in cleaning up after err, if anything did.
func withCleanup(err, cleanup error) error {
	if cleanup != nil {
		return fmt.Errorf("%w (cleanup: %v)", err, cleanup)
	}
	return err
}

// sctpSocket opens and closes an SCTP socket: an error says the kernel has no SCTP.
func sctpSocket() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_SCTP)
	if err != nil {
		return err
	}
	return unix.Close(fd)
}

// kindNetwork is the network kind puts its nodes on.
func kindNetwork(provider string) string {
	if provider == "podman" {
		if n := os.Getenv("KIND_EXPERIMENTAL_PODMAN_NETWORK"); n != "" {
			return n
		}
	} else if n := os.Getenv("KIND_EXPERIMENTAL_DOCKER_NETWORK"); n != "" {
		return n
	}
	return "kind"
}

// createKind creates the cluster with config, written to a file for kind create cluster --config.
func createKind(ctx context.Context, cluster *kind.Cluster, config string) (string, error) {
	dir, err := os.MkdirTemp("", "zonesim-kind-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "kind.yaml")
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		return "", err
	}
	return cluster.CreateWithConfig(ctx, file)
}
