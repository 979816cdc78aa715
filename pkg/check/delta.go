package check

import "slices"

// Delta is what a change does to the zone contract: the findings it introduces and those it resolves.
// A finding is the same on both sides when its rule, severity and message are (its objects' lines may
// move with the change).
type Delta struct {
	Scenario string    `json:"scenario,omitempty"`
	New      []Finding `json:"new"`
	Resolved []Finding `json:"resolved"`
	// Kept counts the findings both sides have.
	Kept int `json:"kept"`
	// Checked are the rules run on either side.
	Checked []string `json:"checked"`
}

// Compare is the delta from the report before a change to the report after it.
func Compare(before, after *Report) *Delta {
	d := &Delta{Scenario: after.Scenario, New: []Finding{}, Resolved: []Finding{}, Checked: slices.Clone(after.Checked)}
	for _, r := range before.Checked {
		if !slices.Contains(d.Checked, r) {
			d.Checked = append(d.Checked, r)
		}
	}
	slices.SortFunc(d.Checked, func(a, b string) int {
		switch {
		case ruleLess(a, b):
			return -1
		case ruleLess(b, a):
			return 1
		}
		return 0
	})
	if d.Scenario == "" {
		d.Scenario = before.Scenario
	}
	key := func(f Finding) string { return f.Rule + "\x00" + f.Severity.String() + "\x00" + f.Message }
	count := func(fs []Finding) map[string]int {
		m := map[string]int{}
		for _, f := range fs {
			m[key(f)]++
		}
		return m
	}
	had, has := count(before.Findings), count(after.Findings)
	for _, f := range after.Findings {
		if k := key(f); had[k] > 0 {
			had[k]--
			d.Kept++
		} else {
			d.New = append(d.New, f)
		}
	}
	for _, f := range before.Findings {
		if k := key(f); has[k] > 0 {
			has[k]--
		} else {
			d.Resolved = append(d.Resolved, f)
		}
	}
	return d
}
