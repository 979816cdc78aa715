// Command zonesim is the network policy simulator; see pkg/cli.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/zonesim/zonesim/pkg/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	go func() {
		<-ctx.Done()
		stop() // the first Ctrl-C asks the command to stop cleanly; a second one ends the process
	}()
	code := cli.Run(ctx, cli.Streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}
