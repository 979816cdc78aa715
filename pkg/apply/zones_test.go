package apply

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// The zone networks are derived from the scenario: SNAT to each zone's egress IP, the EgressFirewall in
// order, and the endpoint's perimeter and allowlist.
func TestZoneSetupFollowsTheScenario(t *testing.T) {
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddPath("../../scenarios/three-tier/scenario.yaml")
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("generic")
	require.NoError(t, err)
	e := simulate.New(c, p, "")
	plan := NewPlan(c, "t1")
	require.Len(t, plan.Externals, 1)
	z := zoneSetup(e, plan, plan.Externals)

	var orders *model.Pod
	for _, pod := range c.Pods {
		if pod.Key() == "orders/orders-api-0" {
			orders = pod
		}
	}
	require.NotNil(t, orders)
	src := orders.IP.String() + "/32"
	assert.Contains(t, z.NAT, []string{"-s", src, "-d", "203.0.113.10/32", "-j", "SNAT", "--to-source", "10.20.0.201"})
	var ef []string
	for _, r := range z.Filter {
		if r[1] == src {
			ef = append(ef, strings.Join(r, " "))
		}
	}
	assert.Equal(t, []string{
		"-s " + src + " -d 203.0.113.10/32 -p tcp --dport 443 -j RETURN",
		"-s " + src + " -d 203.0.113.10/32 -j DROP",
	}, ef)

	var input []string
	for _, r := range z.Externals[0].Input {
		input = append(input, strings.Join(r, " "))
	}
	assert.Contains(t, input, "-A ZS-ALLOW -s 10.20.0.200/29 -j ACCEPT")
	assert.Contains(t, input, "-A INPUT -s 10.20.0.0/24 -p tcp --dport 443 -j ZS-ALLOW")
	assert.Equal(t, "-A INPUT -j DROP", input[len(input)-1], "the perimeter's default deny")
	assert.Equal(t, []int{443}, z.Externals[0].TCP)
}
