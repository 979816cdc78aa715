package tui_test

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
	"github.com/zonesim/zonesim/pkg/tui"
	"github.com/zonesim/zonesim/scenarios"
)

func engine(t *testing.T) *simulate.Engine {
	t.Helper()
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	require.NoError(t, scenarios.AddDefault(l))
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("generic")
	require.NoError(t, err)
	return simulate.New(c, p, "")
}

func press(m tea.Model, keys ...string) tea.Model {
	codes := map[string]rune{"enter": tea.KeyEnter, "tab": tea.KeyTab, "esc": tea.KeyEscape, "backspace": tea.KeyBackspace,
		"down": tea.KeyDown, " ": tea.KeySpace}
	for _, k := range keys {
		msg := tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
		if c, ok := codes[k]; ok {
			msg = tea.KeyPressMsg{Code: c}
		}
		m, _ = m.Update(msg)
	}
	return m
}

func view(m tea.Model) string { return m.View().Content }

func TestWalkDownExplainAndWhatIf(t *testing.T) {
	var m tea.Model = tui.New(engine(t), tui.Options{})
	m, _ = m.Update(tea.WindowSizeMsg{Width: 140, Height: 40})

	v := view(m)
	assert.Contains(t, v, "zonesim — zone (--cni generic)")
	assert.Contains(t, v, "zones (")
	assert.Contains(t, v, "A (")

	// Zone A -> its namespaces, with the first one's row.
	v = view(press(m, "enter"))
	assert.Contains(t, v, "namespace › A")
	assert.Contains(t, v, "shop-api")
	assert.Contains(t, v, "from ")
	assert.NotContains(t, v, "payments (", "payments is in zone B")

	// Back up.
	v = view(press(m, "backspace"))
	assert.Contains(t, v, "zone (--cni generic)")

	// Explain a flow: to the first destination.
	v = view(press(m, "enter", "tab", "enter"))
	assert.True(t, strings.Contains(v, "ALLOWED") || strings.Contains(v, "DENIED") || strings.Contains(v, "PARTIAL"), v)
	assert.Contains(t, v, "esc back")
	v = view(press(m, "esc"))
	assert.Contains(t, v, "from ")

	// What-if: switch every policy off; cells that were denied open up, and are marked.
	m = press(m, "tab", "p")
	assert.Contains(t, view(m), "What-if: switch policies off")
	assert.Contains(t, view(m), "[x] NetworkPolicy ledger/network-zone-b")
	for i := 0; i < 4; i++ {
		m = press(m, " ", "down")
	}
	v = view(press(m, "esc"))
	assert.Contains(t, v, "what-if: 4 policy(ies) off, 12 namespace cell(s) changed")
	// Zone B's ledger could not reach zone A's shop-api; with no policy it can.
	v = view(press(m, "backspace", "down", "enter"))
	assert.Contains(t, v, "namespace › B")
	assert.Contains(t, v, "from ledger to")
	assert.Regexp(t, `shop-api +all   \* was -`, v)
}

func TestQuit(t *testing.T) {
	m := tui.New(engine(t), tui.Options{})
	_, cmd := m.Update(tea.KeyPressMsg{Code: 'q', Text: "q"})
	require.NotNil(t, cmd)
	assert.Equal(t, tea.QuitMsg{}, cmd())
}

func TestOpensAtANamespace(t *testing.T) {
	var m tea.Model = tui.New(engine(t), tui.Options{Namespace: "payments"})
	m, _ = m.Update(tea.WindowSizeMsg{Width: 140, Height: 40})
	v := view(m)
	assert.Contains(t, v, "workload › B › payments")
	assert.Contains(t, v, "payments/deployment/payments")
	assert.NotContains(t, v, "shop-web/deployment/frontend (", "only the namespace's workloads are sources")

	// Backspace goes up to the namespaces of its zone.
	v = view(press(m, "backspace"))
	assert.Contains(t, v, "namespace › B")
}
