// Package simulate is zonesim's engine: given a loaded model.Cluster and a network plugin profile, it
// answers "can A reach B, on which connections, and why?" for one pair (Query), for every pair of a
// level (Matrix) and between two models (Diff). It is pure: no I/O, no cluster client, no clock.
//
// # Pipeline
//
// New (engine.go) compiles the cluster once, in this order:
//
//  0. Each namespace gets its network: the cluster default network, or its primary user-defined
//     network; ClusterNetworkConnects say which networks reach each other (network.go; UDN-*).
//  1. NetworkPolicies become per-direction rules whose peers are interned into peer tables
//     (compile.go; selectors in selector.go; NP-*).
//  2. AdminNetworkPolicies, the BaselineAdminNetworkPolicy and ClusterNetworkPolicies become tiers of
//     rules whose peers share those tables (admin.go; ANP-*, CNP-*).
//  3. Pods that every policy treats alike (namespace, labels, named ports, node, host network) form
//     equivalence classes (compile.go, Class); each peer is matched against classes, not pods.
//  4. Each class gets the policies that isolate it and a key per direction, so classes with the same key
//     are evaluated once.
//
// A pair of members (endpoint.go: pods, or addresses outside the pod network) is then decided side by
// side: the source's egress and the destination's ingress, each by its admin tiers, then NetworkPolicy,
// then the baseline (eval.go), intersected (conn.go: connection sets), unless their networks keep them
// apart (network.go). Traffic that leaves the pod network goes on through the flow pipeline (flow.go):
// EgressFirewall (EF-*), SNAT to an EgressService's load-balancer IP (egressservice.go; EGS-*), an
// EgressIP or the node IP (EIP-*), the perimeter firewall and the destination's allowlist (ZN-*, OB-*).
// Services evaluate on their backends at the target port, routes (and the routes OpenShift writes for
// Ingresses, IN-*) through the router shards that admit them (route.go; RT-*).
// Addresses outside the cluster are grouped into atoms that every ipBlock treats alike (atoms.go).
// What a plugin decides differently lives in a Profile (profile.go; NP-11, NP-19, NP-20, SDN-2), and the
// notes that tell the user where the input meets such a case in notes.go.
//
// # Two evaluation paths
//
// Query (query.go) explains: it walks the rules of each side and records the rule that allowed, why every
// other rule did not, and each step of the flow pipeline. Matrix (matrix.go) is fast: what a side
// allows depends only on the isolating policies, the destination's named ports and a bitmask of which
// relevant peers select the other end, so sides are memoized on that key (pairs.go) and a cell costs a
// few lookups; rows are computed on demand so large matrices stream. Both paths share the same compiled
// rules and the same side function; TestMatrixAgreesWithQuery (matrix_test.go) checks that they agree on
// every pod pair for every profile, and the upstream conformance cases (conformance_test.go,
// admin_test.go) check the query path against Kubernetes' and network-policy-api's expectations.
//
// Diff (diff.go) compares two matrices cell by cell and, given both engines, names the rules whose
// verdict changed for a pod pair of each changed cell.
package simulate
