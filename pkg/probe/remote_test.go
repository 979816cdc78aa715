package probe_test

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zonesim/zonesim/pkg/probe"
)

// Remote hands the far side the job it reads back exactly, and reads its results; a far side that fails
// is an error.
func TestRemote(t *testing.T) {
	job := probe.Job{Targets: []probe.Target{{Endpoint: "crm-api", Namespace: "crm-sync", From: "crm-sync/poller-0", DNSNames: []string{"api.crm.example.com"},
		Addresses: []netip.Prefix{netip.MustParsePrefix("198.51.100.20/32")}, Ports: []int32{443}, Expect: "allowed", Why: "zonesim query ..."}}}
	var got probe.Job
	rs, err := probe.Remote(context.Background(), job, func(_ context.Context, stdin io.Reader, stdout io.Writer) error {
		var err error
		got, err = probe.ReadJob(stdin)
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, `{"endpoint":"crm-api","from":"crm-sync/poller-0","check":"tcp","outcome":"connected","status":"ok","seconds":0.01,"success":true}`+"\n")
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, job, got)
	assert.Equal(t, []probe.Result{{Endpoint: "crm-api", From: "crm-sync/poller-0", Check: "tcp", Outcome: "connected", Status: "ok", Seconds: 0.01, Success: true}}, rs)

	_, err = probe.Remote(context.Background(), job, func(context.Context, io.Reader, io.Writer) error { return errors.New("exec: no such pod") })
	assert.EqualError(t, err, "exec: no such pod")
	_, err = probe.Remote(context.Background(), job, func(_ context.Context, _ io.Reader, stdout io.Writer) error {
		_, err := io.WriteString(stdout, "sh: zonesim: not found\n")
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the probe's results")
}

// ReadJob parses what a far side is given (stdin of zonesim probe --targets -): it never panics, and what
// it accepts has what a probe needs.
func FuzzReadJob(f *testing.F) {
	f.Add(`{"targets": [{"endpoint": "a", "addresses": ["10.0.0.1/32"], "ports": [443], "expect": "allowed"}]}`)
	f.Add(`{"targets": [{"endpoint": "a", "addresses": ["10.0.0.0/8"], "ports": [0]}], "rootsPEM": "x"}`)
	f.Add(`{"targets": null}`)
	f.Add(`[]`)
	f.Add(`{"targets": [{"endpoint": "a", "addresses": [""], "ports": [1]}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		job, err := probe.ReadJob(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, tg := range job.Targets {
			if tg.Endpoint == "" || len(tg.Addresses) == 0 || len(tg.Ports) == 0 {
				t.Fatalf("accepted a target without endpoint, address or port: %+v", tg)
			}
			for _, a := range tg.Addresses {
				if !a.IsValid() {
					t.Fatalf("accepted an invalid address: %+v", tg)
				}
			}
			for _, p := range tg.Ports {
				if p < 1 || p > 65535 {
					t.Fatalf("accepted port %d", p)
				}
			}
		}
	})
}
