package simulate_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/gen"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// The memoized matrix path and the explained query path must agree on every pod pair, for every profile.
func TestMatrixAgreesWithQuery(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, gen.Write(&buf, gen.Options{Namespaces: 8, Workloads: 4, Zones: 3, Seed: 3}))
	for _, cni := range simulate.ProfileNames() {
		t.Run(cni, func(t *testing.T) {
			l := model.NewLoader(model.DefaultLoadOptions(), nil)
			l.AddBytes("gen.yaml", buf.Bytes())
			l.AddBytes("world.yaml", []byte(world))
			c, err := l.Cluster()
			require.NoError(t, err)
			matrixAgreesWithQuery(t, simulate.New(c, mustProfile(t, cni), ""))
		})
	}
}
