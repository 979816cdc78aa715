package capture

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Verdicts a flow log gives a flow.
const (
	LogAllow = "allow"
	LogDrop  = "drop"
)

// Format names what ReadAny read.
const (
	FormatCapture = "pcap"
	FormatACLLog  = "ovn-acl-log"
	FormatCSV     = "csv"
)

// ReadAny reads a packet capture, an OVN-Kubernetes ACL audit log or a CSV flow log, told apart by their
// first bytes, and says which it was.
func ReadAny(r io.Reader) ([]Flow, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, utf8BOM) {
		_, _ = br.Discard(3) // a spreadsheet's CSV export starts with one
	}
	head, _ := br.Peek(4096)
	switch {
	case len(bytes.TrimSpace(head)) == 0:
		return nil, "", nil // nothing was seen: no flows
	case isGzip(head), isCapture(head):
		flows, err := ReadFlows(br)
		return flows, FormatCapture, err
	case bytes.Contains(head, []byte("acl_log(")):
		flows, err := ReadACLLog(br)
		return flows, FormatACLLog, err
	case csvHeader(head):
		flows, err := ReadFlowCSV(br)
		return flows, FormatCSV, err
	}
	return nil, "", errors.New("not a pcap or pcapng capture, an OVN-Kubernetes ACL audit log (lines with acl_log(...)) " +
		"or a CSV flow log (a header line src,dst,proto,dport[,verdict])")
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

func csvHeader(head []byte) bool {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	cols := strings.Split(strings.ToLower(strings.TrimSpace(string(line))), ",")
	return len(cols) >= 4 && slices.Equal(cols[:4], []string{"src", "dst", "proto", "dport"})
}

// logKey is a flow of a log: policy does not look at source ports, so neither does the key.
type logKey struct {
	src, dst netip.Addr
	proto    string
	port     int32
	verdict  string
	acl      string
}

// collect counts log lines into flows, one per source, destination, protocol, port, verdict and ACL.
type collect map[logKey]*Flow

func (c collect) add(k logKey) {
	if f := c[k]; f != nil {
		f.Packets++
		return
	}
	c[k] = &Flow{Src: k.src, Dst: k.dst, Protocol: k.proto, Port: k.port, Packets: 1, Answered: k.verdict == LogAllow, Logged: k.verdict, ACL: k.acl}
}

func (c collect) flows() []Flow {
	out := make([]Flow, 0, len(c))
	for _, f := range c {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Flow) int {
		return cmp.Or(a.Src.Compare(b.Src), a.Dst.Compare(b.Dst), cmp.Compare(a.Protocol, b.Protocol), cmp.Compare(a.Port, b.Port),
			cmp.Compare(a.Logged, b.Logged), cmp.Compare(a.ACL, b.ACL))
	})
	return out
}

// ReadACLLog reads an OVN-Kubernetes ACL audit log (/var/log/ovn/acl-audit-log.log, or ovn-controller's
// log): one line per logged packet,
//
//	<time>|<serial>|acl_log(ovn_pinctrl0)|<level>|name="<ACL>", verdict=<allow|drop|reject|pass>, severity=<s>[, direction=<d>]: <proto>,...,nw_src=<ip>,nw_dst=<ip>,...,tp_dst=<port>[,tcp_flags=<flags>]
//
// with ipv6_src and ipv6_dst for IPv6. A pass verdict (an AdminNetworkPolicy handing the packet on) decides
// nothing and is skipped, as are lines of other loggers and packets without ports (ICMP, ARP). A line
// of the ACL logger that cannot be read is an error naming its line.
func ReadACLLog(r io.Reader) ([]Flow, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	flows := collect{}
	var errs []error
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		i := strings.Index(line, "acl_log(")
		if i < 0 {
			continue
		}
		k, ok, err := parseACLLine(line[i:])
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("line %d: %w", n, err))
		case ok:
			flows.add(k)
		}
		if len(errs) >= 20 {
			errs = append(errs, errors.New("stopped after 20 unreadable lines"))
			break
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	return flows.flows(), errors.Join(errs...)
}

// parseACLLine reads one acl_log line from its logger's name on; ok is false for a line that holds no
// decided flow with ports.
func parseACLLine(line string) (k logKey, ok bool, err error) {
	head, flow, found := strings.Cut(line, ": ")
	if !found {
		return k, false, errors.New("no ': ' before the packet's fields")
	}
	// The head: acl_log(...)|INFO|name="...", verdict=..., severity=..., direction=...
	_, attrs, _ := strings.Cut(head, "|name=")
	if attrs == "" {
		if _, attrs, _ = strings.Cut(head, "name="); attrs == "" {
			return k, false, errors.New("no name= (the ACL)")
		}
	}
	if strings.HasPrefix(attrs, `"`) {
		end := strings.Index(attrs[1:], `"`)
		if end < 0 {
			return k, false, errors.New("unterminated name")
		}
		k.acl, attrs = attrs[1:end+1], attrs[end+2:]
	} else {
		k.acl, attrs, _ = strings.Cut(attrs, ",")
	}
	var verdict string
	for _, a := range strings.Split(attrs, ",") {
		if v, found := strings.CutPrefix(strings.TrimSpace(a), "verdict="); found {
			verdict = strings.Trim(v, `"`)
		}
	}
	switch verdict {
	case "allow", "allow-related", "allow-stateless":
		k.verdict = LogAllow
	case "drop", "reject":
		k.verdict = LogDrop
	case "pass":
		return k, false, nil
	case "":
		return k, false, errors.New("no verdict=")
	default:
		return k, false, fmt.Errorf("unknown verdict %q (allow, drop, reject or pass)", verdict)
	}
	fields := strings.Split(strings.TrimSpace(flow), ",")
	switch fields[0] {
	case "tcp", "tcp6":
		k.proto = "TCP"
	case "udp", "udp6":
		k.proto = "UDP"
	case "sctp", "sctp6":
		k.proto = "SCTP"
	default:
		return k, false, nil // icmp, arp, ...: no port, no flow a policy port decides
	}
	var port string
	for _, f := range fields[1:] {
		name, v, _ := strings.Cut(f, "=")
		switch name {
		case "nw_src", "ipv6_src":
			if k.src, err = netip.ParseAddr(v); err != nil {
				return k, false, fmt.Errorf("%s: %w", name, err)
			}
		case "nw_dst", "ipv6_dst":
			if k.dst, err = netip.ParseAddr(v); err != nil {
				return k, false, fmt.Errorf("%s: %w", name, err)
			}
		case "tp_dst":
			port = v
		}
	}
	if !k.src.IsValid() || !k.dst.IsValid() || port == "" {
		return k, false, errors.New("the packet has no nw_src/ipv6_src, nw_dst/ipv6_dst or tp_dst")
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return k, false, fmt.Errorf("tp_dst %q: not a port", port)
	}
	k.port = int32(p)
	return k, true, nil
}

// ReadFlowCSV reads a generic flow log: a header line src,dst,proto,dport[,verdict], then one flow per
// line. proto is tcp, udp or sctp (any case; icmp lines are skipped); verdict, when given, is allow/accept/accepted/pass or
// drop/deny/denied/reject/rejected; a flow without one was seen, as a connection that got through.
// Every unreadable line is reported, with its number and column.
func ReadFlowCSV(r io.Reader) ([]Flow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("line 1: %w", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], string(utf8BOM))
	}
	if !csvHeader([]byte(strings.Join(header, ","))) {
		return nil, errors.New("line 1: the header must begin src,dst,proto,dport")
	}
	hasVerdict := len(header) > 4 && strings.EqualFold(strings.TrimSpace(header[4]), "verdict")
	flows := collect{}
	var errs []error
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, err) // a csv.ParseError names its line
			break
		}
		line, _ := cr.FieldPos(0)
		k, err := csvFlow(rec, hasVerdict)
		if errors.Is(err, errNoPorts) {
			continue // ICMP: no port a policy port decides, as in an ACL log
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", line, err))
			if len(errs) >= 20 {
				errs = append(errs, errors.New("stopped after 20 unreadable lines"))
				break
			}
			continue
		}
		flows.add(k)
	}
	return flows.flows(), errors.Join(errs...)
}

// errNoPorts marks a flow of a protocol without ports (ICMP), which no policy port decides.
var errNoPorts = errors.New("no ports")

func csvFlow(rec []string, hasVerdict bool) (k logKey, err error) {
	if len(rec) < 4 {
		return k, fmt.Errorf("%d column(s): src,dst,proto,dport are needed", len(rec))
	}
	if k.src, err = netip.ParseAddr(strings.TrimSpace(rec[0])); err != nil {
		return k, fmt.Errorf("src: %w", err)
	}
	if k.dst, err = netip.ParseAddr(strings.TrimSpace(rec[1])); err != nil {
		return k, fmt.Errorf("dst: %w", err)
	}
	switch p := strings.ToUpper(strings.TrimSpace(rec[2])); p {
	case "ICMP", "ICMP6", "ICMPV6", "1", "58":
		return k, errNoPorts
	case "TCP", "UDP", "SCTP":
		k.proto = p
	case "6":
		k.proto = "TCP"
	case "17":
		k.proto = "UDP"
	case "132":
		k.proto = "SCTP"
	default:
		return k, fmt.Errorf("proto %q: tcp, udp or sctp (or 6, 17, 132)", rec[2])
	}
	port, err := strconv.ParseUint(strings.TrimSpace(rec[3]), 10, 16)
	if err != nil || port == 0 {
		return k, fmt.Errorf("dport %q: a port from 1 to 65535", rec[3])
	}
	k.port = int32(port)
	k.verdict = LogAllow
	if hasVerdict && len(rec) > 4 {
		switch v := strings.ToLower(strings.TrimSpace(rec[4])); v {
		case "allow", "allowed", "accept", "accepted", "pass", "ok", "":
		case "drop", "dropped", "deny", "denied", "reject", "rejected", "block", "blocked":
			k.verdict = LogDrop
		default:
			return k, fmt.Errorf("verdict %q: allow/accept or drop/deny/reject", rec[4])
		}
	}
	return k, nil
}
