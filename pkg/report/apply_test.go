package report_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/audit"
	"github.com/zonesim/zonesim/pkg/capture"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/result"
)

var applied = &result.Applied{
	Backend: "lab (zonesim-lab-default)", RunID: "512239", Namespaces: 2, Policies: 1,
	Pods: []result.AppliedPod{
		{Original: "orders/orders-api-0", Probe: "zs-512239-orders/orders-api-0", IP: "10.244.0.13"},
		{Original: "web/frontend-0", Probe: "zs-512239-web/frontend-0", IP: "10.244.0.14"},
	},
	Ports:         []string{"TCP/80", "TCP/443"},
	Externals:     []result.External{{Name: "partner-api", IP: "203.0.113.10", Ports: []string{"TCP/443"}}},
	Skipped:       []string{"1 Route object(s): probes cover pod-to-pod NetworkPolicy only"},
	ProbeCommand:  "ip netns exec zs-1 zonesim lab connect tcp 10.244.0.14:80",
	DeleteCommand: "zonesim apply --delete 512239",
}

func TestWriteApplied(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, report.WriteApplied(&b, applied, report.Table))
	assert.Equal(t, `run 512239 applied to lab (zonesim-lab-default)

POD                  PROBE POD                      IP
orders/orders-api-0  zs-512239-orders/orders-api-0  10.244.0.13
web/frontend-0       zs-512239-web/frontend-0       10.244.0.14

2 namespace(s), 2 pod(s), 1 NetworkPolicy(ies); probe ports [TCP/80 TCP/443]
external endpoint partner-api at 203.0.113.10, ports [TCP/443], behind the scenario's egress SNAT, firewalls and perimeter
not applied: 1 Route object(s): probes cover pod-to-pod NetworkPolicy only
probe by hand:  ip netns exec zs-1 zonesim lab connect tcp 10.244.0.14:80
remove it with: zonesim apply --delete 512239
`, b.String())

	b.Reset()
	require.NoError(t, report.WriteApplied(&b, applied, "json"))
	var back result.Applied
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, *applied, back)
}

func TestWriteDeleted(t *testing.T) {
	var b bytes.Buffer
	d := &result.Deleted{Backend: "lab (zonesim-lab-default)", RunID: "512239", Namespaces: []string{"zs-512239-orders", "zs-512239-web"}}
	require.NoError(t, report.WriteDeleted(&b, d, report.Table))
	assert.Equal(t, "run 512239 deleted from lab (zonesim-lab-default): zs-512239-orders, zs-512239-web\n", b.String())
}

func TestWriteAuditCountsViolations(t *testing.T) {
	verdicts := []audit.Verdict{
		{Flow: capture.Flow{Protocol: "TCP", Port: 443, Packets: 4, Answered: true}, From: "a", To: "b", Allowed: true, Status: audit.OK},
		{Flow: capture.Flow{Protocol: "TCP", Port: 5432, Packets: 2, Answered: true}, From: "c", To: "d", Status: audit.Violation,
			Query: "zonesim query from c to d --port tcp/5432"},
		{Flow: capture.Flow{Protocol: "UDP", Port: 53, Packets: 3, Logged: capture.LogDrop, ACL: "NP:e:Egress"}, From: "e", To: "f", Allowed: true,
			Status: audit.Dropped, DecidedBy: "the egress default deny of namespace e", Query: "zonesim query from e to f --port udp/53"},
	}
	var b bytes.Buffer
	require.NoError(t, report.WriteAudit(&b, verdicts, report.Table))
	assert.Equal(t, `FROM  TO  PORT      SEEN                   MODEL    STATUS
a     b   TCP/443   answered (4 pkts)      allowed  ok
c     d   TCP/5432  answered (2 pkts)      denied   VIOLATION: zonesim query from c to d --port tcp/5432
e     f   UDP/53    dropped (3 log lines)  allowed  DROPPED by the egress default deny of namespace e: zonesim query from e to f --port udp/53

3 flow(s), 1 violation(s), 1 drop(s) the model does not expect
`, b.String())

	b.Reset()
	require.NoError(t, report.WriteAudit(&b, nil, "json"))
	assert.JSONEq(t, `{"flows": [], "violations": 0, "drops": 0, "unexpectedIdentities": 0}`, b.String())
}

func TestParseFormat(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{"table", "table", ""},
		{"text", "table", ""},
		{"json", "json", ""},
		{"yaml", "", `unknown output format "yaml": use one of table, json`},
	} {
		got, err := report.ParseFormat(tt.in, report.QueryFormats)
		if tt.err != "" {
			assert.EqualError(t, err, tt.err)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tt.want, got)
	}
}
