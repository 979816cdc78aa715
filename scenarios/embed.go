// Package scenarios holds the runnable example scenarios; the default one is embedded in the binary.
package scenarios

import "embed"

// FS holds every scenario directory.
//
//go:embed two-zone/scenario.yaml two-zone/manifests/*.yaml
var FS embed.FS

// Default is the scenario commands use when no -f is given.
const Default = "two-zone"

// DefaultFile is the default scenario's entry point; it includes its manifests.
const DefaultFile = "scenario.yaml"
