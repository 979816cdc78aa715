//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/conformance"
	"github.com/zonesim/zonesim/pkg/lab"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/report"
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

// resolver gives a case's steps the pods' addresses, as the lab will keep them.
func resolver(t *testing.T) func([]byte) (map[string]netip.Addr, error) {
	return func(m []byte) (map[string]netip.Addr, error) {
		ips := map[string]netip.Addr{}
		for _, p := range loadBytes(t, "resolve.yaml", m).Pods {
			ips[p.Key()] = p.IP
		}
		return ips, nil
	}
}

func backend(t *testing.T) apply.Backend {
	t.Helper()
	b, err := apply.NewLabBackend(labName)
	require.NoError(t, err)
	return b
}

func run(ctx context.Context, t *testing.T, c *model.Cluster, opts apply.Options) *apply.Result {
	t.Helper()
	opts.Log = testWriter{t}
	res, err := apply.Run(ctx, backend(t), c, opts)
	require.NoError(t, err)
	runCIDR(true) // the next run gets fresh addresses
	return res
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func table(t *testing.T, res *apply.Result) string {
	var b bytes.Buffer
	require.NoError(t, report.WriteE2E(&b, res, "text"))
	return b.String()
}

// The embedded two-zone scenario: every pod pair on every port the model cares about.
func TestTwoZoneScenario(t *testing.T) {
	f := features.New("two-zone scenario").
		Assess("prediction matches real traffic", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			c := embedded(t)
			res := run(ctx, t, c, apply.Options{})
			assert.Greater(t, res.Probed, 100)
			assert.Zero(t, res.Mismatches, table(t, res))
			return ctx
		}).
		Assess("a deliberately wrong prediction fails with a readable diff", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			c := embedded(t)
			res := run(ctx, t, c, apply.Options{Flip: [2]string{"payments/payments-0", "shop-web/frontend-0"}})
			assert.Equal(t, len(res.Ports), res.Mismatches, "one flipped pod pair disagrees on every port")
			out := table(t, res)
			assert.Contains(t, out, "MISMATCH payments/payments-0 -> shop-web/frontend-0 on TCP/8080: predicted allowed, observed denied")
			assert.Contains(t, out, "explain: zonesim query from payments/payments-0 to shop-web/frontend-0 --port tcp/8080")
			assert.Contains(t, out, " X ")
			return ctx
		}).Feature()
	testenv.Test(t, f)
}

// The upstream Kubernetes NetworkPolicy cases: the lab must observe exactly the upstream expectation,
// and exactly what zonesim predicts. A case's later steps update the running configuration in place
// (labels, policy changes and deletions), as upstream does, so the enforcer's handling of updates is tested.
func TestUpstreamNetworkPolicyCases(t *testing.T) {
	cases := conformance.Cases()
	if n := os.Getenv("ZONESIM_E2E_CASES"); n == "short" {
		cases = cases[:20]
	}
	fb := features.New("upstream netpol cases")
	for _, c := range cases {
		c := c
		fb = fb.Assess(c.Name, func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			var session *apply.Session
			defer func() {
				if session != nil {
					assert.NoError(t, session.Close(ctx))
				}
				runCIDR(true) // the next case gets fresh addresses
			}()
			err := c.Walk(resolver(t), func(step int, m []byte, checks []conformance.Check) error {
				cluster := loadBytes(t, "case.yaml", m)
				var err error
				if session == nil {
					session, err = apply.Start(ctx, backend(t), cluster, apply.Options{Log: testWriter{t}})
				} else {
					err = session.Update(ctx, cluster)
				}
				require.NoError(t, err)
				res, err := session.Probe(ctx)
				require.NoError(t, err)
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
				return nil
			})
			require.NoError(t, err)
			return ctx
		})
	}
	testenv.Test(t, fb.Feature())
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
			resolve := resolver(t)
			require.NoError(t, c.Walk(resolve, func(_ int, m []byte, _ []conformance.Check) error {
				res := run(ctx, t, loadBytes(t, "random.yaml", m), apply.Options{})
				assert.Zero(t, res.Mismatches, "%s: observation differs from zonesim's prediction\n%s\npolicies:\n%s", c.Name, table(t, res), m)
				return nil
			}))
			return ctx
		})
	}
	testenv.Test(t, fb.Feature())
}
