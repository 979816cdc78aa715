package model_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// IN-1..IN-3: an Ingress whose class is served by OpenShift's ingress-to-route becomes one Route per
// rule path with a host (not the default backend), named after it; one of another controller, or with no
// known class, is not modelled and says which controller serves it.
func TestIngressesBecomeRoutesOnOpenShift(t *testing.T) {
	const classes = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: openshift-default}
spec: {controller: openshift.io/ingress-to-route, parameters: {apiGroup: operator.openshift.io, kind: IngressController, name: default}}
---
`
	ingress := func(meta, spec string) string {
		return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: web, labels: {shard: public}` + meta + `}
spec:` + spec + `
  defaultBackend: {service: {name: frontend, port: {number: 80}}}
  rules:
    - host: shop.example.com
      http:
        paths:
          - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
`
	}
	tests := []struct {
		name       string
		docs       string
		wantRoutes []string
		wantEffect string
	}{
		{"ingressClassName openshift-default", classes + ingress("", "\n  ingressClassName: openshift-default"), []string{"web/shop-0 -> api:http host \"shop.example.com\" (Ingress shop)"}, ""},
		{"the default class is nginx's", classes + ingress("", ""), nil,
			"an Ingress opens a path from outside through its controller's pods, which zonesim models for OpenShift's ingress-to-route only; web/shop's controller is k8s.io/ingress-nginx (the default IngressClass nginx)"},
		{"the annotation names a class the input lacks", ingress(", annotations: {kubernetes.io/ingress.class: traefik}", ""), nil,
			"an Ingress opens a path from outside through its controller's pods, which zonesim models for OpenShift's ingress-to-route only; IngressClass traefik is not in the input"},
		{"no class on plain Kubernetes", ingress("", ""), nil,
			"an Ingress opens a path from outside through its controller's pods, which zonesim models for OpenShift's ingress-to-route only; no IngressClass names its controller"},
		{"no class on OpenShift", "apiVersion: v1\nkind: Namespace\nmetadata: {name: openshift-ingress}\n---\n" + ingress("", ""),
			[]string{"web/shop-0 -> api:http host \"shop.example.com\" (Ingress shop)"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, probs := load(t, tt.docs)
			require.Empty(t, probs.Errors())
			var routes []string
			for _, r := range c.Routes {
				routes = append(routes, r.Namespace+"/"+r.Name+" -> "+r.Service+":"+r.TargetPort.String()+" host \""+r.Host+"\" (Ingress "+r.Ingress+")")
			}
			assert.Equal(t, tt.wantRoutes, routes)
			var effects []string
			for _, u := range c.Unmodelled {
				effects = append(effects, u.Effect)
			}
			if tt.wantEffect == "" {
				assert.Empty(t, effects)
			} else {
				assert.Equal(t, []string{tt.wantEffect}, effects)
			}
		})
	}
}

// IN-2: a backend naming a port its service does not have gets no route, and a warning.
func TestIngressBackendPortMustExist(t *testing.T) {
	c, probs := load(t, `apiVersion: v1
kind: Namespace
metadata: {name: openshift-ingress}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{name: http, port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: shop}
spec:
  rules:
    - host: shop.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 9999}}}}
          - {path: /api, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}`)
	require.Empty(t, probs.Errors())
	require.Len(t, c.Routes, 1)
	assert.Equal(t, "shop-0", c.Routes[0].Name)
	assert.Equal(t, "http", c.Routes[0].TargetPort.String())
	assert.Contains(t, problemStrings(probs), "in.yaml:18: warning: Ingress shop/shop: service web has no port 9999: ingress-to-route writes no route for it (IN-2)")
}
