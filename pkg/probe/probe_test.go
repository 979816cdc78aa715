package probe_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/probe"
	"github.com/zonesim/zonesim/pkg/simulate"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// dnsServer answers for the names given, on loopback (UDP and TCP), and nothing else.
func dnsServer(t *testing.T, names map[string]string) *net.Resolver {
	t.Helper()
	records := map[string][]netip.Addr{}
	for name, ip := range names {
		records[name] = []netip.Addr{netip.MustParseAddr(ip)}
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := pc.LocalAddr().String()
	require.NoError(t, pc.Close())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- probe.ServeNames(ctx, addr, records) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	return probe.Resolver(addr)
}

// authority is a CA that signs server certificates.
type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newAuthority(t *testing.T) *authority {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "zonesim test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(5, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &authority{cert: cert, key: key, pool: pool}
}

// tlsServer serves TLS on loopback with a certificate for name, valid until notAfter, and returns its port.
func (a *authority) tlsServer(t *testing.T, name string, notAfter time.Time) int32 {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: notAfter.AddDate(-1, 0, 0), NotAfter: notAfter, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	require.NoError(t, err)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	return port(t, ln.Addr())
}

func port(t *testing.T, a net.Addr) int32 {
	_, p, err := net.SplitHostPort(a.String())
	require.NoError(t, err)
	n, err := strconv.Atoi(p)
	require.NoError(t, err)
	return int32(n)
}

// refusedPort is a loopback port nothing listens on.
func refusedPort(t *testing.T) int32 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := port(t, ln.Addr())
	ln.Close()
	return p
}

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// Real servers on loopback: a DNS server for the endpoints' names, TLS servers with a valid, an expired,
// a soon-expiring and a wrongly named certificate, a port that refuses and one that drops.
func TestProbesAgainstLoopbackServers(t *testing.T) {
	ca := newAuthority(t)
	resolver := dnsServer(t, map[string]string{"api.good.test": "127.0.0.1", "api.moved.test": "127.0.0.2", "api.expired.test": "127.0.0.1", "api.soon.test": "127.0.0.1"})
	good := ca.tlsServer(t, "api.good.test", now.AddDate(1, 0, 0))
	expired := ca.tlsServer(t, "api.expired.test", now.AddDate(0, 0, -1))
	soon := ca.tlsServer(t, "api.soon.test", now.AddDate(0, 0, 10))
	wrong := ca.tlsServer(t, "api.other.test", now.AddDate(1, 0, 0))
	refused := refusedPort(t)
	dropped := int32(9)
	opts := probe.Options{Timeout: 2 * time.Second, Resolver: resolver, Roots: ca.pool, WarnExpiry: 30 * 24 * time.Hour,
		TLSPorts: []int32{good, expired, soon, wrong}, Now: func() time.Time { return now },
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			if strings.HasSuffix(address, ":9") { // a firewall that drops: nothing comes back
				<-ctx.Done()
				return nil, ctx.Err()
			}
			var d net.Dialer
			return d.DialContext(ctx, network, address)
		}}
	opts.Timeout = 300 * time.Millisecond
	tests := []struct {
		name    string
		target  probe.Target
		want    []string // check outcome status per result
		details []string // substrings of the details, in order
	}{
		{"reached as allowed, sound TLS", probe.Target{Endpoint: "good", DNSNames: []string{"api.good.test"}, Addresses: loopback, Ports: []int32{good}, Expect: "allowed"},
			[]string{"dns resolved ok", "tcp connected ok", "tls handshake ok"}, []string{"resolves to 127.0.0.1", "", "certificate for api.good.test valid until 2027-12-01 (365 days)"}},
		{"a name that resolves elsewhere", probe.Target{Endpoint: "moved", DNSNames: []string{"api.moved.test"}, Addresses: loopback, Ports: []int32{refused}, Expect: "denied"},
			[]string{"dns resolved finding", "tcp was refused ok"}, []string{"the scenario declares 127.0.0.1: 127.0.0.2 is not among them", ""}},
		{"a name that resolves inside a declared block", probe.Target{Endpoint: "block", DNSNames: []string{"api.moved.test"},
			Addresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/30")}, Ports: []int32{refused}, Expect: "denied"},
			[]string{"dns resolved ok", "tcp was refused ok"}, []string{"resolves to 127.0.0.2", ""}},
		{"an unknown name", probe.Target{Endpoint: "gone", DNSNames: []string{"api.gone.test"}, Addresses: loopback, Ports: []int32{refused}},
			[]string{"dns failed finding", "tcp was refused finding"}, []string{"no such host", "the connection was refused"}},
		{"an expired certificate", probe.Target{Endpoint: "expired", DNSNames: []string{"api.expired.test"}, Addresses: loopback, Ports: []int32{expired}, Expect: "allowed"},
			[]string{"dns resolved ok", "tcp connected ok", "tls failed finding"}, []string{"", "", "the certificate has expired or is not yet valid"}},
		{"a certificate that expires soon", probe.Target{Endpoint: "soon", DNSNames: []string{"api.soon.test"}, Addresses: loopback, Ports: []int32{soon}, Expect: "allowed"},
			[]string{"dns resolved ok", "tcp connected ok", "tls handshake warning"}, []string{"", "", "(10 days): expires within 30 days"}},
		{"the wrong name", probe.Target{Endpoint: "wrong", DNSNames: []string{"api.good.test"}, Addresses: loopback, Ports: []int32{wrong}, Expect: "allowed"},
			[]string{"dns resolved ok", "tcp connected ok", "tls failed finding"}, []string{"", "", "the certificate is not for this name"}},
		{"allowed but refused", probe.Target{Endpoint: "down", Addresses: loopback, Ports: []int32{refused}, Expect: "allowed"},
			[]string{"tcp was refused finding"}, []string{"the model allows it"}},
		{"allowed but dropped", probe.Target{Endpoint: "dropped", Addresses: loopback, Ports: []int32{dropped}, Expect: "allowed"},
			[]string{"tcp timed out finding"}, []string{"the model allows it"}},
		{"denied and dropped", probe.Target{Endpoint: "blocked", Addresses: loopback, Ports: []int32{dropped}, Expect: "denied"},
			[]string{"tcp timed out ok"}, []string{""}},
		{"denied but reached", probe.Target{Endpoint: "open", Addresses: loopback, Ports: []int32{good}, Expect: "denied", Why: "zonesim query from a to ext:open --port tcp/1"},
			[]string{"tcp connected finding", "tls failed finding"}, []string{"the model denies it (zonesim query from a to ext:open --port tcp/1) but the connection was opened", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := probe.Run(context.Background(), []probe.Target{tt.target}, opts)
			var got []string
			for i, r := range rs {
				got = append(got, r.Check+" "+r.Outcome+" "+r.Status)
				if i < len(tt.details) {
					assert.Contains(t, r.Detail, tt.details[i])
				}
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// The model says which endpoints a namespace may reach: the probes expect as much.
func TestTargetsFollowTheModel(t *testing.T) {
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddPath("../../scenarios/outbound-only/scenario.yaml")
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("ovn-kubernetes")
	require.NoError(t, err)
	e := simulate.New(c, p, "")
	targets, err := probe.Targets(e, "crm-sync", simulate.InputArgs([]string{"s.yaml"}, "ovn-kubernetes"))
	require.NoError(t, err)
	var got []string
	for _, tg := range targets {
		got = append(got, tg.Endpoint+" "+tg.Expect)
	}
	assert.Equal(t, []string{"crm-api allowed", "payments-api denied", "registry-mirror allowed"}, got)
	assert.Equal(t, "zonesim query -f s.yaml --cni ovn-kubernetes from crm-sync to ext:payments-api --port tcp/443", targets[1].Why)

	targets, err = probe.Targets(e, "", nil)
	require.NoError(t, err)
	got = nil
	for _, tg := range targets {
		got = append(got, tg.Namespace+" "+tg.Endpoint+" "+tg.Expect)
	}
	assert.Equal(t, []string{"crm-sync crm-api allowed", "billing-sync payments-api allowed", "crm-sync registry-mirror allowed", "billing-sync registry-mirror allowed",
		"crm-sync payments-api denied", "billing-sync crm-api denied"}, got,
		"the scenario's probes, each for its own namespace, then what each must not reach")
}

// Each port of an endpoint is held against the model's verdict for that port.
func TestTargetsPerPort(t *testing.T) {
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("s.yaml", []byte(`apiVersion: zonesim.dev/v1alpha1
kind: Scenario
metadata: {name: ports}
spec:
  zones: [{name: z, nodeNetworks: [10.9.0.0/24]}]
  externals:
    - {name: web, addresses: [198.51.100.60], ports: [tcp/80, tcp/8443, tcp/9000-9002, tcp]}
  objects:
    - {apiVersion: v1, kind: Namespace, metadata: {name: app}}
    - {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: app}, spec: {containers: [{name: c, image: x}]}}
    - apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: egress, namespace: app}
      spec:
        podSelector: {}
        policyTypes: [Egress]
        egress: [{to: [{ipBlock: {cidr: 198.51.100.60/32}}], ports: [{port: 8443}]}]
`))
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("generic")
	require.NoError(t, err)
	targets, err := probe.Targets(simulate.New(c, p, ""), "app", simulate.InputArgs([]string{"s.yaml"}, ""))
	require.NoError(t, err)
	var got []string
	for _, tg := range targets {
		got = append(got, fmt.Sprint(tg.Ports, " ", tg.Expect))
	}
	assert.Equal(t, []string{"[80] denied", "[8443] allowed", "[9000] denied", "[9002] denied"}, got, "a range by its ends; all ports is no port")
	assert.Contains(t, targets[1].Why, "--port tcp/8443")
}
