package simulate_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/zonesim/zonesim/pkg/model"
)

// EGS-1..EGS-3: the pods behind a LoadBalancer Service with an EgressService of its name leave with the
// service's load-balancer IP, before any EgressIP; with sourceIPBy Network, through their own node; an
// address the input does not give is unknown, and says so.
func TestEgressService(t *testing.T) {
	service := func(lb string) string {
		s := `apiVersion: v1
kind: Service
metadata: {name: web-lb, namespace: app}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 443}]}`
		if lb != "" {
			s += "\nstatus: {loadBalancer: {ingress: [{ip: " + lb + "}]}}"
		}
		return s
	}
	egressService := func(spec string) string {
		return "apiVersion: k8s.ovn.org/v1\nkind: EgressService\nmetadata: {name: web-lb, namespace: app}\n" + spec
	}
	tests := []struct {
		name      string
		extra     []string
		want      bool
		wantSNAT  string
		wantIDs   []string
		wantKinds []string
	}{
		{"no EgressService: the EgressIP", []string{service("10.1.0.202")}, true,
			"EgressIP z", []string{"10.1.0.201"}, []string{"EgressIP"}},
		{"the load-balancer IP, which the allowlist lacks", []string{service("10.1.0.202"), egressService("spec: {sourceIPBy: LoadBalancerIP}\nstatus: {host: e2}")}, false,
			"leaves with the load-balancer IP 10.1.0.202 of Service app/web-lb (status.loadBalancer.ingress), through e2; it takes precedence over EgressIP (EGS-1, EGS-2)",
			[]string{"10.1.0.202"}, []string{"EgressService"}},
		{"the load-balancer IP the allowlist holds", []string{service("10.1.0.201"), egressService("spec: {}")}, true,
			"leaves with the load-balancer IP 10.1.0.201", []string{"10.1.0.201"}, []string{"EgressService"}},
		{"no load-balancer IP in the input", []string{service(""), egressService("spec: {}")}, false,
			"which the input does not give (status.loadBalancer.ingress, spec.loadBalancerIP): its source IP is unknown (EGS-2)", nil, nil},
		{"sourceIPBy Network: the node's interface", []string{service("10.1.0.202"), egressService("spec: {sourceIPBy: Network, network: blue}")}, false,
			"sourceIPBy Network: leaves through its node w1 on network \"blue\"", []string{"10.1.0.201"}, []string{"EgressIP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := zonedEngine(t, "ovn-kubernetes", append([]string{eipZ}, tt.extra...)...)
			res := ask(t, e, "app/web", "ext:api", "tcp/443")
			assert.Equal(t, tt.want, res.Allowed, steps(res))
			assert.Contains(t, steps(res), tt.wantSNAT)
			var ids, kinds []string
			for _, id := range e.EgressIdentities(e.Cluster.Pod("app/web"), netip.MustParseAddr("203.0.113.5")).Identities {
				ids, kinds = append(ids, id.IP.String()), append(kinds, id.Kind)
			}
			assert.Equal(t, tt.wantIDs, ids)
			assert.Equal(t, tt.wantKinds, kinds)
		})
	}
}

// The loader says when an EgressService can have no effect, or its address is unknown (EGS-1, EGS-2).
func TestEgressServiceWarnings(t *testing.T) {
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("zoned.yaml", []byte(zoned))
	l.AddBytes("extra.yaml", []byte(`apiVersion: k8s.ovn.org/v1
kind: EgressService
metadata: {name: web, namespace: app}
spec: {sourceIPBy: LoadBalancerIP}
---
apiVersion: k8s.ovn.org/v1
kind: EgressService
metadata: {name: nothing, namespace: app}
---
apiVersion: v1
kind: Service
metadata: {name: lb, namespace: app, annotations: {metallb.io/loadBalancerIPs: "10.1.0.203"}}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 443}]}
---
apiVersion: k8s.ovn.org/v1
kind: EgressService
metadata: {name: lb, namespace: app}
spec: {sourceIPBy: Sideways}`))
	_, err := l.Cluster()
	msgs := problemMessages(t, err)
	assert.Contains(t, msgs, "extra.yaml:18: spec.sourceIPBy: unsupported value \"Sideways\": must be LoadBalancerIP or Network")
	assert.Contains(t, msgs, "extra.yaml:1: warning: metadata.name: EgressService app/web: Service app/web is of type ClusterIP, not LoadBalancer: it has no effect (EGS-1)")
	assert.Contains(t, msgs, "extra.yaml:6: warning: metadata.name: EgressService app/nothing: no Service app/nothing in the input; it applies to the endpoints of the LoadBalancer Service of its name, so it has no effect here (EGS-1)")
}

// EGS-2: with externalTrafficPolicy Local, only a node that runs an endpoint carries the service's
// traffic.
func TestEgressServiceLocalTrafficPolicy(t *testing.T) {
	e := zonedEngine(t, "ovn-kubernetes", eipZ, `apiVersion: v1
kind: Service
metadata: {name: web-lb, namespace: app}
spec: {type: LoadBalancer, externalTrafficPolicy: Local, selector: {app: web}, ports: [{port: 443}]}
status: {loadBalancer: {ingress: [{ip: 10.1.0.201}]}}
---
apiVersion: k8s.ovn.org/v1
kind: EgressService
metadata: {name: web-lb, namespace: app}
spec: {}`)
	res := ask(t, e, "app/web", "ext:api", "tcp/443")
	assert.Contains(t, steps(res), "leaves with the load-balancer IP 10.1.0.201 of Service app/web-lb (status.loadBalancer.ingress), through w1;")
}

// EGS-2: an EgressService whose load-balancer IP the input does not give makes the verdicts of its pods'
// traffic out of the cluster depend on it: a caveat says so.
func TestEgressServiceUnknownAddressIsACaveat(t *testing.T) {
	e := zonedEngine(t, "ovn-kubernetes", eipZ, `apiVersion: v1
kind: Service
metadata: {name: web-lb, namespace: app}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 443}]}
---
apiVersion: k8s.ovn.org/v1
kind: EgressService
metadata: {name: web-lb, namespace: app}
spec: {}`)
	res := ask(t, e, "app/web", "ext:api", "tcp/443")
	var msgs []string
	for _, c := range res.Caveats {
		msgs = append(msgs, c.Message)
	}
	assert.Contains(t, strings.Join(msgs, "\n"), "EgressService app/web-lb gives the pods of Service app/web-lb its load-balancer IP, which the input does not give")
}
