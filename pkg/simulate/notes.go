package simulate

import (
	"fmt"
	"slices"
)

// Notes says where the loaded input meets a case the network plugin decides (NP-11, NP-20, SDN-2), and how
// the chosen profile decided it, so the choice is visible on every run that depends on it.
func (e *Engine) Notes() []string {
	var notes []string
	podIPBlocks, ignored := 0, 0
	for _, b := range e.ipBlocks {
		if b.anyPod {
			continue // an admin policy network matches pods by definition (ANP-2), whatever the plugin
		}
		if b.ignored {
			ignored++
		}
		for _, p := range e.podByIP {
			if b.cidr.Contains(p.IP) {
				podIPBlocks++
				break
			}
		}
	}
	if podIPBlocks > 0 {
		verdict := "match pod IPs"
		if !e.Profile.IPBlockMatchesPods {
			verdict = "do not match pod IPs"
		}
		notes = append(notes, fmt.Sprintf("%d ipBlock(s) cover pod IPs; whether they match pods is plugin-defined (NP-11): with --cni %s they %s",
			podIPBlocks, e.Profile.Name, verdict))
	}
	if ignored > 0 {
		notes = append(notes, fmt.Sprintf("%d ipBlock peer(s) with except are ignored by --cni %s (NP-11)", ignored, e.Profile.Name))
	}
	v1, v2 := 0, 0
	for _, p := range append(slices.Clone(e.Cluster.AdminPolicies), e.Cluster.Baseline) {
		switch {
		case p == nil:
		case p.Kind == "ClusterNetworkPolicy":
			v2++
		default:
			v1++
		}
	}
	if v1 > 0 && !e.Profile.AdminNetworkPolicy {
		notes = append(notes, fmt.Sprintf("%d AdminNetworkPolicy/BaselineAdminNetworkPolicy object(s) are not enforced by --cni %s and are ignored (ANP-8)", v1, e.Profile.Name))
	}
	if v2 > 0 && !e.Profile.ClusterNetworkPolicy {
		notes = append(notes, fmt.Sprintf("%d ClusterNetworkPolicy object(s) are not enforced by --cni %s and are ignored (CNP-5)", v2, e.Profile.Name))
	}
	if on := e.udnNamespaces(); len(on) > 0 {
		n, list := fewOf(on)
		note := fmt.Sprintf("%d namespace(s) on user-defined networks (%s): their pods and those of other networks do not reach each other, whatever NetworkPolicy says, unless a ClusterNetworkConnect joins the networks (UDN-3, UDN-6)", n, list)
		if v1+v2 > 0 {
			note += "; admin policies do not apply to them (UDN-5)"
		}
		if e.Profile.Name != "ovn-kubernetes" {
			note += "; user-defined networks are OVN-Kubernetes': they are evaluated as it enforces them, whatever --cni " + e.Profile.Name + " says"
		}
		notes = append(notes, note)
	}
	if !e.Profile.EnforcesEgress {
		n := 0
		for _, p := range e.policies {
			if p.types[Egress] {
				n++
			}
		}
		if n > 0 {
			notes = append(notes, fmt.Sprintf("%d policy(ies) have egress rules that --cni %s does not enforce (SDN-2)", n, e.Profile.Name))
		}
	}
	hostNet := 0
	for _, c := range e.classes {
		if c.HostNetwork {
			hostNet += len(c.Pods)
		}
	}
	if hostNet > 0 {
		how := "they are node traffic, selected only by ipBlocks on their node IP"
		if e.Profile.HostNetworkBySelector {
			how = "a namespaceSelector with an empty podSelector also selects them"
		}
		notes = append(notes, fmt.Sprintf("%d host-network pod(s): never isolated; as peers (NP-20, --cni %s) %s", hostNet, e.Profile.Name, how))
	}
	return notes
}
