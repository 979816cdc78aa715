package simulate_test

// The Kubernetes NetworkPolicy e2e cases (internal/conformance) against the engine: every step's expected
// truth table must be what the engine computes. Loopback (a pod to itself) is not checked, as upstream.

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/internal/conformance"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
	corev1 "k8s.io/api/core/v1"
)

func loadEngine(t *testing.T, manifests []byte) *simulate.Engine {
	t.Helper()
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("conformance.yaml", manifests)
	c, err := l.Cluster()
	require.NoError(t, err)
	return simulate.New(c, mustProfile(t, "generic"), "")
}

func mustProfile(t testing.TB, name string) simulate.Profile {
	p, err := simulate.LookupProfile(name)
	require.NoError(t, err)
	return p
}

// observe computes the engine's truth table for one port and protocol.
func observe(t *testing.T, e *simulate.Engine, pods []string, port int32, pr corev1.Protocol) map[[2]string]bool {
	got := map[[2]string]bool{}
	for _, f := range pods {
		for _, to := range pods {
			if f == to {
				continue
			}
			src, err := e.ResolveEndpoint(f)
			require.NoError(t, err)
			dst, err := e.ResolveEndpoint(to)
			require.NoError(t, err)
			res, err := e.Query(src, dst, &simulate.PortSpec{Protocol: pr, Lo: port, Hi: port}, 0)
			require.NoError(t, err)
			got[[2]string{f, to}] = res.Allowed
		}
	}
	return got
}

func TestConformanceUpstreamNetpol(t *testing.T) {
	for _, c := range conformance.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			resolve := func(m []byte) (map[string]netip.Addr, error) {
				ips := map[string]netip.Addr{}
				for _, p := range loadEngine(t, m).Cluster.Pods {
					ips[p.Key()] = p.IP
				}
				return ips, nil
			}
			err := c.Walk(resolve, func(step int, m []byte, checks []conformance.Check) error {
				e := loadEngine(t, m)
				for _, ch := range checks {
					want := ch.Want(c.Pods)
					got := observe(t, e, c.Pods, ch.Port, ch.Protocol)
					if !want.Agrees(got) {
						t.Errorf("step %d, %s/%d: engine disagrees with the upstream expectation\nexpected:\n%s\ncomputed:\n%s\ncomparison (. agree, X disagree):\n%s",
							step, ch.Protocol, ch.Port, want.Table(want.Want, false), want.Table(got, false), want.Table(got, true))
					}
				}
				return nil
			})
			require.NoError(t, err)
		})
	}
}
