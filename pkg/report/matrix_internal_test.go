package report

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/gen"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// A table too large to keep between its passes computes its rows again, and reads the same.
func TestTableRecomputedIsTheTableKept(t *testing.T) {
	var in bytes.Buffer
	require.NoError(t, gen.Write(&in, gen.Options{Namespaces: 6, Workloads: 3, Zones: 2, Seed: 7}))
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("gen.yaml", in.Bytes())
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("generic")
	require.NoError(t, err)
	e := simulate.New(c, p, "")
	var kept, again bytes.Buffer
	require.NoError(t, WriteMatrix(&kept, e.Matrix(simulate.LevelWorkload), Table))
	defer func(n int) { keepCells = n }(keepCells)
	keepCells = 0
	rows := 0
	require.NoError(t, WriteMatrixWith(&again, e.Matrix(simulate.LevelWorkload), Table, MatrixOptions{Progress: func(done, total int) { rows = done }}))
	assert.Equal(t, kept.String(), again.String())
	assert.Equal(t, len(e.Matrix(simulate.LevelWorkload).Nodes), rows, "progress is told every row")
}
