package cli_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docOutput is the output a document shows for a command: the lines after "$ command" in a code block, up
// to the next command or the block's end.
func docOutput(t *testing.T, doc, command string) string {
	t.Helper()
	data, err := os.ReadFile(doc)
	require.NoError(t, err)
	_, rest, found := strings.Cut(string(data), "$ "+command+"\n")
	require.True(t, found, "%s shows no %q", doc, command)
	var out strings.Builder
	for _, line := range strings.SplitAfter(rest, "\n") {
		if strings.HasPrefix(line, "$ ") || strings.HasPrefix(line, "```") {
			break
		}
		out.WriteString(line)
	}
	return out.String()
}

// The examples of the documents that show the new network APIs are what zonesim prints now.
func TestDocumentExamplesAreCurrent(t *testing.T) {
	t.Chdir("../..") // the documents' commands run from the repository's top
	tests := []struct {
		doc, command string
		wantCode     int
	}{
		{"scenarios/udn-zones/README.md", "zonesim check -f scenarios/udn-zones/design.yaml -f scenarios/udn-zones/rendered", 0},
		{"scenarios/udn-zones/README.md", "zonesim matrix -f scenarios/udn-zones/design.yaml -f scenarios/udn-zones/rendered --level zone", 0},
		{"docs/user-defined-networks.md", "zonesim matrix -f docs/examples/udn-zones.yaml --level namespace", 0},
		{"docs/user-defined-networks.md", "zonesim query -f docs/examples/udn-zones.yaml from legacy to shop", 1},
		{"docs/egress-service.md", "zonesim query -f scenarios/three-tier/scenario.yaml -f docs/examples/egress-service.yaml from orders/deployment/orders-api to ext:partner-api", 0},
		{"README.md", "zonesim query -f scenarios/two-zone/scenario.yaml -f docs/examples/cluster-network-policies.yaml from shop-api/catalog-0 to ledger/postgres-0 --port tcp/5432", 1},
		{"README.md", "zonesim query -f scenarios/three-tier/scenario.yaml -f docs/examples/ingress.yaml from internet to ingress:web/storefront", 0},
		{"README.md", "zonesim query -f scenarios/two-zone/scenario.yaml -f docs/examples/admin-policies.yaml from shop-api/catalog-0 to ledger/postgres-0 --port tcp/5432", 1},
	}
	for _, tt := range tests {
		t.Run(tt.doc+" "+tt.command, func(t *testing.T) {
			code, out, stderr := run(strings.Fields(tt.command)[1:]...)
			assert.Equal(t, tt.wantCode, code, stderr)
			assert.Equal(t, docOutput(t, tt.doc, tt.command), stderr+out) // as a terminal shows them: stderr is the loading's
		})
	}
}
