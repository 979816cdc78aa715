package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/zonesim/zonesim/pkg/capture"
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
	flows, err := capture.ReadFlows(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	out := map[string][]netip.Addr{}
	for _, fl := range flows { // sorted by source: so is each list
		key := fmt.Sprintf("%s/%d", fl.Protocol, fl.Port)
		if n := len(out[key]); n == 0 || out[key][n-1] != fl.Src {
			out[key] = append(out[key], fl.Src)
		}
	}
	return out, nil
}
