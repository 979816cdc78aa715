// Package probe is zonesim probe: DNS, TCP and TLS probes to the scenario's external endpoints, held
// against the model, once or continuously.
package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	zprobe "github.com/zonesim/zonesim/pkg/probe"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

type flags struct {
	input       cmdutil.InputFlags
	output      string
	ns          cmdutil.NamespaceFlags
	fromHere    bool
	target      cmdutil.TargetFlags
	run         string
	command     string
	skipDNS     bool
	targets     string
	idle        bool
	endpoints   []string
	every       time.Duration
	timeout     time.Duration
	warnExpiry  time.Duration
	caFile      string
	dnsServer   string
	tlsPorts    []int32
	metricsAddr string
	internet    []string
	cmd         *cobra.Command
}

// NewCommand returns zonesim probe.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "probe --from-here | --backend lab|existing",
		Short: "Probe the scenario's external endpoints for real (DNS, TCP, TLS) and hold the results against the model (OB-5)",
		Long: `For each external endpoint of the scenario: resolves its DNS names and compares the answers with its
declared addresses, opens a TCP connection to each address and port, and on TLS ports (--tls-port) completes
a handshake with the endpoint's first DNS name as SNI, verifying the chain against the system roots or
--ca-file and the certificate's expiry (--warn-expiry). With -n NAMESPACE each connection is compared with
what the model says of that namespace's flow to the endpoint: reached where it is allowed and blocked where
it is denied is ok, anything else a finding with the query that explains the model's verdict.

Where probes run:
  --from-here        from this machine: run it where the namespace's traffic leaves (a host in the zone,
                     with its egress identity).
  --backend lab      from inside the pods a run left in a lab (zonesim lab up, then zonesim apply -f
                     SCENARIO; --lab-name, --run): TCP and TLS checks run in the network namespace of each
                     pod of the namespaces probed, through kube-router, the egress SNAT, EgressFirewall,
                     perimeter and allowlists the lab runs, each held against the model's verdict for that
                     pod. The lab's endpoints serve TLS on the TLS ports with certificates of the lab's own
                     CA (the default --ca-file there), and its name server answers the scenario's names;
                     DNS checks ask it from the host (the lab runs no cluster DNS).
  --backend existing from a probe pod in each namespace probed, on the cluster of --target-kubeconfig/
                     --target-context (kind-* and zonesim-lab-* contexts, others with --allow-context): the
                     pod runs --image, an image with the zonesim binary (--image-command, default zonesim
                     on its PATH; see docs/probe.md to build one), carries the labels of the namespace's
                     first pod in the model so the same policies, EgressFirewalls and EgressIPs select it,
                     never becomes ready (no Service sends it traffic), and is deleted afterwards. Every
                     check runs in it, DNS through the cluster's resolver.
The namespaces probed are -n, or each spec.probes entry's; with spec.probes, each namespace is also probed
towards the other endpoints the model denies it, and --internet adds addresses on the internet.

--every 5m probes again and again until interrupted, writing each round; --metrics-addr serves the last
round on /metrics for Prometheus (success, as expected, duration, days to certificate expiry, last run).
-o table|jsonl|junit. Exit code (one round): 0 as expected, 1 a finding, 2 bad input.`,
		Example: `  zonesim probe --from-here -f scenarios/outbound-only/scenario.yaml -n crm-sync
  zonesim probe --backend lab -f scenarios/outbound-only/scenario.yaml     # after zonesim lab up; zonesim apply -f ...
  zonesim probe --target-context prod --allow-context prod --image registry.example/zonesim:v1 -f scenario.yaml
  zonesim probe --from-here -f scenario.yaml --every 5m -o jsonl --metrics-addr :9464
  zonesim probe --from-here -f scenario.yaml --endpoint crm-api --ca-file corp-ca.pem -o junit > probes.xml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), s, f) },
	}
	f.cmd = cmd
	fs := cmd.Flags()
	cmdutil.AddNamespaceFlags(fs, &f.ns, "the namespace whose flows the probes stand for: each result is compared with the model's verdict for it (and with --chart, the release namespace)", false)
	cmdutil.AddInputFlags(cmd, &f.input, cmdutil.Evaluates)
	cmdutil.AddOutputFlag(cmd, &f.output, report.ProbeFormats)
	fs.BoolVar(&f.fromHere, "from-here", false, "probe from this machine")
	cmdutil.AddTargetFlags(cmd, &f.target, &f.input)
	fs.Lookup("image").Usage = "existing backend: the probe pods' image, with the zonesim binary in it (docs/probe.md)"
	fs.Lookup("pod-timeout").Usage = "existing backend: how long a probe pod may take to run (image pulls)"
	_ = fs.MarkHidden("kind-name")
	_ = fs.MarkHidden("skip-protocol")
	fs.StringVar(&f.run, "run", "", "lab backend: the run whose pods probe (default: the run whose zones the lab runs)")
	fs.StringVar(&f.command, "image-command", "zonesim", "existing backend: the zonesim binary in --image")
	fs.BoolVar(&f.skipDNS, "skip-dns", false, "leave the DNS checks out")
	fs.StringVar(&f.targets, "targets", "", "probe the job on stdin (-) from here: the far side of --backend")
	fs.BoolVar(&f.idle, "idle", false, "wait until terminated: a probe pod's main process")
	_ = fs.MarkHidden("targets")
	_ = fs.MarkHidden("idle")
	fs.StringArrayVar(&f.endpoints, "endpoint", nil, "probe only this external endpoint (ext: optional); repeatable")
	fs.DurationVar(&f.every, "every", 0, "probe again after this long, until interrupted (0: once)")
	fs.DurationVar(&f.timeout, "timeout", 3*time.Second, "how long one DNS lookup, connection or handshake may take")
	fs.DurationVar(&f.warnExpiry, "warn-expiry", 30*24*time.Hour, "warn of certificates that expire within this long")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM file of the roots that verify the endpoints' certificates (default: the system's)")
	fs.StringVar(&f.dnsServer, "dns-server", "", "resolve with this DNS server (host:port) instead of the system's")
	fs.Int32SliceVar(&f.tlsPorts, "tls-port", zprobe.DefaultTLSPorts, "ports a TLS handshake is tried on")
	fs.StringArrayVar(&f.internet, "internet", nil, "also probe this ADDRESS:PORT on the internet from each namespace probed, held against the model's verdict for it (direct egress); repeatable")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve the last round on http://ADDR/metrics (Prometheus text format)")
	return cmd
}

func run(ctx context.Context, s cmdutil.Streams, f *flags) error {
	format, err := cmdutil.ParseOutput(f.output, report.ProbeFormats)
	if err != nil {
		return err
	}
	if f.idle {
		<-ctx.Done()
		return nil
	}
	inCluster := false
	for _, name := range []string{"backend", "lab-name", "target-kubeconfig", "target-context", "allow-context", "image", "pod-timeout", "run", "image-command"} {
		inCluster = inCluster || f.flagSet(name)
	}
	switch {
	case countTrue(f.fromHere, inCluster, f.targets != "") > 1:
		return cmdutil.InputError(errors.New("--from-here, the backend flags and --targets are exclusive: probes run in one place"))
	case !f.fromHere && !inCluster && f.targets == "":
		return cmdutil.InputError(errors.New("say where probes run: --from-here (this machine), --backend lab (the pods a run left in a lab) " +
			"or --backend existing --image IMAGE (probe pods on a cluster)"))
	case f.targets != "" && f.targets != "-":
		return cmdutil.InputError(errors.New("--targets reads the job from stdin: give --targets -"))
	}
	if f.every < 0 {
		return cmdutil.InputError(fmt.Errorf("--every %s: must not be negative", f.every))
	}
	if f.timeout <= 0 {
		return cmdutil.InputError(fmt.Errorf("--timeout %s: must be positive", f.timeout))
	}
	for _, p := range f.tlsPorts {
		if p < 1 || p > 65535 {
			return cmdutil.InputError(fmt.Errorf("--tls-port %d: not a port (1-65535)", p))
		}
	}
	if f.every > 0 && format == "junit" {
		return cmdutil.InputError(errors.New("-o junit is one report of one round: use -o jsonl or table with --every"))
	}
	if f.metricsAddr != "" && f.every == 0 {
		return cmdutil.InputError(errors.New("--metrics-addr serves the rounds of --every: give --every too"))
	}
	opts := zprobe.Options{Timeout: f.timeout, TLSPorts: f.tlsPorts, WarnExpiry: f.warnExpiry, SkipDNS: f.skipDNS}
	var rootsPEM []byte
	if f.caFile != "" {
		if rootsPEM, err = os.ReadFile(f.caFile); err != nil {
			return cmdutil.InputError(err)
		}
		if opts.Roots, err = zprobe.Roots(rootsPEM); err != nil {
			return cmdutil.InputError(fmt.Errorf("%s: %w", f.caFile, err))
		}
	}
	if f.dnsServer != "" {
		if _, _, err := net.SplitHostPort(f.dnsServer); err != nil {
			return cmdutil.InputError(fmt.Errorf("--dns-server %q: %w (host:port)", f.dnsServer, err))
		}
		opts.Resolver, opts.DNSServer = zprobe.Resolver(f.dnsServer), f.dnsServer
	}
	if f.targets != "" {
		return runJob(ctx, s, f, opts, format)
	}
	e, err := f.input.Engine(ctx, s)
	if err != nil {
		return err
	}
	if err := f.ns.Check(e); err != nil {
		return err
	}
	targets, err := zprobe.Targets(e, f.ns.Namespace, f.input.Args())
	if err != nil {
		return cmdutil.InputError(err)
	}
	if targets, err = only(targets, f.endpoints); err != nil {
		return cmdutil.InputError(err)
	}
	var internet []netip.AddrPort
	for _, a := range f.internet {
		ap, err := netip.ParseAddrPort(a)
		if err != nil || ap.Port() == 0 {
			return cmdutil.InputError(fmt.Errorf("--internet %q: want ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)", a))
		}
		internet = append(internet, ap)
	}
	more, err := zprobe.InternetTargets(e, targets, internet, f.input.Args())
	if err != nil {
		return cmdutil.InputError(err)
	}
	targets = append(targets, more...)
	if len(targets) == 0 {
		return cmdutil.InputError(errors.New("no external endpoint with an address and a TCP port to probe (spec.externals)"))
	}
	var where site = local{targets, opts}
	if inCluster {
		if where, err = f.site(ctx, s, e, targets, opts, rootsPEM); err != nil {
			return err
		}
		defer func() {
			if ctx.Err() != nil {
				fmt.Fprintln(s.ErrOut, "interrupted: removing the probe pods (interrupt again to leave them)")
			}
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if err := where.close(cctx); err != nil {
				fmt.Fprintf(s.ErrOut, "warning: %v\n", err)
			}
		}()
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
		rs, err := where.round(ctx)
		if ctx.Err() != nil {
			return nil // interrupted (Ctrl-C, SIGTERM) during a round: a stop, not a failure
		}
		if err != nil {
			return err
		}
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

// A site is where probes run.
type site interface {
	round(ctx context.Context) ([]zprobe.Result, error)
	close(ctx context.Context) error
}

// local probes from this machine.
type local struct {
	targets []zprobe.Target
	opts    zprobe.Options
}

func (l local) round(ctx context.Context) ([]zprobe.Result, error) {
	return zprobe.Run(ctx, l.targets, l.opts), nil
}

func (local) close(context.Context) error { return nil }

func (f *flags) flagSet(name string) bool { return f.cmd.Flags().Changed(name) }

// site opens the backend the target flags name.
func (f *flags) site(ctx context.Context, s cmdutil.Streams, e *simulate.Engine, targets []zprobe.Target, opts zprobe.Options, rootsPEM []byte) (site, error) {
	if f.target.Backend == "kind" {
		return nil, cmdutil.InputError(errors.New("--backend kind: probes run on a running cluster: --backend existing --target-context kind-NAME"))
	}
	b, _, err := f.target.Open(ctx, f.input.CNI, true, s.ErrOut) // lab and existing hold nothing to release
	if err != nil {
		return nil, cmdutil.InputError(err)
	}
	switch b := b.(type) {
	case *apply.LabBackend:
		ls, err := newLabSite(b, f.run, e, targets, f.input.Args(), opts, rootsPEM)
		if err != nil {
			return nil, cmdutil.InputError(err)
		}
		return ls, nil
	case *apply.ExistingBackend:
		if f.run != "" {
			return nil, cmdutil.InputError(errors.New("--run names a lab's run: it is for --backend lab"))
		}
		if f.target.Image == apply.DefaultImage {
			return nil, cmdutil.InputError(errors.New("--image: the probe pods run zonesim probe: give an image with the zonesim binary (docs/probe.md)"))
		}
		ps, err := newPodSite(ctx, b, e, targets, f.input.Args(), f.command, opts, rootsPEM, f.dnsServer, s.ErrOut)
		if err != nil {
			return nil, err
		}
		return ps, nil
	}
	return nil, cmdutil.InputError(fmt.Errorf("--backend %s: probes run in a lab or on a running cluster (--backend lab, or existing)", f.target.Backend))
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// runJob is the far side of --backend: it probes the job on stdin from here, once, and writes the
// results; the exit code says whether any is a finding.
func runJob(ctx context.Context, s cmdutil.Streams, f *flags, opts zprobe.Options, format string) error {
	if f.every > 0 || f.metricsAddr != "" {
		return cmdutil.InputError(errors.New("--targets probes once: --every and --metrics-addr are for the near side"))
	}
	job, err := zprobe.ReadJob(s.In)
	if err != nil {
		return cmdutil.InputError(fmt.Errorf("stdin: %w", err))
	}
	if job.RootsPEM != "" {
		opts.Roots, _ = zprobe.Roots([]byte(job.RootsPEM)) // ReadJob checked it
	}
	rs := zprobe.Run(ctx, job.Targets, opts)
	if err := report.WriteProbes(s.Out, rs, format); err != nil {
		return err
	}
	if n := zprobe.Findings(rs); n > 0 {
		return cmdutil.Denied(fmt.Errorf("%d probe finding(s)", n), format == report.Table)
	}
	return nil
}
