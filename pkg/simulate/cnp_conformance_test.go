package simulate_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/internal/conformance"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// The network-policy-api v0.3.0 ClusterNetworkPolicy conformance tests (internal/conformance) against the
// engine. On generic, which enforces ClusterNetworkPolicy, every poke of every step gets upstream's
// verdict, and the memoized matrix agrees with the explained query at every step. On ovn-kubernetes,
// which enforces only v1alpha1, the ClusterNetworkPolicies are ignored, and said to be: every poke gets
// through. That holds as no case's NetworkPolicy denies a poke: the only one, the integration test's,
// admits gryffindor's traffic with slytherin both ways, which is all that test pokes, and the test deletes
// it before its last steps.
func TestConformanceClusterNetworkPolicy(t *testing.T) {
	for _, tc := range conformance.CNPCases() {
		t.Run("generic/"+tc.Name, func(t *testing.T) {
			runAdminCase(t, tc, "generic", func(p conformance.Poke) bool { return p.Allowed })
		})
		t.Run("ovn-kubernetes/"+tc.Name, func(t *testing.T) {
			runAdminCase(t, tc, "ovn-kubernetes", func(conformance.Poke) bool { return true })
		})
	}
}

// runAdminCase loads a case in the ClusterNetworkPolicy world and runs its steps on a profile: each step's
// changes, then its pokes (want is the verdict expected of a poke), and the matrix against the query.
func runAdminCase(t *testing.T, tc conformance.AdminCase, cni string, want func(conformance.Poke) bool) {
	t.Helper()
	c := loadCluster(t, conformance.CNPWorld(), tc.Policies)
	profile := mustProfile(t, cni)
	for _, step := range tc.Steps {
		if step.Mutate != nil {
			require.NoError(t, step.Mutate(c), step.Name)
		}
		e := simulate.New(c, profile, "")
		if !profile.ClusterNetworkPolicy {
			assert.Contains(t, strings.Join(e.Notes(), "\n"), "ClusterNetworkPolicy object(s) are not enforced by --cni "+cni, step.Name)
		}
		for _, p := range step.Pokes {
			assert.Equal(t, want(p), allowed(t, e, p.From, p.To, p.Protocol, p.Port), "%s: %s -> %s on %s/%d", step.Name, p.From, p.To, p.Protocol, p.Port)
		}
		matrixAgreesWithQuery(t, e)
	}
}
