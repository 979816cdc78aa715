package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Capture writes every packet seen on iface to a pcap file until ctx ends (pure Go: AF_PACKET through
// pcapgo, no libpcap).
func Capture(ctx context.Context, iface, file string) error {
	h, err := pcapgo.NewEthernetHandle(iface)
	if err != nil {
		return fmt.Errorf("capture on %s: %w", iface, err)
	}
	go func() {
		<-ctx.Done()
		h.Close()
	}()
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	for {
		data, ci, err := h.ReadPacketData()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := w.WritePacket(ci, data); err != nil {
			return err
		}
	}
}

// Sources reads a capture and returns, per "PROTO/port", the source addresses that opened a connection
// (a TCP SYN) or sent a datagram to it.
func Sources(file string) (map[string][]netip.Addr, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	seen := map[string]map[netip.Addr]bool{}
	for {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break // the agent may still be writing the last packet
		}
		if err != nil {
			return nil, err
		}
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.NoCopy)
		ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if !ok {
			continue
		}
		src, _ := netip.AddrFromSlice(ip.SrcIP.To4())
		key := ""
		if tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP); ok && tcp.SYN && !tcp.ACK {
			key = fmt.Sprintf("TCP/%d", tcp.DstPort)
		} else if udp, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
			key = fmt.Sprintf("UDP/%d", udp.DstPort)
		}
		if key == "" {
			continue
		}
		if seen[key] == nil {
			seen[key] = map[netip.Addr]bool{}
		}
		seen[key][src] = true
	}
	out := map[string][]netip.Addr{}
	for k, set := range seen {
		for a := range set {
			out[k] = append(out[k], a)
		}
		sort.Slice(out[k], func(i, j int) bool { return out[k][i].Less(out[k][j]) })
	}
	return out, nil
}
