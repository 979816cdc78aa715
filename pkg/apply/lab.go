package apply

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

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

// Name is "lab".
func (b *LabBackend) Name() string { return "lab (" + lab.ContextName(b.state.Name) + ")" }

// Capabilities: kube-router enforces NetworkPolicy like the generic profile; the lab kernel has no SCTP.
func (b *LabBackend) Capabilities() Capabilities {
	return Capabilities{CNI: "generic", Unsupported: map[model.Protocol]string{
		"SCTP": "skipped: the lab kernel has no SCTP (LOCAL-CLUSTER.md)",
	}}
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
	deadline := time.Now().Add(20 * time.Second)
	for {
		if ok, _ := lab.Connect(string(probe.Protocol), addr, 300*time.Millisecond); ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pod %s (%s) does not answer on %s after 20s", p.Key(), p.IP, probe)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// DeletePods removes the probe pods and their namespaces.
func (b *LabBackend) DeletePods(ctx context.Context, _ []*ProbePod) error {
	client, err := b.state.Client()
	if err != nil {
		return err
	}
	return b.state.RemovePods(ctx, client)
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
