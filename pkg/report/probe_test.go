package report_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zonesim/zonesim/pkg/probe"
	"github.com/zonesim/zonesim/pkg/report"
)

var probeResults = []probe.Result{
	{Endpoint: "crm-api", Check: probe.CheckTCP, Address: "198.51.100.20:443", Expect: "allowed", Outcome: "connected", Status: probe.OK, Success: true, Seconds: 0.012},
	{Endpoint: "crm-api", Check: probe.CheckTLS, Name: "api.crm.example.com", Address: "198.51.100.20:443", Outcome: "handshake", Status: probe.Warning,
		Success: true, Seconds: 0.03, DaysLeft: 12.5, Detail: "certificate for api.crm.example.com valid until 2026-12-14 (12 days): expires within 30 days"},
	{Endpoint: "pay\"api", Namespace: "app", Check: probe.CheckTCP, Address: "198.51.100.40:443", Expect: "denied", Outcome: "connected", Status: probe.Finding, Success: true, Seconds: 0.01,
		Detail: "the model denies it but the connection was opened"},
}

func TestWriteProbeMetrics(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, report.WriteProbeMetrics(&b, probeResults, time.Unix(1764590400, 0)))
	assert.Equal(t, `# HELP zonesim_probe_success Whether the check succeeded: the name resolved, the connection opened, the handshake completed (1) or not (0).
# TYPE zonesim_probe_success gauge
zonesim_probe_success{endpoint="crm-api",namespace="",from="",check="tcp",target="198.51.100.20:443",expect="allowed"} 1
zonesim_probe_success{endpoint="crm-api",namespace="",from="",check="tls",target="api.crm.example.com @ 198.51.100.20:443",expect=""} 1
zonesim_probe_success{endpoint="pay\"api",namespace="app",from="",check="tcp",target="198.51.100.40:443",expect="denied"} 1
# HELP zonesim_probe_as_expected Whether the check came out as the model expects (1) or is a finding (0).
# TYPE zonesim_probe_as_expected gauge
zonesim_probe_as_expected{endpoint="crm-api",namespace="",from="",check="tcp",target="198.51.100.20:443",expect="allowed"} 1
zonesim_probe_as_expected{endpoint="crm-api",namespace="",from="",check="tls",target="api.crm.example.com @ 198.51.100.20:443",expect=""} 1
zonesim_probe_as_expected{endpoint="pay\"api",namespace="app",from="",check="tcp",target="198.51.100.40:443",expect="denied"} 0
# HELP zonesim_probe_duration_seconds How long the check took.
# TYPE zonesim_probe_duration_seconds gauge
zonesim_probe_duration_seconds{endpoint="crm-api",namespace="",from="",check="tcp",target="198.51.100.20:443",expect="allowed"} 0.012
zonesim_probe_duration_seconds{endpoint="crm-api",namespace="",from="",check="tls",target="api.crm.example.com @ 198.51.100.20:443",expect=""} 0.03
zonesim_probe_duration_seconds{endpoint="pay\"api",namespace="app",from="",check="tcp",target="198.51.100.40:443",expect="denied"} 0.01
# HELP zonesim_probe_tls_expiry_days Days until the server's certificate expires.
# TYPE zonesim_probe_tls_expiry_days gauge
zonesim_probe_tls_expiry_days{endpoint="crm-api",namespace="",from="",check="tls",target="api.crm.example.com @ 198.51.100.20:443",expect=""} 12.5
# HELP zonesim_probe_last_run_timestamp_seconds When the last round of probes ran.
# TYPE zonesim_probe_last_run_timestamp_seconds gauge
zonesim_probe_last_run_timestamp_seconds 1764590400
`, b.String())
}

func TestWriteProbesJUnit(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, report.WriteProbes(&b, probeResults, "junit"))
	assert.Equal(t, `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="zonesim probe" tests="3" failures="1" skipped="0">
  <testcase name="tcp 198.51.100.20:443" classname="ext:crm-api"></testcase>
  <testcase name="tls api.crm.example.com @ 198.51.100.20:443" classname="ext:crm-api">
    <system-out>warning: certificate for api.crm.example.com valid until 2026-12-14 (12 days): expires within 30 days</system-out>
  </testcase>
  <testcase name="tcp 198.51.100.40:443 from app" classname="ext:pay&#34;api">
    <failure message="the model denies it but the connection was opened" type="finding">the model denies it but the connection was opened</failure>
  </testcase>
</testsuite>
`, b.String())
}
