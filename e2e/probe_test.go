//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/lab"
	"github.com/zonesim/zonesim/pkg/probe"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
)

// probeLab runs `zonesim probe --backend lab` as a user would, and returns its results and exit code.
func probeLab(t *testing.T, scenario string, args ...string) ([]probe.Result, int) {
	t.Helper()
	return probeCommand(t, append([]string{"--backend", "lab", "--lab-name", labName, "-f", scenario}, args...)...)
}

// probeCommand runs zonesim probe -o jsonl, and returns its results and exit code.
func probeCommand(t *testing.T, args ...string) ([]probe.Result, int) {
	t.Helper()
	cmd := exec.Command(os.Getenv("ZONESIM_BIN"), append([]string{"probe", "-o", "jsonl", "--timeout", "2s"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	if code == 0 {
		require.NotContains(t, stderr.String(), "error")
	} else {
		require.Contains(t, stderr.String(), "probe finding(s)", "exit code %d", code)
	}
	var rs []probe.Result
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var r probe.Result
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		rs = append(rs, r)
	}
	return rs, code
}

func resultOf(rs []probe.Result, endpoint, from, check string) (probe.Result, bool) {
	for _, r := range rs {
		if r.Endpoint == endpoint && r.From == from && r.Check == check {
			return r, true
		}
	}
	return probe.Result{}, false
}

// Probes from inside the lab's pods (issue 12): DNS through the lab's name server, TCP and TLS from each
// pod's network namespace through kube-router, the egress SNAT, the EgressFirewall, the perimeter and the
// endpoints' allowlists, each held against the model's verdict for that pod.
func TestProbeInLab(t *testing.T) {
	f := features.New("probe --backend lab").
		Assess("outbound-only: every probe as the model says", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			b := zoneBackend(t)
			const scenario = "../scenarios/outbound-only/scenario.yaml"
			s, err := apply.Start(ctx, b, loadScenario(t, scenario), apply.Options{Log: testWriter{t}})
			defer func() {
				if s != nil {
					assert.NoError(t, s.Close(ctx))
				}
				runCIDR(true)
			}()
			require.NoError(t, err)

			rs, code := probeLab(t, scenario, "--internet", "192.0.2.99:443")
			assert.Equal(t, 0, code, "%+v", rs)
			for _, r := range rs {
				assert.Equal(t, probe.OK, r.Status, "%+v", r)
			}
			r, ok := resultOf(rs, "crm-api", "", "dns")
			require.True(t, ok)
			assert.Equal(t, "resolves to 198.51.100.20", r.Detail)
			r, ok = resultOf(rs, "crm-api", "crm-sync/crm-poller-0", "tcp")
			require.True(t, ok)
			assert.Equal(t, []any{"allowed", "connected"}, []any{r.Expect, r.Outcome})
			r, ok = resultOf(rs, "crm-api", "crm-sync/crm-poller-0", "tls")
			require.True(t, ok)
			assert.Equal(t, "handshake", r.Outcome, "the chain verifies against the lab's externals CA, for the endpoint's name")
			r, ok = resultOf(rs, "payments-api", "crm-sync/crm-poller-0", "tcp")
			require.True(t, ok)
			assert.Equal(t, []any{"denied", false}, []any{r.Expect, r.Success}, "what crm-sync must not reach is probed too, and blocked")
			r, ok = resultOf(rs, probe.Internet, "billing-sync/billing-poller-0", "tcp")
			require.True(t, ok)
			assert.Equal(t, []any{"denied", false}, []any{r.Expect, r.Success}, "no direct internet egress")

			// A model that drifted from what runs: the allowlist the scenario now declares for crm-api lacks
			// crm-sync's egress IP, but the endpoint still accepts it. The probe says so, with the query.
			dir := t.TempDir()
			abs, err := filepath.Abs("../scenarios/outbound-only/manifests")
			require.NoError(t, err)
			require.NoError(t, os.Symlink(abs, filepath.Join(dir, "manifests")))
			text, err := os.ReadFile(scenario)
			require.NoError(t, err)
			drifted := strings.Replace(string(text), "acceptsFrom: [10.40.0.241/32, 10.40.0.242/32]", "acceptsFrom: [10.40.0.242/32]", 1)
			require.NotEqual(t, string(text), drifted)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "scenario.yaml"), []byte(drifted), 0o644))
			rs, code = probeLab(t, filepath.Join(dir, "scenario.yaml"), "-n", "crm-sync", "--endpoint", "crm-api")
			assert.Equal(t, 1, code, "%+v", rs)
			r, ok = resultOf(rs, "crm-api", "crm-sync/crm-poller-0", "tcp")
			require.True(t, ok)
			assert.Equal(t, probe.Finding, r.Status)
			assert.Contains(t, r.Detail, "the model denies it (zonesim query -f "+filepath.Join(dir, "scenario.yaml")+" from crm-sync/crm-poller-0 to ext:crm-api --port tcp/443) but the connection was opened")
			return ctx
		}).Feature()
	testenv.Test(t, f)
}

// A probe pod on an existing cluster (here the lab, through the existing backend, as any cluster): the pod
// runs in the namespace itself with the labels of its pod, the lab's node agent runs the zonesim image as
// a network namespace, and every check is exec'd in it.
func TestProbePod(t *testing.T) {
	f := features.New("probe --backend existing").
		Assess("a probe pod in the namespace reaches what its policy allows, and only that", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			const scenario = "testdata/probe-pod/scenario.yaml"
			c := loadScenario(t, scenario)
			s, err := apply.Start(ctx, zoneBackend(t), c, apply.Options{Log: testWriter{t}}) // the endpoints, their TLS and names
			defer func() {
				if s != nil {
					assert.NoError(t, s.Close(ctx))
				}
				runCIDR(true)
			}()
			require.NoError(t, err)
			st, err := lab.Load(labName)
			require.NoError(t, err)
			client, err := st.Client()
			require.NoError(t, err)
			const ns = "zonesim-probe-e2e"
			_, err = client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
			require.NoError(t, err)
			defer func() { // the lab runs no namespace controller: empty the namespace and finish its deletion, as apply's cleanup does
				ctx := context.WithoutCancel(ctx)
				assert.NoError(t, client.NetworkingV1().NetworkPolicies(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}))
				assert.NoError(t, client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}))
				got, err := client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
				if assert.NoError(t, err) {
					got.Spec.Finalizers = nil
					_, err = client.CoreV1().Namespaces().Finalize(ctx, got, metav1.UpdateOptions{})
					assert.NoError(t, err)
				}
			}()
			require.Len(t, c.Policies, 1)
			_, err = client.NetworkingV1().NetworkPolicies(ns).Create(ctx, &networkingv1.NetworkPolicy{
				ObjectMeta: metav1.ObjectMeta{Name: c.Policies[0].Name, Namespace: ns}, Spec: c.Policies[0].Spec}, metav1.CreateOptions{})
			require.NoError(t, err)

			// The lab runs no cluster DNS: DNS checks are left out here (probe --backend lab covers them).
			rs, code := probeCommand(t, "--backend", "existing", "--target-kubeconfig", st.Kubeconfig, "--image", "zonesim.dev/zonesim:e2e",
				"-f", scenario, "--skip-dns", "--ca-file", st.ExternalsCA())
			assert.Equal(t, 0, code, "%+v", rs)
			for _, r := range rs {
				assert.Equal(t, probe.OK, r.Status, "%+v", r)
			}
			r, ok := resultOf(rs, "api", ns+"/worker", "tcp")
			require.True(t, ok, "%+v", rs)
			assert.Equal(t, []any{"allowed", "connected"}, []any{r.Expect, r.Outcome})
			r, ok = resultOf(rs, "api", ns+"/worker", "tls")
			require.True(t, ok)
			assert.Equal(t, "handshake", r.Outcome)
			r, ok = resultOf(rs, "other", ns+"/worker", "tcp")
			require.True(t, ok)
			assert.Equal(t, []any{"denied", false}, []any{r.Expect, r.Success})

			pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			require.NoError(t, err)
			for _, p := range pods.Items {
				assert.NotNil(t, p.DeletionTimestamp, "the probe pod %s is deleted afterwards", p.Name)
			}
			return ctx
		}).Feature()
	testenv.Test(t, f)
}
