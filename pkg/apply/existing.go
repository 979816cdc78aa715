package apply

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	neturl "net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zonesim/zonesim/internal/poll"
	"github.com/zonesim/zonesim/pkg/lab"
	"github.com/zonesim/zonesim/pkg/model"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
	"k8s.io/streaming/pkg/httpstream"
)

// DefaultImage serves and probes in the existing backend's pods: the image of the upstream NetworkPolicy
// e2e tests (agnhost porter serves, agnhost connect probes).
const DefaultImage = "registry.k8s.io/e2e-test-images/agnhost:2.66.1"

// probeContainer is the one container of every probe pod.
const probeContainer = "probe"

// ExistingOptions say which cluster the existing backend uses and how.
type ExistingOptions struct {
	Kubeconfig string // empty: $KUBECONFIG or ~/.kube/config
	Context    string // empty: the kubeconfig's current context
	// AllowContext names a context that is not a kind or lab context and may still be used.
	AllowContext string
	Image        string        // default DefaultImage
	CNI          string        // the --cni profile of the cluster's network plugin; default generic
	PodTimeout   time.Duration // for the probe pods to run (image pulls); default 5m
	// Unsupported are protocols the cluster cannot carry, with the reason (their cells are skipped).
	Unsupported map[model.Protocol]string
}

// ExistingBackend runs on any cluster a kubeconfig reaches: probe pods from an image, probes by exec.
type ExistingBackend struct {
	opts    ExistingOptions
	name    string // the backend's name when not "existing (context NAME)" (kind's)
	context string
	lab     bool // the cluster is a zonesim lab (its node says so)
	config  *rest.Config
	client  kubernetes.Interface
}

// SafeContext reports whether a context is one zonesim may create and delete namespaces in without being
// told: a kind cluster's (kind-*) or a zonesim lab's (zonesim-lab-*).
func SafeContext(name string) bool {
	return strings.HasPrefix(name, "kind-") || strings.HasPrefix(name, lab.ContextName(""))
}

// NewExistingBackend connects to the cluster, refusing a context that is not a kind or lab context unless
// opts.AllowContext names it. Connecting stops when ctx is cancelled.
func NewExistingBackend(ctx context.Context, opts ExistingOptions) (*ExistingBackend, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if opts.Kubeconfig != "" {
		rules.ExplicitPath = opts.Kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: opts.Context})
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	name := opts.Context
	if name == "" {
		name = raw.CurrentContext
	}
	if name == "" {
		return nil, errors.New("kubeconfig: no current context; name the cluster to act on with --target-context")
	}
	if _, ok := raw.Contexts[name]; !ok {
		return nil, fmt.Errorf("kubeconfig: context %q does not exist", name)
	}
	if !SafeContext(name) && name != opts.AllowContext {
		return nil, fmt.Errorf("context %q is not a kind (kind-*) or zonesim lab (zonesim-lab-*) context: zonesim creates and deletes "+
			"namespaces, pods and NetworkPolicies there; to use it anyway pass --allow-context %s", name, name)
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if opts.Image == "" {
		opts.Image = DefaultImage
	}
	if opts.CNI == "" {
		opts.CNI = "generic"
	}
	if opts.PodTimeout == 0 {
		opts.PodTimeout = 5 * time.Minute
	}
	b := &ExistingBackend{opts: opts, context: name, config: cfg, client: client}
	// A zonesim lab, under any context name, lacks what the lab backend knows it lacks; a cluster that
	// does not let us list nodes is taken for a real one.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: lab.NodeLabel, Limit: 1}); err == nil && len(nodes.Items) > 0 {
		b.lab = true
		if b.opts.Unsupported == nil {
			b.opts.Unsupported = map[model.Protocol]string{}
		}
		for p, why := range LabUnsupported() {
			b.opts.Unsupported[p] = why
		}
	}
	return b, nil
}

// Options are the options the backend runs with, its kubeconfig and context included.
func (b *ExistingBackend) Options() ExistingOptions { return b.opts }

// Name is "existing (context NAME)", or "kind (cluster NAME, PROVIDER)" for the kind backend.
func (b *ExistingBackend) Name() string {
	if b.name != "" {
		return b.name
	}
	return "existing (context " + b.context + ")"
}

// Capabilities are what the user said of the cluster (--cni, --skip-protocol), and, on a zonesim lab, what
// the lab lacks: SCTP, and a namespace controller (zonesim finalizes the namespaces it deleted there, and
// nowhere else).
func (b *ExistingBackend) Capabilities() Capabilities {
	return Capabilities{CNI: b.opts.CNI, Unsupported: b.opts.Unsupported, FinalizeNamespaces: b.lab}
}

// Client is the cluster's client.
func (b *ExistingBackend) Client() (kubernetes.Interface, error) { return b.client, nil }

// ProbePodObject is the pod the existing backend creates for a probe pod: one container of the image,
// agnhost porter serving every probe port (SERVE_<PROTO>_PORT_<n>), declaring the model's container ports
// with their names (named ports resolve on them) and the other probe ports unnamed. Protocols the cluster
// cannot carry are declared but not served (porter would fail to listen on them).
func ProbePodObject(p *ProbePod, ports []Port, image string, unsupported map[model.Protocol]string) *corev1.Pod {
	declared := map[Port]bool{}
	cports := append([]corev1.ContainerPort(nil), p.Ports...)
	for _, cp := range p.Ports {
		declared[Port{cp.Protocol, cp.ContainerPort}] = true
	}
	serve := map[Port]bool{}
	for _, port := range ports {
		serve[port] = true
		if !declared[port] {
			cports = append(cports, corev1.ContainerPort{ContainerPort: port.Port, Protocol: port.Protocol})
		}
	}
	for port := range declared {
		serve[port] = true
	}
	var env []corev1.EnvVar
	for port := range serve {
		if _, skip := unsupported[port.Protocol]; skip {
			continue
		}
		env = append(env, corev1.EnvVar{Name: fmt.Sprintf("SERVE_%s_PORT_%d", port.Protocol, port.Port), Value: "zonesim"})
	}
	sort.Slice(env, func(i, j int) bool { return env[i].Name < env[j].Name })
	labels := map[string]string{}
	for k, v := range p.Labels {
		labels[k] = v
	}
	grace := int64(1) // agnhost porter stops at once
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: labels},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: &grace,
			Containers: []corev1.Container{{Name: probeContainer, Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
				Command: []string{"/agnhost", "porter"}, Env: env, Ports: cports}},
		},
	}
}

// CreatePods creates the probe pods, waits (with a deadline) until every one runs and is ready, and checks
// that each one answers itself through exec before any policy applies.
func (b *ExistingBackend) CreatePods(ctx context.Context, pods []*ProbePod, ports []Port) error {
	for _, p := range pods {
		if _, err := b.client.CoreV1().Pods(p.Namespace).Create(ctx, ProbePodObject(p, ports, b.opts.Image, b.opts.Unsupported),
			metav1.CreateOptions{FieldManager: "zonesim"}); err != nil {
			return fmt.Errorf("create pod %s: %w", p.Key(), err)
		}
	}
	if err := b.waitRunning(ctx, pods); err != nil {
		return err
	}
	var first *Port
	for i := range ports {
		if _, skip := b.opts.Unsupported[ports[i].Protocol]; !skip {
			first = &ports[i]
			break
		}
	}
	if first == nil {
		return nil
	}
	return forEach(ctx, pods, 8, func(ctx context.Context, p *ProbePod) error {
		addr := net.JoinHostPort(p.IP, strconv.Itoa(int(first.Port)))
		var last error
		err := poll.Until(ctx, time.Minute, 500*time.Millisecond, func() (bool, error) {
			ok, err := b.Probe(ctx, p, first.Protocol, addr, time.Second)
			last = err
			return err == nil && ok, nil
		})
		if errors.Is(err, poll.ErrTimeout) {
			return fmt.Errorf("pod %s does not answer itself on %s after 1m (exec: %v); try: %s", p.Key(), first, last, b.ProbeCommand(p, first.Protocol, addr))
		}
		return err
	})
}

// waitRunning polls the pods until all run, are ready and have an IP; on the deadline it says, per pod,
// what it waits for (an image pull error, a pending schedule).
func (b *ExistingBackend) waitRunning(ctx context.Context, pods []*ProbePod) error {
	var waiting []string
	err := poll.Until(ctx, b.opts.PodTimeout, time.Second, func() (bool, error) {
		waiting = nil
		for _, p := range pods {
			got, err := b.client.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
			if err != nil {
				return false, fmt.Errorf("pod %s: %w", p.Key(), err)
			}
			if why := notReady(got); why != "" {
				waiting = append(waiting, p.Key()+": "+why)
				continue
			}
			p.IP = got.Status.PodIP
		}
		return len(waiting) == 0, nil
	})
	if errors.Is(err, poll.ErrTimeout) {
		return fmt.Errorf("%d probe pod(s) not running after %s:\n  %s", len(waiting), b.opts.PodTimeout, strings.Join(waiting, "\n  "))
	}
	return err
}

// notReady says why a pod is not yet running and ready, or "".
func notReady(p *corev1.Pod) string {
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" {
			return fmt.Sprintf("container %s waiting: %s: %s", cs.Name, w.Reason, w.Message)
		}
		if t := cs.State.Terminated; t != nil {
			return fmt.Sprintf("container %s terminated: %s (exit %d)", cs.Name, t.Reason, t.ExitCode)
		}
	}
	if p.Status.Phase != corev1.PodRunning {
		phase := string(p.Status.Phase)
		if phase == "" {
			phase = "no status yet"
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				return phase + ": unschedulable: " + c.Message
			}
		}
		return phase
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status != corev1.ConditionTrue {
			return "running, not ready"
		}
	}
	if p.Status.PodIP == "" {
		return "running, no pod IP yet"
	}
	return ""
}

// DeletePods deletes the probe pods and waits until they are gone, so their namespaces go cleanly.
func (b *ExistingBackend) DeletePods(ctx context.Context, pods []*ProbePod) error {
	var errs []error
	for _, p := range pods {
		if err := b.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for _, p := range pods {
		err := poll.Until(ctx, time.Until(deadline), 500*time.Millisecond, func() (bool, error) {
			_, err := b.client.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		if errors.Is(err, poll.ErrTimeout) {
			err = fmt.Errorf("pod %s still there after 2m", p.Key())
		}
		if err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return errors.Join(errs...)
}

func connectCommand(proto model.Protocol, addr string, timeout time.Duration) []string {
	return []string{"/agnhost", "connect", addr, "--timeout=" + timeout.String(), "--protocol=" + strings.ToLower(string(proto))}
}

// Probe execs agnhost connect in the source pod: exit 0 is a connection, exit 1 (agnhost's for every
// failure to connect) is none; anything else (126, 127: no agnhost in the image) is an error.
func (b *ExistingBackend) Probe(ctx context.Context, from *ProbePod, proto model.Protocol, addr string, timeout time.Duration) (bool, error) {
	var stdout, stderr bytes.Buffer
	ectx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
	defer cancel()
	err := b.exec(ectx, from.Namespace, from.Name, connectCommand(proto, addr, timeout), nil, &stdout, &stderr)
	var exit utilexec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &exit) && exit.ExitStatus() == 1:
		return false, nil
	}
	return false, fmt.Errorf("exec in %s: %v: %s", from.Key(), err, strings.TrimSpace(stderr.String()))
}

// exec runs command in the probe container of a pod, with the streams given (stdin may be nil), as
// kubectl exec does.
func (b *ExistingBackend) exec(ctx context.Context, namespace, name string, command []string, stdin io.Reader, stdout, stderr io.Writer) error {
	req := b.client.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(name).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: probeContainer, Command: command, Stdin: stdin != nil, Stdout: true, Stderr: true},
			scheme.ParameterCodec)
	exec, err := newExecutor(b.config, req.URL().String())
	if err != nil {
		return err
	}
	return exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: stdin, Stdout: stdout, Stderr: stderr})
}

// newExecutor speaks WebSocket to the API server, falling back to SPDY, as kubectl does.
func newExecutor(cfg *rest.Config, url string) (remotecommand.Executor, error) {
	u, err := neturl.Parse(url)
	if err != nil {
		return nil, err
	}
	ws, err := remotecommand.NewWebSocketExecutor(cfg, "GET", url)
	if err != nil {
		return nil, err
	}
	spdy, err := remotecommand.NewSPDYExecutor(cfg, "POST", u)
	if err != nil {
		return nil, err
	}
	return remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
}

// ProbeCommand is the kubectl command that reproduces a probe.
func (b *ExistingBackend) ProbeCommand(from *ProbePod, proto model.Protocol, addr string) string {
	return b.kubectlExec(from.Namespace, from.Name, false, connectCommand(proto, addr, time.Second))
}

// kubectlExec is the kubectl command that runs command in the probe container of a pod (-i: with stdin).
func (b *ExistingBackend) kubectlExec(namespace, name string, stdin bool, command []string) string {
	kc := ""
	if b.opts.Kubeconfig != "" {
		kc = " --kubeconfig " + b.opts.Kubeconfig
	}
	i := ""
	if stdin {
		i = " -i"
	}
	return fmt.Sprintf("kubectl%s --context %s exec%s -n %s %s -c %s -- %s", kc, b.context, i, namespace, name, probeContainer, strings.Join(command, " "))
}

// forEach runs f on every pod, at most n at once, and returns the first error; the first error cancels
// the context the others run with.
func forEach(ctx context.Context, pods []*ProbePod, n int, f func(context.Context, *ProbePod) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, n)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for _, p := range pods {
		wg.Add(1)
		sem <- struct{}{}
		go func(p *ProbePod) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(ctx, p); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}(p)
	}
	wg.Wait()
	return first
}
