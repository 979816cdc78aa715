package lab

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/zonesim/zonesim/internal/poll"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Ports the lab listens on, on loopback only.
const (
	etcdClientPort = 23790
	etcdPeerPort   = 23800
	apiServerPort  = 16443
)

// PodCIDR is where lab pods get their addresses.
var PodCIDR = netip.MustParsePrefix("10.244.0.0/16")

// State is what a running lab remembers, in <dir>/state.json, so down and status find everything.
type State struct {
	Name       string         `json:"name"`
	Dir        string         `json:"dir"`
	Kubeconfig string         `json:"kubeconfig"`
	Node       string         `json:"node"`
	NodeIP     string         `json:"nodeIP"`
	Processes  map[string]int `json:"processes"` // name -> pid
	Pods       []PodState     `json:"pods"`
	NextIP     string         `json:"nextIP"`
	// Externals are endpoints outside the cluster; HostRules says the lab's host chains exist.
	Externals []ExternalState `json:"externals,omitempty"`
	HostRules bool            `json:"hostRules,omitempty"`
	// DNSPID is the lab's name server (StartDNS), while externals run.
	DNSPID int `json:"dnsPID,omitempty"`
	// ZonesRun is the zonesim run the externals and host rules belong to.
	ZonesRun string `json:"zonesRun,omitempty"`
}

// PodState is one pod: its API object and its network namespace.
type PodState struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	NetNS     string `json:"netns"`
	Veth      string `json:"veth"`
	IP        string `json:"ip"`
	AgentPID  int    `json:"agentPID"`
	UID       string `json:"uid,omitempty"` // the pod object's, for the node agent's pods
}

// Dir is the state directory of the lab called name.
func Dir(name string) string { return filepath.Join(CacheDir(), "lab", name) }

// ContextName is the kubeconfig context of a lab; zonesim's safety checks recognise the prefix.
func ContextName(name string) string { return "zonesim-lab-" + name }

// Load reads the state of a running lab.
func Load(name string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(Dir(name), "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no lab %q is up (zonesim lab up --name %s)", name, name)
	}
	if err != nil {
		return nil, err
	}
	var s State
	return &s, json.Unmarshal(b, &s)
}

func (s *State) save() error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.Dir, "state.json"), b, 0o600)
}

// Client returns a client for the lab's API server.
func (s *State) Client() (*kubernetes.Clientset, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 200, 400
	return kubernetes.NewForConfig(cfg)
}

// Up starts etcd, kube-apiserver and kube-router, registers one node, and writes a kubeconfig. It checks
// the machine first and fails with what is missing.
func Up(ctx context.Context, name string, log io.Writer) (*State, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("the lab needs root: it creates network namespaces, veths and iptables rules")
	}
	for _, tool := range []string{"ip", "iptables", "ipset"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s not found: apt-get install -y iproute2 iptables ipset", tool)
		}
	}
	if err := clearOthers(ctx, name, log); err != nil {
		return nil, err
	}
	bins, err := EnsureBinaries(ctx, log)
	if err != nil {
		return nil, err
	}
	dir := Dir(name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &State{Name: name, Dir: dir, Kubeconfig: filepath.Join(dir, "kubeconfig"), Node: "zonesim-lab-" + name + "-node",
		Processes: map[string]int{}, NextIP: PodCIDR.Addr().Next().String()}
	ok := false
	defer func() {
		if !ok {
			_ = Down(context.Background(), name, io.Discard)
		}
	}()
	if err := s.save(); err != nil {
		return nil, err
	}
	if err := writeFile("/proc/sys/net/ipv4/ip_forward", "1"); err != nil {
		return nil, fmt.Errorf("enable ip_forward: %w", err)
	}
	token, err := s.credentials()
	if err != nil {
		return nil, err
	}
	s.NodeIP = hostIP()
	if err := s.writePKI([]net.IP{net.ParseIP(s.NodeIP), net.IPv4(127, 0, 0, 1)}); err != nil {
		return nil, err
	}
	// The node agent outlives this command, which may be a `go run` binary that is removed when it exits.
	self, err := Self()
	if err != nil {
		return nil, err
	}
	agentBin := filepath.Join(dir, "zonesim")
	if err := copyFile(self, agentBin); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "starting etcd\n")
	if err := s.start("etcd", bins.Etcd, "--name", "zonesim", "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdClientPort),
		"--advertise-client-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdClientPort),
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPeerPort),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPeerPort),
		"--initial-cluster", fmt.Sprintf("zonesim=http://127.0.0.1:%d", etcdPeerPort)); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "starting kube-apiserver %s\n", KubernetesVersion)
	if err := s.start("kube-apiserver", bins.APIServer,
		fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", etcdClientPort), "--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", apiServerPort), "--advertise-address=127.0.0.1",
		"--cert-dir="+filepath.Join(dir, "certs"), "--token-auth-file="+filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=AlwaysAllow", "--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+filepath.Join(dir, "sa.key"), "--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range=10.96.0.0/16", "--endpoint-reconciler-type=none",
		"--disable-admission-plugins=ServiceAccount",
		"--kubelet-certificate-authority="+s.pki(caCert), "--kubelet-client-certificate="+s.pki(apiserverKubelet),
		"--kubelet-client-key="+s.pki(apiserverKubeletK), "--kubelet-preferred-address-types=InternalIP"); err != nil {
		return nil, err
	}
	if err := waitReady(ctx, token, 90*time.Second, func() bool { return s.Alive()["kube-apiserver"] }); err != nil {
		logFile := filepath.Join(dir, "kube-apiserver.log")
		last, _ := os.ReadFile(logFile)
		return nil, fmt.Errorf("kube-apiserver: %w\n%s\n(log: %s)", err, LastLines(string(last), 5), logFile)
	}
	if err := s.writeKubeconfig(token); err != nil {
		return nil, err
	}
	client, err := s.Client()
	if err != nil {
		return nil, err
	}
	if err := s.registerNode(ctx, client); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "starting the node agent (binds, runs and execs pods) on %s:%d\n", s.NodeIP, KubeletPort)
	if err := s.start("kubelet", agentBin, "lab", "kubelet", "--name", name); err != nil {
		return nil, err
	}
	if err := waitListening(ctx, net.JoinHostPort(s.NodeIP, strconv.Itoa(KubeletPort)), 20*time.Second, func() bool { return s.Alive()["kubelet"] }); err != nil {
		logFile := filepath.Join(dir, "kubelet.log")
		last, _ := os.ReadFile(logFile)
		return nil, fmt.Errorf("node agent: %w\n%s\n(log: %s)", err, LastLines(string(last), 5), logFile)
	}
	fmt.Fprintf(log, "starting kube-router %s on node %s\n", KubeRouterVersion, s.Node)
	if err := s.start("kube-router", bins.KubeRouter, "--run-firewall=true", "--run-router=false", "--run-service-proxy=false",
		"--enable-cni=false", "--hostname-override="+s.Node, "--health-port=0", "--metrics-port=0", "--kubeconfig="+s.Kubeconfig); err != nil {
		return nil, err
	}
	ok = true
	return s, s.save()
}

// clearOthers makes room for a lab: one lab runs at a time (kube-router owns the host's iptables and its
// ports are fixed), and a lab that stopped without 'lab down' (a crash, a killed session) is cleaned up.
func clearOthers(ctx context.Context, name string, log io.Writer) error {
	entries, err := os.ReadDir(filepath.Join(CacheDir(), "lab"))
	if err != nil {
		return nil // no lab was ever up
	}
	for _, e := range entries {
		s, err := Load(e.Name())
		if err != nil {
			continue
		}
		for _, up := range s.Alive() {
			if up {
				if e.Name() == name {
					return fmt.Errorf("lab %q is already up (kubeconfig %s)", name, s.Kubeconfig)
				}
				return fmt.Errorf("lab %q is up: one lab runs at a time (zonesim lab down --name %s first)", e.Name(), e.Name())
			}
		}
		fmt.Fprintf(log, "removing what lab %q, stopped without 'lab down', left behind\n", e.Name())
		if err := Down(ctx, e.Name(), log); err != nil {
			return fmt.Errorf("clean up the stopped lab %q: %w", e.Name(), err)
		}
	}
	return nil
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }

// credentials writes the service-account key and a token that is in system:masters.
func (s *State) credentials() (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(filepath.Join(s.Dir, "sa.key"), pemKey, 0o600); err != nil {
		return "", err
	}
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := hex.EncodeToString(raw)
	return token, os.WriteFile(filepath.Join(s.Dir, "tokens.csv"), []byte(token+",zonesim-admin,zonesim-admin,system:masters\n"), 0o600)
}

// start runs a program detached, logging to <dir>/<name>.log, and records it as one of the lab's processes.
func (s *State) start(name, bin string, args ...string) error {
	pid, err := s.startDetached(name, name, bin, args...)
	if err != nil {
		return err
	}
	s.Processes[name] = pid
	return s.save()
}

// startDetached runs a program in its own session, so it outlives this process, with its output appended
// to <dir>/<log>.log; what stands for it in errors. It returns the program's pid.
func (s *State) startDetached(log, what, bin string, args ...string) (int, error) {
	logf, err := os.OpenFile(filepath.Join(s.Dir, log+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", what, err)
	}
	go cmd.Wait() // reap it if it exits while this process runs; its error is in its log
	return cmd.Process.Pid, nil
}

func waitReady(ctx context.Context, token string, within time.Duration, alive func() bool) error {
	// The lab's API server has a self-signed certificate and listens on loopback only.
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	var last error
	err := poll.Until(ctx, within, 300*time.Millisecond, func() (bool, error) {
		if !alive() {
			return false, errors.New("exited before it was ready")
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("https://127.0.0.1:%d/readyz", apiServerPort), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true, nil
			}
			err = fmt.Errorf("readyz: %s", resp.Status)
		}
		last = err
		return false, nil
	})
	if errors.Is(err, poll.ErrTimeout) {
		return fmt.Errorf("not ready after %s: %v", within, last)
	}
	return err
}

func (s *State) writeKubeconfig(token string) error {
	ctxName := ContextName(s.Name)
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
  - name: %[1]s
    cluster:
      server: https://127.0.0.1:%[2]d
      insecure-skip-tls-verify: true
users:
  - name: %[1]s
    user:
      token: %[3]s
contexts:
  - name: %[1]s
    context: {cluster: %[1]s, user: %[1]s}
current-context: %[1]s
`, ctxName, apiServerPort, token)
	return os.WriteFile(s.Kubeconfig, []byte(cfg), 0o600)
}

// hostIP is the address the machine uses to reach the outside, the lab node's InternalIP.
func hostIP() string {
	c, err := net.Dial("udp", "192.0.2.1:9")
	if err != nil {
		return "127.0.0.1"
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP.String()
}

// NodeLabel marks a lab's node with the lab's name, so a client that reaches the lab through any
// kubeconfig can tell it is one (no namespace controller runs, the kernel has no SCTP).
const NodeLabel = "zonesim.dev/lab"

// registerNode creates the lab's node, Ready, as a kubelet would.
func (s *State) registerNode(ctx context.Context, client *kubernetes.Clientset) error {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: s.Node, Labels: map[string]string{
		"kubernetes.io/hostname": s.Node, "kubernetes.io/os": "linux", "node-role.kubernetes.io/worker": "", NodeLabel: s.Name}},
		Spec: corev1.NodeSpec{PodCIDR: PodCIDR.String(), PodCIDRs: []string{PodCIDR.String()}}}
	created, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{FieldManager: "zonesim"})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create node: %w", err)
	}
	if err != nil {
		if created, err = client.CoreV1().Nodes().Get(ctx, s.Node, metav1.GetOptions{}); err != nil {
			return err
		}
	}
	now := metav1.Now()
	created.Status = corev1.NodeStatus{
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: s.NodeIP}, {Type: corev1.NodeHostName, Address: s.Node}},
		Conditions:      []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "ZonesimLab", LastHeartbeatTime: now, LastTransitionTime: now}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: KubeletPort}},
	}
	_, err = client.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{FieldManager: "zonesim"})
	return err
}

// Down stops every process of the lab, removes its pods' network namespaces, kube-router's iptables and
// ipset rules, and its directory. It goes on past errors and reports them all.
func Down(ctx context.Context, name string, log io.Writer) error {
	s, err := Load(name)
	if err != nil {
		return err
	}
	var errs []error
	if pid := s.Processes["kubelet"]; pid > 0 { // first, so it starts no pod while they are removed
		fmt.Fprintf(log, "stopping the node agent (pid %d)\n", pid)
		killPID(pid)
	}
	killPID(s.DNSPID)
	for _, x := range s.Externals {
		killPID(x.AgentPID)
		if err := run(ctx, "ip", "netns", "del", x.NetNS); err != nil && !strings.Contains(err.Error(), "No such file") {
			errs = append(errs, err)
		}
	}
	removeHostRules(ctx)
	for _, p := range append(s.Pods, loadKubeletPods(s.Dir)...) {
		killPID(p.AgentPID)
		if err := run(ctx, "ip", "netns", "del", p.NetNS); err != nil && !strings.Contains(err.Error(), "No such file") {
			errs = append(errs, err)
		}
	}
	for _, proc := range []string{"kube-router", "kube-apiserver", "etcd"} {
		if pid := s.Processes[proc]; pid > 0 {
			fmt.Fprintf(log, "stopping %s (pid %d)\n", proc, pid)
			killPID(pid)
		}
	}
	if bin := KubeRouterProgram().Path(); fileExists(bin) {
		if out, err := exec.CommandContext(ctx, bin, "--cleanup-config").CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("kube-router --cleanup-config: %v: %s", err, LastLines(string(out), 5)))
		}
	}
	if err := os.RemoveAll(s.Dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// waitListening polls until something accepts TCP connections on addr.
func waitListening(ctx context.Context, addr string, within time.Duration, alive func() bool) error {
	err := poll.Until(ctx, within, 100*time.Millisecond, func() (bool, error) {
		if !alive() {
			return false, errors.New("exited before it was ready")
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil, nil
	})
	if errors.Is(err, poll.ErrTimeout) {
		return fmt.Errorf("not listening on %s after %s", addr, within)
	}
	return err
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// killPID stops a process: SIGTERM, then SIGKILL if it is still there after a grace period.
func killPID(pid int) {
	if pid <= 0 {
		return
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return
	}
	_ = p.Signal(syscall.SIGTERM)
	for i := 0; i < 50; i++ {
		if p.Signal(syscall.Signal(0)) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = p.Signal(syscall.SIGKILL)
}

func run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Alive reports which of the lab's processes are running.
func (s *State) Alive() map[string]bool {
	out := map[string]bool{}
	for name, pid := range s.Processes {
		out[name] = processAlive(pid)
	}
	return out
}

// processAlive reports whether the process runs.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	return pid > 0 && err == nil && p.Signal(syscall.Signal(0)) == nil
}
