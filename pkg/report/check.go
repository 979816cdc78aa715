package report

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/zonesim/zonesim/pkg/check"
)

// WriteCheck writes a check report in the given format.
func WriteCheck(w io.Writer, r *check.Report, format string) error {
	switch format {
	case "json":
		return WriteJSON(w, r)
	case "junit":
		return checkJUnit(w, r)
	case "sarif":
		return checkSARIF(w, r)
	}
	return checkText(w, r)
}

func objectsText(objs []check.Object) string {
	var parts []string
	for _, o := range objs {
		s := o.Kind + " " + o.Name
		if at := src(o.Source); at != "" {
			s += " (" + at + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func checkText(w io.Writer, r *check.Report) error {
	bw := bufio.NewWriter(w)
	for _, f := range r.Findings {
		fmt.Fprintf(bw, "%s %s: %s\n", strings.ToUpper(f.Severity.String()), f.Rule, f.Message)
		if len(f.Objects) > 0 {
			fmt.Fprintf(bw, "  objects: %s\n", objectsText(f.Objects))
		}
		if f.Query != "" {
			fmt.Fprintf(bw, "  reproduce: %s\n", f.Query)
		}
		fmt.Fprintf(bw, "  fix: %s\n\n", f.Fix)
	}
	counts := map[check.Severity]int{}
	for _, f := range r.Findings {
		counts[f.Severity]++
	}
	name := r.Scenario
	if name == "" {
		name = "the input"
	}
	fmt.Fprintf(bw, "checked %s against %s: %d error(s), %d warning(s), %d info\n", name, strings.Join(r.Checked, " "),
		counts[check.Error], counts[check.Warning], counts[check.Info])
	for _, s := range r.Skipped {
		fmt.Fprintf(bw, "not checked: %s\n", s)
	}
	return bw.Flush()
}

type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failures  []junitFailed `xml:"failure,omitempty"`
	Skipped   *struct {
		Message string `xml:"message,attr"`
	} `xml:"skipped,omitempty"`
	// SystemOut carries what passed with a remark (a certificate that expires soon).
	SystemOut string `xml:"system-out,omitempty"`
}

type junitFailed struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// checkJUnit writes one test case per checked rule; its failures are the rule's findings.
func checkJUnit(w io.Writer, r *check.Report) error {
	suite := junitSuite{Name: "zonesim check " + r.Scenario}
	byRule := map[string][]check.Finding{}
	for _, f := range r.Findings {
		byRule[f.Rule] = append(byRule[f.Rule], f)
	}
	rules := append([]string(nil), r.Checked...)
	for rule := range byRule {
		if !containsStr(rules, rule) {
			rules = append(rules, rule)
		}
	}
	for _, rule := range rules {
		c := junitCase{Name: rule, ClassName: "zonesim.check"}
		for _, f := range byRule[rule] {
			text := f.Message + "\nobjects: " + objectsText(f.Objects) + "\nfix: " + f.Fix
			if f.Query != "" {
				text += "\nreproduce: " + f.Query
			}
			c.Failures = append(c.Failures, junitFailed{Message: f.Message, Type: f.Severity.String(), Text: text})
		}
		if len(c.Failures) > 0 {
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
	}
	for _, s := range r.Skipped {
		rule, why, _ := strings.Cut(s, ": ")
		suite.Cases = append(suite.Cases, junitCase{Name: rule, ClassName: "zonesim.check", Skipped: &struct {
			Message string `xml:"message,attr"`
		}{why}})
		suite.Skipped++
	}
	return suite.write(w)
}

// write writes the suite as a JUnit XML document.
func (suite junitSuite) write(w io.Writer) error {
	suite.Tests = len(suite.Cases)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(suite); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkSARIF writes SARIF 2.1.0: one result per finding, located at its first object's file and line.
// contextRank is 1 for the kinds a finding names for context, 0 for the objects a fix changes.
func contextRank(kind string) int {
	switch kind {
	case "Namespace", "Contract", "Zone":
		return 1
	}
	return 0
}

func checkSARIF(w io.Writer, r *check.Report) error {
	type region struct {
		StartLine int `json:"startLine"`
	}
	type location struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region *region `json:"region,omitempty"`
		} `json:"physicalLocation"`
	}
	type message struct {
		Text string `json:"text"`
	}
	type result struct {
		RuleID    string     `json:"ruleId"`
		Level     string     `json:"level"`
		Message   message    `json:"message"`
		Locations []location `json:"locations,omitempty"`
	}
	type rule struct {
		ID               string  `json:"id"`
		ShortDescription message `json:"shortDescription"`
	}
	var results []result
	seen := map[string]bool{}
	var rules []rule
	for _, f := range r.Findings {
		level := map[check.Severity]string{check.Error: "error", check.Warning: "warning", check.Info: "note"}[f.Severity]
		text := f.Message + " Fix: " + f.Fix
		if f.Query != "" {
			text += " Reproduce: " + f.Query
		}
		res := result{RuleID: f.Rule, Level: level, Message: message{text}}
		// Code scanning anchors the alert on the first location: the object to change (a policy, a
		// route) before the ones that give context (its namespace, the contract).
		objects := slices.Clone(f.Objects)
		slices.SortStableFunc(objects, func(a, b check.Object) int { return contextRank(a.Kind) - contextRank(b.Kind) })
		for _, o := range objects {
			if o.Source.File == "" {
				continue
			}
			var loc location
			loc.PhysicalLocation.ArtifactLocation.URI = filepath.ToSlash(o.Source.File)
			if o.Source.Line > 0 {
				loc.PhysicalLocation.Region = &region{o.Source.Line}
			}
			res.Locations = append(res.Locations, loc)
		}
		results = append(results, res)
		if !seen[f.Rule] {
			seen[f.Rule] = true
			rules = append(rules, rule{ID: f.Rule, ShortDescription: message{"zonesim rule " + f.Rule + " (SEMANTICS.md)"}})
		}
	}
	if results == nil {
		results = []result{}
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool":    map[string]any{"driver": map[string]any{"name": "zonesim", "informationUri": "https://github.com/zonesim/zonesim", "rules": rules}},
			"results": results,
		}},
	}
	return WriteJSON(w, doc)
}
