package audit_test

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/audit"
	"github.com/zonesim/zonesim/pkg/capture"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
	"github.com/zonesim/zonesim/scenarios"
)

type packet struct {
	src, dst      string
	sport, dport  uint16
	udp, syn, ack bool
}

// pcapOf writes packets as an Ethernet pcap, the way tcpdump -w would.
func pcapOf(t *testing.T, pkts ...packet) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	require.NoError(t, w.WriteFileHeader(65535, layers.LinkTypeEthernet))
	for i, p := range pkts {
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: net.ParseIP(p.src).To4(), DstIP: net.ParseIP(p.dst).To4(), Protocol: layers.IPProtocolTCP}
		var l4 gopacket.SerializableLayer
		if p.udp {
			ip.Protocol = layers.IPProtocolUDP
			u := &layers.UDP{SrcPort: layers.UDPPort(p.sport), DstPort: layers.UDPPort(p.dport)}
			require.NoError(t, u.SetNetworkLayerForChecksum(ip))
			l4 = u
		} else {
			tc := &layers.TCP{SrcPort: layers.TCPPort(p.sport), DstPort: layers.TCPPort(p.dport), SYN: p.syn, ACK: p.ack, Window: 1024}
			require.NoError(t, tc.SetNetworkLayerForChecksum(ip))
			l4 = tc
		}
		out := gopacket.NewSerializeBuffer()
		require.NoError(t, gopacket.SerializeLayers(out, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, l4, gopacket.Payload("x")))
		data := out.Bytes()
		require.NoError(t, w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: len(data), Length: len(data)}, data))
	}
	return &buf
}

// defaultPods loads the embedded scenario and gives the addresses of three of its pods.
func defaultPods(t *testing.T) (c *model.Cluster, web, api, ledger string) {
	t.Helper()
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	require.NoError(t, scenarios.AddDefault(l))
	c, err := l.Cluster()
	require.NoError(t, err)
	ip := func(key string) string { return c.Pod(key).IP.String() }
	return c, ip("shop-web/frontend-0"), ip("shop-api/catalog-0"), ip("ledger/postgres-0")
}

func TestAuditFindsWhatGotThroughAgainstThePolicies(t *testing.T) {
	c, web, api, ledger := defaultPods(t)

	pcap := pcapOf(t,
		packet{src: web, dst: api, sport: 40000, dport: 8080, syn: true},               // allowed ...
		packet{src: api, dst: web, sport: 8080, dport: 40000, syn: true, ack: true},    // ... and answered
		packet{src: web, dst: api, sport: 40000, dport: 8080, ack: true},               // the rest of it
		packet{src: ledger, dst: api, sport: 40001, dport: 8080, syn: true},            // denied by shop-api's policy ...
		packet{src: api, dst: ledger, sport: 8080, dport: 40001, syn: true, ack: true}, // ... yet answered
		packet{src: ledger, dst: web, sport: 40002, dport: 80, syn: true},              // denied, and dropped
		packet{src: ledger, dst: web, sport: 40003, dport: 80, syn: true},              // retried: the same flow
		packet{src: web, dst: "203.0.113.7", sport: 5353, dport: 53, udp: true},        // allowed, no answer
	)
	flows, err := capture.ReadFlows(pcap)
	require.NoError(t, err)
	require.Len(t, flows, 4)

	p, err := simulate.LookupProfile("generic")
	require.NoError(t, err)
	got := map[string]audit.Verdict{}
	for _, v := range audit.Check(simulate.New(c, p, ""), flows, audit.Options{}) {
		got[v.Src.String()+">"+v.Dst.String()] = v
	}
	ok := got[web+">"+api]
	assert.Equal(t, "ok", ok.Status)
	assert.Equal(t, "shop-web/frontend-0", ok.From)
	assert.Equal(t, "shop-api/catalog-0", ok.To)
	assert.Equal(t, 2, ok.Packets)

	bad := got[ledger+">"+api]
	assert.Equal(t, "violation", bad.Status)
	assert.False(t, bad.Allowed)
	assert.Equal(t, "zonesim query from ledger/postgres-0 to "+api+" --port tcp/8080", bad.Query)

	blocked := got[ledger+">"+web]
	assert.Equal(t, "blocked", blocked.Status)
	assert.Equal(t, 2, blocked.Packets, "two SYNs from different source ports are one flow")

	assert.Equal(t, "unanswered", got[web+">203.0.113.7"].Status)
}

// Outside the cluster a capture sees the zone's egress IP; it stands for the pods that leave with it.
func TestAuditMapsEgressIdentitiesToPods(t *testing.T) {
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	require.NoError(t, scenarios.AddDefault(l))
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("ovn-kubernetes")
	require.NoError(t, err)
	e := simulate.New(c, p, "")
	egress, dropped, ok := e.EgressSource(c.Pod("shop-web/frontend-0"))
	require.True(t, ok)
	require.False(t, dropped)
	flows, err := capture.ReadFlows(pcapOf(t,
		packet{src: egress.String(), dst: "198.51.100.9", sport: 41000, dport: 443, syn: true},
		packet{src: "198.51.100.9", dst: egress.String(), sport: 443, dport: 41000, syn: true, ack: true},
	))
	require.NoError(t, err)
	v := audit.Check(e, flows, audit.Options{})
	require.Len(t, v, 1)
	assert.Equal(t, "ok", v[0].Status)
	assert.Contains(t, v[0].From, egress.String()+" (egress identity of ")
	assert.Contains(t, v[0].From, "shop-web/frontend-0")
}

// An OVN-Kubernetes ACL audit log says what got through and what was dropped, and by which ACL: each is
// held against the model, both ways.
func TestAuditReadsACLLogs(t *testing.T) {
	c, web, api, ledger := defaultPods(t)
	line := func(acl, verdict, src, dst string, sport, dport int) string {
		return fmt.Sprintf("2024-06-09T19:00:10.441Z|00162|acl_log(ovn_pinctrl0)|INFO|name=%q, verdict=%s, severity=alert, direction=to-lport: "+
			"tcp,vlan_tci=0x0000,dl_src=0a:58:0a:f4:02:06,dl_dst=0a:58:0a:f4:02:01,nw_src=%s,nw_dst=%s,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=%d,tp_dst=%d,tcp_flags=syn\n",
			acl, verdict, src, dst, sport, dport)
	}
	log := line("NP:shop-api:allow-web:Ingress:0", "allow", web, api, 40000, 8080) + // allowed, as modelled
		line("NP:shop-api:allow-web:Ingress:0", "allow", ledger, api, 40001, 8080) + // got through, yet denied
		line("NP:shop-api:Ingress", "drop", web, api, 40002, 8080) + // dropped, yet allowed
		line("NP:shop-web:Ingress", "drop", ledger, web, 40003, 80) + // dropped, as modelled
		line("NP:shop-web:Ingress", "drop", ledger, web, 40004, 80) // the same flow again
	flows, format, err := capture.ReadAny(strings.NewReader(log))
	require.NoError(t, err)
	assert.Equal(t, capture.FormatACLLog, format)
	p, err := simulate.LookupProfile("ovn-kubernetes")
	require.NoError(t, err)
	got := map[string]audit.Verdict{}
	for _, v := range audit.Check(simulate.New(c, p, ""), flows, audit.Options{}) {
		got[v.Src.String()+">"+v.Dst.String()+" "+v.Logged] = v
	}
	assert.Equal(t, audit.OK, got[web+">"+api+" allow"].Status)
	assert.Equal(t, audit.Violation, got[ledger+">"+api+" allow"].Status)
	dropped := got[web+">"+api+" drop"]
	assert.Equal(t, audit.Dropped, dropped.Status)
	assert.Equal(t, "the ingress default deny of namespace shop-api (its pods are isolated, NP-2, NP-3)", dropped.DecidedBy)
	blocked := got[ledger+">"+web+" drop"]
	assert.Equal(t, audit.Blocked, blocked.Status)
	assert.Equal(t, 2, blocked.Packets)
}

func TestACLObject(t *testing.T) {
	for _, tt := range []struct{ acl, want string }{
		{"NP:shop:Egress", "the egress default deny of namespace shop (its pods are isolated, NP-2, NP-3)"},
		{"NP:shop:allow-web:Ingress:2", "NetworkPolicy shop/allow-web ingress[2]"},
		{"ANP:cluster-control:Egress:1", "AdminNetworkPolicy cluster-control egress[1]"},
		{"BANP:default:Ingress:0", "BaselineAdminNetworkPolicy default ingress[0]"},
		{"EF:shop:3", "EgressFirewall shop/default rule 3"},
		{"verify-audit-logging_deny-all", "NetworkPolicy verify-audit-logging/deny-all"},
		{"<unnamed>", "<unnamed>"},
		{"", ""},
	} {
		assert.Equal(t, tt.want, audit.ACLObject(tt.acl), tt.acl)
	}
}
