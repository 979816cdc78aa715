// Package capture turns a packet capture, or a flow log, into the connections it shows. It reads classic
// pcap and pcapng files (gzip-compressed or not) whose packets are Ethernet, Linux cooked (SLL) or raw
// IPv4/IPv6, and it needs no libpcap; and OVN-Kubernetes ACL audit logs and CSV flow logs (logs.go).
//
// A flow is one connection attempt from a source address to a destination port: a TCP SYN, or the first
// UDP or SCTP datagram of a 5-tuple. It is answered when the other side replied (a SYN-ACK, or a
// datagram back). Flows that differ only in their source port are reported as one, since policy does
// not look at source ports.
package capture

import (
	"bufio"
	"cmp"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Flow is one connection a capture shows: who opened it, to which port, and whether it was answered.
type Flow struct {
	Src      netip.Addr `json:"src"`
	Dst      netip.Addr `json:"dst"`
	Protocol string     `json:"protocol"` // "TCP", "UDP" or "SCTP"
	Port     int32      `json:"port"`
	Packets  int        `json:"packets"`  // packets, or log lines
	Answered bool       `json:"answered"` // TCP: a SYN-ACK came back; UDP/SCTP: a datagram came back; a log: allowed
	// Logged is a flow log's verdict, allow or drop; empty for a capture, which shows answers instead.
	Logged string `json:"logged,omitempty"`
	// ACL is the OVN ACL that logged the flow (NP:namespace:policy:Ingress:0, EF:namespace:0, ANP:name:Egress:1, ...).
	ACL string `json:"acl,omitempty"`
}

// maxSnaplen is the largest packet tcpdump and Wireshark accept. A pcap header's own snap length is
// not trusted: some writers get it wrong, and a corrupt one would make the reader allocate gigabytes.
const maxSnaplen = 262144

var errNotCapture = errors.New("not a pcap or pcapng capture")

// ReadFlows reads a pcap or pcapng capture (detected from the magic number; Wireshark and dumpcap
// write pcapng by default) into flows, sorted by source, destination, protocol and port. TCP
// connections already open when the capture started are not counted. A capture that ends mid-packet
// (still being written, or cut short) is read up to where it ends.
func ReadFlows(r io.Reader) (flows []Flow, err error) {
	n := 0 // packets read so far
	defer func() {
		// pcapgo trusts the header fields it reads (a timestamp resolution of 10^-64 s divides by
		// zero): a corrupt capture must be an error, not a crash of the caller.
		if v := recover(); v != nil {
			flows, err = nil, fmt.Errorf("malformed capture at packet %d: %v", n+1, v)
		}
	}()
	next, err := open(r)
	if err != nil {
		return nil, err
	}
	t := newTracker(maxConns)
	d := newDecoder()
	for ; ; n++ {
		data, lt, err := next()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("packet %d: %w", n+1, err)
		}
		k, syn, ack, ok, err := d.key(data, lt)
		if err != nil {
			return nil, err
		}
		if ok {
			t.track(k, syn, ack)
		}
	}
	return t.result(), nil
}

// open detects the capture format and returns a function reading its packets one by one, each with
// the link type to decode it with.
func open(r io.Reader) (func() ([]byte, layers.LinkType, error), error) {
	br := bufio.NewReader(r)
	if head, _ := br.Peek(2); isGzip(head) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errNotCapture, err)
		}
		br = bufio.NewReader(zr)
	}
	magic, _ := br.Peek(4)
	if len(magic) < 4 {
		return nil, errNotCapture
	}
	switch m := binary.LittleEndian.Uint32(magic); {
	case m == ngSection: // pcapng's Section Header Block, the same in either byte order
		opts := pcapgo.DefaultNgReaderOptions
		// Without it, packets of interfaces whose link type differs from the first are silently dropped.
		opts.WantMixedLinkType = true
		nr, err := pcapgo.NewNgReader(&ngBlocks{r: br}, opts)
		if err != nil {
			return nil, fmt.Errorf("reading pcapng header: %w", err)
		}
		return func() ([]byte, layers.LinkType, error) {
			data, ci, err := nr.ZeroCopyReadPacketData()
			if err != nil {
				return nil, 0, err
			}
			intf, err := nr.Interface(ci.InterfaceIndex)
			return data, intf.LinkType, err
		}, nil
	case slices.Contains(pcapMagics, m):
		// pcapgo keeps only the low byte of the link type: LINKTYPE_LINUX_SLL2 (276) would pass for 20,
		// and 257 for Ethernet. The upper 16 bits of the field are FCS flags, not the link type.
		var full uint32
		if hdr, _ := br.Peek(24); len(hdr) == 24 {
			var order binary.ByteOrder = binary.BigEndian
			if m == 0xa1b2c3d4 || m == 0xa1b23c4d {
				order = binary.LittleEndian
			}
			full = order.Uint32(hdr[20:24]) & 0xffff
		}
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("reading pcap header: %w", err)
		}
		lt := pr.LinkType()
		if full != uint32(lt) {
			return nil, unsupported(full)
		}
		if _, err := linkDecoder(lt); err != nil {
			return nil, err
		}
		pr.SetSnaplen(maxSnaplen)
		return func() ([]byte, layers.LinkType, error) {
			data, _, err := pr.ZeroCopyReadPacketData()
			return data, lt, err
		}, nil
	}
	return nil, errNotCapture
}

// pcapMagics are the magic numbers of classic pcap, read little-endian: microsecond and nanosecond
// timestamps, in either byte order.
var pcapMagics = []uint32{0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1}

// isCapture says whether data begins as a pcap or pcapng file does.
func isCapture(head []byte) bool {
	if len(head) < 4 {
		return false
	}
	m := binary.LittleEndian.Uint32(head)
	return m == ngSection || slices.Contains(pcapMagics, m)
}

// isGzip says whether data begins as a gzip stream does.
func isGzip(head []byte) bool { return len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b }

// pcapng block types (the Section Header Block reads the same in either byte order).
const (
	ngSection        = 0x0a0d0d0a
	ngInterface      = 1
	ngPacket         = 2 // obsolete, but still read
	ngSimplePacket   = 3
	ngEnhancedPacket = 6
)

// maxBlock bounds the pcapng blocks handed to pcapgo: a packet of maxSnaplen and its options.
const maxBlock = 1 << 20

// ngBlocks hands pcapgo a pcapng stream one checked block at a time. pcapgo sizes a packet's buffer
// from the length in its header before reading it, so a corrupt length would allocate gigabytes; and
// it trusts that length to stay inside the block. Blocks that do not bear on packets (statistics,
// name resolution, secrets, custom) are dropped unread, whatever their size.
type ngBlocks struct {
	r     *bufio.Reader
	order binary.ByteOrder
	block []byte // what is left of the current block
}

func (b *ngBlocks) Read(p []byte) (int, error) {
	for len(b.block) == 0 {
		if err := b.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, b.block)
	b.block = b.block[n:]
	return n, nil
}

func (b *ngBlocks) next() error {
	hdr, _ := b.r.Peek(12)
	if len(hdr) < 8 {
		return io.EOF // a capture cut short ends where its last whole block does
	}
	if binary.LittleEndian.Uint32(hdr) == ngSection && len(hdr) == 12 {
		switch binary.BigEndian.Uint32(hdr[8:]) {
		case 0x1a2b3c4d:
			b.order = binary.BigEndian
		case 0x4d3c2b1a:
			b.order = binary.LittleEndian
		default:
			return errors.New("pcapng section header: bad byte-order magic")
		}
	}
	if b.order == nil {
		return errors.New("pcapng: no section header")
	}
	typ, length := b.order.Uint32(hdr), b.order.Uint32(hdr[4:8])
	if length < 12 {
		return fmt.Errorf("pcapng block of %d bytes", length)
	}
	switch typ {
	case ngSection, ngInterface, ngPacket, ngSimplePacket, ngEnhancedPacket:
	default:
		_, err := b.r.Discard(int(length))
		return err
	}
	if length > maxBlock {
		return fmt.Errorf("pcapng block of %d bytes", length)
	}
	block := make([]byte, length)
	if _, err := io.ReadFull(b.r, block); err != nil {
		return err
	}
	fits := true
	switch typ {
	case ngInterface:
		if length < 20 {
			return fmt.Errorf("pcapng interface block of %d bytes", length)
		}
		// pcapgo keeps only the low byte of the link type, as for pcap.
		if lt := b.order.Uint16(block[8:10]); lt > 0xff {
			return unsupported(uint32(lt))
		}
		// pcapgo sizes its packet buffer from the interface's snap length (up to 4 GB in a corrupt file):
		// no packet is longer than maxSnaplen here, as for pcap.
		if b.order.Uint32(block[12:16]) > maxSnaplen {
			b.order.PutUint32(block[12:16], maxSnaplen)
		}
	case ngPacket, ngEnhancedPacket:
		fits = length >= 32 && b.order.Uint32(block[20:24]) <= length-32
	case ngSimplePacket:
		// It stores only the original length, which pcapgo cuts to the snap length.
		fits = length >= 16 && b.order.Uint32(block[8:12]) <= max(length-16, maxSnaplen)
	}
	if !fits {
		return fmt.Errorf("pcapng packet block of %d bytes holds less than it claims", length)
	}
	b.block = block
	return nil
}

// linkDecoder is where gopacket starts decoding a packet of the given link type.
func linkDecoder(lt layers.LinkType) (gopacket.Decoder, error) {
	switch lt {
	case layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeRaw:
		return lt, nil // a link type decodes itself; raw IP by its version nibble
	case layers.LinkTypeIPv4:
		return layers.LayerTypeIPv4, nil
	case layers.LinkTypeIPv6:
		return layers.LayerTypeIPv6, nil
	}
	return nil, unsupported(uint32(lt))
}

func unsupported(lt uint32) error {
	return fmt.Errorf("not supported: link type %d (Ethernet, Linux cooked and raw IP are)", lt)
}

type flowKey struct {
	src, dst     netip.Addr
	proto        string
	sport, dport uint16
}

func (k flowKey) reverse() flowKey { return flowKey{k.dst, k.src, k.proto, k.dport, k.sport} }

// maxConns bounds how many connections a tracker remembers to count their packets and see their answers:
// an answer comes within seconds, and the flows keep what the forgotten connections added up to.
const maxConns = 1 << 18

// tracker follows connections by 5-tuple and adds them up into flows by source, destination, protocol
// and port, which is what policy looks at. It forgets the oldest connections beyond maxConns, so reading a
// capture takes memory for its flows, not for its connections.
type tracker struct {
	conns map[flowKey]*Flow // a connection -> the flow it adds to
	ring  []flowKey         // the connections remembered, oldest at next once full
	next  int
	max   int
	flows map[mergeKey]*Flow
}

type mergeKey struct {
	src, dst netip.Addr
	proto    string
	port     int32
}

func newTracker(max int) *tracker {
	return &tracker{conns: map[flowKey]*Flow{}, flows: map[mergeKey]*Flow{}, max: max}
}

// track adds one packet.
func (t *tracker) track(k flowKey, syn, ack bool) {
	if k.proto == "TCP" {
		if syn && ack { // the answer to the connection the other way
			if f := t.conns[k.reverse()]; f != nil {
				f.Answered = true
			}
			return
		}
	} else if f := t.conns[k.reverse()]; f != nil {
		f.Answered = true
		return
	}
	if f := t.conns[k]; f != nil {
		f.Packets++
		return
	}
	if k.proto == "TCP" && !syn {
		return // a connection open before the capture began
	}
	mk := mergeKey{k.src, k.dst, k.proto, int32(k.dport)}
	f := t.flows[mk]
	if f == nil {
		f = &Flow{Src: k.src, Dst: k.dst, Protocol: k.proto, Port: int32(k.dport)}
		t.flows[mk] = f
	}
	f.Packets++
	t.conns[k] = f
	if len(t.ring) < t.max {
		t.ring = append(t.ring, k)
		return
	}
	delete(t.conns, t.ring[t.next])
	t.ring[t.next] = k
	t.next = (t.next + 1) % t.max
}

// result is the flows, sorted.
func (t *tracker) result() []Flow {
	var out []Flow
	for _, f := range t.flows {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Flow) int {
		return cmp.Or(a.Src.Compare(b.Src), a.Dst.Compare(b.Dst), cmp.Compare(a.Protocol, b.Protocol), cmp.Compare(a.Port, b.Port))
	})
	return out
}

// packetKey finds the packet's transport header and takes the addresses from the IP header that
// carries it, so that a tunnel (Geneve, VXLAN, IP in IP) never pairs outer addresses with inner ports.
// A transport layer gopacket keeps although its header was cut short has no ports: it is no flow. It
// decodes the packet whole, into new layers: the decoder's key does the same on the common
// encapsulations without allocating, and comes here for the others.
func packetKey(p gopacket.Packet) (k flowKey, syn, ack, ok bool) {
	for _, l := range p.Layers() {
		switch l := l.(type) {
		case *layers.IPv4:
			k.src, _ = netip.AddrFromSlice(l.SrcIP)
			k.dst, _ = netip.AddrFromSlice(l.DstIP)
		case *layers.IPv6:
			k.src, _ = netip.AddrFromSlice(l.SrcIP)
			k.dst, _ = netip.AddrFromSlice(l.DstIP)
		case *layers.TCP:
			k.proto, k.sport, k.dport = "TCP", uint16(l.SrcPort), uint16(l.DstPort)
			return k, l.SYN, l.ACK, k.src.IsValid() && k.dst.IsValid() && len(l.Contents) > 0
		case *layers.UDP:
			k.proto, k.sport, k.dport = "UDP", uint16(l.SrcPort), uint16(l.DstPort)
			return k, false, false, k.src.IsValid() && k.dst.IsValid() && len(l.Contents) > 0
		case *layers.SCTP:
			k.proto, k.sport, k.dport = "SCTP", uint16(l.SrcPort), uint16(l.DstPort)
			return k, false, false, k.src.IsValid() && k.dst.IsValid() && len(l.Contents) > 0
		}
	}
	return k, false, false, false
}
