package model_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zonesim/zonesim/pkg/model"
)

// seeds adds every manifest under dir to the fuzz corpus.
func seeds(f *testing.F, dirs ...string) {
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (filepath.Ext(p) == ".yaml" || filepath.Ext(p) == ".json") {
				if data, err := os.ReadFile(p); err == nil && len(data) < 64<<10 {
					f.Add(data)
				}
			}
			return nil
		})
	}
}

// Whatever a user feeds the loader, it reads it or reports problems; it never panics, and an error always
// comes with at least one problem that names the input.
func FuzzLoader(f *testing.F) {
	seeds(f, "../../testdata/realworld", "../../testdata/validation", "../../docs/examples", "../../scenarios/two-zone/manifests")
	f.Add([]byte("apiVersion: v1\nkind: PodList\nitems: [{metadata: {name: a}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l := model.NewLoader(model.DefaultLoadOptions(), nil)
		l.AddBytes("in.yaml", data)
		c, err := l.Cluster()
		if c == nil {
			t.Fatal("no cluster")
		}
		if err != nil {
			probs, ok := err.(model.Problems)
			if !ok || len(probs.Errors()) == 0 {
				t.Fatalf("an error without problems: %v", err)
			}
		}
	})
}

// The scenario loader, on scenarios and their broken variants.
func FuzzScenario(f *testing.F) {
	seeds(f, "../../scenarios")
	f.Fuzz(func(t *testing.T, data []byte) {
		l := model.NewLoader(model.DefaultLoadOptions(), nil)
		l.AddBytes("scenario.yaml", data)
		if c, _ := l.Cluster(); c == nil {
			t.Fatal("no cluster")
		}
	})
}
