package tui

import "charm.land/lipgloss/v2"

// Styles are every style of the TUI, in one place. They use attributes only, no colours, so the screen
// reads on any background and in any terminal.
type Styles struct {
	Title, Pane, Selected, Cursor, Changed, Status, Error, Dim lipgloss.Style
}

// DefaultStyles are bold titles, reverse video for the cursor, underline for what a what-if changed.
func DefaultStyles() Styles {
	return Styles{
		Title:    lipgloss.NewStyle().Bold(true),
		Pane:     lipgloss.NewStyle().Bold(true).Underline(true),
		Selected: lipgloss.NewStyle().Reverse(true),
		Cursor:   lipgloss.NewStyle().Bold(true),
		Changed:  lipgloss.NewStyle().Bold(true).Underline(true),
		Status:   lipgloss.NewStyle().Faint(false),
		Error:    lipgloss.NewStyle().Bold(true),
		Dim:      lipgloss.NewStyle().Faint(true),
	}
}
