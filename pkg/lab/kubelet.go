package lab

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"
)

// The node agent stands in for the kubelet and the container runtime, so that clients that know nothing
// of the lab (zonesim's `existing` backend, kubectl) can use it like a cluster: it binds unscheduled pods
// to the lab node (no scheduler runs), runs each pod as a network namespace, reports its status, finishes
// deletions, and serves exec on the kubelet API. It runs no container images: it emulates the two the
// NetworkPolicy e2e tests use, agnhost (porter serves, connect probes) and pause, and an image of zonesim
// itself (`zonesim probe --idle`, exec `zonesim probe ...`: zonesim probe's probe pods); any other pod is
// reported as waiting with the reason.

// KubeletPort is the node agent's port on the node IP (the API server reaches it there for exec).
const KubeletPort = 16450

// kubeletCIDR holds the node agent's pods; pods the lab backend wires directly use the rest of PodCIDR.
var kubeletCIDR = netip.MustParsePrefix("10.244.128.0/17")

// DirectImage is the image name of the pods the lab backend creates and wires itself; the node agent
// leaves them alone.
const DirectImage = "zonesim.dev/probe:lab"

type kubelet struct {
	st     *State
	client kubernetes.Interface
	pods   listersv1.PodLister
	queue  workqueue.TypedRateLimitingInterface[string]
	log    io.Writer

	mu      sync.Mutex
	running map[string]PodState // "namespace/name"
}

// kubeletPodsFile is where the node agent records its pods, for itself and for `lab down`.
func kubeletPodsFile(dir string) string { return filepath.Join(dir, "kubelet-pods.json") }

func loadKubeletPods(dir string) []PodState {
	var out []PodState
	if b, err := os.ReadFile(kubeletPodsFile(dir)); err == nil {
		_ = json.Unmarshal(b, &out) // a torn file only loses what down could not find anyway
	}
	return out
}

// KubeletPods are the pods the node agent runs.
func (s *State) KubeletPods() []PodState { return loadKubeletPods(s.Dir) }

// RunKubelet runs the lab's node agent until ctx ends.
func RunKubelet(ctx context.Context, name string, log io.Writer) error {
	st, err := Load(name)
	if err != nil {
		return err
	}
	client, err := st.Client()
	if err != nil {
		return err
	}
	k := &kubelet{st: st, client: client, log: log, running: map[string]PodState{},
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())}
	for _, p := range loadKubeletPods(st.Dir) {
		k.running[p.Namespace+"/"+p.Name] = p
	}
	factory := informers.NewSharedInformerFactory(client, time.Minute)
	inf := factory.Core().V1().Pods()
	k.pods = inf.Lister()
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			k.queue.Add(key)
		}
	}
	if _, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) }, DeleteFunc: enqueue,
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())

	srv, err := k.server()
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServeTLS(st.pki(kubeletCert), st.pki(kubeletKey)) }()
	go func() {
		<-ctx.Done()
		k.queue.ShutDown()
		_ = srv.Close()
	}()
	fmt.Fprintf(log, "node agent for %s serving on %s\n", st.Node, srv.Addr)
	for k.next(ctx) {
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (k *kubelet) next(ctx context.Context) bool {
	key, quit := k.queue.Get()
	if quit {
		return false
	}
	defer k.queue.Done(key)
	if err := k.sync(ctx, key); err != nil {
		fmt.Fprintf(k.log, "pod %s: %v (retrying)\n", key, err)
		k.queue.AddRateLimited(key)
		return true
	}
	k.queue.Forget(key)
	return true
}

// sync brings one pod to what its object says.
func (k *kubelet) sync(ctx context.Context, key string) error {
	ns, name, _ := strings.Cut(key, "/")
	pod, err := k.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return k.stop(ctx, key)
	}
	if err != nil {
		return err
	}
	if pod.Spec.NodeName == "" {
		return k.bind(ctx, pod)
	}
	if pod.Spec.NodeName != k.st.Node || direct(pod) {
		return nil
	}
	k.mu.Lock()
	have, ok := k.running[key]
	k.mu.Unlock()
	if ok && have.UID != string(pod.UID) { // the same name, a new pod
		if err := k.stop(ctx, key); err != nil {
			return err
		}
		ok = false
	}
	if pod.DeletionTimestamp != nil {
		if err := k.stop(ctx, key); err != nil {
			return err
		}
		zero, uid := int64(0), pod.UID
		err := k.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero,
			Preconditions: &metav1.Preconditions{UID: &uid}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	}
	if ok {
		if pod.Status.PodIP != have.IP { // the status update after start failed (a conflict): report again
			return k.reportRunning(ctx, pod, have)
		}
		return nil
	}
	return k.start(ctx, pod)
}

// reportRunning writes the status a kubelet reports for a running pod.
func (k *kubelet) reportRunning(ctx context.Context, pod *corev1.Pod, ps PodState) error {
	updated := pod.DeepCopy()
	updated.Status = runningStatus(k.st.NodeIP, ps.IP, pod.Spec.Containers)
	_, err := k.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{FieldManager: "zonesim-lab"})
	return err
}

func direct(pod *corev1.Pod) bool {
	for _, c := range pod.Spec.Containers {
		if c.Image == DirectImage {
			return true
		}
	}
	return false
}

// bind schedules a pod for the default scheduler, which the lab does not run, to the lab's one node.
func (k *kubelet) bind(ctx context.Context, pod *corev1.Pod) error {
	if pod.Spec.SchedulerName != "" && pod.Spec.SchedulerName != corev1.DefaultSchedulerName {
		return nil
	}
	err := k.client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: k.st.Node},
	}, metav1.CreateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// start runs a pod: its network namespace and an agent serving what its containers would serve.
func (k *kubelet) start(ctx context.Context, pod *corev1.Pod) error {
	tcp, udp, err := EmulatedPorts(pod)
	if err != nil {
		return k.setWaiting(ctx, pod, err.Error())
	}
	key := pod.Namespace + "/" + pod.Name
	k.mu.Lock()
	ip, err := k.allocate()
	if err != nil {
		k.mu.Unlock()
		return k.setWaiting(ctx, pod, err.Error())
	}
	id := short(key + "/" + string(pod.UID))
	ps := PodState{Namespace: pod.Namespace, Name: pod.Name, UID: string(pod.UID), NetNS: "zs-" + id, Veth: "zsv" + id, IP: ip.String()}
	k.running[key] = ps // recorded before wiring, so down removes a half-made pod too
	err = k.save()
	k.mu.Unlock()
	if err != nil {
		return err
	}
	if err := wire(ctx, ps); err != nil {
		return errors.Join(err, k.stop(ctx, key)) // undone, so the retry starts over
	}
	var serve []corev1.ContainerPort
	for _, p := range tcp {
		serve = append(serve, corev1.ContainerPort{ContainerPort: int32(p), Protocol: corev1.ProtocolTCP})
	}
	for _, p := range udp {
		serve = append(serve, corev1.ContainerPort{ContainerPort: int32(p), Protocol: corev1.ProtocolUDP})
	}
	pid, err := k.st.startAgent(ps, serve)
	if err != nil {
		return errors.Join(err, k.stop(ctx, key))
	}
	ps.AgentPID = pid
	k.mu.Lock()
	k.running[key] = ps
	err = k.save()
	k.mu.Unlock()
	if err != nil {
		return err
	}
	return k.reportRunning(ctx, pod, ps)
}

// setWaiting reports a pod the lab cannot run, the way a kubelet reports an image it cannot pull.
func (k *kubelet) setWaiting(ctx context.Context, pod *corev1.Pod, why string) error {
	if len(pod.Status.ContainerStatuses) > 0 && pod.Status.ContainerStatuses[0].State.Waiting != nil &&
		pod.Status.ContainerStatuses[0].State.Waiting.Message == why {
		return nil
	}
	updated := pod.DeepCopy()
	updated.Status.Phase = corev1.PodPending
	updated.Status.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		updated.Status.ContainerStatuses = append(updated.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "NotSupportedByLab", Message: why}}})
	}
	_, err := k.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{FieldManager: "zonesim-lab"})
	return err
}

// stop removes a pod's agent and network namespace.
func (k *kubelet) stop(ctx context.Context, key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	p, ok := k.running[key]
	if !ok {
		return nil
	}
	killPID(p.AgentPID)
	if err := run(ctx, "ip", "netns", "del", p.NetNS); err != nil && !strings.Contains(err.Error(), "No such file") {
		return err
	}
	delete(k.running, key)
	return k.save()
}

// allocate returns the next free address of kubeletCIDR; the caller holds k.mu.
func (k *kubelet) allocate() (netip.Addr, error) {
	used := map[netip.Addr]bool{}
	for _, p := range k.running {
		if a, err := netip.ParseAddr(p.IP); err == nil {
			used[a] = true
		}
	}
	for a := kubeletCIDR.Addr().Next(); kubeletCIDR.Contains(a); a = a.Next() {
		if !used[a] {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("the lab node's pod network %s is full", kubeletCIDR)
}

// save writes the running pods; the caller holds k.mu.
func (k *kubelet) save() error {
	out := make([]PodState, 0, len(k.running))
	for _, p := range k.running {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace+"/"+out[i].Name < out[j].Namespace+"/"+out[j].Name })
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	tmp := kubeletPodsFile(k.st.Dir) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, kubeletPodsFile(k.st.Dir))
}

// server is the kubelet API subset the lab serves: exec, to the API server only (mutual TLS).
func (k *kubelet) server() (*http.Server, error) {
	ca, err := os.ReadFile(k.st.pki(caCert))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("%s: no certificate", k.st.pki(caCert))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/exec/", k.serveExec)
	return &http.Server{
		Addr: net.JoinHostPort(k.st.NodeIP, strconv.Itoa(KubeletPort)), Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12},
		// exec upgrades the connection (SPDY), which HTTP/2 cannot carry
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}, nil
}

// serveExec answers /exec/{namespace}/{pod}/[{uid}/]{container}?command=...
func (k *kubelet) serveExec(w http.ResponseWriter, req *http.Request) {
	parts := strings.Split(strings.TrimPrefix(req.URL.Path, "/exec/"), "/")
	if len(parts) != 3 && len(parts) != 4 {
		http.Error(w, "want /exec/{namespace}/{pod}/[{uid}/]{container}", http.StatusNotFound)
		return
	}
	uid := ""
	if len(parts) == 4 {
		uid = parts[2]
	}
	opts, err := remotecommand.NewOptions(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	remotecommand.ServeExec(w, req, k, parts[0]+"/"+parts[1], uid, parts[len(parts)-1], req.URL.Query()["command"], opts,
		5*time.Minute, remotecommand.DefaultStreamCreationTimeout, remotecommand.SupportedStreamingProtocols)
}

// ExecInContainer runs a command "in" a pod: the lab emulates `agnhost connect`, run in the pod's network
// namespace, with agnhost's exit status and error words, and `zonesim probe`, run by the lab's own binary
// in the pod's network namespace with the exec's streams and exit status.
func (k *kubelet) ExecInContainer(ctx context.Context, key, _, container string, cmd []string, stdin io.Reader, stdout, stderr io.WriteCloser, _ bool, _ <-chan remotecommand.TerminalSize, _ time.Duration) error {
	k.mu.Lock()
	p, ok := k.running[key]
	k.mu.Unlock()
	if !ok {
		return fmt.Errorf("pod %s is not running on %s", key, k.st.Node)
	}
	self, err := Self()
	if err != nil {
		return err
	}
	if len(cmd) >= 2 && filepath.Base(cmd[0]) == "zonesim" && cmd[1] == "probe" {
		run := InNetNS(ctx, p.NetNS, self, cmd[1:]...)
		run.Stdin, run.Stdout, run.Stderr = stdin, stdout, stderr
		err := run.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return utilexec.CodeExitError{Err: err, Code: ee.ExitCode()}
		}
		return err
	}
	c, err := ParseConnect(cmd)
	if err != nil {
		fmt.Fprintf(stderr, "UNKNOWN: %v\n", err)
		return utilexec.CodeExitError{Err: err, Code: 126}
	}
	ok, err = Probe(ctx, self, p.NetNS, c.Protocol, c.Addr, c.Timeout)
	if err != nil {
		fmt.Fprintf(stderr, "OTHER: %v\n", err)
		return utilexec.CodeExitError{Err: err, Code: 1}
	}
	if !ok {
		fmt.Fprintln(stderr, "TIMEOUT")
		return utilexec.CodeExitError{Err: errors.New("TIMEOUT"), Code: 1}
	}
	return nil
}

// ConnectCommand is a parsed `/agnhost connect HOST:PORT [--timeout=D] [--protocol=P]`.
type ConnectCommand struct {
	Addr     string
	Protocol string
	Timeout  time.Duration
}

// ParseConnect reads an agnhost connect command line, the one exec the lab runs.
func ParseConnect(cmd []string) (ConnectCommand, error) {
	c := ConnectCommand{Protocol: "tcp", Timeout: 5 * time.Second} // agnhost waits for the OS without --timeout; the lab does not
	if len(cmd) < 3 || filepath.Base(cmd[0]) != "agnhost" || cmd[1] != "connect" {
		return c, fmt.Errorf("not supported in the zonesim lab: %q (it runs `/agnhost connect HOST:PORT` only)", strings.Join(cmd, " "))
	}
	for i := 2; i < len(cmd); i++ {
		arg := cmd[i]
		if !strings.HasPrefix(arg, "--") {
			if c.Addr != "" {
				return c, fmt.Errorf("connect: one destination, got %q and %q", c.Addr, arg)
			}
			c.Addr = arg
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		if !hasValue {
			if i+1 >= len(cmd) {
				return c, fmt.Errorf("connect: --%s needs a value", name)
			}
			i++
			value = cmd[i]
		}
		switch name {
		case "timeout":
			d, err := time.ParseDuration(value)
			if err != nil {
				return c, fmt.Errorf("connect: --timeout: %v", err)
			}
			if d > 0 {
				c.Timeout = d
			}
		case "protocol":
			c.Protocol = value
		default:
			return c, fmt.Errorf("connect: --%s is not supported in the zonesim lab", name)
		}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, fmt.Errorf("connect: %v", err)
	}
	return c, nil
}

// EmulatedPorts reads what a pod's containers serve, for the images the lab emulates: agnhost porter
// (SERVE_PORT_n, SERVE_TCP_PORT_n, SERVE_TLS_PORT_n, SERVE_UDP_PORT_n), agnhost pause and pause. Any other
// image or command cannot run in the lab; the error says why. SCTP ports are not served: the lab kernel
// has no SCTP.
func EmulatedPorts(pod *corev1.Pod) (tcp, udp []int, err error) {
	for _, c := range pod.Spec.Containers {
		image := c.Image
		if i := strings.LastIndex(image, "/"); i >= 0 {
			image = image[i+1:]
		}
		image, _, _ = strings.Cut(image, "@")
		image, _, _ = strings.Cut(image, ":")
		args := append(append([]string(nil), c.Command...), c.Args...)
		switch {
		case image == "pause":
			continue
		case image == "zonesim" && len(args) == 3 && filepath.Base(args[0]) == "zonesim" && args[1] == "probe" && args[2] == "--idle":
			continue // a probe pod of zonesim probe: it serves nothing, and probes run by exec
		case image != "agnhost":
			return nil, nil, fmt.Errorf("container %q: image %s: the zonesim lab runs no container images; it emulates agnhost (porter, pause), pause and zonesim (probe --idle)", c.Name, c.Image)
		}
		if len(args) > 0 && filepath.Base(args[0]) == "agnhost" {
			args = args[1:]
		}
		sub := ""
		if len(args) > 0 {
			sub = args[0]
		}
		switch sub {
		case "pause":
			continue
		case "porter":
		default:
			return nil, nil, fmt.Errorf("container %q: agnhost %q is not emulated by the zonesim lab (porter and pause are)", c.Name, sub)
		}
		for _, e := range c.Env {
			var list *[]int
			var num string
			for prefix, l := range map[string]*[]int{"SERVE_PORT_": &tcp, "SERVE_TCP_PORT_": &tcp, "SERVE_TLS_PORT_": &tcp, "SERVE_UDP_PORT_": &udp} {
				if n, ok := strings.CutPrefix(e.Name, prefix); ok {
					list, num = l, n
				}
			}
			if list == nil {
				continue
			}
			port, err := strconv.Atoi(num)
			if err != nil || port < 1 || port > 65535 {
				return nil, nil, fmt.Errorf("container %q: env %s: not a port", c.Name, e.Name)
			}
			*list = append(*list, port)
		}
	}
	slices.Sort(tcp)
	slices.Sort(udp)
	return slices.Compact(tcp), slices.Compact(udp), nil
}
