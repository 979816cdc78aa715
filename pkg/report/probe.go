package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zonesim/zonesim/pkg/probe"
)

// ProbeFormats are the -o values of zonesim probe: jsonl is one JSON object per result and line, the
// form a log shipper reads from a probe that keeps running.
var ProbeFormats = []string{Table, "jsonl", "junit"}

// WriteProbes writes one round of probe results.
func WriteProbes(w io.Writer, rs []probe.Result, format string) error {
	switch format {
	case "jsonl":
		enc := json.NewEncoder(w)
		for _, r := range rs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	case "junit":
		return probeJUnit(w, rs)
	}
	bw := bufio.NewWriter(w)
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENDPOINT\tFOR\tCHECK\tTARGET\tEXPECT\tOUTCOME\tSTATUS\tDETAIL")
	warnings := 0
	for _, r := range rs {
		if r.Status == probe.Warning {
			warnings++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Endpoint, orDash(probeFor(r)), r.Check, probeTarget(r), orDash(r.Expect), r.Outcome, strings.ToUpper(r.Status), r.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(bw, "\n%d check(s), %d finding(s), %d warning(s)\n", len(rs), probe.Findings(rs), warnings)
	return bw.Flush()
}

// probeFor is whose flow a result stands for: the pod it ran in, else the namespace.
func probeFor(r probe.Result) string {
	if r.From != "" {
		return r.From
	}
	return r.Namespace
}

func probeTarget(r probe.Result) string {
	switch {
	case r.Check == probe.CheckDNS:
		return r.Name
	case r.Check == probe.CheckTLS && r.Name != "":
		return r.Name + " @ " + r.Address
	}
	return r.Address
}

// probeJUnit writes one test case per check, failed where it is a finding.
func probeJUnit(w io.Writer, rs []probe.Result) error {
	suite := junitSuite{Name: "zonesim probe", Failures: probe.Findings(rs)}
	for _, r := range rs {
		name := r.Check + " " + probeTarget(r) // the same name whatever the outcome, so a CI history follows it
		if f := probeFor(r); f != "" {
			name += " from " + f
		}
		c := junitCase{Name: name, ClassName: "ext:" + r.Endpoint}
		switch r.Status {
		case probe.Finding:
			c.Failures = []junitFailed{{Message: r.Detail, Type: "finding", Text: r.Detail}}
		case probe.Warning:
			c.SystemOut = "warning: " + r.Detail
		}
		suite.Cases = append(suite.Cases, c)
	}
	return suite.write(w)
}

// WriteProbeMetrics writes the last round of results in the Prometheus text exposition format: whether
// each check succeeded and was as the model expects, how long it took, the days left on each TLS
// certificate, and when the round ran.
func WriteProbeMetrics(w io.Writer, rs []probe.Result, last time.Time) error {
	bw := bufio.NewWriter(w)
	labels := func(r probe.Result) string {
		return fmt.Sprintf(`endpoint="%s",namespace="%s",from="%s",check="%s",target="%s",expect="%s"`, promEscape(r.Endpoint), promEscape(r.Namespace),
			promEscape(r.From), r.Check, promEscape(probeTarget(r)), r.Expect)
	}
	gauge := func(name, help string, value func(probe.Result) (float64, bool)) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
		for _, r := range rs {
			if v, ok := value(r); ok {
				fmt.Fprintf(bw, "%s{%s} %g\n", name, labels(r), v)
			}
		}
	}
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	gauge("zonesim_probe_success", "Whether the check succeeded: the name resolved, the connection opened, the handshake completed (1) or not (0).",
		func(r probe.Result) (float64, bool) { return b(r.Success), true })
	gauge("zonesim_probe_as_expected", "Whether the check came out as the model expects (1) or is a finding (0).",
		func(r probe.Result) (float64, bool) { return b(r.Status != probe.Finding), true })
	gauge("zonesim_probe_duration_seconds", "How long the check took.",
		func(r probe.Result) (float64, bool) { return r.Seconds, true })
	gauge("zonesim_probe_tls_expiry_days", "Days until the server's certificate expires.",
		func(r probe.Result) (float64, bool) { return r.DaysLeft, r.Check == probe.CheckTLS && r.Success })
	fmt.Fprintf(bw, "# HELP zonesim_probe_last_run_timestamp_seconds When the last round of probes ran.\n# TYPE zonesim_probe_last_run_timestamp_seconds gauge\n")
	fmt.Fprintf(bw, "zonesim_probe_last_run_timestamp_seconds %d\n", last.Unix())
	return bw.Flush()
}

func promEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
