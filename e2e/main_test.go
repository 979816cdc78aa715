//go:build e2e

// Package e2e checks zonesim's predictions against real enforcement: it brings up the local lab (or uses a
// running lab named by ZONESIM_LAB, or the cluster of --kubeconfig/--context through the existing
// backend), applies scenarios and the upstream NetworkPolicy cases, probes every cell with real traffic,
// and requires prediction and observation to agree. Run it with `make e2e` (root).
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/lab"
	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
)

var (
	testenv env.Environment
	labName = "e2e"
	// existing is set when the suite runs on a cluster of --kubeconfig/--context instead of a lab.
	existing *apply.ExistingOptions
)

func TestMain(m *testing.M) {
	cfg, err := envconf.NewFromFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if os.Getenv("ZONESIM_E2E_BACKEND") == "kind" {
		os.Exit(onKind(m, cfg))
	}
	if cfg.KubeconfigFile() != "" {
		// An existing cluster (kind, OpenShift, ...): probe pods from an agnhost image, probes by exec.
		existing = &apply.ExistingOptions{Kubeconfig: cfg.KubeconfigFile(), Context: cfg.KubeContext(),
			AllowContext: os.Getenv("ZONESIM_E2E_ALLOW_CONTEXT"), Image: os.Getenv("ZONESIM_E2E_IMAGE"), CNI: os.Getenv("ZONESIM_E2E_CNI")}
		if _, err := apply.NewExistingBackend(context.Background(), *existing); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		testenv = env.NewWithConfig(cfg)
		os.Exit(testenv.Run(m))
	}
	testenv = env.NewWithConfig(cfg)
	bin, err := buildZonesim()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Setenv("ZONESIM_BIN", bin) // the lab's pods run `zonesim lab agent`, probes `zonesim lab connect`
	own := os.Getenv("ZONESIM_LAB") == ""
	if !own {
		labName = os.Getenv("ZONESIM_LAB")
	}
	testenv.Setup(func(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
		if !own {
			st, err := lab.Load(labName)
			if err != nil {
				return ctx, err
			}
			cfg.WithKubeconfigFile(st.Kubeconfig)
			return ctx, nil
		}
		st, err := lab.Up(ctx, labName, os.Stderr)
		if err != nil {
			return ctx, fmt.Errorf("lab up: %w", err)
		}
		cfg.WithKubeconfigFile(st.Kubeconfig)
		return ctx, nil
	})
	testenv.Finish(func(ctx context.Context, _ *envconf.Config) (context.Context, error) {
		if own {
			return ctx, lab.Down(ctx, labName, os.Stderr)
		}
		return ctx, nil
	})
	code := testenv.Run(m)
	os.RemoveAll(filepath.Dir(bin)) // the zonesim built for the lab's pods
	os.Exit(code)
}

// onKind runs the suite on a kind cluster it creates (and deletes afterwards): ZONESIM_E2E_KIND_NAME
// (default zonesim-e2e), the node image of ZONESIM_E2E_KIND_IMAGE (default kind's own), the image archives
// of ZONESIM_E2E_KIND_LOAD (comma-separated) loaded into its nodes, every test through the existing
// backend. make e2e-kind runs it.
func onKind(m *testing.M, cfg *envconf.Config) int {
	ko := apply.KindOptions{Name: "zonesim-e2e", Image: os.Getenv("ZONESIM_E2E_KIND_IMAGE"), Workers: 1}
	if n := os.Getenv("ZONESIM_E2E_KIND_NAME"); n != "" {
		ko.Name = n
	}
	if l := os.Getenv("ZONESIM_E2E_KIND_LOAD"); l != "" {
		ko.Load = strings.Split(l, ",")
	}
	b, release, err := apply.NewKindBackend(context.Background(), ko, apply.ExistingOptions{CNI: os.Getenv("ZONESIM_E2E_CNI")}, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer func() {
		if err := release(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	opts := b.Options()
	existing = &opts
	cfg.WithKubeconfigFile(opts.Kubeconfig)
	testenv = env.NewWithConfig(cfg)
	return testenv.Run(m)
}

// buildZonesim builds the binary the lab runs inside pod network namespaces.
func buildZonesim() (string, error) {
	dir, err := os.MkdirTemp("", "zonesim-e2e-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "zonesim")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/zonesim")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build zonesim: %w", err)
	}
	return bin, nil
}
