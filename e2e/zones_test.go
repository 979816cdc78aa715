//go:build e2e

package e2e

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/result"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
)

func loadScenario(t *testing.T, path string) *model.Cluster {
	t.Helper()
	l := model.NewLoader(labOptions(), nil)
	l.AddPath(path)
	c, err := l.Cluster()
	require.NoError(t, err)
	return c
}

func cellOf(res *result.E2E, from, to, port string) (result.Cell, bool) {
	for _, c := range res.Cells {
		if c.From == from && c.To == to && c.Port == port {
			return c, true
		}
	}
	return result.Cell{}, false
}

func identityOf(res *result.E2E, ext, port string) (result.Identity, bool) {
	for _, id := range res.Identity {
		if id.External == ext && id.Port == port {
			return id, true
		}
	}
	return result.Identity{}, false
}

// Zones in the lab: the scenario's endpoints run outside the cluster, each zone's egress leaves with its
// egress IP, and egress firewalls, the perimeter and allowlists stand where the scenario puts them. An
// outbound flow is confirmed end to end, and the endpoint's capture shows the zone's egress IP.
func TestZonesEndToEnd(t *testing.T) {
	f := features.New("zones in the lab").
		Assess("three-tier: only the internal zone reaches the partner API, from its egress IP", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			res := run(ctx, t, zoneBackend(t), loadScenario(t, "../scenarios/three-tier/scenario.yaml"), apply.Options{})
			assert.Zero(t, res.Mismatches, table(t, res))
			c, ok := cellOf(res, "orders/orders-api-0", "ext:partner-api", "TCP/443")
			require.True(t, ok)
			assert.True(t, c.Observed, "the order API reaches the partner")
			c, _ = cellOf(res, "web/frontend-0", "ext:partner-api", "TCP/443")
			assert.False(t, c.Observed, "the DMZ does not")
			id, ok := identityOf(res, "ext:partner-api", "TCP/443")
			require.True(t, ok)
			assert.Contains(t, id.Seen, "10.20.0.201", "the partner sees the internal zone's egress IP")
			return ctx
		}).
		Assess("outbound-only: each namespace reaches only its endpoints", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			res := run(ctx, t, zoneBackend(t), loadScenario(t, "../scenarios/outbound-only/scenario.yaml"), apply.Options{})
			assert.Zero(t, res.Mismatches, table(t, res))
			assert.NotEmpty(t, res.Identity)
			return ctx
		}).
		Assess("an endpoint's allowlist drops a source the perimeter lets through", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			c := loadScenario(t, "../scenarios/outbound-only/scenario.yaml")
			c.Scenario.External("crm-api").AcceptsFrom = []netip.Prefix{netip.MustParsePrefix("10.40.0.242/32")}
			res := run(ctx, t, zoneBackend(t), c, apply.Options{})
			assert.Zero(t, res.Mismatches, table(t, res))
			cell, ok := cellOf(res, "crm-sync/crm-poller-0", "ext:crm-api", "TCP/443")
			require.True(t, ok)
			assert.False(t, cell.Predicted)
			assert.False(t, cell.Observed, "dropped by the allowlist")
			id, ok := identityOf(res, "ext:crm-api", "TCP/443")
			require.True(t, ok)
			assert.Contains(t, id.Seen, "10.40.0.241", "the connection arrived, from the egress IP the allowlist lacks")
			return ctx
		}).Feature()
	testenv.Test(t, f)
}

// zoneBackend is the lab: only it runs a scenario's networks around the cluster.
func zoneBackend(t *testing.T) apply.Backend {
	t.Helper()
	if existing != nil {
		t.Skip("zones run in the lab only: an existing cluster's perimeter and external endpoints are not zonesim's to create")
	}
	return backend(t)
}
