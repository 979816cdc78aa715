package model

import (
	"fmt"
	"io/fs"
	"net/netip"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ScenarioAPIVersion is the apiVersion of kind: Scenario (docs/scenario.md).
const ScenarioAPIVersion = "zonesim.dev/v1alpha1"

// Scenario is what manifests cannot say about a zoned cluster: zones and their networks, nodes, external
// endpoints, the perimeter firewall, and the zone contract a security team signs off.
type Scenario struct {
	Name        string
	Description string
	ZoneLabel   string
	Zones       []*Zone
	Externals   []*External
	Perimeter   Perimeter
	Contract    Contract
	// Probes are the probes that test egress paths continuously (OB-5); none declared means every
	// endpoint zonesim probe can reach is probed.
	Probes []*ProbeDef
	Source Source
}

// ProbeDef is one endpoint zonesim probe tests, for the flow from a namespace (optional).
type ProbeDef struct {
	Endpoint  string
	Namespace string
	Source    Source
}

// PullThrough names the namespaces that build or pull images and packages, and the proxies or mirrors
// they must go through (OB-6).
type PullThrough struct {
	Namespaces []string
	Endpoints  []string
	Source     Source
}

// Zone is a network zone (ZN-1).
type Zone struct {
	Name         string
	Description  string
	Trust        int
	NodeNetworks []netip.Prefix
	EgressRanges []netip.Prefix
	IngressVIPs  []netip.Addr
	StorageClass string
	// Namespaces are the application namespaces the design puts in the zone (render labels them).
	Namespaces []string
	Source     Source
}

// External is an endpoint outside the cluster: a SaaS API, a registry mirror, a zone service.
type External struct {
	Name        string
	Description string
	DNSNames    []string
	Addresses   []netip.Prefix
	Ports       []PortRange
	// AcceptsFrom is the endpoint's source allowlist (OB-3); empty accepts every source.
	AcceptsFrom []netip.Prefix
	// Zone places the endpoint in a zone's network; empty means outside the organization.
	Zone   string
	Source Source
}

// PortRange is a protocol and an inclusive port range; Lo 1 and Hi 65535 mean every port.
type PortRange struct {
	Protocol Protocol
	Lo, Hi   int32
}

func (p PortRange) String() string {
	switch {
	case p.Lo == 1 && p.Hi == 65535:
		return string(p.Protocol)
	case p.Lo == p.Hi:
		return fmt.Sprintf("%s/%d", p.Protocol, p.Lo)
	}
	return fmt.Sprintf("%s/%d-%d", p.Protocol, p.Lo, p.Hi)
}

// Perimeter is the firewall between zone networks and to the outside, on node-network traffic.
type Perimeter struct {
	// Declared is false when the scenario has no perimeter section: the networks are open to each other.
	Declared bool
	// DefaultAllow is the action when no rule matches (default deny).
	DefaultAllow bool
	Rules        []*PerimeterRule
}

// PerimeterRule is one ordered rule; the first that matches decides.
type PerimeterRule struct {
	Name   string
	From   []string // zone:Z, ext:name, outside, any, or a CIDR
	To     []string
	Ports  []PortRange // empty: every port
	Allow  bool
	Source Source
}

// Contract is the zone contract (ZN-*, OB-*).
type Contract struct {
	Flows              []*ContractFlow
	InboundZones       []string
	OutboundOnly       []*OutboundOnly
	Egress             []*EgressAllowance
	ComputeIsolation   bool
	StorageIsolation   bool
	PlatformNamespaces []string
	// NetworkPolicyWriters are the subjects allowed to write NetworkPolicies (ZN-10), as kind:name.
	NetworkPolicyWriters []string
	// PullThrough is where builds and pulls must go (OB-6); nil when the contract says nothing of it.
	PullThrough *PullThrough
	Source      Source
}

// ContractFlow allows a directed zone pair, optionally on ports only (ZN-3).
type ContractFlow struct {
	From, To string
	Ports    []PortRange
	Reason   string
	Source   Source
}

// OutboundOnly names a namespace nothing may connect into, but the listed exceptions (OB-1).
type OutboundOnly struct {
	Namespace  string
	Exceptions []string
	Reason     string
	Source     Source
}

// EgressAllowance lists the external endpoints a zone or namespace may reach (OB-2, OB-3).
type EgressAllowance struct {
	From   string // zone:Z or a namespace
	To     []string
	Reason string
	Source Source
}

// Zone returns the zone of that name; nil for an unknown name or no scenario.
func (s *Scenario) Zone(name string) *Zone {
	if s == nil {
		return nil
	}
	for _, z := range s.Zones {
		if z.Name == name {
			return z
		}
	}
	return nil
}

// ExternalList is the scenario's external endpoints; none without a scenario.
func (s *Scenario) ExternalList() []*External {
	if s == nil {
		return nil
	}
	return s.Externals
}

// External returns the external endpoint of that name; nil for an unknown name or no scenario.
func (s *Scenario) External(name string) *External {
	if s == nil {
		return nil
	}
	for _, x := range s.Externals {
		if x.Name == name {
			return x
		}
	}
	return nil
}

// The served shape of kind: Scenario; every field is checked like an API object's. The doc tags are the
// reference text of docs/scenario.md and the JSON Schema (ScenarioSchema).
type scenarioDoc struct {
	APIVersion string `json:"apiVersion" doc:"zonesim.dev/v1alpha1"`
	Kind       string `json:"kind" doc:"Scenario"`
	Metadata   struct {
		Name        string `json:"name" doc:"the scenario's name, shown in reports"`
		Description string `json:"description,omitempty" doc:"free text"`
	} `json:"metadata"`
	Spec struct {
		ZoneLabel string        `json:"zoneLabel,omitempty" doc:"namespace and node label naming the zone (default network-zone, ZN-1)"`
		Zones     []zoneDoc     `json:"zones" doc:"the network zones"`
		Nodes     []nodeDoc     `json:"nodes,omitempty" doc:"cluster nodes, each in a zone"`
		Externals []externalDoc `json:"externals,omitempty" doc:"endpoints outside the cluster: SaaS APIs, mirrors, partner services"`
		Perimeter *perimeterDoc `json:"perimeter,omitempty" doc:"the firewall between zone networks and to the outside; absent means open"`
		Contract  *contractDoc  `json:"contract,omitempty" doc:"what the security team signs off (ZN-*, OB-*)"`
		Probes    []struct {
			Endpoint  string `json:"endpoint" doc:"an external endpoint's name"`
			Namespace string `json:"namespace,omitempty" doc:"the namespace whose flow the probe stands for: its result is held against the model's verdict for it"`
		} `json:"probes,omitempty" doc:"the endpoints zonesim probe tests continuously (OB-5); default every endpoint with an address and a TCP port"`
		Include []string `json:"include,omitempty" doc:"manifest files or directories, relative to this file"`
		Objects []any    `json:"objects,omitempty" doc:"Kubernetes/OpenShift objects inline, read like included manifests"`
	} `json:"spec"`
}

type zoneDoc struct {
	Name         string   `json:"name" doc:"the zone's name, the value of the zone label"`
	Description  string   `json:"description,omitempty" doc:"free text"`
	Trust        int      `json:"trust,omitempty" doc:"trust level, higher is more trusted (informational)"`
	NodeNetworks []string `json:"nodeNetworks" doc:"CIDRs of the zone's node network"`
	EgressRanges []string `json:"egressRanges,omitempty" doc:"CIDRs the zone's egress IPs must come from (ZN-6)"`
	IngressVIPs  []string `json:"ingressVIPs,omitempty" doc:"load-balancer VIPs in front of the zone's routers (ZN-4)"`
	StorageClass string   `json:"storageClass,omitempty" doc:"the zone's storage class, for storage isolation (ZN-8)"`
	Namespaces   []string `json:"namespaces,omitempty" doc:"application namespaces of the zone; created with the zone label if not declared"`
}

type nodeDoc struct {
	Name   string            `json:"name" doc:"node name"`
	Zone   string            `json:"zone" doc:"the zone whose network the node is in"`
	Roles  []string          `json:"roles,omitempty" doc:"infra, router, egress (egress-assignable), worker or master"`
	IP     string            `json:"ip,omitempty" doc:"the node IP; default: the zone network's .11, .12, ..."`
	Labels map[string]string `json:"labels,omitempty" doc:"extra node labels"`
}

type externalDoc struct {
	Name        string   `json:"name" doc:"endpoint name; ext:<name> in queries"`
	Description string   `json:"description,omitempty" doc:"free text"`
	DNSNames    []string `json:"dnsNames,omitempty" doc:"DNS names, matched by EgressFirewall dnsName rules"`
	Addresses   []string `json:"addresses" doc:"IPs or CIDRs of the endpoint"`
	Ports       []string `json:"ports,omitempty" doc:"ports it listens on: tcp/443, udp/53, tcp/8000-8100; default all"`
	AcceptsFrom []string `json:"acceptsFrom,omitempty" doc:"source allowlist (IPs or CIDRs); empty accepts every source (OB-3)"`
	Zone        string   `json:"zone,omitempty" doc:"a zone whose network holds the endpoint; empty is outside the organization"`
}

type perimeterDoc struct {
	Default string `json:"default,omitempty" doc:"allow or deny (default) when no rule matches"`
	Rules   []struct {
		Name   string   `json:"name" doc:"rule name, shown in explanations"`
		From   []string `json:"from" doc:"zone:Z, ext:name, outside, any, or a CIDR"`
		To     []string `json:"to" doc:"zone:Z, ext:name, outside, any, or a CIDR"`
		Ports  []string `json:"ports,omitempty" doc:"tcp/443, udp/53, tcp/8000-8100; default all"`
		Action string   `json:"action" doc:"allow or deny"`
	} `json:"rules,omitempty" doc:"ordered rules; the first that matches a port decides"`
}

type contractDoc struct {
	Flows []struct {
		From   string   `json:"from" doc:"source zone"`
		To     string   `json:"to" doc:"destination zone"`
		Ports  []string `json:"ports,omitempty" doc:"allowed ports; default all"`
		Reason string   `json:"reason,omitempty" doc:"why the flow exists"`
	} `json:"flows,omitempty" doc:"allowed directed zone pairs (ZN-3); every other inter-zone flow is a violation"`
	InboundZones []string `json:"inboundZones,omitempty" doc:"the only zones traffic from outside may enter (ZN-4)"`
	OutboundOnly []struct {
		Namespace  string   `json:"namespace" doc:"the namespace"`
		Exceptions []string `json:"exceptions,omitempty" doc:"namespaces allowed to connect in anyway"`
		Reason     string   `json:"reason,omitempty" doc:"why"`
	} `json:"outboundOnly,omitempty" doc:"namespaces nothing may connect into (OB-1, OB-4)"`
	Egress []struct {
		From   string   `json:"from" doc:"zone:Z or a namespace"`
		To     []string `json:"to" doc:"external endpoint names"`
		Reason string   `json:"reason,omitempty" doc:"why"`
	} `json:"egress,omitempty" doc:"external endpoints a zone or namespace may reach (OB-2, OB-3)"`
	ComputeIsolation     bool     `json:"computeIsolation,omitempty" doc:"pods run only on their zone's nodes (ZN-7)"`
	StorageIsolation     bool     `json:"storageIsolation,omitempty" doc:"namespaces cannot claim other zones' storage classes (ZN-8)"`
	PlatformNamespaces   []string `json:"platformNamespaces,omitempty" doc:"glob patterns of namespaces exempt from zoning; default openshift-*, kube-*, default"`
	NetworkPolicyWriters []string `json:"networkPolicyWriters,omitempty" doc:"subjects allowed to write NetworkPolicies, as Kind:name (ZN-10)"`
	PullThrough          *struct {
		Namespaces []string `json:"namespaces" doc:"namespaces that build or pull images and packages"`
		Endpoints  []string `json:"endpoints" doc:"the cluster-wide proxies or mirrors (external endpoint names) they must reach instead of the internet"`
	} `json:"pullThrough,omitempty" doc:"builds and pulls go through a proxy or mirror only (OB-6)"`
}

// DefaultPlatformNamespaces are exempt from zoning unless the contract names others.
var DefaultPlatformNamespaces = []string{"openshift-*", "kube-*", "default"}

// scenarioLoader decodes one Scenario document, collecting problems with their lines.
type scenarioLoader struct {
	l    *Loader
	file string
	root *yaml.Node
}

func (s *scenarioLoader) err(path []any, msg string) {
	s.l.problem(s.file, lineAt(s.root, path...), fieldPath(path), msg)
}

// addScenario reads kind: Scenario; includes are read relative to the scenario's directory.
func (l *Loader) addScenario(file string, n *yaml.Node, path0 string) {
	var doc scenarioDoc
	before := len(l.probs)
	(&schemaChecker{file: file, probs: &l.probs, base: path0}).check(n, reflect.TypeOf(doc))
	if len(l.probs[before:].Errors()) > 0 {
		return
	}
	if err := decodeInto(n, &doc, nil); err != nil {
		l.problem(file, n.Line, path0, "cannot decode Scenario: "+err.Error())
		return
	}
	if l.cluster.Scenario != nil {
		prev := l.cluster.Scenario.Source
		l.problem(file, n.Line, path0, fmt.Sprintf("a second Scenario; only one is allowed per run (first at %s:%d)", prev.File, prev.Line))
		return
	}
	content, err := contentOf(n)
	if err != nil {
		l.problem(file, n.Line, path0, "cannot decode Scenario: "+err.Error())
		return
	}
	l.cluster.ScenarioContent = content
	s := &scenarioLoader{l: l, file: file, root: n}
	sc := &Scenario{Name: doc.Metadata.Name, Description: doc.Metadata.Description, ZoneLabel: doc.Spec.ZoneLabel, Source: Source{File: file, Line: n.Line}}
	if sc.Name == "" {
		s.err([]any{"metadata", "name"}, "required")
	}
	if sc.ZoneLabel == "" {
		sc.ZoneLabel = DefaultZoneLabel
	}
	zones := map[string]*Zone{}
	for i, z := range doc.Spec.Zones {
		p := []any{"spec", "zones", i}
		zone := &Zone{Name: z.Name, Description: z.Description, Trust: z.Trust, StorageClass: z.StorageClass, Namespaces: z.Namespaces,
			Source: Source{file, lineAt(n, p...)}}
		if z.Name == "" {
			s.err(extend(p, "name"), "required")
		} else if zones[z.Name] != nil {
			s.err(extend(p, "name"), fmt.Sprintf("duplicate zone %q", z.Name))
		}
		zones[z.Name] = zone
		if len(z.NodeNetworks) == 0 {
			s.err(extend(p, "nodeNetworks"), "required: at least one CIDR of the zone's node network")
		}
		zone.NodeNetworks = s.prefixes(extend(p, "nodeNetworks"), z.NodeNetworks)
		zone.EgressRanges = s.prefixes(extend(p, "egressRanges"), z.EgressRanges)
		for j, v := range z.IngressVIPs {
			a, err := netip.ParseAddr(v)
			if err != nil {
				s.err(extend(p, "ingressVIPs", j), fmt.Sprintf("invalid IP %q", v))
				continue
			}
			zone.IngressVIPs = append(zone.IngressVIPs, a)
		}
		sc.Zones = append(sc.Zones, zone)
	}
	s.nodes(doc.Spec.Nodes, zones, sc.ZoneLabel)
	s.externals(sc, doc.Spec.Externals, zones)
	s.perimeter(sc, doc.Spec.Perimeter, zones)
	s.contract(sc, doc.Spec.Contract, zones)
	for i, pr := range doc.Spec.Probes {
		p := []any{"spec", "probes", i}
		if pr.Endpoint == "" {
			s.err(extend(p, "endpoint"), "required")
		} else {
			s.checkEndpointName(extend(p, "endpoint"), "ext:"+strings.TrimPrefix(pr.Endpoint, "ext:"), zones, sc)
		}
		sc.Probes = append(sc.Probes, &ProbeDef{Endpoint: strings.TrimPrefix(pr.Endpoint, "ext:"), Namespace: pr.Namespace, Source: Source{s.file, lineAt(s.root, p...)}})
	}
	l.cluster.Scenario = sc
	if objs := mapGet(mapGet(n, "spec"), "objects"); objs != nil {
		for i, o := range objs.Content {
			l.addObject(file, o, fmt.Sprintf("spec.objects[%d]", i))
		}
	}
	for i, inc := range doc.Spec.Include {
		if l.cur.fsys == nil {
			s.err([]any{"spec", "include", i}, "not supported for a scenario read from stdin: give the scenario as a file")
			continue
		}
		target := path.Clean(path.Join(l.cur.dir, inc))
		if strings.HasPrefix(inc, "/") {
			target = strings.TrimPrefix(path.Clean(inc), "/")
		}
		if _, err := fs.Stat(l.cur.fsys, target); err != nil {
			s.err([]any{"spec", "include", i}, fmt.Sprintf("cannot read %q: %s", inc, unwrapPathError(err)))
			continue
		}
		cur := l.cur
		l.AddFS(cur.fsys, target, path.Join(path.Dir(file), inc))
		l.cur = cur
	}
}

func (s *scenarioLoader) prefixes(p []any, in []string) []netip.Prefix {
	var out []netip.Prefix
	for j, v := range in {
		if pr := s.l.prefix(s.file, s.root, extend(p, j), v); pr.IsValid() {
			out = append(out, pr)
		}
	}
	return out
}

// ParsePortRange reads tcp/443, 443, udp/53, tcp/8000-8100 or tcp (every TCP port).
func ParsePortRange(v string) (PortRange, error) {
	pr := PortRange{Protocol: "TCP", Lo: 1, Hi: 65535}
	rest := v
	if proto, r, ok := strings.Cut(v, "/"); ok {
		pr.Protocol, rest = Protocol(strings.ToUpper(proto)), r
	} else if _, err := strconv.Atoi(strings.Split(v, "-")[0]); err != nil {
		pr.Protocol, rest = Protocol(strings.ToUpper(v)), ""
	}
	switch pr.Protocol {
	case "TCP", "UDP", "SCTP":
	default:
		return pr, fmt.Errorf("invalid port %q: protocol must be tcp, udp or sctp", v)
	}
	if rest == "" {
		return pr, nil
	}
	lo, hi, isRange := strings.Cut(rest, "-")
	a, err1 := strconv.Atoi(lo)
	b := a
	var err2 error
	if isRange {
		b, err2 = strconv.Atoi(hi)
	}
	if err1 != nil || err2 != nil || a < 1 || b > 65535 || b < a {
		return pr, fmt.Errorf("invalid port %q: use tcp/443, udp/53, tcp/8000-8100 or tcp", v)
	}
	pr.Lo, pr.Hi = int32(a), int32(b)
	return pr, nil
}

func (s *scenarioLoader) ports(p []any, in []string) []PortRange {
	var out []PortRange
	for j, v := range in {
		pr, err := ParsePortRange(v)
		if err != nil {
			s.err(extend(p, j), err.Error())
			continue
		}
		out = append(out, pr)
	}
	return out
}

var nodeRoles = map[string]bool{"infra": true, "router": true, "egress": true, "worker": true, "master": true}

func (s *scenarioLoader) nodes(in []nodeDoc, zones map[string]*Zone, zoneLabel string) {
	next := map[string]netip.Addr{}
	for i, nd := range in {
		p := []any{"spec", "nodes", i}
		if nd.Name == "" {
			s.err(extend(p, "name"), "required")
			continue
		}
		zone := zones[nd.Zone]
		if zone == nil {
			s.err(extend(p, "zone"), fmt.Sprintf("unknown zone %q: the scenario declares %s", nd.Zone, zoneNames(zones)))
			continue
		}
		labels := copyLabels(nd.Labels)
		labels[zoneLabel] = nd.Zone
		labels["kubernetes.io/hostname"] = nd.Name
		for j, r := range nd.Roles {
			if !nodeRoles[r] {
				s.err(extend(p, "roles", j), fmt.Sprintf("unknown role %q: use infra, router, egress, worker or master", r))
				continue
			}
			labels["node-role.kubernetes.io/"+r] = ""
			if r == "egress" {
				labels[EgressAssignableLabel] = ""
			}
		}
		node := &Node{Name: nd.Name, Labels: labels, Zone: nd.Zone, Source: Source{s.file, lineAt(s.root, p...)}}
		if nd.IP != "" {
			node.IP = s.l.addr(s.file, s.root, extend(p, "ip"), nd.IP)
			if node.IP.IsValid() && !ContainsAddr(zone.NodeNetworks, node.IP) {
				s.err(extend(p, "ip"), fmt.Sprintf("%s is outside zone %s's node networks %v", node.IP, zone.Name, zone.NodeNetworks))
			}
		} else if len(zone.NodeNetworks) > 0 {
			cur, ok := next[zone.Name]
			if !ok {
				cur = zone.NodeNetworks[0].Masked().Addr()
				for k := 0; k < 10; k++ { // nodes from .11 on, leaving the first addresses to gateways and VIPs
					cur = cur.Next()
				}
			}
			cur = cur.Next()
			next[zone.Name] = cur
			node.IP = cur
		}
		s.l.cluster.Nodes = append(s.l.cluster.Nodes, node)
	}
}

// ContainsAddr reports whether any of the prefixes holds a.
func ContainsAddr(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func zoneNames(zones map[string]*Zone) string {
	var names []string
	for n := range zones {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (s *scenarioLoader) externals(sc *Scenario, in []externalDoc, zones map[string]*Zone) {
	seen := map[string]bool{}
	for i, e := range in {
		p := []any{"spec", "externals", i}
		ext := &External{Name: e.Name, Description: e.Description, DNSNames: e.DNSNames, Zone: e.Zone, Source: Source{s.file, lineAt(s.root, p...)}}
		switch {
		case e.Name == "":
			s.err(extend(p, "name"), "required")
		case e.Name == "internet" || e.Name == "outside":
			s.err(extend(p, "name"), fmt.Sprintf("%q is built in; name the endpoint itself", e.Name))
		case seen[e.Name]:
			s.err(extend(p, "name"), fmt.Sprintf("duplicate external %q", e.Name))
		}
		seen[e.Name] = true
		if e.Zone != "" && zones[e.Zone] == nil {
			s.err(extend(p, "zone"), fmt.Sprintf("unknown zone %q: the scenario declares %s", e.Zone, zoneNames(zones)))
		}
		if len(e.Addresses) == 0 {
			s.err(extend(p, "addresses"), "required: the endpoint's IPs or CIDRs")
		}
		ext.Addresses = s.prefixes(extend(p, "addresses"), e.Addresses)
		ext.AcceptsFrom = s.prefixes(extend(p, "acceptsFrom"), e.AcceptsFrom)
		ext.Ports = s.ports(extend(p, "ports"), e.Ports)
		sc.Externals = append(sc.Externals, ext)
	}
}

// checkEndpointName validates a perimeter/contract endpoint: zone:Z, ext:name, outside, any, or a CIDR.
func (s *scenarioLoader) checkEndpointName(p []any, v string, zones map[string]*Zone, sc *Scenario) {
	switch {
	case v == "outside" || v == "any":
	case strings.HasPrefix(v, "zone:"):
		if zones[strings.TrimPrefix(v, "zone:")] == nil {
			s.err(p, fmt.Sprintf("unknown zone in %q: the scenario declares %s", v, zoneNames(zones)))
		}
	case strings.HasPrefix(v, "ext:"):
		for _, e := range sc.Externals {
			if "ext:"+e.Name == v {
				return
			}
		}
		s.err(p, fmt.Sprintf("unknown external endpoint %q", v))
	default:
		if _, err := netip.ParsePrefix(v); err == nil {
			return
		}
		if _, err := netip.ParseAddr(v); err == nil {
			return
		}
		s.err(p, fmt.Sprintf("%q is not zone:Z, ext:name, outside, any or a CIDR", v))
	}
}

func (s *scenarioLoader) perimeter(sc *Scenario, in *perimeterDoc, zones map[string]*Zone) {
	if in == nil {
		sc.Perimeter.DefaultAllow = true // no perimeter declared: the networks are open to each other
		return
	}
	sc.Perimeter.Declared = true
	switch in.Default {
	case "", "deny":
	case "allow":
		sc.Perimeter.DefaultAllow = true
	default:
		s.err([]any{"spec", "perimeter", "default"}, fmt.Sprintf("unsupported value %q: must be allow or deny", in.Default))
	}
	for i, r := range in.Rules {
		p := []any{"spec", "perimeter", "rules", i}
		rule := &PerimeterRule{Name: r.Name, From: r.From, To: r.To, Source: Source{s.file, lineAt(s.root, p...)}}
		switch r.Action {
		case "allow":
			rule.Allow = true
		case "deny":
		default:
			s.err(extend(p, "action"), fmt.Sprintf("unsupported value %q: must be allow or deny", r.Action))
		}
		if len(r.From) == 0 || len(r.To) == 0 {
			s.err(p, "from and to are required (use any for every address)")
		}
		for j, v := range r.From {
			s.checkEndpointName(extend(p, "from", j), v, zones, sc)
		}
		for j, v := range r.To {
			s.checkEndpointName(extend(p, "to", j), v, zones, sc)
		}
		rule.Ports = s.ports(extend(p, "ports"), r.Ports)
		sc.Perimeter.Rules = append(sc.Perimeter.Rules, rule)
	}
}

func (s *scenarioLoader) contract(sc *Scenario, in *contractDoc, zones map[string]*Zone) {
	sc.Contract.PlatformNamespaces = DefaultPlatformNamespaces
	if in == nil {
		return
	}
	c := &sc.Contract
	c.Source = Source{s.file, lineAt(s.root, "spec", "contract")}
	zoneRef := func(p []any, z string) {
		if zones[z] == nil {
			s.err(p, fmt.Sprintf("unknown zone %q: the scenario declares %s", z, zoneNames(zones)))
		}
	}
	for i, f := range in.Flows {
		p := []any{"spec", "contract", "flows", i}
		zoneRef(extend(p, "from"), f.From)
		zoneRef(extend(p, "to"), f.To)
		c.Flows = append(c.Flows, &ContractFlow{From: f.From, To: f.To, Ports: s.ports(extend(p, "ports"), f.Ports), Reason: f.Reason,
			Source: Source{s.file, lineAt(s.root, p...)}})
	}
	for i, z := range in.InboundZones {
		zoneRef([]any{"spec", "contract", "inboundZones", i}, z)
	}
	c.InboundZones = in.InboundZones
	for i, o := range in.OutboundOnly {
		p := []any{"spec", "contract", "outboundOnly", i}
		if o.Namespace == "" {
			s.err(extend(p, "namespace"), "required")
		}
		c.OutboundOnly = append(c.OutboundOnly, &OutboundOnly{Namespace: o.Namespace, Exceptions: o.Exceptions, Reason: o.Reason,
			Source: Source{s.file, lineAt(s.root, p...)}})
	}
	for i, e := range in.Egress {
		p := []any{"spec", "contract", "egress", i}
		if strings.HasPrefix(e.From, "zone:") {
			zoneRef(extend(p, "from"), strings.TrimPrefix(e.From, "zone:"))
		}
		for j, t := range e.To {
			s.checkEndpointName(extend(p, "to", j), "ext:"+strings.TrimPrefix(t, "ext:"), zones, sc)
		}
		c.Egress = append(c.Egress, &EgressAllowance{From: e.From, To: e.To, Reason: e.Reason, Source: Source{s.file, lineAt(s.root, p...)}})
	}
	c.ComputeIsolation, c.StorageIsolation = in.ComputeIsolation, in.StorageIsolation
	if len(in.PlatformNamespaces) > 0 {
		c.PlatformNamespaces = in.PlatformNamespaces
	}
	c.NetworkPolicyWriters = in.NetworkPolicyWriters
	if pt := in.PullThrough; pt != nil {
		p := []any{"spec", "contract", "pullThrough"}
		if len(pt.Namespaces) == 0 {
			s.err(extend(p, "namespaces"), "required: the namespaces that build or pull")
		}
		if len(pt.Endpoints) == 0 {
			s.err(extend(p, "endpoints"), "required: the proxies or mirrors they go through")
		}
		var endpoints []string
		for j, e := range pt.Endpoints {
			s.checkEndpointName(extend(p, "endpoints", j), "ext:"+strings.TrimPrefix(e, "ext:"), zones, sc)
			endpoints = append(endpoints, strings.TrimPrefix(e, "ext:"))
		}
		c.PullThrough = &PullThrough{Namespaces: pt.Namespaces, Endpoints: endpoints, Source: Source{s.file, lineAt(s.root, p...)}}
	}
}
