package check_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/zonesim/zonesim/pkg/check"
	"github.com/zonesim/zonesim/pkg/model"
)

func TestCompare(t *testing.T) {
	f := func(rule string, sev check.Severity, msg string, line int) check.Finding {
		return check.Finding{Rule: rule, Severity: sev, Message: msg, Objects: []check.Object{{Kind: "Namespace", Name: "a", Source: model.Source{File: "a.yaml", Line: line}}}}
	}
	zn3 := f("ZN-3", check.Error, "web can open connections to orders", 10)
	ob1 := f("OB-1", check.Error, "billing-sync can open connections into crm-sync", 20)
	warn := f("OB-5", check.Warning, "no probe tests crm-api", 30)
	tests := []struct {
		name              string
		before, after     []check.Finding
		wantNew, wantGone []check.Finding
		wantKept          int
	}{
		{"nothing changes", []check.Finding{zn3}, []check.Finding{zn3}, []check.Finding{}, []check.Finding{}, 1},
		{"a line moves: the same finding", []check.Finding{zn3}, []check.Finding{f("ZN-3", check.Error, zn3.Message, 99)}, []check.Finding{}, []check.Finding{}, 1},
		{"one new, one resolved", []check.Finding{zn3, warn}, []check.Finding{warn, ob1}, []check.Finding{ob1}, []check.Finding{zn3}, 1},
		{"severity is part of the finding", []check.Finding{warn}, []check.Finding{f("OB-5", check.Error, warn.Message, 30)},
			[]check.Finding{f("OB-5", check.Error, warn.Message, 30)}, []check.Finding{warn}, 0},
		{"a second copy is new", []check.Finding{zn3}, []check.Finding{zn3, zn3}, []check.Finding{zn3}, []check.Finding{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := check.Compare(&check.Report{Scenario: "s", Checked: []string{"ZN-3", "OB-5"}, Findings: tt.before},
				&check.Report{Scenario: "s", Checked: []string{"OB-1", "ZN-10", "ZN-3"}, Findings: tt.after})
			assert.Equal(t, tt.wantNew, d.New)
			assert.Equal(t, tt.wantGone, d.Resolved)
			assert.Equal(t, tt.wantKept, d.Kept)
			assert.Equal(t, []string{"OB-1", "OB-5", "ZN-3", "ZN-10"}, d.Checked)
		})
	}
}
