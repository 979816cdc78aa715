package simulate_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// CNP-3: a domainNames entry is a name, or "*." and a domain whose subdomains of one label or more it
// matches (not the domain itself); case and a final dot do not matter.
func TestDomainMatches(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"kubernetes.io", "kubernetes.io", true},
		{"kubernetes.io", "www.kubernetes.io", false},
		{"blog.kubernetes.io", "kubernetes.io", false},
		{"*.kubernetes.io", "www.kubernetes.io", true},
		{"*.kubernetes.io", "latest.blog.kubernetes.io", true},
		{"*.kubernetes.io", "kubernetes.io", false},
		{"*.kubernetes.io", "my-kubernetes.io", false},
		{"*.kubernetes.io", "wikipedia.org", false},
		{"Kubernetes.IO.", "kubernetes.io", true},
		{"*.kubernetes.io", "WWW.Kubernetes.io.", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, simulate.DomainMatches(tt.pattern, tt.name))
		})
	}
}

// CNP-3: a domainNames peer holds the addresses of the scenario's endpoints that carry a matching name;
// a name no endpoint carries is a caveat. The Admin tier decides before NetworkPolicy, and the Deny after
// the Accept takes the rest. Under ovn-kubernetes (v1alpha1 only) the policy is not enforced (CNP-5).
func TestClusterNetworkPolicyDomainNames(t *testing.T) {
	policy := func(domain string) string {
		return `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: egress-allowlist}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {matchLabels: {network-zone: z}}}
  egress:
    - {name: partners, action: Accept, to: [{domainNames: ["` + domain + `"]}], protocols: [{tcp: {destinationPort: {number: 443}}}]}
    - {name: rest, action: Deny, to: [{networks: [0.0.0.0/0]}]}`
	}
	tests := []struct {
		name, cni, domain, to string
		want                  bool
		wantRule              string
		wantCaveat            bool
	}{
		{"a wildcard holds one label", "generic", "*.example.com", "ext:api", true, `accept ClusterNetworkPolicy/egress-allowlist (Admin tier, priority 10) egress[0] "partners"`, false},
		{"not the domain itself", "generic", "*.api.example.com", "ext:api", false, `deny ClusterNetworkPolicy/egress-allowlist (Admin tier, priority 10) egress[1] "rest"`, true},
		{"case and the final dot aside", "generic", "API.Example.COM.", "ext:api", true, `egress[0] "partners"`, false},
		{"the endpoint's address is the name's", "generic", "api.example.com", "203.0.113.5", true, `egress[0] "partners"`, false},
		{"another address is not", "generic", "api.example.com", "198.51.100.9", false, `egress[1] "rest"`, false},
		{"a name no endpoint carries", "generic", "www.other.example", "198.51.100.9", false, `egress[1] "rest"`, true},
		{"not enforced by ovn-kubernetes", "ovn-kubernetes", "www.other.example", "ext:api", true, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := zonedEngine(t, tt.cni, eipZ, policy(tt.domain))
			res := ask(t, e, "app/web", tt.to, "tcp/443")
			text := explained(t, res)
			assert.Equal(t, tt.want, res.Allowed, text)
			if tt.wantRule != "" {
				assert.Contains(t, text, tt.wantRule)
			} else {
				assert.NotContains(t, text, "ClusterNetworkPolicy")
				assert.Contains(t, strings.Join(e.Notes(), "\n"), "1 ClusterNetworkPolicy object(s) are not enforced by --cni ovn-kubernetes and are ignored (CNP-5)")
			}
			caveat := false
			for _, c := range res.Caveats {
				if strings.Contains(c.Message, "domainName "+tt.domain+", which no external endpoint of the scenario names") {
					caveat = true
				}
			}
			assert.Equal(t, tt.wantCaveat, caveat, "%v", res.Caveats)
		})
	}
}

// CNP-2: the Baseline tier comes after NetworkPolicy and only where NetworkPolicy does not isolate; a
// Pass in it hands the connection over to the default (allowed), an Accept or Deny is final. Baseline
// policies are taken by priority.
func TestClusterNetworkPolicyBaselineTier(t *testing.T) {
	const baseline = `apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: first}
spec:
  tier: Baseline
  priority: 1
  subject: {namespaces: {}}
  ingress: [{action: Pass, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 8080}}}]}]
---
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: second}
spec:
  tier: Baseline
  priority: 2
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]`
	isolate := `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all-in, namespace: app}
spec: {podSelector: {}, ingress: [{}]}`
	tests := []struct {
		name  string
		extra []string
		port  string
		want  bool
	}{
		{"passed by the first baseline policy: allowed", []string{baseline}, "tcp/8080", true},
		{"denied by the second", []string{baseline}, "tcp/80", false},
		{"NetworkPolicy isolates the pod: the baseline is not reached", []string{baseline, isolate}, "tcp/80", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := zonedEngine(t, "generic", append([]string{twoPods}, tt.extra...)...)
			assert.Equal(t, tt.want, ask(t, e, "app/client", "app/web", tt.port).Allowed)
		})
	}
}

const twoPods = `apiVersion: v1
kind: Pod
metadata: {name: client, namespace: app, labels: {app: client}}
spec: {nodeName: w1, containers: [{name: c, image: i}]}`

// explained is the query's explanation as zonesim prints it.
func explained(t *testing.T, res *simulate.QueryResult) string {
	t.Helper()
	var b strings.Builder
	require.NoError(t, report.WriteQuery(&b, res))
	return b.String()
}

// CNP-2: two policies of one tier and priority that both match a connection may be applied in either
// order: the verdict carries a caveat naming both.
func TestSamePriorityIsACaveat(t *testing.T) {
	policy := func(name, action string) string {
		return `apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: ` + name + `}
spec:
  tier: Admin
  priority: 7
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: app}}}
  ingress: [{action: ` + action + `, from: [{namespaces: {}}]}]
---
`
	}
	e := zonedEngine(t, "generic", twoPods, policy("a-accept", "Accept")+policy("b-deny", "Deny"))
	res := ask(t, e, "app/client", "app/web", "tcp/80")
	assert.True(t, res.Allowed, "a-accept comes first by name")
	var msgs []string
	for _, c := range res.Caveats {
		msgs = append(msgs, c.Message)
	}
	assert.Contains(t, strings.Join(msgs, "\n"), "ClusterNetworkPolicy/a-accept (extrab.yaml:1) and ClusterNetworkPolicy/b-deny (extrab.yaml:10) have the same tier and priority 7")
}

// CNP-3: a domainNames rule works only for pods that can resolve names: where the subject's pods cannot
// reach the cluster DNS service, the verdict says so.
func TestDomainNamesNeedDNS(t *testing.T) {
	const dns = `apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec: {nodeName: w1, containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system}
spec: {selector: {k8s-app: kube-dns}, ports: [{port: 53, protocol: UDP}]}
---
`
	policy := func(dnsRule string) string {
		return `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: allowlist}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {network-zone: z}}}
  egress:` + dnsRule + `
    - {action: Accept, to: [{domainNames: [api.example.com]}]}
    - {action: Deny, to: [{networks: [0.0.0.0/0]}]}`
	}
	for _, tt := range []struct {
		name, rule string
		want       bool
	}{
		{"DNS denied", "", true},
		{"DNS accepted first", "\n    - {action: Accept, to: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}], protocols: [{udp: {destinationPort: {number: 53}}}]}", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := zonedEngine(t, "generic", dns+eipZ, policy(tt.rule))
			res := ask(t, e, "app/web", "ext:api", "tcp/443")
			caveat := false
			for _, c := range res.Caveats {
				caveat = caveat || strings.Contains(c.Message, "pods of app cannot reach svc:kube-system/kube-dns on UDP/53")
			}
			assert.Equal(t, tt.want, caveat, "%v", res.Caveats)
		})
	}
}

// CNP-3: a nodes peer selects every address in a node's status.addresses, not only the InternalIP.
func TestNodesPeerSelectsEveryNodeAddress(t *testing.T) {
	c := loadCluster(t, `apiVersion: v1
kind: Node
metadata: {name: n1, labels: {kubernetes.io/os: linux}}
status: {addresses: [{type: InternalIP, address: 10.0.0.5}, {type: ExternalIP, address: 198.51.100.50}, {type: Hostname, address: n1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a}
spec: {nodeName: n1, containers: [{name: c, image: i}]}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: no-nodes}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{nodes: {matchLabels: {kubernetes.io/os: linux}}}]}]`)
	e := simulate.New(c, mustProfile(t, "generic"), "")
	for _, ip := range []string{"10.0.0.5", "198.51.100.50"} {
		assert.False(t, ask(t, e, "a/p", ip, "").Allowed, ip)
	}
	assert.True(t, ask(t, e, "a/p", "198.51.100.51", "").Allowed)
}

// CNP-3: the verdict names the DNS name a domainNames peer matched, and the address that name has.
func TestDomainNamesMatchIsNamed(t *testing.T) {
	e := zonedEngine(t, "generic", eipZ, `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: allowlist}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Accept, to: [{domainNames: ["*.example.com"]}]}]`)
	res := ask(t, e, "app/web", "ext:api", "tcp/443")
	assert.Contains(t, res.Results[0].Reason, "ClusterNetworkPolicy/allowlist egress[0] matched api.example.com: domainNames *.example.com, and the scenario gives api.example.com the address 203.0.113.5 (CNP-3)")
}
