package cli_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// zonesim convert writes the ClusterNetworkPolicy equivalent of the README's admin policies (kept in
// docs/examples, where the README shows it) and proves it; the converted policies decide the README's
// query as the originals do; -o json is a List; a policy too large for a ClusterNetworkPolicy is refused
// by name while the others are written.
func TestConvert(t *testing.T) {
	t.Chdir("../..")
	input := []string{"-f", "scenarios/two-zone/scenario.yaml", "-f", "docs/examples/admin-policies.yaml"}
	code, out, stderr := run(append([]string{"convert"}, input...)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "converted 2 policy(ies) to ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2)\nproof: the pod matrices before and after are equal")
	const example = "docs/examples/cluster-network-policies.yaml"
	if *update {
		require.NoError(t, os.WriteFile(example, []byte(out), 0o644))
	}
	want, err := os.ReadFile(example)
	require.NoError(t, err)
	assert.Equal(t, string(want), out)

	query := []string{"query", "-f", "scenarios/two-zone/scenario.yaml", "from", "shop-api/catalog-0", "to", "ledger/postgres-0", "--port", "tcp/5432"}
	code, before, _ := run(append(query, "-f", "docs/examples/admin-policies.yaml")...)
	assert.Equal(t, 1, code)
	code, after, _ := run(append(query, "-f", example)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, before, "deny AdminNetworkPolicy/protect-ledger (priority 10) ingress[1] \"nobody-else\"")
	assert.Contains(t, after, "deny ClusterNetworkPolicy/protect-ledger (Admin tier, priority 10) ingress[1] \"nobody-else\"")

	code, out, stderr = run(append([]string{"convert", "-o", "json", "--level", "namespace"}, input...)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "\"kind\": \"List\"")
	assert.Contains(t, stderr, "proof: the namespace matrices before and after are equal")

	big := t.TempDir() + "/big.yaml"
	doc := "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: big}\nspec:\n  priority: 3\n  subject: {namespaces: {}}\n  egress:\n"
	for i := 0; i < 26; i++ {
		doc += "    - {action: Deny, to: [{namespaces: {}}]}\n"
	}
	require.NoError(t, os.WriteFile(big, []byte(doc), 0o644))
	code, out, stderr = run(append([]string{"convert", "-f", big}, input...)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "error: AdminNetworkPolicy/big ("+big+":1): not supported: 26 egress rules; a ClusterNetworkPolicy holds at most 25")
	assert.Contains(t, out, "name: protect-ledger")
}
