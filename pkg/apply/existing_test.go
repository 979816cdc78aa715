package apply_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/model"
	corev1 "k8s.io/api/core/v1"
)

// kubeconfig writes a kubeconfig with the given contexts, all pointing at server.
func kubeconfig(t *testing.T, server, current string, contexts ...string) string {
	t.Helper()
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n  - name: c\n    cluster: {server: " + server + "}\nusers:\n  - name: u\n    user: {token: t}\ncontexts:\n"
	for _, c := range contexts {
		cfg += fmt.Sprintf("  - name: %s\n    context: {cluster: c, user: u}\n", c)
	}
	cfg += "current-context: " + current + "\n"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

func TestSafeContext(t *testing.T) {
	for name, want := range map[string]bool{"kind-kind": true, "kind-zonesim-e2e": true, "zonesim-lab-default": true,
		"prod": false, "admin@ocp-east": false, "kindergarten": false, "": false} {
		assert.Equal(t, want, apply.SafeContext(name), name)
	}
}

func TestExistingBackendRefusesContextsItWasNotGiven(t *testing.T) {
	const unreachable = "https://127.0.0.1:1"
	tests := []struct {
		name    string
		opts    func(kc string) apply.ExistingOptions
		wantErr string
	}{
		{"current context is production", func(kc string) apply.ExistingOptions { return apply.ExistingOptions{Kubeconfig: kc} },
			`context "prod" is not a kind (kind-*) or zonesim lab (zonesim-lab-*) context`},
		{"allowed by name", func(kc string) apply.ExistingOptions {
			return apply.ExistingOptions{Kubeconfig: kc, AllowContext: "prod"}
		}, ""},
		{"allowing another context does not allow this one", func(kc string) apply.ExistingOptions {
			return apply.ExistingOptions{Kubeconfig: kc, AllowContext: "staging"}
		}, "pass --allow-context prod"},
		{"kind context chosen", func(kc string) apply.ExistingOptions {
			return apply.ExistingOptions{Kubeconfig: kc, Context: "kind-kind"}
		}, ""},
		{"no such context", func(kc string) apply.ExistingOptions {
			return apply.ExistingOptions{Kubeconfig: kc, Context: "kind-other"}
		},
			`context "kind-other" does not exist`},
	}
	kc := kubeconfig(t, unreachable, "prod", "prod", "kind-kind")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := apply.NewExistingBackend(context.Background(), tt.opts(kc))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			caps := b.Capabilities()
			assert.Equal(t, "generic", caps.CNI)
			assert.False(t, caps.FinalizeNamespaces, "a cluster that does not say it is a lab has a namespace controller")
		})
	}
}

func TestExistingBackendKnowsALabByItsNode(t *testing.T) {
	nodes := map[bool]string{
		true:  `{"kind":"NodeList","apiVersion":"v1","items":[{"metadata":{"name":"n","labels":{"zonesim.dev/lab":"default"}}}]}`,
		false: `{"kind":"NodeList","apiVersion":"v1","items":[]}`,
	}
	for _, isLab := range []bool{true, false} {
		t.Run(fmt.Sprint("lab=", isLab), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, "/api/v1/nodes", r.URL.Path)
				assert.Equal(t, "zonesim.dev/lab", r.URL.Query().Get("labelSelector"))
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, nodes[isLab])
			}))
			defer srv.Close()
			b, err := apply.NewExistingBackend(context.Background(), apply.ExistingOptions{Kubeconfig: kubeconfig(t, srv.URL, "c", "c"), AllowContext: "c", CNI: "cilium",
				Unsupported: map[model.Protocol]string{"UDP": "skipped: --skip-protocol UDP"}})
			require.NoError(t, err)
			caps := b.Capabilities()
			assert.Equal(t, "cilium", caps.CNI)
			assert.Equal(t, isLab, caps.FinalizeNamespaces)
			assert.Contains(t, caps.Unsupported, model.Protocol("UDP"))
			_, noSCTP := caps.Unsupported["SCTP"]
			assert.Equal(t, isLab, noSCTP)
		})
	}
}

func TestProbePodObject(t *testing.T) {
	p := &apply.ProbePod{Namespace: "zs-r-x", Name: "a", Labels: map[string]string{"pod": "a", apply.ProbeLabel: "r"},
		Ports: []corev1.ContainerPort{{Name: "serve-80-tcp", ContainerPort: 80, Protocol: "TCP"}, {Name: "dns", ContainerPort: 53, Protocol: "UDP"}}}
	ports := []apply.Port{{Protocol: "TCP", Port: 80}, {Protocol: "TCP", Port: 81}, {Protocol: "SCTP", Port: 80}}
	pod := apply.ProbePodObject(p, ports, "agnhost:test", nil)
	assert.Equal(t, "zs-r-x", pod.Namespace)
	assert.Equal(t, p.Labels, pod.Labels)
	require.Len(t, pod.Spec.Containers, 1)
	c := pod.Spec.Containers[0]
	assert.Equal(t, []string{"/agnhost", "porter"}, c.Command)
	assert.Equal(t, "agnhost:test", c.Image)
	var env []string
	for _, e := range c.Env {
		env = append(env, e.Name)
	}
	assert.Equal(t, []string{"SERVE_SCTP_PORT_80", "SERVE_TCP_PORT_80", "SERVE_TCP_PORT_81", "SERVE_UDP_PORT_53"}, env)
	assert.Equal(t, []corev1.ContainerPort{
		{Name: "serve-80-tcp", ContainerPort: 80, Protocol: "TCP"}, {Name: "dns", ContainerPort: 53, Protocol: "UDP"},
		{ContainerPort: 81, Protocol: "TCP"}, {ContainerPort: 80, Protocol: "SCTP"},
	}, c.Ports, "the model's ports keep their names (named ports resolve on them); the other probe ports are declared unnamed")

	noSCTP := apply.ProbePodObject(p, ports, "agnhost:test", map[model.Protocol]string{"SCTP": "no SCTP here"}).Spec.Containers[0]
	env = nil
	for _, e := range noSCTP.Env {
		env = append(env, e.Name)
	}
	assert.Equal(t, []string{"SERVE_TCP_PORT_80", "SERVE_TCP_PORT_81", "SERVE_UDP_PORT_53"}, env, "a protocol the cluster lacks is not served")
	assert.Len(t, noSCTP.Ports, 4, "but still declared")
}
