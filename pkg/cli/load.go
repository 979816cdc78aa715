package cli

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
	"github.com/zonesim/zonesim/scenarios"
	"k8s.io/client-go/tools/clientcmd"
)

// globalFlags are the input flags every command that reads a cluster shares.
type globalFlags struct {
	files       []string
	cni         string
	zoneLabel   string
	podCIDR     string
	nodeCIDR    string
	serviceCIDR string
	// kubeconfig and kubeContext read the objects from a live cluster (read-only) instead of, or besides,
	// files.
	kubeconfig, kubeContext string
}

func (g *globalFlags) register(root *cobra.Command) {
	d := model.DefaultLoadOptions()
	f := root.PersistentFlags()
	f.StringArrayVarP(&g.files, "filename", "f", nil, "manifest file, directory (recursive: .yaml .yml .json) or - for stdin; repeatable")
	f.StringVar(&g.cni, "cni", simulate.DefaultProfile, "network plugin profile for implementation-defined cases: "+strings.Join(simulate.ProfileNames(), ", "))
	f.StringVar(&g.zoneLabel, "zone-label", model.DefaultZoneLabel, "namespace label that names a network zone")
	f.StringVar(&g.podCIDR, "pod-cidr", d.PodCIDR.String(), "pod network for pods without status.podIP")
	f.StringVar(&g.nodeCIDR, "node-cidr", d.NodeCIDR.String(), "node network for nodes without an InternalIP")
	f.StringVar(&g.serviceCIDR, "service-cidr", d.ServiceCIDR.String(), "service network for services without a clusterIP")
	f.StringVar(&g.kubeconfig, "kubeconfig", "", "read the objects from the cluster of this kubeconfig (read-only; with -f, both)")
	f.StringVar(&g.kubeContext, "context", "", "read the objects from this kubeconfig context (read-only; with -f, both)")
	_ = root.RegisterFlagCompletionFunc("cni", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return simulate.ProfileNames(), cobra.ShellCompDirectiveNoFileComp
	})
}

// engine loads the input (or the embedded scenario), reports warnings and ignored kinds on stderr, and
// compiles the engine. Input errors come back as exit code 2, after every problem was printed.
func (g *globalFlags) engine(s Streams) (*simulate.Engine, error) {
	profile, err := simulate.LookupProfile(g.cni)
	if err != nil {
		return nil, inputError(err)
	}
	opts := model.DefaultLoadOptions()
	for _, c := range []struct {
		flag, val string
		dst       *netip.Prefix
	}{{"--pod-cidr", g.podCIDR, &opts.PodCIDR}, {"--node-cidr", g.nodeCIDR, &opts.NodeCIDR}, {"--service-cidr", g.serviceCIDR, &opts.ServiceCIDR}} {
		p, err := netip.ParsePrefix(c.val)
		if err != nil {
			return nil, inputError(fmt.Errorf("%s %q: not a CIDR", c.flag, c.val))
		}
		*c.dst = p.Masked()
	}
	l := model.NewLoader(opts, s.In)
	live := g.kubeconfig != "" || g.kubeContext != ""
	if live {
		if err := g.addLive(l, s); err != nil {
			return nil, err
		}
	}
	if len(g.files) == 0 && !live {
		fmt.Fprintf(s.ErrOut, "using the embedded scenario %q (give -f to read your own manifests)\n", scenarios.Default)
		if err := scenarios.AddDefault(l); err != nil {
			return nil, err
		}
	}
	for _, f := range g.files {
		l.AddPath(f)
	}
	cluster, err := l.Cluster()
	if len(cluster.Ignored) > 0 {
		fmt.Fprintln(s.ErrOut, ignoredSummary(cluster.Ignored))
	}
	probs, failed := err.(model.Problems)
	if !failed {
		probs = cluster.Warnings
	}
	for _, p := range probs { // errors and warnings together, in file:line order
		fmt.Fprintln(s.ErrOut, p.String())
	}
	if failed {
		return nil, &exitError{code: ExitInput, err: fmt.Errorf("%d error(s) in the input", len(probs.Errors()))}
	} else if err != nil {
		return nil, inputError(err)
	}
	e := simulate.New(cluster, profile, g.zoneLabel)
	for _, n := range e.Notes() {
		fmt.Fprintln(s.ErrOut, "note: "+n)
	}
	return e, nil
}

// addLive reads the cluster of --kubeconfig/--context into the loader.
func (g *globalFlags) addLive(l *model.Loader, s Streams) error {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = g.kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: g.kubeContext})
	raw, err := cc.RawConfig()
	if err != nil {
		return inputError(fmt.Errorf("kubeconfig: %w", err))
	}
	name := g.kubeContext
	if name == "" {
		name = raw.CurrentContext
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return inputError(fmt.Errorf("kubeconfig: %w", err))
	}
	cfg.QPS, cfg.Burst = 50, 100
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sum, err := l.AddCluster(ctx, cfg, "cluster:"+name)
	if sum != nil {
		fmt.Fprintf(s.ErrOut, "read from context %s: %s\n", name, sum.Summary())
		for _, n := range sum.Notes {
			fmt.Fprintln(s.ErrOut, "note: "+n)
		}
	}
	if err != nil {
		return inputError(err)
	}
	return nil
}

func ignoredSummary(ignored map[string]int) string {
	kinds := make([]string, 0, len(ignored))
	total := 0
	for k, n := range ignored {
		kinds = append(kinds, k)
		total += n
	}
	sort.Strings(kinds)
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", ignored[k], k))
	}
	return fmt.Sprintf("ignored %d object(s) of kinds zonesim does not model: %s", total, strings.Join(parts, ", "))
}
