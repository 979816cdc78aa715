package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
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
	defer func(n int) { listAheadItems = n }(listAheadItems)
	listAheadItems = math.MaxInt // the stream read item by item, as the reference
	stream = render(func(l *Loader) { l.addStream("in.yaml", data, 0) })
	listAheadItems = 1 // the items of every List read whole decoded ahead in parallel
	ahead = append(ahead, render(func(l *Loader) { l.addStream("in.yaml", data, 0) }))
	for _, min := range []int{1, 64, 256} {
		ahead = append(ahead, render(func(l *Loader) { l.addChunks("in.yaml", data, splitAhead(data, min)) }))
		ahead = append(ahead, render(func(l *Loader) { // Lists added run by run where they can be
			chunks := splitAhead(data, min)
			checkLists(chunks)
			l.addChunks("in.yaml", data, chunks)
		}))
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

// exportList is a List the way kubectl get -o yaml writes one: its items at the key's column.
const exportList = `apiVersion: v1
kind: List
metadata: {resourceVersion: ""}
items:  # what the cluster holds
- apiVersion: v1
  kind: Namespace
  metadata: {name: a, labels: {zone: x}}
- apiVersion: v1
  kind: Pod
  metadata: {name: p1, namespace: a, labels: {app: x}}
  spec:
    containers:
    - name: c
      image: i
      args: |
        - not an item
        items:
      ports: [{containerPort: 99999}]
# a comment between items
- apiVersion: v1
  kind: Pod
  metadata: {name: p2, namespace: a, labels: {app: z}}
  spec: {containers: [{name: c, image: i}]}

- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: np, namespace: a}
  spec:
    podSelector: {}
    ingress:
    - from: [{podSelector: {}}]
- apiVersion: v1
  kind: Pod
  metadata: {namespace: a, labels: {app: q}}
  spec: {containers: [{name: c, image: i}]}
`

// keysAfterItems is exportList with its metadata after its items.
var keysAfterItems = strings.Replace(exportList, "metadata: {resourceVersion: \"\"}\n", "", 1) + "metadata:\n  resourceVersion: \"\"\n"

// jsonList is a YAML List written as kubectl get -o json writes it.
func jsonList(t *testing.T, list string) string {
	var v any
	require.NoError(t, yaml.Unmarshal([]byte(list), &v))
	out, err := json.MarshalIndent(v, "", "    ")
	require.NoError(t, err)
	return string(out) + "\n"
}

// indentItems indents the lines after a List's items key by two spaces.
func indentItems(list string) string {
	head, items, _ := strings.Cut(list, "\n- ")
	return head + "\n  - " + strings.ReplaceAll(items, "\n", "\n  ")
}

// Reading a file ahead in parallel gives what reading it document by document gives: the same problems at the
// same lines, the same objects, in the same order.
func TestReadingAheadIsReadingTheStream(t *testing.T) {
	jsonExport := jsonList(t, exportList)
	tests := []struct{ name, data string }{
		{"a JSON List as kubectl writes it", jsonExport},
		{"a JSON List with CRLF line ends", strings.ReplaceAll(jsonExport, "\n", "\r\n")},
		{"a JSON List with a malformed item", strings.Replace(jsonExport, `"app": "z"`, `"app": "z",,`, 1)},
		{"a JSON List with an invalid object", strings.Replace(jsonExport, `"name": "a"`, `"name": "A_bad"`, 1)},
		{"a JSON List after other documents", aheadDocs + "---\n" + jsonExport},
		{"documents, lists, generated names, duplicates", aheadDocs},
		{"CRLF line ends", strings.ReplaceAll(aheadDocs, "\n", "\r\n")},
		{"malformed YAML in a later document", aheadDocs + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: [\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: after}\n"},
		{"a quoted scalar across a marker", aheadDocs + "---\na: \"open\n---\nclosed\"\n"},
		{"an error found reading on past a document's end", "a\n---\napiVersion:rs1\nkind: PodList\n"},
		{"an anchor of another document", "a: &x 1\n---\nb: *x\n"},
		{"directives", "%YAML 1.1\n" + strings.TrimPrefix(aheadDocs, "# a comment before the first document\n")},
		{"document end markers", strings.Replace(aheadDocs, "---   # an empty document", "...\n---", 1)},
		{"a List as kubectl writes it", exportList},
		{"a List with indented items", indentItems(exportList)},
		{"a List with CRLF line ends", strings.ReplaceAll(exportList, "\n", "\r\n")},
		{"a List with keys after its items", keysAfterItems},
		{"an anchor of an earlier item", strings.Replace(strings.Replace(exportList, "labels: {app: x}", "labels: &l {app: x}", 1), "labels: {app: z}", "labels: *l", 1)},
		{"malformed YAML in a later item", strings.Replace(exportList, "labels: {app: z}", "labels: {app: [z}", 1)},
		{"an item badly indented", strings.Replace(exportList, "  spec: {containers: [{name: c, image: i}]}\n- apiVersion: networking", "   spec: {containers: [{name: c, image: i}]}\n- apiVersion: networking", 1)},
		{"a tab in an item", strings.Replace(exportList, "  kind: NetworkPolicy", "\tkind: NetworkPolicy", 1)},
		{"a List without apiVersion", strings.Replace(exportList, "apiVersion: v1\nkind: List", "kind: List", 1)},
		{"items that are not a sequence", "apiVersion: v1\nkind: List\nitems:\n  a: 1\n  b: 2\n"},
		{"a List after other documents", aheadDocs + "---\n" + exportList},
		{"two items keys", exportList + "items:\n- kind: Namespace\n  apiVersion: v1\n  metadata: {name: twice}\n"},
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
	f.Add([]byte(`{
  "apiVersion": "v1",
  "items": [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}},
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b", "labels": {"x": "[{,]}\\""}}}
  ],
  "kind": "List"
}
`))
	f.Add([]byte("a: &x 1\n---\nb: *x\n"))
	f.Add([]byte(exportList))
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

// A List read in parts is cut where its items begin, and put together again it is the node tree the
// parser gives for the whole document: the same nodes, at the same lines and columns.
func TestSplitListIsTheWholeDocument(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		parts int // head and runs; 0: read whole
	}{
		{"kubectl's layout", exportList, 6},
		{"indented items", indentItems(exportList), 6},
		{"CRLF line ends", strings.ReplaceAll(exportList, "\n", "\r\n"), 6},
		{"keys after the items", keysAfterItems, 6},
		{"after another document", "a: 1\n---\n" + exportList, 6},
		{"no apiVersion", strings.Replace(exportList, "apiVersion: v1\nkind: List", "kind: List", 1), 0},
		{"not a List", strings.Replace(exportList, "kind: List", "kind: Thing", 1), 0},
		{"a tab", strings.Replace(exportList, "  kind: NetworkPolicy", "\tkind: NetworkPolicy", 1), 0},
		{"items not a sequence", "apiVersion: v1\nkind: List\nitems:\n  a: 1\n  b: 2\n", 0},
		{"one item", "apiVersion: v1\nkind: List\nitems:\n- a: 1\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.data)
			var chunks []chunk
			for _, c := range splitAhead(data, 1) {
				if c.list != nil {
					chunks = append(chunks, c)
				}
			}
			require.Len(t, chunks, tt.parts)
			if tt.parts == 0 {
				return
			}
			var d listDoc
			var got *yaml.Node
			for i, c := range chunks {
				r := parseChunk("in.yaml", i, c)
				require.NoError(t, r.err)
				got = d.add(c.list, r)
			}
			require.NotNil(t, got)
			whole := documents(data)
			last := whole[len(whole)-1]
			var want yaml.Node
			require.NoError(t, yaml.Unmarshal(last.data, &want))
			require.NoError(t, finishDocument(&want, last.line))
			assert.Equal(t, treeText(&want), treeText(got))
		})
	}
}

// A List whose runs of items the fast parser reads is added run by run; one with a run it leaves to the
// YAML parser is put together whole first.
func TestCheckLists(t *testing.T) {
	tests := []struct {
		name        string
		data        string
		incremental bool
	}{
		{"kubectl's layout", exportList, true},
		{"indented items", indentItems(exportList), true},
		{"an anchor", strings.Replace(exportList, "labels: {app: x}", "labels: &l {app: x}", 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks := splitAhead([]byte(tt.data), 1)
			checkLists(chunks)
			require.NotEmpty(t, chunks)
			for _, c := range chunks {
				require.NotNil(t, c.list)
				assert.Equal(t, tt.incremental, c.list.incremental)
			}
		})
	}
}

// treeText renders a node tree: each node's kind, tag, style, value, line and column.
func treeText(n *yaml.Node) string {
	var b strings.Builder
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		fmt.Fprintf(&b, "%s%d %s %d %q %d:%d\n", strings.Repeat(" ", depth), n.Kind, n.Tag, n.Style, n.Value, n.Line, n.Column)
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}
