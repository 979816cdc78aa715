package tui

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/zonesim/zonesim/pkg/model"
)

// item is one object a what-if can change: switch it off, edit a namespace's labels, or edit a
// NetworkPolicy in $EDITOR.
type item struct {
	kind string // NetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy, EgressFirewall, EgressIP, Route, Namespace
	name string // ns/name for namespaced kinds
	src  model.Source
}

func (it item) key() string { return it.kind + " " + it.name }

// whatIf is a set of changes to the loaded cluster.
type whatIf struct {
	off    map[string]bool                 // item keys switched off
	labels map[string]map[string]string    // namespace -> its labels as edited
	edited map[string]*model.NetworkPolicy // NetworkPolicy item key -> the policy as edited
}

func newWhatIf() whatIf {
	return whatIf{off: map[string]bool{}, labels: map[string]map[string]string{}, edited: map[string]*model.NetworkPolicy{}}
}

func (w whatIf) clone() whatIf {
	c := newWhatIf()
	maps.Copy(c.off, w.off)
	maps.Copy(c.labels, w.labels)
	maps.Copy(c.edited, w.edited)
	return c
}

func (w whatIf) empty() bool { return len(w.labels)+len(w.edited)+len(w.offKeys()) == 0 }

// offKeys are the keys of the items switched off, sorted.
func (w whatIf) offKeys() []string {
	var off []string
	for k, v := range w.off {
		if v {
			off = append(off, k)
		}
	}
	sort.Strings(off)
	return off
}

func (w whatIf) equal(o whatIf) bool { return w.key() == o.key() }

// key identifies what the what-if does to the cluster: every change, and the edited policies by their
// content (a policy edited twice is two what-ifs).
func (w whatIf) key() string {
	var b strings.Builder
	for _, c := range w.list() {
		b.WriteString(c + "\n")
	}
	for _, k := range slices.Sorted(maps.Keys(w.edited)) {
		b.WriteString(policyText(w.edited[k]))
	}
	return b.String()
}

// describe says what the what-if changes, in one line, for people.
func (w whatIf) describe() string {
	var parts []string
	if n := len(w.offKeys()); n > 0 {
		parts = append(parts, fmt.Sprintf("%d off", n))
	}
	if n := len(w.labels); n > 0 {
		parts = append(parts, plural(n, "namespace")+" relabelled")
	}
	if n := len(w.edited); n > 0 {
		parts = append(parts, plural(n, "policy")+" edited")
	}
	return strings.Join(parts, ", ")
}

// plural is "1 policy", "2 policies", "3 namespaces".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// list names every change, one per line, for the export.
func (w whatIf) list() []string {
	var out []string
	for _, k := range w.offKeys() {
		out = append(out, "switched off: "+k)
	}
	for _, ns := range slices.Sorted(maps.Keys(w.labels)) {
		out = append(out, "labels of namespace "+ns+": "+formatLabels(w.labels[ns]))
	}
	for _, k := range slices.Sorted(maps.Keys(w.edited)) {
		out = append(out, "edited: "+k)
	}
	return out
}

// items lists what a what-if can change in the cluster, grouped by kind.
func items(c *model.Cluster) []item {
	var out []item
	for _, p := range c.Policies {
		out = append(out, item{"NetworkPolicy", p.Key(), p.Source})
	}
	for _, p := range c.AdminPolicies {
		out = append(out, item{p.Kind, p.Name, model.Source{}})
	}
	if b := c.Baseline; b != nil {
		out = append(out, item{b.Kind, b.Name, model.Source{}})
	}
	for _, f := range c.EgressFirewalls {
		out = append(out, item{f.Kind, f.Namespace + "/" + f.Name, f.Source})
	}
	for _, e := range c.EgressIPs {
		name := e.Name
		if e.Namespace != "" {
			name = e.Namespace + "/" + e.Name
		}
		out = append(out, item{e.Kind, name, model.Source{}})
	}
	for _, r := range c.Routes {
		out = append(out, item{"Route", r.Namespace + "/" + r.Name, r.Source})
	}
	for _, n := range c.Namespaces {
		out = append(out, item{"Namespace", n.Name, model.Source{}})
	}
	return out
}

// apply returns a copy of the cluster with the what-if's changes; the loaded cluster is not changed.
func (w whatIf) apply(base *model.Cluster) *model.Cluster {
	c := *base // a shallow copy: only the lists below change
	c.Policies = nil
	for _, p := range base.Policies {
		k := "NetworkPolicy " + p.Key()
		if w.off[k] {
			continue
		}
		if e := w.edited[k]; e != nil {
			p = e
		}
		c.Policies = append(c.Policies, p)
	}
	c.AdminPolicies = nil
	for _, p := range base.AdminPolicies {
		if !w.off[p.Kind+" "+p.Name] {
			c.AdminPolicies = append(c.AdminPolicies, p)
		}
	}
	if b := base.Baseline; b != nil && w.off[b.Kind+" "+b.Name] {
		c.Baseline = nil
	}
	c.EgressFirewalls = nil
	for _, f := range base.EgressFirewalls {
		if !w.off[f.Kind+" "+f.Namespace+"/"+f.Name] {
			c.EgressFirewalls = append(c.EgressFirewalls, f)
		}
	}
	c.EgressIPs = nil
	for _, e := range base.EgressIPs {
		name := e.Name
		if e.Namespace != "" {
			name = e.Namespace + "/" + e.Name
		}
		if !w.off[e.Kind+" "+name] {
			c.EgressIPs = append(c.EgressIPs, e)
		}
	}
	c.Routes = nil
	for _, r := range base.Routes {
		if !w.off["Route "+r.Namespace+"/"+r.Name] {
			c.Routes = append(c.Routes, r)
		}
	}
	if len(w.labels) > 0 {
		c.Namespaces = nil
		for _, n := range base.Namespaces {
			if l, ok := w.labels[n.Name]; ok {
				cp := *n
				cp.Labels = l
				n = &cp
			}
			c.Namespaces = append(c.Namespaces, n)
		}
	}
	c.Index()
	return &c
}

// nameLabel is the label the API server gives every namespace: its name.
const nameLabel = "kubernetes.io/metadata.name"

// namespaceLabels reads the labels typed for namespace ns (loaded with labels was): the name label the
// API server keeps is kept, and cannot be given another value.
func namespaceLabels(typed, ns string, was map[string]string) (map[string]string, error) {
	l, err := parseLabels(typed)
	if err != nil {
		return nil, err
	}
	if v, ok := l[nameLabel]; ok && v != ns {
		return nil, fmt.Errorf("%s is always the namespace's name (the API server sets it)", nameLabel)
	}
	if v, ok := was[nameLabel]; ok {
		l[nameLabel] = v
	}
	return l, nil
}

// parseLabels reads "k=v,k2=v2" as a label set, checked as the API server checks labels.
func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("%q: write labels as key=value, separated by commas", kv)
		}
		k = strings.TrimSpace(k)
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("label %q is given twice", k)
		}
		out[k] = strings.TrimSpace(v)
	}
	if errs := model.ValidateLabels(out); len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}

func formatLabels(l map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, k+"="+l[k])
	}
	return strings.Join(parts, ",")
}

// policyYAML writes a NetworkPolicy as a manifest, for $EDITOR and for the patch.
func policyYAML(p *model.NetworkPolicy) ([]byte, error) {
	return yaml.Marshal(networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
		Spec:       p.Spec,
	})
}

// policyText is the policy's manifest, or "" when it cannot be written.
func policyText(p *model.NetworkPolicy) string {
	b, _ := policyYAML(p)
	return string(b)
}

// readPolicy reads back the policy written to file by $EDITOR: exactly one NetworkPolicy, of the same
// name, valid as the API server validates it.
func readPolicy(file string, want *model.NetworkPolicy) (*model.NetworkPolicy, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("edited "+want.Key(), data)
	c, err := l.Cluster()
	if err != nil {
		return nil, err
	}
	if len(c.Policies) != 1 || c.Policies[0].Key() != want.Key() {
		return nil, fmt.Errorf("the edited file must hold the one NetworkPolicy %s", want.Key())
	}
	return c.Policies[0], nil
}

// patch renders the what-if as manifests a reviewer can apply: the policies as edited, the namespaces'
// labels as merge patches, and the objects switched off as kubectl delete commands.
func (w whatIf) patch(base *model.Cluster) (string, error) {
	var b strings.Builder
	b.WriteString("# zonesim what-if: " + w.describe() + "\n")
	if off := w.offKeys(); len(off) > 0 {
		b.WriteString("# Switched off; remove them with:\n")
		for _, k := range w.offKeys() {
			kind, name, _ := strings.Cut(k, " ")
			ns, n, namespaced := strings.Cut(name, "/")
			if namespaced {
				fmt.Fprintf(&b, "#   kubectl delete %s %s -n %s\n", strings.ToLower(kind), n, ns)
			} else {
				fmt.Fprintf(&b, "#   kubectl delete %s %s\n", strings.ToLower(kind), ns)
			}
		}
	}
	for _, ns := range slices.Sorted(maps.Keys(w.labels)) {
		patch, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{"name": ns, "labels": labelPatch(base.Namespace(ns), w.labels[ns])}})
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "---\n# kubectl patch namespace %s --type merge --patch-file <this document>\n%s", ns, patch)
	}
	for _, k := range slices.Sorted(maps.Keys(w.edited)) {
		doc, err := policyYAML(w.edited[k])
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "---\n# kubectl apply -f <this document>\n%s", doc)
	}
	return b.String(), nil
}

// labelPatch is the merge patch from a namespace's labels to want: removed labels become null.
func labelPatch(n *model.Namespace, want map[string]string) map[string]any {
	out := map[string]any{}
	if n != nil {
		for k := range n.Labels {
			if _, ok := want[k]; !ok {
				out[k] = nil
			}
		}
	}
	for k, v := range want {
		if n == nil || n.Labels[k] != v {
			out[k] = v
		}
	}
	return out
}
