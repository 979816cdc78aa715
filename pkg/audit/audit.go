// Package audit checks captured traffic against the model: every connection a pcap shows is looked up
// in the engine, and traffic that got through although the model denies it is a violation. A capture
// taken outside the cluster sees egress identities, not pods: a source address is then matched to the
// pods that leave with it (EgressIP, node IP).
package audit

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// Flow is one connection a capture shows: who opened it, to which port, and whether it was answered.
type Flow struct {
	Src      netip.Addr     `json:"src"`
	Dst      netip.Addr     `json:"dst"`
	Protocol model.Protocol `json:"protocol"`
	Port     int32          `json:"port"`
	Packets  int            `json:"packets"`
	// Answered: TCP, a SYN-ACK came back; UDP, a datagram came back.
	Answered bool `json:"answered"`
}

type flowKey struct {
	src, dst netip.Addr
	proto    model.Protocol
	sport    uint16
	dport    uint16
}

// ReadFlows reads a pcap file (Ethernet, Linux cooked or raw IP) into flows. TCP flows start at a SYN
// (connections already open when the capture started are not counted); a UDP flow starts at its first
// datagram, and a datagram the other way answers it.
func ReadFlows(r io.Reader) ([]Flow, error) {
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a pcap file: %w", err)
	}
	var first gopacket.LayerType
	switch pr.LinkType() {
	case layers.LinkTypeEthernet:
		first = layers.LayerTypeEthernet
	case layers.LinkTypeLinuxSLL:
		first = layers.LayerTypeLinuxSLL
	case layers.LinkTypeRaw, layers.LinkTypeIPv4:
		first = layers.LayerTypeIPv4
	default:
		return nil, fmt.Errorf("not supported: pcap link type %s (Ethernet, Linux cooked and raw IP are)", pr.LinkType())
	}
	flows := map[flowKey]*Flow{}
	var order []flowKey
	for {
		data, _, err := pr.ReadPacketData()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break // a capture still being written ends mid-packet
		}
		if err != nil {
			return nil, err
		}
		p := gopacket.NewPacket(data, first, gopacket.NoCopy)
		var src, dst netip.Addr
		if ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
		} else if ip, ok := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok {
			src, _ = netip.AddrFromSlice(ip.SrcIP)
			dst, _ = netip.AddrFromSlice(ip.DstIP)
		} else {
			continue
		}
		var k flowKey
		opens := false
		switch {
		case p.Layer(layers.LayerTypeTCP) != nil:
			tcp := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
			k = flowKey{src, dst, "TCP", uint16(tcp.SrcPort), uint16(tcp.DstPort)}
			if tcp.SYN && tcp.ACK { // the answer to the flow the other way
				if f := flows[k.reverse()]; f != nil {
					f.Answered = true
				}
				continue
			}
			opens = tcp.SYN
		case p.Layer(layers.LayerTypeUDP) != nil:
			udp := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
			k = flowKey{src, dst, "UDP", uint16(udp.SrcPort), uint16(udp.DstPort)}
			if f := flows[k.reverse()]; f != nil {
				f.Answered = true
				continue
			}
			opens = true
		case p.Layer(layers.LayerTypeSCTP) != nil:
			sctp := p.Layer(layers.LayerTypeSCTP).(*layers.SCTP)
			k = flowKey{src, dst, "SCTP", uint16(sctp.SrcPort), uint16(sctp.DstPort)}
			if f := flows[k.reverse()]; f != nil {
				f.Answered = true
				continue
			}
			opens = true
		default:
			continue
		}
		if f := flows[k]; f != nil {
			f.Packets++
			continue
		}
		if opens {
			flows[k] = &Flow{Src: src, Dst: dst, Protocol: k.proto, Port: int32(k.dport), Packets: 1}
			order = append(order, k)
		}
	}
	// One flow per (source, destination, protocol, port): source ports do not matter to policy.
	merged := map[[4]string]*Flow{}
	var out []Flow
	for _, k := range order {
		f := flows[k]
		mk := [4]string{f.Src.String(), f.Dst.String(), string(f.Protocol), fmt.Sprint(f.Port)}
		if m := merged[mk]; m != nil {
			m.Packets += f.Packets
			m.Answered = m.Answered || f.Answered
			continue
		}
		c := *f
		merged[mk] = &c
	}
	for _, f := range merged {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Src != b.Src {
			return a.Src.Less(b.Src)
		}
		if a.Dst != b.Dst {
			return a.Dst.Less(b.Dst)
		}
		if a.Protocol != b.Protocol {
			return a.Protocol < b.Protocol
		}
		return a.Port < b.Port
	})
	return out, nil
}

func (k flowKey) reverse() flowKey { return flowKey{k.dst, k.src, k.proto, k.dport, k.sport} }

// Verdict is what the model says of one observed flow.
type Verdict struct {
	Flow
	// From is who the model takes the source for: a pod, pods leaving with that egress identity, or an
	// address outside the cluster.
	From    string `json:"from"`
	To      string `json:"to"`
	Allowed bool   `json:"allowed"`
	// Status: "ok" (observed as modelled), "violation" (answered although denied), "unanswered"
	// (allowed, but nothing answered), "blocked" (denied, and not answered: as modelled).
	Status string `json:"status"`
	// Query reproduces the model's verdict.
	Query string `json:"query"`
}

// Check looks every flow up in the engine.
func Check(e *simulate.Engine, flows []Flow) []Verdict {
	identities := map[netip.Addr][]*model.Pod{} // egress identity -> the pods that leave with it
	for _, p := range e.Cluster.Pods {
		if ip, dropped, ok := e.EgressSource(p); ok && !dropped {
			identities[ip] = append(identities[ip], p)
		}
	}
	var out []Verdict
	for _, f := range flows {
		v := Verdict{Flow: f, From: f.Src.String(), To: f.Dst.String()}
		port := &simulate.PortSpec{Protocol: f.Protocol, Lo: f.Port, Hi: f.Port}
		dst, err := e.ResolveEndpoint(f.Dst.String())
		if err == nil {
			v.To = dst.Name
		}
		var sources []*simulate.Endpoint
		if src, err := e.ResolveEndpoint(f.Src.String()); err == nil && src.Kind == "pod" {
			sources = append(sources, src)
			v.From = src.Name
		} else if pods := identities[f.Src]; len(pods) > 0 && dst != nil && dst.Kind != "pod" {
			var names []string
			for _, p := range pods {
				if ep, err := e.ResolveEndpoint(p.Key()); err == nil {
					sources = append(sources, ep)
					names = append(names, p.Key())
				}
			}
			v.From = fmt.Sprintf("%s (egress identity of %s)", f.Src, strings.Join(names, ", "))
		} else if err == nil {
			sources = append(sources, src)
			v.From = src.Name
		}
		for _, src := range sources {
			if dst == nil {
				break
			}
			r, err := e.Query(src, dst, port, 1) // src is one pod or address: one pair, explained
			if err != nil {
				continue
			}
			query := fmt.Sprintf("zonesim query from %s to %s --port %s/%d", src.Name, f.Dst, strings.ToLower(string(f.Protocol)), f.Port)
			if v.Query == "" {
				v.Query = query
			}
			// Outside the cluster the source must also be the identity the pod leaves with.
			if r.Allowed && (len(identities[f.Src]) == 0 || len(r.Results) > 0 && r.Results[0].SourceIP == f.Src.String()) {
				v.Allowed, v.Query = true, query
				break
			}
		}
		switch {
		case v.Allowed && f.Answered:
			v.Status = "ok"
		case v.Allowed:
			v.Status = "unanswered"
		case f.Answered:
			v.Status = "violation"
		default:
			v.Status = "blocked"
		}
		out = append(out, v)
	}
	return out
}
