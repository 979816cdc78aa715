package model

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LoadOptions say how to fill in what the input leaves out.
type LoadOptions struct {
	// PodCIDR is where pods without status.podIP get their IPs, in name order.
	PodCIDR netip.Prefix
	// NodeCIDR is where nodes without an InternalIP get theirs.
	NodeCIDR netip.Prefix
	// ServiceCIDR is where services without a clusterIP get theirs.
	ServiceCIDR netip.Prefix
	// AcceptRemovedAPIs reads objects of API versions the API server no longer serves (extensions/v1beta1
	// NetworkPolicy) as their replacement, with a warning, instead of refusing them as the server does.
	AcceptRemovedAPIs bool
}

// DefaultLoadOptions are OpenShift's default networks.
func DefaultLoadOptions() LoadOptions {
	return LoadOptions{
		PodCIDR:     netip.MustParsePrefix("10.128.0.0/14"),
		NodeCIDR:    netip.MustParsePrefix("192.168.126.0/24"),
		ServiceCIDR: netip.MustParsePrefix("172.30.0.0/16"),
	}
}

// Loader reads manifests from files, directories, stdin or bytes, and builds a Cluster. It collects every
// problem of every input before Cluster reports them.
type Loader struct {
	opts  LoadOptions
	stdin io.Reader
	probs Problems

	cluster      *Cluster
	seen         map[string]Source   // kind/ns/name -> first definition
	seenContent  map[string][32]byte // kind/ns/name -> the first definition's content hash, to read a repeat once
	readFiles    map[string]bool     // files read, by path as shown
	generated    int                 // names given to objects with only a generateName
	repeated     []string            // files given again (by -f and a scenario's include), read once
	scenarioDirs []scenarioDir       // directories read as their scenario
	nsRefs       map[string]Source   // namespace -> first object that referenced it
	declaredNS   map[string]bool
	workloadOf   map[string]*Workload             // kind/ns/name -> workload
	ownerOf      map[string]metav1.OwnerReference // kind/ns/name of a workload -> its controller
	podOwners    map[*Pod]metav1.OwnerReference
	deprecations map[string]bool
	// pre holds the objects of the documents being added that were decoded ahead (see AddBytes).
	pre map[*yaml.Node]*decoded
	// onRead is told each file read, for progress.
	onRead func(file string, size int)
	// outsideServiceCIDR are the Services whose clusterIP lies outside LoadOptions.ServiceCIDR.
	outsideServiceCIDR []string
	outsideFirst       Source
	// cur is the file being read, so a Scenario's includes resolve relative to it.
	cur struct {
		fsys fs.FS
		dir  string
	}
}

// NewLoader returns a Loader; stdin is read for the source "-".
func NewLoader(opts LoadOptions, stdin io.Reader) *Loader {
	return &Loader{
		opts:         opts,
		stdin:        stdin,
		cluster:      &Cluster{Ignored: map[string]int{}},
		seen:         map[string]Source{},
		seenContent:  map[string][32]byte{},
		readFiles:    map[string]bool{},
		nsRefs:       map[string]Source{},
		declaredNS:   map[string]bool{},
		workloadOf:   map[string]*Workload{},
		ownerOf:      map[string]metav1.OwnerReference{},
		podOwners:    map[*Pod]metav1.OwnerReference{},
		deprecations: map[string]bool{},
	}
}

// AddPath reads a file, a directory (recursively: .yaml, .yml, .json) or "-" for stdin.
func (l *Loader) AddPath(path string) {
	if path == "-" {
		data, err := io.ReadAll(l.stdin)
		if err != nil {
			l.problem("<stdin>", 0, "", "read: "+err.Error())
			return
		}
		l.AddBytes("<stdin>", data)
		return
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		l.problem(path, 0, "", "cannot read: "+err.Error())
		return
	}
	l.AddFS(os.DirFS("/"), strings.TrimPrefix(filepath.ToSlash(abs), "/"), path)
}

// AddFS reads a file or directory from fsys; display is how the path is shown in problems.
func (l *Loader) AddFS(fsys fs.FS, name, display string) {
	clean := filepath.ToSlash(filepath.Clean(name))
	info, err := fs.Stat(fsys, clean)
	if err != nil {
		l.problem(display, 0, "", "cannot read: "+unwrapPathError(err))
		return
	}
	if !info.IsDir() {
		l.addFile(fsys, clean, display, false)
		return
	}
	if sc := scenarioIn(fsys, clean); sc != "" {
		// A scenario's directory means that scenario: its scenario.yaml and what it includes, not its
		// test data and broken variants. The other manifests there are named once everything is read.
		l.addFile(fsys, sc, joinDisplay(display, path.Base(sc)), false)
		l.scenarioDirs = append(l.scenarioDirs, scenarioDir{fsys: fsys, dir: clean, display: display, file: joinDisplay(display, path.Base(sc))})
		return
	}
	var files []string
	refused := false // a directory kubectl apply -f would refuse (a kustomization, a chart): reported already
	err = fs.WalkDir(fsys, clean, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := joinDisplay(display, strings.TrimPrefix(strings.TrimPrefix(p, clean), "/"))
		switch {
		case d.IsDir() && isChart(fsys, p):
			// Its templates are Go templates of objects, not objects.
			if p == clean {
				l.problem(display, 0, "", "a Helm chart (Chart.yaml): render it with --chart "+display+"; -f reads plain manifests")
				refused = true
				return fs.SkipAll
			}
			l.skip(rel, "a Helm chart: render it with --chart "+rel)
			return fs.SkipDir
		case d.IsDir() && kustomizationIn(fsys, p) != "":
			// Its files are resources and patches for kustomize, not objects: a patch is part of an
			// object. kubectl apply -f refuses such a directory too.
			if p == clean {
				l.problem(display, 0, "", fmt.Sprintf("a kustomization (%s): build it with -k %s; -f reads plain manifests", path.Base(kustomizationIn(fsys, p)), display))
				refused = true
				return fs.SkipAll
			}
			l.skip(rel, "a kustomization: build it with -k "+rel)
			return fs.SkipDir
		case d.IsDir():
		case isManifest(p):
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		l.problem(display, 0, "", "cannot read: "+unwrapPathError(err))
	}
	sort.Strings(files)
	if len(files) == 0 && !refused {
		l.problem(display, 0, "", "no .yaml, .yml or .json files in this directory")
	}
	for _, f := range files {
		rel := strings.TrimPrefix(strings.TrimPrefix(f, clean), "/")
		l.addFile(fsys, f, joinDisplay(display, rel), true)
	}
}

// scenarioDir is a directory read as the scenario it holds.
type scenarioDir struct {
	fsys               fs.FS
	dir, display, file string
}

// unreadBesideScenarios warns of the manifests in a scenario's directory that neither the scenario nor
// -f read: a directory with a scenario means the scenario and what its spec.include names, so a file
// put there and not included would otherwise be left out without a word. Test data (a testdata
// directory) is the scenario's own business.
func (l *Loader) unreadBesideScenarios() {
	for _, sd := range l.scenarioDirs {
		var unread []string
		_ = fs.WalkDir(sd.fsys, sd.dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && (d.Name() == "testdata" || p != sd.dir && (isChart(sd.fsys, p) || kustomizationIn(sd.fsys, p) != "")) {
				return fs.SkipDir
			}
			rel := joinDisplay(sd.display, strings.TrimPrefix(strings.TrimPrefix(p, sd.dir), "/"))
			if !d.IsDir() && isManifest(p) && !l.readFiles[filepath.Clean(rel)] {
				unread = append(unread, rel)
			}
			return nil
		})
		if len(unread) > 0 {
			l.warn(sd.file, 0, "spec.include", fmt.Sprintf("%d manifest file(s) beside the scenario were not read: a directory with a scenario.yaml reads the scenario and what its spec.include names; include them, or give them with -f: %s",
				len(unread), strings.Join(unread, ", ")))
		}
	}
}

// joinDisplay names a file under a directory shown as display: a path joined, or after a display that
// ends in a colon ("git:REV:", the top of a revision's tree), the file's path from there.
func joinDisplay(display, rel string) string {
	if strings.HasSuffix(display, ":") {
		return display + filepath.ToSlash(rel)
	}
	return filepath.Join(display, rel)
}

// HoldsScenario says whether name in fsys is a scenario file or a directory with one: reading it reads
// the files its spec.include names, wherever they are.
func HoldsScenario(fsys fs.FS, name string) bool {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return false
	}
	if info.IsDir() {
		return scenarioIn(fsys, name) != ""
	}
	data, err := fs.ReadFile(fsys, name)
	return err == nil && scenarioKindRE.Match(data)
}

// scenarioIn returns the scenario.yaml (or .yml) of a directory, when it holds a kind: Scenario.
func scenarioIn(fsys fs.FS, dir string) string {
	for _, name := range []string{"scenario.yaml", "scenario.yml"} {
		p := path.Join(dir, name)
		if data, err := fs.ReadFile(fsys, p); err == nil && scenarioKindRE.Match(data) {
			return p
		}
	}
	return ""
}

var scenarioKindRE = regexp.MustCompile(`(?m)^kind:\s*Scenario\s*$`)

// isChart reports whether a directory is a Helm chart (it has a Chart.yaml).
func isChart(fsys fs.FS, dir string) bool {
	_, err := fs.Stat(fsys, path.Join(dir, "Chart.yaml"))
	return err == nil
}

// kustomizationIn returns the kustomization file of a directory (which kustomize reads, not kubectl
// apply), or "".
func kustomizationIn(fsys fs.FS, dir string) string {
	for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := fs.Stat(fsys, path.Join(dir, name)); err == nil {
			return path.Join(dir, name)
		}
	}
	return ""
}

func (l *Loader) skip(file, reason string) {
	l.cluster.Skipped = append(l.cluster.Skipped, SkippedFile{File: file, Reason: reason})
}

func isManifest(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// addFile reads one file; inDir says it was found in a directory, where a file that holds no Kubernetes
// object (no document with a kind or an apiVersion) is skipped and listed instead of being an error.
func (l *Loader) addFile(fsys fs.FS, p, display string, inDir bool) {
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		l.problem(display, 0, "", "cannot read: "+unwrapPathError(err))
		return
	}
	key := filepath.Clean(display)
	if l.readFiles[key] {
		l.repeated = append(l.repeated, display)
		return
	}
	l.readFiles[key] = true
	if inDir {
		if reason := notManifest(data); reason != "" {
			l.skip(display, reason)
			return
		}
	}
	if l.onRead != nil {
		l.onRead(display, len(data))
	}
	l.cur.fsys, l.cur.dir = fsys, path.Dir(p)
	l.AddBytes(display, data)
	l.cur.fsys = nil
}

// OnRead calls f with each file as it is read (for progress), before its documents are added.
func (l *Loader) OnRead(f func(file string, size int)) { l.onRead = f }

// notManifest says why a file found in a directory is not a Kubernetes manifest, or "" when it is one
// (it has a document with a kind or an apiVersion, broken or not).
func notManifest(data []byte) string {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return "holds no Kubernetes object (no document has a kind or an apiVersion)"
		}
		if err != nil {
			if manifestKeyRE.Match(data) {
				return "" // meant as a manifest: its problems are reported
			}
			return "is not YAML or JSON and names no kind"
		}
		if len(doc.Content) > 0 && doc.Content[0].Kind == yaml.MappingNode &&
			(mapGet(doc.Content[0], "kind") != nil || mapGet(doc.Content[0], "apiVersion") != nil) {
			return ""
		}
	}
}

var manifestKeyRE = regexp.MustCompile(`(?m)^\s*"?(kind|apiVersion)"?\s*:`)

var yamlLineRE = regexp.MustCompile(`line (\d+):?\s*`)

// AddBytes parses one file's content: multi-document YAML or JSON.
func (l *Loader) AddBytes(file string, data []byte) {
	chunks := splitAhead(data, chunkSize)
	if len(chunks) < parallelChunks {
		l.addStream(file, data, 0)
		return
	}
	checkLists(chunks)
	l.addChunks(file, data, chunks)
}

// addChunks reads the chunks of data ahead in parallel and adds their documents in order.
func (l *Loader) addChunks(file string, data []byte, chunks []chunk) {
	var list listDoc
	for r := range parseAhead(file, chunks) {
		c := chunks[r.index]
		if r.err != nil {
			// Read the rest document by document, so the error and what comes before it in the chunk are
			// what reading the file that way gives (a parser reading on past a document's end may fail on
			// the next one first). A List read in parts is read again whole.
			if c.list != nil {
				c = chunks[c.list.head]
			}
			l.addStream(file, data[c.offset:], c.line)
			return
		}
		if c.list != nil && c.list.incremental {
			if c.list.first >= 0 { // the items of a run, added as addObject adds a List's
				l.pre = r.decoded
				for j, it := range r.docs[0].Content[0].Content {
					l.addObject(file, it, itemPath("", c.list.first+j))
				}
				l.pre = nil
			}
			continue
		}
		if c.list != nil {
			if doc := list.add(c.list, r); doc != nil {
				l.pre = list.decoded
				l.addDocument(file, doc)
				l.pre, list = nil, listDoc{}
			}
			continue
		}
		l.pre = r.decoded
		for _, doc := range r.docs {
			l.addDocument(file, doc)
		}
		l.pre = nil
	}
}

// listDoc is a List document read in parts, put together again.
type listDoc struct {
	doc     *yaml.Node
	items   *yaml.Node
	decoded map[*yaml.Node]*decoded
}

// add adds a part; it gives the document once its last part is in.
func (d *listDoc) add(p *listPart, r parsed) *yaml.Node {
	if p.first < 0 {
		d.doc, d.decoded = r.docs[0], r.decoded
		d.items = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		root := d.doc.Content[0]
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "items" {
				root.Content[i+1] = d.items
			}
		}
		return nil
	}
	seq := r.docs[0].Content[0]
	if p.first == 0 {
		d.items.Line, d.items.Column = seq.Line, seq.Column
	}
	d.items.Content = append(d.items.Content, seq.Content...)
	maps.Copy(d.decoded, r.decoded)
	if p.last {
		return d.doc
	}
	return nil
}

// addStream reads the YAML documents of data, which starts at line 1+lineOffset of the file, each on
// its own as kubectl does (anchors do not cross documents), up to the first that is not well-formed.
func (l *Loader) addStream(file string, data []byte, lineOffset int) {
	for _, c := range splitDocuments(data, 1) {
		if !l.addChunk(file, c.data, lineOffset+c.line) {
			return
		}
	}
}

// addChunk reads the documents of one chunk; false when one is not well-formed.
func (l *Loader) addChunk(file string, data []byte, lineOffset int) bool {
	before, err := eachDocument(data, lineOffset, func(doc *yaml.Node) { l.addDocument(file, doc) })
	if err == nil {
		return true
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		line += before
		msg = strings.Replace(msg, m[0], "", 1)
	}
	l.problem(file, line, "", "malformed YAML: "+msg)
	return false
}

// addDocument adds the object of one YAML document. The items of a large List read whole (a JSON export)
// are decoded ahead on every core first, as those of a file read in chunks are.
func (l *Loader) addDocument(file string, doc *yaml.Node) {
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return // an empty or comment-only document, which kubectl skips too
	}
	if l.pre == nil {
		if pre := decodeListAhead(file, doc.Content[0]); pre != nil {
			l.pre = pre
			defer func() { l.pre = nil }()
		}
	}
	l.addObject(file, doc.Content[0], "")
}

// AddError records a problem with an input the caller read itself (a URL that did not answer); file is ""
// when the error names its file already.
func (l *Loader) AddError(file string, err error) { l.problem(file, 0, "", err.Error()) }

func (l *Loader) problem(file string, line int, field, msg string) {
	l.probs = append(l.probs, Problem{File: file, Line: line, Field: field, Message: msg})
}

func (l *Loader) warn(file string, line int, field, msg string) {
	l.probs = append(l.probs, Problem{File: file, Line: line, Field: field, Message: msg, Severity: Warning})
}

// kindSpec says how one kind is decoded and added to the cluster, and how it is read from a live cluster.
// kindSpecs is the one list of the kinds zonesim models: files and live clusters are both read from it.
type kindSpec struct {
	versions   []string          // served apiVersions
	deprecated map[string]string // apiVersion -> replacement, accepted with a warning
	newObj     func() any
	add        func(l *Loader, obj any, src Source, root *yaml.Node)
	cluster    bool // cluster-scoped: no namespace
	live       LiveRead
	// keepStatus: read live, the status carries what the model needs (pod and node addresses).
	keepStatus bool
}

// LiveRead says whether a kind is read from a live cluster, and whether the run can do without it.
type LiveRead int

const (
	// LiveOptional kinds are read when the cluster serves them and the user may list them; otherwise the
	// run goes on with a note (an API the cluster does not serve: OpenShift's on plain Kubernetes).
	LiveOptional LiveRead = iota
	// LiveRequired kinds must be readable: without them no verdict means anything.
	LiveRequired
	// LiveSkipped kinds are not read: their pods are, as they run (workloads).
	LiveSkipped
)

// Kind is one kind zonesim reads: from files in any of Versions, from a live cluster as Resource in
// Versions[0].
type Kind struct {
	Kind       string
	Versions   []string
	Resource   string // the plural resource name, as the API server serves it
	Namespaced bool
	Live       LiveRead
	KeepStatus bool
}

// Kinds lists every kind the loader models, by name.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kindSpecs))
	for name, k := range kindSpecs {
		out = append(out, Kind{Kind: name, Versions: k.versions, Resource: resourceName(name), Namespaced: !k.cluster, Live: k.live, KeepStatus: k.keepStatus})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// legacyDefaults applies what the removed workload versions defaulted and apps/v1 requires: a selector
// taken from the pod template's labels.
func legacyDefaults(obj any) {
	var sel **metav1.LabelSelector
	var tmpl *corev1.PodTemplateSpec
	switch o := obj.(type) {
	case *appsv1.Deployment:
		sel, tmpl = &o.Spec.Selector, &o.Spec.Template
	case *appsv1.ReplicaSet:
		sel, tmpl = &o.Spec.Selector, &o.Spec.Template
	case *appsv1.StatefulSet:
		sel, tmpl = &o.Spec.Selector, &o.Spec.Template
	case *appsv1.DaemonSet:
		sel, tmpl = &o.Spec.Selector, &o.Spec.Template
	default:
		return
	}
	if *sel == nil && len(tmpl.Labels) > 0 {
		*sel = &metav1.LabelSelector{MatchLabels: copyLabels(tmpl.Labels)}
	}
}

// removedAPIs maps API versions the API server no longer serves to the one that replaced them (the
// Kubernetes deprecation guide: workloads' beta versions went in 1.16, CronJob's batch/v1beta1 in 1.25,
// RBAC's and StorageClass's v1beta1 in 1.22). They are read only with --accept-removed-apis.
func removedAPIs(current string, removed ...string) map[string]string {
	m := map[string]string{}
	for _, r := range removed {
		m[r] = current
	}
	return m
}

// resourceName is the API server's plural of a kind, by the rule its code generators apply to every kind
// zonesim reads (NetworkPolicy -> networkpolicies, StorageClass -> storageclasses, EgressIP -> egressips).
func resourceName(kind string) string {
	r := strings.ToLower(kind)
	switch {
	case strings.HasSuffix(r, "y"):
		return strings.TrimSuffix(r, "y") + "ies"
	case strings.HasSuffix(r, "s"):
		return r + "es"
	}
	return r + "s"
}

var kindSpecs = map[string]kindSpec{
	"Namespace":             {versions: []string{"v1"}, newObj: func() any { return &corev1.Namespace{} }, add: (*Loader).addNamespace, cluster: true, live: LiveRequired},
	"Node":                  {versions: []string{"v1"}, newObj: func() any { return &corev1.Node{} }, add: (*Loader).addNode, cluster: true, live: LiveRequired, keepStatus: true},
	"Pod":                   {versions: []string{"v1"}, newObj: func() any { return &corev1.Pod{} }, add: (*Loader).addPod, live: LiveRequired, keepStatus: true},
	"Service":               {versions: []string{"v1"}, newObj: func() any { return &corev1.Service{} }, add: (*Loader).addService, live: LiveRequired},
	"ReplicationController": {versions: []string{"v1"}, newObj: func() any { return &corev1.ReplicationController{} }, add: (*Loader).addWorkload, live: LiveSkipped},
	"Deployment": {versions: []string{"apps/v1"}, deprecated: removedAPIs("apps/v1", "extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"),
		newObj: func() any { return &appsv1.Deployment{} }, add: (*Loader).addWorkload, live: LiveSkipped},
	"ReplicaSet": {versions: []string{"apps/v1"}, deprecated: removedAPIs("apps/v1", "extensions/v1beta1", "apps/v1beta2"),
		newObj: func() any { return &appsv1.ReplicaSet{} }, add: (*Loader).addWorkload, live: LiveSkipped},
	"StatefulSet": {versions: []string{"apps/v1"}, deprecated: removedAPIs("apps/v1", "apps/v1beta1", "apps/v1beta2"),
		newObj: func() any { return &appsv1.StatefulSet{} }, add: (*Loader).addWorkload, live: LiveSkipped},
	"DaemonSet": {versions: []string{"apps/v1"}, deprecated: removedAPIs("apps/v1", "extensions/v1beta1", "apps/v1beta2"),
		newObj: func() any { return &appsv1.DaemonSet{} }, add: (*Loader).addWorkload, live: LiveSkipped},
	"Job": {versions: []string{"batch/v1"}, newObj: func() any { return &batchv1.Job{} }, add: (*Loader).addWorkload, live: LiveSkipped},
	"CronJob": {versions: []string{"batch/v1"}, deprecated: removedAPIs("batch/v1", "batch/v1beta1", "batch/v2alpha1"),
		newObj: func() any { return &batchv1.CronJob{} }, add: (*Loader).addWorkload, live: LiveSkipped},
	"NetworkPolicy": {
		versions:   []string{"networking.k8s.io/v1"},
		deprecated: map[string]string{"extensions/v1beta1": "networking.k8s.io/v1"},
		newObj:     func() any { return &networkingv1.NetworkPolicy{} },
		add:        (*Loader).addNetworkPolicy,
		live:       LiveRequired,
	},
}

func (l *Loader) addObject(file string, n *yaml.Node, path string) {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		l.problem(file, n.Line, path, "expected a Kubernetes object (a mapping with apiVersion and kind), got "+nodeKind(n))
		return
	}
	apiVersion, kind := scalarAt(n, "apiVersion"), scalarAt(n, "kind")
	if kind == "" || apiVersion == "" {
		missing := "kind"
		if kind != "" {
			missing = "apiVersion"
		}
		l.problem(file, n.Line, joinPath(path, missing), "required: every object needs apiVersion and kind")
		return
	}
	if items := mapGet(n, "items"); strings.HasSuffix(kind, "List") && items != nil {
		if items.Kind != yaml.SequenceNode {
			l.problem(file, items.Line, joinPath(path, "items"), "expected a list, got "+nodeKind(items))
			return
		}
		for i, it := range listItems(items, apiVersion, kind) {
			l.addObject(file, it, itemPath(path, i))
		}
		return
	}
	if kind == "Scenario" {
		if apiVersion != ScenarioAPIVersion {
			l.problem(file, lineAt(n, "apiVersion"), joinPath(path, "apiVersion"), fmt.Sprintf("apiVersion %q is not supported for Scenario; use %s", apiVersion, ScenarioAPIVersion))
			return
		}
		l.addScenario(file, n, path)
		return
	}
	if u, ok := unmodelled(apiVersion, kind); ok {
		l.addUnmodelled(file, n, apiVersion, kind, u)
		return
	}
	spec, ok := kindSpecs[kind]
	if !ok {
		l.cluster.Ignored[kind]++
		return
	}
	if repl, ok := spec.deprecated[apiVersion]; ok {
		if !l.opts.AcceptRemovedAPIs {
			l.problem(file, lineAt(n, "apiVersion"), joinPath(path, "apiVersion"),
				fmt.Sprintf("%s %s is no longer served by the API server, which refuses it: write it as %s (--accept-removed-apis reads it as such)", apiVersion, kind, repl))
			return
		}
		key := apiVersion + " " + kind
		if !l.deprecations[key] {
			l.deprecations[key] = true
			l.warn(file, lineAt(n, "apiVersion"), joinPath(path, "apiVersion"),
				fmt.Sprintf("%s %s is no longer served by the API server; read as %s (write it as %s)", apiVersion, kind, repl, repl))
		}
	} else if !contains(spec.versions, apiVersion) {
		l.problem(file, lineAt(n, "apiVersion"), joinPath(path, "apiVersion"),
			fmt.Sprintf("apiVersion %q is not supported for %s; use %s", apiVersion, kind, strings.Join(spec.versions, " or ")))
		return
	}
	if kind == "Namespace" && apiVersion == "v1" {
		// Declared even when invalid, so the error is not followed by an "implicit namespace" warning.
		if name := mapGet(mapGet(n, "metadata"), "name"); name != nil {
			l.declaredNS[name.Value] = true
		}
	}
	before := len(l.probs)
	if path != "" {
		// An item of a list: every problem names its field from the file's root (items[2].spec...).
		defer l.prefixFields(before, path)
	}
	d := l.pre[n]
	if d == nil {
		d = decodeObject(file, n, path, kind, apiVersion, spec)
	}
	l.probs = append(l.probs, d.probs...)
	if len(d.probs.Errors()) > 0 {
		return
	}
	if d.err != nil {
		l.problem(file, n.Line, path, "cannot decode "+kind+": "+d.err.Error())
		return
	}
	obj := d.obj
	meta := obj.(metav1.Object)
	if meta.GetName() == "" && meta.GetGenerateName() != "" {
		// The API server would append five random characters; a run needs a name it can show again.
		l.generated++
		meta.SetName(fmt.Sprintf("%s%05d", meta.GetGenerateName(), l.generated))
		l.warn(file, lineAt(n, "metadata", "generateName"), joinPath(path, "metadata.generateName"),
			fmt.Sprintf("no name: named %q (the API server appends 5 random characters to generateName)", meta.GetName()))
		if probs := validateObject(kind, obj, file, n); len(probs) > 0 {
			l.probs = append(l.probs, probs...)
			if len(probs.Errors()) > 0 {
				return
			}
		}
	}
	if meta.GetName() == "" {
		l.problem(file, lineAt(n, "metadata"), joinPath(path, "metadata.name"), "required")
		return
	}
	if spec.cluster {
		meta.SetNamespace("")
	} else if meta.GetNamespace() == "" {
		meta.SetNamespace("default")
	}
	key := kind + "/" + meta.GetNamespace() + "/" + meta.GetName()
	src := Source{File: file, Line: n.Line}
	content := d.content
	if first, dup := l.seen[key]; dup {
		if l.seenContent[key] == content {
			l.warn(file, n.Line, path, fmt.Sprintf("%s %q is the same as at %s:%d: read once", kind, objName(meta), first.File, first.Line))
			return
		}
		l.problem(file, n.Line, path, fmt.Sprintf("duplicate %s %q, first defined at %s:%d with other content", kind, objName(meta), first.File, first.Line))
		return
	}
	l.seen[key], l.seenContent[key] = src, content
	if ns := meta.GetNamespace(); ns != "" && kind != "IngressController" { // the operator's namespace holds no pods
		if _, ok := l.nsRefs[ns]; !ok {
			l.nsRefs[ns] = src
		}
	}
	spec.add(l, obj, src, n)
}

// prefixFields puts path in front of the field of every problem from index from on that does not start
// with it yet.
func (l *Loader) prefixFields(from int, path string) {
	for i := from; i < len(l.probs); i++ {
		if f := l.probs[i].Field; f != "" && f != path && !strings.HasPrefix(f, path+".") {
			l.probs[i].Field = joinPath(path, f)
		}
	}
}

// addUnmodelled records an object of a kind that changes reachability and is not modelled.
func (l *Loader) addUnmodelled(file string, n *yaml.Node, apiVersion, kind string, k unmodelledKind) {
	meta := mapGet(n, "metadata")
	str := func(key string) string {
		if v := mapGet(meta, key); v != nil && v.Kind == yaml.ScalarNode {
			return v.Value
		}
		return ""
	}
	u := &Unmodelled{Kind: kind, APIVersion: apiVersion, Name: str("name"), Effect: k.effect, Source: Source{File: file, Line: n.Line}}
	if !k.cluster {
		if u.Namespace = str("namespace"); u.Namespace == "" {
			u.Namespace = "default"
		}
	}
	l.cluster.Unmodelled = append(l.cluster.Unmodelled, u)
}

// checkAt checks a whole object; path prefixes fields of list items. A status the type has no field for
// (a NetworkPolicy exported from Kubernetes 1.24-1.27 carries status: {}) is read and ignored, with a
// warning: today's API server has no such field, and its strict field validation refuses it.
func (c *schemaChecker) checkAt(n *yaml.Node, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if _, has := jsonFields(t)["status"]; !has && n.Kind == yaml.MappingNode && mapGet(n, "status") != nil {
		*c.probs = append(*c.probs, Problem{File: c.file, Line: mapGet(n, "status").Line, Field: joinPath(path, "status"), Severity: Warning,
			Message: "read and ignored (an export from Kubernetes 1.24-1.27 carries it), but the API server no longer has this field: " +
				"with strict field validation (kubectl's default) it refuses the object; remove status before applying it"})
		trimmed := *n
		trimmed.Content = nil
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value != "status" {
				trimmed.Content = append(trimmed.Content, n.Content[i], n.Content[i+1])
			}
		}
		n = &trimmed
	}
	c.base = path
	c.check(n, t)
}

// withKind gives a typed list's item the list's item kind and apiVersion, where it has none.
func withKind(n *yaml.Node, apiVersion, kind string) *yaml.Node {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode || mapGet(n, "kind") != nil {
		return n
	}
	out := *n
	scalar := func(v string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Line: n.Line, Column: n.Column}
	}
	head := []*yaml.Node{scalar("kind"), scalar(kind)}
	if mapGet(n, "apiVersion") == nil {
		head = append(head, scalar("apiVersion"), scalar(apiVersion))
	}
	out.Content = append(head, n.Content...)
	return &out
}

// serverFields are the metadata the API server keeps for itself: an export carries them, they mean
// nothing to reachability, and two exports of one object differ in them.
var serverFields = []string{"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink"}

// lastApplied is the annotation kubectl apply keeps a copy of the object in.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// withoutServerFields leaves out of an object's metadata what the API server keeps for itself, and
// kubectl apply's copy of the object from its annotations.
func withoutServerFields(key string, _ *yaml.Node) (bool, keyFilter) {
	if key != "metadata" {
		return false, nil
	}
	return false, func(key string, v *yaml.Node) (bool, keyFilter) {
		switch {
		case contains(serverFields, key):
			return true, nil
		case key == "annotations":
			return onlyLastApplied(v), func(key string, _ *yaml.Node) (bool, keyFilter) { return key == lastApplied, nil }
		}
		return false, nil
	}
}

// onlyLastApplied says whether annotations hold kubectl apply's copy and nothing else.
func onlyLastApplied(v *yaml.Node) bool {
	v = resolveAlias(v)
	if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
		return false
	}
	for i := 0; i < len(v.Content); i += 2 {
		if keyString(resolveAlias(v.Content[i])) != lastApplied {
			return false
		}
	}
	return true
}

func objName(m metav1.Object) string {
	if m.GetNamespace() == "" {
		return m.GetName()
	}
	return m.GetNamespace() + "/" + m.GetName()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func copyLabels(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func (l *Loader) addNamespace(obj any, src Source, _ *yaml.Node) {
	ns := obj.(*corev1.Namespace)
	labels := copyLabels(ns.Labels)
	labels[NamespaceNameLabel] = ns.Name // set by the API server on every namespace
	l.declaredNS[ns.Name] = true
	l.cluster.Namespaces = append(l.cluster.Namespaces, &Namespace{Name: ns.Name, Labels: labels, Annotations: ns.Annotations, Source: src})
}

func (l *Loader) addNode(obj any, src Source, root *yaml.Node) {
	n := obj.(*corev1.Node)
	node := &Node{Name: n.Name, Labels: copyLabels(n.Labels), Source: src}
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP && a.Type != corev1.NodeExternalIP {
			continue // a hostname or DNS name
		}
		ip, err := netip.ParseAddr(a.Address)
		switch {
		case err != nil:
			l.problem(src.File, lineAt(root, "status", "addresses"), "status.addresses", fmt.Sprintf("invalid IP %q", a.Address))
		case a.Type == corev1.NodeInternalIP && !node.IP.IsValid():
			node.IP = ip
		default:
			node.Addresses = append(node.Addresses, ip)
		}
	}
	l.cluster.Nodes = append(l.cluster.Nodes, node)
}

func containerPorts(spec *corev1.PodSpec) []ContainerPort {
	var out []ContainerPort
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for _, c := range cs {
			for _, p := range c.Ports {
				proto := p.Protocol
				if proto == "" {
					proto = corev1.ProtocolTCP
				}
				out = append(out, ContainerPort{Name: p.Name, Port: p.ContainerPort, Protocol: proto})
			}
		}
	}
	return out
}

func (l *Loader) addPod(obj any, src Source, root *yaml.Node) {
	p := obj.(*corev1.Pod)
	pod := &Pod{
		Namespace:    p.Namespace,
		Name:         p.Name,
		Labels:       copyLabels(p.Labels),
		Ports:        containerPorts(&p.Spec),
		NodeName:     p.Spec.NodeName,
		NodeSelector: p.Spec.NodeSelector,
		HostNetwork:  p.Spec.HostNetwork,
		Source:       src,
	}
	if p.Status.PodIP != "" {
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if err != nil {
			l.problem(src.File, lineAt(root, "status", "podIP"), "status.podIP", fmt.Sprintf("invalid IP %q", p.Status.PodIP))
		}
		pod.IP = ip
	}
	pod.NetworkIPs = primaryNetworkIPs(p.Annotations[podNetworksAnnotation])
	if ref := metav1.GetControllerOf(p); ref != nil {
		l.podOwners[pod] = *ref
	}
	l.cluster.Pods = append(l.cluster.Pods, pod)
}

// podTemplate returns the pod template of a workload object.
func podTemplate(obj any) (kind string, meta metav1.Object, tmpl *corev1.PodTemplateSpec) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return "Deployment", o, &o.Spec.Template
	case *appsv1.ReplicaSet:
		return "ReplicaSet", o, &o.Spec.Template
	case *appsv1.StatefulSet:
		return "StatefulSet", o, &o.Spec.Template
	case *appsv1.DaemonSet:
		return "DaemonSet", o, &o.Spec.Template
	case *batchv1.Job:
		return "Job", o, &o.Spec.Template
	case *batchv1.CronJob:
		return "CronJob", o, &o.Spec.JobTemplate.Spec.Template
	case *corev1.ReplicationController:
		return "ReplicationController", o, o.Spec.Template
	}
	panic(fmt.Sprintf("podTemplate: unexpected %T", obj))
}

func (l *Loader) addWorkload(obj any, src Source, _ *yaml.Node) {
	kind, meta, tmpl := podTemplate(obj)
	w := &Workload{Kind: kind, Namespace: meta.GetNamespace(), Name: meta.GetName(), Source: src}
	if tmpl != nil {
		w.Pods = []*Pod{{
			Namespace:    w.Namespace,
			Labels:       copyLabels(tmpl.Labels),
			Ports:        containerPorts(&tmpl.Spec),
			NodeName:     tmpl.Spec.NodeName,
			NodeSelector: tmpl.Spec.NodeSelector,
			HostNetwork:  tmpl.Spec.HostNetwork,
			Workload:     w,
			Source:       src,
		}}
	}
	key := kind + "/" + w.Namespace + "/" + w.Name
	l.workloadOf[key] = w
	if ref := metav1.GetControllerOf(meta); ref != nil {
		l.ownerOf[key] = *ref
	}
	l.cluster.Workloads = append(l.cluster.Workloads, w)
}

func (l *Loader) addService(obj any, src Source, root *yaml.Node) {
	s := obj.(*corev1.Service)
	svc := &Service{Namespace: s.Namespace, Name: s.Name, Type: string(s.Spec.Type), Selector: s.Spec.Selector,
		ExternalTrafficPolicy: string(s.Spec.ExternalTrafficPolicy), Source: src}
	if svc.Type == "" {
		svc.Type = "ClusterIP"
	}
	for _, p := range s.Spec.Ports {
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		tp := p.TargetPort
		if tp.IntValue() == 0 && tp.StrVal == "" {
			tp.IntVal = p.Port // targetPort defaults to port
		}
		svc.Ports = append(svc.Ports, ServicePort{Name: p.Name, Port: p.Port, Protocol: proto, TargetPort: tp})
	}
	if ip := s.Spec.ClusterIP; ip != "" && ip != corev1.ClusterIPNone {
		addr, err := netip.ParseAddr(ip)
		if err != nil {
			l.problem(src.File, lineAt(root, "spec", "clusterIP"), "spec.clusterIP", fmt.Sprintf("invalid IP %q", ip))
		}
		svc.ClusterIP = addr
		if err == nil && !l.opts.ServiceCIDR.Contains(addr) {
			if len(l.outsideServiceCIDR) == 0 {
				l.outsideFirst = Source{File: src.File, Line: lineAt(root, "spec", "clusterIP")}
			}
			l.outsideServiceCIDR = append(l.outsideServiceCIDR, svc.Namespace+"/"+svc.Name)
		}
	}
	if svc.Type == "LoadBalancer" {
		var status []string
		for _, in := range s.Status.LoadBalancer.Ingress {
			status = append(status, in.IP)
		}
		svc.LoadBalancerIPs, svc.LoadBalancerFrom = loadBalancerIPs(status, s.Spec.LoadBalancerIP, s.Annotations)
	}
	l.cluster.Services = append(l.cluster.Services, svc)
}

func (l *Loader) addNetworkPolicy(obj any, src Source, root *yaml.Node) {
	np := obj.(*networkingv1.NetworkPolicy)
	probs := validateNetworkPolicy(np, src.File, root)
	l.probs = append(l.probs, probs...)
	if len(probs.Errors()) > 0 {
		return
	}
	p := &NetworkPolicy{Namespace: np.Namespace, Name: np.Name, Spec: np.Spec, Source: src}
	for i := range np.Spec.Ingress {
		p.IngressLines = append(p.IngressLines, lineAt(root, "spec", "ingress", i))
	}
	for i := range np.Spec.Egress {
		p.EgressLines = append(p.EgressLines, lineAt(root, "spec", "egress", i))
	}
	l.cluster.Policies = append(l.cluster.Policies, p)
}

// Cluster finishes loading: expands workloads to pods, creates referenced namespaces, assigns IPs. It
// returns the problems as an error when any is an error; warnings stay in Cluster.Warnings.
func (l *Loader) Cluster() (*Cluster, error) {
	c := l.cluster
	l.finishNodes()
	l.finishZoneNamespaces()
	l.expandWorkloads()
	l.finishIngresses()
	l.finishRouters()
	l.representativePods()
	l.implicitNamespaces()
	l.finishNetworks()
	l.serviceRangeWarning()
	l.finishAdminPolicies()
	l.finishEgressServices()
	l.unreadBesideScenarios()
	if n := len(l.repeated); n > 0 {
		l.warn(l.repeated[0], 0, "", fmt.Sprintf("%d file(s) given more than once (by -f and by a scenario's include, or twice) were read once: %s",
			n, strings.Join(l.repeated, ", ")))
	}
	c.sortAll()
	l.assignIPs()
	c.index()
	c.Contents = l.seenContent
	l.probs.Sort()
	c.Warnings = l.probs.Warnings()
	if len(l.probs.Errors()) > 0 {
		return c, l.probs
	}
	return c, nil
}

// expandWorkloads gives each top-level workload its template pod, unless real pods of it were loaded; real
// pods get their top-level workload (through ReplicaSet -> Deployment, Job -> CronJob).
func (l *Loader) expandWorkloads() {
	top := func(kind, ns, name string) *Workload {
		for i := 0; i < 4; i++ {
			key := kind + "/" + ns + "/" + name
			ref, owned := l.ownerOf[key]
			if !owned || l.workloadOf[ref.Kind+"/"+ns+"/"+ref.Name] == nil {
				return l.workloadOf[key]
			}
			kind, name = ref.Kind, ref.Name
		}
		return nil
	}
	hasReal := map[*Workload]bool{}
	for _, p := range l.cluster.Pods {
		ref, ok := l.podOwners[p]
		if !ok {
			continue
		}
		w := top(ref.Kind, p.Namespace, ref.Name)
		if w == nil {
			// The owner was not given (a Deployment exported with its Pods but not its ReplicaSets): its
			// own owner follows from its name, else the pods are grouped under it.
			if kind, name := impliedOwner(ref, p.Labels); kind != "" {
				w = top(kind, p.Namespace, name)
			}
		}
		if w == nil && workloadKinds[ref.Kind] {
			key := ref.Kind + "/" + p.Namespace + "/" + ref.Name
			w = &Workload{Kind: ref.Kind, Namespace: p.Namespace, Name: ref.Name, Source: p.Source}
			l.workloadOf[key] = w
			l.cluster.Workloads = append(l.cluster.Workloads, w)
		}
		if w != nil {
			p.Workload = w
			hasReal[w] = true
		}
	}
	taken := map[string]bool{}
	for _, p := range l.cluster.Pods {
		taken[p.Key()] = true
	}
	var workloads []*Workload
	for _, w := range l.cluster.Workloads {
		if top(w.Kind, w.Namespace, w.Name) != w {
			continue // a ReplicaSet of a loaded Deployment, a Job of a loaded CronJob
		}
		workloads = append(workloads, w)
		if hasReal[w] {
			w.Pods = nil
			for _, p := range l.cluster.Pods {
				if p.Workload == w {
					w.Pods = append(w.Pods, p)
				}
			}
			continue
		}
		for _, p := range w.Pods {
			p.Name = w.Name + "-0"
			for i := 1; taken[p.Key()]; i++ {
				p.Name = fmt.Sprintf("%s-%s-%d", w.Name, lowerKind(w.Kind), i)
			}
			taken[p.Key()] = true
			if w.Kind == "StatefulSet" { // the labels the StatefulSet controller gives each of its pods
				if p.Labels == nil {
					p.Labels = map[string]string{}
				}
				p.Labels["statefulset.kubernetes.io/pod-name"] = p.Name
				p.Labels["apps.kubernetes.io/pod-index"] = "0"
			}
			l.cluster.Pods = append(l.cluster.Pods, p)
		}
	}
	l.cluster.Workloads = workloads
}

func lowerKind(kind string) string { return strings.ToLower(kind) }

// workloadKinds are the kinds that own pods and that zonesim groups pods under.
var workloadKinds = map[string]bool{"Deployment": true, "ReplicaSet": true, "StatefulSet": true, "DaemonSet": true,
	"Job": true, "CronJob": true, "ReplicationController": true}

var cronJobSuffixRE = regexp.MustCompile(`-[0-9]+$`)

// impliedOwner is the owner of a pod's owner that is missing from the input, from the names the
// controllers give: a Deployment's ReplicaSet is <deployment>-<pod-template-hash>, a CronJob's Job is
// <cronjob>-<scheduled time in minutes>.
func impliedOwner(ref metav1.OwnerReference, podLabels map[string]string) (kind, name string) {
	switch ref.Kind {
	case "ReplicaSet":
		if h := podLabels["pod-template-hash"]; h != "" && strings.HasSuffix(ref.Name, "-"+h) {
			return "Deployment", strings.TrimSuffix(ref.Name, "-"+h)
		}
	case "Job":
		if loc := cronJobSuffixRE.FindStringIndex(ref.Name); loc != nil {
			return "CronJob", ref.Name[:loc[0]]
		}
	}
	return "", ""
}

func (l *Loader) implicitNamespaces() {
	names := make([]string, 0, len(l.nsRefs))
	for ns := range l.nsRefs {
		if !l.declaredNS[ns] {
			names = append(names, ns)
		}
	}
	sort.Strings(names)
	for _, ns := range names {
		src := l.nsRefs[ns]
		l.cluster.Namespaces = append(l.cluster.Namespaces, &Namespace{
			Name: ns, Labels: map[string]string{NamespaceNameLabel: ns}, Implicit: true, Source: src,
		})
	}
	if len(names) > 0 {
		first := l.nsRefs[names[0]]
		l.warn(first.File, first.Line, "", fmt.Sprintf("%d namespace(s) referenced but not declared, created with only the %s label: %s",
			len(names), NamespaceNameLabel, strings.Join(names, ", ")))
	}
}

// serviceRangeWarning says once which Services have a clusterIP outside the service CIDR: the API server
// refuses those, and which range is the cluster's only --service-cidr says.
func (l *Loader) serviceRangeWarning() {
	if n := len(l.outsideServiceCIDR); n > 0 {
		l.warn(l.outsideFirst.File, l.outsideFirst.Line, "spec.clusterIP", fmt.Sprintf("%d Service(s) have a clusterIP outside the service CIDR %s, which the API server refuses: %s (give the cluster's range with --service-cidr)",
			n, l.opts.ServiceCIDR, strings.Join(l.outsideServiceCIDR, ", ")))
	}
}

// assignIPs fills in missing node, pod and service IPs deterministically, in name order, skipping the
// addresses the input already uses.
func (l *Loader) assignIPs() {
	c := l.cluster
	used := map[netip.Addr]string{}
	claim := func(ip netip.Addr, who string, src Source) {
		if !ip.IsValid() {
			return
		}
		if prev, dup := used[ip]; dup {
			l.warn(src.File, src.Line, "", fmt.Sprintf("%s has IP %s, also used by %s", who, ip, prev))
			return
		}
		used[ip] = who
	}
	for _, n := range c.Nodes {
		claim(n.IP, "node "+n.Name, n.Source)
	}
	for _, p := range c.Pods {
		if !p.HostNetwork {
			claim(p.IP, "pod "+p.Key(), p.Source)
		}
	}
	for _, s := range c.Services {
		claim(s.ClusterIP, "service "+s.Namespace+"/"+s.Name, s.Source)
	}
	next := func(prefix netip.Prefix, cur *netip.Addr) netip.Addr {
		if !cur.IsValid() {
			*cur = prefix.Masked().Addr()
		}
		for {
			*cur = cur.Next()
			if !prefix.Contains(*cur) {
				return netip.Addr{}
			}
			if _, ok := used[*cur]; !ok {
				used[*cur] = "assigned"
				return *cur
			}
		}
	}
	var nodeCur, podCur, svcCur netip.Addr
	netCur := map[*Network]*netip.Addr{}
	nodes := map[string]*Node{}
	for _, n := range c.Nodes {
		if !n.IP.IsValid() {
			n.IP = next(l.opts.NodeCIDR, &nodeCur)
		}
		nodes[n.Name] = n
	}
	for _, p := range c.Pods {
		if p.HostNetwork {
			if n := nodes[p.NodeName]; n != nil {
				p.IP = n.IP
			} else if !p.IP.IsValid() {
				p.IP, p.AssignedIP = next(l.opts.NodeCIDR, &nodeCur), true
			}
			continue
		}
		if n, _ := c.PrimaryNetwork(p.Namespace); n != nil {
			// UDN-3: its traffic carries its address on the user-defined network.
			if len(p.NetworkIPs) > 0 {
				p.IP, p.AssignedIP = p.NetworkIPs[0], false
				continue
			}
			if len(n.Subnets) > 0 {
				if netCur[n] == nil {
					netCur[n] = new(netip.Addr)
				}
				if p.IP, p.AssignedIP = next(n.Subnets[0], netCur[n]), true; !p.IP.IsValid() {
					l.problem(p.Source.File, p.Source.Line, "", fmt.Sprintf("%s's subnet %s has no free address left for pod %s", n, n.Subnets[0], p.Key()))
				}
				continue
			}
		}
		if !p.IP.IsValid() {
			p.IP, p.AssignedIP = next(l.opts.PodCIDR, &podCur), true
			if !p.IP.IsValid() {
				l.problem(p.Source.File, p.Source.Line, "", fmt.Sprintf("pod CIDR %s has no free address left for pod %s", l.opts.PodCIDR, p.Key()))
			}
		}
	}
	for _, s := range c.Services {
		if !s.ClusterIP.IsValid() && s.Selector != nil {
			s.ClusterIP = next(l.opts.ServiceCIDR, &svcCur)
		}
	}
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && classify(n) == scalarNull }
