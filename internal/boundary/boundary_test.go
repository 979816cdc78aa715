package boundary_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/zonesim/zonesim/"

// watchSources reads the module's go.mod and stats every Go file, so go test's cache, which notices the
// files a test touches but not what go list reads, runs the test again when an import changes.
func watchSources(t *testing.T) {
	t.Helper()
	_, err := os.ReadFile("../../go.mod")
	require.NoError(t, err)
	require.NoError(t, filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "../.." && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			_, err = os.Stat(path)
		}
		return err
	}))
}

// goList runs go list on packages of this module.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	watchSources(t)
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("go list %v: %v\n%s", args, err, ee.Stderr)
	}
	require.NoError(t, err)
	return strings.Fields(string(out))
}

// deps are every package pkg builds with (itself included), tests excluded.
func deps(t *testing.T, pkg string) []string { return goList(t, "-deps", module+pkg) }

func matching(list []string, prefix string) []string {
	var out []string
	for _, p := range list {
		if strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	return out
}

func TestBoundaries(t *testing.T) {
	tests := []struct {
		pkg       string
		forbidden []string // package path prefixes that must not be among its dependencies
		why       string
	}{
		{"pkg/report", []string{module + "pkg/apply", module + "pkg/lab", module + "pkg/live", "k8s.io/client-go"},
			"every output format is written without the cluster runtime"},
		{"pkg/model", []string{"k8s.io/client-go", module + "pkg/live"}, "the model is data, read from files or filled by pkg/live"},
		{"pkg/simulate", []string{"k8s.io/client-go", module + "pkg/live", module + "pkg/apply"}, "the engine is pure"},
		{"pkg/tui", []string{"k8s.io/client-go", module + "pkg/apply", module + "pkg/lab"}, "the offline TUI needs no cluster client"},
		{"pkg/check", []string{"k8s.io/client-go"}, "the contract is checked offline"},
		{"pkg/convert", []string{"k8s.io/client-go", module + "pkg/live", module + "pkg/cli"}, "conversion and its proof are offline, under the commands"},
		{"pkg/render", []string{"k8s.io/client-go", module + "pkg/live", module + "pkg/simulate"}, "rendering writes objects from the model; it evaluates nothing"},
		{"pkg/capture", []string{module}, "capture decoding stands alone"},
		{"pkg/result", []string{module, "k8s.io/"}, "run results are plain data"},
		{"pkg/lab", []string{module + "pkg/simulate", module + "pkg/audit"}, "the lab runs a cluster; it predicts nothing"},
		{"pkg/audit", []string{"k8s.io/client-go"}, "an audit reads captures and the model, offline"},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			d := deps(t, tt.pkg)
			for _, f := range tt.forbidden {
				var bad []string
				for _, p := range matching(d, f) {
					if p != module+tt.pkg { // a package is among its own -deps
						bad = append(bad, p)
					}
				}
				assert.Empty(t, bad, "%s must not depend on %s: %s", tt.pkg, f, tt.why)
			}
		})
	}
}

// Capture decoding is one package, used by the audit and by the lab (which reads its endpoints'
// captures back; it writes them itself, with an AF_PACKET socket).
func TestCaptureDecodingIsShared(t *testing.T) {
	for _, pkg := range []string{"pkg/audit", "pkg/lab"} {
		imports := goList(t, "-f", `{{join .Imports " "}}`, module+pkg)
		assert.Contains(t, imports, module+"pkg/capture", pkg)
	}
	auditImports := goList(t, "-f", `{{join .Imports " "}}`, module+"pkg/audit")
	assert.Empty(t, matching(auditImports, "github.com/google/gopacket"), "the audit decodes nothing itself")
}

// The conformance cases are test data: no package zonesim ships imports them (its tests do).
func TestConformanceIsForTestsOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports ","}}`, module+"...").Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Greater(t, len(lines), 10)
	for _, line := range lines {
		pkg, imports, _ := strings.Cut(line, ":")
		assert.NotContains(t, strings.Split(imports, ","), module+"internal/conformance", "%s imports the conformance cases outside its tests", pkg)
	}
}
