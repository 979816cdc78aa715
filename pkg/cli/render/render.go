// Package render is zonesim render: the objects that implement a scenario's zone design.
package render

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	zrender "github.com/zonesim/zonesim/pkg/render"
)

type flags struct {
	input                cmdutil.InputFlags
	outDir               string
	opts                 zrender.Options
	udnCIDR, connectCIDR string
	set                  func(name string) bool // the flags given
}

// NewCommand returns zonesim render.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
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
zone label. Load the result next to the scenario and run zonesim check: it is clean by construction.
The objects go to stdout as YAML, or with --out-dir one file per kind group.

--segmentation udn puts each zone on its own primary ClusterUserDefinedNetwork (a /16 of --udn-cidr;
docs/user-defined-networks.md): the namespaces get the primary-network label, each pair of zones a
contract flow joins gets a ClusterNetworkConnect for pods, and a zone admits the zones of its flows by an
ipBlock on their network (a namespaceSelector selects its own network only). The network keeps the other
zones out whatever NetworkPolicy says.`,
		Example: `  zonesim render -f design.yaml > zone-objects.yaml
  zonesim render -f design.yaml --out-dir rendered/ && zonesim check -f design.yaml -f rendered/
  zonesim render -f design.yaml --segmentation udn --out-dir rendered-udn/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.set = cmd.Flags().Changed
			return run(cmd.Context(), s, f)
		},
	}
	cmdutil.AddInputFlags(cmd, &f.input, cmdutil.Uses{})
	cmd.Flags().StringVar(&f.outDir, "out-dir", "", "directory to write one file per kind group into (default: all to stdout)")
	d := zrender.DefaultOptions()
	cmd.Flags().StringVar(&f.opts.Segmentation, "segmentation", d.Segmentation, "how zones are separated: policies (NetworkPolicies on one pod network) or udn (a primary ClusterUserDefinedNetwork per zone)")
	cmd.Flags().StringVar(&f.udnCIDR, "udn-cidr", d.UDNCIDR.String(), "with --segmentation udn: split into one /16 network per zone")
	cmd.Flags().StringVar(&f.connectCIDR, "connect-cidr", d.ConnectCIDR.String(), "with --segmentation udn: split into one /24 per pair of zones a ClusterNetworkConnect joins")
	_ = cmd.RegisterFlagCompletionFunc("segmentation", cmdutil.Fixed(zrender.SegmentationPolicies, zrender.SegmentationUDN))
	_ = cmd.MarkFlagDirname("out-dir")
	return cmd
}

func run(ctx context.Context, s cmdutil.Streams, f *flags) error {
	for _, c := range []struct {
		flag, val string
		dst       *netip.Prefix
	}{{"--udn-cidr", f.udnCIDR, &f.opts.UDNCIDR}, {"--connect-cidr", f.connectCIDR, &f.opts.ConnectCIDR}} {
		p, err := netip.ParsePrefix(c.val)
		if err != nil {
			return cmdutil.InputError(fmt.Errorf("%s %q: not a CIDR", c.flag, c.val))
		}
		*c.dst = p
	}
	if err := f.opts.Check(); err != nil {
		return cmdutil.InputError(err)
	}
	if f.opts.Segmentation != zrender.SegmentationUDN && (f.set("udn-cidr") || f.set("connect-cidr")) {
		return cmdutil.InputError(fmt.Errorf("--udn-cidr and --connect-cidr go with --segmentation udn"))
	}
	e, err := f.input.Engine(ctx, s)
	if err != nil {
		return err
	}
	files, err := zrender.Render(e.Cluster, f.opts)
	if err != nil {
		return cmdutil.InputError(err)
	}
	if f.outDir == "" || f.outDir == "-" {
		var all []any
		for _, file := range files {
			all = append(all, file.Objects...)
		}
		b, err := zrender.YAML(all)
		if err != nil {
			return err
		}
		_, err = s.Out.Write(b)
		return err
	}
	if err := os.MkdirAll(f.outDir, 0o755); err != nil {
		return cmdutil.InputError(err)
	}
	for _, file := range files {
		b, err := zrender.YAML(file.Objects)
		if err != nil {
			return err
		}
		path := filepath.Join(f.outDir, file.Name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return cmdutil.InputError(err)
		}
		fmt.Fprintf(s.ErrOut, "wrote %s (%d objects)\n", path, len(file.Objects))
	}
	return nil
}
