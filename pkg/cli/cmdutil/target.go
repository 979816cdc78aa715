package cmdutil

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/model"
)

// TargetFlags choose the cluster that e2e, apply and probe act on: they create namespaces, pods and policies
// there. They are distinct from the input flags, which only read: --target-kubeconfig/--target-context
// name the cluster to act on; without them, a cluster read with --kubeconfig/--context is also the one
// acted on (with a note), and otherwise the lab is.
type TargetFlags struct {
	Backend, LabName                              string
	TargetKubeconfig, TargetContext, AllowContext string
	Image                                         string
	Kind                                          apply.KindOptions
	SkipProtocols                                 []string
	PodTimeout                                    time.Duration

	read *InputFlags
	cmd  *cobra.Command
}

// TargetHelp describes the backends, for the commands' long help.
const TargetHelp = `Backends (--backend):
  lab       zonesim lab up: kube-router enforces NetworkPolicy; pods are network namespaces (the
            default, unless a cluster is named)
  existing  the cluster of --target-kubeconfig/--target-context (the default when they are given; when
            only --kubeconfig/--context are, the cluster read is the one acted on): probe pods run
            --image (agnhost), probes are "kubectl exec ... /agnhost connect"; a context other than
            kind-* or zonesim-lab-* is refused unless --allow-context names it; --cni says which plugin
            enforces there
  kind      creates a kind cluster (sigs.k8s.io/e2e-framework; the kind CLI is installed with go install
            when missing) with docker or podman (--kind-provider; the first whose engine answers), a
            control plane and --kind-workers workers, loads --kind-load image archives into its nodes,
            and runs as existing; e2e deletes it afterwards (unless --keep), apply leaves it. Without
            a registry, build a node image and the probe image first: make kind-image (hack/kindnode)`

// AddTargetFlags adds the target flags to a command that also has the input flags read.
func AddTargetFlags(cmd *cobra.Command, f *TargetFlags, read *InputFlags) {
	f.read, f.cmd = read, cmd
	fl := cmd.Flags()
	fl.StringVar(&f.Backend, "backend", "lab", "where to act: lab, existing or kind (existing when a cluster is named)")
	fl.StringVar(&f.LabName, "lab-name", "default", "lab backend: the lab to use (zonesim lab up --name)")
	fl.StringVar(&f.TargetKubeconfig, "target-kubeconfig", "", "existing backend: kubeconfig of the cluster to act on (default --kubeconfig, $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&f.TargetContext, "target-context", "", "existing backend: context of the cluster to act on (default --context, or the current one)")
	fl.StringVar(&f.AllowContext, "allow-context", "", "existing backend: allow this context although it is not kind-* or zonesim-lab-*")
	fl.StringVar(&f.Image, "image", apply.DefaultImage, "existing and kind backends: probe pod image (agnhost porter and connect)")
	fl.StringVar(&f.Kind.Name, "kind-name", "zonesim-e2e", "kind backend: the cluster to create and delete")
	fl.StringVar(&f.Kind.Image, "kind-image", "", "kind backend: the node image (default: kind's own, which is pulled)")
	fl.StringVar(&f.Kind.Provider, "kind-provider", "", "kind backend: docker or podman (default: the first whose engine answers)")
	fl.IntVar(&f.Kind.Workers, "kind-workers", 1, "kind backend: worker nodes beside the control plane")
	fl.StringSliceVar(&f.Kind.Load, "kind-load", nil, "kind backend: image archives to load into the nodes (kind load image-archive), e.g. the probe image")
	fl.StringSliceVar(&f.SkipProtocols, "skip-protocol", nil, "existing and kind backends: protocols the cluster cannot carry (e.g. SCTP): not served, not probed")
	fl.DurationVar(&f.PodTimeout, "pod-timeout", 5*time.Minute, "existing and kind backends: how long probe pods may take to run (image pulls)")
	_ = cmd.RegisterFlagCompletionFunc("backend", Fixed("lab", "existing", "kind"))
	_ = cmd.RegisterFlagCompletionFunc("kind-provider", Fixed("docker", "podman"))
}

// resolve picks the backend and the cluster to act on from what was given.
func (f *TargetFlags) resolve(log io.Writer) error {
	targeted := f.TargetKubeconfig != "" || f.TargetContext != ""
	if !f.cmd.Flags().Changed("backend") && (targeted || f.read.Live()) {
		f.Backend = "existing"
	}
	if targeted && f.Backend != "existing" {
		return fmt.Errorf("--target-kubeconfig/--target-context name the cluster of --backend existing, not of --backend %s", f.Backend)
	}
	if f.Backend != "kind" {
		for _, name := range []string{"kind-name", "kind-image", "kind-provider", "kind-workers", "kind-load"} {
			if f.cmd.Flags().Changed(name) {
				return fmt.Errorf("--%s is a flag of --backend kind, and the backend is %s", name, f.Backend)
			}
		}
	}
	if f.Backend == "existing" && !targeted && f.read.Live() {
		f.TargetKubeconfig, f.TargetContext = f.read.Kubeconfig, f.read.Context
		fmt.Fprintf(log, "note: acting on the cluster that is read (%s); give --target-context to act on another\n", describe(f.read.Kubeconfig, f.read.Context))
	}
	return nil
}

func describe(kubeconfig, context string) string {
	var parts []string
	if context != "" {
		parts = append(parts, "context "+context)
	}
	if kubeconfig != "" {
		parts = append(parts, "kubeconfig "+kubeconfig)
	}
	return strings.Join(parts, ", ")
}

// Open returns the backend and a function that releases it (the kind backend deletes its cluster unless
// keep). Errors are the user's to fix. Connecting stops when ctx is cancelled.
func (f *TargetFlags) Open(ctx context.Context, cni string, keep bool, log io.Writer) (apply.Backend, func() error, error) {
	nothing := func() error { return nil }
	if err := f.resolve(log); err != nil {
		return nil, nothing, err
	}
	existing := apply.ExistingOptions{Kubeconfig: f.TargetKubeconfig, Context: f.TargetContext, AllowContext: f.AllowContext,
		Image: f.Image, CNI: cni, PodTimeout: f.PodTimeout, Unsupported: map[model.Protocol]string{}}
	for _, p := range f.SkipProtocols {
		p = strings.ToUpper(strings.TrimSpace(p))
		if p != "TCP" && p != "UDP" && p != "SCTP" {
			return nil, nothing, fmt.Errorf("--skip-protocol %q: want TCP, UDP or SCTP", p)
		}
		existing.Unsupported[model.Protocol(p)] = "skipped: --skip-protocol " + p
	}
	switch f.Backend {
	case "lab":
		b, err := apply.NewLabBackend(f.LabName)
		return b, nothing, err
	case "existing":
		b, err := apply.NewExistingBackend(ctx, existing)
		return b, nothing, err
	case "kind":
		if f.Kind.Workers < 0 {
			return nil, nothing, fmt.Errorf("--kind-workers %d: want 0 or more", f.Kind.Workers)
		}
		b, release, err := apply.NewKindBackend(ctx, f.Kind, existing, log)
		if err != nil {
			return nil, nothing, err
		}
		if keep {
			release = nothing
		}
		return b, release, nil
	}
	return nil, nothing, fmt.Errorf("unknown --backend %q: use lab, existing or kind", f.Backend)
}

// Args are the flags that choose the same backend again, for commands printed to the user.
func (f *TargetFlags) Args() string {
	var b strings.Builder
	flag := func(name, value, def string) {
		if value != "" && value != def {
			fmt.Fprintf(&b, " --%s %s", name, value)
		}
	}
	flag("backend", f.Backend, "lab")
	switch f.Backend {
	case "lab":
		flag("lab-name", f.LabName, "default")
	case "existing":
		flag("target-kubeconfig", f.TargetKubeconfig, "")
		flag("target-context", f.TargetContext, "")
		flag("allow-context", f.AllowContext, "")
	case "kind":
		flag("kind-name", f.Kind.Name, "zonesim-e2e")
	}
	return b.String()
}
