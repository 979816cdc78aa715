// Package scenarios holds the runnable example scenarios; the default one is embedded in the binary.
package scenarios

import "embed"

// FS holds every scenario directory.
//
//go:embed two-zone/*.yaml
var FS embed.FS

// Default is the scenario commands use when no -f is given.
const Default = "two-zone"
