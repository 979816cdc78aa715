package model

import (
	"fmt"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// validateObject checks what the API server's validation checks of the objects zonesim reads beyond their
// schema: names, labels, container and service ports, workload selectors. The paths and messages follow
// the server's, with the line of each field.
func validateObject(kind string, obj any, file string, root *yaml.Node) Problems {
	v := &policyValidator{file: file, root: root}
	meta, ok := obj.(metav1.Object)
	if !ok {
		return nil
	}
	switch kind {
	case "Namespace", "Service":
		for _, msg := range validation.IsDNS1123Label(meta.GetName()) {
			v.err([]any{"metadata", "name"}, fmt.Sprintf("invalid name %q: %s", meta.GetName(), msg))
		}
	case "NetworkPolicy": // validateNetworkPolicy checks it
	default:
		for _, msg := range validation.IsDNS1123Subdomain(meta.GetName()) {
			v.err([]any{"metadata", "name"}, fmt.Sprintf("invalid name %q: %s", meta.GetName(), msg))
		}
	}
	v.labels(meta.GetLabels(), "metadata", "labels")
	switch o := obj.(type) {
	case *corev1.Pod:
		v.podSpec(&o.Spec, "spec")
	case *corev1.Service:
		v.servicePorts(o.Spec.Ports)
	case *appsv1.Deployment:
		v.workload(o.Spec.Selector, &o.Spec.Template)
	case *appsv1.ReplicaSet:
		v.workload(o.Spec.Selector, &o.Spec.Template)
	case *appsv1.StatefulSet:
		v.workload(o.Spec.Selector, &o.Spec.Template)
	case *appsv1.DaemonSet:
		v.workload(o.Spec.Selector, &o.Spec.Template)
	}
	return v.probs
}

func (v *policyValidator) labels(l map[string]string, path ...any) {
	for k, val := range l {
		for _, msg := range validation.IsQualifiedName(k) {
			v.err(extend(path, k), fmt.Sprintf("invalid label key %q: %s", k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(val) {
			v.err(extend(path, k), fmt.Sprintf("invalid label value %q: %s", val, msg))
		}
	}
}

// workload checks that a workload's selector is given and selects its own template, as the API server
// requires of Deployments, ReplicaSets, StatefulSets and DaemonSets.
func (v *policyValidator) workload(sel *metav1.LabelSelector, tmpl *corev1.PodTemplateSpec) {
	v.labels(tmpl.Labels, "spec", "template", "metadata", "labels")
	v.podSpec(&tmpl.Spec, "spec", "template", "spec")
	if sel == nil {
		v.err([]any{"spec", "selector"}, "required")
		return
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		v.err([]any{"spec", "selector"}, err.Error())
		return
	}
	if s.Empty() {
		v.err([]any{"spec", "selector"}, "empty selector is invalid for a workload")
		return
	}
	if !s.Matches(labels.Set(tmpl.Labels)) {
		v.err([]any{"spec", "template", "metadata", "labels"}, fmt.Sprintf("`selector` does not match template `labels` (selector %s)", s))
	}
}

// podSpec checks the containers as the API server does: at least one, each named (a DNS label, unique in
// the pod) with an image; their ports a number within 1-65535 with protocol TCP, UDP or SCTP, a valid
// name, no name twice in a pod.
func (v *policyValidator) podSpec(spec *corev1.PodSpec, path ...any) {
	if len(spec.Containers) == 0 {
		v.err(extend(path, "containers"), "required: a pod needs at least one container")
	}
	names, containers := map[string]bool{}, map[string]bool{}
	for _, group := range []struct {
		field string
		cs    []corev1.Container
	}{{"initContainers", spec.InitContainers}, {"containers", spec.Containers}} {
		for i, c := range group.cs {
			cp := extend(path, group.field, i)
			switch {
			case c.Name == "":
				v.err(extend(cp, "name"), "required")
			case containers[c.Name]:
				v.err(extend(cp, "name"), fmt.Sprintf("duplicate value %q", c.Name))
			default:
				for _, msg := range validation.IsDNS1123Label(c.Name) {
					v.err(extend(cp, "name"), fmt.Sprintf("invalid container name %q: %s", c.Name, msg))
				}
			}
			containers[c.Name] = true
			if c.Image == "" {
				v.err(extend(cp, "image"), "required")
			}
			for j, p := range c.Ports {
				pp := extend(cp, "ports", j)
				if p.ContainerPort < 1 || p.ContainerPort > 65535 {
					v.err(extend(pp, "containerPort"), fmt.Sprintf("invalid port %d: must be between 1 and 65535, inclusive", p.ContainerPort))
				}
				v.protocol(string(p.Protocol), extend(pp, "protocol"))
				if p.Name == "" {
					continue
				}
				for _, msg := range validation.IsValidPortName(p.Name) {
					v.err(extend(pp, "name"), fmt.Sprintf("invalid port name %q: %s", p.Name, msg))
				}
				if names[p.Name] {
					v.err(extend(pp, "name"), fmt.Sprintf("duplicate value %q", p.Name))
				}
				names[p.Name] = true
			}
		}
	}
}

// servicePorts checks a Service's ports: named when there are several, names unique, target ports valid.
func (v *policyValidator) servicePorts(ports []corev1.ServicePort) {
	names := map[string]bool{}
	for i, p := range ports {
		pp := []any{"spec", "ports", i}
		if len(ports) > 1 && p.Name == "" {
			v.err(extend(pp, "name"), "required: a Service with more than one port names each")
		}
		if p.Name != "" {
			if names[p.Name] {
				v.err(extend(pp, "name"), fmt.Sprintf("duplicate value %q", p.Name))
			}
			names[p.Name] = true
		}
		if p.Port < 1 || p.Port > 65535 {
			v.err(extend(pp, "port"), fmt.Sprintf("invalid port %d: must be between 1 and 65535, inclusive", p.Port))
		}
		v.protocol(string(p.Protocol), extend(pp, "protocol"))
		switch {
		case p.TargetPort.Type == intstr.String && p.TargetPort.StrVal != "":
			for _, msg := range validation.IsValidPortName(p.TargetPort.StrVal) {
				v.err(extend(pp, "targetPort"), fmt.Sprintf("invalid port name %q: %s", p.TargetPort.StrVal, msg))
			}
		case p.TargetPort.Type == intstr.Int && p.TargetPort.IntVal != 0 && (p.TargetPort.IntVal < 1 || p.TargetPort.IntVal > 65535):
			v.err(extend(pp, "targetPort"), fmt.Sprintf("invalid port %d: must be between 1 and 65535, inclusive", p.TargetPort.IntVal))
		}
	}
}
