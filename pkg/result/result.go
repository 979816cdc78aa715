// Package result holds what a run on a real cluster produced: the predicted and observed verdict of every
// probed connection (zonesim e2e) and what was put on the cluster (zonesim apply). It is data only, so
// pkg/apply fills it and pkg/report formats it without one depending on the other; it imports nothing
// but the standard library.
package result

// E2E is an e2e run's outcome: per pod pair and port, zonesim's prediction and what real traffic did.
type E2E struct {
	Backend string `json:"backend"`
	RunID   string `json:"run"`
	CNI     string `json:"cni"`
	// Pods are the model's pods ("namespace/name" in the input), in the order of the truth tables.
	Pods  []string `json:"pods"`
	Ports []string `json:"ports"`
	Cells []Cell   `json:"cells"`
	// Skipped lists what the input holds that the run did not probe, with the reason.
	Skipped    []string `json:"skipped,omitempty"`
	Mismatches int      `json:"mismatches"`
	Probed     int      `json:"probed"`
	// Identity compares the sources external endpoints saw with the predicted egress identities.
	Identity []Identity `json:"identity,omitempty"`
}

// Cell is one probed connection.
type Cell struct {
	From      string `json:"from"`
	To        string `json:"to"`
	Port      string `json:"port"`
	Predicted bool   `json:"predicted"`
	Observed  bool   `json:"observed"`
	// Skipped is why the cell was not probed (a protocol the backend cannot carry), or "".
	Skipped string `json:"skipped,omitempty"`
	Agree   bool   `json:"agree"`
	// Query is the zonesim query that explains the prediction; Probe reproduces the observation.
	Query string `json:"query,omitempty"`
	Probe string `json:"probe,omitempty"`
}

// Identity compares the source addresses an external endpoint saw on a port with the egress identities
// zonesim predicts for the allowed flows to it (ZN-6, OB-3).
type Identity struct {
	External  string   `json:"external"`
	Port      string   `json:"port"`
	Predicted []string `json:"predicted"`
	Seen      []string `json:"seen"`
	Agree     bool     `json:"agree"`
}

// Applied is what zonesim apply left on a cluster, and how to use and remove it.
type Applied struct {
	Backend string `json:"backend"`
	RunID   string `json:"run"`
	// Namespaces and Policies count the probe namespaces and NetworkPolicies created.
	Namespaces int          `json:"namespaces"`
	Policies   int          `json:"policies"`
	Pods       []AppliedPod `json:"pods"`
	// Ports are the ports every probe pod serves.
	Ports     []string   `json:"ports"`
	Externals []External `json:"externals,omitempty"`
	// Skipped lists what the input holds that was not applied, with the reason.
	Skipped []string `json:"skipped,omitempty"`
	// ProbeCommand opens one connection by hand; DeleteCommand removes the run.
	ProbeCommand  string `json:"probeCommand,omitempty"`
	DeleteCommand string `json:"deleteCommand"`
}

// AppliedPod is a pod of the model and the probe pod that stands for it.
type AppliedPod struct {
	Original string `json:"pod"`
	Probe    string `json:"probePod"`
	IP       string `json:"ip"`
}

// External is a scenario endpoint outside the cluster that the backend runs behind the scenario's egress
// SNAT, firewalls and perimeter.
type External struct {
	Name  string   `json:"name"`
	IP    string   `json:"ip"`
	Ports []string `json:"ports"`
}

// Deleted is what zonesim apply --delete removed.
type Deleted struct {
	Backend    string   `json:"backend"`
	RunID      string   `json:"run"`
	Namespaces []string `json:"namespaces"`
}
