package cli

import (
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/lab"
)

func newLab(s Streams) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run a local cluster without Docker: etcd, kube-apiserver, kube-router, pods as network namespaces",
		Long: `A real API server and a real NetworkPolicy enforcer on this machine, for zonesim e2e where Docker (and so
kind) is not available. Needs root, iproute2, iptables and ipset, and etcd (Debian: etcd-server).
kube-apiserver ` + lab.KubernetesVersion + ` and kube-router ` + lab.KubeRouterVersion + ` are built from the Go module proxy
once and cached in ` + lab.CacheDir() + `/bin (set ZONESIM_CACHE to move it).`,
		Example: `  zonesim lab up && kubectl --kubeconfig ~/.cache/zonesim/lab/default/kubeconfig get nodes
  zonesim lab status
  zonesim lab down`,
	}
	cmd.PersistentFlags().StringVar(&name, "name", "default", "lab name (one state directory and kubeconfig per name)")
	cmd.AddCommand(
		&cobra.Command{
			Use: "up", Short: "Start the lab and write its kubeconfig", Args: cobra.NoArgs,
			Example: "  zonesim lab up --name ci",
			RunE: func(c *cobra.Command, _ []string) error {
				st, err := lab.Up(c.Context(), name, s.ErrOut)
				if err != nil {
					return inputError(err)
				}
				fmt.Fprintf(s.Out, "lab %s is up: node %s, kubeconfig %s (context %s)\n", name, st.Node, st.Kubeconfig, lab.ContextName(name))
				return nil
			},
		},
		&cobra.Command{
			Use: "down", Short: "Stop the lab and remove every process, namespace, veth, rule and file it made", Args: cobra.NoArgs,
			Example: "  zonesim lab down --name ci",
			RunE: func(c *cobra.Command, _ []string) error {
				if err := lab.Down(c.Context(), name, s.ErrOut); err != nil {
					return inputError(err)
				}
				fmt.Fprintf(s.Out, "lab %s is down\n", name)
				return nil
			},
		},
		&cobra.Command{
			Use: "status", Short: "Show the lab's processes and pods", Args: cobra.NoArgs,
			Example: "  zonesim lab status",
			RunE: func(*cobra.Command, []string) error {
				st, err := lab.Load(name)
				if err != nil {
					return &exitError{code: ExitDenied, err: err}
				}
				alive := st.Alive()
				names := make([]string, 0, len(alive))
				for n := range alive {
					names = append(names, n)
				}
				sort.Strings(names)
				fmt.Fprintf(s.Out, "lab %s: kubeconfig %s, node %s (%s)\n", name, st.Kubeconfig, st.Node, st.NodeIP)
				down := 0
				for _, n := range names {
					state := "running"
					if !alive[n] {
						state, down = "NOT RUNNING", down+1
					}
					fmt.Fprintf(s.Out, "  %-15s pid %-8d %s\n", n, st.Processes[n], state)
				}
				fmt.Fprintf(s.Out, "  %d pod(s) run by the lab backend, %d by the node agent\n", len(st.Pods), len(st.KubeletPods()))
				if down > 0 {
					return &exitError{code: ExitDenied, err: fmt.Errorf("%d lab process(es) not running", down), silent: true}
				}
				return nil
			},
		},
		newLabAgent(), newLabConnect(s),
		&cobra.Command{
			Use: "kubelet", Hidden: true, Short: "Run the lab's node agent (binds, runs and execs pods); lab up starts it", Args: cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGTERM, os.Interrupt)
				defer stop()
				return lab.RunKubelet(ctx, name, s.ErrOut)
			},
		},
	)
	return cmd
}

func ports(csv string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(csv, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("bad port %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func newLabAgent() *cobra.Command {
	var tcp, udp, capture, iface string
	cmd := &cobra.Command{
		Use: "agent", Hidden: true, Short: "Serve TCP and UDP ports inside a lab pod's network namespace", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			t, err := ports(tcp)
			if err != nil {
				return inputError(err)
			}
			u, err := ports(udp)
			if err != nil {
				return inputError(err)
			}
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGTERM)
			defer stop()
			if capture != "" {
				go func() {
					if err := lab.Capture(ctx, iface, capture); err != nil {
						fmt.Fprintln(c.ErrOrStderr(), err)
					}
				}()
			}
			return lab.Serve(ctx, t, u)
		},
	}
	cmd.Flags().StringVar(&tcp, "tcp", "", "TCP ports, comma-separated")
	cmd.Flags().StringVar(&udp, "udp", "", "UDP ports, comma-separated")
	cmd.Flags().StringVar(&capture, "capture", "", "write a pcap of every packet on --iface to this file")
	cmd.Flags().StringVar(&iface, "iface", "eth0", "interface to capture on")
	return cmd
}

func newLabConnect(s Streams) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use: "connect tcp|udp IP:PORT", Hidden: true, Short: "Open one connection from the current network namespace",
		Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			ok, err := lab.Connect(args[0], args[1], timeout)
			if err != nil {
				return inputError(err)
			}
			if !ok {
				fmt.Fprintf(s.Out, "no answer from %s %s within %s\n", args[0], args[1], timeout)
				return &exitError{code: ExitDenied, silent: true}
			}
			fmt.Fprintf(s.Out, "connected to %s %s\n", args[0], args[1])
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", time.Second, "how long to wait for an answer")
	return cmd
}
