// Package helm renders a local Helm chart the way `helm template` does, with Helm's own chart loader,
// values merging and template engine, offline: no cluster, no registry, no repositories, no network.
package helm

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/yaml"

	"github.com/zonesim/zonesim/pkg/sources"
)

// Defaults `helm template` uses when no release name or namespace is given.
const (
	DefaultRelease   = "release-name"
	DefaultNamespace = "default"
	// KubeVersion is the Kubernetes version charts are rendered for: the one whose API and validation
	// zonesim follows (the lab's kube-apiserver), so a chart's kubeVersion constraint and
	// .Capabilities.KubeVersion see it.
	KubeVersion = "v1.37.2"
)

// Options says which chart to render and with which values, as `helm template`'s arguments do.
type Options struct {
	Chart     string   // a chart directory or a packaged .tgz
	Values    []string // --values files, in order
	Set       []string // --set k=v, in order (Helm's strvals syntax)
	Release   string   // release name; default "release-name" as helm template uses
	Namespace string   // release namespace; default "default"
}

// Render renders every template of the chart (and its subcharts, which must be vendored under charts/) into
// manifests, as `helm template` without --include-crds, --no-hooks or --skip-tests would: hooks are included,
// the chart's crds/ are not, NOTES.txt and partials (_*.tpl) are not rendered into manifests, and `lookup`
// returns nothing. There is one Doc per template file that renders to at least one non-empty YAML document,
// named "<Chart>/templates/<file>" ("<Chart>/charts/<sub>/templates/<file>" for a subchart) and sorted by
// name.
func Render(o Options) ([]sources.Doc, error) {
	if o.Chart == "" {
		return nil, fmt.Errorf("helm: no chart given")
	}
	release := o.Release
	if release == "" {
		release = DefaultRelease
	}
	namespace := o.Namespace
	if namespace == "" {
		namespace = DefaultNamespace
	}

	vals, err := userValues(o.Values, o.Set)
	if err != nil {
		return nil, fmt.Errorf("helm chart %s: %w", o.Chart, err)
	}

	if _, err := os.Stat(o.Chart); err != nil {
		return nil, fmt.Errorf("helm chart %s: %w", o.Chart, err)
	}
	ch, err := loader.Load(o.Chart)
	if err != nil {
		return nil, fmt.Errorf("helm chart %s: %w", o.Chart, err)
	}
	switch ch.Metadata.Type {
	case "", "application":
	default:
		return nil, fmt.Errorf("helm chart %s: %s charts are not installable", o.Chart, ch.Metadata.Type)
	}
	if err := checkDependencies(ch); err != nil {
		return nil, fmt.Errorf("helm chart %s: %w", o.Chart, err)
	}

	// Subchart conditions, tags and import-values, then the values templates see.
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		return nil, fmt.Errorf("helm chart %s: %w", o.Chart, err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	// Helm's default when built as a library is Kubernetes 1.20 (helm's own binary sets the version it was
	// built with); charts render for the version whose API zonesim reads, as .Capabilities.KubeVersion.
	caps.KubeVersion = chartutil.KubeVersion{Version: KubeVersion, Major: "1", Minor: "37"}
	if ch.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(ch.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("helm chart %s: chart requires kubeVersion: %s which is incompatible with Kubernetes %s",
			o.Chart, ch.Metadata.KubeVersion, caps.KubeVersion.String())
	}
	opts := chartutil.ReleaseOptions{Name: release, Namespace: namespace, Revision: 1, IsInstall: true}
	top, err := chartutil.ToRenderValues(ch, vals, opts, caps)
	if err != nil {
		return nil, fmt.Errorf("helm chart %s: %w", o.Chart, err)
	}

	// engine.Render has no client: `lookup` returns an empty map, as under `helm template`.
	files, err := engine.Render(ch, top)
	if err != nil {
		return nil, fmt.Errorf("helm chart %s: %w", o.Chart, err)
	}
	for name := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			delete(files, name)
		}
	}

	// Helm's own sorting decides what `helm template` prints: it drops partials and empty files, parses every
	// document's head (a YAML error names the template), keeps hooks apart and skips unknown hook kinds.
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, fmt.Errorf("helm chart %s: %w", o.Chart, err)
	}
	keep := map[string]map[string]int{} // template -> document -> how many times helm printed it
	add := func(file, doc string) {
		if keep[file] == nil {
			keep[file] = map[string]int{}
		}
		keep[file][doc]++
	}
	for _, m := range manifests {
		add(m.Name, m.Content)
	}
	for _, h := range hooks {
		add(h.Path, h.Manifest)
	}

	prefix := ch.Name() + "/"
	base := strings.TrimSuffix(o.Chart, "/")
	var docs []sources.Doc
	for file, kept := range keep {
		// Documents in the order the template wrote them, split exactly as SortManifests split them.
		split := releaseutil.SplitManifests(files[file])
		keys := make([]string, 0, len(split))
		for k := range split {
			keys = append(keys, k)
		}
		sort.Sort(releaseutil.BySplitManifestsOrder(keys))
		var parts []string
		for _, k := range keys {
			d := split[k]
			if kept[d] == 0 {
				continue
			}
			kept[d]--
			if d = trimSeparators(d); !isEmptyYAML(d) {
				parts = append(parts, d)
			}
		}
		if len(parts) == 0 {
			continue
		}
		docs = append(docs, sources.Doc{
			Name: base + "/" + strings.TrimPrefix(file, prefix),
			Data: []byte(strings.Join(parts, "\n---\n") + "\n"),
		})
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].Name < docs[j].Name })
	return docs, nil
}

// userValues merges the --values files in order, then the --set arguments in order, as Helm's
// values.Options.MergeValues does (same YAML decoder, same merge, Helm's strvals parser), but reads only
// local files: that package would link Helm's getters, registry and cluster clients into the binary.
func userValues(files, set []string) (map[string]any, error) {
	base := map[string]any{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("values file: %w", err)
		}
		current := map[string]any{}
		if err := yaml.Unmarshal(data, &current); err != nil {
			return nil, fmt.Errorf("failed to parse %s: %w", f, err)
		}
		base = mergeMaps(base, current)
	}
	for _, s := range set {
		if err := strvals.ParseInto(s, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set %q: %w", s, err)
		}
	}
	return base, nil
}

// mergeMaps is Helm's (pkg/cli/values): b's keys win, nested maps merge.
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if v, ok := v.(map[string]any); ok {
			if bv, ok := out[k]; ok {
				if bv, ok := bv.(map[string]any); ok {
					out[k] = mergeMaps(bv, v)
					continue
				}
			}
		}
		out[k] = v
	}
	return out
}

// checkDependencies fails when a dependency Chart.yaml declares is not under charts/, in the chart or any
// of its subcharts, as `helm template` does without --dependency-update.
func checkDependencies(c *chart.Chart) error {
	var missing []string
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		have := map[string]bool{}
		for _, d := range c.Dependencies() {
			have[d.Name()] = true
			walk(d)
		}
		for _, r := range c.Metadata.Dependencies {
			if !have[r.Name] {
				missing = append(missing, r.Name)
			}
		}
	}
	walk(c)
	if len(missing) > 0 {
		return fmt.Errorf("found in Chart.yaml, but missing in charts/ directory: %s; run `helm dependency build` to fetch missing dependencies",
			strings.Join(missing, ", "))
	}
	return nil
}

// trimSeparators drops the bare "---" lines SplitManifests leaves at the head of a document that followed
// empty ones ("---\n---\n"), so that no empty document is left in a Doc.
func trimSeparators(doc string) string {
	for {
		line, rest, _ := strings.Cut(doc, "\n")
		if strings.TrimSpace(line) != "---" {
			return doc
		}
		doc = strings.TrimSpace(rest)
	}
}

// isEmptyYAML says whether a document holds only blank lines and comments (it decodes to nothing).
func isEmptyYAML(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}
