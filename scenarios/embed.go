// Package scenarios holds the runnable example scenarios; the default one is embedded in the binary.
package scenarios

import (
	"embed"
	"io/fs"

	"github.com/zonesim/zonesim/pkg/model"
)

// FS holds every scenario directory.
//
//go:embed two-zone/scenario.yaml two-zone/manifests/*.yaml
var FS embed.FS

// Default is the scenario commands use when no -f is given.
const Default = "two-zone"

// DefaultFile is the default scenario's entry point; it includes its manifests.
const DefaultFile = "scenario.yaml"

// AddDefault adds the embedded default scenario (with the manifests it includes) to a loader.
func AddDefault(l *model.Loader) error {
	sub, err := fs.Sub(FS, Default)
	if err != nil {
		return err
	}
	l.AddFS(sub, DefaultFile, "scenarios/"+Default+"/"+DefaultFile)
	return nil
}
