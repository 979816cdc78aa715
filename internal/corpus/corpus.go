// Package corpus describes zonesim's own input corpora under testdata/, so that the unit tests (what zonesim
// reads) and the e2e differential test (what the lab's kube-apiserver accepts) walk the same cases:
//
//   - testdata/realworld: shapes users bring (exports, typed lists, kustomizations, a chart, CNI kinds,
//     policy-only repositories, Pods without owners), each with its expected workload matrix;
//   - testdata/validation: one small manifest per validation rule, valid-but-unusual or invalid, each
//     stating in its header what the API server does with it and what zonesim does.
package corpus

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Entry is one shape of the real-world corpus and how it is given on the command line.
type Entry struct {
	Name string
	// Exactly one of Files (-f DIR), Kustomize (-k DIR) and Chart (--chart DIR) is set.
	Files, Kustomize, Chart string
	Values                  []string // --values files of Chart
	Namespace               string   // -n: the release namespace of Chart
}

// Args are the command-line arguments that read the entry.
func (e Entry) Args() []string {
	switch {
	case e.Kustomize != "":
		return []string{"-k", e.Kustomize}
	case e.Chart != "":
		args := []string{"--chart", e.Chart}
		for _, v := range e.Values {
			args = append(args, "--values", v)
		}
		if e.Namespace != "" {
			args = append(args, "-n", e.Namespace)
		}
		return args
	}
	return []string{"-f", e.Files}
}

// RealWorld lists the real-world corpus under root (the repository's testdata/realworld).
func RealWorld(root string) []Entry {
	dir := func(name string) Entry { return Entry{Name: name, Files: filepath.Join(root, name)} }
	return []Entry{
		dir("export"), dir("typed-lists"), dir("cni-specific"), dir("pods-without-owners"), dir("policy-only"),
		{Name: "kustomize", Kustomize: filepath.Join(root, "kustomize/overlays/prod")},
		{Name: "chart", Chart: filepath.Join(root, "chart/shop"), Values: []string{filepath.Join(root, "chart/values-prod.yaml")}, Namespace: "shop"},
	}
}

// Verdict is what a reader does with a manifest.
type Verdict string

const (
	Accept Verdict = "accept" // read without a problem
	Warn   Verdict = "warn"   // read, with a warning (zonesim only)
	Refuse Verdict = "refuse" // an error
)

// Accepts reports whether the manifest is read (with or without a warning).
func (v Verdict) Accepts() bool { return v == Accept || v == Warn }

// Case is one manifest of the validation corpus. Its header comment says
//
//	# rule: what the case checks
//	# server: accept | refuse                 (kube-apiserver: server-side dry-run, strict field validation)
//	# zonesim: accept | warn FIELD | refuse FIELD
//	# why: ...                                (required when zonesim's verdict differs from the server's)
type Case struct {
	Name, File, Rule string
	Server           Verdict
	Zonesim          Verdict
	Field            string // the field path zonesim's warning or error names
	Why              string
	Data             []byte
}

// Validation reads every case of the validation corpus in dir, in name order; a malformed header is an error
// naming the file and line.
func Validation(dir string) ([]Case, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Case
	var errs []string
	for _, f := range files {
		c, err := readCase(f)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		out = append(out, c)
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no validation cases (*.yaml)", dir)
	}
	return out, nil
}

func readCase(file string) (Case, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Case{}, err
	}
	c := Case{Name: strings.TrimSuffix(filepath.Base(file), ".yaml"), File: file, Data: data}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if !strings.HasPrefix(text, "#") {
			break
		}
		key, value, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(text, "#")), ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		bad := func(msg string) error { return fmt.Errorf("%s:%d: %s: %s", file, line, key, msg) }
		switch key {
		case "rule":
			c.Rule = value
		case "why":
			c.Why = value
		case "server":
			c.Server = Verdict(value)
			if c.Server != Accept && c.Server != Refuse {
				return c, bad(fmt.Sprintf("%q: must be accept or refuse", value))
			}
		case "zonesim":
			v, field, _ := strings.Cut(value, " ")
			c.Zonesim, c.Field = Verdict(v), strings.TrimSpace(field)
			switch {
			case c.Zonesim == Accept && c.Field != "":
				return c, bad("accept names no field")
			case (c.Zonesim == Warn || c.Zonesim == Refuse) && c.Field == "":
				return c, bad(v + " must name the field the message names")
			case c.Zonesim != Accept && c.Zonesim != Warn && c.Zonesim != Refuse:
				return c, bad(fmt.Sprintf("%q: must be accept, warn FIELD or refuse FIELD", v))
			}
		}
	}
	switch {
	case c.Rule == "" || c.Server == "" || c.Zonesim == "":
		return c, fmt.Errorf("%s:1: the header needs # rule:, # server: and # zonesim: lines", file)
	case c.Server.Accepts() != c.Zonesim.Accepts() && c.Why == "":
		return c, fmt.Errorf("%s:1: zonesim's verdict (%s) differs from the server's (%s): say why in a # why: line", file, c.Zonesim, c.Server)
	case c.Server.Accepts() == c.Zonesim.Accepts() && c.Why != "":
		return c, fmt.Errorf("%s:1: # why: explains a difference, and zonesim and the server agree", file)
	}
	return c, nil
}
