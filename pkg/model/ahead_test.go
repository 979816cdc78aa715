package model

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readBoth loads data document by document, and read ahead in parallel in chunks of several sizes, and
// renders what each gives: every problem, and every pod and policy with where it was read.
func readBoth(t testing.TB, data []byte) (stream string, ahead []string) {
	t.Helper()
	render := func(add func(l *Loader)) string {
		l := NewLoader(DefaultLoadOptions(), nil)
		add(l)
		c, err := l.Cluster()
		require.NotNil(t, c)
		var b strings.Builder
		fmt.Fprintf(&b, "err: %v\n", err)
		for _, p := range l.probs {
			fmt.Fprintln(&b, p.String())
		}
		for _, p := range c.Pods {
			fmt.Fprintf(&b, "pod %s %v %s:%d\n", p.Key(), p.Labels, p.Source.File, p.Source.Line)
		}
		for _, p := range c.Policies {
			fmt.Fprintf(&b, "policy %s %s:%d %v %v\n", p.Key(), p.Source.File, p.Source.Line, p.IngressLines, p.EgressLines)
		}
		return b.String()
	}
	stream = render(func(l *Loader) { l.addStream("in.yaml", data, 0) })
	for _, min := range []int{1, 64, 256} {
		ahead = append(ahead, render(func(l *Loader) { l.addChunks("in.yaml", data, splitDocuments(data, min)) }))
	}
	return stream, ahead
}

const aheadDocs = `# a comment before the first document
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: PodList
items:
  - metadata: {name: p1, namespace: a, labels: {app: x}}
    spec: {containers: [{name: c, image: i}]}
  - metadata: {name: p2, namespace: a}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 99999}]}]}
---
---   # an empty document
apiVersion: v1
kind: Pod
metadata: {generateName: gen-, namespace: a}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: a}
spec:
  podSelector: {}
  ingress:
    - from: [{podSelector: {}}]
  egress:
    - to: [{podSelector: {}}]
---
apiVersion: v1
kind: Pod
metadata: {name: p1, namespace: a, labels: {app: other}}
spec: {containers: [{name: c, image: i}]}
`

// Reading a file ahead in parallel gives what reading it document by document gives: the same problems at the
// same lines, the same objects, in the same order.
func TestReadingAheadIsReadingTheStream(t *testing.T) {
	tests := []struct{ name, data string }{
		{"documents, lists, generated names, duplicates", aheadDocs},
		{"CRLF line ends", strings.ReplaceAll(aheadDocs, "\n", "\r\n")},
		{"malformed YAML in a later document", aheadDocs + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: [\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: after}\n"},
		{"a quoted scalar across a marker", aheadDocs + "---\na: \"open\n---\nclosed\"\n"},
		{"an error found reading on past a document's end", "a\n---\napiVersion:rs1\nkind: PodList\n"},
		{"an anchor of another document", "a: &x 1\n---\nb: *x\n"},
		{"directives", "%YAML 1.1\n" + strings.TrimPrefix(aheadDocs, "# a comment before the first document\n")},
		{"document end markers", strings.Replace(aheadDocs, "---   # an empty document", "...\n---", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream, ahead := readBoth(t, []byte(tt.data))
			for _, a := range ahead {
				assert.Equal(t, stream, a)
			}
		})
	}
}

// The chunks of a file are cut at document start markers only, and cover it whole.
func TestSplitDocuments(t *testing.T) {
	data := []byte("a: 1\n---\nb: |\n  ---\n  x\n--- # c\nc: 1\n---\r\nd: 1\n----\n")
	var got []string
	for _, c := range splitDocuments(data, 1) {
		got = append(got, fmt.Sprintf("%d:%q", c.line, c.data))
	}
	assert.Equal(t, []string{`0:"a: 1\n"`, `1:"---\nb: |\n  ---\n  x\n"`, `5:"--- # c\nc: 1\n"`, `7:"---\r\nd: 1\n----\n"`}, got)
	assert.Len(t, splitDocuments(data, 1<<20), 1)
	assert.Len(t, splitDocuments([]byte("%YAML 1.1\n---\na: 1\n---\nb: 2\n"), 1), 1)
}

// Whatever the input, reading it ahead in chunks gives what reading it document by document gives.
func FuzzReadAhead(f *testing.F) {
	f.Add([]byte(aheadDocs))
	f.Add([]byte("a: &x 1\n---\nb: *x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Count(data, []byte("\n")) > 400 {
			return
		}
		stream, ahead := readBoth(t, data)
		for _, a := range ahead {
			if stream != a {
				t.Fatalf("document by document:\n%s\nahead:\n%s", stream, a)
			}
		}
	})
}
