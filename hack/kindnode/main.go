// Command kindnode builds a kind node image on a machine with no image registry and no Docker engine, for
// `zonesim e2e --backend kind` with podman: everything is built here, from Debian's packages and the Go
// module proxy.
//
//	go run -trimpath ./hack/kindnode    # or: make kind-image
//
// The node is a Debian bookworm root file system (debootstrap) with systemd, containerd, runc, the CNI
// plugins and iptables from Debian, and kubelet, kubeadm and kubectl built from k8s.io/kubernetes. The
// images kubeadm starts (kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, etcd, CoreDNS,
// pause) are built from their Go modules, packed as image archives, and imported into the node's containerd
// as kind's own node images have them. kube-router is the network: it routes between nodes and enforces
// NetworkPolicy (kindnet's policy engine needs the nftables queue expression, which this kernel lacks).
// The probe image (agnhost, from the same Kubernetes release) is written as an archive for
// `kind load image-archive`.
//
// Everything is cached under $ZONESIM_CACHE/kind (default ~/.cache/zonesim/kind). The image is printed on
// stdout; progress goes to stderr.
package main

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/lab"
)

// Versions of what the node image holds, as kubeadm of lab.KubernetesVersion names its images.
const (
	etcdVersion    = "v3.7.0"
	etcdTag        = "3.7.0-0"
	corednsVersion = "v1.14.6"
	crictlVersion  = "v1.36.0"
	pauseTag       = "3.10.2"
	agnhostVersion = "2.66.1" // test/images/agnhost/VERSION of lab.KubernetesVersion
	debianSuite    = "bookworm"
	debianMirror   = "http://deb.debian.org/debian"
)

// DefaultImage is the node image kindnode builds.
var DefaultImage = "localhost/zonesim/kind-node:" + lab.KubernetesVersion

// ProbeImage is the probe image's name, as zonesim's existing backend names agnhost by default.
const ProbeImage = "registry.k8s.io/e2e-test-images/agnhost:" + agnhostVersion

var (
	//go:embed files/entrypoint
	entrypoint []byte
	//go:embed files/containerd.toml
	containerdConfig []byte
	//go:embed files/kubelet.service
	kubeletService []byte
	//go:embed files/10-kubeadm.conf
	kubeadmDropIn []byte
	//go:embed files/kubelet.slice
	kubeletSlice []byte
	//go:embed files/crictl.yaml
	crictlConfig []byte
	//go:embed files/default-cni.yaml
	defaultCNI []byte
)

// The packages of the node's root file system, and of the images that need iptables (kube-proxy,
// kube-router).
var (
	nodePackages = []string{"systemd", "systemd-sysv", "dbus", "containerd", "runc", "containernetworking-plugins",
		"iptables", "ipset", "iproute2", "conntrack", "ethtool", "socat", "util-linux", "mount", "kmod",
		"ca-certificates", "procps", "libseccomp2", "ebtables", "nftables", "hostname", "lsof", "curl", "jq"}
	netPackages = []string{"iptables", "ipset", "iproute2", "conntrack", "kmod", "ca-certificates"}
)

func main() {
	image := flag.String("image", DefaultImage, "the node image to build (podman image name)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./hack/kindnode [-image NAME]\n\n"+
			"Builds a kind node image offline (Debian packages and the Go module proxy) and prints its name.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out, err := build(ctx, *image, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kindnode:", err)
		os.Exit(1)
	}
	fmt.Println(out.image)
	fmt.Fprintf(os.Stderr, "probe image %s: %s\n", ProbeImage, out.probeArchive)
}

// built is what a build leaves: the node image, and the probe image's archive.
type built struct{ image, probeArchive string }

// Dir is where kindnode keeps what it builds.
func Dir() string { return filepath.Join(lab.CacheDir(), "kind") }

func build(ctx context.Context, image string, log io.Writer) (built, error) {
	for _, tool := range []string{"podman", "debootstrap"} {
		if _, err := exec.LookPath(tool); err != nil {
			return built{}, fmt.Errorf("%s not found: apt-get install -y podman debootstrap", tool)
		}
	}
	if err := apply.PodmanLimits(log); err != nil {
		return built{}, err
	}
	bins, err := programs(ctx, log)
	if err != nil {
		return built{}, err
	}
	nodeRoot, err := rootfs(ctx, "node", nodePackages, log)
	if err != nil {
		return built{}, err
	}
	netRoot, err := rootfs(ctx, "net", netPackages, log)
	if err != nil {
		return built{}, err
	}
	archives := filepath.Join(Dir(), "images")
	if err := os.MkdirAll(archives, 0o755); err != nil {
		return built{}, err
	}
	out := built{image: image, probeArchive: filepath.Join(archives, archiveName(ProbeImage))}
	key, err := inputsKey(bins, nodeRoot, netRoot)
	if err != nil {
		return built{}, err
	}
	var label strings.Builder
	_ = podman(ctx, nil, &label, "image", "inspect", "--format", `{{index .Labels "`+inputsLabel+`"}}`, image)
	if _, err := os.Stat(out.probeArchive); err == nil && strings.TrimSpace(label.String()) == key {
		fmt.Fprintf(log, "%s is up to date\n", image)
		return out, nil
	}
	var preload []string
	for _, img := range images(bins, netRoot) {
		out := filepath.Join(archives, archiveName(img.ref))
		fmt.Fprintf(log, "packing %s\n", img.ref)
		if err := writeArchive(img, archives, out); err != nil {
			return built{}, err
		}
		if img.ref != ProbeImage {
			preload = append(preload, out)
		}
	}
	if err := assemble(ctx, image, nodeRoot, bins, preload, key, log); err != nil {
		return built{}, err
	}
	return out, nil
}

// inputsLabel is the image label that holds the key of what the image was built from.
const inputsLabel = "zonesim.dev/kindnode-inputs"

// inputsKey digests what the image is made of: this program (its image list, files and script), the
// programs it packs, and the root file systems.
func inputsKey(bins map[string]string, roots ...string) (string, error) {
	h := sha256.New()
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	files := []string{self}
	for _, name := range sortedKeys(bins) {
		files = append(files, bins[name])
	}
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	fmt.Fprintln(h, strings.Join(roots, " "))
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func archiveName(ref string) string {
	return strings.NewReplacer("/", "_", ":", "_").Replace(ref) + ".tar"
}

// programs builds (once) every program of the node and its images; the result maps a name to its path.
func programs(ctx context.Context, log io.Writer) (map[string]string, error) {
	k8s := func(name string) lab.GoProgram { return lab.KubernetesProgram(name) }
	kubeadm, kubectl, agnhost := k8s("kubeadm"), k8s("kubectl"), k8s("test/images/agnhost")
	kubeadm.VersionArgs, kubeadm.WantVersion = []string{"version", "-o", "short"}, lab.KubernetesVersion
	kubectl.VersionArgs, kubectl.WantVersion = []string{"version", "--client"}, "Client Version: "+lab.KubernetesVersion
	agnhost.LDFlags, agnhost.WantVersion = "-X main.Version="+agnhostVersion, "version "+agnhostVersion
	list := []lab.GoProgram{k8s("kubelet"), kubeadm, kubectl, k8s("kube-apiserver"), k8s("kube-controller-manager"),
		k8s("kube-scheduler"), k8s("kube-proxy"), agnhost, lab.KubeRouterProgram(),
		{Name: "etcd", Version: etcdVersion, Package: "go.etcd.io/etcd/server/v3", VersionArgs: []string{"--version"},
			WantVersion: "etcd Version: " + strings.TrimPrefix(etcdVersion, "v"), GoMod: goMod("etcd", "go.etcd.io/etcd/server/v3", etcdVersion)},
		{Name: "crictl", Version: crictlVersion, Package: "sigs.k8s.io/cri-tools/cmd/crictl", VersionArgs: []string{"--version"},
			WantVersion: "crictl version " + crictlVersion, LDFlags: "-X sigs.k8s.io/cri-tools/pkg/version.Version=" + crictlVersion,
			GoMod: goMod("crictl", "sigs.k8s.io/cri-tools", crictlVersion)},
		{Name: "coredns", Version: corednsVersion, Package: "github.com/coredns/coredns", VersionArgs: []string{"-version"},
			WantVersion: "CoreDNS-" + strings.TrimPrefix(corednsVersion, "v"), GoMod: goMod("coredns", "github.com/coredns/coredns", corednsVersion)},
	}
	bins := map[string]string{}
	for _, p := range list {
		path, err := p.Ensure(ctx, log)
		if err != nil {
			return nil, err
		}
		bins[p.Name] = path
	}
	pause := filepath.Join(Dir(), "bin", "pause")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", pause, "./hack/kindnode/pause")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./hack/kindnode/pause (run kindnode from the repository's root): %w\n%s", err, out)
	}
	bins["pause"] = pause
	return bins, nil
}

func goMod(name, module, version string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		return fmt.Sprintf("module zonesim.dev/kind/%s\n\ngo 1.26\n\nrequire %s %s\n", name, module, version), nil
	}
}

// rootfs makes (once) a Debian root file system with the packages, and returns its directory.
func rootfs(ctx context.Context, name string, packages []string, log io.Writer) (string, error) {
	sum := sha256.Sum256([]byte(debianSuite + " " + strings.Join(packages, ",")))
	dir := filepath.Join(Dir(), "rootfs", name+"-"+hex.EncodeToString(sum[:])[:12])
	done := dir + ".done"
	if _, err := os.Stat(done); err == nil {
		return dir, nil
	}
	fmt.Fprintf(log, "making the %s root file system in %s (debootstrap %s; a few minutes, once)\n", name, dir, debianSuite)
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "debootstrap", "--variant=minbase", "--include="+strings.Join(packages, ","), debianSuite, dir, debianMirror)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("debootstrap %s: %w\n%s", name, err, lab.LastLines(string(out), 20))
	}
	// No package cache or apt lists in an image.
	for _, p := range []string{"var/cache/apt/archives", "var/lib/apt/lists"} {
		entries, _ := os.ReadDir(filepath.Join(dir, p))
		for _, e := range entries {
			if e.Type().IsRegular() {
				os.Remove(filepath.Join(dir, p, e.Name()))
			}
		}
	}
	return dir, os.WriteFile(done, nil, 0o644)
}

// images are the images of the node, and the probe image.
func images(bins map[string]string, netRoot string) []image {
	static := func(ref, bin, at string, entrypoint ...string) image {
		return image{ref: ref, entrypoint: entrypoint, layers: []layer{{files: map[string]hostFile{
			at:            {src: bins[bin], mode: 0o755},
			"/etc/passwd": {data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n")},
			"/etc/group":  {data: []byte("root:x:0:\nnogroup:x:65534:\n")},
			"/tmp/.keep":  {data: nil, mode: 0o644},
		}}}}
	}
	k8s := func(name string) image {
		return static("registry.k8s.io/"+name+":"+lab.KubernetesVersion, name, "/usr/local/bin/"+name, "/usr/local/bin/"+name)
	}
	withNet := func(img image) image {
		img.layers = append([]layer{{trees: map[string]string{"/": netRoot}}}, img.layers...)
		return img
	}
	return []image{
		k8s("kube-apiserver"), k8s("kube-controller-manager"), k8s("kube-scheduler"),
		withNet(k8s("kube-proxy")),
		static("registry.k8s.io/etcd:"+etcdTag, "etcd", "/usr/local/bin/etcd", "/usr/local/bin/etcd"),
		static("registry.k8s.io/coredns/coredns:"+corednsVersion, "coredns", "/coredns", "/coredns"),
		static("registry.k8s.io/pause:"+pauseTag, "pause", "/pause", "/pause"),
		withNet(static("localhost/zonesim/kube-router:"+lab.KubeRouterVersion, "kube-router", "/usr/local/bin/kube-router", "/usr/local/bin/kube-router")),
		static(ProbeImage, "agnhost", "/agnhost", "/agnhost"),
	}
}

// assemble makes the node image: the node's root file system, the kube binaries and kind's files, and the
// images imported into containerd's store (namespace k8s.io), where kind's node images have them.
func assemble(ctx context.Context, image, root string, bins map[string]string, preload []string, key string, log io.Writer) error {
	base := "localhost/zonesim/kind-base:" + filepath.Base(root)
	if podman(ctx, nil, io.Discard, "image", "exists", base) != nil {
		fmt.Fprintf(log, "importing %s\n", base)
		pr, pw := io.Pipe()
		go func() {
			l := layer{trees: map[string]string{"/": root}}
			pw.CloseWithError(writeLayer(pw, l))
		}()
		if err := podman(ctx, pr, io.Discard, "import", "-", base); err != nil {
			return err
		}
	}
	name := "zonesim-kindnode-" + strings.NewReplacer("/", "-", ":", "-", ".", "-").Replace(image)
	_ = podman(ctx, nil, io.Discard, "rm", "-f", name)
	defer podman(context.WithoutCancel(ctx), nil, io.Discard, "rm", "-f", name)
	if err := podman(ctx, nil, io.Discard, "run", "-d", "--name", name, "--privileged", "--entrypoint", "sleep", base, "infinity"); err != nil {
		return err
	}
	files := layer{files: map[string]hostFile{
		"/usr/local/bin/entrypoint":                             {data: entrypoint, mode: 0o755},
		"/etc/containerd/config.toml":                           {data: containerdConfig},
		"/etc/systemd/system/kubelet.service":                   {data: kubeletService},
		"/etc/systemd/system/kubelet.service.d/10-kubeadm.conf": {data: kubeadmDropIn},
		"/etc/systemd/system/kubelet.slice":                     {data: kubeletSlice},
		"/etc/crictl.yaml":                                      {data: crictlConfig},
		"/kind/version":                                         {data: []byte(lab.KubernetesVersion + "\n")},
		"/kind/manifests/default-cni.yaml":                      {data: defaultCNI},
		"/usr/bin/kubelet":                                      {src: bins["kubelet"], mode: 0o755},
		"/usr/bin/kubeadm":                                      {src: bins["kubeadm"], mode: 0o755},
		"/usr/bin/kubectl":                                      {src: bins["kubectl"], mode: 0o755},
	}}
	for _, a := range preload {
		files.files["/kind/preload/"+filepath.Base(a)] = hostFile{src: a}
	}
	fmt.Fprintf(log, "copying the kube binaries, kind's files and %d images into the node\n", len(preload))
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeLayer(pw, files)) }()
	if err := podman(ctx, pr, io.Discard, "cp", "-", name+":/"); err != nil {
		return err
	}
	script := `set -e
mkdir -p /opt/cni /etc/kubernetes/manifests /etc/cni/net.d
ln -sfn /usr/lib/cni /opt/cni/bin
systemctl enable kubelet.service containerd.service >/dev/null 2>&1
systemctl mask systemd-binfmt.service getty@tty1.service >/dev/null 2>&1
echo 'ReadKMsg=no' >> /etc/systemd/journald.conf
containerd >/tmp/containerd.log 2>&1 &
for i in $(seq 100); do [ -S /run/containerd/containerd.sock ] && break; sleep 0.1; done
for a in /kind/preload/*.tar; do
  ctr --namespace=k8s.io images import --all-platforms --no-unpack --digests "$a" >/dev/null
done
rm -rf /kind/preload
kill %1; wait || true
rm -f /etc/machine-id /var/lib/dbus/machine-id
`
	fmt.Fprintln(log, "importing the images into the node's containerd")
	if err := podman(ctx, strings.NewReader(script), log, "exec", "-i", name, "bash", "-s"); err != nil {
		return err
	}
	var old strings.Builder
	_ = podman(ctx, nil, &old, "image", "inspect", "--format", "{{.Id}}", image)
	fmt.Fprintf(log, "committing %s\n", image)
	err := podman(ctx, nil, io.Discard, "commit", "-q",
		"--change", `ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]`, "--change", "CMD []",
		"--change", "STOPSIGNAL SIGRTMIN+3", "--change", "ENV container=podman", "--change", "LABEL "+inputsLabel+"="+key, name, image)
	if id := strings.TrimSpace(old.String()); err == nil && id != "" {
		_ = podman(ctx, nil, io.Discard, "rmi", id) // the image this one replaces (kept if a container uses it)
	}
	return err
}

func podman(ctx context.Context, stdin io.Reader, stdout io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, "podman", args...)
	cmd.Stdin, cmd.Stdout = stdin, stdout
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("podman %s: %w: %s", strings.Join(args, " "), err, lab.LastLines(stderr.String(), 10))
	}
	return nil
}
