//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/internal/conformance"
	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/lab"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/result"
	"github.com/zonesim/zonesim/scenarios"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
)

// runCIDR hands every run a fresh /24 of the lab's pod network: the lab keeps the model's addresses (so
// ipBlocks mean the same on the cluster), and no address is reused while the enforcer may still hold
// rules of an earlier run for it.
var runCIDR = func() func(next bool) netip.Prefix {
	n := 0
	return func(next bool) netip.Prefix {
		if next {
			n++
		}
		b := lab.PodCIDR.Addr().As4()
		b[2] = byte(1 + n%250)
		return netip.PrefixFrom(netip.AddrFrom4(b), 24)
	}
}()

func labOptions() model.LoadOptions {
	o := model.DefaultLoadOptions()
	o.PodCIDR = runCIDR(false)
	return o
}

func loadBytes(t *testing.T, name string, data []byte) *model.Cluster {
	t.Helper()
	l := model.NewLoader(labOptions(), nil)
	l.AddBytes(name, data)
	c, err := l.Cluster()
	require.NoError(t, err)
	return c
}

// embedded loads the embedded two-zone scenario with lab addresses.
func embedded(t *testing.T) *model.Cluster {
	t.Helper()
	l := model.NewLoader(labOptions(), nil)
	require.NoError(t, scenarios.AddDefault(l))
	c, err := l.Cluster()
	require.NoError(t, err)
	return c
}

// backend is where the suite runs: the lab, or the cluster of --kubeconfig.
func backend(t *testing.T) apply.Backend {
	t.Helper()
	if existing != nil {
		b, err := apply.NewExistingBackend(context.Background(), *existing)
		require.NoError(t, err)
		return b
	}
	b, err := apply.NewLabBackend(labName)
	require.NoError(t, err)
	return b
}

// existingOnLab is the existing backend pointed at the lab: probe pods from the agnhost image, run by the
// lab's node agent, probes by exec through the API server.
func existingOnLab(t *testing.T) apply.Backend {
	t.Helper()
	if existing != nil {
		t.Skip("the suite runs on --kubeconfig: every test already uses the existing backend")
	}
	st, err := lab.Load(labName)
	require.NoError(t, err)
	b, err := apply.NewExistingBackend(context.Background(), apply.ExistingOptions{Kubeconfig: st.Kubeconfig, PodTimeout: time.Minute})
	require.NoError(t, err)
	return b
}

func run(ctx context.Context, t *testing.T, b apply.Backend, c *model.Cluster, opts apply.Options) *result.E2E {
	t.Helper()
	opts.Log = testWriter{t}
	res, err := apply.Run(ctx, b, c, opts)
	require.NoError(t, err)
	runCIDR(true) // the next run gets fresh addresses
	return res
}

// walk runs a case's steps as one session on b: the pods first, then each step's labels and policies as an
// in-place update, as upstream does. Steps that build policies from pod addresses (ipBlock) get the
// addresses the pods really have.
func walk(ctx context.Context, t *testing.T, b apply.Backend, c conformance.Case, each func(step int, res *result.E2E, checks []conformance.Check)) {
	t.Helper()
	var session *apply.Session
	defer func() {
		if session != nil {
			assert.NoError(t, session.Close(ctx))
		}
		runCIDR(true) // the next case gets fresh addresses
	}()
	start := func(m []byte) error {
		var err error
		if session == nil {
			session, err = apply.Start(ctx, b, loadBytes(t, "case.yaml", m), apply.Options{Log: testWriter{t}})
		} else {
			err = session.Update(ctx, loadBytes(t, "case.yaml", m))
		}
		return err
	}
	resolve := func(m []byte) (map[string]netip.Addr, error) {
		if err := start(m); err != nil {
			return nil, err
		}
		ips := map[string]netip.Addr{}
		for _, p := range session.Plan().Pods {
			ip, err := netip.ParseAddr(p.IP)
			if err != nil {
				return nil, fmt.Errorf("pod %s: %w", p.Original, err)
			}
			ips[p.Original] = ip
		}
		return ips, nil
	}
	require.NoError(t, c.Walk(resolve, func(step int, m []byte, checks []conformance.Check) error {
		if err := start(m); err != nil {
			return err
		}
		res, err := session.Probe(ctx)
		if err != nil {
			return err
		}
		each(step, res, checks)
		return nil
	}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func table(t *testing.T, res *result.E2E) string {
	var b bytes.Buffer
	require.NoError(t, report.WriteE2E(&b, res, report.Table))
	return b.String()
}

// The embedded two-zone scenario: every pod pair on every port the model cares about.
func TestTwoZoneScenario(t *testing.T) {
	f := features.New("two-zone scenario").
		Assess("prediction matches real traffic", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			twoZone(ctx, t, backend(t))
			return ctx
		}).
		Assess("a deliberately wrong prediction fails with a readable diff", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			res := run(ctx, t, backend(t), embedded(t), apply.Options{Flip: [2]string{"payments/payments-0", "shop-web/frontend-0"}})
			assert.Equal(t, len(res.Ports), res.Mismatches, "one flipped pod pair disagrees on every port")
			out := table(t, res)
			assert.Contains(t, out, "MISMATCH payments/payments-0 -> shop-web/frontend-0 on TCP/8080: predicted allowed, observed denied")
			assert.Contains(t, out, "explain: zonesim query from payments/payments-0 to shop-web/frontend-0 --port tcp/8080")
			assert.Contains(t, out, " X ")
			return ctx
		}).Feature()
	testenv.Test(t, f)
}

func twoZone(ctx context.Context, t *testing.T, b apply.Backend) {
	res := run(ctx, t, b, embedded(t), apply.Options{})
	assert.Greater(t, res.Probed, 100)
	assert.Zero(t, res.Mismatches, table(t, res))
}

// The upstream Kubernetes NetworkPolicy cases: the cluster must observe exactly the upstream expectation,
// and exactly what zonesim predicts. A case's later steps update the running configuration in place
// (labels, policy changes and deletions), as upstream does, so the enforcer's handling of updates is tested.
func TestUpstreamNetworkPolicyCases(t *testing.T) {
	cases := conformance.Cases()
	if n := os.Getenv("ZONESIM_E2E_CASES"); n == "short" {
		cases = cases[:20]
	}
	fb := features.New("upstream netpol cases")
	for _, c := range cases {
		fb = fb.Assess(c.Name, func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			upstreamCase(ctx, t, backend(t), c)
			return ctx
		})
	}
	testenv.Test(t, fb.Feature())
}

func upstreamCase(ctx context.Context, t *testing.T, b apply.Backend, c conformance.Case) {
	walk(ctx, t, b, c, func(step int, res *result.E2E, checks []conformance.Check) {
		assert.Positive(t, res.Probed, "step %d: nothing probed", step)
		assert.Zero(t, res.Mismatches, "step %d: observation differs from zonesim's prediction\n%s", step, table(t, res))
		for _, ch := range checks {
			port := strings.ToUpper(string(ch.Protocol)) + "/" + itoa(ch.Port)
			want := ch.Want(c.Pods)
			got := map[[2]string]bool{}
			probed := false
			for _, cell := range res.Cells {
				if cell.Port == port && cell.Skipped == "" {
					got[[2]string{cell.From, cell.To}] = cell.Observed
					probed = true
				}
			}
			if !probed {
				t.Logf("step %d %s: not probed on this backend (skipped cells)", step, port)
				continue
			}
			if !want.Agrees(got) {
				t.Errorf("step %d %s: real traffic differs from the upstream expectation\nexpected:\n%s\nobserved:\n%s\ncomparison:\n%s",
					step, port, want.Table(want.Want, false), want.Table(got, false), want.Table(got, true))
			}
		}
	})
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// Seeded random policy sets: whatever the policies, the real cluster must do what zonesim predicts.
// ZONESIM_E2E_SEEDS sets how many (default 12); a failing seed reproduces with the same number.
func TestRandomPolicySets(t *testing.T) {
	seeds := 12
	if s := os.Getenv("ZONESIM_E2E_SEEDS"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		seeds = n
	}
	fb := features.New("random policy sets")
	for seed := 1; seed <= seeds; seed++ {
		c := conformance.Random(uint64(seed))
		fb = fb.Assess(c.Name, func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			walk(ctx, t, backend(t), c, func(step int, res *result.E2E, _ []conformance.Check) {
				assert.Zero(t, res.Mismatches, "%s step %d: observation differs from zonesim's prediction\n%s", c.Name, step, table(t, res))
			})
			return ctx
		})
	}
	testenv.Test(t, fb.Feature())
}

// The existing backend, on the lab: probe pods are agnhost porter pods that the lab's node agent binds and
// runs, and every probe is an exec of agnhost connect through the API server, as on any cluster. It must
// see what the lab backend sees. (With --kubeconfig every test above already runs this way.)
func TestExistingBackendOnLab(t *testing.T) {
	f := features.New("existing backend on the lab").
		Assess("two-zone scenario", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			twoZone(ctx, t, existingOnLab(t))
			return ctx
		})
	for _, c := range existingCases() {
		f = f.Assess(c.Name, func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			upstreamCase(ctx, t, existingOnLab(t), c)
			return ctx
		})
	}
	testenv.Test(t, f.Feature())
}

// existingCases are a spread of the upstream cases: default deny, a named port with a namespace selector,
// a pod label update, an ipBlock with except (real pod addresses), UDP, a policy update.
func existingCases() []conformance.Case {
	want := map[string]bool{"default-deny-all": true, "ingress from a namespace on one named port": true,
		"ingress from an updated pod": true, "except clause in an egress CIDR block": true,
		"a UDP-only policy does not allow TCP": true, "updated policy: allow-all becomes deny-all": true}
	var out []conformance.Case
	for _, c := range conformance.Cases() {
		if want[c.Name] {
			out = append(out, c)
		}
	}
	return out
}
