package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/zonesim/zonesim/pkg/result"
)

// WriteE2E writes an e2e result: per port, the predicted, observed and compared truth tables (. agree,
// X disagree), then every mismatch with the commands that explain and reproduce it.
func WriteE2E(w io.Writer, r *result.E2E, format string) error {
	switch format {
	case "json":
		return WriteJSON(w, r)
	case "junit":
		return e2eJUnit(w, r)
	}
	bw := bufio.NewWriter(w)
	byPort := map[string]map[[2]string]result.Cell{}
	for _, c := range r.Cells {
		if byPort[c.Port] == nil {
			byPort[c.Port] = map[[2]string]result.Cell{}
		}
		byPort[c.Port][[2]string{c.From, c.To}] = c
	}
	short := make([]string, len(r.Pods))
	for i := range r.Pods {
		short[i] = fmt.Sprintf("%d", i+1)
	}
	fmt.Fprintf(bw, "backend %s, run %s, cni profile %s; pods:\n", r.Backend, r.RunID, r.CNI)
	for i, p := range r.Pods {
		fmt.Fprintf(bw, "  %2s  %s\n", short[i], p)
	}
	for _, port := range r.Ports {
		cells := byPort[port]
		fmt.Fprintf(bw, "\n%s\n", port)
		tw := tabwriter.NewWriter(bw, 0, 2, 1, ' ', 0)
		fmt.Fprint(tw, "from\\to\t")
		for _, s := range short {
			fmt.Fprintf(tw, "%s\t", s)
		}
		fmt.Fprint(tw, "\t")
		for _, s := range short {
			fmt.Fprintf(tw, "%s\t", s)
		}
		fmt.Fprint(tw, "\t")
		for _, s := range short {
			fmt.Fprintf(tw, "%s\t", s)
		}
		fmt.Fprintln(tw)
		for i, from := range r.Pods {
			fmt.Fprintf(tw, "%s\t", short[i])
			for _, pick := range []func(result.Cell) string{
				func(c result.Cell) string { return bit(c.Predicted) },
				func(c result.Cell) string { return bit(c.Observed) },
				func(c result.Cell) string { return agreeMark(c.Agree) },
			} {
				for _, to := range r.Pods {
					c, ok := cells[[2]string{from, to}]
					switch {
					case from == to:
						fmt.Fprint(tw, "#\t")
					case !ok || c.Skipped != "":
						fmt.Fprint(tw, "-\t")
					default:
						fmt.Fprintf(tw, "%s\t", pick(c))
					}
				}
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}
	fmt.Fprintf(bw, "\n(left: predicted, middle: observed, right: . agree, X disagree; 1 allowed, 0 denied, # the pod itself, - skipped)\n")
	external := false
	for _, c := range r.Cells {
		if !strings.HasPrefix(c.To, "ext:") || c.Skipped != "" {
			continue
		}
		if !external {
			fmt.Fprintf(bw, "\nto endpoints outside the cluster (egress policy, EgressFirewall, SNAT, perimeter, allowlist):\n")
			external = true
		}
		fmt.Fprintf(bw, "  %s %s -> %s %s: predicted %s, observed %s\n", agreeMark(c.Agree), c.From, c.To, c.Port, verdict(c.Predicted), verdict(c.Observed))
	}
	for _, id := range r.Identity {
		fmt.Fprintf(bw, "  %s %s saw %s from %v; predicted egress identities %v\n", agreeMark(id.Agree), id.External, id.Port, id.Seen, id.Predicted)
	}
	reasons := map[string]int{}
	for _, c := range r.Cells {
		if c.Skipped != "" {
			reasons[c.Skipped]++
		}
	}
	for reason, n := range reasons {
		fmt.Fprintf(bw, "skipped %d cell(s): %s\n", n, reason)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(bw, "not probed: %s\n", s)
	}
	for _, c := range r.Cells {
		if c.Skipped != "" || c.Agree {
			continue
		}
		fmt.Fprintf(bw, "\nMISMATCH %s -> %s on %s: predicted %s, observed %s\n  explain: %s\n  probe:   %s\n",
			c.From, c.To, c.Port, verdict(c.Predicted), verdict(c.Observed), c.Query, c.Probe)
	}
	fmt.Fprintf(bw, "\n%d cell(s) probed, %d mismatch(es)\n", r.Probed, r.Mismatches)
	return bw.Flush()
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func agreeMark(b bool) string {
	if b {
		return "."
	}
	return "X"
}

func verdict(b bool) string {
	if b {
		return "allowed"
	}
	return "denied"
}

// e2eJUnit writes one test case per probed cell, failed where observation and prediction disagree.
func e2eJUnit(w io.Writer, r *result.E2E) error {
	suite := junitSuite{Name: "zonesim e2e " + r.Backend}
	for _, c := range r.Cells {
		tc := junitCase{Name: fmt.Sprintf("%s -> %s %s", c.From, c.To, c.Port), ClassName: "zonesim.e2e"}
		switch {
		case c.Skipped != "":
			tc.Skipped = &struct {
				Message string `xml:"message,attr"`
			}{c.Skipped}
			suite.Skipped++
		case !c.Agree:
			msg := fmt.Sprintf("predicted %s, observed %s", verdict(c.Predicted), verdict(c.Observed))
			tc.Failures = []junitFailed{{Message: msg, Type: "mismatch", Text: msg + "\nexplain: " + c.Query + "\nprobe: " + c.Probe}}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, tc)
	}
	return suite.write(w)
}
