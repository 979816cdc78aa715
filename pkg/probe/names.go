package probe

import (
	"context"
	"net"
	"net/netip"

	"github.com/miekg/dns"
)

// NameServer answers for the names of records only, with their addresses (A for IPv4, AAAA for IPv6) and
// authority; any other name is NXDOMAIN. It stands in for the resolver a namespace would use where there
// is none to ask (the lab runs no cluster DNS), so a probe's DNS check runs over real DNS messages.
func NameServer(records map[string][]netip.Addr) dns.Handler {
	byName := map[string][]netip.Addr{}
	for name, addrs := range records {
		byName[dns.CanonicalName(name)] = addrs
	}
	return dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		for _, question := range q.Question {
			addrs, ok := byName[dns.CanonicalName(question.Name)]
			if !ok {
				m.Rcode = dns.RcodeNameError
				continue
			}
			for _, a := range addrs {
				hdr := dns.RR_Header{Name: question.Name, Class: dns.ClassINET, Ttl: 30}
				switch {
				case question.Qtype == dns.TypeA && a.Is4():
					hdr.Rrtype = dns.TypeA
					m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: net.IP(a.AsSlice())})
				case question.Qtype == dns.TypeAAAA && a.Is6():
					hdr.Rrtype = dns.TypeAAAA
					m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr, AAAA: net.IP(a.AsSlice())})
				}
			}
		}
		_ = w.WriteMsg(m)
	})
}

// ServeNames serves NameServer(records) on addr, over UDP and TCP, until ctx ends.
func ServeNames(ctx context.Context, addr string, records map[string][]netip.Addr) error {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		pc.Close()
		return err
	}
	h := NameServer(records)
	servers := []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}}
	errc := make(chan error, len(servers))
	for _, s := range servers {
		go func() { errc <- s.ActivateAndServe() }()
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	for _, s := range servers {
		_ = s.Shutdown()
	}
	return err
}

// Resolver asks the DNS server at addr (host:port) instead of the system's.
func Resolver(addr string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}
