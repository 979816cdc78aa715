package model_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/internal/corpus"
	"github.com/zonesim/zonesim/pkg/model"
)

// The validation corpus (testdata/validation): each manifest states what the API server does with it
// (checked against a real kube-apiserver by the e2e differential test) and what zonesim does; this checks
// the latter, and that the message names the field.
func TestValidationCorpus(t *testing.T) {
	cases, err := corpus.Validation("../../testdata/validation")
	require.NoError(t, err)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			l := model.NewLoader(model.DefaultLoadOptions(), nil)
			l.AddPath(c.File)
			cl, err := l.Cluster()
			var errs, warns []string
			if err != nil {
				probs, ok := err.(model.Problems)
				require.True(t, ok, "error is not Problems: %v", err)
				errs = problemStrings(probs.Errors())
			} else {
				warns = problemStrings(cl.Warnings)
			}
			naming := func(list []string) bool {
				for _, p := range list {
					if strings.Contains(p, " "+c.Field+": ") || strings.Contains(p, ": "+c.Field+": ") {
						return true
					}
				}
				return false
			}
			switch c.Zonesim {
			case corpus.Accept:
				assert.Empty(t, errs, c.Rule)
			case corpus.Warn:
				require.Empty(t, errs, c.Rule)
				assert.True(t, naming(warns), "%s\nno warning names %s in:\n%s", c.Rule, c.Field, strings.Join(warns, "\n"))
			case corpus.Refuse:
				assert.True(t, naming(errs), "%s\nno error names %s in:\n%s", c.Rule, c.Field, strings.Join(errs, "\n"))
			}
		})
	}
}
