// Package sources turns what users keep their manifests in, beyond plain files, into manifests the model's
// loader reads: a kustomization (sources/kustomize) and a Helm chart (sources/helm). Each runs the tool's
// own library, offline, and says which source file every object came from.
package sources

// Doc is one rendered manifest (one or more YAML documents) and the name problems in it are reported
// under: the file it came from as the user knows it (a kustomization's resource, a chart's template).
type Doc struct {
	Name string
	Data []byte
}
