package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the TUI answers, with its help; the help line and the full help (?) are rendered
// from it.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Enter, Back, Switch                     key.Binding
	Filter, Jump, WhatIf, Export, Help      key.Binding
	Cancel, Quit                            key.Binding
	// In the what-if list.
	Toggle, Labels, Edit, Apply, Patch key.Binding
}

// DefaultKeyMap has k9s' and less' habits: vi keys and arrows, / to filter, : to jump.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g/home", "first")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G/end", "last")),
		Enter:    key.NewBinding(key.WithKeys("enter", "right", "l"), key.WithHelp("enter", "open/explain")),
		Back:     key.NewBinding(key.WithKeys("backspace", "left", "h"), key.WithHelp("⌫", "back")),
		Switch:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "pane")),
		Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Jump:     key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "jump")),
		WhatIf:   key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "what-if")),
		Export:   key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Toggle:   key.NewBinding(key.WithKeys("space", " ", "x"), key.WithHelp("space", "off/on")),
		Labels:   key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "labels")),
		Edit:     key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "$EDITOR")),
		Apply:    key.NewBinding(key.WithKeys("enter", "a"), key.WithHelp("enter", "apply")),
		Patch:    key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "write patch")),
	}
}

// ShortHelp is the help line of the main view.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Help, k.Quit, k.Enter, k.Back, k.Switch, k.Filter, k.Jump, k.WhatIf, k.Export}
}

// FullHelp is every key, by column.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Enter, k.Back, k.Switch, k.Filter, k.Jump, k.Cancel},
		{k.WhatIf, k.Export, k.Help, k.Quit},
		{k.Toggle, k.Labels, k.Edit, k.Apply, k.Patch},
	}
}

// whatIfHelp is the help of the what-if list.
type whatIfHelp struct{ k KeyMap }

func (h whatIfHelp) ShortHelp() []key.Binding {
	return []key.Binding{h.k.Apply, h.k.Cancel, h.k.Toggle, h.k.Labels, h.k.Edit, h.k.Patch, h.k.Filter, h.k.Quit}
}
func (h whatIfHelp) FullHelp() [][]key.Binding { return h.k.FullHelp() }

// explainHelp is the help of the explanation.
type explainHelp struct{ k KeyMap }

func (h explainHelp) ShortHelp() []key.Binding {
	return []key.Binding{h.k.Cancel, h.k.Quit, h.k.Up, h.k.Down, h.k.PageUp, h.k.PageDown, h.k.Export}
}
func (h explainHelp) FullHelp() [][]key.Binding { return h.k.FullHelp() }
