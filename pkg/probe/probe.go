// Package probe tests outbound paths for real (OB-5): for each external endpoint of a scenario it resolves
// the endpoint's DNS names and compares them with its declared addresses, opens a TCP connection to each
// address and port, and on TLS ports completes a handshake (SNI, chain, expiry). Each result is compared
// with what the model says of the flow, when a namespace is given to stand for: expected reachable and
// reached, or expected blocked and blocked, is ok; anything else is a finding. It probes from the machine
// it runs on; it holds no cluster client.
package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
	corev1 "k8s.io/api/core/v1"
)

// Checks a result is of.
const (
	CheckDNS = "dns"
	CheckTCP = "tcp"
	CheckTLS = "tls"
)

// DefaultTLSPorts are the ports a TLS handshake is tried on unless told otherwise; the lab's external
// endpoints serve TLS on them.
var DefaultTLSPorts = []int32{443, 8443}

// Statuses of a result.
const (
	OK      = "ok"      // as expected: reached where allowed, blocked where denied; DNS and TLS sound
	Finding = "finding" // not as expected
	Warning = "warning" // sound, but a certificate expires soon
)

// Target is one endpoint to probe, with what the model expects. It is what a probe that runs elsewhere (a
// lab pod's network namespace, a probe pod) is given, as JSON.
type Target struct {
	Endpoint string `json:"endpoint"` // the scenario's external name
	// Namespace is the one whose flow the probe stands for ("" for none).
	Namespace string `json:"namespace,omitempty"`
	// From is the pod the probe runs in, when it runs in one ("namespace/name" in the input); Expect
	// and Why are then the model's for that pod.
	From     string   `json:"from,omitempty"`
	DNSNames []string `json:"dnsNames,omitempty"`
	// Addresses are the endpoint's declared addresses or blocks; a block is connected to at its first
	// address, and DNS answers anywhere in it are the endpoint's.
	Addresses []netip.Prefix `json:"addresses"`
	Ports     []int32        `json:"ports"` // TCP ports
	// Expect is "allowed", "denied" or "" (no namespace given: nothing expected).
	Expect string `json:"expect,omitempty"`
	// Why is the model's reason for a denied flow, or the query to ask for it.
	Why string `json:"why,omitempty"`
}

// Result is one check of one target.
type Result struct {
	Time     time.Time `json:"time"`
	Endpoint string    `json:"endpoint"`
	// Namespace is the one whose flow the result is held against.
	Namespace string `json:"namespace,omitempty"`
	// From is the pod the check ran in, when it ran in one.
	From    string `json:"from,omitempty"`
	Check   string `json:"check"`             // dns, tcp, tls
	Name    string `json:"name,omitempty"`    // the DNS name resolved, or the TLS server name
	Address string `json:"address,omitempty"` // address:port for tcp and tls
	Expect  string `json:"expect,omitempty"`  // allowed, denied or empty
	// Outcome is what happened: resolved, connected, refused, timeout, unreachable, handshake,
	// or the failure.
	Outcome  string  `json:"outcome"`
	Status   string  `json:"status"` // ok, finding, warning
	Detail   string  `json:"detail,omitempty"`
	Seconds  float64 `json:"seconds"`
	Success  bool    `json:"success"`                // the check itself succeeded (resolved, connected, handshake)
	DaysLeft float64 `json:"daysToExpiry,omitempty"` // tls: days until the leaf certificate expires
}

// Options say how to probe.
type Options struct {
	Timeout time.Duration
	// Resolver resolves DNS names (nil: the system's).
	Resolver *net.Resolver
	// Dial opens TCP connections (nil: a net.Dialer with Timeout).
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// TLSPorts are the ports a TLS handshake is tried on.
	TLSPorts []int32
	// Roots verify certificate chains (nil: the system's).
	Roots *x509.CertPool
	// WarnExpiry warns of certificates that expire within it.
	WarnExpiry time.Duration
	// Now is the time certificates are checked at (zero: time.Now).
	Now func() time.Time
	// SkipDNS leaves the DNS checks out.
	SkipDNS bool
	// DNSServer names the server Resolver asks, for what a failed lookup says ("": the system's).
	DNSServer string
}

// Targets are what to probe, one target an endpoint and port: with ns, every external endpoint, each
// with what the model expects of ns's flow to it and the query that explains it (from inputs, the -f of
// the run, and cni); without, the scenario's probes, each for its own namespace, and then, for each
// probed namespace, every other endpoint the model denies it (what it must not reach); with neither,
// every endpoint with nothing expected. Endpoints without an address or TCP port are left out.
func Targets(e *simulate.Engine, ns string, input []string) ([]Target, error) {
	sc := e.Cluster.Scenario
	if sc == nil {
		return nil, errors.New("probes need a kind: Scenario: its externals (dnsNames, addresses, ports) are what is probed")
	}
	var out []Target
	// add probes an endpoint: one target a port (a range by its two ends; all ports of a protocol are no
	// port to probe), each with the model's verdict for that port.
	add := func(x *model.External, ns string) error {
		var ports []int32
		for _, p := range x.Ports {
			switch {
			case p.Protocol != corev1.ProtocolTCP || p.Lo == 1 && p.Hi == 65535:
			case p.Lo == p.Hi:
				ports = append(ports, p.Lo)
			default:
				ports = append(ports, p.Lo, p.Hi)
			}
		}
		if len(x.Addresses) == 0 || len(ports) == 0 {
			return nil
		}
		if ns != "" && e.Cluster.Namespace(ns) == nil {
			return fmt.Errorf("namespace %q is not in the input", ns)
		}
		for _, port := range ports {
			t := Target{Endpoint: x.Name, DNSNames: x.DNSNames, Addresses: x.Addresses, Ports: []int32{port}, Namespace: ns}
			if ns != "" {
				if err := t.ExpectFrom(e, ns, input); err != nil {
					return err
				}
			}
			out = append(out, t)
		}
		return nil
	}
	if len(sc.Probes) == 0 || ns != "" { // -n: every endpoint, as that namespace's
		for _, x := range sc.Externals {
			if err := add(x, ns); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	seen := map[[2]string]bool{}
	for _, p := range sc.Probes {
		as := p.Namespace
		if seen[[2]string{p.Endpoint, as}] {
			continue
		}
		seen[[2]string{p.Endpoint, as}] = true
		if err := add(sc.External(p.Endpoint), as); err != nil {
			return nil, fmt.Errorf("%s:%d: spec.probes (endpoint %s): %w", p.Source.File, p.Source.Line, p.Endpoint, err)
		}
	}
	// What each probed namespace must not reach is probed too: the other endpoints the model denies it.
	for _, ns := range namespacesOf(out) {
		for _, x := range sc.Externals {
			if seen[[2]string{x.Name, ns}] {
				continue
			}
			n := len(out)
			if err := add(x, ns); err != nil {
				return nil, err
			}
			// Allowed but not in spec.probes: OB-5 reports it, the probes leave it out.
			out = append(out[:n], slices.DeleteFunc(out[n:], func(t Target) bool { return t.Expect != "denied" })...)
		}
	}
	return out, nil
}

// ExpectFrom sets what the model expects of the flow from the endpoint from (a namespace, a pod) to the
// target's endpoint on its first port, and the query that explains it, from input (the run's input
// flags).
func (t *Target) ExpectFrom(e *simulate.Engine, from string, input []string) error {
	to := t.destination()
	r, err := e.QueryNames(context.Background(), from, to, &simulate.PortSpec{Protocol: corev1.ProtocolTCP, Lo: t.Ports[0], Hi: t.Ports[0]}, 1)
	if err != nil {
		return err
	}
	t.Expect = "denied"
	if r.Verdict != "DENIED" {
		t.Expect = "allowed"
	}
	t.Why = simulate.QueryCommand(input, from, to, fmt.Sprintf("tcp/%d", t.Ports[0]))
	return nil
}

// namespacesOf are the namespaces targets stand for, in order.
func namespacesOf(targets []Target) []string {
	var out []string
	for _, t := range targets {
		if t.Namespace != "" && !slices.Contains(out, t.Namespace) {
			out = append(out, t.Namespace)
		}
	}
	return out
}

// Internet is the endpoint name of the targets Internet adds.
const Internet = "internet"

// destination is the model's endpoint the target is: the scenario's external, or for an internet target,
// its address.
func (t *Target) destination() string {
	if t.Endpoint == Internet {
		return t.Addresses[0].Addr().String()
	}
	return "ext:" + t.Endpoint
}

// InternetTargets are, for every namespace the targets stand for, a probe of each address on the internet,
// with the model's verdict for it: the direct egress an outbound-only namespace must not have.
func InternetTargets(e *simulate.Engine, targets []Target, addrs []netip.AddrPort, input []string) ([]Target, error) {
	namespaces := namespacesOf(targets)
	var out []Target
	for _, a := range addrs {
		t := Target{Endpoint: Internet, Addresses: []netip.Prefix{netip.PrefixFrom(a.Addr(), a.Addr().BitLen())}, Ports: []int32{int32(a.Port())}}
		if len(namespaces) == 0 {
			out = append(out, t)
		}
		for _, ns := range namespaces {
			t := t
			t.Namespace = ns
			if err := t.ExpectFrom(e, ns, input); err != nil {
				return nil, err
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// Run probes every target once: Resolve, then Connect.
func Run(ctx context.Context, targets []Target, opts Options) []Result {
	return append(Resolve(ctx, targets, opts), Connect(ctx, targets, opts)...)
}

// Resolve runs the DNS checks of every target, each name once: an answer from here is the same whichever
// namespace the probe stands for (a result names the namespace when only one asked for the name).
func Resolve(ctx context.Context, targets []Target, opts Options) []Result {
	if opts.SkipDNS {
		return nil
	}
	opts, now := opts.defaults()
	var out []Result
	at := map[string]int{} // name -> its result in out
	for _, t := range targets {
		for _, name := range t.DNSNames {
			if i, ok := at[name]; ok {
				if out[i].Namespace != t.Namespace {
					out[i].Namespace = ""
				}
				continue
			}
			one := t
			one.DNSNames = []string{name}
			rs := resolve(ctx, one, opts, now)
			t.label(rs)
			at[name] = len(out)
			out = append(out, rs...)
		}
	}
	return out
}

func (opts Options) defaults() (Options, func() time.Time) {
	if opts.Timeout == 0 {
		opts.Timeout = 3 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return opts, opts.Now
}

// label marks results as the target's.
func (t Target) label(rs []Result) {
	for i := range rs {
		rs[i].Namespace, rs[i].From = t.Namespace, t.From
	}
}

// Connect runs the TCP checks of every target, and the TLS checks on its TLS ports.
func Connect(ctx context.Context, targets []Target, opts Options) []Result {
	opts, now := opts.defaults()
	var out []Result
	for _, t := range targets {
		first := len(out)
		for _, block := range t.Addresses {
			a := block.Addr()
			for _, p := range t.Ports {
				r, conn := connect(ctx, t, a, p, opts, now)
				out = append(out, r)
				if conn == nil {
					continue
				}
				if slices.Contains(opts.TLSPorts, p) {
					out = append(out, handshake(ctx, t, conn, a, p, opts, now))
				}
				conn.Close()
			}
		}
		t.label(out[first:])
	}
	return out
}

// resolve looks each DNS name up and compares the answer with the declared addresses.
func resolve(ctx context.Context, t Target, opts Options, now func() time.Time) []Result {
	resolver := opts.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	var out []Result
	for _, name := range t.DNSNames {
		start := now()
		cctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		addrs, err := resolver.LookupNetIP(cctx, "ip", name)
		cancel()
		r := Result{Time: start, Endpoint: t.Endpoint, Check: CheckDNS, Name: name, Seconds: now().Sub(start).Seconds()}
		if err != nil {
			var dnsErr *net.DNSError
			if errors.As(err, &dnsErr) && opts.DNSServer != "" {
				dnsErr.Server = opts.DNSServer // Go names the system's server even when Resolver dials another
			}
			r.Outcome, r.Status, r.Detail = "failed", Finding, err.Error()
			out = append(out, r)
			continue
		}
		r.Success, r.Outcome = true, "resolved"
		var got []string
		var unknown []string
		for _, a := range addrs {
			a = a.Unmap()
			got = append(got, a.String())
			if !model.ContainsAddr(t.Addresses, a) {
				unknown = append(unknown, a.String())
			}
		}
		slices.Sort(got)
		r.Detail = "resolves to " + strings.Join(got, ", ")
		r.Status = OK
		if len(unknown) > 0 {
			r.Status = Finding
			r.Detail += fmt.Sprintf("; the scenario declares %s: %s is not among them, so the model's verdicts do not hold for it (update the endpoint's addresses)",
				addrList(t.Addresses), strings.Join(unknown, ", "))
		}
		out = append(out, r)
	}
	return out
}

func addrList(ps []netip.Prefix) string {
	var s []string
	for _, p := range ps {
		if p.IsSingleIP() {
			s = append(s, p.Addr().String())
		} else {
			s = append(s, p.String())
		}
	}
	return strings.Join(s, ", ")
}

// connect opens a TCP connection and compares the outcome with the model's expectation.
func connect(ctx context.Context, t Target, a netip.Addr, port int32, opts Options, now func() time.Time) (Result, net.Conn) {
	address := net.JoinHostPort(a.String(), strconv.Itoa(int(port)))
	dial := opts.Dial
	if dial == nil {
		d := &net.Dialer{Timeout: opts.Timeout}
		dial = d.DialContext
	}
	start := now()
	cctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	conn, err := dial(cctx, "tcp", address)
	cancel()
	r := Result{Time: start, Endpoint: t.Endpoint, Check: CheckTCP, Address: address, Expect: t.Expect, Seconds: now().Sub(start).Seconds()}
	r.Outcome = dialOutcome(err)
	r.Success = err == nil
	switch {
	case t.Expect == "allowed" && err != nil:
		r.Status, r.Detail = Finding, fmt.Sprintf("the model allows it (%s) but the connection %s", t.Why, r.Outcome)
	case t.Expect == "denied" && err == nil:
		r.Status, r.Detail = Finding, fmt.Sprintf("the model denies it (%s) but the connection was opened: something the model does not know lets it through", t.Why)
	case t.Expect == "" && err != nil:
		r.Status, r.Detail = Finding, "the connection "+r.Outcome
	default:
		r.Status = OK
	}
	if err != nil && r.Detail != "" {
		r.Detail += ": " + err.Error()
	}
	return r, conn
}

// dialOutcome names what a failed connection ran into: refused (something answered with a reset),
// timeout (nothing answered: dropped), unreachable.
func dialOutcome(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return "connected"
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case strings.Contains(err.Error(), "refused"):
		return "was refused"
	case strings.Contains(err.Error(), "unreachable"):
		return "was unreachable"
	}
	return "failed"
}

// handshake completes a TLS handshake on an open connection: the server name is the endpoint's first DNS
// name (else its address), the chain is verified against the roots, and the leaf's expiry is checked.
func handshake(ctx context.Context, t Target, conn net.Conn, a netip.Addr, port int32, opts Options, now func() time.Time) Result {
	name := a.String()
	if len(t.DNSNames) > 0 {
		name = t.DNSNames[0]
	}
	start := now()
	cfg := &tls.Config{ServerName: name, RootCAs: opts.Roots, Time: now, MinVersion: tls.VersionTLS12}
	tc := tls.Client(conn, cfg)
	cctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	err := tc.HandshakeContext(cctx)
	cancel()
	r := Result{Time: start, Endpoint: t.Endpoint, Check: CheckTLS, Name: name, Address: net.JoinHostPort(a.String(), strconv.Itoa(int(port))),
		Seconds: now().Sub(start).Seconds()}
	if err != nil {
		r.Outcome, r.Status, r.Detail = "failed", Finding, tlsProblem(err)
		return r
	}
	leaf := tc.ConnectionState().PeerCertificates[0]
	left := leaf.NotAfter.Sub(now())
	r.Success, r.Outcome, r.Status, r.DaysLeft = true, "handshake", OK, left.Hours()/24
	r.Detail = fmt.Sprintf("certificate for %s valid until %s (%.0f days)", strings.Join(leaf.DNSNames, ", "), leaf.NotAfter.Format(time.DateOnly), r.DaysLeft)
	if opts.WarnExpiry > 0 && left < opts.WarnExpiry {
		r.Status = Warning
		r.Detail += fmt.Sprintf(": expires within %.0f days", opts.WarnExpiry.Hours()/24)
	}
	return r
}

// tlsProblem says what a failed handshake ran into, in the words of the check.
func tlsProblem(err error) string {
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	var unknown x509.UnknownAuthorityError
	switch {
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "the certificate has expired or is not yet valid: " + err.Error()
	case errors.As(err, &host):
		return "the certificate is not for this name: " + err.Error()
	case errors.As(err, &unknown):
		return "the certificate chain is not signed by a trusted root (--ca-file): " + err.Error()
	}
	return err.Error()
}

// Findings counts the results that are findings.
func Findings(rs []Result) int {
	n := 0
	for _, r := range rs {
		if r.Status == Finding {
			n++
		}
	}
	return n
}
