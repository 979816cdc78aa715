package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/render"
)

func newRender(s Streams, g *globalFlags) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Write the manifests that implement a scenario's zone design (policies, routers, egress IPs, firewalls, quotas)",
		Long: `From a kind: Scenario, writes the objects that implement its zone design in seed 002's pattern:
zone labels (and node selectors when compute isolation is required) on the zones' namespaces; one
NetworkPolicy per zoned namespace admitting the same namespace, the same zone, the zone's own router
shard and the contract's zone pairs (outbound-only namespaces admit nothing and send only to DNS and
their endpoints); an IngressController per zone on its infra nodes and a default router that excludes
zoned namespaces; an EgressIP per zone from its range; EgressFirewall allowlists ending in deny-all;
zero quotas for other zones' storage classes.

Zoned namespaces are those listed under spec.zones[].namespaces and those the input labels with the
zone label. Load the result next to the scenario and run zonesim check: it is clean by construction.`,
		Example: `  zonesim render -f design.yaml > zone-objects.yaml
  zonesim render -f design.yaml -o rendered/ && zonesim check -f design.yaml -f rendered/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := g.engine(s)
			if err != nil {
				return err
			}
			files, err := render.Render(e.Cluster)
			if err != nil {
				return inputError(err)
			}
			if dir == "" || dir == "-" {
				var all []any
				for _, f := range files {
					all = append(all, f.Objects...)
				}
				b, err := render.YAML(all)
				if err != nil {
					return err
				}
				_, err = s.Out.Write(b)
				return err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return inputError(err)
			}
			for _, f := range files {
				b, err := render.YAML(f.Objects)
				if err != nil {
					return err
				}
				path := filepath.Join(dir, f.Name)
				if err := os.WriteFile(path, b, 0o644); err != nil {
					return inputError(err)
				}
				fmt.Fprintf(s.ErrOut, "wrote %s (%d objects)\n", path, len(f.Objects))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&dir, "output", "o", "", "directory to write one file per kind group into (default: all to stdout)")
	return cmd
}
