package model

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Ingress is a networking.k8s.io/v1 Ingress: rules that send hosts and paths to services, served by the
// controller of its IngressClass (IN-1).
type Ingress struct {
	Namespace, Name string
	Labels          map[string]string
	// Class is the IngressClass named (spec.ingressClassName, else the kubernetes.io/ingress.class
	// annotation), else the default class's; "" when none.
	Class    string
	Backends []IngressBackend
	// DefaultBackend: Backends[0] is spec.defaultBackend (no host, no path).
	DefaultBackend bool
	Source         Source
}

// IngressBackend is one service an Ingress sends to, with the host and path that lead there.
type IngressBackend struct {
	Host, Path string
	Exact      bool // pathType Exact
	Service    string
	Port       intstr.IntOrString // the service's port, by number or name
	Line       int
}

// Key is "namespace/name".
func (i *Ingress) Key() string { return i.Namespace + "/" + i.Name }

// IngressClass names the controller that serves the Ingresses of a class.
type IngressClass struct {
	Name       string
	Controller string
	// Parameters names the object that configures the controller ("IngressController default").
	Parameters string
	Default    bool
	Source     Source
}

// IngressToRouteController is OpenShift's controller for Ingresses: it writes a Route for each of their
// backends, which the router shards then admit like any route (IN-2).
const IngressToRouteController = "openshift.io/ingress-to-route"

const (
	ingressClassAnnotation   = "kubernetes.io/ingress.class"
	defaultIngressClassAnnot = "ingressclass.kubernetes.io/is-default-class"
)

func init() {
	kindSpecs["Ingress"] = kindSpec{versions: []string{"networking.k8s.io/v1"}, newObj: func() any { return &networkingv1.Ingress{} }, add: (*Loader).addIngress}
	kindSpecs["IngressClass"] = kindSpec{versions: []string{"networking.k8s.io/v1"}, newObj: func() any { return &networkingv1.IngressClass{} }, add: (*Loader).addIngressClass, cluster: true}
}

func (l *Loader) addIngress(obj any, src Source, root *yaml.Node) {
	in := obj.(*networkingv1.Ingress)
	ing := &Ingress{Namespace: in.Namespace, Name: in.Name, Labels: copyLabels(in.Labels), Source: src}
	// The annotation first, as OpenShift's ingress-to-route reads it (IN-1).
	if a, ok := in.Annotations[ingressClassAnnotation]; ok {
		ing.Class = a
	} else if in.Spec.IngressClassName != nil {
		ing.Class = *in.Spec.IngressClassName
	}
	v := &policyValidator{file: src.File, root: root}
	add := func(host, path string, pathType *networkingv1.PathType, b *networkingv1.IngressBackend, at ...any) {
		switch {
		case b.Service != nil:
			port := intstr.FromInt32(b.Service.Port.Number)
			if b.Service.Port.Name != "" {
				port = intstr.FromString(b.Service.Port.Name)
			}
			if b.Service.Port.Name != "" && b.Service.Port.Number != 0 {
				v.err(extend(at, "service", "port"), "must set exactly one of name and number")
			}
			ing.Backends = append(ing.Backends, IngressBackend{Host: host, Path: path, Exact: pathType != nil && *pathType == networkingv1.PathTypeExact,
				Service: b.Service.Name, Port: port, Line: lineAt(root, at...)})
		case b.Resource != nil:
			v.warn(at, fmt.Sprintf("a %s resource backend is not a service: zonesim does not follow it", b.Resource.Kind))
		}
	}
	if b := in.Spec.DefaultBackend; b != nil {
		add("", "", nil, b, "spec", "defaultBackend")
		ing.DefaultBackend = true
	}
	for i, r := range in.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for j, p := range r.HTTP.Paths {
			add(r.Host, p.Path, p.PathType, &p.Backend, "spec", "rules", i, "http", "paths", j, "backend")
		}
	}
	l.probs = append(l.probs, v.probs...)
	if len(v.probs.Errors()) == 0 {
		l.cluster.Ingresses = append(l.cluster.Ingresses, ing)
	}
}

func (l *Loader) addIngressClass(obj any, src Source, _ *yaml.Node) {
	c := obj.(*networkingv1.IngressClass)
	ic := &IngressClass{Name: c.Name, Controller: c.Spec.Controller, Default: c.Annotations[defaultIngressClassAnnot] == "true", Source: src}
	if p := c.Spec.Parameters; p != nil {
		ic.Parameters = p.Kind + " " + p.Name
	}
	l.cluster.IngressClasses = append(l.cluster.IngressClasses, ic)
}

// ingressController says which controller serves an Ingress, and whether that is OpenShift's
// ingress-to-route; why says how it was decided.
func (c *Cluster) ingressController(in *Ingress) (controller string, toRoute bool, why string) {
	class := in.Class
	if class == "" {
		for _, ic := range c.IngressClasses {
			if ic.Default {
				class = ic.Name
				why = "the default IngressClass " + ic.Name
			}
		}
	}
	if class == "" {
		if c.openShift() {
			return IngressToRouteController, true, "no IngressClass: OpenShift's ingress-to-route serves it"
		}
		return "", false, "no IngressClass names its controller"
	}
	for _, ic := range c.IngressClasses {
		if ic.Name == class {
			if why == "" {
				why = "IngressClass " + ic.Name
			}
			return ic.Controller, ic.Controller == IngressToRouteController, why
		}
	}
	if class == "openshift-default" {
		return IngressToRouteController, true, "IngressClass openshift-default, which every OpenShift cluster has"
	}
	return "", false, fmt.Sprintf("IngressClass %s is not in the input", class)
}

// openShift says whether the input is of an OpenShift cluster: it has routes, router shards or
// openshift-* namespaces.
func (c *Cluster) openShift() bool {
	if len(c.Routes) > 0 || len(c.IngressControllers) > 0 {
		return true
	}
	for _, ns := range c.Namespaces {
		if strings.HasPrefix(ns.Name, "openshift-") {
			return true
		}
	}
	return false
}

// finishIngresses turns the Ingresses OpenShift's ingress-to-route serves into the Routes it writes, one
// per backend, named after the Ingress (IN-2); the Ingresses of other controllers are not modelled, and
// every verdict they may affect carries a caveat (IN-3).
func (l *Loader) finishIngresses() {
	c := l.cluster
	for _, in := range c.Ingresses {
		controller, toRoute, why := c.ingressController(in)
		if !toRoute {
			effect := "an Ingress opens a path from outside through its controller's pods, which zonesim models for OpenShift's ingress-to-route only"
			if controller != "" {
				effect += fmt.Sprintf("; %s's controller is %s (%s)", in.Key(), controller, why)
			} else {
				effect += "; " + why
			}
			c.Unmodelled = append(c.Unmodelled, &Unmodelled{Kind: "Ingress", APIVersion: "networking.k8s.io/v1", Namespace: in.Namespace, Name: in.Name,
				Effect: effect, Source: in.Source})
			continue
		}
		n := 0
		for i, b := range in.Backends {
			var skip string
			switch {
			case i == 0 && in.DefaultBackend:
				skip = "spec.defaultBackend: ingress-to-route writes no route for a default backend (IN-2)"
			case b.Host == "":
				skip = "a rule without host: ingress-to-route writes no route for it (IN-2)"
			case b.Exact:
				skip = "pathType Exact: ingress-to-route writes no route for it (IN-2)"
			case !servesPort(c.Service(in.Namespace, b.Service), b.Port):
				skip = fmt.Sprintf("service %s has no port %s: ingress-to-route writes no route for it (IN-2)", b.Service, b.Port.String())
			}
			if skip != "" {
				l.warn(in.Source.File, b.Line, "", fmt.Sprintf("Ingress %s: %s", in.Key(), skip))
				continue
			}
			r := &Route{Namespace: in.Namespace, Name: fmt.Sprintf("%s-%d", in.Name, n), Labels: in.Labels, Host: b.Host, Service: b.Service,
				TargetPort: b.Port, Ingress: in.Name, Source: Source{File: in.Source.File, Line: b.Line}}
			n++
			c.Routes = append(c.Routes, r)
		}
	}
}

// servesPort says whether a service has the port an Ingress backend names, by number or name; a service
// the input does not have is left to the route, which says so.
func servesPort(svc *Service, port intstr.IntOrString) bool {
	if svc == nil {
		return true
	}
	for _, sp := range svc.Ports {
		if port.Type == intstr.String && sp.Name == port.StrVal || port.Type == intstr.Int && sp.Port == port.IntVal {
			return true
		}
	}
	return false
}
