package helm_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/yaml"

	"github.com/zonesim/zonesim/pkg/lab"
	"github.com/zonesim/zonesim/pkg/sources"
	"github.com/zonesim/zonesim/pkg/sources/helm"
)

const (
	shopChart = "../../../testdata/realworld/chart/shop"
	prodVals  = "../../../testdata/realworld/chart/values-prod.yaml"
)

// object is one rendered YAML document, decoded.
type object map[string]any

func (o object) get(path ...string) any {
	var v any = map[string]any(o)
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// objects decodes every document of every Doc, keyed by kind.
func objects(t *testing.T, docs []sources.Doc) map[string]object {
	t.Helper()
	out := map[string]object{}
	for _, d := range docs {
		for _, part := range strings.Split(string(d.Data), "\n---\n") {
			var o object
			require.NoError(t, yaml.Unmarshal([]byte(part), &o), d.Name)
			require.NotNil(t, o, "empty document in %s", d.Name)
			kind, _ := o["kind"].(string)
			out[kind] = o
		}
	}
	return out
}

func names(docs []sources.Doc) []string {
	var out []string
	for _, d := range docs {
		out = append(out, d.Name)
	}
	return out
}

func TestRenderDefaults(t *testing.T) {
	docs, err := helm.Render(helm.Options{Chart: shopChart})
	require.NoError(t, err)

	// No NetworkPolicy (disabled by default), no NOTES.txt, no partial.
	assert.Equal(t, []string{
		shopChart + "/templates/deployment.yaml",
		shopChart + "/templates/service.yaml",
	}, names(docs))
	objs := objects(t, docs)
	assert.Equal(t, "release-name-shop", objs["Deployment"].get("metadata", "name"))
	assert.Equal(t, "default", objs["Deployment"].get("metadata", "namespace"))
	assert.Equal(t, "release-name-shop", objs["Service"].get("metadata", "name"))
	assert.Equal(t, float64(1), objs["Deployment"].get("spec", "replicas"))
	assert.Equal(t, "ghcr.io/example/shop:1.4.2",
		objs["Deployment"].get("spec", "template", "spec", "containers").([]any)[0].(map[string]any)["image"])
	for _, d := range docs {
		assert.NotContains(t, string(d.Data), "The shop is running", d.Name)
	}
}

func TestRenderValuesOrder(t *testing.T) {
	otherVals := filepath.Join(t.TempDir(), "more.yaml")
	require.NoError(t, os.WriteFile(otherVals, []byte("replicaCount: 7\nimage:\n  repository: registry.local/shop\n"), 0o600))

	tests := []struct {
		name      string
		opts      helm.Options
		replicas  float64
		image     string
		netpol    bool
		allowFrom []any
	}{
		{name: "chart defaults", opts: helm.Options{},
			replicas: 1, image: "ghcr.io/example/shop:1.4.2"},
		{name: "values file over defaults", opts: helm.Options{Values: []string{prodVals}},
			replicas: 3, image: "ghcr.io/example/shop:1.5.0", netpol: true,
			allowFrom: []any{map[string]any{"app": "ingress-gateway"}, map[string]any{"app": "checkout"}}},
		{name: "later values file wins", opts: helm.Options{Values: []string{prodVals, otherVals}},
			replicas: 7, image: "registry.local/shop:1.5.0", netpol: true,
			allowFrom: []any{map[string]any{"app": "ingress-gateway"}, map[string]any{"app": "checkout"}}},
		{name: "set over values files", opts: helm.Options{Values: []string{otherVals, prodVals}, Set: []string{"replicaCount=5"}},
			replicas: 5, image: "registry.local/shop:1.5.0", netpol: true,
			allowFrom: []any{map[string]any{"app": "ingress-gateway"}, map[string]any{"app": "checkout"}}},
		{name: "later set wins, strvals lists", opts: helm.Options{
			Values: []string{prodVals},
			Set:    []string{"networkPolicy.allowFrom[0].app=frontend", "image.tag=2.0,replicaCount=2", "replicaCount=4"}},
			// strvals sets one list element in place and keeps the rest, as helm does.
			replicas: 4, image: "ghcr.io/example/shop:2.0", netpol: true,
			allowFrom: []any{map[string]any{"app": "frontend"}, map[string]any{"app": "checkout"}}},
		{name: "set enables the policy", opts: helm.Options{Set: []string{"networkPolicy.enabled=true"}},
			replicas: 1, image: "ghcr.io/example/shop:1.4.2", netpol: true},
		{name: "set disables what the values file enabled", opts: helm.Options{Values: []string{prodVals}, Set: []string{"networkPolicy.enabled=false"}},
			replicas: 3, image: "ghcr.io/example/shop:1.5.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Chart = shopChart
			docs, err := helm.Render(tt.opts)
			require.NoError(t, err)
			objs := objects(t, docs)

			dep := objs["Deployment"]
			require.NotNil(t, dep)
			assert.Equal(t, tt.replicas, dep.get("spec", "replicas"))
			assert.Equal(t, tt.image, dep.get("spec", "template", "spec", "containers").([]any)[0].(map[string]any)["image"])

			np, ok := objs["NetworkPolicy"]
			assert.Equal(t, tt.netpol, ok)
			assert.Equal(t, tt.netpol, contains(names(docs), shopChart+"/templates/networkpolicy.yaml"))
			if !tt.netpol {
				return
			}
			var got []any
			from, _ := np.get("spec", "ingress").([]any)[0].(map[string]any)["from"].([]any)
			for _, f := range from {
				got = append(got, f.(map[string]any)["podSelector"].(map[string]any)["matchLabels"])
			}
			assert.Equal(t, tt.allowFrom, got)
		})
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func TestRenderReleaseAndNamespace(t *testing.T) {
	docs, err := helm.Render(helm.Options{Chart: shopChart, Release: "web", Namespace: "shop-prod", Values: []string{prodVals}})
	require.NoError(t, err)
	objs := objects(t, docs)
	for _, kind := range []string{"Deployment", "Service", "NetworkPolicy"} {
		require.Contains(t, objs, kind)
		assert.Equal(t, "web-shop", objs[kind].get("metadata", "name"), kind)
		assert.Equal(t, "shop-prod", objs[kind].get("metadata", "namespace"), kind)
	}
	assert.Equal(t, map[string]any{"app.kubernetes.io/name": "shop", "app.kubernetes.io/instance": "web"},
		objs["NetworkPolicy"].get("spec", "podSelector", "matchLabels"))
}

func TestRenderPackagedChart(t *testing.T) {
	ch, err := loader.Load(shopChart)
	require.NoError(t, err)
	tgz, err := chartutil.Save(ch, t.TempDir())
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(tgz, "shop-0.1.0.tgz"), tgz)

	for _, vals := range [][]string{nil, {prodVals}} {
		fromDir, err := helm.Render(helm.Options{Chart: shopChart, Values: vals})
		require.NoError(t, err)
		fromTgz, err := helm.Render(helm.Options{Chart: tgz, Values: vals})
		require.NoError(t, err)

		require.Equal(t, len(fromDir), len(fromTgz))
		for i := range fromDir {
			assert.Equal(t, strings.Replace(fromDir[i].Name, shopChart, tgz, 1), fromTgz[i].Name)
			assert.Equal(t, string(fromDir[i].Data), string(fromTgz[i].Data), fromDir[i].Name)
		}
	}
}

// writeChart lays out files (path -> content) under a new directory and returns the chart's path.
func writeChart(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "app")
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	}
	return dir
}

func TestRenderSubchartsHooksAndCRDs(t *testing.T) {
	dir := writeChart(t, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n" +
			"  - name: db\n    version: 2.0.0\n  - name: cache\n    version: 1.0.0\n    condition: cache.enabled\n",
		"values.yaml":                     "cache:\n  enabled: false\ndb:\n  port: 5432\n",
		"crds/widget.yaml":                "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n",
		"templates/hook.yaml":             "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ .Release.Name }}-migrate\n  annotations:\n    helm.sh/hook: pre-install\n",
		"templates/empty.yaml":            "{{- if false }}\nkind: Nothing\n{{- end }}\n",
		"templates/multi.yaml":            "---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n---\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n---\n---\n",
		"charts/db/Chart.yaml":            "apiVersion: v2\nname: db\nversion: 2.0.0\n",
		"charts/db/values.yaml":           "port: 3306\n",
		"charts/db/templates/svc.yaml":    "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-db\n  namespace: {{ .Release.Namespace }}\nspec:\n  ports:\n    - port: {{ .Values.port }}\n",
		"charts/cache/Chart.yaml":         "apiVersion: v2\nname: cache\nversion: 1.0.0\n",
		"charts/cache/templates/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: cache\n",
	})
	docs, err := helm.Render(helm.Options{Chart: dir, Namespace: "data"})
	require.NoError(t, err)

	// The hook is rendered, the CRD is not (no --include-crds), the disabled subchart is not, and the
	// empty template and empty documents are dropped.
	assert.Equal(t, []string{
		dir + "/charts/db/templates/svc.yaml",
		dir + "/templates/hook.yaml",
		dir + "/templates/multi.yaml",
	}, names(docs))
	byName := map[string]string{}
	for _, d := range docs {
		byName[d.Name] = string(d.Data)
	}
	assert.Equal(t, "apiVersion: v1\nkind: Service\nmetadata:\n  name: release-name-db\n  namespace: data\nspec:\n  ports:\n    - port: 5432\n",
		byName[dir+"/charts/db/templates/svc.yaml"])
	assert.Equal(t, "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: release-name-migrate\n  annotations:\n    helm.sh/hook: pre-install\n",
		byName[dir+"/templates/hook.yaml"])
	// Documents stay in the order the template wrote them.
	assert.Equal(t, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n",
		byName[dir+"/templates/multi.yaml"])
}

func TestRenderErrors(t *testing.T) {
	tmp := t.TempDir()
	badVals := filepath.Join(tmp, "bad-values.yaml")
	require.NoError(t, os.WriteFile(badVals, []byte("replicaCount: [1\n"), 0o600))
	missingDep := writeChart(t, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: postgresql\n    version: 12.0.0\n    repository: https://charts.example.com\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
	})
	badTemplate := writeChart(t, map[string]string{
		"Chart.yaml":         "apiVersion: v2\nname: app\nversion: 1.0.0\n",
		"templates/ok.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n",
		"templates/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name | required \"name is required\" }}\n",
	})
	badSyntax := writeChart(t, map[string]string{
		"Chart.yaml":         "apiVersion: v2\nname: app\nversion: 1.0.0\n",
		"templates/bad.yaml": "apiVersion: v1\nkind: ConfigMap\n\nmetadata:\n  name: {{ .Values.name \n",
	})
	badYAML := writeChart(t, map[string]string{
		"Chart.yaml":         "apiVersion: v2\nname: app\nversion: 1.0.0\n",
		"templates/bad.yaml": "apiVersion: v1\nkind: [ConfigMap\n",
	})

	tests := []struct {
		name string
		opts helm.Options
		want []string // substrings of the error
	}{
		{name: "missing chart", opts: helm.Options{Chart: filepath.Join(tmp, "nope")},
			want: []string{filepath.Join(tmp, "nope"), "no such file or directory"}},
		{name: "missing values file", opts: helm.Options{Chart: shopChart, Values: []string{filepath.Join(tmp, "nope.yaml")}},
			want: []string{filepath.Join(tmp, "nope.yaml"), "no such file or directory"}},
		{name: "values file that does not parse", opts: helm.Options{Chart: shopChart, Values: []string{badVals}},
			want: []string{"failed to parse " + badVals}},
		{name: "bad --set", opts: helm.Options{Chart: shopChart, Set: []string{"image.tag"}},
			want: []string{`failed parsing --set "image.tag"`, `key "tag" has no value`}},
		{name: "bad --set list index", opts: helm.Options{Chart: shopChart, Set: []string{"a[x]=1"}},
			want: []string{`failed parsing --set "a[x]=1"`, "error parsing index"}},
		{name: "missing dependency", opts: helm.Options{Chart: missingDep},
			want: []string{"missing in charts/ directory: postgresql", "helm dependency build"}},
		{name: "template execution error names the template", opts: helm.Options{Chart: badTemplate},
			want: []string{"app/templates/bad.yaml:4", "name is required"}},
		{name: "template parse error names the template", opts: helm.Options{Chart: badSyntax},
			want: []string{"app/templates/bad.yaml:5"}},
		{name: "rendered YAML that does not parse names the template", opts: helm.Options{Chart: badYAML},
			want: []string{"YAML parse error on app/templates/bad.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := helm.Render(tt.opts)
			require.Error(t, err)
			assert.Nil(t, docs)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// Charts render for the Kubernetes version zonesim reads (the lab's), not Helm's library default (1.20): a
// chart that requires a newer Kubernetes renders, and templates see that version.
func TestRenderForTheKubernetesVersionZonesimReads(t *testing.T) {
	assert.Equal(t, lab.KubernetesVersion, helm.KubeVersion)
	dir := writeChart(t, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: app\nversion: 1.0.0\nkubeVersion: \">=1.21.0-0\"\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  kube: {{ .Capabilities.KubeVersion.Version }}\n  minor: {{ .Capabilities.KubeVersion.Minor | quote }}\n",
	})
	docs, err := helm.Render(helm.Options{Chart: dir})
	require.NoError(t, err)
	cm := objects(t, docs)["ConfigMap"]
	assert.Equal(t, map[string]any{"kube": helm.KubeVersion, "minor": "37"}, cm.get("data"))

	old := writeChart(t, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: app\nversion: 1.0.0\nkubeVersion: \"<1.25.0-0\"\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
	})
	_, err = helm.Render(helm.Options{Chart: old})
	assert.ErrorContains(t, err, "chart requires kubeVersion: <1.25.0-0 which is incompatible with Kubernetes v1.37.2")
}
