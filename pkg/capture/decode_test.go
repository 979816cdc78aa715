package capture

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyAgrees checks that the decoder finds the flow key packetKey finds, decoding the packet whole.
func keyAgrees(t *testing.T, d *decoder, data []byte, lt layers.LinkType) (ok bool) {
	t.Helper()
	dec, err := linkDecoder(lt)
	require.NoError(t, err)
	p := gopacket.NewPacket(data, dec, gopacket.NoCopy)
	wantKey, wantSyn, wantAck, wantOK := packetKey(p)
	k, syn, ack, ok, err := d.key(data, lt)
	require.NoError(t, err)
	assert.Equal(t, wantOK, ok, "% x", data)
	if wantOK && ok {
		assert.Equal(t, wantKey, k, "% x", data)
		assert.Equal(t, []bool{wantSyn, wantAck}, []bool{syn, ack}, "% x", data)
	}
	return ok
}

func serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// shortPayload sets the payload length of an IPv6 packet behind an Ethernet header.
func shortPayload(data []byte, n uint16) []byte {
	binary.BigEndian.PutUint16(data[14+4:], n)
	return data
}

// packets are the encapsulations the decoder reads itself and some it leaves to gopacket.
func packets() map[string][]byte {
	mac := net.HardwareAddr{0, 1, 2, 3, 4, 5}
	eth := func(t layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: mac, DstMAC: mac, EthernetType: t}
	}
	ip4 := func(p layers.IPProtocol, src, dst byte) *layers.IPv4 {
		return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: p, SrcIP: net.IP{10, 0, 0, src}, DstIP: net.IP{10, 0, 0, dst}}
	}
	ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: net.ParseIP("fd00::1"), DstIP: net.ParseIP("fd00::2")}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 443, SYN: true, Window: 1}
	udp := &layers.UDP{SrcPort: 40000, DstPort: 53}
	vxlan := &layers.UDP{SrcPort: 40000, DstPort: 4789}
	for _, l := range []*layers.TCP{tcp} {
		_ = l.SetNetworkLayerForChecksum(ip4(layers.IPProtocolTCP, 1, 2))
	}
	_ = udp.SetNetworkLayerForChecksum(ip4(layers.IPProtocolUDP, 1, 2))
	_ = vxlan.SetNetworkLayerForChecksum(ip4(layers.IPProtocolUDP, 1, 2))
	ip6Next := func(p layers.IPProtocol) *layers.IPv6 {
		l := *ip6
		l.NextHeader = p
		return &l
	}
	tcpHeader := serialize(tcp)
	// An extension header (next header, length, then options) before TCP.
	ext := func(options ...byte) gopacket.Payload {
		return append(append([]byte{byte(layers.IPProtocolTCP), 0}, options...), tcpHeader...)
	}
	return map[string][]byte{
		"ipv4 hop-by-hop":                serialize(eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolIPv6HopByHop, 1, 2), ext(1, 4, 0, 0, 0, 0)),
		"ipv4 hop-by-hop, cut tcp":       serialize(eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolIPv6HopByHop, 1, 2), ext(1, 4, 0, 0, 0, 0))[:14+20+8+14],
		"hop-by-hop option past the end": serialize(eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolIPv6HopByHop, 1, 2), ext(0, 0, 0, 0, 5, 0xff)),
		"hop-by-hop option into tcp":     serialize(eth(layers.EthernetTypeIPv6), ip6Next(layers.IPProtocolIPv6HopByHop), ext(0, 0, 0, 0, 1, 8)),
		"hop-by-hop, ipv6 length short":  shortPayload(serialize(eth(layers.EthernetTypeIPv6), ip6Next(layers.IPProtocolIPv6HopByHop), ext(1, 4, 0, 0, 0, 0)), 16),
		"ipv6 destination":               serialize(eth(layers.EthernetTypeIPv6), ip6Next(layers.IPProtocolIPv6Destination), ext(1, 4, 0, 0, 0, 0)),
		"ipv6 destination, cut tcp":      serialize(eth(layers.EthernetTypeIPv6), ip6Next(layers.IPProtocolIPv6Destination), ext(0, 0, 0, 0, 0, 0))[:14+40+8+14],
		"destination option cut":         serialize(eth(layers.EthernetTypeIPv6), ip6Next(layers.IPProtocolIPv6Destination), ext(1, 4, 0, 0, 0, 0))[:14+40+7],
		"ipv6 routing type 0":            serialize(eth(layers.EthernetTypeIPv6), ip6Next(layers.IPProtocolIPv6Routing), ext(0, 0, 0, 0, 0, 0)),
		"ipv6 routing type 2":            serialize(eth(layers.EthernetTypeIPv6), ip6Next(layers.IPProtocolIPv6Routing), ext(2, 0, 0, 0, 0, 0)),
		"ipv6 routing, bad length":       serialize(eth(layers.EthernetTypeIPv6), ip6Next(layers.IPProtocolIPv6Routing), append(ext(0, 0, 0, 0, 0, 0)[:1], append([]byte{1}, ext(0, 0, 0, 0, 0, 0)[2:]...)...)),
		"ethernet tcp":                   serialize(eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP, 1, 2), tcp),
		"ethernet udp":                   serialize(eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP, 1, 2), udp),
		"ethernet ipv6":                  serialize(eth(layers.EthernetTypeIPv6), ip6, tcp),
		"vlan":                           serialize(eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 7, Type: layers.EthernetTypeIPv4}, ip4(layers.IPProtocolTCP, 1, 2), tcp),
		"ip in ip":                       serialize(eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolIPv4, 8, 9), ip4(layers.IPProtocolTCP, 1, 2), tcp),
		"gre":                            serialize(eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolGRE, 8, 9), &layers.GRE{Protocol: layers.EthernetTypeIPv4}, ip4(layers.IPProtocolTCP, 1, 2), tcp),
		"vxlan outer":                    serialize(eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolUDP, 8, 9), vxlan, &layers.VXLAN{ValidIDFlag: true, VNI: 1}, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP, 1, 2), tcp),
		"mpls":                           serialize(eth(layers.EthernetTypeMPLSUnicast), &layers.MPLS{Label: 1, StackBottom: true, TTL: 64}, ip4(layers.IPProtocolTCP, 1, 2), tcp),
		"arp":                            serialize(eth(layers.EthernetTypeARP), &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4, SourceHwAddress: mac, SourceProtAddress: []byte{10, 0, 0, 1}, DstHwAddress: mac, DstProtAddress: []byte{10, 0, 0, 2}}),
		"ipv4 fragment":                  serialize(eth(layers.EthernetTypeIPv4), &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, FragOffset: 8, SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}, gopacket.Payload(make([]byte, 24))),
		"truncated":                      serialize(eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP, 1, 2), tcp)[:40],
	}
}

// The decoder reads every packet as gopacket does when it decodes the packet whole.
func TestDecoderAgreesWithGopacket(t *testing.T) {
	d := newDecoder()
	for name, data := range packets() {
		t.Run(name, func(t *testing.T) {
			keyAgrees(t, d, data, layers.LinkTypeEthernet)
			keyAgrees(t, d, data[14:], layers.LinkTypeRaw)
		})
	}
}

func FuzzDecoderKey(f *testing.F) {
	for _, data := range packets() {
		f.Add(data, uint8(0))
		f.Add(data[14:], uint8(2))
	}
	links := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6}
	d := newDecoder()
	f.Fuzz(func(t *testing.T, data []byte, link uint8) {
		keyAgrees(t, d, data, links[int(link)%len(links)])
	})
}

// A tracker remembers a bounded number of connections: the oldest are forgotten (an answer that comes
// after that is not seen), and the flows keep what they added up to.
func TestTrackerForgetsTheOldestConnections(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	conn := func(sport uint16) flowKey { return flowKey{a, b, "TCP", sport, 443} }
	tr := newTracker(2)
	tr.track(conn(1), true, false)
	tr.track(conn(2), true, false)
	tr.track(conn(1), false, true)          // still remembered: counted
	tr.track(conn(3), true, false)          // conn 1 is forgotten
	tr.track(conn(1).reverse(), true, true) // its answer comes too late
	tr.track(conn(3).reverse(), true, true) // conn 3's does not
	assert.Len(t, tr.conns, 2)
	assert.Equal(t, []Flow{{Src: a, Dst: b, Protocol: "TCP", Port: 443, Packets: 4, Answered: true}}, tr.result())
}
