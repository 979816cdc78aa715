package report

// SetKeepCells sets how many cells the table keeps between its passes, for a test; it returns the undo.
func SetKeepCells(n int) (undo func()) {
	old := keepCells
	keepCells = n
	return func() { keepCells = old }
}
