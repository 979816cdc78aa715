package cli_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/gen"
)

// htmlPage is one report the tests write: the command, its exit code, and what the page must show.
type htmlPage struct {
	name     string
	args     []string
	code     int
	zones    []string // the zone regions of the map
	changed  bool     // the matrix marks changed cells
	findings []string // the headings of the finding sections, with their counts
}

// htmlPages are matrix, check and diff reports of the three scenarios: the matrix of the scenario, the
// check of its broken variant, and the diff from one to the other.
func htmlPages() []htmlPage {
	zones := map[string][]string{
		"three-tier":    {"dmz", "internal", "database", "(unzoned)"},
		"two-zone":      {"A", "B", "(unzoned)"},
		"outbound-only": {"internal", "services"},
	}
	// The broken variant of outbound-only has a namespace without a zone label.
	unzoned := map[string][]string{"outbound-only": {"internal", "services", "(unzoned)"}}
	var pages []htmlPage
	for _, s := range []string{"three-tier", "two-zone", "outbound-only"} {
		good := "../../scenarios/" + s + "/scenario.yaml"
		broken := "../../scenarios/" + s + "/testdata/broken/scenario.yaml"
		brokenZones := zones[s]
		if z, ok := unzoned[s]; ok {
			brokenZones = z
		}
		pages = append(pages,
			htmlPage{name: s + "-matrix", args: []string{"matrix", "-f", good, "-o", "html"}, zones: zones[s],
				findings: []string{"Contract findings (0)"}},
			htmlPage{name: s + "-check", args: []string{"check", "-f", broken, "-o", "html", "--fail-on", "none"}, zones: brokenZones,
				findings: []string{"Contract findings ("}},
			htmlPage{name: s + "-diff", args: []string{"diff", "--base", good, "-f", broken, "-o", "html"}, code: 1, zones: brokenZones, changed: true,
				findings: []string{"New findings (", "Resolved findings ("}})
	}
	return pages
}

// writePages writes every page into dir and returns their paths.
func writePages(t *testing.T, dir string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	for _, p := range htmlPages() {
		code, out, errOut := run(p.args...)
		require.Equal(t, p.code, code, "%s: %s", p.name, errOut)
		path := filepath.Join(dir, p.name+".html")
		require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
		paths[p.name] = path
	}
	return paths
}

var (
	svgPart = regexp.MustCompile(`(?s)<svg .*?</svg>`)
	dataX   = regexp.MustCompile(`data-x="(-?\d+)"`)
	// a changed cell, or the row of an added node
	changedCells = regexp.MustCompile(`<td [^>]*data-change="|<th class="row added"`)
	explain      = regexp.MustCompile(`(?s)<script type="application/json" id="explanations">(.*?)</script>`)
)

// The reports are one file each: no link to anything outside it, a map that is well-formed SVG with a
// region per zone, every cell pointing at an explanation that holds its query and verdict, and the
// findings.
func TestHTMLReports(t *testing.T) {
	dir := t.TempDir()
	paths := writePages(t, dir)
	for _, p := range htmlPages() {
		t.Run(p.name, func(t *testing.T) {
			b, err := os.ReadFile(paths[p.name])
			require.NoError(t, err)
			page := string(b)
			for _, outside := range []string{`src="http`, `href="http`, `@import`, `url(http`} {
				assert.NotContains(t, page, outside, "the report loads nothing from elsewhere")
			}
			svg := svgPart.FindString(page)
			require.NotEmpty(t, svg)
			dec := xml.NewDecoder(strings.NewReader(svg))
			for {
				_, err := dec.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err, "the map is well-formed XML")
			}
			for _, z := range p.zones {
				assert.Contains(t, svg, `<g class="zone" data-zone="`+z+`">`)
			}
			m := explain.FindStringSubmatch(page)
			require.Len(t, m, 2)
			var texts []string
			require.NoError(t, json.Unmarshal([]byte(m[1]), &texts))
			cells := dataX.FindAllStringSubmatch(page, -1)
			require.NotEmpty(t, cells)
			for _, c := range cells {
				if c[1] == "-1" {
					continue // a cell between two endpoints outside the cluster
				}
				var i int
				require.NoError(t, json.Unmarshal([]byte(c[1]), &i))
				require.Less(t, i, len(texts))
				assert.Contains(t, texts[i], "zonesim query ")
				assert.Regexp(t, `(ALLOWED|DENIED|PARTIAL): `, texts[i])
			}
			assert.Equal(t, p.changed, changedCells.MatchString(page))
			if p.changed {
				assert.Regexp(t, `data-change="(opened|closed|changed)"><title>|>\+ [^<]+</text>`, svg, "the map marks the flows and namespaces the change touches")
			}
			for _, h := range p.findings {
				assert.Contains(t, page, "<h2>"+h)
			}
		})
	}
}

// matrix -o svg is the map alone; the filters that narrow a matrix do not apply to it.
func TestZoneMapSVG(t *testing.T) {
	code, out, errOut := run("matrix", "-f", "../../scenarios/three-tier/scenario.yaml", "-o", "svg")
	require.Equal(t, 0, code, errOut)
	assert.True(t, strings.HasPrefix(out, `<svg xmlns="http://www.w3.org/2000/svg"`))
	for _, want := range []string{`data-zone="dmz"`, `data-from="dmz" data-to="internal"`, `>TCP/8443</text>`, `>ext:partner-api</text>`} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, `data-from="internal" data-to="dmz"`, "one way: internal opens nothing to dmz")
	for _, extra := range [][]string{{"--from", "web"}, {"--level", "pod"}} {
		code, _, errOut = run(append([]string{"matrix", "-f", "../../scenarios/three-tier/scenario.yaml", "-o", "svg"}, extra...)...)
		assert.Equal(t, 2, code, extra)
		assert.Contains(t, errOut, "-o svg draws the zone map of the whole cluster", extra)
	}
}

// The zone map the README shows is what matrix -o svg draws now (go test ./pkg/cli -update redraws it).
func TestREADMEZoneMapIsCurrent(t *testing.T) {
	t.Chdir("../..") // the README's command runs from the repository's top
	code, out, errOut := run("matrix", "-f", "scenarios/three-tier/scenario.yaml", "-o", "svg")
	require.Equal(t, 0, code, errOut)
	const path = "docs/images/three-tier-zones.svg"
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), out, "go test ./pkg/cli -update redraws it")
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	assert.Contains(t, string(readme), "("+path+")")
}

// Each cell's query command names the input as the report read it (-k, --chart, --zone-label, ...),
// quoted for the shell, so it reproduces the cell when pasted.
func TestHTMLQueryCommandsReproduce(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-k", "../../testdata/realworld/kustomize/overlays/prod"}, "zonesim query -k ../../testdata/realworld/kustomize/overlays/prod from "},
		{[]string{"-f", "../../scenarios/two-zone/scenario.yaml", "--zone-label", "network-zone", "--level", "zone"},
			"zonesim query -f ../../scenarios/two-zone/scenario.yaml --zone-label network-zone from zone:A to 'zone:(unzoned)'"},
	} {
		code, out, errOut := run(append([]string{"matrix", "-o", "html"}, c.args...)...)
		require.Equal(t, 0, code, errOut)
		m := explain.FindStringSubmatch(out)
		require.Len(t, m, 2)
		var texts []string
		require.NoError(t, json.Unmarshal([]byte(m[1]), &texts))
		require.NotEmpty(t, texts)
		found := false
		for _, text := range texts {
			found = found || strings.HasPrefix(text, c.want)
		}
		assert.True(t, found, "%v: %s", c.args, texts[0])
	}
}

// A diff against a golden matrix has no objects on its base side: the report marks the changed cells and
// flows, and shows the input's own findings, saying there is no delta.
func TestHTMLDiffAgainstAGolden(t *testing.T) {
	const s = "../../scenarios/two-zone/scenario.yaml"
	code, golden, errOut := run("matrix", "-f", s, "-o", "json")
	require.Equal(t, 0, code, errOut)
	path := filepath.Join(t.TempDir(), "golden.json")
	require.NoError(t, os.WriteFile(path, []byte(golden), 0o644))
	code, page, errOut := run("diff", "--golden", path, "-f", s, "-f", "../../docs/examples/admin-policies.yaml", "-o", "html")
	require.Equal(t, 1, code, errOut)
	assert.Regexp(t, changedCells, page)
	assert.Contains(t, page, `data-change="closed"><title>`)
	assert.Contains(t, page, "<h2>Contract findings of the input (a golden matrix holds no objects to compare them with) (0)")
	assert.Contains(t, page, "base: the golden matrix "+path)
}

// check has no flags to narrow a matrix: past the cells a report holds, its report shows the zone matrix
// and says why.
func TestHTMLCheckOfManyNamespaces(t *testing.T) {
	var b strings.Builder
	require.NoError(t, gen.Write(&b, gen.Options{Namespaces: 210, Workloads: 1, Zones: 3, Seed: 1}))
	path := filepath.Join(t.TempDir(), "many.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	code, page, errOut := run("check", "-f", path, "-o", "html", "--fail-on", "none")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, page, "the matrix is at zone level")
	assert.Contains(t, page, "<h2>Reachability matrix (zone level:")
}
