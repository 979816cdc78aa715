// Command zonesim is the network policy simulator; see pkg/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/zonesim/zonesim/pkg/cli"
)

func main() {
	// SIGTERM too: a command that keeps running (probe --every, tui) is stopped that way by systemd and kubelet.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // the first Ctrl-C asks the command to stop cleanly; a second one ends the process
	}()
	code := cli.Run(ctx, cli.Streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}
