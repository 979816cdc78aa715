package lab

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Serve is the agent inside a pod's network namespace: it accepts TCP connections (writes "ok") and
// echoes UDP datagrams on the given ports until ctx ends. On the TCP ports in tlsPorts it completes a TLS
// handshake with cert first (an external endpoint's HTTPS port), then writes "ok".
func Serve(ctx context.Context, tcp, udp, tlsPorts []int, cert *tls.Certificate) error {
	if len(tlsPorts) > 0 && cert == nil {
		return errors.New("TLS ports need a certificate")
	}
	errc := make(chan error, len(tcp)+len(udp))
	for _, p := range tcp {
		l, err := net.Listen("tcp", ":"+strconv.Itoa(p))
		if err != nil {
			return err
		}
		if slices.Contains(tlsPorts, p) {
			l = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12})
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
				go func() {
					// The write runs a TLS connection's handshake; a plain connect probe that closes at
					// once fails it, which is fine: the probe only needs the connection.
					_ = c.SetDeadline(time.Now().Add(5 * time.Second))
					_, _ = c.Write([]byte("ok\n"))
					c.Close()
				}()
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
	cmd := InNetNS(ctx, netns, self, "lab", "connect", strings.ToLower(proto), addr, "--timeout", timeout.String())
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

// RunIn runs the zonesim binary self with args inside a network namespace, with stdin and stdout
// connected. Exit code 1 (zonesim's for "denied" or "findings") is a result, not an error; any other
// failure is, with what the command wrote to stderr.
func RunIn(ctx context.Context, self, netns string, args []string, stdin io.Reader, stdout io.Writer) error {
	cmd := InNetNS(ctx, netns, self, args...)
	var stderr strings.Builder
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err == nil || errors.As(err, &ee) && ee.ExitCode() == 1 {
		return nil
	}
	return fmt.Errorf("zonesim %s in %s: %v: %s", strings.Join(args, " "), netns, err, strings.TrimSpace(stderr.String()))
}

// InNetNS is the command that runs bin with args inside a network namespace.
func InNetNS(ctx context.Context, netns, bin string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", netns, bin}, args...)...)
}
