package capture_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zonesim/zonesim/pkg/capture"
)

// aclLines are OVN-Kubernetes ACL audit log lines in the forms the documentation and clusters show.
const aclLines = `2023-11-02T16:28:54.139Z|00004|acl_log(ovn_pinctrl0)|INFO|name="NP:verify-audit-logging:Ingress", verdict=drop, severity=alert, direction=to-lport: tcp,vlan_tci=0x0000,dl_src=0a:58:0a:81:02:01,dl_dst=0a:58:0a:81:02:23,nw_src=10.131.0.39,nw_dst=10.129.2.35,nw_tos=0,nw_ecn=0,nw_ttl=62,nw_frag=no,tp_src=58496,tp_dst=8080,tcp_flags=syn
2023-11-02T16:28:55.187Z|00005|acl_log(ovn_pinctrl0)|INFO|name="NP:verify-audit-logging:Ingress", verdict=drop, severity=alert, direction=to-lport: tcp,vlan_tci=0x0000,dl_src=0a:58:0a:81:02:01,dl_dst=0a:58:0a:81:02:23,nw_src=10.131.0.39,nw_dst=10.129.2.35,nw_tos=0,nw_ecn=0,nw_ttl=62,nw_frag=no,tp_src=58497,tp_dst=8080,tcp_flags=syn
2024-06-09T19:00:10.441Z|00162|acl_log(ovn_pinctrl0)|INFO|name="ANP:cluster-control:Egress:1", verdict=allow, severity=alert, direction=from-lport: tcp,vlan_tci=0x0000,dl_src=0a:58:0a:f4:02:06,dl_dst=0a:58:0a:f4:02:01,nw_src=10.244.2.6,nw_dst=172.18.0.3,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=33690,tp_dst=6443,tcp_flags=ack
2024-06-09T19:00:11.000Z|00163|acl_log(ovn_pinctrl0)|INFO|name="ANP:egress-audit:Egress:0", verdict=pass, severity=alert, direction=from-lport: tcp,nw_src=10.128.2.87,nw_dst=1.1.1.1,tp_src=1,tp_dst=443,tcp_flags=syn
2021-07-06T08:26:58.687Z|00004|acl_log(ovn_pinctrl0)|INFO|name="verify-audit-logging_deny-all", verdict=drop, severity=alert: icmp,vlan_tci=0x0000,dl_src=0a:58:0a:81:02:12,dl_dst=0a:58:0a:81:02:14,nw_src=10.129.2.18,nw_dst=10.129.2.20,nw_tos=0,nw_ecn=0,nw_ttl=64,icmp_type=8,icmp_code=0
2021-07-06T08:26:59.687Z|00005|acl_log(ovn_pinctrl0)|INFO|name="verify-audit-logging_deny-all", verdict="drop", severity="alert": udp,nw_src=10.129.2.18,nw_dst=10.129.2.20,tp_src=5353,tp_dst=53
2024-01-01T00:00:00.000Z|00006|acl_log(ovn_pinctrl0)|INFO|name="EF:shop:0", verdict=allow, severity=info, direction=from-lport: tcp6,ipv6_src=fd01::5,ipv6_dst=2001:db8::10,tp_src=40000,tp_dst=443,tcp_flags=syn
2024-01-01T00:00:00.000Z|00007|vconn|INFO|unix#1: connection dropped
`

func TestReadACLLog(t *testing.T) {
	flows, format, err := capture.ReadAny(strings.NewReader(aclLines))
	require.NoError(t, err)
	assert.Equal(t, capture.FormatACLLog, format)
	flow := func(src, dst, proto string, port int32, packets int, logged, acl string) capture.Flow {
		return capture.Flow{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Protocol: proto, Port: port, Packets: packets,
			Answered: logged == capture.LogAllow, Logged: logged, ACL: acl}
	}
	assert.Equal(t, []capture.Flow{
		flow("10.129.2.18", "10.129.2.20", "UDP", 53, 1, capture.LogDrop, "verify-audit-logging_deny-all"),
		flow("10.131.0.39", "10.129.2.35", "TCP", 8080, 2, capture.LogDrop, "NP:verify-audit-logging:Ingress"),
		flow("10.244.2.6", "172.18.0.3", "TCP", 6443, 1, capture.LogAllow, "ANP:cluster-control:Egress:1"),
		flow("fd01::5", "2001:db8::10", "TCP", 443, 1, capture.LogAllow, "EF:shop:0"),
	}, flows, "ICMP and pass lines decide no port; lines of other loggers are not ACLs")
}

func TestReadACLLogErrors(t *testing.T) {
	const ok = "x|acl_log(ovn_pinctrl0)|INFO|name=\"a\", verdict=drop: tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80\n"
	in := ok +
		"x|acl_log(ovn_pinctrl0)|INFO|name=\"a\", verdict=maybe: tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80\n" +
		"x|acl_log(ovn_pinctrl0)|INFO|name=\"a\", verdict=drop: tcp,nw_src=10.0.0.300,nw_dst=10.0.0.2,tp_dst=80\n" +
		"x|acl_log(ovn_pinctrl0)|INFO|name=\"a\", verdict=drop: tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2\n" +
		"x|acl_log(ovn_pinctrl0)|INFO|name=\"a\", verdict=drop: tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=99999\n"
	flows, err := capture.ReadACLLog(strings.NewReader(in))
	assert.Len(t, flows, 1, "the readable lines are read")
	require.Error(t, err)
	assert.Equal(t, `line 2: unknown verdict "maybe" (allow, drop, reject or pass)
line 3: nw_src: ParseAddr("10.0.0.300"): IPv4 field has value >255
line 4: the packet has no nw_src/ipv6_src, nw_dst/ipv6_dst or tp_dst
line 5: tp_dst "99999": not a port`, err.Error(), "every unreadable line is reported, with its number")
}

func TestReadFlowCSV(t *testing.T) {
	in := "src,dst,proto,dport,verdict\n" +
		"10.0.0.1,203.0.113.5,tcp,443,ACCEPT\n" +
		"10.0.0.1, 203.0.113.5, TCP, 443, accept\n" +
		"10.0.0.1,203.0.113.6,17,53,REJECT\n" +
		"fd00::1,2001:db8::1,sctp,3868,\n"
	flows, format, err := capture.ReadAny(strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, capture.FormatCSV, format)
	assert.Equal(t, []capture.Flow{
		{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("203.0.113.5"), Protocol: "TCP", Port: 443, Packets: 2, Answered: true, Logged: capture.LogAllow},
		{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("203.0.113.6"), Protocol: "UDP", Port: 53, Packets: 1, Logged: capture.LogDrop},
		{Src: netip.MustParseAddr("fd00::1"), Dst: netip.MustParseAddr("2001:db8::1"), Protocol: "SCTP", Port: 3868, Packets: 1, Answered: true, Logged: capture.LogAllow},
	}, flows)

	flows, err = capture.ReadFlowCSV(strings.NewReader("src,dst,proto,dport\n10.0.0.1,10.0.0.2,tcp,80\n"))
	require.NoError(t, err)
	require.Len(t, flows, 1)
	assert.Equal(t, capture.LogAllow, flows[0].Logged, "a flow log without verdicts lists flows that got through")

	_, err = capture.ReadFlowCSV(strings.NewReader("src,dst,proto,dport,verdict\n10.0.0.1,10.0.0.2,gre,80\nx,10.0.0.2,tcp,80\n10.0.0.1,10.0.0.2,tcp,0\n10.0.0.1,10.0.0.2,tcp,80,maybe\n10.0.0.1\n"))
	require.Error(t, err)
	assert.Equal(t, `line 2: proto "gre": tcp, udp or sctp (or 6, 17, 132)
line 3: src: ParseAddr("x"): unable to parse IP
line 4: dport "0": a port from 1 to 65535
line 5: verdict "maybe": allow/accept or drop/deny/reject
line 6: 1 column(s): src,dst,proto,dport are needed`, err.Error())
}

// A spreadsheet's export (a byte order mark, CRLF, an ICMP row) reads as a flow log; nothing at all is no flow.
func TestReadAnyTakesWhatUsersHave(t *testing.T) {
	flows, format, err := capture.ReadAny(strings.NewReader("\xef\xbb\xbfsrc,dst,proto,dport\r\n10.0.0.1,10.0.0.2,tcp,80\r\n10.0.0.1,10.0.0.2,icmp,0\r\n"))
	require.NoError(t, err)
	assert.Equal(t, capture.FormatCSV, format)
	require.Len(t, flows, 1)
	assert.Equal(t, int32(80), flows[0].Port)

	flows, _, err = capture.ReadAny(strings.NewReader(""))
	require.NoError(t, err)
	assert.Empty(t, flows)
}

func TestReadAnyNamesTheFormats(t *testing.T) {
	_, _, err := capture.ReadAny(strings.NewReader("hello\n"))
	assert.EqualError(t, err, "not a pcap or pcapng capture, an OVN-Kubernetes ACL audit log (lines with acl_log(...)) or a CSV flow log (a header line src,dst,proto,dport[,verdict])")
}

// Whatever the log, reading it ends, and every flow it gives has both addresses and a protocol.
func FuzzReadLogs(f *testing.F) {
	f.Add(aclLines)
	f.Add("src,dst,proto,dport,verdict\n10.0.0.1,10.0.0.2,tcp,80,drop\n")
	f.Fuzz(func(t *testing.T, in string) {
		for _, read := range []func(string) ([]capture.Flow, error){
			func(s string) ([]capture.Flow, error) { return capture.ReadACLLog(strings.NewReader(s)) },
			func(s string) ([]capture.Flow, error) { return capture.ReadFlowCSV(strings.NewReader(s)) },
		} {
			flows, _ := read(in)
			for _, fl := range flows {
				assert.True(t, fl.Src.IsValid() && fl.Dst.IsValid())
				assert.Contains(t, []string{"TCP", "UDP", "SCTP"}, fl.Protocol)
				assert.Contains(t, []string{capture.LogAllow, capture.LogDrop}, fl.Logged)
			}
		}
	})
}
