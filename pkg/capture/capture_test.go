package capture_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zonesim/zonesim/pkg/capture"
)

var (
	a4 = netip.MustParseAddr("10.0.0.1")
	b4 = netip.MustParseAddr("10.0.0.2")
	c4 = netip.MustParseAddr("10.0.0.3")
	a6 = netip.MustParseAddr("fd00::1")
	b6 = netip.MustParseAddr("fd00::2")
)

// The builders below panic rather than fail a test: they only serialize fixed, well-formed layers,
// and FuzzReadFlows uses them to seed its corpus.
func must(err error) {
	if err != nil {
		panic(err)
	}
}

func syn(sport, dport uint16) *layers.TCP {
	return &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), SYN: true, Window: 64240}
}

func synAck(sport, dport uint16) *layers.TCP {
	return &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), SYN: true, ACK: true, Window: 64240}
}

func ack(sport, dport uint16) *layers.TCP {
	return &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), ACK: true, Window: 64240}
}

func udp(sport, dport uint16) *layers.UDP {
	return &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
}

func sctp(sport, dport uint16) *layers.SCTP {
	return &layers.SCTP{SrcPort: layers.SCTPPort(sport), DstPort: layers.SCTPPort(dport)}
}

func icmpEcho() *layers.ICMPv4 {
	return &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0)}
}

// ip serializes an IPv4 or IPv6 packet (after the family of src) from src to dst carrying l4.
func ip(src, dst netip.Addr, l4 gopacket.SerializableLayer) []byte {
	var proto layers.IPProtocol
	switch l4.(type) {
	case *layers.TCP:
		proto = layers.IPProtocolTCP
	case *layers.UDP:
		proto = layers.IPProtocolUDP
	case *layers.SCTP:
		proto = layers.IPProtocolSCTP
	case *layers.ICMPv4:
		proto = layers.IPProtocolICMPv4
	}
	var l3 interface {
		gopacket.NetworkLayer
		gopacket.SerializableLayer
	}
	if src.Is4() {
		l3 = &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	} else {
		l3 = &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	}
	switch l := l4.(type) {
	case *layers.TCP:
		must(l.SetNetworkLayerForChecksum(l3))
	case *layers.UDP:
		must(l.SetNetworkLayerForChecksum(l3))
	}
	buf := gopacket.NewSerializeBuffer()
	must(gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, l3, l4))
	return buf.Bytes()
}

// ipInIP wraps an IP packet in an outer IPv4 header from src to dst.
func ipInIP(src, dst netip.Addr, inner []byte) []byte {
	outer := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolIPv4, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	buf := gopacket.NewSerializeBuffer()
	must(gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, outer, gopacket.Payload(inner)))
	return buf.Bytes()
}

func etherType(packet []byte) layers.EthernetType {
	if packet[0]>>4 == 6 {
		return layers.EthernetTypeIPv6
	}
	return layers.EthernetTypeIPv4
}

func eth(packet []byte) []byte {
	e := &layers.Ethernet{
		SrcMAC:       []byte{0x02, 0, 0, 0, 0, 1},
		DstMAC:       []byte{0x02, 0, 0, 0, 0, 2},
		EthernetType: etherType(packet),
	}
	buf := gopacket.NewSerializeBuffer()
	must(gopacket.SerializeLayers(buf, gopacket.SerializeOptions{}, e, gopacket.Payload(packet)))
	return buf.Bytes()
}

// sll prepends a Linux cooked header (gopacket cannot serialize one): packet type, ARPHRD_ETHER,
// address length and address, protocol.
func sll(packet []byte) []byte {
	h := []byte{0, 0, 0, 1, 0, 6, 0x02, 0, 0, 0, 0, 1, 0, 0}
	h = binary.BigEndian.AppendUint16(h, uint16(etherType(packet)))
	return append(h, packet...)
}

func pcapFile(lt layers.LinkType, packets ...[]byte) []byte {
	return writePcap(pcapgo.NewWriter, lt, packets)
}

func writePcap(newWriter func(w io.Writer) *pcapgo.Writer, lt layers.LinkType, packets [][]byte) []byte {
	var b bytes.Buffer
	w := newWriter(&b)
	must(w.WriteFileHeader(65536, lt))
	for i, p := range packets {
		must(w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: len(p), Length: len(p)}, p))
	}
	return b.Bytes()
}

// pcapBigEndian writes a classic pcap by hand: pcapgo writes only little-endian, and only 8-bit link
// types.
func pcapBigEndian(linkType uint32, packets ...[]byte) []byte {
	be := binary.BigEndian
	b := be.AppendUint32(nil, 0xa1b2c3d4)
	b = be.AppendUint16(b, 2)
	b = be.AppendUint16(b, 4)
	b = be.AppendUint64(b, 0) // time zone, sigfigs
	b = be.AppendUint32(b, 65536)
	b = be.AppendUint32(b, linkType)
	for _, p := range packets {
		b = be.AppendUint64(b, 0) // timestamp
		b = be.AppendUint32(b, uint32(len(p)))
		b = be.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

// Big-endian pcapng, block by block: pcapgo writes only little-endian.
var be = binary.BigEndian

func beBlock(typ uint32, fields ...[]byte) []byte {
	body := bytes.Join(fields, nil)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	length := uint32(12 + len(body))
	b := be.AppendUint32(be.AppendUint32(nil, typ), length)
	return be.AppendUint32(append(b, body...), length)
}

func u16(v uint16) []byte { return be.AppendUint16(nil, v) }
func u32(v uint32) []byte { return be.AppendUint32(nil, v) }

func beSection() []byte {
	return beBlock(0x0a0d0d0a, u32(0x1a2b3c4d), u16(1), u16(0), be.AppendUint64(nil, ^uint64(0)))
}

func beInterface(lt uint16) []byte { return beBlock(1, u16(lt), u16(0), u32(0)) }

func beEnhancedPacket(data []byte) []byte {
	n := u32(uint32(len(data)))
	return beBlock(6, u32(0), u32(0), u32(0), n, n, data)
}

type ngPacket struct {
	intf int
	data []byte
}

// pcapngFile writes one interface per link type, and each packet on its interface.
func pcapngFile(links []layers.LinkType, packets ...ngPacket) []byte {
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriter(&b, links[0])
	must(err)
	for _, lt := range links[1:] {
		intf := pcapgo.DefaultNgInterface
		intf.LinkType = lt
		_, err := w.AddInterface(intf)
		must(err)
	}
	for i, p := range packets {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: len(p.data), Length: len(p.data), InterfaceIndex: p.intf}
		must(w.WritePacket(ci, p.data))
	}
	must(w.Flush())
	return b.Bytes()
}

func gz(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := w.Write(data)
	must(err)
	must(w.Close())
	return b.Bytes()
}

// handshake is an answered TCP connection from a4:40000 to b4:80, then an unanswered UDP datagram from
// a6 to b6:53, over Ethernet.
func handshake() [][]byte {
	return [][]byte{
		eth(ip(a4, b4, syn(40000, 80))),
		eth(ip(b4, a4, synAck(80, 40000))),
		eth(ip(a4, b4, ack(40000, 80))),
		eth(ip(a6, b6, udp(5353, 53))),
	}
}

var handshakeFlows = []capture.Flow{
	{Src: a4, Dst: b4, Protocol: "TCP", Port: 80, Packets: 2, Answered: true},
	{Src: a6, Dst: b6, Protocol: "UDP", Port: 53, Packets: 1},
}

// mixedPcapng has the handshake's SYN on an Ethernet interface and its SYN-ACK on a raw IP one.
func mixedPcapng() []byte {
	return pcapngFile([]layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw},
		ngPacket{0, eth(ip(a4, b4, syn(40000, 80)))},
		ngPacket{1, ip(b4, a4, synAck(80, 40000))},
		ngPacket{1, ip(a6, b6, udp(5353, 53))},
		ngPacket{0, eth(ip(a4, b4, ack(40000, 80)))},
	)
}

func TestReadFlows(t *testing.T) {
	full := pcapFile(layers.LinkTypeEthernet, handshake()...)
	firstPacket := len(pcapFile(layers.LinkTypeEthernet, handshake()[0]))
	ng := mixedPcapng()
	tests := []struct {
		name    string
		capture []byte
		want    []capture.Flow
	}{
		{
			name:    "TCP SYN answered by a SYN-ACK, then UDP unanswered",
			capture: full,
			want:    handshakeFlows,
		},
		{
			name: "TCP SYN without answer",
			capture: pcapFile(layers.LinkTypeEthernet,
				eth(ip(a4, b4, syn(40000, 443))),
				eth(ip(a4, b4, syn(40000, 443))), // retransmitted
			),
			want: []capture.Flow{{Src: a4, Dst: b4, Protocol: "TCP", Port: 443, Packets: 2}},
		},
		{
			name: "connection open before the capture started is no flow",
			capture: pcapFile(layers.LinkTypeEthernet,
				eth(ip(a4, b4, ack(40000, 443))),
				eth(ip(b4, a4, synAck(443, 40001))),
			),
			want: nil,
		},
		{
			name: "two source ports merged into one flow",
			capture: pcapFile(layers.LinkTypeEthernet,
				eth(ip(a4, b4, syn(40000, 443))),
				eth(ip(a4, b4, syn(40001, 443))),
				eth(ip(b4, a4, synAck(443, 40001))),
			),
			want: []capture.Flow{{Src: a4, Dst: b4, Protocol: "TCP", Port: 443, Packets: 2, Answered: true}},
		},
		{
			name: "UDP over IPv6 answered by a datagram back",
			capture: pcapFile(layers.LinkTypeEthernet,
				eth(ip(a6, b6, udp(5353, 53))),
				eth(ip(b6, a6, udp(53, 5353))),
				eth(ip(a6, b6, udp(5353, 53))),
				eth(ip(a6, b6, udp(123, 123))),
			),
			want: []capture.Flow{
				{Src: a6, Dst: b6, Protocol: "UDP", Port: 53, Packets: 2, Answered: true},
				{Src: a6, Dst: b6, Protocol: "UDP", Port: 123, Packets: 1},
			},
		},
		{
			name: "SCTP answered, over raw IP",
			capture: pcapFile(layers.LinkTypeRaw,
				ip(a4, b4, sctp(40000, 38412)),
				ip(b4, a4, sctp(38412, 40000)),
			),
			want: []capture.Flow{{Src: a4, Dst: b4, Protocol: "SCTP", Port: 38412, Packets: 1, Answered: true}},
		},
		{
			name: "raw IP carries IPv4 and IPv6 alike",
			capture: pcapFile(layers.LinkTypeRaw,
				ip(a6, b6, syn(40000, 80)),
				ip(a4, b4, udp(40000, 53)),
			),
			want: []capture.Flow{
				{Src: a4, Dst: b4, Protocol: "UDP", Port: 53, Packets: 1},
				{Src: a6, Dst: b6, Protocol: "TCP", Port: 80, Packets: 1},
			},
		},
		{
			name:    "IPv4 link type",
			capture: pcapFile(layers.LinkTypeIPv4, ip(a4, b4, syn(40000, 80))),
			want:    []capture.Flow{{Src: a4, Dst: b4, Protocol: "TCP", Port: 80, Packets: 1}},
		},
		{
			name:    "IPv6 link type",
			capture: pcapFile(layers.LinkTypeIPv6, ip(a6, b6, syn(40000, 80))),
			want:    []capture.Flow{{Src: a6, Dst: b6, Protocol: "TCP", Port: 80, Packets: 1}},
		},
		{
			name: "Linux cooked capture",
			capture: pcapFile(layers.LinkTypeLinuxSLL,
				sll(ip(a4, b4, syn(40000, 80))),
				sll(ip(b4, a4, synAck(80, 40000))),
			),
			want: []capture.Flow{{Src: a4, Dst: b4, Protocol: "TCP", Port: 80, Packets: 1, Answered: true}},
		},
		{
			name: "tunnelled packet has the addresses of the header that carries its ports",
			capture: pcapFile(layers.LinkTypeRaw,
				ipInIP(c4, b4, ip(a4, b4, syn(40000, 80))),
			),
			want: []capture.Flow{{Src: a4, Dst: b4, Protocol: "TCP", Port: 80, Packets: 1}},
		},
		{
			name: "packets without TCP, UDP or SCTP are skipped",
			capture: pcapFile(layers.LinkTypeEthernet,
				eth(ip(a4, b4, icmpEcho())),
				eth(ip(a4, b4, udp(40000, 53)))[:20], // cut inside the IP header
			),
			want: nil,
		},
		{
			name: "sorted by source, destination, protocol and port",
			capture: pcapFile(layers.LinkTypeEthernet,
				eth(ip(a6, b6, syn(40000, 80))),
				eth(ip(b4, a4, syn(40000, 80))),
				eth(ip(a4, c4, syn(40000, 80))),
				eth(ip(a4, b4, udp(40000, 53))),
				eth(ip(a4, b4, syn(40000, 443))),
				eth(ip(a4, b4, syn(40000, 22))),
			),
			want: []capture.Flow{
				{Src: a4, Dst: b4, Protocol: "TCP", Port: 22, Packets: 1},
				{Src: a4, Dst: b4, Protocol: "TCP", Port: 443, Packets: 1},
				{Src: a4, Dst: b4, Protocol: "UDP", Port: 53, Packets: 1},
				{Src: a4, Dst: c4, Protocol: "TCP", Port: 80, Packets: 1},
				{Src: b4, Dst: a4, Protocol: "TCP", Port: 80, Packets: 1},
				{Src: a6, Dst: b6, Protocol: "TCP", Port: 80, Packets: 1},
			},
		},
		{
			name:    "empty capture",
			capture: pcapFile(layers.LinkTypeEthernet),
			want:    nil,
		},
		{
			name:    "pcapng with an Ethernet and a raw IP interface",
			capture: ng,
			want:    handshakeFlows,
		},
		{
			name: "pcapng interface of an unsupported type that has no packets",
			capture: pcapngFile([]layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypePPP},
				ngPacket{0, eth(ip(a4, b4, syn(40000, 80)))},
			),
			want: []capture.Flow{{Src: a4, Dst: b4, Protocol: "TCP", Port: 80, Packets: 1}},
		},
		{
			name: "big-endian pcapng, with a block pcapgo does not use",
			capture: slices.Concat(beSection(), beInterface(uint16(layers.LinkTypeEthernet)),
				beEnhancedPacket(eth(ip(a4, b4, syn(40000, 80)))),
				beBlock(0x40000bad, []byte("custom block")),
				beEnhancedPacket(eth(ip(b4, a4, synAck(80, 40000)))),
			),
			want: []capture.Flow{{Src: a4, Dst: b4, Protocol: "TCP", Port: 80, Packets: 1, Answered: true}},
		},
		{
			name:    "big-endian pcap",
			capture: pcapBigEndian(uint32(layers.LinkTypeEthernet), handshake()...),
			want:    handshakeFlows,
		},
		{
			name:    "pcap with nanosecond timestamps",
			capture: writePcap(pcapgo.NewWriterNanos, layers.LinkTypeEthernet, handshake()),
			want:    handshakeFlows,
		},
		{
			name:    "gzip-compressed pcap",
			capture: gz(full),
			want:    handshakeFlows,
		},
		{
			name:    "gzip-compressed pcapng",
			capture: gz(ng),
			want:    handshakeFlows,
		},
		{
			name:    "pcap truncated in a packet",
			capture: full[:firstPacket+30],
			want:    []capture.Flow{{Src: a4, Dst: b4, Protocol: "TCP", Port: 80, Packets: 1}},
		},
		{
			name:    "pcap truncated in a packet header",
			capture: full[:firstPacket+8],
			want:    []capture.Flow{{Src: a4, Dst: b4, Protocol: "TCP", Port: 80, Packets: 1}},
		},
		{
			name:    "pcapng truncated in the last packet",
			capture: ng[:len(ng)-30],
			want:    []capture.Flow{{Src: a4, Dst: b4, Protocol: "TCP", Port: 80, Packets: 1, Answered: true}, {Src: a6, Dst: b6, Protocol: "UDP", Port: 53, Packets: 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := capture.ReadFlows(bytes.NewReader(tt.capture))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestReadFlowsErrors(t *testing.T) {
	// pcapgo cannot write 8-bit resolution other than 9: patch the interface's if_tsresol option
	// (code 9, length 1) to 10^-64 s, which overflows to a zero divisor inside pcapgo.
	ng := mixedPcapng()
	tsresol := []byte{9, 0, 1, 0, 9}
	require.Equal(t, 2, bytes.Count(ng, tsresol), "one if_tsresol per interface")
	badResolution := bytes.Replace(ng, tsresol, []byte{9, 0, 1, 0, 64}, 1)

	// An Enhanced Packet Block whose captured length (at offset 20) is 4 GB.
	hugePacket := beEnhancedPacket(eth(ip(a4, b4, syn(40000, 80))))
	copy(hugePacket[20:], u32(0xfd010000))

	tests := []struct {
		name    string
		capture []byte
		want    string
	}{
		{
			name:    "garbage",
			capture: []byte("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"),
			want:    "not a pcap or pcapng capture",
		},
		{
			name:    "empty input",
			capture: nil,
			want:    "not a pcap or pcapng capture",
		},
		{
			name:    "gzip of something broken",
			capture: []byte{0x1f, 0x8b, 0, 0},
			want:    "not a pcap or pcapng capture: unexpected EOF",
		},
		{
			name:    "pcap header cut short",
			capture: pcapFile(layers.LinkTypeEthernet)[:12],
			want:    "reading pcap header: unexpected EOF",
		},
		{
			name:    "unsupported pcap link type",
			capture: pcapFile(layers.LinkTypePPP, ip(a4, b4, syn(40000, 80))),
			want:    "not supported: link type 9 (Ethernet, Linux cooked and raw IP are)",
		},
		{
			name:    "link type beyond 8 bits (Linux cooked v2)",
			capture: pcapBigEndian(276),
			want:    "not supported: link type 276 (Ethernet, Linux cooked and raw IP are)",
		},
		{
			name: "pcapng packet on an interface of an unsupported type",
			capture: pcapngFile([]layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypePPP},
				ngPacket{0, eth(ip(a4, b4, syn(40000, 80)))},
				ngPacket{1, ip(a4, b4, syn(40000, 80))},
			),
			want: "not supported: link type 9 (Ethernet, Linux cooked and raw IP are)",
		},
		{
			name:    "packet larger than any capture tool writes",
			capture: pcapBigEndian(uint32(layers.LinkTypeEthernet), handshake()[0], make([]byte, 300000)),
			want:    "packet 2: capture length exceeds snap length: 300000 > 262144",
		},
		{
			name:    "pcapng packet claiming more than its block holds",
			capture: slices.Concat(beSection(), beInterface(uint16(layers.LinkTypeEthernet)), hugePacket),
			want:    "packet 1: pcapng packet block of 92 bytes holds less than it claims",
		},
		{
			name:    "pcapng interface of a link type beyond 8 bits (Linux cooked v2)",
			capture: slices.Concat(beSection(), beInterface(276), beEnhancedPacket(ip(a4, b4, syn(40000, 80)))),
			want:    "packet 1: not supported: link type 276 (Ethernet, Linux cooked and raw IP are)",
		},
		{
			name:    "pcapng block shorter than a block header",
			capture: slices.Concat(beSection(), beInterface(uint16(layers.LinkTypeEthernet)), u32(6), u32(8)),
			want:    "packet 1: pcapng block of 8 bytes",
		},
		{
			name:    "corrupt pcapng that makes pcapgo panic",
			capture: badResolution,
			want:    "malformed capture at packet 1: runtime error: integer divide by zero",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := capture.ReadFlows(bytes.NewReader(tt.capture))
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			assert.Nil(t, got)
		})
	}
}

func FuzzReadFlows(f *testing.F) {
	f.Add(pcapFile(layers.LinkTypeEthernet, handshake()...))
	f.Add(mixedPcapng())
	f.Add(pcapFile(layers.LinkTypeLinuxSLL, sll(ip(a4, b4, sctp(40000, 38412)))))
	f.Fuzz(func(t *testing.T, data []byte) {
		flows, err := capture.ReadFlows(bytes.NewReader(data))
		if err != nil {
			assert.Nil(t, flows)
			return
		}
		for _, fl := range flows {
			assert.Contains(t, []string{"TCP", "UDP", "SCTP"}, fl.Protocol)
			assert.Positive(t, fl.Packets)
			assert.True(t, fl.Src.IsValid() && fl.Dst.IsValid())
		}
	})
}

// BenchmarkReadFlows decodes a capture of a million packets: Ethernet, IPv4 or IPv6, TCP handshakes and
// data, UDP datagrams and their answers, from a thousand sources, in pcap and pcapng.
func BenchmarkReadFlows(b *testing.B) {
	const n = 1 << 20
	packets := make([][]byte, 0, n)
	for i := 0; len(packets) < n; i++ {
		src := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8 & 3), byte(i)})
		dst := netip.AddrFrom4([4]byte{203, 0, 113, byte(i % 7)})
		sport, dport := uint16(30000+i%20000), uint16(443+i%3)
		packets = append(packets,
			eth(ip(src, dst, syn(sport, dport))), eth(ip(dst, src, synAck(dport, sport))),
			eth(ip(src, dst, ack(sport, dport))), eth(ip(src, dst, ack(sport, dport))),
			eth(ip(src, dst, udp(sport, 53))), eth(ip(dst, src, udp(53, sport))),
			eth(ip(a6, b6, syn(sport, dport))), eth(ip(b6, a6, ack(dport, sport))))
	}
	for _, format := range []string{"pcap", "pcapng"} {
		var data []byte
		if format == "pcap" {
			data = pcapFile(layers.LinkTypeEthernet, packets...)
		} else {
			var ng []ngPacket
			for _, p := range packets {
				ng = append(ng, ngPacket{0, p})
			}
			data = pcapngFile([]layers.LinkType{layers.LinkTypeEthernet}, ng...)
		}
		b.Run(format, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				flows, err := capture.ReadFlows(bytes.NewReader(data))
				if err != nil || len(flows) == 0 {
					b.Fatal(err, len(flows))
				}
			}
			b.ReportMetric(float64(len(packets))*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
		})
	}
}

// syntheticCapture streams a pcap of n packets without holding it: connections from 4,096 sources to
// three ports of one server, each a SYN and its SYN-ACK, every one on a source port of its own, so the
// capture has n/2 connections but only 12,288 flows.
type syntheticCapture struct {
	n, i   int
	header []byte
	buf    []byte
	syn    []byte // a template packet record, patched per packet
}

func newSyntheticCapture(n int) *syntheticCapture {
	rec := writePcap(pcapgo.NewWriter, layers.LinkTypeEthernet, [][]byte{eth(ip(a4, b4, syn(1, 443)))})
	return &syntheticCapture{n: n, header: rec[:24], syn: rec[24:]}
}

func (c *syntheticCapture) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.header != nil {
			c.buf, c.header = c.header, nil
			break
		}
		if c.i >= c.n {
			return 0, io.EOF
		}
		conn := c.i / 2
		src := netip.AddrFrom4([4]byte{10, 1, byte(conn >> 8 & 15), byte(conn)})
		sport, dport := uint16(1024+conn%60000), uint16(443+conn%3)
		var pkt []byte
		if c.i%2 == 0 {
			pkt = eth(ip(src, b4, syn(sport, dport)))
		} else {
			pkt = eth(ip(b4, src, synAck(dport, sport)))
		}
		rec := make([]byte, 16, 16+len(pkt))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(pkt)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(pkt)))
		c.buf = append(rec, pkt...)
		c.i++
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

// BenchmarkReadFlowsMemory reads 1 M and 4 M packets (0.5 M and 2 M connections, about 75 and 300 MB of
// capture) and reports the largest heap in use while doing so: it follows the flows, not the
// connections, so both take about the same.
func BenchmarkReadFlowsMemory(b *testing.B) {
	for _, n := range []int{1 << 20, 4 << 20} {
		b.Run(fmt.Sprintf("%dM-packets", n>>20), func(b *testing.B) {
			for b.Loop() {
				done := make(chan struct{})
				peak := make(chan uint64)
				go func() {
					var most uint64
					var ms runtime.MemStats
					for {
						select {
						case <-done:
							peak <- most
							return
						case <-time.After(20 * time.Millisecond):
							runtime.ReadMemStats(&ms)
							most = max(most, ms.HeapInuse)
						}
					}
				}()
				flows, err := capture.ReadFlows(newSyntheticCapture(n))
				close(done)
				if err != nil || len(flows) != 12288 {
					b.Fatal(err, len(flows))
				}
				b.ReportMetric(float64(<-peak)/(1<<20), "peak-heap-MiB")
			}
		})
	}
}

// An interface whose snap length claims 4 GB does not make reading its packets take 4 GB: every packet
// here is at most maxSnaplen long, as for classic pcap (a fuzzed file made the reader allocate that much).
func TestReadFlowsBoundsTheSnapLength(t *testing.T) {
	var b bytes.Buffer
	intf := pcapgo.DefaultNgInterface
	intf.LinkType, intf.SnapLength = layers.LinkTypeEthernet, 0xffffffff
	w, err := pcapgo.NewNgWriterInterface(&b, intf, pcapgo.DefaultNgWriterOptions)
	require.NoError(t, err)
	for i, p := range handshake() {
		require.NoError(t, w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: len(p), Length: len(p)}, p))
	}
	require.NoError(t, w.Flush())
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	flows, err := capture.ReadFlows(bytes.NewReader(b.Bytes()))
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Equal(t, handshakeFlows, flows)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "bytes allocated reading a 4-packet capture")
}
