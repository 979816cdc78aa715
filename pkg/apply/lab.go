package apply

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/zonesim/zonesim/internal/poll"
	"github.com/zonesim/zonesim/pkg/lab"
	"github.com/zonesim/zonesim/pkg/model"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
)

// LabBackend runs probes on a local lab (zonesim lab up): kube-router enforces NetworkPolicy; pods are
// network namespaces, and probes run inside them.
type LabBackend struct {
	state *lab.State
	self  string
}

// NewLabBackend attaches to the running lab of that name.
func NewLabBackend(name string) (*LabBackend, error) {
	st, err := lab.Load(name)
	if err != nil {
		return nil, err
	}
	self, err := lab.Self()
	if err != nil {
		return nil, err
	}
	return &LabBackend{state: st, self: self}, nil
}

// Lab is the running lab's state and the zonesim binary that runs inside its pods.
func (b *LabBackend) Lab() (*lab.State, string) { return b.state, b.self }

// Name is "lab".
func (b *LabBackend) Name() string { return "lab (" + lab.ContextName(b.state.Name) + ")" }

// Capabilities: kube-router enforces NetworkPolicy like the generic profile; the lab kernel has no SCTP.
func (b *LabBackend) Capabilities() Capabilities {
	return Capabilities{CNI: "generic", Unsupported: LabUnsupported(), FinalizeNamespaces: true}
}

// LabUnsupported are the protocols a lab cannot carry, with the reason.
func LabUnsupported() map[model.Protocol]string {
	return map[model.Protocol]string{"SCTP": "skipped: the lab kernel has no SCTP (LOCAL-CLUSTER.md)"}
}

// Client returns a client for the lab.
func (b *LabBackend) Client() (kubernetes.Interface, error) { return b.state.Client() }

// CreatePods runs each probe pod as a network namespace serving every probe port.
func (b *LabBackend) CreatePods(ctx context.Context, pods []*ProbePod, ports []Port) error {
	client, err := b.state.Client()
	if err != nil {
		return err
	}
	for _, p := range pods {
		spec := lab.PodSpec{Namespace: p.Namespace, Name: p.Name, Labels: p.Labels, Ports: p.Ports}
		declared := map[Port]bool{}
		for _, cp := range p.Ports {
			declared[Port{cp.Protocol, cp.ContainerPort}] = true
		}
		serve := append([]corev1.ContainerPort(nil), p.Ports...)
		for _, port := range ports {
			if !declared[port] {
				serve = append(serve, corev1.ContainerPort{ContainerPort: port.Port, Protocol: port.Protocol})
			}
		}
		spec.Serve = serve
		if ip, err := netip.ParseAddr(p.IP); err == nil {
			spec.IP = ip // keep the model's address where the lab can, so ipBlocks mean the same
		}
		ps, err := b.state.AddPod(ctx, client, spec)
		if err != nil {
			return err
		}
		p.IP = ps.IP
	}
	for _, p := range pods {
		if err := waitServing(ctx, p, ports); err != nil {
			return err
		}
	}
	return nil
}

// waitServing polls a pod from the host until its agent answers (no policy applies yet, so only
// readiness is measured), with a deadline.
func waitServing(ctx context.Context, p *ProbePod, ports []Port) error {
	var probe *Port
	for i := range ports {
		if ports[i].Protocol == "TCP" || ports[i].Protocol == "UDP" {
			probe = &ports[i]
			break
		}
	}
	if probe == nil {
		return nil
	}
	addr := net.JoinHostPort(p.IP, strconv.Itoa(int(probe.Port)))
	err := poll.Until(ctx, 20*time.Second, 100*time.Millisecond, func() (bool, error) {
		ok, _ := lab.Connect(string(probe.Protocol), addr, 300*time.Millisecond)
		return ok, nil
	})
	if errors.Is(err, poll.ErrTimeout) {
		return fmt.Errorf("pod %s (%s) does not answer on %s after 20s", p.Key(), p.IP, probe)
	}
	return err
}

// DeletePods removes the probe pods and their network namespaces.
func (b *LabBackend) DeletePods(ctx context.Context, pods []*ProbePod) error {
	client, err := b.state.Client()
	if err != nil {
		return err
	}
	keys := make([]string, len(pods))
	for i, p := range pods {
		keys[i] = p.Key()
	}
	return b.state.RemovePods(ctx, client, keys)
}

// Probe connects from inside the source pod's network namespace.
func (b *LabBackend) Probe(ctx context.Context, from *ProbePod, proto model.Protocol, addr string, timeout time.Duration) (bool, error) {
	netns, ok := b.state.NetNS(from.Namespace, from.Name)
	if !ok {
		return false, fmt.Errorf("no lab pod %s", from.Key())
	}
	return lab.Probe(ctx, b.self, netns, string(proto), addr, timeout)
}

// ProbeCommand reproduces a probe by hand.
func (b *LabBackend) ProbeCommand(from *ProbePod, proto model.Protocol, addr string) string {
	netns, _ := b.state.NetNS(from.Namespace, from.Name)
	return lab.ProbeCommand(b.self, netns, string(proto), addr)
}

// SetupZones runs the scenario's endpoints as network namespaces and installs the egress SNAT and the
// egress firewalls on the host.
func (b *LabBackend) SetupZones(ctx context.Context, z ZoneSetup) error {
	if run := b.state.ZonesRun; run != "" && run != z.RunID && len(b.state.Externals) > 0 {
		return fmt.Errorf("the lab runs the zone networks of run %s; one run's zones at a time (zonesim apply --delete %s --lab-name %s first)", run, run, b.state.Name)
	}
	if err := b.state.SetZonesRun(z.RunID); err != nil {
		return err
	}
	if err := b.state.SetHostRules(ctx, z.NAT, z.Filter); err != nil {
		return err
	}
	records := map[string][]netip.Addr{}
	for _, x := range z.Externals {
		if _, err := b.state.AddExternal(ctx, x); err != nil {
			return err
		}
		for _, name := range x.DNSNames {
			records[name] = append(records[name], x.IP)
		}
	}
	if err := b.state.StartDNS(records); err != nil {
		return err
	}
	for _, x := range z.Externals {
		var port *Port
		if len(x.TCP) > 0 {
			port = &Port{"TCP", int32(x.TCP[0])}
		}
		if port == nil {
			continue
		}
		// The endpoint's firewall may drop the host; wait for the agent through its own namespace instead.
		if err := waitExternal(ctx, b.state, x.Name, port.Port); err != nil {
			return err
		}
	}
	return nil
}

// ZonesRun is the run whose endpoints and host rules the lab holds.
func (b *LabBackend) ZonesRun() string { return b.state.ZonesRun }

// TeardownZones removes the endpoints and the host rules.
func (b *LabBackend) TeardownZones(ctx context.Context) error { return b.state.RemoveExternals(ctx) }

// Sources reads what an endpoint captured.
func (b *LabBackend) Sources(_ context.Context, name string) (map[string][]netip.Addr, error) {
	x, ok := b.state.External(name)
	if !ok {
		return nil, fmt.Errorf("no lab endpoint %s", name)
	}
	return lab.Sources(x.Capture)
}

func waitExternal(ctx context.Context, st *lab.State, name string, port int32) error {
	x, _ := st.External(name)
	self, err := lab.Self()
	if err != nil {
		return err
	}
	err = poll.Until(ctx, 20*time.Second, 100*time.Millisecond, func() (bool, error) {
		ok, err := lab.Probe(ctx, self, x.NetNS, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))), 300*time.Millisecond)
		return err == nil && ok, nil
	})
	if errors.Is(err, poll.ErrTimeout) {
		return fmt.Errorf("endpoint %s does not answer on TCP/%d after 20s", name, port)
	}
	return err
}
