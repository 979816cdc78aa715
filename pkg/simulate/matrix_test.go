package simulate_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
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

func TestCellTextSaysHowThePairsDiffer(t *testing.T) {
	tests := []struct {
		conns          string
		uniform        bool
		allowed, total int
		want           string
	}{
		{"all", true, 4, 4, "all"},
		{"-", true, 0, 4, "-"},
		{"all", false, 2, 4, "partial: all (2/4 pairs)"},
		{"TCP/80, TCP/443", false, 4, 4, "varies: TCP/80, TCP/443 (4/4 pairs, not alike)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, simulate.CellText(tt.conns, tt.uniform, tt.allowed, tt.total))
	}
}
