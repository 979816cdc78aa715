package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/apply"
)

func newApply(s Streams, g *globalFlags) *cobra.Command {
	var (
		bf     backendFlags
		delRun string
	)
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Put the configuration on a cluster with probe pods, and leave it there to explore",
		Long: `Creates what zonesim e2e creates (probe namespaces zs-<run>-<namespace>, one probe pod per pod of the
model, the NetworkPolicies with namespace-name selectors following the renaming) and leaves it running,
so you can look at it with kubectl and probe by hand. It prints the run and the command that removes it:
--delete RUN deletes the namespaces labelled zonesim.dev/run=RUN, their pods and policies, and nothing
else.

` + backendHelp,
		Example: `  zonesim lab up && zonesim apply -f scenarios/three-tier/scenario.yaml
  zonesim apply --delete 3f9a1c
  zonesim apply --backend existing --context kind-netpol`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			b, release, err := bf.open(c.Context(), g.cni, true, s.ErrOut)
			if err != nil {
				return inputError(err)
			}
			defer func() { _ = release() }()
			if delRun != "" {
				names, err := apply.Delete(c.Context(), b, delRun)
				if err != nil {
					return inputError(err)
				}
				fmt.Fprintf(s.Out, "run %s deleted from %s: %s\n", delRun, b.Name(), strings.Join(names, ", "))
				return nil
			}
			e, err := g.engine(s)
			if err != nil {
				return err
			}
			sess, err := apply.Start(c.Context(), b, e.Cluster, apply.Options{Keep: true, Log: s.ErrOut})
			if err != nil {
				if sess != nil {
					if _, derr := apply.Delete(c.Context(), b, sess.Plan().RunID); derr != nil {
						err = errors.Join(err, fmt.Errorf("cleanup: %w", derr))
					}
				}
				return inputError(err)
			}
			p := sess.Plan()
			fmt.Fprintf(s.Out, "run %s applied to %s\n\n", p.RunID, b.Name())
			tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "POD\tPROBE POD\tIP")
			for _, pod := range p.Pods {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", pod.Original, pod.Key(), pod.IP)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "\n%d namespace(s), %d pod(s), %d NetworkPolicy(ies); probe ports %v\n", len(p.Namespaces), len(p.Pods), len(p.Policies), p.Ports)
			if zb, ok := b.(apply.ZoneBackend); ok && zb.ZonesRun() == p.RunID {
				for _, x := range p.Externals {
					fmt.Fprintf(s.Out, "external endpoint %s at %s, ports %v, behind the scenario's egress SNAT, firewalls and perimeter\n", x.Name, x.IP, x.Ports)
				}
			}
			for _, sk := range p.Skipped {
				fmt.Fprintf(s.Out, "not applied: %s\n", sk)
			}
			if len(p.Pods) > 0 && len(p.Ports) > 0 {
				from, to := p.Pods[0], p.Pods[len(p.Pods)-1]
				fmt.Fprintf(s.Out, "probe by hand:  %s\n", b.ProbeCommand(from, p.Ports[0].Protocol, fmt.Sprintf("%s:%d", to.IP, p.Ports[0].Port)))
			}
			fmt.Fprintf(s.Out, "remove it with: zonesim apply --delete %s%s\n", p.RunID, bf.args())
			return nil
		},
	}
	bf.register(cmd)
	cmd.Flags().StringVar(&delRun, "delete", "", "delete the run RUN (what an earlier apply or e2e --keep left)")
	return cmd
}
