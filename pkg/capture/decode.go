package capture

import (
	"errors"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// decoder finds the flow key of packets without allocating: gopacket's DecodingLayerParser over the
// link, VLAN, IP, GRE and transport layers a capture of cluster traffic holds, decoding into the same
// layer values packet after packet. A transport layer ends the decoding, so a UDP tunnel's outer header
// is the flow (as packetKey reads it) and its inner packet is not decoded. A packet whose layers it does
// not know but which may carry IP (MPLS, PPPoE, EtherIP, ...) is decoded whole by packetKey instead.
type decoder struct {
	eth     layers.Ethernet
	sll     layers.LinuxSLL
	dot1q   layers.Dot1Q
	gre     layers.GRE
	ip4     checkedIPv4
	ip6     checkedIPv6
	ext     ipv6Extension
	tcp     lastTCP
	udp     lastUDP
	sctp    lastSCTP
	parsers map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
}

// The transport layers end the decoding.
type (
	lastTCP  struct{ layers.TCP }
	lastUDP  struct{ layers.UDP }
	lastSCTP struct{ layers.SCTP }
)

func (*lastTCP) NextLayerType() gopacket.LayerType  { return gopacket.LayerTypeZero }
func (*lastUDP) NextLayerType() gopacket.LayerType  { return gopacket.LayerTypeZero }
func (*lastSCTP) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

// The IP layers remember whether their last decoding failed: in a tunnel the inner header decodes into
// the same value as the outer one, so after an inner header fails the value holds the failed header, and
// the layer list alone does not tell.
type (
	checkedIPv4 struct {
		layers.IPv4
		failed bool
	}
	checkedIPv6 struct {
		layers.IPv6
		failed bool
	}
)

func (l *checkedIPv4) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	err := l.IPv4.DecodeFromBytes(data, df)
	l.failed = err != nil
	return err
}

func (l *checkedIPv6) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	err := l.IPv6.DecodeFromBytes(data, df)
	l.failed = err != nil
	return err
}

// ipv6Extension skips the IPv6 extension headers but the fragment header, after which gopacket (and so
// packetKey) reads no transport header.
type ipv6Extension struct {
	layers.IPv6ExtensionSkipper
	failed bool
}

func (l *ipv6Extension) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	err := l.IPv6ExtensionSkipper.DecodeFromBytes(data, df)
	l.failed = err != nil
	return err
}

var ipv6Extensions = gopacket.NewLayerClass([]gopacket.LayerType{layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination})

func (*ipv6Extension) CanDecode() gopacket.LayerClass { return ipv6Extensions }

// mayCarryIP are the layers the decoder does not know that gopacket decodes on to an IP header.
var mayCarryIP = map[gopacket.LayerType]bool{
	layers.LayerTypeMPLS: true, layers.LayerTypePPPoE: true, layers.LayerTypePPP: true, layers.LayerTypeEtherIP: true,
	layers.LayerTypeERSPANII: true, layers.LayerTypeLLC: true, layers.LayerTypeSNAP: true, layers.LayerTypeIPSecAH: true,
	layers.LayerTypeLoopback: true,
}

func newDecoder() *decoder {
	d := &decoder{parsers: map[gopacket.LayerType]*gopacket.DecodingLayerParser{}, decoded: make([]gopacket.LayerType, 0, 8)}
	for _, first := range []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL, layers.LayerTypeIPv4, layers.LayerTypeIPv6} {
		p := gopacket.NewDecodingLayerParser(first, &d.eth, &d.sll, &d.dot1q, &d.gre, &d.ip4, &d.ip6, &d.ext, &d.tcp, &d.udp, &d.sctp)
		d.parsers[first] = p
	}
	return d
}

// key is the flow key of one packet of the given link type, as packetKey would find it.
func (d *decoder) key(data []byte, lt layers.LinkType) (k flowKey, syn, ack, ok bool, err error) {
	var first gopacket.LayerType
	switch lt {
	case layers.LinkTypeEthernet:
		first = layers.LayerTypeEthernet
	case layers.LinkTypeLinuxSLL:
		first = layers.LayerTypeLinuxSLL
	case layers.LinkTypeIPv4:
		first = layers.LayerTypeIPv4
	case layers.LinkTypeIPv6:
		first = layers.LayerTypeIPv6
	case layers.LinkTypeRaw:
		if len(data) == 0 {
			return k, false, false, false, nil
		}
		switch data[0] >> 4 {
		case 4:
			first = layers.LayerTypeIPv4
		case 6:
			first = layers.LayerTypeIPv6
		default:
			return k, false, false, false, nil
		}
	default:
		return k, false, false, false, unsupported(uint32(lt))
	}
	derr := d.parsers[first].DecodeLayers(data, &d.decoded)
	var ip gopacket.LayerType
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeIPv4, layers.LayerTypeIPv6:
			ip = t
		case layers.LayerTypeTCP, layers.LayerTypeUDP, layers.LayerTypeSCTP:
			k, syn, ack = d.transport(t)
			switch ip {
			case layers.LayerTypeIPv4:
				k.src, _ = netip.AddrFromSlice(d.ip4.SrcIP)
				k.dst, _ = netip.AddrFromSlice(d.ip4.DstIP)
			case layers.LayerTypeIPv6:
				k.src, _ = netip.AddrFromSlice(d.ip6.SrcIP)
				k.dst, _ = netip.AddrFromSlice(d.ip6.DstIP)
			}
			return k, syn, ack, k.src.IsValid() && k.dst.IsValid(), nil
		}
	}
	var unknown gopacket.UnsupportedLayerType
	if derr != nil && !errors.As(derr, &unknown) && ip != 0 {
		if k, syn, ack, ok = d.cutTransport(); ok {
			return k, syn, ack, ok, nil
		}
	}
	if errors.As(derr, &unknown) && mayCarryIP[gopacket.LayerType(unknown)] {
		dec, err := linkDecoder(lt)
		if err != nil {
			return k, false, false, false, err
		}
		k, syn, ack, ok = packetKey(gopacket.NewPacket(data, dec, gopacket.NoCopy))
		return k, syn, ack, ok, nil
	}
	return k, false, false, false, nil
}

// cutTransport reads a transport header whose decoding failed after its ports, as when a capture's
// snap length cuts a SYN's options, or a UDP length is wrong: gopacket keeps such a header, and its
// ports and flags are there. When it is the IP header that failed (an inner header of a tunnel, decoded
// into the outer header's value), gopacket reads no transport header, and neither does the decoder.
func (d *decoder) cutTransport() (k flowKey, syn, ack, ok bool) {
	var ip gopacket.DecodingLayer
	var src, dst []byte
	var failed bool
	switch d.decoded[len(d.decoded)-1] {
	case layers.LayerTypeIPv4:
		ip, src, dst, failed = &d.ip4, d.ip4.SrcIP, d.ip4.DstIP, d.ip4.failed
	case layers.LayerTypeIPv6:
		ip, src, dst, failed = &d.ip6, d.ip6.SrcIP, d.ip6.DstIP, d.ip6.failed
	case layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination:
		ip, src, dst, failed = &d.ext, d.ip6.SrcIP, d.ip6.DstIP, d.ext.failed || d.ip6.failed
	default:
		return k, false, false, false
	}
	if failed {
		return k, false, false, false
	}
	var header *layers.BaseLayer
	var l gopacket.DecodingLayer
	switch t := ip.NextLayerType(); t {
	case layers.LayerTypeTCP:
		header, l = &d.tcp.BaseLayer, &d.tcp
	case layers.LayerTypeUDP:
		header, l = &d.udp.BaseLayer, &d.udp
	default:
		return k, false, false, false
	}
	header.Contents = nil
	if l.DecodeFromBytes(ip.LayerPayload(), gopacket.NilDecodeFeedback) == nil || len(header.Contents) == 0 {
		return k, false, false, false
	}
	k, syn, ack = d.transport(ip.NextLayerType())
	k.src, _ = netip.AddrFromSlice(src)
	k.dst, _ = netip.AddrFromSlice(dst)
	return k, syn, ack, k.src.IsValid() && k.dst.IsValid()
}

func (d *decoder) transport(t gopacket.LayerType) (k flowKey, syn, ack bool) {
	switch t {
	case layers.LayerTypeTCP:
		return flowKey{proto: "TCP", sport: uint16(d.tcp.SrcPort), dport: uint16(d.tcp.DstPort)}, d.tcp.SYN, d.tcp.ACK
	case layers.LayerTypeUDP:
		return flowKey{proto: "UDP", sport: uint16(d.udp.SrcPort), dport: uint16(d.udp.DstPort)}, false, false
	}
	return flowKey{proto: "SCTP", sport: uint16(d.sctp.SrcPort), dport: uint16(d.sctp.DstPort)}, false, false
}
