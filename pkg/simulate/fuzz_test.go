package simulate_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// The engine on whatever input loads: compiling it, every matrix level and every pod pair's explained
// query agree and never panic.
func FuzzEngine(f *testing.F) {
	for _, dir := range []string{"../../testdata/realworld", "../../docs/examples"} {
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && filepath.Ext(p) == ".yaml" {
				if data, err := os.ReadFile(p); err == nil {
					f.Add(data)
				}
			}
			return nil
		})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l := model.NewLoader(model.DefaultLoadOptions(), nil)
		l.AddBytes("in.yaml", data)
		c, err := l.Cluster()
		if err != nil || len(c.Pods) > 30 {
			return
		}
		for _, cni := range simulate.ProfileNames() {
			p, _ := simulate.LookupProfile(cni)
			e := simulate.New(c, p, "")
			for _, level := range []simulate.Level{simulate.LevelPod, simulate.LevelNamespace, simulate.LevelZone} {
				_ = e.Matrix(level).Texts()
			}
			matrixAgreesWithQuery(t, e)
		}
	})
}
