package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/model"
	zprobe "github.com/zonesim/zonesim/pkg/probe"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// podSite probes from a probe pod in each namespace probed, on an existing cluster: every check, DNS
// included, runs in the pod (the far side: zonesim probe --targets -, exec'd with the job on stdin).
type podSite struct {
	b    *apply.ExistingBackend
	pods []probePod // the pods started, to delete
	far  farSides
}

type probePod struct {
	namespace, name string
	from            string // the model's pod (or namespace) it stands for
}

// newPodSite starts one probe pod in every namespace the targets stand for, with the labels of the
// namespace's first pod in the model (so the same objects select it), and sets what the model expects of
// that pod's flows.
func newPodSite(ctx context.Context, b *apply.ExistingBackend, e *simulate.Engine, targets []zprobe.Target, input []string, command string,
	opts zprobe.Options, rootsPEM []byte, dnsServer string, log io.Writer) (_ *podSite, err error) {
	site := &podSite{b: b, far: farSides{roots: string(rootsPEM)}}
	args := append([]string{command, "probe"}, farArgs(opts, opts.SkipDNS)...)
	if dnsServer != "" {
		args = append(args, "--dns-server", dnsServer)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, site.close(context.WithoutCancel(ctx)))
		}
	}()
	runID := apply.NewRunID()
	for _, t := range targets {
		if t.Namespace == "" {
			return nil, errors.New("probe pods run in a namespace: give -n NAMESPACE, or spec.probes in the scenario")
		}
		i := slices.IndexFunc(site.pods, func(p probePod) bool { return p.namespace == t.Namespace })
		if i < 0 {
			from, labels := t.Namespace, map[string]string(nil)
			if pod := firstPod(e.Cluster, t.Namespace); pod != nil {
				from, labels = pod.Key(), pod.Labels
			}
			fmt.Fprintf(log, "starting a probe pod in %s with the labels of %s (they carry %s=%s: kubectl delete pod -A -l %s=%s removes what is left)\n",
				t.Namespace, from, apply.ProbeLabel, runID, apply.ProbeLabel, runID)
			name, err := b.StartProbePod(ctx, t.Namespace, labels, []string{command}, runID)
			if name != "" {
				site.pods = append(site.pods, probePod{namespace: t.Namespace, name: name, from: from})
			}
			if err != nil {
				return nil, err
			}
			i = len(site.pods) - 1
		}
		pod := site.pods[i]
		t.From = pod.from
		if err := t.ExpectFrom(e, t.From, input); err != nil {
			return nil, err
		}
		site.far.add(pod.namespace, t, func(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
			return b.ExecProbe(ctx, pod.namespace, pod.name, args, stdin, stdout)
		}, b.ProbeExecCommand(pod.namespace, pod.name, args))
	}
	return site, nil
}

// firstPod is the namespace's first pod in the model, by name, or nil.
func firstPod(c *model.Cluster, ns string) *model.Pod {
	var first *model.Pod
	for _, p := range c.Pods {
		if p.Namespace == ns && (first == nil || p.Name < first.Name) {
			first = p
		}
	}
	return first
}

func (p *podSite) round(ctx context.Context) ([]zprobe.Result, error) { return p.far.round(ctx) }

// close deletes the probe pods.
func (p *podSite) close(ctx context.Context) error {
	var errs []error
	for _, pod := range p.pods {
		errs = append(errs, p.b.DeleteProbePod(ctx, pod.namespace, pod.name))
	}
	return errors.Join(errs...)
}
