package apply

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"time"

	"github.com/zonesim/zonesim/internal/poll"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilexec "k8s.io/client-go/util/exec"
)

// A probe pod is what zonesim probe runs in a namespace of an existing cluster: one container of an image
// with the zonesim binary (command), idle until probes are exec'd in it. It carries the labels of a pod of
// the namespace, so the policies, EgressFirewalls and EgressIPs that select that pod select it too, and
// the run's label for cleanup. Its readiness probe never succeeds (nothing listens on port 1), so no
// Service sends it traffic although it carries a workload's labels.

// probeRunnerPod is the probe pod of run runID in namespace: one a namespace and run.
func probeRunnerPod(namespace string, labels map[string]string, image string, command []string, runID string) *corev1.Pod {
	l := maps.Clone(labels)
	if l == nil {
		l = map[string]string{}
	}
	l[ProbeLabel] = runID
	grace := int64(1)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "zonesim-probe-" + runID, Namespace: namespace, Labels: l},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: &grace,
			RestartPolicy:                 corev1.RestartPolicyNever,
			AutomountServiceAccountToken:  new(bool),
			Containers: []corev1.Container{{Name: probeContainer, Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
				Command: append(append([]string(nil), command...), "probe", "--idle"),
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(1)}},
					PeriodSeconds: 3600}}},
		},
	}
}

// StartProbePod creates the probe pod of run runID in namespace and waits (up to the pod timeout) until it
// runs and has an address. It returns the pod's name, also when waiting fails (the pod exists).
func (b *ExistingBackend) StartProbePod(ctx context.Context, namespace string, labels map[string]string, command []string, runID string) (string, error) {
	pod := probeRunnerPod(namespace, labels, b.opts.Image, command, runID)
	got, err := b.client.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{FieldManager: "zonesim"})
	if err != nil {
		return "", fmt.Errorf("create a probe pod in %s: %w", namespace, err)
	}
	name := got.Name
	why := ""
	err = poll.Until(ctx, b.opts.PodTimeout, time.Second, func() (bool, error) {
		p, err := b.client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" {
			return true, nil
		}
		why = notReady(p)
		return false, nil
	})
	if errors.Is(err, poll.ErrTimeout) {
		err = fmt.Errorf("probe pod %s/%s not running after %s: %s", namespace, name, b.opts.PodTimeout, why)
	}
	return name, err
}

// DeleteProbePod deletes a probe pod, without waiting for it to go.
func (b *ExistingBackend) DeleteProbePod(ctx context.Context, namespace, name string) error {
	err := b.client.CoreV1().Pods(namespace).Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// ExecProbe runs command in a probe pod with stdin and stdout connected, as kubectl exec -i does. Exit
// code 1 (zonesim's for findings) is a result, not an error.
func (b *ExistingBackend) ExecProbe(ctx context.Context, namespace, name string, command []string, stdin io.Reader, stdout io.Writer) error {
	var stderr bytes.Buffer
	err := b.exec(ctx, namespace, name, command, stdin, stdout, &stderr)
	var exit utilexec.ExitError
	if err == nil || errors.As(err, &exit) && exit.ExitStatus() == 1 {
		return nil
	}
	return fmt.Errorf("exec in %s/%s: %v: %s", namespace, name, err, strings.TrimSpace(stderr.String()))
}

// ProbeExecCommand is the kubectl command that runs command in a probe pod, for the user to repeat it.
func (b *ExistingBackend) ProbeExecCommand(namespace, name string, command []string) string {
	return b.kubectlExec(namespace, name, true, command)
}
