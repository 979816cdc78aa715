// Command pause is the sandbox process of a pod, as Kubernetes' pause image runs it: it holds the pod's
// namespaces, reaps the children that are handed to it as PID 1, and exits at SIGINT or SIGTERM. It is
// built into the kind node image hack/kindnode makes, since no image can be pulled there.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-v" {
		os.Stdout.WriteString("pause (zonesim hack/kindnode)\n")
		return
	}
	sig := make(chan os.Signal, 8)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sig {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
	}
}
