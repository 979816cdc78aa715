package apply

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/zonesim/zonesim/pkg/lab"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/probe"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// ZoneBackend is a backend that can stand up the networks around the cluster a scenario describes:
// external endpoints, the egress SNAT of each zone, egress firewalls, the perimeter and allowlists.
type ZoneBackend interface {
	SetupZones(ctx context.Context, z ZoneSetup) error
	TeardownZones(ctx context.Context) error
	// ZonesRun is the run whose zone networks the backend holds, or "".
	ZonesRun() string
	// Sources lists, per "PROTO/port", the addresses an external endpoint saw connections from.
	Sources(ctx context.Context, external string) (map[string][]netip.Addr, error)
}

// ZoneSetup is what a ZoneBackend runs: external endpoints and host rules, as iptables argument lists.
type ZoneSetup struct {
	RunID     string
	Externals []ExternalSetup
	NAT       [][]string // POSTROUTING: egress SNAT
	Filter    [][]string // FORWARD: egress firewalls (DROP or RETURN only)
}

// ExternalSetup is one endpoint: its address and DNS names, ports (the TLS ones among TCP: those probes
// handshake on), and INPUT rules (perimeter, then allowlist); the lab runs it as it is.
type ExternalSetup = lab.ExternalSpec

// ProbeExternal is an external endpoint of the scenario the run probes.
type ProbeExternal struct {
	Name  string
	IP    netip.Addr
	Ports []Port
	ext   *model.External
}

// externals lists the scenario's endpoints with an address, and the ports probed on each.
func externals(c *model.Cluster, ports []Port) []ProbeExternal {
	if c.Scenario == nil {
		return nil
	}
	var out []ProbeExternal
	for _, x := range c.Scenario.Externals {
		if len(x.Addresses) == 0 || !x.Addresses[0].Addr().Is4() {
			continue
		}
		pe := ProbeExternal{Name: x.Name, IP: x.Addresses[0].Addr(), ext: x}
		for _, pr := range x.Ports {
			if pr.Hi-pr.Lo < 4 {
				for p := pr.Lo; p <= pr.Hi; p++ {
					pe.Ports = append(pe.Ports, Port{pr.Protocol, p})
				}
			} else {
				pe.Ports = append(pe.Ports, Port{pr.Protocol, pr.Lo}, Port{pr.Protocol, pr.Hi})
			}
		}
		if len(pe.Ports) == 0 {
			pe.Ports = ports
		}
		out = append(out, pe)
	}
	return out
}

// zoneSetup derives what the zone networks do from the scenario and the engine's model of it: each pod's
// egress identity (SNAT), each namespace's EgressFirewall, and each endpoint's perimeter and allowlist.
func zoneSetup(e *simulate.Engine, plan *Plan, exts []ProbeExternal) ZoneSetup {
	z := ZoneSetup{RunID: plan.RunID}
	sc := e.Cluster.Scenario
	for _, x := range exts {
		es := ExternalSetup{Name: x.Name, IP: x.IP, DNSNames: x.ext.DNSNames, Input: inputRules(e, sc, x)}
		for _, p := range x.Ports {
			switch p.Protocol {
			case "TCP":
				es.TCP = append(es.TCP, int(p.Port))
				if slices.Contains(probe.DefaultTLSPorts, p.Port) {
					es.TLS = append(es.TLS, int(p.Port))
				}
			case "UDP":
				es.UDP = append(es.UDP, int(p.Port))
			}
		}
		z.Externals = append(z.Externals, es)
	}
	for _, pod := range e.Cluster.Pods {
		src, dropped, ok := e.EgressSource(pod)
		for _, x := range exts {
			dst := x.IP.String() + "/32"
			switch {
			case dropped:
				z.Filter = append(z.Filter, []string{"-s", pod.IP.String() + "/32", "-d", dst, "-j", "DROP"})
			case ok && src != pod.IP:
				z.NAT = append(z.NAT, []string{"-s", pod.IP.String() + "/32", "-d", dst, "-j", "SNAT", "--to-source", src.String()})
			}
			z.Filter = append(z.Filter, firewallRules(e, pod, x)...)
		}
	}
	return z
}

func portArgs(proto model.Protocol, lo, hi int32) []string {
	args := []string{"-p", strings.ToLower(string(proto))}
	if lo == 1 && hi == 65535 {
		return args
	}
	if lo == hi {
		return append(args, "--dport", strconv.Itoa(int(lo)))
	}
	return append(args, "--dport", fmt.Sprintf("%d:%d", lo, hi))
}

// firewallRules are the pod namespace's EgressFirewall rules that can match this endpoint, in order
// (EF-3: first match per port; Allow returns to the rest of FORWARD, Deny drops).
func firewallRules(e *simulate.Engine, pod *model.Pod, x ProbeExternal) [][]string {
	ef := e.Cluster.EgressFirewallOf(pod.Namespace)
	if ef == nil || pod.HostNetwork {
		return nil
	}
	var out [][]string
	base := []string{"-s", pod.IP.String() + "/32", "-d", x.IP.String() + "/32"}
	for _, r := range ef.Rules {
		match := r.CIDR.IsValid() && r.CIDR.Contains(x.IP)
		for _, n := range x.ext.DNSNames {
			match = match || r.DNSName != "" && simulate.DNSMatches(r.DNSName, n)
		}
		if !match {
			continue
		}
		action := "DROP"
		if r.Allow {
			action = "RETURN"
		}
		if len(r.Ports) == 0 {
			out = append(out, append(append([]string{}, base...), "-j", action))
			continue
		}
		for _, fp := range r.Ports {
			lo, hi := fp.Port, fp.Port
			if fp.Port == 0 {
				lo, hi = 1, 65535
			}
			out = append(out, append(append(append([]string{}, base...), portArgs(fp.Protocol, lo, hi)...), "-j", action))
		}
	}
	return out
}

// zoneCIDRs are the addresses of a zone: its node networks, egress ranges and VIPs (as ZoneOfIP sees them).
func zoneCIDRs(z *model.Zone) []string {
	var out []string
	for _, p := range append(append([]netip.Prefix{}, z.NodeNetworks...), z.EgressRanges...) {
		out = append(out, p.String())
	}
	for _, v := range z.IngressVIPs {
		out = append(out, v.String()+"/32")
	}
	return out
}

// inputRules are the endpoint's INPUT chain: replies pass; then the perimeter rules whose destination
// holds the endpoint, first match per port; then the endpoint's allowlist (OB-3).
func inputRules(e *simulate.Engine, sc *model.Scenario, x ProbeExternal) [][]string {
	rules := [][]string{
		{"-A", "INPUT", "-i", "lo", "-j", "ACCEPT"},
		{"-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"},
		{"-N", "ZS-ALLOW"},
	}
	for _, a := range x.ext.AcceptsFrom {
		rules = append(rules, []string{"-A", "ZS-ALLOW", "-s", a.String(), "-j", "ACCEPT"})
	}
	if len(x.ext.AcceptsFrom) > 0 {
		rules = append(rules, []string{"-A", "ZS-ALLOW", "-j", "DROP"})
	} else {
		rules = append(rules, []string{"-A", "ZS-ALLOW", "-j", "ACCEPT"})
	}
	if !sc.Perimeter.Declared {
		return append(rules, []string{"-A", "INPUT", "-j", "ZS-ALLOW"})
	}
	target := func(allow bool) string {
		if allow {
			return "ZS-ALLOW"
		}
		return "DROP"
	}
	for i, r := range sc.Perimeter.Rules {
		if !e.PerimeterMatch(r.To, x.IP) {
			continue
		}
		var ports [][]string
		for _, pr := range r.Ports {
			ports = append(ports, portArgs(pr.Protocol, pr.Lo, pr.Hi))
		}
		if len(ports) == 0 {
			ports = [][]string{nil}
		}
		for _, from := range r.From {
			var sources []string
			switch {
			case from == "any":
				sources = []string{""}
			case from == "outside":
				chain := "ZS-OUT-" + strconv.Itoa(i)
				rules = append(rules, []string{"-N", chain})
				for _, z := range sc.Zones {
					for _, c := range zoneCIDRs(z) {
						rules = append(rules, []string{"-A", chain, "-s", c, "-j", "RETURN"})
					}
				}
				rules = append(rules, []string{"-A", chain, "-j", target(r.Allow)})
				for _, pa := range ports {
					rules = append(rules, append(append([]string{"-A", "INPUT"}, pa...), "-j", chain))
				}
				continue
			case strings.HasPrefix(from, "zone:"):
				if z := sc.Zone(strings.TrimPrefix(from, "zone:")); z != nil {
					sources = zoneCIDRs(z)
				}
			case strings.HasPrefix(from, "ext:"):
				if ext := sc.External(strings.TrimPrefix(from, "ext:")); ext != nil {
					for _, a := range ext.Addresses {
						sources = append(sources, a.String())
					}
				}
			default:
				sources = []string{from}
			}
			for _, src := range sources {
				for _, pa := range ports {
					rule := []string{"-A", "INPUT"}
					if src != "" {
						rule = append(rule, "-s", src)
					}
					rules = append(rules, append(append(rule, pa...), "-j", target(r.Allow)))
				}
			}
		}
	}
	return append(rules, []string{"-A", "INPUT", "-j", target(sc.Perimeter.DefaultAllow)})
}

// sortedStrings lists a set in order, empty rather than nil (the JSON shows [] for an empty list).
func sortedStrings(set map[string]bool) []string {
	return append([]string{}, slices.Sorted(maps.Keys(set))...)
}
