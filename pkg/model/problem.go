package model

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a Problem stops the run (Error) or is only reported (Warning).
type Severity int

const (
	// Error problems make loading fail (exit code 2) after every problem was collected.
	Error Severity = iota
	// Warning problems are printed on stderr and the run continues.
	Warning
)

// Problem is one finding about the input, positioned as file:line: field: message.
type Problem struct {
	File     string
	Line     int
	Field    string
	Message  string
	Severity Severity
}

func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	}
	if p.Severity == Warning {
		b.WriteString("warning: ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in one load; as an error it lists the errors only.
type Problems []Problem

// Errors returns the problems of severity Error.
func (ps Problems) Errors() Problems { return ps.filter(Error) }

// Warnings returns the problems of severity Warning.
func (ps Problems) Warnings() Problems { return ps.filter(Warning) }

func (ps Problems) filter(s Severity) Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == s {
			out = append(out, p)
		}
	}
	return out
}

// Sort orders problems by file, line, then field so output is deterministic.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Field < b.Field
	})
}

func (ps Problems) Error() string {
	errs := ps.Errors()
	lines := make([]string, 0, len(errs)+1)
	for _, p := range errs {
		lines = append(lines, p.String())
	}
	lines = append(lines, fmt.Sprintf("%d error(s) in the input", len(errs)))
	return strings.Join(lines, "\n")
}
