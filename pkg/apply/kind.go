package apply

import (
	"context"
	"fmt"
	"io"
	"os/exec"

	"sigs.k8s.io/e2e-framework/support/kind"
)

// KindVersion is the kind release e2e-framework installs (go install) when no kind CLI is found.
const KindVersion = "v0.33.0"

// NewKindBackend creates a kind cluster through sigs.k8s.io/e2e-framework and returns the existing backend
// on it and a function that deletes the cluster again. A cluster of that name that was there before is
// used and never deleted. It needs a Docker engine (the caller checks for one).
func NewKindBackend(ctx context.Context, name string, opts ExistingOptions, log io.Writer) (*ExistingBackend, func() error, error) {
	existed := exec.CommandContext(ctx, "docker", "inspect", name+"-control-plane").Run() == nil
	cluster := kind.NewCluster(name)
	cluster.WithVersion(KindVersion)
	if existed {
		fmt.Fprintf(log, "using the kind cluster %s that is already there (it is not deleted afterwards)\n", name)
	} else {
		fmt.Fprintf(log, "creating the kind cluster %s (kind %s; a few minutes)\n", name, KindVersion)
	}
	kubeconfig, err := cluster.Create(ctx)
	release := func() error {
		if existed {
			return nil
		}
		fmt.Fprintf(log, "deleting the kind cluster %s\n", name)
		return cluster.Destroy(context.WithoutCancel(ctx))
	}
	if err != nil {
		return nil, func() error { return nil }, fmt.Errorf("kind: %w (cleanup: %v)", err, release())
	}
	opts.Kubeconfig, opts.Context = kubeconfig, cluster.GetKubectlContext()
	b, err := NewExistingBackend(ctx, opts)
	if err != nil {
		return nil, func() error { return nil }, fmt.Errorf("%w (cleanup: %v)", err, release())
	}
	return b, release, nil
}
