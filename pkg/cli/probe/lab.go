package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/lab"
	zprobe "github.com/zonesim/zonesim/pkg/probe"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// labSite probes from inside the pods a run left in the lab (zonesim apply): TCP and TLS checks run in
// each pod's network namespace, so they go through the lab's kube-router, egress SNAT, EgressFirewall,
// perimeter and allowlists as the pod's own traffic does; DNS checks ask the lab's name server from the
// host (the lab runs no cluster DNS for pods to ask).
type labSite struct {
	// dns are the targets as the scenario gives them, for the DNS checks; far the targets of each pod.
	dns  []zprobe.Target
	far  farSides
	opts zprobe.Options
}

// newLabSite finds, for every target's namespace, the pods of run in the lab, and what the model expects
// of each one's flow (pod by pod: policies may select some pods of a namespace and not others).
func newLabSite(b *apply.LabBackend, run string, e *simulate.Engine, targets []zprobe.Target, input []string, opts zprobe.Options, rootsPEM []byte) (*labSite, error) {
	st, self := b.Lab()
	name := st.Name
	if run == "" {
		run = st.ZonesRun
	}
	if run == "" || len(st.Externals) == 0 {
		return nil, fmt.Errorf("the lab %s runs no scenario's zones: zonesim apply -f SCENARIO --lab-name %s first", name, name)
	}
	if run != st.ZonesRun {
		return nil, fmt.Errorf("the lab %s runs the zones of run %s, not %s", name, st.ZonesRun, run)
	}
	var missing []string
	for _, t := range targets {
		if _, ok := st.External(t.Endpoint); !ok && t.Endpoint != zprobe.Internet && !slices.Contains(missing, t.Endpoint) {
			missing = append(missing, t.Endpoint)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the lab's run %s has no endpoint %s: it runs another scenario (zonesim apply --delete %s --lab-name %s, then apply this one)",
			run, strings.Join(missing, ", "), run, name)
	}
	if rootsPEM == nil {
		var err error
		if rootsPEM, err = os.ReadFile(st.ExternalsCA()); err != nil {
			return nil, fmt.Errorf("the lab's externals CA: %w", err)
		}
	}
	if opts.Resolver == nil {
		opts.Resolver = zprobe.Resolver(lab.DNSAddr)
	}
	site := &labSite{dns: targets, opts: opts, far: farSides{roots: string(rootsPEM)}}
	args := append([]string{"probe"}, farArgs(opts, true)...)
	original := map[string]string{} // lab "namespace/name" -> the input's
	for _, p := range apply.NewPlan(e.Cluster, run).Pods {
		original[p.Key()] = p.Original
	}
	for _, t := range targets {
		if t.Namespace == "" {
			return nil, errors.New("probes in the lab run in a namespace's pods: give -n NAMESPACE, or spec.probes in the scenario")
		}
		ns := apply.ProbeNamespace(run, t.Namespace)
		found := false
		for _, p := range st.Pods {
			from, ok := original[p.Namespace+"/"+p.Name]
			if p.Namespace != ns || !ok {
				continue
			}
			found = true
			pt := t
			pt.From = from
			if err := pt.ExpectFrom(e, from, input); err != nil {
				return nil, err
			}
			site.far.add(p.NetNS, pt, func(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
				return lab.RunIn(ctx, self, p.NetNS, args, stdin, stdout)
			}, "")
		}
		if !found {
			return nil, fmt.Errorf("namespace %s has no pod in the lab's run %s (namespace %s): its pods are what probes run in", t.Namespace, run, ns)
		}
	}
	return site, nil
}

// round runs one round: the DNS checks here, the TCP and TLS checks in each pod.
func (l *labSite) round(ctx context.Context) ([]zprobe.Result, error) {
	out := zprobe.Resolve(ctx, l.dns, l.opts)
	rs, err := l.far.round(ctx)
	return append(out, rs...), err
}

// farSides are the places a round's checks run in (a pod's network namespace, a probe pod), each with
// its targets and the runner that reaches it.
type farSides struct {
	sides []farSide
	roots string // PEM, sent with each job
}

type farSide struct {
	key     string // the pod (its network namespace, its namespace/name)
	targets []zprobe.Target
	run     zprobe.Runner
	hint    string // how to run it by hand, for an error
}

// add gives the far side key a target, with run as its runner and hint as how to run it by hand when it
// is new.
func (f *farSides) add(key string, t zprobe.Target, run zprobe.Runner, hint string) {
	for i := range f.sides {
		if f.sides[i].key == key {
			f.sides[i].targets = append(f.sides[i].targets, t)
			return
		}
	}
	f.sides = append(f.sides, farSide{key: key, targets: []zprobe.Target{t}, run: run, hint: hint})
}

// round runs every far side's job in turn.
func (f *farSides) round(ctx context.Context) ([]zprobe.Result, error) {
	var out []zprobe.Result
	for _, s := range f.sides {
		rs, err := zprobe.Remote(ctx, zprobe.Job{Targets: s.targets, RootsPEM: f.roots}, s.run)
		if err != nil && s.hint != "" {
			err = fmt.Errorf("%w (by hand: %s)", err, s.hint)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// close leaves the run's pods as they are: they are apply's.
func (l *labSite) close(context.Context) error { return nil }

// farArgs are the arguments of the far side's zonesim probe: the job on stdin, results as JSON lines,
// and the options of this run.
func farArgs(opts zprobe.Options, skipDNS bool) []string {
	args := []string{"--targets", "-", "-o", "jsonl", "--timeout", opts.Timeout.String(), "--warn-expiry", opts.WarnExpiry.String()}
	if len(opts.TLSPorts) > 0 {
		args = append(args, "--tls-port", joinPorts(opts.TLSPorts))
	}
	if skipDNS {
		args = append(args, "--skip-dns")
	}
	return args
}

func joinPorts(ps []int32) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = strconv.Itoa(int(p))
	}
	return strings.Join(s, ",")
}
