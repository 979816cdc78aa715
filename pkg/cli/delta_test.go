package cli_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With a scenario on both sides, diff reports the contract's delta; --fail-on decides the exit code, and
// -o md stays within --max-bytes.
func TestDiffContractDelta(t *testing.T) {
	const base, broken = "../../scenarios/outbound-only/scenario.yaml", "../../scenarios/outbound-only/testdata/broken/scenario.yaml"
	code, out, stderr := run("diff", "--base", base, "-f", broken)
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, out, "contract of outbound-only-broken (OB-1 OB-2 OB-3 OB-5 OB-6 ZN-1 ZN-3 ZN-4 ZN-5 ZN-6 ZN-9 ZN-10): 15 new finding(s), 0 resolved, 0 unchanged\n")
	assert.Contains(t, out, "NEW      ERROR OB-1: billing-sync can open connections into outbound-only namespace crm-sync on all (1 of 1 pairs)\n"+
		"  reproduce: zonesim query -f "+broken+" from billing-sync to crm-sync\n")

	// The other way round, the same findings are resolved.
	code, out, _ = run("diff", "--base", broken, "-f", base, "-o", "json", "--fail-on", "new-findings")
	assert.Equal(t, 0, code, "resolving findings is no failure with --fail-on new-findings, though cells changed")
	var d struct {
		Changes  []any `json:"changes"`
		Contract struct {
			New      []any `json:"new"`
			Resolved []struct {
				Rule string `json:"rule"`
			} `json:"resolved"`
		} `json:"contract"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &d))
	assert.Len(t, d.Changes, 2)
	assert.Empty(t, d.Contract.New)
	assert.Len(t, d.Contract.Resolved, 15)
	assert.Equal(t, "OB-1", d.Contract.Resolved[0].Rule)

	code, _, _ = run("diff", "--base", base, "-f", broken, "--fail-on", "none")
	assert.Equal(t, 0, code)
	code, _, _ = run("diff", "--base", base, "-f", broken, "--fail-on", "new-findings")
	assert.Equal(t, 1, code)
	code, _, stderr = run("diff", "--base", base, "-f", broken, "--fail-on", "sometimes")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--fail-on "sometimes": use changes, new-findings or none`)

	for _, limit := range []int{2500, 4000} {
		code, out, _ = run("diff", "--base", base, "-f", broken, "-o", "md", "--max-bytes", strconv.Itoa(limit))
		assert.Equal(t, 1, code)
		assert.LessOrEqual(t, len(out), limit)
		assert.True(t, strings.HasPrefix(out, "**zonesim diff** · namespace matrix: 2 cell(s) opened, 0 closed, 0 changed of 20; 1 node(s) added, 0 removed · contract: 15 new finding(s), 0 resolved\n"), out)
		assert.Contains(t, out, "| opened | billing-sync | crm-sync | - | all |\n")
		assert.Contains(t, out, "more")
	}
	code, out, _ = run("diff", "--base", base, "-f", broken, "-o", "md", "--max-bytes", "0")
	assert.Equal(t, 1, code)
	assert.NotContains(t, out, "more", "no bound: everything")
	assert.Contains(t, out, "<details><summary>")
}
