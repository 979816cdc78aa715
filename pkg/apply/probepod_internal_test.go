package apply

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// The probe pod stands for a pod of the namespace (its labels), never receives Service traffic (never
// ready), mounts no token, and runs zonesim probe --idle from the image.
func TestProbeRunnerPod(t *testing.T) {
	labels := map[string]string{"app": "poller"}
	p := probeRunnerPod("crm-sync", labels, "registry.example.com/zonesim:v1", []string{"/usr/local/bin/zonesim"}, "3f9a1c")
	assert.Equal(t, "zonesim-probe-3f9a1c", p.Name)
	assert.Equal(t, "crm-sync", p.Namespace)
	assert.Equal(t, map[string]string{"app": "poller", ProbeLabel: "3f9a1c"}, p.Labels)
	assert.Equal(t, map[string]string{"app": "poller"}, labels, "the model's labels are not changed")
	require.Len(t, p.Spec.Containers, 1)
	c := p.Spec.Containers[0]
	assert.Equal(t, []string{"/usr/local/bin/zonesim", "probe", "--idle"}, c.Command)
	assert.Equal(t, "registry.example.com/zonesim:v1", c.Image)
	require.NotNil(t, c.ReadinessProbe)
	assert.Equal(t, int32(1), c.ReadinessProbe.TCPSocket.Port.IntVal, "nothing listens on port 1: never ready")
	assert.False(t, *p.Spec.AutomountServiceAccountToken)
	assert.Equal(t, corev1.RestartPolicyNever, p.Spec.RestartPolicy)
}

// StartProbePod waits for the pod to run with an address (not to be ready: it never is), and says why it
// does not on the deadline.
func TestStartProbePod(t *testing.T) {
	tests := []struct {
		name    string
		status  *corev1.PodStatus // what the "kubelet" reports after creation; nil: nothing
		wantErr string
	}{
		{"running with an address", &corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.128.0.9"}, ""},
		{"image pull fails", &corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: "probe",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "no such image"}}}}},
			"probe pod crm-sync/zonesim-probe-r1 not running after 1.5s: container probe waiting: ImagePullBackOff: no such image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewClientset()
			b := &ExistingBackend{client: client, opts: ExistingOptions{Image: "zonesim:v1", PodTimeout: 1500 * time.Millisecond}}
			go func() {
				for {
					p, err := client.CoreV1().Pods("crm-sync").Get(context.Background(), "zonesim-probe-r1", metav1.GetOptions{})
					if err == nil {
						p.Status = *tt.status
						_, _ = client.CoreV1().Pods("crm-sync").UpdateStatus(context.Background(), p, metav1.UpdateOptions{})
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			}()
			name, err := b.StartProbePod(context.Background(), "crm-sync", nil, []string{"zonesim"}, "r1")
			assert.Equal(t, "zonesim-probe-r1", name)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, err.Error())
				return
			}
			require.NoError(t, err)
			require.NoError(t, b.DeleteProbePod(context.Background(), "crm-sync", name))
			require.NoError(t, b.DeleteProbePod(context.Background(), "crm-sync", name), "deleting twice is fine")
		})
	}
}
