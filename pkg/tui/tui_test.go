package tui_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/gen"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
	"github.com/zonesim/zonesim/pkg/tui"
	"github.com/zonesim/zonesim/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden views under testdata/")

func load(t testing.TB, add func(l *model.Loader)) *simulate.Engine {
	t.Helper()
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	add(l)
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("generic")
	require.NoError(t, err)
	return simulate.New(c, p, "")
}

func twoZone(t testing.TB) *simulate.Engine {
	return load(t, func(l *model.Loader) { require.NoError(t, scenarios.AddDefault(l)) })
}

func threeTier(t testing.TB) *simulate.Engine {
	return load(t, func(l *model.Loader) { l.AddPath("../../scenarios/three-tier/scenario.yaml") })
}

// screen drives a Model as a terminal would: key presses in, the view out; the commands the model
// returns run at once (background work included), as teatest's program would run them.
type screen struct {
	t    *testing.T
	m    tea.Model
	quit bool
}

func open(t *testing.T, e *simulate.Engine, o tui.Options, w, h int) *screen {
	s := &screen{t: t, m: tui.New(e, o)}
	s.send(tea.WindowSizeMsg{Width: w, Height: h})
	return s
}

func (s *screen) send(msg tea.Msg) {
	var cmd tea.Cmd
	s.m, cmd = s.m.Update(msg)
	s.run(cmd)
}

func (s *screen) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			s.run(c)
		}
	case tea.QuitMsg:
		s.quit = true
	case spinner.TickMsg: // the spinner turns only in a terminal
	default:
		s.send(msg)
	}
}

// press sends keys by name: enter, tab, esc, backspace, up, down, pgdown, pgup, home, end, space, or text.
func (s *screen) press(keys ...string) *screen {
	codes := map[string]rune{"enter": tea.KeyEnter, "tab": tea.KeyTab, "esc": tea.KeyEscape, "backspace": tea.KeyBackspace,
		"down": tea.KeyDown, "up": tea.KeyUp, "space": tea.KeySpace, "pgdown": tea.KeyPgDown, "pgup": tea.KeyPgUp,
		"home": tea.KeyHome, "end": tea.KeyEnd}
	for _, k := range keys {
		if c, ok := codes[k]; ok {
			s.send(tea.KeyPressMsg{Code: c})
			continue
		}
		if c, ok := strings.CutPrefix(k, "ctrl+"); ok {
			s.send(tea.KeyPressMsg{Code: rune(c[0]), Mod: tea.ModCtrl})
			continue
		}
		for _, r := range k {
			s.send(tea.KeyPressMsg{Code: r, Text: string(r)})
		}
	}
	return s
}

// view is the screen as text, without the attributes.
func (s *screen) view() string { return ansi.Strip(s.m.View().Content) }

// golden compares the screen with testdata/views/name (go test ./pkg/tui -update rewrites it).
func (s *screen) golden(name string) {
	s.t.Helper()
	path := filepath.Join("testdata", "views", name)
	got := s.view()
	if *update {
		require.NoError(s.t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(s.t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(s.t, err, "go test ./pkg/tui -update writes it")
	assert.Equal(s.t, string(want), got)
}

// Every screen, at the smallest usable terminal and a large one, against golden views.
func TestGoldenViews(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		name := func(n string) string { return fmt.Sprintf("%s-%dx%d.txt", n, size[0], size[1]) }
		t.Run(name("views"), func(t *testing.T) {
			s := open(t, twoZone(t), tui.Options{}, size[0], size[1])
			s.golden(name("zones"))
			s.press("enter").golden(name("namespaces-of-A"))
			s.press("tab", "down", "enter").golden(name("explain"))
			s.press("esc", "?").golden(name("help"))
			s.press("esc", "p").golden(name("what-if"))
			s.press("down", "space", "enter").golden(name("what-if-applied"))
			s.press(":", "ledger").golden(name("jump-prompt"))
			s.press("enter").golden(name("jumped"))
		})
	}
}

// q quits at once wherever the screen is, even while work runs in the background; ctrl+c too.
func TestQuitsAtOnce(t *testing.T) {
	for _, keys := range [][]string{{}, {"p"}, {"?"}, {"enter", "tab", "enter"}, {"p", "down"}} {
		s := open(t, twoZone(t), tui.Options{}, 100, 30).press(keys...)
		s.press("q")
		assert.True(t, s.quit, keys)
	}
	s := open(t, twoZone(t), tui.Options{}, 100, 30)
	_, cmd := s.m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	require.NotNil(t, cmd)
	assert.Equal(t, tea.QuitMsg{}, cmd())
	// While a big cell is explained, the explanation runs as a command: q is answered before it ends.
	s = open(t, twoZone(t), tui.Options{}, 100, 30).press("tab")
	_, cmd = s.m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	require.NotNil(t, cmd, "explaining runs in the background")
	_, cmd = s.m.Update(tea.KeyPressMsg{Code: 'q', Text: "q"})
	assert.Equal(t, tea.QuitMsg{}, cmd())
}

// esc cancels a what-if: nothing is applied, and the list opens again as the applied what-if left it.
func TestEscNeverAppliesAWhatIf(t *testing.T) {
	s := open(t, twoZone(t), tui.Options{}, 120, 30)
	before := s.view()
	s.press("p", "space", "down", "space", "esc")
	assert.Contains(t, s.view(), "what-if cancelled")
	assert.NotContains(t, s.view(), "what-if:")
	assert.Equal(t, strings.Replace(before, "\n\n", "\nwhat-if cancelled\n", 1), s.view())
	s.press("p")
	assert.NotContains(t, s.view(), "[off]")
}

// A what-if marks each cell it changed with what it was, says how many changed, and the explanation of a
// changed flow says so.
func TestWhatIfMarksAndExplainsChanges(t *testing.T) {
	s := open(t, twoZone(t), tui.Options{}, 160, 40)
	s.press("p", "/", "network-zone", "enter")
	for range 4 {
		s.press("space", "down")
	}
	s.press("enter")
	v := s.view()
	assert.Contains(t, v, "what-if: 4 off; 5 zone cell(s) changed (marked *)")
	assert.Regexp(t, `\n\* B \(2\)`, v, "the sources whose row changed are marked")
	s.press("down")
	assert.Regexp(t, `A +\* all  \(was -\)`, s.view(), "zone B could not reach zone A")
	s.press("tab", "enter")
	assert.Contains(t, s.view(), "this verdict CHANGED: DENIED (-; 0/4 pairs) before, ALLOWED (all; 4/4 pairs) now")
}

// Relabelling a namespace moves it to another zone; a policy edited in $EDITOR replaces the loaded one.
func TestWhatIfLabelsAndEditedPolicies(t *testing.T) {
	s := open(t, twoZone(t), tui.Options{}, 160, 40)
	s.press("p", "/", "Namespace ledger", "enter", "L")
	assert.Contains(t, s.view(), "labels of ledger: kubernetes.io/metadata.name=ledger,network-zone=B")
	for range len("network-zone=B") {
		s.press("backspace")
	}
	s.press("network-zone=A", "enter")
	assert.Contains(t, s.view(), "[relabelled] Namespace ledger  kubernetes.io/metadata.name=ledger,network-zone=A")
	s.press("enter", ":", "A", "enter")
	assert.Contains(t, s.view(), "namespaces (3)", "ledger is in zone A now")
	assert.Contains(t, s.view(), "ledger (1)")

	// Bad labels are refused with the API server's reason.
	s.press("p", "L", "ctrl+u", "bad key=x", "enter")
	assert.Contains(t, s.view(), "labels of ledger not changed: invalid label key")
}

// Going back up restores the cursor; g, G, PgUp/PgDn and Home/End move it; / filters as you type; : jumps.
func TestNavigationOnAThousandNamespaces(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, gen.Write(&buf, gen.Options{Namespaces: 1000, Workloads: 2, Zones: 4, Seed: 1}))
	e := load(t, func(l *model.Loader) { l.AddBytes("gen.yaml", buf.Bytes()) })
	s := open(t, e, tui.Options{}, 80, 24)
	s.press(":", "namespace", "enter")
	assert.Contains(t, s.view(), "namespaces (1004+3 ext)", "1000 and a router namespace per zone; the external blocks")
	s.press("G")
	assert.Contains(t, s.view(), "from internet to", "the cursor is on the last one")
	s.press("g", "pgdown", "pgdown")
	assert.Regexp(t, `ns-0040 \(2\)`, s.view())

	s.press(":", "ns-0450", "enter")
	assert.Contains(t, s.view(), "workload › zone-2 › ns-0450")
	s.press("backspace")
	v := s.view()
	assert.Contains(t, v, "namespace › zone-2")
	assert.Contains(t, v, "from ns-0450 to", "back up, the cursor is where it came from")

	s.press("/", "ns-04")
	assert.Contains(t, s.view(), "namespaces (25) /ns-04")
	s.press("5", "enter")
	assert.Contains(t, s.view(), "/ns-045")
	s.press("esc")
	assert.Contains(t, s.view(), "namespaces (250)")
	assert.Contains(t, s.view(), "from ns-0450 to", "clearing the filter keeps the cursor where it was")
}

// Every endpoint is a source and a destination: externals, routes, scenario externals.
func TestEveryEndpoint(t *testing.T) {
	s := open(t, threeTier(t), tui.Options{}, 200, 50)
	v := s.view()
	assert.Contains(t, v, "ext:partner-api")
	assert.Regexp(t, `route:web/shop +TCP/80, TCP/443`, v, "as zonesim query from zone:database to route:web/shop says")
	assert.Regexp(t, `ext:partner-api +-`, v)
	s.press("G")
	assert.Regexp(t, `route:web/shop +TCP/80, TCP/443`, s.view(), "from the internet, the routers admit it")
	s.press("tab", "G", "enter")
	assert.Contains(t, s.view(), "ALLOWED: internet -> route:web/shop")

	// The zone row of the namespaces without a zone label is explained too.
	s = open(t, twoZone(t), tui.Options{}, 120, 30).press("down", "down", "tab", "enter")
	assert.Contains(t, s.view(), "PARTIAL: zone:(unzoned) -> zone:A")
}

// e writes the view as markdown; w writes the what-if as manifests.
func TestExports(t *testing.T) {
	dir := t.TempDir()
	s := open(t, twoZone(t), tui.Options{ExportDir: dir}, 120, 30)
	s.press("p", "space", "enter", "e")
	md, err := os.ReadFile(filepath.Join(dir, "zonesim-zone-A.md"))
	require.NoError(t, err, s.view())
	assert.Contains(t, string(md), "| to | connections | before the what-if |")
	assert.Contains(t, string(md), "What-if: 1 off.")

	s.press("p", "/", "Namespace shop-web", "enter", "L", ",team=web", "enter", "w")
	patch, err := os.ReadFile(filepath.Join(dir, "zonesim-whatif.yaml"))
	require.NoError(t, err, s.view())
	assert.Equal(t, `# zonesim what-if: 1 off, 1 namespace relabelled
# Switched off; remove them with:
#   kubectl delete networkpolicy network-zone-b -n ledger
---
# kubectl patch namespace shop-web --type merge --patch-file <this document>
apiVersion: v1
kind: Namespace
metadata:
  labels:
    team: web
  name: shop-web
`, string(patch))
}

// The screen opens at once on a loading spinner; q quits before the input is loaded; once it is, the TUI
// takes its place; a failed load quits with its error.
func TestLoadingScreen(t *testing.T) {
	e := twoZone(t)
	l := tui.NewLoading("the input", func() (*simulate.Engine, error) { return e, nil }, tui.Options{})
	s := &screen{t: t, m: l}
	s.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	assert.Contains(t, s.view(), "loading the input… (q quits)")
	s.press("q")
	assert.True(t, s.quit, "q quits while loading")

	s = &screen{t: t, m: tui.NewLoading("the input", func() (*simulate.Engine, error) { return e, nil }, tui.Options{Namespace: "payments"})}
	s.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	s.run(s.m.Init())
	assert.Contains(t, s.view(), "workload › B › payments", "loaded: the TUI, at the size the terminal has")

	failed := tui.NewLoading("the input", func() (*simulate.Engine, error) { return nil, assert.AnError }, tui.Options{})
	s = &screen{t: t, m: failed}
	s.run(s.m.Init())
	assert.True(t, s.quit)
	assert.Equal(t, assert.AnError, failed.Err)
}

// An input of one zone opens at its namespaces: the external blocks listed with the zones are not zones.
func TestOneZoneOpensAtTheNamespaces(t *testing.T) {
	e := load(t, func(l *model.Loader) {
		l.AddBytes("one.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec: {containers: [{name: c, image: i}]}\n"))
	})
	s := open(t, e, tui.Options{}, 100, 30)
	assert.Contains(t, s.view(), "zonesim — namespace (--cni generic)")
}
