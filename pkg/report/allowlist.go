package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/zonesim/zonesim/pkg/check"
)

// AllowlistFormats are the -o values of zonesim allowlist: CSV is for a request to the provider.
var AllowlistFormats = []string{Table, "json", "csv"}

// allowlistsJSON is the JSON shape of zonesim allowlist (docs/json.md).
type allowlistsJSON struct {
	Allowlists []check.Allowlist `json:"allowlists"`
	Missing    int               `json:"missing"`
}

// WriteAllowlists writes each endpoint's allowlist: every identity its list needs (registered or
// missing) and every entry no namespace needs (stale), with the notes on what the lists could not take in.
func WriteAllowlists(w io.Writer, lists []check.Allowlist, format string) error {
	missing := check.MissingEntries(lists)
	switch format {
	case "json":
		if lists == nil {
			lists = []check.Allowlist{}
		}
		return WriteJSON(w, allowlistsJSON{Allowlists: lists, Missing: missing})
	case "csv":
		return allowlistCSV(w, lists)
	}
	bw := bufio.NewWriter(w)
	for i, a := range lists {
		if i > 0 {
			bw.WriteString("\n")
		}
		fmt.Fprintf(bw, "ext:%s (%s)", a.Endpoint, src(a.Source))
		if len(a.Namespaces) > 0 {
			fmt.Fprintf(bw, ", reached by %s under the contract", strings.Join(a.Namespaces, ", "))
		}
		if !a.Keeps {
			bw.WriteString("; keeps no allowlist (accepts every source)")
		}
		bw.WriteString("\n")
		tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  ADDRESS\tSTATUS\tIDENTITY\tLEAVES FROM\tNAMESPACES")
		for _, e := range a.Entries {
			status := e.Status
			switch {
			case e.ListedAs == e.Address:
				status += " (on the list)"
			case e.ListedAs != "":
				status += " (as " + e.ListedAs + ")"
			}
			identity := "-"
			if e.Kind != "" {
				identity = e.Kind + " " + e.Name
			}
			hosts := orDash(strings.Join(e.Hosts, ", "))
			if e.Kind != "" && len(e.Hosts) == 0 {
				hosts = "no node can host it"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", e.Address, status, identity, hosts, orDash(strings.Join(e.Namespaces, ", ")))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		var whys []string
		for _, e := range a.Entries {
			for _, w := range strings.Split(e.Why, "; ") {
				if w != "" && !slices.Contains(whys, w) {
					whys = append(whys, w)
				}
			}
		}
		if len(whys) > 0 {
			fmt.Fprintf(bw, "  note: node IPs are needed: %s\n", strings.Join(whys, "; "))
		}
		for _, n := range a.Notes {
			fmt.Fprintf(bw, "  note: %s\n", n)
		}
	}
	if len(lists) > 0 {
		bw.WriteString("\n")
	}
	fmt.Fprintf(bw, "%d endpoint(s), %d missing entr%s\n", len(lists), missing, plural(missing, "y", "ies"))
	return bw.Flush()
}

func allowlistCSV(w io.Writer, lists []check.Allowlist) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("endpoint,address,status,listed_as,kind,name,leaves_from,namespaces,why\n")
	for _, a := range lists {
		for _, e := range a.Entries {
			fmt.Fprintf(bw, "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", csvField(a.Endpoint), csvField(e.Address), e.Status, csvField(e.ListedAs), csvField(e.Kind), csvField(e.Name),
				csvField(strings.Join(e.Hosts, " ")), csvField(strings.Join(e.Namespaces, " ")), csvField(e.Why))
		}
	}
	return bw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
