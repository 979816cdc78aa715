package tui

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// Loading is the screen while the input loads, so a large input opens at once: a spinner, and q or
// Ctrl-C quit at once. Once the engine is there, the TUI takes its place.
type Loading struct {
	what          string
	load          func() (*simulate.Engine, error)
	opts          Options
	spin          spinner.Model
	keys          KeyMap
	width, height int
	// Err is why loading failed; nil when the TUI opened, or when the user quit while it loaded.
	Err error
}

type loadedMsg struct {
	e   *simulate.Engine
	err error
}

// NewLoading opens on a loading screen for what load reads, then the TUI with opts.
func NewLoading(what string, load func() (*simulate.Engine, error), opts Options) *Loading {
	return &Loading{what: what, load: load, opts: opts, keys: DefaultKeyMap(), spin: spinner.New(spinner.WithSpinner(spinner.Line))}
}

// Init starts loading and the spinner.
func (l *Loading) Init() tea.Cmd {
	return tea.Batch(l.spin.Tick, func() tea.Msg {
		e, err := l.load()
		return loadedMsg{e, err}
	})
}

// Update turns the spinner, quits on q or Ctrl-C, and hands over to the TUI once loaded.
func (l *Loading) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		l.width, l.height = msg.Width, msg.Height
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+c" || key.Matches(msg, l.keys.Quit) {
			return l, tea.Quit
		}
	case spinner.TickMsg:
		var cmd tea.Cmd
		l.spin, cmd = l.spin.Update(msg)
		return l, cmd
	case loadedMsg:
		if msg.err != nil {
			l.Err = msg.err
			return l, tea.Quit
		}
		m := New(msg.e, l.opts)
		if l.width > 0 && l.height > 0 {
			m.Update(tea.WindowSizeMsg{Width: l.width, Height: l.height})
		}
		return m, m.Init()
	}
	return l, nil
}

// View is the spinner and what loads.
func (l *Loading) View() tea.View {
	v := tea.NewView(DefaultStyles().Title.Render("zonesim") + "\n" + l.spin.View() + " loading " + l.what + "… (q quits)\n")
	v.AltScreen = true
	return v
}
