package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/live"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
	"github.com/zonesim/zonesim/pkg/sources"
	"github.com/zonesim/zonesim/pkg/sources/gitrev"
	"github.com/zonesim/zonesim/pkg/sources/helm"
	"github.com/zonesim/zonesim/pkg/sources/kustomize"
	"github.com/zonesim/zonesim/scenarios"
)

// InputFlags say what zonesim reads: manifests (-f), a live cluster (--kubeconfig/--context, read-only),
// or the embedded scenario when neither is given; and how (--cni, --zone-label, the CIDRs for objects
// without addresses). Every command that reads a model takes the same ones.
type InputFlags struct {
	Files       []string
	CNI         string
	ZoneLabel   string
	PodCIDR     string
	NodeCIDR    string
	ServiceCIDR string
	// AcceptRemovedAPIs reads API versions the server no longer serves as their replacement.
	AcceptRemovedAPIs bool
	// Strict turns a caveat (a verdict that may depend on an object zonesim does not model, or on an address
	// it assumed) into exit code 2.
	Strict bool
	// Kubeconfig and Context read the objects from a live cluster (read-only) instead of, or besides,
	// files.
	Kubeconfig, Context string
	// Kustomize are directories built as kubectl kustomize does (-k).
	Kustomize []string
	// Chart is a Helm chart rendered as helm template does, with Values, Set and Release; its release
	// namespace is -n.
	Chart        string
	Values, Set  []string
	Release      string
	ownNamespace string // -n where the command has no -n of its own: the chart's namespace only
	cmd          *cobra.Command
	// notesShown are the notes printed already: a command that loads two inputs (diff) says each once.
	// Copies of the flags share it.
	notesShown map[string]bool
}

// Uses says which input flags beyond -f and --kubeconfig/--context mean something to a command; the
// others are not offered, and keep their defaults.
type Uses struct {
	// Profile: --cni, the network plugin whose choices the command's verdicts depend on.
	Profile bool
	// Evaluation: --zone-label and the CIDRs, which the command's verdicts depend on.
	Evaluation bool
}

// Evaluates is what a command that computes verdicts uses: every input flag.
var Evaluates = Uses{Profile: true, Evaluation: true}

// AddInputFlags adds the input flags a command uses.
func AddInputFlags(cmd *cobra.Command, g *InputFlags, uses Uses) {
	d := model.DefaultLoadOptions()
	g.CNI, g.ZoneLabel = simulate.DefaultProfile, model.DefaultZoneLabel
	g.PodCIDR, g.NodeCIDR, g.ServiceCIDR = d.PodCIDR.String(), d.NodeCIDR.String(), d.ServiceCIDR.String()
	g.cmd, g.notesShown = cmd, map[string]bool{}
	f := cmd.Flags()
	f.StringArrayVarP(&g.Files, "filename", "f", nil, "manifest file, directory (recursive: .yaml .yml .json), URL, git:REV[:PATH] or - for stdin; repeatable")
	f.StringArrayVarP(&g.Kustomize, "kustomize", "k", nil, "build this kustomization directory (or git:REV:PATH) as kubectl kustomize does, and read the result; repeatable")
	f.StringVar(&g.Chart, "chart", "", "render this Helm chart (directory, .tgz or git:REV:PATH) as helm template does, and read the result")
	f.StringArrayVar(&g.Values, "values", nil, "with --chart: a values file; repeatable, later ones win")
	f.StringArrayVar(&g.Set, "set", nil, "with --chart: set a value (key=value, Helm's syntax); repeatable")
	f.StringVar(&g.Release, "release", "", "with --chart: the release name (default "+helm.DefaultRelease+")")
	f.BoolVar(&g.AcceptRemovedAPIs, "accept-removed-apis", false, "read objects of API versions the API server no longer serves (extensions/v1beta1 NetworkPolicy) as their replacement, instead of refusing them")
	_ = cmd.MarkFlagDirname("kustomize")
	if f.Lookup("namespace") == nil {
		f.StringVarP(&g.ownNamespace, "namespace", "n", "", "with --chart: the release namespace (default "+helm.DefaultNamespace+")")
	}
	f.StringVar(&g.Kubeconfig, "kubeconfig", "", "read the objects from the cluster of this kubeconfig (read-only; with -f, both)")
	f.StringVar(&g.Context, "context", "", "read the objects from this kubeconfig context (read-only; with -f, both)")
	if uses.Profile {
		f.StringVar(&g.CNI, "cni", g.CNI, "network plugin profile for implementation-defined cases: "+strings.Join(simulate.ProfileNames(), ", "))
		_ = cmd.RegisterFlagCompletionFunc("cni", Fixed(simulate.ProfileNames()...))
	}
	if uses.Evaluation {
		f.StringVar(&g.ZoneLabel, "zone-label", g.ZoneLabel, "namespace label that names a network zone")
		f.StringVar(&g.PodCIDR, "pod-cidr", g.PodCIDR, "pod network for pods without status.podIP")
		f.StringVar(&g.NodeCIDR, "node-cidr", g.NodeCIDR, "node network for nodes without an InternalIP")
		f.StringVar(&g.ServiceCIDR, "service-cidr", g.ServiceCIDR, "service network for services without a clusterIP")
		f.BoolVar(&g.Strict, "strict", false, "exit 2 when a verdict carries a caveat (it may depend on an object zonesim does not model, or on an address it assumed)")
	}
}

// CheckStrict is the error --strict makes of caveats, after they were printed with the verdicts.
func (g *InputFlags) CheckStrict(caveats []simulate.Caveat) error {
	if !g.Strict || len(caveats) == 0 {
		return nil
	}
	return InputError(fmt.Errorf("--strict: %d caveat(s): the verdicts may depend on what zonesim does not model or assumed", len(caveats)))
}

// chartNamespace is -n: the command's own (which also narrows what it shows), or the one only for --chart.
func (g *InputFlags) chartNamespace() string {
	if g.cmd == nil {
		return ""
	}
	if f := g.cmd.Flags().Lookup("namespace"); f != nil {
		return f.Value.String()
	}
	return ""
}

// addSources reads -k and --chart into the loader; their problems are the loader's, under the name of
// the file each object came from. A git:REV[:PATH] source is read from the revision's whole tree (a
// kustomization may name ../base, a chart file:// dependencies), and named as git:REV:PATH.
func (g *InputFlags) addSources(ctx context.Context, l *model.Loader, gt *gitTrees) error {
	if g.ownNamespace != "" && g.Chart == "" {
		return InputError(fmt.Errorf("-n/--namespace %s: here it names the release namespace of --chart, and no --chart was given", g.ownNamespace))
	}
	if g.Chart == "" && (len(g.Values) > 0 || len(g.Set) > 0 || g.Release != "") {
		return InputError(fmt.Errorf("--values, --set and --release go with --chart"))
	}
	var docs []sources.Doc
	build := func(source string, f func(local string) ([]sources.Doc, error)) {
		local, display := source, func(s string) string { return s }
		if gitrev.Is(source) {
			t, spec, err := gt.read(ctx, source, false)
			if err != nil {
				l.AddError("", err)
				return
			}
			local, display = t.Local(spec), t.Display
		}
		d, err := f(local)
		if err != nil {
			l.AddError("", errors.New(display(err.Error()))) // it names the kustomization file, the chart's template
		}
		for _, doc := range d {
			docs = append(docs, sources.Doc{Name: display(doc.Name), Data: doc.Data})
		}
	}
	for _, dir := range g.Kustomize {
		build(dir, kustomize.Build)
	}
	if g.Chart != "" {
		build(g.Chart, func(local string) ([]sources.Doc, error) {
			return helm.Render(helm.Options{Chart: local, Values: g.Values, Set: g.Set, Release: g.Release, Namespace: g.chartNamespace()})
		})
	}
	for _, d := range docs {
		l.AddBytes(d.Name, d.Data)
	}
	return nil
}

// gitTrees are the revisions a run reads, each read once, and removed when the input is loaded.
type gitTrees struct {
	trees map[string]*gitrev.Tree // "REV" (the whole tree) or "REV:PATH" -> its files
}

// read reads what a git:REV[:PATH] source names: PATH alone, or with whole the revision's tree.
func (gt *gitTrees) read(ctx context.Context, source string, pathOnly bool) (*gitrev.Tree, gitrev.Spec, error) {
	spec, err := gitrev.Parse(source)
	if err != nil {
		return nil, spec, err
	}
	key := spec.Rev
	var paths []string
	if pathOnly && spec.Path != "" {
		key, paths = spec.Rev+":"+spec.Path, []string{spec.Path}
	}
	if t, ok := gt.trees[spec.Rev]; ok {
		return t, spec, nil // the whole tree holds every path
	}
	if t, ok := gt.trees[key]; ok {
		return t, spec, nil
	}
	t, err := gitrev.Read(ctx, ".", spec, paths...)
	if err != nil {
		if !strings.HasPrefix(err.Error(), gitrev.Prefix) {
			err = fmt.Errorf("%s: %w", source, err)
		}
		return nil, spec, err
	}
	if gt.trees == nil {
		gt.trees = map[string]*gitrev.Tree{}
	}
	gt.trees[key] = t
	return t, spec, nil
}

func (gt *gitTrees) remove() {
	for _, t := range gt.trees {
		_ = t.Remove()
	}
}

// Live reports whether a live cluster is read.
func (g *InputFlags) Live() bool { return g.Kubeconfig != "" || g.Context != "" }

// Profile is the --cni profile.
func (g *InputFlags) Profile() (simulate.Profile, error) {
	p, err := simulate.LookupProfile(g.CNI)
	if err != nil {
		return simulate.Profile{}, InputError(err)
	}
	return p, nil
}

// Engine loads the input (or the embedded scenario), reports warnings and ignored kinds on stderr, and
// compiles the engine. Input errors come back as exit code 2, after every problem was printed. Reading
// a live cluster stops when ctx is cancelled (Ctrl-C).
func (g *InputFlags) Engine(ctx context.Context, s Streams) (*simulate.Engine, error) {
	profile, err := g.Profile()
	if err != nil {
		return nil, err
	}
	opts := model.DefaultLoadOptions()
	opts.AcceptRemovedAPIs = g.AcceptRemovedAPIs
	for _, c := range []struct {
		flag, val string
		dst       *netip.Prefix
	}{{"--pod-cidr", g.PodCIDR, &opts.PodCIDR}, {"--node-cidr", g.NodeCIDR, &opts.NodeCIDR}, {"--service-cidr", g.ServiceCIDR, &opts.ServiceCIDR}} {
		p, err := netip.ParsePrefix(c.val)
		if err != nil {
			return nil, InputError(fmt.Errorf("%s %q: not a CIDR", c.flag, c.val))
		}
		*c.dst = p.Masked()
	}
	l := model.NewLoader(opts, s.In)
	progress := NewProgress(s)
	l.OnRead(progress.File)
	if g.Live() {
		if err := g.addLive(ctx, l, s); err != nil {
			return nil, err
		}
	}
	var gt gitTrees
	defer gt.remove()
	if err := g.addSources(ctx, l, &gt); err != nil {
		return nil, err
	}
	if len(g.Files) == 0 && !g.Live() && len(g.Kustomize) == 0 && g.Chart == "" {
		fmt.Fprintf(s.ErrOut, "using the embedded scenario %q (give -f to read your own manifests)\n", scenarios.Default)
		if err := scenarios.AddDefault(l); err != nil {
			return nil, err
		}
	}
	for _, f := range g.Files {
		if gitrev.Is(f) {
			t, spec, err := gt.read(ctx, f, true)
			if err != nil {
				l.AddError("", err)
				continue
			}
			local, err := filepath.Rel(t.Dir, t.Local(spec))
			if err != nil {
				return nil, err
			}
			if model.HoldsScenario(os.DirFS(t.Dir), filepath.ToSlash(local)) {
				// Its spec.include may name files anywhere in the revision: read the whole tree.
				if t, spec, err = gt.read(ctx, f, false); err != nil {
					l.AddError("", err)
					continue
				}
				if local, err = filepath.Rel(t.Dir, t.Local(spec)); err != nil {
					return nil, err
				}
			}
			display := f
			if spec.Path == "" || spec.Path == "." {
				display = gitrev.Prefix + spec.Rev + ":"
			}
			l.AddFS(os.DirFS(t.Dir), filepath.ToSlash(local), display)
			continue
		}
		if !sources.IsURL(f) {
			l.AddPath(f)
			continue
		}
		if data, err := sources.Fetch(ctx, f); err != nil {
			l.AddError(f, err)
		} else {
			l.AddBytes(f, data)
		}
	}
	cluster, err := l.Cluster()
	progress.Done()
	if len(cluster.Skipped) > 0 {
		fmt.Fprintf(s.ErrOut, "skipped %d file(s) that are not Kubernetes manifests:\n", len(cluster.Skipped))
		for _, sk := range cluster.Skipped {
			fmt.Fprintf(s.ErrOut, "  %s: %s\n", sk.File, sk.Reason)
		}
	}
	if len(cluster.Ignored) > 0 {
		fmt.Fprintln(s.ErrOut, ignoredSummary(cluster.Ignored))
	}
	if n := len(cluster.Unmodelled); n > 0 {
		fmt.Fprintf(s.ErrOut, "%d object(s) change reachability but are not modelled; every verdict they may affect carries a caveat (--strict: exit 2):\n", n)
		for i, u := range cluster.Unmodelled {
			if i == 5 {
				fmt.Fprintf(s.ErrOut, "  and %d more\n", n-i)
				break
			}
			fmt.Fprintf(s.ErrOut, "  %s (%s)\n", u.Key(), u.Source)
		}
	}
	probs, failed := err.(model.Problems)
	if !failed {
		probs = cluster.Warnings
	}
	for _, p := range probs { // errors and warnings together, in file:line order
		fmt.Fprintln(s.ErrOut, p.String())
	}
	if failed {
		return nil, &ExitError{Code: ExitInput, Err: fmt.Errorf("%d error(s) in the input", len(probs.Errors()))}
	} else if err != nil {
		return nil, InputError(err)
	}
	e := simulate.New(cluster, profile, g.ZoneLabel)
	for _, n := range e.Notes() {
		if g.notesShown[n] {
			continue
		}
		if g.notesShown != nil {
			g.notesShown[n] = true
		}
		fmt.Fprintln(s.ErrOut, "note: "+n)
	}
	return e, nil
}

// addLive reads the cluster of --kubeconfig/--context into the loader.
func (g *InputFlags) addLive(ctx context.Context, l *model.Loader, s Streams) error {
	cfg, name, err := live.Config(g.Kubeconfig, g.Context)
	if err != nil {
		return InputError(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	sum, err := live.Read(ctx, l, cfg, "cluster:"+name)
	if sum != nil {
		fmt.Fprintf(s.ErrOut, "read from context %s: %s\n", name, sum)
		for _, n := range sum.Notes {
			fmt.Fprintln(s.ErrOut, "note: "+n)
		}
	}
	if err != nil {
		return InputError(err)
	}
	return nil
}

func ignoredSummary(ignored map[string]int) string {
	total := 0
	for _, n := range ignored {
		total += n
	}
	return fmt.Sprintf("ignored %d object(s) of kinds zonesim does not model: %s", total, model.KindCounts(ignored))
}

// Args are the input flags as a command line gives them again (-f, -k, --chart with its values, the
// cluster, and the options that change verdicts when they were set), for the query commands that
// reproduce a verdict on the same input.
func (g *InputFlags) Args() []string {
	var args []string
	add := func(flag string, values ...string) {
		for _, v := range values {
			args = append(args, flag, v)
		}
	}
	add("-f", g.Files...)
	add("-k", g.Kustomize...)
	if g.Chart != "" {
		add("--chart", g.Chart)
		add("--values", g.Values...)
		add("--set", g.Set...)
		if g.Release != "" {
			add("--release", g.Release)
		}
		if ns := g.chartNamespace(); ns != "" {
			add("-n", ns)
		}
	}
	if g.Kubeconfig != "" {
		add("--kubeconfig", g.Kubeconfig)
	}
	if g.Context != "" {
		add("--context", g.Context)
	}
	if g.cmd != nil {
		for _, name := range []string{"cni", "zone-label", "pod-cidr", "node-cidr", "service-cidr"} {
			if f := g.cmd.Flags().Lookup(name); f != nil && f.Changed {
				add("--"+name, f.Value.String())
			}
		}
		if g.AcceptRemovedAPIs {
			args = append(args, "--accept-removed-apis")
		}
	}
	return args
}
