package model

import (
	"fmt"
	"sort"
)

// zoneLabel is the label key naming zones: the scenario's, or the default.
func (c *Cluster) zoneLabel() string {
	if c.Scenario != nil && c.Scenario.ZoneLabel != "" {
		return c.Scenario.ZoneLabel
	}
	return DefaultZoneLabel
}

// finishZoneNamespaces creates the namespaces a scenario puts in its zones, labelled with the zone, and
// reports declared ones whose label says otherwise (ZN-1).
func (l *Loader) finishZoneNamespaces() {
	sc := l.cluster.Scenario
	if sc == nil {
		return
	}
	declared := map[string]*Namespace{}
	for _, ns := range l.cluster.Namespaces {
		declared[ns.Name] = ns
	}
	for _, z := range sc.Zones {
		for _, name := range z.Namespaces {
			if ns := declared[name]; ns != nil {
				if got := ns.Labels[sc.ZoneLabel]; got != z.Name {
					l.warn(ns.Source.File, ns.Source.Line, "metadata.labels",
						fmt.Sprintf("namespace %s is labelled %s=%q, but the scenario puts it in zone %s", name, sc.ZoneLabel, got, z.Name))
				}
				continue
			}
			ns := &Namespace{Name: name, Labels: map[string]string{NamespaceNameLabel: name, sc.ZoneLabel: z.Name}, Source: z.Source}
			declared[name] = ns
			l.declaredNS[name] = true
			l.cluster.Namespaces = append(l.cluster.Namespaces, ns)
		}
	}
}

// finishNodes gives labelled nodes their zone (ZN-1).
func (l *Loader) finishNodes() {
	key := l.cluster.zoneLabel()
	for _, n := range l.cluster.Nodes {
		if n.Zone == "" {
			n.Zone = n.Labels[key]
		}
	}
}

// finishRouters adds what every OpenShift cluster with routes has: the default IngressController when it
// is not declared (RT-1), the openshift-ingress namespace with its policy-group label, and one router pod
// per IngressController that has none in the input (RT-4), on the first node its placement selects.
func (l *Loader) finishRouters() {
	c := l.cluster
	if len(c.Routes) == 0 && len(c.IngressControllers) == 0 {
		return
	}
	hasDefault := false
	for _, ic := range c.IngressControllers {
		hasDefault = hasDefault || ic.Name == "default"
	}
	if !hasDefault {
		c.IngressControllers = append(c.IngressControllers, &IngressController{Name: "default", Strategy: "HostNetwork", Replicas: 2,
			NodeSelector: map[string]string{"node-role.kubernetes.io/worker": ""}, Implicit: true})
		l.warn("", 0, "", "no IngressController \"default\" in the input: assuming the one every OpenShift cluster has, admitting every route on worker nodes (RT-1)")
	}
	sort.Slice(c.IngressControllers, func(i, j int) bool { return c.IngressControllers[i].Name < c.IngressControllers[j].Name })
	if _, ok := l.nsRefs[IngressNamespace]; !ok {
		l.nsRefs[IngressNamespace] = Source{}
	}
	if !l.declaredNS[IngressNamespace] {
		l.declaredNS[IngressNamespace] = true
		c.Namespaces = append(c.Namespaces, &Namespace{Name: IngressNamespace, Labels: map[string]string{
			NamespaceNameLabel: IngressNamespace, IngressPolicyGroupLabel: "", "network.openshift.io/policy-group": "ingress",
		}})
	}
	have := map[string]bool{}
	for _, p := range c.Pods {
		if p.Namespace == IngressNamespace && p.Labels[RouterPodLabel] != "" {
			have[p.Labels[RouterPodLabel]] = true
		}
	}
	for _, ic := range c.IngressControllers {
		if have[ic.Name] {
			continue
		}
		pod := &Pod{Namespace: IngressNamespace, Name: "router-" + ic.Name + "-0", Labels: map[string]string{RouterPodLabel: ic.Name},
			HostNetwork: ic.Strategy == "HostNetwork", Source: ic.Source,
			Ports: []ContainerPort{{Name: "http", Port: 80, Protocol: "TCP"}, {Name: "https", Port: 443, Protocol: "TCP"}}}
		if nodes := c.NodesMatching(ic.NodeSelector); len(nodes) > 0 {
			pod.NodeName = nodes[0].Name
		}
		c.Pods = append(c.Pods, pod)
	}
}

// NodesMatching returns the nodes whose labels include every key=value of sel, in name order.
func (c *Cluster) NodesMatching(sel map[string]string) []*Node {
	var out []*Node
	for _, n := range c.Nodes {
		ok := true
		for k, v := range sel {
			if got, has := n.Labels[k]; !has || got != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// RouterPods returns the router pods of an IngressController (RT-4).
func (c *Cluster) RouterPods(ic string) []*Pod {
	var out []*Pod
	for _, p := range c.Pods {
		if p.Namespace == IngressNamespace && p.Labels[RouterPodLabel] == ic {
			out = append(out, p)
		}
	}
	return out
}

func (ic *IngressController) String() string {
	return fmt.Sprintf("IngressController %s", ic.Name)
}
