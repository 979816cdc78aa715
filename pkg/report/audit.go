package report

import (
	"bufio"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/zonesim/zonesim/pkg/audit"
	"github.com/zonesim/zonesim/pkg/capture"
)

// auditJSON is the JSON shape of an audit: every flow with its verdict, and the count of violations.
type auditJSON struct {
	Flows      []audit.Verdict `json:"flows"`
	Violations int             `json:"violations"`
	Drops      int             `json:"drops"`
	Unexpected int             `json:"unexpectedIdentities"`
}

// WriteAudit writes the verdict of every captured flow: what was seen, what the model says, and for a
// violation the query that explains the model's verdict.
func WriteAudit(w io.Writer, verdicts []audit.Verdict, format string) error {
	violations := audit.Violations(verdicts)
	if format == "json" {
		if verdicts == nil {
			verdicts = []audit.Verdict{}
		}
		return WriteJSON(w, auditJSON{Flows: verdicts, Violations: violations, Drops: audit.Drops(verdicts), Unexpected: audit.UnexpectedIdentities(verdicts)})
	}
	bw := bufio.NewWriter(w)
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FROM\tTO\tPORT\tSEEN\tMODEL\tSTATUS")
	for _, v := range verdicts {
		seen, model := fmt.Sprintf("attempt (%d pkts)", v.Packets), "denied"
		switch {
		case v.Logged != "":
			seen = fmt.Sprintf("%s (%d log lines)", map[string]string{capture.LogAllow: "allowed", capture.LogDrop: "dropped"}[v.Logged], v.Packets)
		case v.Answered:
			seen = fmt.Sprintf("answered (%d pkts)", v.Packets)
		}
		if v.Allowed {
			model = "allowed"
		}
		status := v.Status
		switch v.Status {
		case audit.Violation:
			status = "VIOLATION: " + v.Query
		case audit.NotModelled:
			status = "not modelled: the model holds neither end"
		case audit.Unexpected:
			status = "UNEXPECTED IDENTITY: no pod leaves with " + v.Src.String() + " (ZN-6)"
		case audit.Dropped:
			status = "DROPPED"
			if v.DecidedBy != "" {
				status += " by " + v.DecidedBy
			}
			status += ": " + v.Query
		}
		fmt.Fprintf(tw, "%s\t%s\t%s/%d\t%s\t%s\t%s\n", v.From, v.To, v.Protocol, v.Port, seen, model, status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(bw, "\n%d flow(s), %d violation(s)", len(verdicts), violations)
	if drops := audit.Drops(verdicts); drops > 0 {
		fmt.Fprintf(bw, ", %d drop(s) the model does not expect", drops)
	}
	if n := audit.UnexpectedIdentities(verdicts); n > 0 {
		fmt.Fprintf(bw, ", %d unexpected source identit%s", n, plural(n, "y", "ies"))
	}
	bw.WriteString("\n")
	return bw.Flush()
}
