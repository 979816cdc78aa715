// Package probe is zonesim probe: DNS, TCP and TLS probes to the scenario's external endpoints, held
// against the model, once or continuously.
package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	zprobe "github.com/zonesim/zonesim/pkg/probe"
	"github.com/zonesim/zonesim/pkg/report"
)

type flags struct {
	input       cmdutil.InputFlags
	output      string
	ns          cmdutil.NamespaceFlags
	fromHere    bool
	endpoints   []string
	every       time.Duration
	timeout     time.Duration
	warnExpiry  time.Duration
	caFile      string
	dnsServer   string
	tlsPorts    []int32
	metricsAddr string
}

// NewCommand returns zonesim probe.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "probe --from-here",
		Short: "Probe the scenario's external endpoints for real (DNS, TCP, TLS) and hold the results against the model (OB-5)",
		Long: `For each external endpoint of the scenario: resolves its DNS names and compares the answers with its
declared addresses, opens a TCP connection to each address and port, and on TLS ports (--tls-port) completes
a handshake with the endpoint's first DNS name as SNI, verifying the chain against the system roots or
--ca-file and the certificate's expiry (--warn-expiry). With -n NAMESPACE each connection is compared with
what the model says of that namespace's flow to the endpoint: reached where it is allowed and blocked where
it is denied is ok, anything else a finding with the query that explains the model's verdict.

--from-here probes from this machine: run it where the namespace's traffic leaves (a host in the zone, with
its egress identity). Probing from inside a namespace through a probe pod, or from the lab's pod network
namespaces, is not supported yet.

--every 5m probes again and again until interrupted, writing each round; --metrics-addr serves the last
round on /metrics for Prometheus (success, as expected, duration, days to certificate expiry, last run).
-o table|jsonl|junit. Exit code (one round): 0 as expected, 1 a finding, 2 bad input.`,
		Example: `  zonesim probe --from-here -f scenarios/outbound-only/scenario.yaml -n crm-sync
  zonesim probe --from-here -f scenario.yaml --every 5m -o jsonl --metrics-addr :9464
  zonesim probe --from-here -f scenario.yaml --endpoint crm-api --ca-file corp-ca.pem -o junit > probes.xml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), s, f) },
	}
	fs := cmd.Flags()
	cmdutil.AddNamespaceFlags(fs, &f.ns, "the namespace whose flows the probes stand for: each result is compared with the model's verdict for it (and with --chart, the release namespace)", false)
	cmdutil.AddInputFlags(cmd, &f.input, cmdutil.Evaluates)
	cmdutil.AddOutputFlag(cmd, &f.output, report.ProbeFormats)
	fs.BoolVar(&f.fromHere, "from-here", false, "probe from this machine (required: the only place probes run from yet)")
	fs.StringArrayVar(&f.endpoints, "endpoint", nil, "probe only this external endpoint (ext: optional); repeatable")
	fs.DurationVar(&f.every, "every", 0, "probe again after this long, until interrupted (0: once)")
	fs.DurationVar(&f.timeout, "timeout", 3*time.Second, "how long one DNS lookup, connection or handshake may take")
	fs.DurationVar(&f.warnExpiry, "warn-expiry", 30*24*time.Hour, "warn of certificates that expire within this long")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM file of the roots that verify the endpoints' certificates (default: the system's)")
	fs.StringVar(&f.dnsServer, "dns-server", "", "resolve with this DNS server (host:port) instead of the system's")
	fs.Int32SliceVar(&f.tlsPorts, "tls-port", []int32{443, 8443}, "ports a TLS handshake is tried on")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve the last round on http://ADDR/metrics (Prometheus text format)")
	return cmd
}

func run(ctx context.Context, s cmdutil.Streams, f *flags) error {
	format, err := cmdutil.ParseOutput(f.output, report.ProbeFormats)
	if err != nil {
		return err
	}
	if !f.fromHere {
		return cmdutil.InputError(errors.New("not supported yet: probing from inside a namespace (a probe pod) or from the lab's pod network namespaces; give --from-here to probe from this machine"))
	}
	if f.every < 0 || f.timeout <= 0 {
		return cmdutil.InputError(errors.New("--every must not be negative and --timeout must be positive"))
	}
	if f.every > 0 && format == "junit" {
		return cmdutil.InputError(errors.New("-o junit is one report of one round: use -o jsonl or table with --every"))
	}
	if f.metricsAddr != "" && f.every == 0 {
		return cmdutil.InputError(errors.New("--metrics-addr serves the rounds of --every: give --every too"))
	}
	opts := zprobe.Options{Timeout: f.timeout, TLSPorts: f.tlsPorts, WarnExpiry: f.warnExpiry}
	if f.caFile != "" {
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return cmdutil.InputError(err)
		}
		opts.Roots = x509.NewCertPool()
		if !opts.Roots.AppendCertsFromPEM(pem) {
			return cmdutil.InputError(fmt.Errorf("%s: no PEM certificate in it", f.caFile))
		}
	}
	if f.dnsServer != "" {
		if _, _, err := net.SplitHostPort(f.dnsServer); err != nil {
			return cmdutil.InputError(fmt.Errorf("--dns-server %q: %w (host:port)", f.dnsServer, err))
		}
		opts.Resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, f.dnsServer)
		}}
	}
	e, err := f.input.Engine(ctx, s)
	if err != nil {
		return err
	}
	if err := f.ns.Check(e); err != nil {
		return err
	}
	targets, err := zprobe.Targets(e, f.ns.Namespace, f.input.Files, f.input.CNI)
	if err != nil {
		return cmdutil.InputError(err)
	}
	if targets, err = only(targets, f.endpoints); err != nil {
		return cmdutil.InputError(err)
	}
	if len(targets) == 0 {
		return cmdutil.InputError(errors.New("no external endpoint with an address and a TCP port to probe (spec.externals)"))
	}
	var (
		mu   sync.Mutex
		last []zprobe.Result
		when time.Time
	)
	if f.metricsAddr != "" {
		ln, err := net.Listen("tcp", f.metricsAddr)
		if err != nil {
			return cmdutil.InputError(fmt.Errorf("--metrics-addr: %w", err))
		}
		fmt.Fprintf(s.ErrOut, "serving metrics on http://%s/metrics\n", ln.Addr())
		mux := http.NewServeMux()
		mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			_ = report.WriteProbeMetrics(w, last, when)
		})
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
	}
	for {
		start := time.Now()
		rs := zprobe.Run(ctx, targets, opts)
		mu.Lock()
		last, when = rs, start
		mu.Unlock()
		if f.every > 0 && format == report.Table {
			fmt.Fprintf(s.Out, "probes at %s:\n", start.UTC().Format(time.RFC3339))
		}
		if err := report.WriteProbes(s.Out, rs, format); err != nil {
			return err
		}
		if f.every == 0 {
			if n := zprobe.Findings(rs); n > 0 {
				return cmdutil.Denied(fmt.Errorf("%d probe finding(s)", n), format == report.Table)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Until(start.Add(f.every))):
		}
	}
}

// only keeps the targets of the endpoints named (all when none is).
func only(targets []zprobe.Target, endpoints []string) ([]zprobe.Target, error) {
	if len(endpoints) == 0 {
		return targets, nil
	}
	names := map[string]bool{}
	for _, name := range endpoints {
		name = strings.TrimPrefix(name, "ext:")
		if !slices.ContainsFunc(targets, func(t zprobe.Target) bool { return t.Endpoint == name }) {
			return nil, fmt.Errorf("no external endpoint %s with an address and a TCP port to probe", name)
		}
		names[name] = true
	}
	var out []zprobe.Target
	for _, t := range targets {
		if names[t.Endpoint] { // every probe of it: the scenario may probe one endpoint for several namespaces
			out = append(out, t)
		}
	}
	return out, nil
}
