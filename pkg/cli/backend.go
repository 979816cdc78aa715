package cli

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/model"
)

// backendFlags choose the cluster that e2e and apply run on.
type backendFlags struct {
	backend, labName                  string
	kubeconfig, context, allowContext string
	image, kindCluster                string
	skipProtocols                     []string
	podTimeout                        time.Duration
}

const backendHelp = `Backends:
  lab       zonesim lab up: kube-router enforces NetworkPolicy; pods are network namespaces (default)
  existing  the cluster of --kubeconfig/--context: probe pods run --image (agnhost), probes are
            "kubectl exec ... /agnhost connect"; a context other than kind-* or zonesim-lab-* is
            refused unless --allow-context names it; --cni says which plugin enforces there
  kind      creates a kind cluster (sigs.k8s.io/e2e-framework; needs a Docker engine and the kind CLI,
            installed with go install when missing), runs as existing, deletes it (--keep: leaves it)`

func (f *backendFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.backend, "backend", "lab", "where to run: lab, existing, kind")
	fl.StringVar(&f.labName, "lab-name", "default", "lab backend: the lab to use (zonesim lab up --name)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "existing backend: kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&f.context, "context", "", "existing backend: kubeconfig context (default the current one)")
	fl.StringVar(&f.allowContext, "allow-context", "", "existing backend: allow this context although it is not kind-* or zonesim-lab-*")
	fl.StringVar(&f.image, "image", apply.DefaultImage, "existing and kind backends: probe pod image (agnhost porter and connect)")
	fl.StringVar(&f.kindCluster, "kind-name", "zonesim-e2e", "kind backend: the cluster to create and delete")
	fl.StringSliceVar(&f.skipProtocols, "skip-protocol", nil, "existing and kind backends: protocols the cluster cannot carry (e.g. SCTP); their cells are skipped")
	fl.DurationVar(&f.podTimeout, "pod-timeout", 5*time.Minute, "existing and kind backends: how long probe pods may take to run (image pulls)")
}

// open returns the backend and a function that releases it (the kind backend deletes its cluster unless
// keep). Errors are the user's to fix.
func (f *backendFlags) open(ctx context.Context, cni string, keep bool, log io.Writer) (apply.Backend, func() error, error) {
	nothing := func() error { return nil }
	existing := apply.ExistingOptions{Kubeconfig: f.kubeconfig, Context: f.context, AllowContext: f.allowContext,
		Image: f.image, CNI: cni, PodTimeout: f.podTimeout, Unsupported: map[model.Protocol]string{}}
	for _, p := range f.skipProtocols {
		p = strings.ToUpper(strings.TrimSpace(p))
		if p != "TCP" && p != "UDP" && p != "SCTP" {
			return nil, nothing, fmt.Errorf("--skip-protocol %q: want TCP, UDP or SCTP", p)
		}
		existing.Unsupported[model.Protocol(p)] = "skipped: --skip-protocol " + p
	}
	switch f.backend {
	case "lab":
		b, err := apply.NewLabBackend(f.labName)
		return b, nothing, err
	case "existing":
		b, err := apply.NewExistingBackend(existing)
		return b, nothing, err
	case "kind":
		if out, err := exec.CommandContext(ctx, "docker", "info").CombinedOutput(); err != nil {
			return nil, nothing, fmt.Errorf("--backend kind needs a running Docker engine, and this machine has none (docker info: %v: %s); use --backend lab",
				err, strings.TrimSpace(lastLine(string(out))))
		}
		b, release, err := apply.NewKindBackend(ctx, f.kindCluster, existing, log)
		if err != nil {
			return nil, nothing, err
		}
		if keep {
			release = nothing
		}
		return b, release, nil
	}
	return nil, nothing, fmt.Errorf("unknown --backend %q: use lab, existing or kind", f.backend)
}

// args are the flags that choose the same backend again, for commands printed to the user.
func (f *backendFlags) args() string {
	var b strings.Builder
	flag := func(name, value, def string) {
		if value != "" && value != def {
			fmt.Fprintf(&b, " --%s %s", name, value)
		}
	}
	flag("backend", f.backend, "lab")
	switch f.backend {
	case "lab":
		flag("lab-name", f.labName, "default")
	case "existing":
		flag("kubeconfig", f.kubeconfig, "")
		flag("context", f.context, "")
		flag("allow-context", f.allowContext, "")
	case "kind":
		flag("kind-name", f.kindCluster, "zonesim-e2e")
	}
	return b.String()
}
