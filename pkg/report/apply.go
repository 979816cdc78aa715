package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/zonesim/zonesim/pkg/result"
)

// WriteApplied writes what zonesim apply left on a cluster: each pod of the model with the probe pod
// that stands for it, the ports, the scenario's external endpoints, and the commands that probe by hand
// and remove the run.
func WriteApplied(w io.Writer, a *result.Applied, format string) error {
	if format == "json" {
		return WriteJSON(w, a)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "run %s applied to %s\n\n", a.RunID, a.Backend)
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POD\tPROBE POD\tIP")
	for _, p := range a.Pods {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Original, p.Probe, p.IP)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(bw, "\n%d namespace(s), %d pod(s), %d NetworkPolicy(ies); probe ports [%s]\n", a.Namespaces, len(a.Pods), a.Policies, strings.Join(a.Ports, " "))
	for _, x := range a.Externals {
		fmt.Fprintf(bw, "external endpoint %s at %s, ports [%s], behind the scenario's egress SNAT, firewalls and perimeter\n", x.Name, x.IP, strings.Join(x.Ports, " "))
	}
	for _, sk := range a.Skipped {
		fmt.Fprintf(bw, "not applied: %s\n", sk)
	}
	if a.ProbeCommand != "" {
		fmt.Fprintf(bw, "probe by hand:  %s\n", a.ProbeCommand)
	}
	fmt.Fprintf(bw, "remove it with: %s\n", a.DeleteCommand)
	return bw.Flush()
}

// WriteDeleted writes what zonesim apply --delete removed.
func WriteDeleted(w io.Writer, d *result.Deleted, format string) error {
	if format == "json" {
		return WriteJSON(w, d)
	}
	_, err := fmt.Fprintf(w, "run %s deleted from %s: %s\n", d.RunID, d.Backend, strings.Join(d.Namespaces, ", "))
	return err
}
