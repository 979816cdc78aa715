package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/cli"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func run(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = cli.Run(context.Background(), cli.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, args)
	return code, out.String(), errOut.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./pkg/cli -update to create it")
	assert.Equal(t, string(want), got)
}

// Every output format of every command, on the embedded scenario, against golden files.
func TestGoldenOutputs(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"matrix-zone.txt", []string{"matrix", "--level", "zone"}, 0},
		{"matrix-namespace.txt", []string{"matrix", "--level", "namespace"}, 0},
		{"matrix-workload.json", []string{"matrix", "--level", "workload", "-o", "json"}, 0},
		{"matrix-pod.csv", []string{"matrix", "--level", "pod", "-o", "csv"}, 0},
		{"matrix-namespace.md", []string{"matrix", "--level", "namespace", "-o", "md"}, 0},
		{"matrix-zone.dot", []string{"matrix", "--level", "zone", "-o", "dot"}, 0},
		{"query-allowed.txt", []string{"query", "from", "shop-web/deployment/frontend", "to", "svc:payments/payments", "--port", "443"}, 0},
		{"query-denied.txt", []string{"query", "from", "payments/deployment/payments", "to", "shop-web/deployment/frontend", "--port", "8080"}, 1},
		{"query-zone.json", []string{"query", "from", "zone:B", "to", "zone:A", "-o", "json"}, 1},
		{"query-internet.txt", []string{"query", "from", "internet", "to", "ledger"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := run(tt.args...)
			assert.Equal(t, tt.wantCode, code, stderr)
			assert.Contains(t, stderr, `using the embedded scenario "two-zone"`)
			golden(t, tt.name, out)
		})
	}
}

func TestExitCodesAndErrors(t *testing.T) {
	prod := filepath.Join(t.TempDir(), "prod.kubeconfig")
	require.NoError(t, os.WriteFile(prod, []byte("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"+
		"users: [{name: u, user: {token: t}}]\ncontexts: [{name: prod, context: {cluster: c, user: u}}]\ncurrent-context: prod\n"), 0o600))
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {x: no}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"), 0o644))
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"unknown endpoint", []string{"query", "from", "shop-web/deploymnt/frontend", "to", "ledger"}, 2, "did you mean: shop-web/deployment/frontend"},
		{"bad input collected", []string{"matrix", "-f", bad}, 2, bad + `:5: metadata.labels.x: unquoted "no" is a boolean in YAML 1.1`},
		{"ignored kinds listed", []string{"matrix", "-f", bad}, 2, "ignored 1 object(s) of kinds zonesim does not model: 1 ConfigMap"},
		{"missing file", []string{"matrix", "-f", "does-not-exist.yaml"}, 2, "does-not-exist.yaml: cannot read: no such file or directory"},
		{"bad level", []string{"matrix", "--level", "cluster"}, 2, `unknown --level "cluster"`},
		{"bad format", []string{"matrix", "-o", "xml"}, 2, `unknown output format "xml"`},
		{"bad cni", []string{"matrix", "--cni", "calico"}, 2, `unknown --cni "calico"`},
		{"bad query form", []string{"query", "a", "b"}, 2, "usage: zonesim query from SOURCE to DESTINATION"},
		{"bad port", []string{"query", "from", "ledger", "to", "payments", "--port", "icmp/1"}, 2, "protocol must be tcp, udp or sctp"},
		{"unsafe context", []string{"e2e", "--backend", "existing", "--kubeconfig", prod}, 2, "pass --allow-context prod"},
		{"unsafe context for apply", []string{"apply", "--backend", "existing", "--kubeconfig", prod, "--delete", "abc"}, 2, `context "prod" is not a kind`},
		{"unknown backend", []string{"e2e", "--backend", "minikube"}, 2, `unknown --backend "minikube": use lab, existing or kind`},
		{"bad skipped protocol", []string{"e2e", "--backend", "existing", "--skip-protocol", "icmp"}, 2, `--skip-protocol "ICMP": want TCP, UDP or SCTP`},
		{"no lab", []string{"apply", "--lab-name", "nonesuch"}, 2, `no lab "nonesuch" is up`},
		{"audit: not a capture", []string{"audit", bad}, 2, bad + ": not a pcap or pcapng capture"},
		{"audit: no capture", []string{"audit"}, 2, "requires at least 1 arg(s)"},
		{"live: no such kubeconfig", []string{"matrix", "--kubeconfig", "does-not-exist.kubeconfig"}, 2, "kubeconfig: stat does-not-exist.kubeconfig"},
		{"live: no such context", []string{"matrix", "--kubeconfig", prod, "--context", "staging"}, 2, `context "staging" does not exist`},
		{"live: unreachable cluster", []string{"matrix", "--kubeconfig", prod}, 2, "cannot reach the API server of cluster:prod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(tt.args...)
			assert.Equal(t, tt.wantCode, code)
			assert.Contains(t, stderr, tt.wantStderr)
		})
	}
}

func TestGenIsDeterministicAndLoads(t *testing.T) {
	code, a, _ := run("gen", "--size", "S")
	require.Equal(t, 0, code)
	_, b, _ := run("gen", "--size", "S")
	assert.Equal(t, a, b)
	file := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, os.WriteFile(file, []byte(a), 0o644))
	code, out, stderr := run("matrix", "-f", file, "--level", "zone")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "zone-0")
}

func TestVersion(t *testing.T) {
	code, out, _ := run("version")
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "zonesim "))
}

func TestInputSources(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ns.yaml"), []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sub", "pod.json"),
		[]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"a"},"spec":{"containers":[{"name":"c","image":"i"}]}}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a manifest"), 0o644))

	code, out, stderr := run("matrix", "-f", dir, "--level", "pod")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "a/p")

	wd, err := os.Getwd()
	require.NoError(t, err)
	rel, err := filepath.Rel(wd, dir)
	require.NoError(t, err)
	code, _, stderr = run("matrix", "-f", rel)
	assert.Equal(t, 0, code, stderr)

	var o, e bytes.Buffer
	stdin := strings.NewReader("apiVersion: v1\nkind: Pod\nmetadata: {name: q, namespace: b}\nspec: {containers: [{name: c, image: i}]}\n")
	code = cli.Run(context.Background(), cli.Streams{In: stdin, Out: &o, ErrOut: &e}, []string{"matrix", "-f", "-", "--level", "pod"})
	require.Equal(t, 0, code, e.String())
	assert.Contains(t, o.String(), "b/q")
	assert.Contains(t, e.String(), "1 namespace(s) referenced but not declared")
}

// Every finding's query command reproduces the offending flow: an allowed flow the contract forbids
// (exit 0) or a contracted flow that is denied (exit 1).
func TestCheckFindingsReproduce(t *testing.T) {
	for _, s := range []string{"three-tier", "outbound-only"} {
		path := "../../scenarios/" + s + "/testdata/broken/scenario.yaml"
		code, out, stderr := run("check", "-f", path, "-o", "json")
		require.Equal(t, 1, code, stderr)
		var r struct {
			Findings []struct {
				Rule, Message, Query string
			}
		}
		require.NoError(t, json.Unmarshal([]byte(out), &r))
		reproduced := 0
		for _, f := range r.Findings {
			if f.Query == "" {
				continue
			}
			args := strings.Fields(strings.TrimPrefix(f.Query, "zonesim "))
			code, _, stderr := run(args...)
			switch {
			case f.Rule == "ZN-3" || f.Rule == "ZN-4" || f.Rule == "OB-1":
				assert.Equal(t, 0, code, "%s: the forbidden flow must be allowed: %s\n%s", f.Rule, f.Query, stderr)
				reproduced++
			case strings.Contains(f.Message, "but the flow is"):
				assert.Equal(t, 1, code, "%s: the contracted flow must be denied: %s\n%s", f.Rule, f.Query, stderr)
				reproduced++
			default:
				assert.NotEqual(t, 2, code, "%s: %s\n%s", f.Rule, f.Query, stderr)
			}
		}
		assert.GreaterOrEqual(t, reproduced, 1, s)
	}
}

// zonesim allowlist: every format against golden files; exit 1 when an entry is missing.
func TestAllowlistFormats(t *testing.T) {
	broken := "../../scenarios/three-tier/testdata/broken/scenario.yaml"
	for _, f := range []string{"table", "json", "csv"} {
		t.Run(f, func(t *testing.T) {
			code, out, stderr := run("allowlist", "-f", broken, "-o", f)
			assert.Equal(t, 1, code, stderr)
			golden(t, "allowlist-broken."+f, out)
		})
	}
	code, out, stderr := run("allowlist", "-f", "../../scenarios/outbound-only/scenario.yaml")
	assert.Equal(t, 0, code, stderr)
	golden(t, "allowlist-outbound-only.table", out)
	code, _, stderr = run("allowlist", "-f", broken, "--endpoint", "nope")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "error: no external endpoint nope in scenario three-tier-broken (it has: partner-api)")
	code, _, stderr = run("allowlist")
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "scenario two-zone declares no external endpoints (spec.externals)")
}

func TestCheckFormats(t *testing.T) {
	path := "../../scenarios/three-tier/testdata/broken/scenario.yaml"
	for _, f := range []string{"table", "json", "junit", "sarif"} {
		t.Run(f, func(t *testing.T) {
			code, out, stderr := run("check", "-f", path, "-o", f)
			assert.Equal(t, 1, code, stderr)
			golden(t, "check-broken."+f, out)
		})
	}
	code, _, _ := run("check", "-f", path, "--fail-on", "none")
	assert.Equal(t, 0, code)
	code, _, _ = run("check", "-f", "../../scenarios/three-tier/scenario.yaml", "--fail-on", "info")
	assert.Equal(t, 0, code)
}

func TestKindFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"e2e", "--kind-image", "localhost/node:v1"}, "error: --kind-image is a flag of --backend kind, and the backend is lab"},
		{[]string{"apply", "--target-context", "kind-x", "--kind-workers", "3"}, "error: --kind-workers is a flag of --backend kind, and the backend is existing"},
		{[]string{"e2e", "--backend", "kind", "--kind-provider", "lxd"}, `error: unknown kind provider "lxd": use docker or podman`},
		{[]string{"e2e", "--backend", "kind", "--kind-workers", "-1"}, "error: --kind-workers -1: want 0 or more"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, stderr := run(tt.args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, out)
			assert.Contains(t, stderr, tt.want)
		})
	}
}

func TestDiffAgainstBaseAndGolden(t *testing.T) {
	const scenario, guardrails = "../../scenarios/two-zone/scenario.yaml", "../../docs/examples/admin-policies.yaml"
	code, matrix, _ := run("matrix", "-f", scenario, "-o", "json")
	require.Equal(t, 0, code)
	goldenFile := filepath.Join(t.TempDir(), "golden.json")
	require.NoError(t, os.WriteFile(goldenFile, []byte(matrix), 0o644))

	code, out, _ := run("diff", "--golden", goldenFile, "-f", scenario)
	assert.Equal(t, 0, code)
	assert.Equal(t, "namespace matrix: no change (48 cells compared)\n", out)

	code, out, _ = run("diff", "--golden", goldenFile, "-f", scenario, "-f", guardrails)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "namespace matrix: 8 of 48 cells changed, 0 node(s) added, 0 removed")
	assert.Contains(t, out, "shop-api       ledger         all     -\n")

	code, out, _ = run("diff", "--base", scenario, "-f", scenario, "-f", guardrails)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "  pair shop-api/catalog-0 -> ledger/postgres-0\n"+
		"    + AdminNetworkPolicy/protect-ledger ingress[1] deny (../../docs/examples/admin-policies.yaml:20)\n"+
		"    - ledger/network-zone-b ingress[1] allows (../../scenarios/two-zone/manifests/policies.yaml:75)\n")

	code, out, _ = run("diff", "--base", scenario, "-f", scenario, "-f", guardrails, "-o", "json", "--level", "zone")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, `"level": "zone"`)

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"diff"}, "give exactly one of --base PATH, --golden FILE or --base-live"},
		{[]string{"diff", "--base-live"}, "--base-live reads the cluster of --kubeconfig/--context: give one"},
		{[]string{"diff", "--golden", goldenFile, "--level", "zone"}, "--level zone, but " + goldenFile + " is a namespace matrix"},
		{[]string{"diff", "--golden", goldenFile, "--cni", "cilium"}, "was computed with --cni generic"},
		{[]string{"diff", "--golden", scenario}, "not a zonesim matrix JSON"},
	} {
		code, _, stderr := run(tt.args...)
		assert.Equal(t, 2, code, tt.args)
		assert.Contains(t, stderr, tt.want, tt.args)
	}
}

// diff --base from another checkout: objects are the same by kind, namespace and name wherever they are
// written, and only rules whose content changed are causes; a rule that moved (to another line, index or
// file) is not.
func TestDiffAgainstAnotherCheckout(t *testing.T) {
	src, err := os.ReadDir("../../scenarios/two-zone/manifests")
	require.NoError(t, err)
	base, head := filepath.Join(t.TempDir(), "main"), filepath.Join(t.TempDir(), "pr")
	for _, dir := range []string{base, head} {
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	for _, e := range src {
		data, err := os.ReadFile(filepath.Join("../../scenarios/two-zone/manifests", e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(base, e.Name()), data, 0o644))
		name := e.Name()
		if name == "workloads.yaml" {
			name = "apps.yaml" // renamed in the change
		}
		if name == "policies.yaml" { // zone B no longer admits zone A; every line below moves
			at := strings.Index(string(data), "namespace: payments")
			text := string(data)[:at] + strings.Replace(string(data)[at:], "    - from:\n        - namespaceSelector:\n            matchLabels:\n              network-zone: A\n", "", 1)
			require.NotEqual(t, string(data), text)
			data = []byte("# reviewed: zone B no longer admits zone A\n# (these lines shift everything below)\n" + text)
		}
		require.NoError(t, os.WriteFile(filepath.Join(head, name), data, 0o644))
	}
	code, out, stderr := run("diff", "--base", base, "-f", head, "--level", "workload")
	assert.Equal(t, 1, code, stderr)
	assert.Equal(t, "workload matrix: 2 of 48 cells changed, 0 node(s) added, 0 removed\n\n"+
		"FROM                          TO                            BEFORE  AFTER\n"+
		"shop-api/deployment/catalog   payments/deployment/payments  all     -\n"+
		"  pair shop-api/catalog-0 -> payments/payments-0\n"+
		"    - payments/network-zone-b ingress[1] allows ("+base+"/policies.yaml:52)\n"+
		"shop-web/deployment/frontend  payments/deployment/payments  all     -\n"+
		"  pair shop-web/frontend-0 -> payments/payments-0\n"+
		"    - payments/network-zone-b ingress[1] allows ("+base+"/policies.yaml:52)\n", out)
}

// A capture the lab's partner-api endpoint took: the DMZ's attempt arrived from its egress IP and was
// dropped, the internal zone's connection was answered; both as the three-tier scenario says.
func TestAuditOfARealCapture(t *testing.T) {
	code, out, _ := run("audit", "testdata/partner-api.pcap", "-f", "../../scenarios/three-tier/scenario.yaml")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "10.10.0.201 (egress identity of web/frontend-0)       ext:partner-api (203.0.113.10)  TCP/443  attempt (1 pkts)   denied   blocked")
	assert.Contains(t, out, "10.20.0.201 (egress identity of orders/orders-api-0)  ext:partner-api (203.0.113.10)  TCP/443  answered (4 pkts)  allowed  ok")

	// The same as JSON, with the count of violations.
	code, out, _ = run("audit", "testdata/partner-api.pcap", "-f", "../../scenarios/three-tier/scenario.yaml", "-o", "json")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, `"violations": 0`)
}

// A flow log held against the three-tier scenario: what got through that the model denies, and what was
// dropped that it allows, both exit 1; unreadable files are all reported before the run stops.
func TestAuditOfFlowLogs(t *testing.T) {
	dir := t.TempDir()
	flows := filepath.Join(dir, "flows.csv")
	require.NoError(t, os.WriteFile(flows, []byte("src,dst,proto,dport,verdict\n"+
		"10.20.0.201,203.0.113.10,tcp,443,REJECT\n"+
		"10.10.0.201,203.0.113.10,tcp,443,ACCEPT\n"), 0o644))
	code, out, stderr := run("audit", flows, "-f", "../../scenarios/three-tier/scenario.yaml")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, out, "10.10.0.201 (egress identity of web/frontend-0)       ext:partner-api (203.0.113.10)  TCP/443  allowed (1 log lines)  denied   VIOLATION: ")
	assert.Contains(t, out, "10.20.0.201 (egress identity of orders/orders-api-0)  ext:partner-api (203.0.113.10)  TCP/443  dropped (1 log lines)  allowed  DROPPED: ")
	assert.Contains(t, out, "VIOLATION: zonesim query -f ../../scenarios/three-tier/scenario.yaml from web/frontend-0 to 203.0.113.10 --port tcp/443",
		"the query that explains the verdict reads the same input")
	assert.Contains(t, out, "2 flow(s), 1 violation(s), 1 drop(s) the model does not expect")

	// An address of the internal zone's egress range that no EgressIP holds: an identity the model does not know.
	// The second egress IP of the zone is as much the pods' identity as the first.
	require.NoError(t, os.WriteFile(flows, []byte("src,dst,proto,dport\n10.20.0.205,203.0.113.10,tcp,443\n10.20.0.202,203.0.113.10,tcp,443\n"), 0o644))
	code, out, stderr = run("audit", flows, "-f", "../../scenarios/three-tier/scenario.yaml")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, out, "10.20.0.205 (in zone internal's egress range, the egress identity of no pod)")
	assert.Contains(t, out, "UNEXPECTED IDENTITY: no pod leaves with 10.20.0.205 (ZN-6)")
	assert.Regexp(t, `10\.20\.0\.202 \(egress identity of orders/orders-api-0\) +ext:partner-api \(203\.0\.113\.10\) +TCP/443 +allowed \(1 log lines\) +allowed +ok`, out)
	assert.Contains(t, out, "2 flow(s), 0 violation(s), 1 unexpected source identity")

	bad1, bad2 := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.log")
	require.NoError(t, os.WriteFile(bad1, []byte("src,dst,proto,dport\nx,10.0.0.1,tcp,80\n"), 0o644))
	require.NoError(t, os.WriteFile(bad2, []byte("hello\n"), 0o644))
	code, _, stderr = run("audit", bad1, bad2, "-f", "../../scenarios/three-tier/scenario.yaml")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, bad1+`: line 2: src: ParseAddr("x"): unable to parse IP`)
	assert.Contains(t, stderr, bad2+": not a pcap or pcapng capture")
}

// zonesim probe from this machine, against a scenario whose endpoints are on loopback: one listening, one
// refusing. One JSON object per line; exit 1 for the finding; other places to probe from are refused.
func TestProbeFromHere(t *testing.T) {
	ln := acceptAndClose(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedAddr := closed.Addr().(*net.TCPAddr)
	closed.Close()
	scenario := filepath.Join(t.TempDir(), "scenario.yaml")
	require.NoError(t, os.WriteFile(scenario, []byte(fmt.Sprintf(`apiVersion: zonesim.dev/v1alpha1
kind: Scenario
metadata: {name: local}
spec:
  zones: [{name: z, nodeNetworks: [10.9.0.0/24]}]
  externals:
    - {name: up, addresses: [127.0.0.1], ports: [tcp/%d]}
    - {name: down, addresses: [127.0.0.1], ports: [tcp/%d]}
`, ln.Addr().(*net.TCPAddr).Port, closedAddr.Port)), 0o644))
	code, out, stderr := run("probe", "--from-here", "-f", scenario, "-o", "jsonl", "--timeout", "1s")
	assert.Equal(t, 1, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	var up, down map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &up))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &down))
	assert.Equal(t, []any{"up", "tcp", "connected", "ok"}, []any{up["endpoint"], up["check"], up["outcome"], up["status"]})
	assert.Equal(t, []any{"down", "tcp", "was refused", "finding"}, []any{down["endpoint"], down["check"], down["outcome"], down["status"]})

	code, _, stderr = run("probe", "-f", scenario)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "say where probes run: --from-here (this machine), --backend lab (the pods a run left in a lab) or --backend existing --image IMAGE")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--from-here", "--backend", "lab"}, "--from-here, the backend flags and --targets are exclusive"},
		{[]string{"--lab-name", "zonesim-test-no-such-lab"}, `no lab "zonesim-test-no-such-lab" is up`},
		{[]string{"--backend", "kind"}, "--backend kind: probes run on a running cluster"},
		{[]string{"--backend", "existing", "--target-context", "nope"}, `context "nope" does not exist`},
	} {
		code, _, stderr = run(append([]string{"probe", "-f", scenario}, tt.args...)...)
		assert.Equal(t, 2, code, tt.args)
		assert.Contains(t, stderr, tt.want, tt.args)
	}
	code, _, stderr = run("probe", "--from-here", "-f", scenario, "--every", "1m", "-o", "junit")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "-o junit is one report of one round")
	code, _, stderr = run("probe", "--from-here", "-f", scenario, "--endpoint", "nope")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "no external endpoint nope with an address and a TCP port to probe")
}

// probe --targets is the far side of probe --backend: it probes the targets it reads, with the model's
// expectation they carry, and writes the results.
func TestProbeTargets(t *testing.T) {
	ln := acceptAndClose(t)
	port := ln.Addr().(*net.TCPAddr).Port
	targets := fmt.Sprintf(`{"targets": [
  {"endpoint": "crm-api", "namespace": "crm-sync", "from": "crm-sync/poller-0", "addresses": ["127.0.0.1/32"], "ports": [%d],
   "expect": "denied", "why": "zonesim query from crm-sync/poller-0 to ext:crm-api --port tcp/443", "dnsNames": ["api.crm.example.com"]},
  {"endpoint": "mirror", "namespace": "crm-sync", "from": "crm-sync/poller-0", "addresses": ["127.0.0.1/32"], "ports": [%d], "expect": "allowed"}
]}`, port, port)
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), cli.Streams{In: strings.NewReader(targets), Out: &out, ErrOut: &errOut},
		[]string{"probe", "--targets", "-", "--skip-dns", "-o", "jsonl", "--timeout", "1s"})
	assert.Equal(t, 1, code, errOut.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2)
	var denied, allowed map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &denied))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &allowed))
	assert.Equal(t, []any{"crm-api", "crm-sync/poller-0", "connected", "finding"}, []any{denied["endpoint"], denied["from"], denied["outcome"], denied["status"]})
	assert.Contains(t, denied["detail"], "the model denies it (zonesim query from crm-sync/poller-0 to ext:crm-api --port tcp/443)")
	assert.Equal(t, []any{"mirror", "connected", "ok"}, []any{allowed["endpoint"], allowed["outcome"], allowed["status"]})

	for _, tt := range []struct{ job, want string }{
		{`{"targets": [{"endpoint": "x", "ports": [1], "extra": 1}]}`, `unknown field "extra"`},
		{`{"targets": [{"endpoint": "x", "ports": [0], "expect": "maybe"}]}`,
			"targets[0]: endpoint, addresses and ports are required\ntargets[0].ports: 0 is not a port\ntargets[0].expect: \"maybe\" is not allowed, denied or empty"},
		{`{"targets": [], "rootsPEM": "nothing"}`, "rootsPEM: no PEM certificate in it"},
	} {
		errOut.Reset()
		code = cli.Run(context.Background(), cli.Streams{In: strings.NewReader(tt.job), Out: &out, ErrOut: &errOut}, []string{"probe", "--targets", "-"})
		assert.Equal(t, 2, code)
		assert.Contains(t, errOut.String(), tt.want)
	}
}

// matrix --from/--to keep rows and columns before anything is computed; --compact goes with -o json.
func TestMatrixFromToCompact(t *testing.T) {
	code, out, stderr := run("matrix", "--level", "workload", "--from", "shop-web", "--to", "zone:B,internet")
	assert.Equal(t, 0, code, stderr)
	assert.Equal(t, `FROM \ TO                     ledger/statefulset/postgres  payments/deployment/payments  internet
shop-web/deployment/frontend  all                          all                           all
`, out)

	code, out, stderr = run("matrix", "--from", "shop-*", "-o", "json", "--compact")
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, out, `"rows":[`+"\n"+`{"from":"shop-api","to":[[0,6,0]]},`)

	code, _, stderr = run("matrix", "--compact")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--compact goes with -o json")
	code, _, stderr = run("matrix", "--to", "zone:Q")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--to "zone:Q" matches no node of the namespace matrix`)
}

// acceptAndClose listens on a loopback port and closes every connection it accepts, until the test ends.
func acceptAndClose(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln
}
