package simulate

import (
	"fmt"
	"sort"
	"strings"
)

// Profile holds the choices NetworkPolicy leaves to the network plugin (NP-11, NP-19, NP-20, SDN-2), so
// they are never made silently. Select one with --cni.
type Profile struct {
	Name        string
	Description string
	// IPBlockMatchesPods: an ipBlock peer also matches pod IPs (NP-11). The upstream e2e expects it.
	IPBlockMatchesPods bool
	// IgnoreIPBlocksWithExcept: ipBlock peers that have an except list match nothing (openshift-sdn, NP-11).
	IgnoreIPBlocksWithExcept bool
	// EnforcesEgress: egress rules are enforced (openshift-sdn does not, SDN-2).
	EnforcesEgress bool
	// HostNetworkBySelector: a peer with a namespaceSelector and an empty podSelector also selects
	// host-network pods of the selected namespaces, by their node IP (OVN-Kubernetes, NP-20 [derived]).
	HostNetworkBySelector bool
	// AdminNetworkPolicy: AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1) are enforced
	// (ANP-1..ANP-8).
	AdminNetworkPolicy bool
	// ClusterNetworkPolicy: ClusterNetworkPolicy (v1alpha2) is enforced (CNP-1..CNP-5).
	ClusterNetworkPolicy bool
}

var profiles = map[string]Profile{
	"generic": {
		Name:               "generic",
		Description:        "what the upstream Kubernetes NetworkPolicy e2e expects: ipBlocks match pod IPs, host-network pods are node traffic; both admin policy APIs (v1alpha1, v1alpha2) enforced",
		IPBlockMatchesPods: true, EnforcesEgress: true, AdminNetworkPolicy: true, ClusterNetworkPolicy: true,
	},
	"ovn-kubernetes": {
		Name:               "ovn-kubernetes",
		Description:        "OVN-Kubernetes (OpenShift 4.x default): as generic, and namespaceSelector+empty podSelector peers also select host-network pods by node IP; admin policies of v1alpha1 only (no ClusterNetworkPolicy)",
		IPBlockMatchesPods: true, EnforcesEgress: true, HostNetworkBySelector: true, AdminNetworkPolicy: true,
	},
	"openshift-sdn": {
		Name:                     "openshift-sdn",
		Description:              "OpenShift SDN (removed in 4.17): no egress enforcement, ipBlock peers with except are ignored",
		IPBlockMatchesPods:       true,
		IgnoreIPBlocksWithExcept: true,
	},
	"cilium": {
		Name:           "cilium",
		Description:    "Cilium: ipBlocks do not match pod IPs (pods are selected by identity only)",
		EnforcesEgress: true,
	},
}

// DefaultProfile is the profile used when none is named.
const DefaultProfile = "generic"

// ProfileNames lists the known profiles, sorted.
func ProfileNames() []string {
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupProfile returns the named profile or an error listing the known ones.
func LookupProfile(name string) (Profile, error) {
	p, ok := profiles[name]
	if !ok {
		return Profile{}, fmt.Errorf("unknown --cni %q: use one of %s", name, strings.Join(ProfileNames(), ", "))
	}
	return p, nil
}
