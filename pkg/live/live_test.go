package live_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/live"
	"github.com/zonesim/zonesim/pkg/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	fakedynamic "k8s.io/client-go/dynamic/fake"
	kubetesting "k8s.io/client-go/testing"
)

func obj(apiVersion, kind, ns, name string, fields map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind,
		"metadata": map[string]any{"name": name}}}
	if ns != "" {
		u.SetNamespace(ns)
	}
	for k, v := range fields {
		u.Object[k] = v
	}
	return u
}

// cluster is a fake API server serving the given group versions (every modelled resource in each), with
// objects in it.
func cluster(t *testing.T, served []string, objects ...runtime.Object) (*fakediscovery.FakeDiscovery, *fakedynamic.FakeDynamicClient) {
	t.Helper()
	listKinds := map[schema.GroupVersionResource]string{}
	byGV := map[string]*metav1.APIResourceList{}
	for _, k := range model.Kinds() {
		gv, err := schema.ParseGroupVersion(k.Versions[0])
		require.NoError(t, err)
		listKinds[gv.WithResource(k.Resource)] = k.Kind + "List"
		for _, s := range served {
			if s == k.Versions[0] {
				if byGV[s] == nil {
					byGV[s] = &metav1.APIResourceList{GroupVersion: s}
				}
				byGV[s].APIResources = append(byGV[s].APIResources, metav1.APIResource{Name: k.Resource, Kind: k.Kind, Namespaced: k.Namespaced})
			}
		}
	}
	fd := &fakediscovery.FakeDiscovery{Fake: &kubetesting.Fake{}}
	for _, l := range byGV {
		fd.Resources = append(fd.Resources, l)
	}
	return fd, fakedynamic.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, objects...)
}

func TestReadFillsTheLoaderFromTheRegistry(t *testing.T) {
	fd, dyn := cluster(t, []string{"v1", "networking.k8s.io/v1"},
		obj("v1", "Namespace", "", "shop", map[string]any{"status": map[string]any{"phase": "Active"}}),
		obj("v1", "Node", "", "n1", map[string]any{"status": map[string]any{"addresses": []any{map[string]any{"type": "InternalIP", "address": "192.0.2.10"}}}}),
		obj("v1", "Pod", "shop", "web", map[string]any{"metadata": map[string]any{"name": "web", "namespace": "shop", "labels": map[string]any{"app": "web"}},
			"spec":   map[string]any{"containers": []any{map[string]any{"name": "web", "image": "registry.example/web:1"}}},
			"status": map[string]any{"phase": "Running", "podIP": "10.0.0.5"}}),
		obj("v1", "Pod", "shop", "done", map[string]any{"status": map[string]any{"phase": "Succeeded", "podIP": "10.0.0.6"}}),
		obj("networking.k8s.io/v1", "NetworkPolicy", "shop", "deny", map[string]any{"spec": map[string]any{"podSelector": map[string]any{}}}),
	)
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	sum, err := live.ReadWith(context.Background(), l, fd, dyn, "cluster:test")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"Namespace": 1, "Node": 1, "Pod": 1, "NetworkPolicy": 1}, sum.Read)
	assert.Equal(t, "1 Namespace, 1 NetworkPolicy, 1 Node, 1 Pod", sum.String())
	assert.Equal(t, []string{"1 pod(s) not running (no IP yet, or finished) were left out"}, sum.Notes)

	c, err := l.Cluster()
	require.NoError(t, err)
	require.Len(t, c.Pods, 1)
	assert.Equal(t, "10.0.0.5", c.Pods[0].IP.String(), "a pod's status is kept: it holds its IP")
	assert.Equal(t, "cluster:test/Pod/shop/web", c.Pods[0].Source.File)
	require.Len(t, c.Nodes, 1)
	assert.Equal(t, "192.0.2.10", c.Nodes[0].IP.String())
	require.Len(t, c.Policies, 1)
	assert.Equal(t, "deny", c.Policies[0].Name)
}

func TestReadNeedsTheCoreKinds(t *testing.T) {
	fd, dyn := cluster(t, []string{"v1"}) // no networking.k8s.io/v1
	_, err := live.ReadWith(context.Background(), model.NewLoader(model.DefaultLoadOptions(), nil), fd, dyn, "c")
	require.Error(t, err)
	assert.Equal(t, "read c: the cluster does not serve networking.k8s.io/v1, Resource=networkpolicies", err.Error())
}

func TestReadStopsWhenCancelled(t *testing.T) {
	fd, dyn := cluster(t, []string{"v1", "networking.k8s.io/v1"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := live.ReadWith(ctx, model.NewLoader(model.DefaultLoadOptions(), nil), fd, dyn, "c")
	assert.ErrorIs(t, err, context.Canceled)
}
