package capture

import (
	"errors"
	"fmt"
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
	hop     ipv6Extension
	routing ipv6Extension
	dest    ipv6Extension
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

// After a hop-by-hop header, which gopacket reads as part of the IPv6 header, the next header is read
// from the rest of the packet as gopacket does when it decodes a packet whole, not cut to the IPv6
// payload length.
func (l *checkedIPv6) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	err := l.IPv6.DecodeFromBytes(data, df)
	l.failed = err != nil
	if err == nil && l.HopByHop != nil {
		l.Payload = l.HopByHop.Payload
	}
	return err
}

// ipv6Extension skips an IPv6 extension header but the fragment header, after which gopacket (and so
// packetKey) reads no transport header. It checks what gopacket checks when it decodes the header whole:
// the options of a hop-by-hop or destination header (each within the rest of the packet, as gopacket
// reads them), and a routing header of type 0 whose length holds whole addresses (gopacket decodes no
// other type). The header may follow an IPv4 header too.
type ipv6Extension struct {
	layers.IPv6ExtensionSkipper
	kind   gopacket.LayerType
	failed bool
}

func (l *ipv6Extension) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	err := l.IPv6ExtensionSkipper.DecodeFromBytes(data, df)
	if err == nil {
		err = l.check(data)
	}
	l.failed = err != nil
	return err
}

func (l *ipv6Extension) check(data []byte) error {
	length := len(l.Contents)
	switch l.kind {
	case layers.LayerTypeIPv6Routing:
		if data[2] != 0 {
			return fmt.Errorf("IPv6 routing header of type %d", data[2])
		}
		if (length-8)%16 != 0 {
			return fmt.Errorf("IPv6 routing header of type 0 and length %d", length)
		}
		return nil
	}
	for offset := 2; offset < length; {
		rest := data[offset:]
		switch {
		case len(rest) < 2:
			return errors.New("IPv6 header option cut")
		case rest[0] == 0: // Pad1
			offset++
		case len(rest) < int(rest[1])+2:
			return errors.New("IPv6 header option longer than the packet")
		default:
			offset += int(rest[1]) + 2
		}
	}
	return nil
}

func (l *ipv6Extension) CanDecode() gopacket.LayerClass { return l.kind }

// mayCarryIP are the layers the decoder does not know that gopacket decodes on to an IP header.
var mayCarryIP = map[gopacket.LayerType]bool{
	layers.LayerTypeMPLS: true, layers.LayerTypePPPoE: true, layers.LayerTypePPP: true, layers.LayerTypeEtherIP: true,
	layers.LayerTypeERSPANII: true, layers.LayerTypeLLC: true, layers.LayerTypeSNAP: true, layers.LayerTypeIPSecAH: true,
	layers.LayerTypeLoopback: true,
}

func newDecoder() *decoder {
	d := &decoder{parsers: map[gopacket.LayerType]*gopacket.DecodingLayerParser{}, decoded: make([]gopacket.LayerType, 0, 8)}
	d.hop.kind, d.routing.kind, d.dest.kind = layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination
	for _, first := range []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL, layers.LayerTypeIPv4, layers.LayerTypeIPv6} {
		p := gopacket.NewDecodingLayerParser(first, &d.eth, &d.sll, &d.dot1q, &d.gre, &d.ip4, &d.ip6, &d.hop, &d.routing, &d.dest, &d.tcp, &d.udp, &d.sctp)
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
		if k, syn, ack, ok = d.cutTransport(ip); ok {
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
// lastIP is the type of the last IP header decoded: its addresses are the flow's.
func (d *decoder) cutTransport(lastIP gopacket.LayerType) (k flowKey, syn, ack, ok bool) {
	src, dst, failed := d.ip4.SrcIP, d.ip4.DstIP, d.ip4.failed
	if lastIP == layers.LayerTypeIPv6 {
		src, dst, failed = d.ip6.SrcIP, d.ip6.DstIP, d.ip6.failed
	}
	var ip gopacket.DecodingLayer
	switch last := d.decoded[len(d.decoded)-1]; last {
	case layers.LayerTypeIPv4, layers.LayerTypeIPv6:
		ip = &d.ip4
		if last == layers.LayerTypeIPv6 {
			ip = &d.ip6
		}
	case layers.LayerTypeIPv6HopByHop:
		ip, failed = &d.hop, failed || d.hop.failed
	case layers.LayerTypeIPv6Routing:
		ip, failed = &d.routing, failed || d.routing.failed
	case layers.LayerTypeIPv6Destination:
		ip, failed = &d.dest, failed || d.dest.failed
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
