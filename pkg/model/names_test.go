package model

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/util/validation"
)

// nameRules pairs each of our name checks with apimachinery's.
var nameRules = []struct {
	name     string
	ours     func(string) []string
	upstream func(string) []string
}{
	{"qualified name", qualifiedNameProblems, validation.IsQualifiedName},
	{"label value", labelValueProblems, validation.IsValidLabelValue},
	{"port name", portNameProblems, validation.IsValidPortName},
	{"DNS-1123 label", dns1123LabelProblems, validation.IsDNS1123Label},
	{"DNS-1123 subdomain", dns1123SubdomainProblems, validation.IsDNS1123Subdomain},
}

var nameCases = []string{
	"", "a", "A", "0", "-", "_", ".", "a-b", "a--b", "-a", "a-", "a_b", "a.b", "a..b", ".a", "a.", "A.b-C_d",
	"http", "http-alt", "h2c", "8080", "8080a", "HTTP", "abcdefghijklmno", "abcdefghijklmnop",
	"app.kubernetes.io/name", "kubernetes.io/metadata.name", "example.com/", "/name", "a/b/c", "Example.com/x",
	"ex_ample.com/x", "-x.com/y", "x.com/-y", "a.b.c/d", "a..b/c", "zone", "zonesim.io/zone", "é", "a b",
	strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a", 253), strings.Repeat("a.", 126) + "a",
	strings.Repeat("a.", 127) + "a", strings.Repeat("a", 253) + "/x", strings.Repeat("a", 254) + "/x",
	"x/" + strings.Repeat("b", 63), "x/" + strings.Repeat("b", 64),
}

func TestNameChecksAreAPIMachinerys(t *testing.T) {
	for _, r := range nameRules {
		for _, s := range nameCases {
			assert.Equal(t, r.upstream(s), r.ours(s), "%s %q", r.name, s)
		}
	}
}

func FuzzNameChecks(f *testing.F) {
	for _, s := range nameCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range nameRules {
			assert.Equal(t, r.upstream(s), r.ours(s), "%s %q", r.name, s)
		}
	})
}
