package lab

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DNSAddr is where the lab's name server listens (StartDNS).
const DNSAddr = "127.0.0.1:16453"

// ExternalState is an endpoint outside the cluster: a network namespace holding the endpoint's address,
// an agent serving its ports, and a pcap capture of what reaches it.
type ExternalState struct {
	Name     string `json:"name"`
	NetNS    string `json:"netns"`
	Veth     string `json:"veth"`
	IP       string `json:"ip"`
	Capture  string `json:"capture"`
	AgentPID int    `json:"agentPID"`
}

// Host chains the lab adds next to kube-router's: egress SNAT (nat) and egress firewalls (mangle FORWARD,
// traversed before kube-router's filter FORWARD). The egress chain only ever DROPs or RETURNs, so it can
// never let through what kube-router would drop. It is not in the filter table because kube-router
// rewrites that table whole (iptables-save, then iptables-restore without --noflush): a chain added between
// its save and its restore would vanish.
const (
	natChain    = "ZONESIM-SNAT"
	filterChain = "ZONESIM-EGRESS"
	filterTable = "mangle"
)

// ExternalSpec is an external endpoint to run.
type ExternalSpec struct {
	Name     string
	IP       netip.Addr
	DNSNames []string
	TCP, UDP []int
	// TLS are the TCP ports that complete a TLS handshake, with a certificate for DNSNames and IP signed by
	// the lab's externals CA (ExternalsCA).
	TLS []int
	// Input are iptables rules (without the leading "iptables") for the endpoint's INPUT chain, in order:
	// the perimeter firewall and the endpoint's allowlist as the scenario describes them.
	Input [][]string
}

// AddExternal runs an external endpoint: a network namespace with its address, reached through the host
// like a pod, with an agent serving its ports and capturing every packet that reaches it.
func (s *State) AddExternal(ctx context.Context, spec ExternalSpec) (ExternalState, error) {
	name, ip := spec.Name, spec.IP
	id := short("ext/" + name + "/" + ip.String())
	x := ExternalState{Name: name, NetNS: "zx-" + id, Veth: "zxv" + id, IP: ip.String(), Capture: filepath.Join(s.Dir, "capture-"+id+".pcap")}
	s.Externals = append(s.Externals, x)
	if err := s.save(); err != nil {
		return x, err
	}
	if err := wire(ctx, PodState{NetNS: x.NetNS, Veth: x.Veth, IP: x.IP}); err != nil {
		return x, err
	}
	self, err := Self()
	if err != nil {
		return x, err
	}
	args := []string{"netns", "exec", x.NetNS, self, "lab", "agent", "--tcp", joinInts(spec.TCP), "--udp", joinInts(spec.UDP),
		"--capture", x.Capture, "--iface", "eth0"}
	if len(spec.TLS) > 0 {
		cert, key, err := s.externalCert(id, spec.DNSNames, ip)
		if err != nil {
			return x, fmt.Errorf("certificate of %s: %w", name, err)
		}
		args = append(args, "--tls", joinInts(spec.TLS), "--cert", cert, "--key", key)
	}
	for _, rule := range spec.Input {
		if err := run(ctx, "ip", append([]string{"netns", "exec", x.NetNS, "iptables"}, rule...)...); err != nil {
			return x, err
		}
	}
	if x.AgentPID, err = s.startDetached("agent-"+x.NetNS, "the agent of "+name, "ip", args...); err != nil {
		return x, err
	}
	s.Externals[len(s.Externals)-1] = x
	return x, s.save()
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

// SetHostRules replaces the lab's host chains: nat rules run in POSTROUTING (egress SNAT), filter rules
// in FORWARD (egress firewalls; DROP or RETURN only). Each rule is an iptables argument list for its chain.
func (s *State) SetHostRules(ctx context.Context, nat, filter [][]string) error {
	for _, c := range []struct {
		table, chain, hook string
		rules              [][]string
	}{{"nat", natChain, "POSTROUTING", nat}, {filterTable, filterChain, "FORWARD", filter}} {
		if err := run(ctx, "iptables", "-t", c.table, "-N", c.chain); err != nil && !strings.Contains(err.Error(), "exists") {
			return err
		}
		if err := run(ctx, "iptables", "-t", c.table, "-F", c.chain); err != nil {
			return err
		}
		if err := run(ctx, "iptables", "-t", c.table, "-C", c.hook, "-j", c.chain); err != nil {
			if err := run(ctx, "iptables", "-t", c.table, "-I", c.hook, "1", "-j", c.chain); err != nil {
				return err
			}
		}
		for _, r := range c.rules {
			if err := run(ctx, "iptables", append([]string{"-t", c.table, "-A", c.chain}, r...)...); err != nil {
				return err
			}
		}
	}
	s.HostRules = true
	return s.save()
}

// removeHostRules deletes the lab's host chains and their jumps.
func removeHostRules(ctx context.Context) {
	for _, c := range [][3]string{{"nat", natChain, "POSTROUTING"}, {filterTable, filterChain, "FORWARD"}, {"filter", filterChain, "FORWARD"}} {
		for run(ctx, "iptables", "-t", c[0], "-D", c[2], "-j", c[1]) == nil {
		}
		_ = run(ctx, "iptables", "-t", c[0], "-F", c[1])
		_ = run(ctx, "iptables", "-t", c[0], "-X", c[1])
	}
}

// StartDNS runs the lab's name server on loopback (DNSAddr), answering the external endpoints' names with
// their addresses: the lab runs no cluster DNS, and probes resolve the names a scenario gives through it.
func (s *State) StartDNS(records map[string][]netip.Addr) error {
	killPID(s.DNSPID)
	self, err := Self()
	if err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(records))
	args := []string{"lab", "dns", "--listen", DNSAddr}
	for _, name := range names {
		for _, a := range records[name] {
			args = append(args, "--record", name+"="+a.String())
		}
	}
	if s.DNSPID, err = s.startDetached("dns", "the lab's name server", self, args...); err != nil {
		return err
	}
	if err := s.save(); err != nil {
		return err
	}
	return waitListening(context.Background(), DNSAddr, 10*time.Second, func() bool { return processAlive(s.DNSPID) })
}

// RemoveExternals stops the external endpoints and the name server and removes the endpoints'
// namespaces; captures stay until down.
func (s *State) RemoveExternals(ctx context.Context) error {
	var errs []string
	killPID(s.DNSPID)
	s.DNSPID = 0
	for _, x := range s.Externals {
		killPID(x.AgentPID)
		if err := run(ctx, "ip", "netns", "del", x.NetNS); err != nil && !strings.Contains(err.Error(), "No such file") {
			errs = append(errs, err.Error())
		}
	}
	s.Externals = nil
	removeHostRules(ctx)
	s.HostRules, s.ZonesRun = false, ""
	if err := s.save(); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("remove externals: %s", strings.Join(errs, "; "))
	}
	return nil
}

// SetZonesRun records the run the zone networks are for.
func (s *State) SetZonesRun(run string) error {
	s.ZonesRun = run
	return s.save()
}

// External returns the running external endpoint of that name.
func (s *State) External(name string) (ExternalState, bool) {
	for _, x := range s.Externals {
		if x.Name == name {
			return x, true
		}
	}
	return ExternalState{}, false
}
