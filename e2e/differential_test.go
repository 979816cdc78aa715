//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/internal/corpus"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/sources"
	"github.com/zonesim/zonesim/pkg/sources/helm"
	"github.com/zonesim/zonesim/pkg/sources/kustomize"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
	sigsyaml "sigs.k8s.io/yaml"
)

// The differential test: zonesim's loader and the lab's kube-apiserver (server-side dry-run, strict field
// validation, the admin-policy, OVN-Kubernetes and OpenShift CRDs installed) give the same verdict on every
// manifest of the real-world corpus and of the validation corpus. It runs on the lab only: it installs CRDs.
func TestLoaderAgreesWithTheAPIServer(t *testing.T) {
	if existing != nil {
		t.Skip("not run on an existing cluster: the differential test installs CRDs, so it runs on the lab only")
	}
	f := features.New("zonesim's loader and kube-apiserver agree").
		Assess("on every manifest of the validation and real-world corpora", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			srv := newDryRunServer(ctx, t, cfg)
			defer srv.cleanup(ctx, t)
			t.Run("validation", func(t *testing.T) { validationCorpus(ctx, t, srv) })
			t.Run("realworld", func(t *testing.T) { realWorldCorpus(ctx, t, srv) })
			return ctx
		}).Feature()
	testenv.Test(t, f)
}

func validationCorpus(ctx context.Context, t *testing.T, srv *dryRunServer) {
	cases, err := corpus.Validation("../testdata/validation")
	require.NoError(t, err)
	var table strings.Builder
	for _, c := range cases {
		objs, err := objectsOf(c.File, c.Data, "")
		require.NoError(t, err)
		require.Len(t, objs, 1, "%s: a validation case is one object", c.File)
		o := objs[0]
		o.body, o.contentType = c.Data, "application/yaml" // as written: the server decodes the YAML itself
		srv.ensureNamespaces(ctx, t, []object{o})
		got, msg := srv.verdict(ctx, t, o)
		zs := zonesimVerdict(t, c.File)
		fmt.Fprintf(&table, "%-45s server %-7s zonesim %-7s %s\n", c.Name, got, zs, msg)
		assert.Equal(t, c.Server, got, "%s: %s\nthe server says: %s", c.File, c.Rule, msg)
		if c.Why == "" {
			assert.Equal(t, got.Accepts(), zs.Accepts(), "%s: %s\nthe server says: %s", c.File, c.Rule, msg)
		}
	}
	t.Log("validation corpus, server-side dry-run:\n" + table.String())
}

func zonesimVerdict(t *testing.T, path string) corpus.Verdict {
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddPath(path)
	if _, err := l.Cluster(); err != nil {
		var probs model.Problems
		require.ErrorAs(t, err, &probs)
		return corpus.Refuse
	}
	return corpus.Accept
}

// realWorldCorpus: every object of every shape is one the server accepts, and zonesim reads each shape
// without an error.
func realWorldCorpus(ctx context.Context, t *testing.T, srv *dryRunServer) {
	for _, e := range corpus.RealWorld("../testdata/realworld") {
		t.Run(e.Name, func(t *testing.T) {
			docs, err := entryDocs(e)
			require.NoError(t, err)
			l := model.NewLoader(model.DefaultLoadOptions(), nil)
			var objs []object
			for _, d := range docs {
				l.AddBytes(d.Name, d.Data)
				o, err := objectsOf(d.Name, d.Data, e.Namespace)
				require.NoError(t, err)
				objs = append(objs, o...)
			}
			_, err = l.Cluster()
			assert.NoError(t, err, "zonesim reads %s", e.Name)
			srv.ensureNamespaces(ctx, t, objs)
			compared := 0
			for _, o := range objs {
				got, msg := srv.verdict(ctx, t, o)
				if got == "" {
					t.Logf("%s: %s %s/%s not compared: %s", o.where, o.kind, o.namespace, o.name, msg)
					continue
				}
				compared++
				assert.Equal(t, corpus.Accept, got, "%s: %s %s/%s: the server says: %s", o.where, o.kind, o.namespace, o.name, msg)
			}
			assert.NotZero(t, compared)
		})
	}
}

// entryDocs renders a corpus entry into manifests as the CLI does: a directory's files, a kustomization, a
// chart.
func entryDocs(e corpus.Entry) ([]sources.Doc, error) {
	switch {
	case e.Kustomize != "":
		return kustomize.Build(e.Kustomize)
	case e.Chart != "":
		return helm.Render(helm.Options{Chart: e.Chart, Values: e.Values, Namespace: e.Namespace})
	}
	var docs []sources.Doc
	err := filepath.WalkDir(e.Files, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".yaml", ".yml", ".json":
			data, err := os.ReadFile(path)
			docs = append(docs, sources.Doc{Name: path, Data: data})
			return err
		}
		return nil
	})
	return docs, err
}

// object is one manifest as the server gets it.
type object struct {
	where                         string
	apiVersion, kind              string
	namespace, name, generateName string
	body                          []byte
	contentType                   string
}

// serverOwned are the metadata fields the server sets itself: an export carries them, and a create refuses
// them for that reason only (zonesim reads and ignores them), so they are left out of what is sent, as is
// the status (the server's to write). A NetworkPolicy's status: {} of 1.24-1.27 exports, which today's
// server refuses, is a case of the validation corpus, where zonesim's warning is checked.
var serverOwned = []string{"resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink", "deletionTimestamp"}

// objectsOf splits a file into the objects kubectl would send: one per YAML document, a typed list's items
// each taking the list's item kind (as apimachinery's list decoding does). Documents without a kind are
// not manifests and are left out, as zonesim's directory reading leaves them out.
func objectsOf(where string, data []byte, defaultNS string) ([]object, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []object
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		js, err := sigsyaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		var m map[string]any
		if err := json.Unmarshal(js, &m); err != nil || m == nil {
			continue // not an object
		}
		kind, _ := m["kind"].(string)
		apiVersion, _ := m["apiVersion"].(string)
		if kind == "" {
			continue
		}
		items, isList := m["items"].([]any)
		if !strings.HasSuffix(kind, "List") || !isList {
			items, kind = []any{m}, ""
		}
		for _, it := range items {
			im, ok := it.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: a list item is not an object", where)
			}
			if kind != "" {
				if _, ok := im["kind"]; !ok {
					im["kind"] = strings.TrimSuffix(kind, "List")
				}
				if _, ok := im["apiVersion"]; !ok {
					im["apiVersion"] = apiVersion
				}
			}
			u := unstructured.Unstructured{Object: im}
			for _, f := range serverOwned {
				unstructured.RemoveNestedField(im, "metadata", f)
			}
			delete(im, "status")
			body, err := json.Marshal(im)
			if err != nil {
				return nil, err
			}
			ns := u.GetNamespace()
			if ns == "" {
				ns = defaultNS
			}
			out = append(out, object{where: where, apiVersion: u.GetAPIVersion(), kind: u.GetKind(), namespace: ns,
				name: u.GetName(), generateName: u.GetGenerateName(), body: body, contentType: "application/json"})
		}
	}
}

// dryRunServer sends manifests to the lab's kube-apiserver as server-side dry-run creates with strict field
// validation.
type dryRunServer struct {
	client  kubernetes.Interface
	raw     rest.Interface
	mapper  *restmapper.DeferredDiscoveryRESTMapper
	created []string // namespaces made for the test, removed at the end
}

func newDryRunServer(ctx context.Context, t *testing.T, cfg *envconf.Config) *dryRunServer {
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: cfg.KubeconfigFile()}, &clientcmd.ConfigOverrides{CurrentContext: cfg.KubeContext()}).ClientConfig()
	require.NoError(t, err)
	client, err := kubernetes.NewForConfig(rc)
	require.NoError(t, err)
	rawCfg := rest.CopyConfig(rc)
	rawCfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	raw, err := rest.UnversionedRESTClientFor(rawCfg)
	require.NoError(t, err)
	dyn, err := dynamic.NewForConfig(rc)
	require.NoError(t, err)
	disc, err := discovery.NewDiscoveryClientForConfig(rc)
	require.NoError(t, err)
	srv := &dryRunServer{client: client, raw: raw, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))}
	installCRDs(ctx, t, dyn)
	srv.mapper.Reset()
	return srv
}

// crdFiles are the CRDs of the kinds zonesim reads that the lab's API server does not serve itself: the
// admin policies from network-policy-api's modules (the experimental channel: zonesim reads its nodes peers, named ports and domainNames), the OpenShift kinds from openshift/api's, and the
// OVN-Kubernetes kinds from e2e/testdata/crds.
func crdFiles(t *testing.T) []string {
	dir := func(mod string) string {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", mod).Output()
		require.NoError(t, err, "go list -m %s", mod)
		return strings.TrimSpace(string(out))
	}
	// The v1alpha1 CRDs left network-policy-api's module at v0.2.0; the module zonesim builds with (v0.3.0)
	// has ClusterNetworkPolicy's. v0.1.7 is fetched into the module cache for its CRDs alone.
	out, err := exec.Command("go", "mod", "download", "-json", "sigs.k8s.io/network-policy-api@v0.1.7").Output()
	require.NoError(t, err, "go mod download sigs.k8s.io/network-policy-api@v0.1.7")
	var v1alpha1 struct{ Dir string }
	require.NoError(t, json.Unmarshal(out, &v1alpha1))
	npapi, openshift := dir("sigs.k8s.io/network-policy-api"), dir("github.com/openshift/api")
	return []string{
		filepath.Join(v1alpha1.Dir, "config/crd/experimental/policy.networking.k8s.io_adminnetworkpolicies.yaml"),
		filepath.Join(v1alpha1.Dir, "config/crd/experimental/policy.networking.k8s.io_baselineadminnetworkpolicies.yaml"),
		filepath.Join(npapi, "config/crd/experimental/policy.networking.k8s.io_clusternetworkpolicies.yaml"),
		filepath.Join(openshift, "route/v1/zz_generated.crd-manifests/routes.crd.yaml"),
		filepath.Join(openshift, "operator/v1/zz_generated.crd-manifests/0000_50_ingress_00_ingresscontrollers-Default.crd.yaml"),
		filepath.Join(openshift, "network/v1/zz_generated.crd-manifests/002_hostsubnets.crd.yaml"),
		filepath.Join(openshift, "network/v1/zz_generated.crd-manifests/003_netnamespaces.crd.yaml"),
		filepath.Join(openshift, "network/v1/zz_generated.crd-manifests/004_egressnetworkpolicies.crd.yaml"),
		filepath.Join(openshift, "networkoperator/v1/zz_generated.crd-manifests/001_egressrouters.crd.yaml"),
		"testdata/crds/k8s.ovn.org.yaml",
	}
}

func installCRDs(ctx context.Context, t *testing.T, dyn dynamic.Interface) {
	gvr := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	var names []string
	for _, f := range crdFiles(t) {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		objs, err := objectsOf(f, data, "")
		require.NoError(t, err)
		for _, o := range objs {
			u := &unstructured.Unstructured{}
			require.NoError(t, u.UnmarshalJSON(o.body))
			_, err := dyn.Resource(gvr).Create(ctx, u, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) { // a lab reused (ZONESIM_LAB): bring the CRD up to date
				var cur *unstructured.Unstructured
				if cur, err = dyn.Resource(gvr).Get(ctx, u.GetName(), metav1.GetOptions{}); err == nil {
					u.SetResourceVersion(cur.GetResourceVersion())
					_, err = dyn.Resource(gvr).Update(ctx, u, metav1.UpdateOptions{})
				}
			}
			require.NoError(t, err, "%s: CRD %s", f, u.GetName())
			names = append(names, u.GetName())
		}
	}
	require.Eventually(t, func() bool {
		for _, n := range names {
			u, err := dyn.Resource(gvr).Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				return false
			}
			conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			established := false
			for _, c := range conds {
				cm, _ := c.(map[string]any)
				if cm["type"] == "Established" && cm["status"] == "True" {
					established = true
				}
			}
			if !established {
				return false
			}
		}
		return true
	}, time.Minute, time.Second, "the CRDs are established")
}

// ensureNamespaces creates the namespaces the objects are in, so a namespaced dry-run is not refused for
// a missing namespace; the test removes them at the end.
func (s *dryRunServer) ensureNamespaces(ctx context.Context, t *testing.T, objs []object) {
	for _, o := range objs {
		if o.namespace == "" || o.namespace == "default" || o.kind == "Namespace" {
			continue
		}
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: o.namespace}}
		_, err := s.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
		switch {
		case err == nil:
			s.created = append(s.created, o.namespace)
		case apierrors.IsAlreadyExists(err):
		default:
			t.Logf("namespace %s: %v", o.namespace, err)
		}
	}
}

// cleanup removes the namespaces the test made, finalizing them itself: the lab runs no namespace controller.
func (s *dryRunServer) cleanup(ctx context.Context, t *testing.T) {
	for _, name := range s.created {
		if err := s.client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete namespace %s: %v", name, err)
			continue
		}
		ns, err := s.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if err == nil && len(ns.Spec.Finalizers) > 0 {
			ns.Spec.Finalizers = nil
			if _, err := s.client.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("finalize namespace %s: %v", name, err)
			}
		}
	}
}

// verdict sends the object as a server-side dry-run create with strict field validation. An object that
// already exists (a namespace the test made) passed validation, which runs before storage. A kind the
// server does not serve is "" with the reason, and only allowed for kinds zonesim does not model.
func (s *dryRunServer) verdict(ctx context.Context, t *testing.T, o object) (corpus.Verdict, string) {
	gv, err := schema.ParseGroupVersion(o.apiVersion)
	if err != nil {
		return corpus.Refuse, err.Error()
	}
	m, err := s.mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: o.kind}, gv.Version)
	if meta.IsNoMatchError(err) {
		k, ok := modelled(o.kind)
		switch {
		case ok && slices.Contains(k.Versions, o.apiVersion):
			t.Errorf("%s: the lab serves no %s %s, which zonesim reads: install its CRD", o.where, o.apiVersion, o.kind)
		case ok: // a version the API server no longer serves (extensions/v1beta1, batch/v1beta1, ...)
			return corpus.Refuse, fmt.Sprintf("the server does not serve %s %s", o.apiVersion, o.kind)
		}
		return "", fmt.Sprintf("the lab serves no %s %s (zonesim does not model it)", o.apiVersion, o.kind)
	}
	require.NoError(t, err)
	path := "/apis/" + gv.Group + "/" + gv.Version
	if gv.Group == "" {
		path = "/api/" + gv.Version
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := o.namespace
		if ns == "" {
			ns = "default"
		}
		path += "/namespaces/" + ns
	}
	path += "/" + m.Resource.Resource
	err = s.raw.Post().AbsPath(path).Param("dryRun", "All").Param("fieldValidation", "Strict").
		SetHeader("Content-Type", o.contentType).Body(o.body).Do(ctx).Error()
	switch {
	case err == nil:
		return corpus.Accept, ""
	case apierrors.IsAlreadyExists(err):
		return corpus.Accept, "(exists)"
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err), apierrors.IsNotFound(err):
		return corpus.Refuse, err.Error()
	}
	t.Errorf("%s: %s: unexpected answer: %v", o.where, path, err)
	return corpus.Refuse, err.Error()
}

// modelled returns the kind zonesim reads, if it reads it.
func modelled(kind string) (model.Kind, bool) {
	for _, k := range model.Kinds() {
		if k.Kind == kind {
			return k, true
		}
	}
	return model.Kind{}, false
}
