package kustomize_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/zonesim/zonesim/pkg/sources"
	"github.com/zonesim/zonesim/pkg/sources/kustomize"
)

// fixture is testdata/realworld/kustomize, relative to this package's directory.
var fixture = filepath.Join("..", "..", "..", "testdata", "realworld", "kustomize")

const originAnnotation = "config.kubernetes.io/origin"

// object is what the tests read back from a Doc.
type object struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
}

func parse(t *testing.T, doc sources.Doc) object {
	t.Helper()
	var o object
	require.NoError(t, yaml.Unmarshal(doc.Data, &o), doc.Name)
	return o
}

// summary is one Doc as "name: Kind namespace/name".
func summary(t *testing.T, doc sources.Doc) string {
	o := parse(t, doc)
	return doc.Name + ": " + o.Kind + " " + o.Metadata.Namespace + "/" + o.Metadata.Name
}

// joined is the Docs as one stream, the way kubectl kustomize prints them.
func joined(docs []sources.Doc) string {
	parts := make([]string, len(docs))
	for i, d := range docs {
		parts[i] = string(d.Data)
	}
	return strings.Join(parts, "---\n")
}

// find returns the Doc of the one object of the given kind.
func find(t *testing.T, docs []sources.Doc, kind string) sources.Doc {
	t.Helper()
	var found []sources.Doc
	for _, d := range docs {
		if parse(t, d).Kind == kind {
			found = append(found, d)
		}
	}
	require.Len(t, found, 1, kind)
	return found[0]
}

// writeTree writes files (path relative to root: content) and returns root.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		path := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	return root
}

// plainKustomize builds dir with krusty as kubectl kustomize does, without any origin tracking.
func plainKustomize(t *testing.T, dir string) string {
	t.Helper()
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
	require.NoError(t, err)
	out, err := m.AsYaml()
	require.NoError(t, err)
	return string(out)
}

func TestBuildProdOverlay(t *testing.T) {
	t.Chdir(fixture)

	docs, err := kustomize.Build("overlays/prod")
	require.NoError(t, err)

	got := make([]string, len(docs))
	for i, d := range docs {
		got[i] = summary(t, d)
	}
	assert.Equal(t, []string{
		"overlays/prod/namespace.yaml: Namespace /shop-prod",
		"base/service.yaml: Service shop-prod/prod-web",
		"base/deploy.yaml: Deployment shop-prod/prod-web",
		"base/netpol.yaml: NetworkPolicy shop-prod/prod-web-allow-frontend",
	}, got)

	for _, d := range docs {
		assert.NotContains(t, string(d.Data), originAnnotation, d.Name)
		assert.Nil(t, parse(t, d).Metadata.Annotations, d.Name)
	}

	t.Run("deployment", func(t *testing.T) {
		var deploy appsv1.Deployment
		require.NoError(t, yaml.Unmarshal(find(t, docs, "Deployment").Data, &deploy))
		require.NotNil(t, deploy.Spec.Replicas)
		assert.Equal(t, int32(3), *deploy.Spec.Replicas, "strategic-merge patch")
		want := map[string]string{"app": "web", "tier": "backend", "env": "prod"}
		assert.Equal(t, want, deploy.Labels)
		assert.Equal(t, want, deploy.Spec.Template.Labels)
		assert.Equal(t, map[string]string{"app": "web", "env": "prod"}, deploy.Spec.Selector.MatchLabels)
		require.Len(t, deploy.Spec.Template.Spec.Containers, 1)
		assert.Equal(t, []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
			deploy.Spec.Template.Spec.Containers[0].Ports)
	})

	t.Run("service", func(t *testing.T) {
		var svc corev1.Service
		require.NoError(t, yaml.Unmarshal(find(t, docs, "Service").Data, &svc))
		assert.Equal(t, map[string]string{"app": "web", "env": "prod"}, svc.Spec.Selector)
		require.Len(t, svc.Spec.Ports, 1)
		assert.Equal(t, intstr.FromString("http"), svc.Spec.Ports[0].TargetPort)
	})

	t.Run("networkpolicy", func(t *testing.T) {
		var np networkingv1.NetworkPolicy
		require.NoError(t, yaml.Unmarshal(find(t, docs, "NetworkPolicy").Data, &np))
		assert.Equal(t, map[string]string{"app": "web", "env": "prod"}, np.Spec.PodSelector.MatchLabels)
		assert.Equal(t, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			np.Spec.PolicyTypes, "strategic-merge patch")

		require.Len(t, np.Spec.Ingress, 1)
		from := np.Spec.Ingress[0].From
		require.Len(t, from, 2, "JSON 6902 patch appends a peer")
		require.NotNil(t, from[0].PodSelector)
		// The overlay's labels (includeSelectors) reach the policy's peer selector too.
		assert.Equal(t, map[string]string{"app": "frontend", "env": "prod"}, from[0].PodSelector.MatchLabels)
		require.NotNil(t, from[1].NamespaceSelector)
		assert.Equal(t, map[string]string{"kubernetes.io/metadata.name": "monitoring"}, from[1].NamespaceSelector.MatchLabels)
		require.Len(t, np.Spec.Ingress[0].Ports, 1)
		port := intstr.FromString("http")
		tcp := corev1.ProtocolTCP
		assert.Equal(t, networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: &port}, np.Spec.Ingress[0].Ports[0])

		require.Len(t, np.Spec.Egress, 1, "strategic-merge patch")
		require.Len(t, np.Spec.Egress[0].Ports, 1)
		assert.Equal(t, intstr.FromInt32(53), *np.Spec.Egress[0].Ports[0].Port)
	})
}

func TestBuildMatchesKustomizeCLI(t *testing.T) {
	want, err := os.ReadFile(filepath.Join(fixture, "prod.golden.yaml"))
	require.NoError(t, err)

	docs, err := kustomize.Build(filepath.Join(fixture, "overlays", "prod"))
	require.NoError(t, err)

	assert.Equal(t, string(want), joined(docs))
}

func TestBuildDocNames(t *testing.T) {
	tests := []struct {
		name string
		dir  string
		want []string
	}{
		{
			name: "overlay",
			dir:  filepath.Join(fixture, "overlays", "prod"),
			want: []string{
				filepath.Join(fixture, "overlays", "prod", "namespace.yaml"),
				filepath.Join(fixture, "base", "service.yaml"),
				filepath.Join(fixture, "base", "deploy.yaml"),
				filepath.Join(fixture, "base", "netpol.yaml"),
			},
		},
		{
			name: "base",
			dir:  filepath.Join(fixture, "base"),
			want: []string{
				filepath.Join(fixture, "base", "service.yaml"),
				filepath.Join(fixture, "base", "deploy.yaml"),
				filepath.Join(fixture, "base", "netpol.yaml"),
			},
		},
		{
			name: "overlay by absolute path",
			dir:  must(filepath.Abs(filepath.Join(fixture, "overlays", "prod"))),
			want: []string{
				must(filepath.Abs(filepath.Join(fixture, "overlays", "prod", "namespace.yaml"))),
				must(filepath.Abs(filepath.Join(fixture, "base", "service.yaml"))),
				must(filepath.Abs(filepath.Join(fixture, "base", "deploy.yaml"))),
				must(filepath.Abs(filepath.Join(fixture, "base", "netpol.yaml"))),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := kustomize.Build(tt.dir)
			require.NoError(t, err)
			got := make([]string, len(docs))
			for i, d := range docs {
				got[i] = d.Name
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: fast
`

func TestBuildGeneratedAndUserOrigins(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		build string
		// want is each Doc's Name (relative to the tree's root) and whether its origin annotation stays.
		want       []string
		wantOrigin bool
	}{
		{
			name: "generators are named after the kustomization that generates them",
			files: map[string]string{
				"app/kustomization.yaml":  "resources:\n- ../base\nconfigMapGenerator:\n- name: app\n  literals: [color=blue]\n",
				"base/kustomization.yaml": "resources:\n- cm.yaml\nsecretGenerator:\n- name: creds\n  literals: [user=admin]\n",
				"base/cm.yaml":            configMap,
			},
			build: "app",
			// kubectl's legacy order: ConfigMaps (by name: app-<hash>, settings) before Secrets.
			want: []string{"app/kustomization.yaml", "base/cm.yaml", "base/kustomization.yaml"},
		},
		{
			name: "components",
			files: map[string]string{
				"app/kustomization.yaml": "resources: [cm.yaml]\ncomponents: [../extra]\n",
				"app/cm.yaml":            configMap,
				"extra/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n" +
					"resources: [extra.yaml]\n",
				"extra/extra.yaml": strings.Replace(configMap, "settings", "extra", 1),
			},
			build: "app",
			want:  []string{"extra/extra.yaml", "app/cm.yaml"},
		},
		{
			name: "the user's own originAnnotations stay",
			files: map[string]string{
				"app/kustomization.yaml": "buildMetadata: [originAnnotations]\nresources: [cm.yaml]\n",
				"app/cm.yaml":            configMap,
			},
			build:      "app",
			want:       []string{"app/cm.yaml"},
			wantOrigin: true,
		},
		{
			name: "other buildMetadata is kept as it is",
			files: map[string]string{
				"app/kustomization.yaml": `{"buildMetadata": ["transformerAnnotations"], "resources": ["cm.yaml"], "namePrefix": "x-"}`,
				"app/cm.yaml":            configMap,
			},
			build: "app",
			want:  []string{"app/cm.yaml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, tt.files)
			dir := filepath.Join(root, tt.build)

			docs, err := kustomize.Build(dir)
			require.NoError(t, err)

			got := make([]string, len(docs))
			for i, d := range docs {
				got[i] = must(filepath.Rel(root, d.Name))
				_, hasOrigin := parse(t, d).Metadata.Annotations[originAnnotation]
				assert.Equal(t, tt.wantOrigin, hasOrigin, d.Name)
			}
			assert.Equal(t, tt.want, got)
			// Tracking origins changes nothing else: generated names and hashes, order, other annotations.
			assert.Equal(t, plainKustomize(t, dir), joined(docs))
		})
	}
}

func TestBuildErrors(t *testing.T) {
	base := map[string]string{
		"base/kustomization.yaml": "resources:\n- deploy.yaml\n",
		"base/deploy.yaml":        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n   labels: {app: web\n",
		"prod/kustomization.yaml": "namePrefix: prod-\nresources:\n- ../base\n",
	}
	helmCharts := "helmCharts:\n- name: web\n  repo: https://charts.example.com\n  version: 1.2.3\n  releaseName: web\n"
	tests := []struct {
		name  string
		files map[string]string
		build string
		// want is the error with "ROOT" for the tree's root; wantContains are parts of a longer message.
		want         string
		wantPrefix   string
		wantContains []string
	}{
		{
			name:  "no kustomization",
			files: map[string]string{"app/deploy.yaml": configMap},
			build: "app",
			want:  "ROOT/app: no kustomization.yaml, kustomization.yml or Kustomization in this directory",
		},
		{
			name:  "no directory",
			files: map[string]string{},
			build: "missing",
			want:  "ROOT/missing: no such file or directory",
		},
		{
			name:         "broken YAML in a base",
			files:        base,
			build:        "prod",
			wantPrefix:   "ROOT/prod/kustomization.yaml: ",
			wantContains: []string{"base", "MalformedYAMLError", "File: deploy.yaml"},
		},
		{
			name:         "a file outside the kustomization's directory",
			files:        map[string]string{"app/kustomization.yaml": "resources: [../cm.yaml]\n", "cm.yaml": configMap},
			build:        "app",
			wantPrefix:   "ROOT/app/kustomization.yaml: ",
			wantContains: []string{"security; file", "is not in or below"},
		},
		{
			name:  "helmCharts",
			files: map[string]string{"app/kustomization.yml": helmCharts},
			build: "app",
			want:  "ROOT/app/kustomization.yml: not supported: helmCharts in a kustomization; render the chart with --chart",
		},
		{
			name: "helmCharts in a base",
			files: map[string]string{
				"prod/kustomization.yaml": "resources: [../base]\n",
				"base/Kustomization":      helmCharts,
			},
			build: "prod",
			want:  "ROOT/base/Kustomization: not supported: helmCharts in a kustomization; render the chart with --chart",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, tt.files)

			docs, err := kustomize.Build(filepath.Join(root, tt.build))

			require.Error(t, err)
			assert.Nil(t, docs)
			got := strings.ReplaceAll(err.Error(), root, "ROOT")
			if tt.want != "" {
				assert.Equal(t, tt.want, got)
			}
			if tt.wantPrefix != "" {
				assert.True(t, strings.HasPrefix(got, tt.wantPrefix), got)
			}
			for _, part := range tt.wantContains {
				assert.Contains(t, got, part)
			}
		})
	}
}
