package model

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	netv1 "github.com/openshift/api/network/v1"
	operatorv1 "github.com/openshift/api/operator/v1"
	routev1 "github.com/openshift/api/route/v1"
	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
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
		for _, msg := range dns1123LabelProblems(meta.GetName()) {
			v.err([]any{"metadata", "name"}, fmt.Sprintf("invalid name %q: %s", meta.GetName(), msg))
		}
	case "NetworkPolicy": // validateNetworkPolicy checks it
	case "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding":
		// RBAC names are path segments: system:aggregate-to-admin is one.
		for _, msg := range content.IsPathSegmentName(meta.GetName()) {
			v.err([]any{"metadata", "name"}, fmt.Sprintf("invalid name %q: %s", meta.GetName(), msg))
		}
	default:
		for _, msg := range dns1123SubdomainProblems(meta.GetName()) {
			v.err([]any{"metadata", "name"}, fmt.Sprintf("invalid name %q: %s", meta.GetName(), msg))
		}
	}
	v.labels(meta.GetLabels(), "metadata", "labels")
	switch o := obj.(type) {
	case *corev1.Pod:
		v.podSpec(&o.Spec, "spec")
		v.restartPolicy(o.Spec.RestartPolicy, false, "spec", "restartPolicy")
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
	case *corev1.ReplicationController:
		v.replicationController(o)
	case *batchv1.Job:
		v.jobTemplate(&o.Spec.Template, "spec", "template")
	case *batchv1.CronJob:
		if err := checkSchedule(o.Spec.Schedule); err != nil {
			v.err([]any{"spec", "schedule"}, err.Error())
		}
		v.jobTemplate(&o.Spec.JobTemplate.Spec.Template, "spec", "jobTemplate", "spec", "template")
	case *storagev1.StorageClass:
		v.storageClass(o)
	case *rbacv1.Role:
		v.policyRules(o.Rules, true)
	case *rbacv1.ClusterRole:
		v.policyRules(o.Rules, false)
	case *rbacv1.RoleBinding:
		v.roleBinding(o.RoleRef, o.Subjects, true)
	case *rbacv1.ClusterRoleBinding:
		v.roleBinding(o.RoleRef, o.Subjects, false)
	case *routev1.Route:
		v.route(o)
	case *operatorv1.IngressController:
		if s := o.Spec.EndpointPublishingStrategy; s != nil {
			v.oneOf(string(s.Type), []string{"LoadBalancerService", "HostNetwork", "Private", "NodePortService"}, "spec", "endpointPublishingStrategy", "type")
		}
	case *netv1.HostSubnet:
		v.required(nil, "host", "hostIP", "subnet")
	}
	return v.probs
}

// oneOf reports a value outside the allowed ones (an enum of the API or its CRD schema).
func (v *policyValidator) oneOf(val string, allowed []string, path ...any) {
	if !slices.Contains(allowed, val) {
		v.err(path, fmt.Sprintf("unsupported value %q: must be %s", val, orList(allowed)))
	}
}

// orList is "a, b or c".
func orList(list []string) string {
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}

// restartPolicy checks a pod's restart policy; a Job's pods (job) restart OnFailure or Never, and the
// default (Always) is refused there.
func (v *policyValidator) restartPolicy(p corev1.RestartPolicy, job bool, path ...any) {
	switch {
	case job && p == "":
		v.err(path, "required: a Job's pods restart OnFailure or Never (the default, Always, is refused)")
	case job:
		v.oneOf(string(p), []string{"OnFailure", "Never"}, path...)
	case p != "":
		v.oneOf(string(p), []string{"Always", "OnFailure", "Never"}, path...)
	}
}

// podTemplate checks a workload's pod template: its labels and its pod.
func (v *policyValidator) podTemplate(t *corev1.PodTemplateSpec, path ...any) {
	v.labels(t.Labels, extend(path, "metadata", "labels")...)
	v.podSpec(&t.Spec, extend(path, "spec")...)
}

// jobTemplate checks the pod template of a Job or CronJob.
func (v *policyValidator) jobTemplate(t *corev1.PodTemplateSpec, path ...any) {
	v.podTemplate(t, path...)
	v.restartPolicy(t.Spec.RestartPolicy, true, extend(path, "spec", "restartPolicy")...)
}

// replicationController: a selector, when given, selects the template (without one, the server takes the
// template's labels).
func (v *policyValidator) replicationController(rc *corev1.ReplicationController) {
	if rc.Spec.Template == nil {
		v.err([]any{"spec", "template"}, "required")
		return
	}
	v.podTemplate(rc.Spec.Template, "spec", "template")
	if sel := labels.SelectorFromSet(rc.Spec.Selector); len(rc.Spec.Selector) > 0 && !sel.Matches(labels.Set(rc.Spec.Template.Labels)) {
		v.err([]any{"spec", "template", "metadata", "labels"}, fmt.Sprintf("`selector` does not match template `labels` (selector %s)", sel))
	}
}

func (v *policyValidator) storageClass(sc *storagev1.StorageClass) {
	if sc.Provisioner == "" {
		v.err([]any{"provisioner"}, "required")
	}
	if sc.ReclaimPolicy != nil {
		v.oneOf(string(*sc.ReclaimPolicy), []string{"Delete", "Retain"}, "reclaimPolicy")
	}
	if sc.VolumeBindingMode != nil {
		v.oneOf(string(*sc.VolumeBindingMode), []string{"Immediate", "WaitForFirstConsumer"}, "volumeBindingMode")
	}
}

// policyRules checks RBAC rules as the API server does: verbs always; resource rules name API groups and
// resources; non-resource URLs only in cluster roles and never with resources.
func (v *policyValidator) policyRules(rules []rbacv1.PolicyRule, namespaced bool) {
	for i, r := range rules {
		path := []any{"rules", i}
		if len(r.Verbs) == 0 {
			v.err(extend(path, "verbs"), "required")
		}
		switch {
		case len(r.NonResourceURLs) > 0 && namespaced:
			v.err(extend(path, "nonResourceURLs"), "namespaced rules cannot apply to non-resource URLs")
		case len(r.NonResourceURLs) > 0 && (len(r.APIGroups) > 0 || len(r.Resources) > 0 || len(r.ResourceNames) > 0):
			v.err(extend(path, "nonResourceURLs"), "rules cannot apply to both regular resources and non-resource URLs")
		case len(r.NonResourceURLs) == 0:
			if len(r.APIGroups) == 0 {
				v.err(extend(path, "apiGroups"), "required: resource rules must supply at least one api group")
			}
			if len(r.Resources) == 0 {
				v.err(extend(path, "resources"), "required: resource rules must supply at least one resource")
			}
		}
	}
}

// roleBinding checks the role a binding grants and its subjects, as the API server does.
func (v *policyValidator) roleBinding(ref rbacv1.RoleRef, subjects []rbacv1.Subject, namespaced bool) {
	kinds := []string{"ClusterRole"}
	if namespaced {
		kinds = []string{"Role", "ClusterRole"}
	}
	v.oneOf(ref.APIGroup, []string{rbacv1.GroupName}, "roleRef", "apiGroup")
	v.oneOf(ref.Kind, kinds, "roleRef", "kind")
	if ref.Name == "" {
		v.err([]any{"roleRef", "name"}, "required")
	}
	for i, s := range subjects {
		path := []any{"subjects", i}
		if s.Name == "" {
			v.err(extend(path, "name"), "required")
		}
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			if s.APIGroup != "" {
				v.err(extend(path, "apiGroup"), fmt.Sprintf("unsupported value %q: a ServiceAccount subject has no apiGroup", s.APIGroup))
			}
			if s.Namespace == "" && !namespaced {
				v.err(extend(path, "namespace"), "required")
			}
		case rbacv1.UserKind, rbacv1.GroupKind:
			v.oneOf(s.APIGroup, []string{rbacv1.GroupName}, extend(path, "apiGroup")...)
		default:
			v.err(extend(path, "kind"), fmt.Sprintf("unsupported value %q: must be ServiceAccount, User or Group", s.Kind))
		}
	}
}

// route checks what the Route CRD's schema and rules check of the fields zonesim reads: a backend that is
// a Service with a weight of 0-256, a known TLS termination, and no path with passthrough.
func (v *policyValidator) route(r *routev1.Route) {
	if !has(v.root, "spec", "to") {
		v.err([]any{"spec", "to"}, "required")
	}
	backends := append([]routev1.RouteTargetReference{r.Spec.To}, r.Spec.AlternateBackends...)
	for i, b := range backends {
		path := []any{"spec", "to"}
		if i > 0 {
			path = []any{"spec", "alternateBackends", i - 1}
		}
		if b.Kind != "" {
			v.oneOf(b.Kind, []string{"Service"}, extend(path, "kind")...)
		}
		if b.Weight != nil && (*b.Weight < 0 || *b.Weight > 256) {
			v.err(extend(path, "weight"), fmt.Sprintf("invalid weight %d: must be between 0 and 256, inclusive", *b.Weight))
		}
	}
	if len(r.Spec.AlternateBackends) > 3 {
		v.err([]any{"spec", "alternateBackends"}, fmt.Sprintf("at most 3 items, got %d", len(r.Spec.AlternateBackends)))
	}
	if tls := r.Spec.TLS; tls != nil {
		v.oneOf(strings.ToLower(string(tls.Termination)), []string{"edge", "reencrypt", "passthrough"}, "spec", "tls", "termination")
		if strings.EqualFold(string(tls.Termination), "passthrough") && r.Spec.Path != "" {
			v.err([]any{"spec", "path"}, "passthrough termination does not support paths")
		}
	}
}

func (v *policyValidator) labels(l map[string]string, path ...any) {
	for _, k := range slices.Sorted(maps.Keys(l)) {
		for _, msg := range labelProblems(k, l[k]) {
			v.err(extend(path, k), msg)
		}
	}
}

func labelProblems(k, val string) []string {
	var out []string
	for _, msg := range qualifiedNameProblems(k) {
		out = append(out, fmt.Sprintf("invalid label key %q: %s", k, msg))
	}
	for _, msg := range labelValueProblems(val) {
		out = append(out, fmt.Sprintf("invalid label value %q: %s", val, msg))
	}
	return out
}

// ValidateLabels checks a label set as the API server does, a message per problem.
func ValidateLabels(l map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		out = append(out, labelProblems(k, l[k])...)
	}
	return out
}

// workload checks that a workload's selector is given and selects its own template, as the API server
// requires of Deployments, ReplicaSets, StatefulSets and DaemonSets.
func (v *policyValidator) workload(sel *metav1.LabelSelector, tmpl *corev1.PodTemplateSpec) {
	v.podTemplate(tmpl, "spec", "template")
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
				for _, msg := range dns1123LabelProblems(c.Name) {
					v.err(extend(cp, "name"), fmt.Sprintf("invalid container name %q: %s", c.Name, msg))
				}
			}
			containers[c.Name] = true
			if c.Image == "" {
				v.err(extend(cp, "image"), "required")
			}
			for j, p := range c.Ports {
				pp := extend(cp, "ports", j)
				v.portNumber(p.ContainerPort, extend(pp, "containerPort")...)
				v.protocol(string(p.Protocol), extend(pp, "protocol"))
				if spec.HostNetwork && p.HostPort != 0 && p.HostPort != p.ContainerPort {
					v.err(extend(pp, "hostPort"), fmt.Sprintf("invalid port %d: must match containerPort (%d) when hostNetwork is true", p.HostPort, p.ContainerPort))
				}
				if p.Name == "" {
					continue
				}
				for _, msg := range portNameProblems(p.Name) {
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
		v.portNumber(p.Port, extend(pp, "port")...)
		v.protocol(string(p.Protocol), extend(pp, "protocol"))
		switch {
		case p.TargetPort.Type == intstr.String && p.TargetPort.StrVal != "":
			for _, msg := range portNameProblems(p.TargetPort.StrVal) {
				v.err(extend(pp, "targetPort"), fmt.Sprintf("invalid port name %q: %s", p.TargetPort.StrVal, msg))
			}
		case p.TargetPort.Type == intstr.Int && p.TargetPort.IntVal != 0: // 0: the same as port
			v.portNumber(p.TargetPort.IntVal, extend(pp, "targetPort")...)
		}
	}
}
