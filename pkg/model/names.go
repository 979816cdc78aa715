package model

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// The API's name rules (label keys and values, port names, DNS-1123 names) as apimachinery states them,
// with a direct test of the characters first: nearly every name a cluster holds is valid, and apimachinery
// decides each with regular expressions, which cost a tenth of the load of a large cluster. A name the direct
// test does not pass goes to apimachinery for its messages, so problems read exactly as the API server's.

// qualifiedNameProblems is validation.IsQualifiedName: a label or annotation key.
func qualifiedNameProblems(s string) []string {
	name := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		name = s[i+1:]
		if !isDNS1123Subdomain(s[:i]) || strings.IndexByte(name, '/') >= 0 {
			return validation.IsQualifiedName(s)
		}
	}
	if name == "" || !isLabelValue(name) {
		return validation.IsQualifiedName(s)
	}
	return nil
}

// labelValueProblems is validation.IsValidLabelValue.
func labelValueProblems(s string) []string {
	if isLabelValue(s) {
		return nil
	}
	return validation.IsValidLabelValue(s)
}

// portNameProblems is validation.IsValidPortName (IANA_SVC_NAME).
func portNameProblems(s string) []string {
	if isPortName(s) {
		return nil
	}
	return validation.IsValidPortName(s)
}

// dns1123LabelProblems is validation.IsDNS1123Label.
func dns1123LabelProblems(s string) []string {
	if len(s) <= 63 && isDNSLabel(s) {
		return nil
	}
	return validation.IsDNS1123Label(s)
}

// dns1123SubdomainProblems is validation.IsDNS1123Subdomain.
func dns1123SubdomainProblems(s string) []string {
	if isDNS1123Subdomain(s) {
		return nil
	}
	return validation.IsDNS1123Subdomain(s)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// isLabelValue: empty, or at most 63 of [A-Za-z0-9_.-] beginning and ending with an alphanumeric.
func isLabelValue(s string) bool {
	if s == "" {
		return true
	}
	if len(s) > validation.LabelValueMaxLength || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// isDNSLabel: one or more of [a-z0-9-] beginning and ending with an alphanumeric (the length is the caller's).
func isDNSLabel(s string) bool {
	if s == "" || !isLowerAlnum(s[0]) || !isLowerAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

// isDNS1123Subdomain: at most 253 characters of DNS labels joined by dots.
func isDNS1123Subdomain(s string) bool {
	if len(s) > validation.DNS1123SubdomainMaxLength {
		return false
	}
	for {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return isDNSLabel(s)
		}
		if !isDNSLabel(s[:i]) {
			return false
		}
		s = s[i+1:]
	}
}

// isPortName: 1 to 15 of [a-z0-9-], at least one letter, no hyphen at either end or next to another.
func isPortName(s string) bool {
	if s == "" || len(s) > 15 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			letter = true
		case c >= '0' && c <= '9':
		case c == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return letter
}
