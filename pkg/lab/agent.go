package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Serve is the agent inside a pod's network namespace: it accepts TCP connections (writes "ok") and
// echoes UDP datagrams on the given ports until ctx ends.
func Serve(ctx context.Context, tcp, udp []int) error {
	errc := make(chan error, len(tcp)+len(udp))
	for _, p := range tcp {
		l, err := net.Listen("tcp", ":"+strconv.Itoa(p))
		if err != nil {
			return err
		}
		go func() {
			<-ctx.Done()
			l.Close()
		}()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					errc <- err
					return
				}
				_, _ = c.Write([]byte("ok\n")) // the probe only needs the connection
				c.Close()
			}
		}()
	}
	for _, p := range udp {
		pc, err := net.ListenPacket("udp", ":"+strconv.Itoa(p))
		if err != nil {
			return err
		}
		go func() {
			<-ctx.Done()
			pc.Close()
		}()
		go func() {
			buf := make([]byte, 512)
			for {
				n, addr, err := pc.ReadFrom(buf)
				if err != nil {
					errc <- err
					return
				}
				_, _ = pc.WriteTo(buf[:n], addr) // best-effort echo: a lost reply is a denied probe
			}
		}()
	}
	<-ctx.Done()
	return nil
}

// Connect opens one connection from the current network namespace: TCP connect, or a UDP datagram that
// must be echoed back. It reports whether the destination answered within timeout.
func Connect(proto, addr string, timeout time.Duration) (bool, error) {
	switch strings.ToLower(proto) {
	case "tcp":
		c, err := net.DialTimeout("tcp", addr, timeout)
		if err != nil {
			return false, nil
		}
		c.Close()
		return true, nil
	case "udp":
		c, err := net.Dial("udp", addr)
		if err != nil {
			return false, err
		}
		defer c.Close()
		if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
			return false, err
		}
		if _, err := c.Write([]byte("zonesim")); err != nil {
			return false, nil
		}
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		return err == nil && string(buf[:n]) == "zonesim", nil
	}
	return false, fmt.Errorf("not supported: probing %s (the lab kernel has TCP and UDP only)", proto)
}

// Self is the zonesim binary that serves and probes inside pods: $ZONESIM_BIN (for test binaries), else
// the running executable.
func Self() (string, error) {
	if b := os.Getenv("ZONESIM_BIN"); b != "" {
		return b, nil
	}
	return os.Executable()
}

// ProbeCommand is the shell command that reproduces one probe by hand.
func ProbeCommand(self, netns, proto, addr string) string {
	return fmt.Sprintf("ip netns exec %s %s lab connect %s %s", netns, self, strings.ToLower(proto), addr)
}

// Probe runs Connect inside a pod's network namespace, through `zonesim lab connect`.
func Probe(ctx context.Context, self, netns, proto, addr string, timeout time.Duration) (bool, error) {
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", netns, self, "lab", "connect", strings.ToLower(proto), addr,
		"--timeout", timeout.String())
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return false, nil
	}
	return false, fmt.Errorf("probe %s %s from %s: %v: %s", proto, addr, netns, err, strings.TrimSpace(string(out)))
}
