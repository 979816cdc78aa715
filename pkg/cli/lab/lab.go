// Package lab is zonesim lab: a local cluster without Docker, and the hidden helpers it runs.
package lab

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	zlab "github.com/zonesim/zonesim/pkg/lab"
	zprobe "github.com/zonesim/zonesim/pkg/probe"
)

type flags struct {
	name string
}

// NewCommand returns zonesim lab.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run a local cluster without Docker: etcd, kube-apiserver, kube-router, pods as network namespaces",
		Long: `A real API server and a real NetworkPolicy enforcer on this machine, for zonesim e2e where Docker (and so
kind) is not available. Needs root, iproute2, iptables and ipset, and etcd (Debian: etcd-server).
kube-apiserver ` + zlab.KubernetesVersion + ` and kube-router ` + zlab.KubeRouterVersion + ` are built from the Go module proxy
once and cached in ` + zlab.CacheDir() + `/bin (set ZONESIM_CACHE to move it).`,
		Example: `  zonesim lab up && kubectl --kubeconfig ~/.cache/zonesim/lab/default/kubeconfig get nodes
  zonesim lab status
  zonesim lab down`,
		Args: cobra.NoArgs, // an unknown subcommand is an error, not the help
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	cmd.PersistentFlags().StringVar(&f.name, "name", "default", "lab name (one state directory and kubeconfig per name)")
	cmd.AddCommand(
		&cobra.Command{
			Use: "up", Short: "Start the lab and write its kubeconfig", Args: cobra.NoArgs,
			Example: "  zonesim lab up --name ci",
			RunE:    func(c *cobra.Command, _ []string) error { return runUp(c.Context(), s, f) },
		},
		&cobra.Command{
			Use: "down", Short: "Stop the lab and remove every process, namespace, veth, rule and file it made", Args: cobra.NoArgs,
			Example: "  zonesim lab down --name ci",
			RunE:    func(c *cobra.Command, _ []string) error { return runDown(c.Context(), s, f) },
		},
		&cobra.Command{
			Use: "status", Short: "Show the lab's processes and pods", Args: cobra.NoArgs,
			Example: "  zonesim lab status",
			RunE:    func(c *cobra.Command, _ []string) error { return runStatus(c.Context(), s, f) },
		},
		newLabAgent(), newLabConnect(s), newLabDNS(),
		&cobra.Command{
			Use: "kubelet", Hidden: true, Short: "Run the lab's node agent (binds, runs and execs pods); lab up starts it", Args: cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGTERM, os.Interrupt)
				defer stop()
				return zlab.RunKubelet(ctx, f.name, s.ErrOut)
			},
		},
	)
	return cmd
}

func runUp(ctx context.Context, s cmdutil.Streams, f *flags) error {
	st, err := zlab.Up(ctx, f.name, s.ErrOut)
	if err != nil {
		return cmdutil.InputError(err)
	}
	fmt.Fprintf(s.Out, "lab %s is up: node %s, kubeconfig %s (context %s)\n", f.name, st.Node, st.Kubeconfig, zlab.ContextName(f.name))
	return nil
}

func runDown(ctx context.Context, s cmdutil.Streams, f *flags) error {
	if err := zlab.Down(ctx, f.name, s.ErrOut); err != nil {
		return cmdutil.InputError(err)
	}
	fmt.Fprintf(s.Out, "lab %s is down\n", f.name)
	return nil
}

func runStatus(_ context.Context, s cmdutil.Streams, f *flags) error {
	st, err := zlab.Load(f.name)
	if err != nil {
		return cmdutil.Denied(err, false)
	}
	alive := st.Alive()
	names := make([]string, 0, len(alive))
	for n := range alive {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(s.Out, "lab %s: kubeconfig %s, node %s (%s)\n", f.name, st.Kubeconfig, st.Node, st.NodeIP)
	down := 0
	for _, n := range names {
		state := "running"
		if !alive[n] {
			state, down = "NOT RUNNING", down+1
		}
		fmt.Fprintf(s.Out, "  %-15s pid %-8d %s\n", n, st.Processes[n], state)
	}
	fmt.Fprintf(s.Out, "  %d pod(s) run by the lab backend, %d by the node agent\n", len(st.Pods), len(st.KubeletPods()))
	if len(st.Externals) > 0 {
		names := make([]string, len(st.Externals))
		for i, x := range st.Externals {
			names[i] = x.Name + " " + x.IP
		}
		fmt.Fprintf(s.Out, "  run %s: %d external endpoint(s) (%s); name server %s\n", st.ZonesRun, len(st.Externals), strings.Join(names, ", "), zlab.DNSAddr)
	}
	if down > 0 {
		return cmdutil.Denied(fmt.Errorf("%d lab process(es) not running", down), true)
	}
	return nil
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
	var tcp, udp, tlsPorts, certFile, keyFile, capture, iface string
	cmd := &cobra.Command{
		Use: "agent", Hidden: true, Short: "Serve TCP and UDP ports inside a lab pod's network namespace", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			t, err := ports(tcp)
			if err != nil {
				return cmdutil.InputError(err)
			}
			u, err := ports(udp)
			if err != nil {
				return cmdutil.InputError(err)
			}
			tp, err := ports(tlsPorts)
			if err != nil {
				return cmdutil.InputError(err)
			}
			var cert *tls.Certificate
			if certFile != "" {
				kp, err := tls.LoadX509KeyPair(certFile, keyFile)
				if err != nil {
					return cmdutil.InputError(err)
				}
				cert = &kp
			}
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGTERM)
			defer stop()
			if capture != "" {
				go func() {
					if err := zlab.Capture(ctx, iface, capture); err != nil {
						fmt.Fprintln(c.ErrOrStderr(), err)
					}
				}()
			}
			return zlab.Serve(ctx, t, u, tp, cert)
		},
	}
	cmd.Flags().StringVar(&tcp, "tcp", "", "TCP ports, comma-separated")
	cmd.Flags().StringVar(&udp, "udp", "", "UDP ports, comma-separated")
	cmd.Flags().StringVar(&tlsPorts, "tls", "", "of the TCP ports, those that complete a TLS handshake first (comma-separated)")
	cmd.Flags().StringVar(&certFile, "cert", "", "PEM certificate the TLS ports serve")
	cmd.Flags().StringVar(&keyFile, "key", "", "PEM key of --cert")
	cmd.Flags().StringVar(&capture, "capture", "", "write a pcap of every packet on --iface to this file")
	cmd.Flags().StringVar(&iface, "iface", "eth0", "interface to capture on")
	return cmd
}

func newLabDNS() *cobra.Command {
	var listen string
	var records []string
	cmd := &cobra.Command{
		Use: "dns --listen ADDR --record NAME=IP...", Hidden: true, Args: cobra.NoArgs,
		Short: "Answer the external endpoints' names with their addresses (the lab's name server)",
		RunE: func(c *cobra.Command, _ []string) error {
			byName := map[string][]netip.Addr{}
			for _, r := range records {
				name, ip, ok := strings.Cut(r, "=")
				a, err := netip.ParseAddr(ip)
				if !ok || name == "" || err != nil {
					return cmdutil.InputError(fmt.Errorf("--record %q: want NAME=IP", r))
				}
				byName[name] = append(byName[name], a)
			}
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGTERM)
			defer stop()
			return zprobe.ServeNames(ctx, listen, byName)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", zlab.DNSAddr, "address to serve on (UDP and TCP)")
	cmd.Flags().StringArrayVar(&records, "record", nil, "a name and one of its addresses, NAME=IP; repeatable")
	return cmd
}

func newLabConnect(s cmdutil.Streams) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use: "connect tcp|udp IP:PORT", Hidden: true, Short: "Open one connection from the current network namespace",
		Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			ok, err := zlab.Connect(args[0], args[1], timeout)
			if err != nil {
				return cmdutil.InputError(err)
			}
			if !ok {
				fmt.Fprintf(s.Out, "no answer from %s %s within %s\n", args[0], args[1], timeout)
				return cmdutil.Denied(nil, true)
			}
			fmt.Fprintf(s.Out, "connected to %s %s\n", args[0], args[1])
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", time.Second, "how long to wait for an answer")
	return cmd
}
