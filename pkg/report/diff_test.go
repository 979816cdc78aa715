package report_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/gen"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// generatedEngine compiles a small generated cluster.
func generatedEngine(t *testing.T) *simulate.Engine {
	t.Helper()
	var in bytes.Buffer
	require.NoError(t, gen.Write(&in, gen.Options{Namespaces: 6, Workloads: 3, Zones: 2, Seed: 7}))
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("gen.yaml", in.Bytes())
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("generic")
	require.NoError(t, err)
	return simulate.New(c, p, "")
}

// A golden matrix read back is exactly the matrix it was written from, at every level.
func TestMatrixJSONReadsBackAsTheSameCells(t *testing.T) {
	e := generatedEngine(t)
	for _, level := range []simulate.Level{simulate.LevelPod, simulate.LevelWorkload, simulate.LevelNamespace, simulate.LevelZone} {
		for _, compact := range []bool{false, true} {
			var out bytes.Buffer
			require.NoError(t, report.WriteMatrixWith(&out, e.Matrix(level), "json", report.MatrixOptions{Compact: compact}))
			got, err := report.ReadMatrixJSON(&out)
			require.NoError(t, err)
			want := e.Matrix(level).Texts()
			assert.Equal(t, want, got, "%s compact=%t", level, compact)
			d, err := simulate.Diff(want, got)
			require.NoError(t, err)
			assert.Empty(t, d.Changes)
		}
	}
}

func TestReadMatrixJSONRejectsOtherFiles(t *testing.T) {
	for in, want := range map[string]string{
		`{"level":"zone","cni":"generic","nodes":[],"entries":[],"extra":1}`:                                            `unknown field "extra"`,
		`{"level":"cluster","nodes":[],"entries":[]}`:                                                                   `level: unknown --level "cluster"`,
		`{"level":"zone","nodes":[{"name":"A","kind":"zone"}],"entries":[{"from":"A","to":"B","connections":["all"]}]}`: "entries[0]: A -> B names a node the matrix does not list",
		`[1,2]`: "not a zonesim matrix JSON",
	} {
		_, err := report.ReadMatrixJSON(strings.NewReader(in))
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want)
	}
}

// A table too large to keep between its passes computes its rows again, and reads the same.
func TestTableRecomputedIsTheTableKept(t *testing.T) {
	e := generatedEngine(t)
	var kept, again bytes.Buffer
	require.NoError(t, report.WriteMatrix(&kept, e.Matrix(simulate.LevelWorkload), report.Table))
	defer report.SetKeepCells(0)()
	rows := 0
	require.NoError(t, report.WriteMatrixWith(&again, e.Matrix(simulate.LevelWorkload), report.Table,
		report.MatrixOptions{Progress: func(done, total int) { rows = done }}))
	assert.Equal(t, kept.String(), again.String())
	assert.Equal(t, len(e.Matrix(simulate.LevelWorkload).Nodes), rows, "progress is told every row")
}

// A matrix stops between rows once Stop says so (Ctrl-C), with Stop's error.
func TestMatrixStops(t *testing.T) {
	e := generatedEngine(t)
	rows := 0
	stop := errors.New("interrupted")
	err := report.WriteMatrixWith(io.Discard, e.Matrix(simulate.LevelWorkload), "json", report.MatrixOptions{
		Progress: func(done, total int) { rows = done },
		Stop: func() error {
			if rows == 3 {
				return stop
			}
			return nil
		}})
	assert.Equal(t, stop, err)
	assert.Equal(t, 3, rows)

	// The table stops in its first pass too, before it has written a row.
	polls, written := 0, 0
	err = report.WriteMatrixWith(io.Discard, e.Matrix(simulate.LevelWorkload), report.Table, report.MatrixOptions{
		Progress: func(done, total int) { written = done },
		Stop: func() error {
			if polls++; polls > 3 {
				return stop
			}
			return nil
		}})
	assert.Equal(t, stop, err)
	assert.Equal(t, 4, polls)
	assert.Equal(t, 0, written)
}
