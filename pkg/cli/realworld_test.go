package cli_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/internal/corpus"
)

// The real-world corpus (testdata/realworld): shapes users bring — exports, typed lists, a CNI's own kinds,
// Pods without their owners — each read as a directory, with its expected workload matrix.
func TestRealWorldCorpus(t *testing.T) {
	const root = "../../testdata/realworld"
	for _, tt := range corpus.RealWorld(root) {
		expected := filepath.Join(root, tt.Name+".expected")
		t.Run(tt.Name, func(t *testing.T) {
			code, out, stderr := run(append([]string{"matrix", "--level", "workload"}, tt.Args()...)...)
			require.Equal(t, 0, code, stderr)
			assert.NotContains(t, stderr, "embedded scenario")
			if *update {
				require.NoError(t, os.WriteFile(expected, []byte(out), 0o644))
			}
			want, err := os.ReadFile(expected)
			require.NoError(t, err)
			assert.Equal(t, string(want), out)
		})
	}
}

// Problems in a kustomization or a chart name the file they come from.
func TestSourcesNameTheirFiles(t *testing.T) {
	const root = "../../testdata/realworld"
	code, out, stderr := run("query", "--chart", root+"/chart/shop", "--values", root+"/chart/values-prod.yaml", "-n", "shop", "from", "internet", "to", "shop/deployment/release-name-shop")
	assert.NotEqual(t, 2, code, stderr)
	assert.Contains(t, out, root+"/chart/shop/templates/networkpolicy.yaml", "the explanation points at the chart's template")

	code, _, stderr = run("matrix", "-k", root+"/chart")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, root+"/chart: no kustomization.yaml, kustomization.yml or Kustomization in this directory")

	code, _, stderr = run("matrix", "--chart", root+"/chart/shop", "--set", "a[x]=1")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--set "a[x]=1"`)

	code, _, stderr = run("check", "-n", "shop")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "here it names the release namespace of --chart, and no --chart was given")
}

// A verdict an unmodelled object may change says so next to it, in text and JSON; --strict makes it exit 2.
func TestCaveats(t *testing.T) {
	const dir = "../../testdata/realworld/cni-specific"
	code, out, stderr := run("query", "-f", dir, "from", "web/frontend", "to", "billing/invoices", "--port", "8443")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, out, "DENIED: web/frontend -> billing/invoices on TCP/8443\ncaveat: CiliumNetworkPolicy billing/l7-invoices ("+dir+"/policies.yaml:28) is not modelled: ")
	assert.Contains(t, stderr, "1 object(s) change reachability but are not modelled")

	code, out, _ = run("query", "-f", dir, "from", "web/frontend", "to", "billing/invoices", "-o", "json")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, `"caveats": [`)
	assert.Contains(t, out, `"kind": "CiliumNetworkPolicy"`)

	code, out, _ = run("query", "-f", dir, "from", "billing/invoices", "to", "web/frontend")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "caveat:", "the source's namespace holds it: its egress may be affected")

	code, _, stderr = run("query", "-f", dir, "from", "web/frontend", "to", "billing/invoices", "--strict")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--strict: 1 caveat(s)")

	code, out, _ = run("matrix", "-f", dir, "-o", "json")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, `"caveats":[{"kind":"CiliumNetworkPolicy","object":"billing/l7-invoices"`)

	code, out, _ = run("check", "-f", dir)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "UNMODELLED")

	// Nothing unmodelled, no caveat.
	_, out, _ = run("query", "from", "internet", "to", "ledger")
	assert.NotContains(t, out, "caveat:")
}

// Policy-only input: namespaces chosen by label are a representative namespace each, which queries name
// as they are shown (a label key may hold a "/").
func TestRepresentativeNamespaces(t *testing.T) {
	const dir = "../../testdata/realworld/policy-only"
	code, out, stderr := run("query", "-f", dir, "from", "[network-zone=internal]", "to", "payments/[app=api]", "--port", "8443")
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "ALLOWED: [network-zone=internal] -> payments/[app=api] on TCP/8443\n")
	code, out, _ = run("query", "-f", dir, "from", "[other namespaces]", "to", "payments/[app=api]", "--port", "8443")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "DENIED: [other namespaces] -> payments/[app=api] on TCP/8443\n")
	assert.Contains(t, stderr, "namespaces selected by label are 1 representative namespace(s), named by their selector in brackets, and [other namespaces]")
}
