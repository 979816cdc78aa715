package report

import (
	"bufio"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/zonesim/zonesim/pkg/audit"
)

// auditJSON is the JSON shape of an audit: every flow with its verdict, and the count of violations.
type auditJSON struct {
	Flows      []audit.Verdict `json:"flows"`
	Violations int             `json:"violations"`
}

// WriteAudit writes the verdict of every captured flow: what was seen, what the model says, and for a
// violation the query that explains the model's verdict.
func WriteAudit(w io.Writer, verdicts []audit.Verdict, format string) error {
	violations := audit.Violations(verdicts)
	if format == "json" {
		if verdicts == nil {
			verdicts = []audit.Verdict{}
		}
		return WriteJSON(w, auditJSON{Flows: verdicts, Violations: violations})
	}
	bw := bufio.NewWriter(w)
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FROM\tTO\tPORT\tSEEN\tMODEL\tSTATUS")
	for _, v := range verdicts {
		seen, model := "attempt", "denied"
		if v.Answered {
			seen = "answered"
		}
		if v.Allowed {
			model = "allowed"
		}
		status := v.Status
		if v.Status == audit.Violation {
			status = "VIOLATION: " + v.Query
		}
		fmt.Fprintf(tw, "%s\t%s\t%s/%d\t%s (%d pkts)\t%s\t%s\n", v.From, v.To, v.Protocol, v.Port, seen, v.Packets, model, status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(bw, "\n%d flow(s), %d violation(s)\n", len(verdicts), violations)
	return bw.Flush()
}
