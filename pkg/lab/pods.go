package lab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// PodSpec is a pod to run in the lab: its API identity and the ports its agent serves.
type PodSpec struct {
	Namespace string
	Name      string
	Labels    map[string]string
	// Ports are the pod's declared container ports (named ports resolve on them).
	Ports []corev1.ContainerPort
	// Serve are the ports the agent listens on; default Ports.
	Serve []corev1.ContainerPort
	// IP is the address to give the pod, when free and in PodCIDR; else the next free one.
	IP netip.Addr
}

// ProbeLabel marks every object zonesim creates, so cleanup never touches anything else.
const ProbeLabel = "zonesim.dev/probe"

func short(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:8]
}

// AddPod creates the pod object on the lab node, a network namespace wired to the host with a veth pair
// and a /32 route (proxy ARP answers at once), an agent serving the pod's ports inside it, and the pod
// status a kubelet would report, so the enforcer sees a running pod with a real IP.
func (s *State) AddPod(ctx context.Context, client *kubernetes.Clientset, p PodSpec) (PodState, error) {
	ip, err := s.allocate(p.IP)
	if err != nil {
		return PodState{}, err
	}
	id := short(p.Namespace + "/" + p.Name + "/" + ip.String())
	ps := PodState{Namespace: p.Namespace, Name: p.Name, NetNS: "zs-" + id, Veth: "zsv" + id, IP: ip.String()}

	labels := map[string]string{ProbeLabel: "true"}
	for k, v := range p.Labels {
		labels[k] = v
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: labels},
		Spec: corev1.PodSpec{NodeName: s.Node, Containers: []corev1.Container{{
			Name: "probe", Image: DirectImage, Ports: p.Ports}}},
	}
	created, err := client.CoreV1().Pods(p.Namespace).Create(ctx, pod, metav1.CreateOptions{FieldManager: "zonesim"})
	if err != nil {
		return ps, fmt.Errorf("create pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	s.Pods = append(s.Pods, ps) // recorded before wiring, so down removes a half-made pod too
	if err := s.save(); err != nil {
		return ps, err
	}
	if err := wire(ctx, ps); err != nil {
		return ps, err
	}
	serve := p.Serve
	if serve == nil {
		serve = p.Ports
	}
	pid, err := s.startAgent(ps, serve)
	if err != nil {
		return ps, err
	}
	ps.AgentPID = pid
	s.Pods[len(s.Pods)-1] = ps
	if err := s.save(); err != nil {
		return ps, err
	}
	created.Status = runningStatus(s.NodeIP, ps.IP, pod.Spec.Containers)
	if _, err := client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{FieldManager: "zonesim"}); err != nil {
		return ps, fmt.Errorf("pod %s/%s status: %w", p.Namespace, p.Name, err)
	}
	return ps, nil
}

// runningStatus is the status a kubelet reports for a pod whose containers all run and are ready.
func runningStatus(nodeIP, podIP string, containers []corev1.Container) corev1.PodStatus {
	now := metav1.Now()
	st := corev1.PodStatus{
		Phase: corev1.PodRunning, HostIP: nodeIP, HostIPs: []corev1.HostIP{{IP: nodeIP}},
		PodIP: podIP, PodIPs: []corev1.PodIP{{IP: podIP}}, StartTime: &now,
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		},
	}
	for _, c := range containers {
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Ready: true, Image: c.Image,
			Started: ptr(true), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}})
	}
	return st
}

func ptr[T any](v T) *T { return &v }

// directCIDR holds the pods AddPod wires; the node agent's pods use the rest of PodCIDR (kubeletCIDR).
var directCIDR = netip.MustParsePrefix("10.244.0.0/17")

// allocate returns want when it is a free address of directCIDR, else the next free one.
func (s *State) allocate(want netip.Addr) (netip.Addr, error) {
	used := map[string]bool{}
	for _, p := range s.Pods {
		used[p.IP] = true
	}
	if want.IsValid() && directCIDR.Contains(want) && want != directCIDR.Addr() && !used[want.String()] {
		return want, nil
	}
	ip, err := netip.ParseAddr(s.NextIP)
	for err == nil && directCIDR.Contains(ip) && used[ip.String()] {
		ip = ip.Next()
	}
	if err != nil || !directCIDR.Contains(ip) {
		return netip.Addr{}, fmt.Errorf("the lab pod network %s is full", directCIDR)
	}
	s.NextIP = ip.Next().String()
	return ip, nil
}

// wire makes the pod's network: netns, veth (host end in the root namespace), addresses and routes.
func wire(ctx context.Context, p PodState) error {
	steps := [][]string{
		{"ip", "netns", "add", p.NetNS},
		{"ip", "link", "add", p.Veth, "type", "veth", "peer", "name", "eth0", "netns", p.NetNS},
		{"ip", "-n", p.NetNS, "link", "set", "lo", "up"},
		{"ip", "-n", p.NetNS, "addr", "add", p.IP + "/32", "dev", "eth0"},
		{"ip", "-n", p.NetNS, "link", "set", "eth0", "up"},
		{"ip", "-n", p.NetNS, "route", "add", "169.254.1.1", "dev", "eth0", "scope", "link"},
		{"ip", "-n", p.NetNS, "route", "add", "default", "via", "169.254.1.1", "dev", "eth0"},
		{"ip", "link", "set", p.Veth, "up"},
		{"ip", "route", "replace", p.IP + "/32", "dev", p.Veth},
	}
	for _, st := range steps {
		if err := run(ctx, st[0], st[1:]...); err != nil {
			return err
		}
	}
	for file, v := range map[string]string{
		"/proc/sys/net/ipv4/conf/" + p.Veth + "/proxy_arp":    "1",
		"/proc/sys/net/ipv4/neigh/" + p.Veth + "/proxy_delay": "0",
	} {
		if err := writeFile(file, v); err != nil {
			return err
		}
	}
	return nil
}

// startAgent runs `zonesim lab agent` inside the pod's network namespace, serving its ports.
func (s *State) startAgent(p PodState, ports []corev1.ContainerPort) (int, error) {
	self, err := Self()
	if err != nil {
		return 0, err
	}
	var tcp, udp []string
	for _, cp := range ports {
		switch cp.Protocol {
		case corev1.ProtocolUDP:
			udp = append(udp, strconv.Itoa(int(cp.ContainerPort)))
		case corev1.ProtocolSCTP:
			// this kernel has no SCTP (LOCAL-CLUSTER.md); SCTP cells are skipped with that reason
		default:
			tcp = append(tcp, strconv.Itoa(int(cp.ContainerPort)))
		}
	}
	return s.startDetached("agent-"+p.NetNS, "the agent in "+p.NetNS, "ip", "netns", "exec", p.NetNS, self, "lab", "agent",
		"--tcp", strings.Join(tcp, ","), "--udp", strings.Join(udp, ","))
}

// RemovePods deletes the named pods ("namespace/name") the lab runs: objects and network namespaces.
func (s *State) RemovePods(ctx context.Context, client *kubernetes.Clientset, keys []string) error {
	remove := map[string]bool{}
	for _, k := range keys {
		remove[k] = true
	}
	var errs []string
	var kept []PodState
	zero := int64(0)
	for _, p := range s.Pods {
		if !remove[p.Namespace+"/"+p.Name] {
			kept = append(kept, p)
			continue
		}
		killPID(p.AgentPID)
		if err := run(ctx, "ip", "netns", "del", p.NetNS); err != nil && !strings.Contains(err.Error(), "No such file") {
			errs = append(errs, err.Error())
		}
		err := client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err.Error())
		}
	}
	s.Pods = kept
	if err := s.save(); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("remove pods: %s", strings.Join(errs, "; "))
	}
	return nil
}

// NetNS returns the network namespace of a pod of the lab.
func (s *State) NetNS(namespace, name string) (string, bool) {
	for _, p := range s.Pods {
		if p.Namespace == namespace && p.Name == name {
			return p.NetNS, true
		}
	}
	return "", false
}
