package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zonesim/zonesim/internal/poll"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/result"
	"github.com/zonesim/zonesim/pkg/simulate"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// Capabilities say, as data, what a backend enforces; cells it cannot enforce are skipped with the reason.
type Capabilities struct {
	// CNI is the zonesim --cni profile the backend's enforcer behaves like.
	CNI string
	// Unsupported maps a protocol the backend cannot carry to the reason.
	Unsupported map[model.Protocol]string
	// FinalizeNamespaces: no namespace controller runs (the lab), so cleanup finalizes the namespaces it
	// deleted itself, once their contents are gone.
	FinalizeNamespaces bool
}

// Backend is a cluster the probes run on.
type Backend interface {
	Name() string
	Capabilities() Capabilities
	Client() (kubernetes.Interface, error)
	// CreatePods starts the probe pods, serving ports, and fills in their IPs.
	CreatePods(ctx context.Context, pods []*ProbePod, ports []Port) error
	// DeletePods removes them again.
	DeletePods(ctx context.Context, pods []*ProbePod) error
	// Probe opens one connection from a probe pod.
	Probe(ctx context.Context, from *ProbePod, proto model.Protocol, addr string, timeout time.Duration) (bool, error)
	// ProbeCommand is the command that reproduces a probe by hand.
	ProbeCommand(from *ProbePod, proto model.Protocol, addr string) string
}

// Options tune a run.
type Options struct {
	Timeout  time.Duration // per probe
	Parallel int           // probes at once
	Retries  int           // extra probes of a disagreeing cell, for the enforcer to converge
	Keep     bool          // leave the objects on the cluster
	Input    []string      // the input flags (-f, -k, ...), for query commands
	Log      io.Writer
	// Flip inverts the prediction of the cells from one pod to another ("ns/pod"), to show that the
	// harness catches a wrong prediction with a readable diff.
	Flip [2]string
}

// Run applies the cluster's pods and policies to the backend, probes every pod pair on every port, and
// compares with zonesim's prediction for exactly what was applied. It cleans up on every path, also when
// ctx is cancelled, unless opts.Keep.
func Run(ctx context.Context, b Backend, c *model.Cluster, opts Options) (res *result.E2E, err error) {
	s, err := Start(ctx, b, c, opts)
	if s != nil { // Start returns what it made so far even when it fails: clean that up too
		defer func() {
			if cerr := s.Close(ctx); cerr != nil {
				err = errors.Join(err, cerr)
			}
		}()
	}
	if err != nil {
		return nil, err
	}
	return s.Probe(ctx)
}

// Session is a configuration running on a cluster; Update changes it in place, as a user would, so the
// enforcer's handling of changes is what the next Probe sees.
type Session struct {
	b      Backend
	client kubernetes.Interface
	plan   *Plan
	opts   Options
	// predicted is the last probe's prediction per cell, to tell which cells an update changes.
	predicted map[string]bool
	// zones is set when the backend runs the scenario's networks around the cluster.
	zones ZoneBackend
}

// Start creates the probe namespaces and pods and applies the policies. Close it, also on failure.
func Start(ctx context.Context, b Backend, c *model.Cluster, opts Options) (*Session, error) {
	if opts.Timeout == 0 {
		opts.Timeout = time.Second
	}
	if opts.Parallel == 0 {
		opts.Parallel = 16
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	client, err := b.Client()
	if err != nil {
		return nil, err
	}
	s := &Session{b: b, client: client, plan: NewPlan(c, NewRunID()), opts: opts}
	p := s.plan
	fmt.Fprintf(opts.Log, "run %s on %s: %d namespaces, %d pods, %d policies, ports %v\n", p.RunID, b.Name(), len(p.Namespaces), len(p.Pods), len(p.Policies), p.Ports)
	for _, ns := range p.Namespaces {
		if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{FieldManager: "zonesim"}); err != nil {
			return s, fmt.Errorf("create namespace %s: %w", ns.Name, err)
		}
	}
	if err := b.CreatePods(ctx, p.Pods, p.Ports); err != nil {
		return s, err
	}
	if zb, ok := b.(ZoneBackend); ok && len(p.Externals) > 0 {
		e, err := predict(p, b.Capabilities().CNI)
		if err != nil {
			return s, err
		}
		s.zones = zb
		if err := zb.SetupZones(ctx, zoneSetup(e, p, p.Externals)); err != nil {
			return s, err
		}
		p.Skipped = emulated(p.Skipped)
	}
	return s, s.applyPolicies(ctx, nil)
}

// emulated drops the kinds a zone backend emulates from the list of what is not probed.
func emulated(skipped []string) []string {
	var out []string
	for _, s := range skipped {
		if !strings.Contains(s, "EgressFirewall") && !strings.Contains(s, "EgressIP") {
			out = append(out, s)
		}
	}
	return out
}

func (s *Session) applyPolicies(ctx context.Context, previous []*networkingv1.NetworkPolicy) error {
	keep := map[string]bool{}
	for _, np := range s.plan.Policies {
		keep[np.Namespace+"/"+np.Name] = true
		body, err := json.Marshal(np)
		if err != nil {
			return err
		}
		force := true
		if _, err := s.client.NetworkingV1().NetworkPolicies(np.Namespace).Patch(ctx, np.Name, types.ApplyPatchType, body,
			metav1.PatchOptions{FieldManager: "zonesim", Force: &force}); err != nil {
			return fmt.Errorf("apply NetworkPolicy %s/%s: %w", np.Namespace, np.Name, err)
		}
	}
	for _, np := range previous {
		if keep[np.Namespace+"/"+np.Name] {
			continue
		}
		if err := s.client.NetworkingV1().NetworkPolicies(np.Namespace).Delete(ctx, np.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete NetworkPolicy %s/%s: %w", np.Namespace, np.Name, err)
		}
	}
	return nil
}

// Update moves the running configuration to c, which must have the same pods: namespace and pod labels
// are patched, policies applied, and policies c no longer has deleted.
func (s *Session) Update(ctx context.Context, c *model.Cluster) error {
	next := NewPlan(c, s.plan.RunID)
	if len(next.Pods) != len(s.plan.Pods) {
		return fmt.Errorf("update: the pods changed (%d, was %d); start a new session", len(next.Pods), len(s.plan.Pods))
	}
	for i, ns := range next.Namespaces {
		if !sameLabels(ns.Labels, s.plan.Namespaces[i].Labels) {
			if err := s.patchLabels(ctx, "", ns.Name, s.plan.Namespaces[i].Labels, ns.Labels); err != nil {
				return err
			}
		}
	}
	for i, p := range next.Pods {
		old := s.plan.Pods[i]
		if p.Key() != old.Key() {
			return fmt.Errorf("update: pod %s is not %s; start a new session", p.Key(), old.Key())
		}
		p.IP = old.IP
		if !sameLabels(p.Labels, old.Labels) {
			if err := s.patchLabels(ctx, p.Namespace, p.Name, old.Labels, p.Labels); err != nil {
				return err
			}
		}
	}
	previous := s.plan.Policies
	fmt.Fprintf(s.opts.Log, "run %s: update to %d policies\n", s.plan.RunID, len(next.Policies))
	next.Skipped = s.plan.Skipped
	s.plan = next
	if s.zones != nil { // the zone networks derive from the configuration (egress identities, firewalls)
		e, err := predict(next, s.b.Capabilities().CNI)
		if err != nil {
			return err
		}
		if err := s.zones.TeardownZones(ctx); err != nil {
			return err
		}
		if err := s.zones.SetupZones(ctx, zoneSetup(e, next, next.Externals)); err != nil {
			return err
		}
	}
	return s.applyPolicies(ctx, previous)
}

func sameLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// patchLabels sets labels to want on a namespace (ns "") or a pod, removing those only in have.
func (s *Session) patchLabels(ctx context.Context, ns, name string, have, want map[string]string) error {
	labels := map[string]any{}
	for k := range have {
		labels[k] = nil
	}
	for k, v := range want {
		labels[k] = v
	}
	body, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": labels}})
	if err != nil {
		return err
	}
	if ns == "" {
		_, err = s.client.CoreV1().Namespaces().Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: "zonesim"})
	} else {
		_, err = s.client.CoreV1().Pods(ns).Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: "zonesim"})
	}
	if err != nil {
		return fmt.Errorf("label %s %s: %w", strings.TrimPrefix(ns+"/", "/"), name, err)
	}
	return nil
}

// Probe predicts the current configuration, waits for the enforcer to take it in, and probes every cell.
func (s *Session) Probe(ctx context.Context) (*result.E2E, error) {
	p, b := s.plan, s.b
	engine, err := predict(p, b.Capabilities().CNI)
	if err != nil {
		return nil, err
	}
	res := &result.E2E{Backend: b.Name(), RunID: p.RunID, CNI: b.Capabilities().CNI, Skipped: p.Skipped}
	for _, pod := range p.Pods {
		res.Pods = append(res.Pods, pod.Original)
	}
	for _, port := range p.Ports {
		res.Ports = append(res.Ports, port.String())
	}
	cells := predictCells(engine, p, b, s.opts)
	var changed []*cell
	for _, cl := range cells {
		if was, ok := s.predicted[cl.key()]; ok && was != cl.Predicted && cl.Skipped == "" {
			changed = append(changed, cl)
		}
	}
	if s.predicted == nil {
		err = converge(ctx, b, cells, s.opts)
	} else {
		err = awaitChanges(ctx, b, changed, s.opts)
	}
	if err != nil {
		return res, err
	}
	s.predicted = map[string]bool{}
	for _, cl := range cells {
		s.predicted[cl.key()] = cl.Predicted
	}
	probeAll(ctx, b, cells, s.opts)
	for _, cl := range cells {
		res.Cells = append(res.Cells, cl.Cell)
		if cl.Skipped == "" {
			res.Probed++
			if !cl.Agree {
				res.Mismatches++
			}
		}
	}
	if s.zones != nil {
		ids, err := identities(ctx, s.zones, p, cells)
		if err != nil {
			return res, err
		}
		res.Identity = ids
		for _, id := range ids {
			if !id.Agree {
				res.Mismatches++
			}
		}
	}
	return res, ctx.Err()
}

// identities compares, per external endpoint and port, the sources it captured with the egress
// identities predicted for the flows that reached it.
func identities(ctx context.Context, zb ZoneBackend, p *Plan, cells []*cell) ([]result.Identity, error) {
	var out []result.Identity
	for _, x := range p.Externals {
		seen, err := zb.Sources(ctx, x.Name)
		if err != nil {
			return nil, err
		}
		for _, port := range x.Ports {
			want := map[string]bool{}
			for _, cl := range cells {
				if cl.To == "ext:"+x.Name && cl.port == port && cl.Skipped == "" && cl.Predicted && cl.Observed && cl.source != "" {
					want[cl.source] = true
				}
			}
			got := map[string]bool{}
			for _, a := range seen[port.String()] {
				got[a.String()] = true
			}
			if len(want) == 0 && len(got) == 0 {
				continue
			}
			// Denied probes may reach the endpoint before its firewall drops them; a seen source must be
			// predicted or be a denied flow's, so check that every predicted identity was seen.
			agree := true
			for w := range want {
				agree = agree && got[w]
			}
			out = append(out, result.Identity{External: "ext:" + x.Name, Port: port.String(), Predicted: sortedStrings(want), Seen: sortedStrings(got), Agree: agree})
		}
	}
	return out, nil
}

// Close deletes what the session created, unless opts.Keep; it runs even when ctx was cancelled.
func (s *Session) Close(ctx context.Context) error {
	if s.opts.Keep {
		return nil
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	if s.zones != nil {
		if err := s.zones.TeardownZones(cctx); err != nil {
			return fmt.Errorf("cleanup: %w", err)
		}
	}
	if err := cleanup(cctx, s.b, s.client, s.plan); err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	return nil
}

// predict loads exactly what the run applied, with the pods' cluster IPs, and compiles it.
func predict(plan *Plan, cni string) (*simulate.Engine, error) {
	docs, err := plan.Manifests()
	if err != nil {
		return nil, err
	}
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("run-"+plan.RunID+".yaml", docs)
	c, err := l.Cluster()
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	// What shapes traffic leaving the pod network comes from the input as is: the scenario (zones, nodes,
	// endpoints, perimeter), egress IPs (they select namespaces by label), and the egress firewalls, moved
	// to the probe namespaces.
	if src := plan.source; src != nil && src.Scenario != nil {
		c.Scenario, c.Nodes, c.EgressIPs, c.HostSubnets = src.Scenario, src.Nodes, src.EgressIPs, src.HostSubnets
		for _, ef := range src.EgressFirewalls {
			moved := *ef
			moved.Namespace = plan.mapName(ef.Namespace)
			c.EgressFirewalls = append(c.EgressFirewalls, &moved)
		}
	}
	profile, err := simulate.LookupProfile(cni)
	if err != nil {
		return nil, err
	}
	return simulate.New(c, profile, ""), nil
}

type cell struct {
	result.Cell
	from, to *ProbePod // to is nil for an external endpoint
	addr     string    // where the probe connects
	port     Port
	source   string // the egress identity zonesim predicts the destination sees (external cells)
}

func predictCells(e *simulate.Engine, plan *Plan, b Backend, opts Options) []*cell {
	var out []*cell
	caps := b.Capabilities()
	for _, from := range plan.Pods {
		src, _ := e.ResolveEndpoint(from.Key())
		for _, to := range plan.Pods {
			if from == to {
				continue // a pod to itself: always allowed (NP-18), not probed, as upstream
			}
			dst, _ := e.ResolveEndpoint(to.Key())
			for _, port := range plan.Ports {
				cl := &cell{from: from, to: to, port: port}
				cl.From, cl.To, cl.Port = from.Original, to.Original, port.String()
				cl.Query = queryCommand(opts.Input, from.Original, to.Original, port)
				if reason, ok := caps.Unsupported[port.Protocol]; ok {
					cl.Skipped = reason
					out = append(out, cl)
					continue
				}
				if src != nil && dst != nil {
					if r, err := e.Query(src, dst, &simulate.PortSpec{Protocol: port.Protocol, Lo: port.Port, Hi: port.Port}, 0); err == nil {
						cl.Predicted = r.Allowed
					}
				}
				if opts.Flip == [2]string{from.Original, to.Original} {
					cl.Predicted = !cl.Predicted
				}
				cl.addr = net.JoinHostPort(to.IP, strconv.Itoa(int(port.Port)))
				cl.Probe = b.ProbeCommand(from, port.Protocol, cl.addr)
				out = append(out, cl)
			}
		}
		if _, ok := b.(ZoneBackend); ok {
			out = append(out, externalCells(e, plan, b, opts, from, src)...)
		}
	}
	return out
}

// externalCells are a pod's flows to the scenario's endpoints, through the whole egress pipeline.
func externalCells(e *simulate.Engine, plan *Plan, b Backend, opts Options, from *ProbePod, src *simulate.Endpoint) []*cell {
	var out []*cell
	caps := b.Capabilities()
	for _, x := range plan.Externals {
		dst, err := e.ResolveEndpoint("ext:" + x.Name)
		for _, port := range x.Ports {
			cl := &cell{from: from, port: port, addr: net.JoinHostPort(x.IP.String(), strconv.Itoa(int(port.Port)))}
			cl.From, cl.To, cl.Port = from.Original, "ext:"+x.Name, port.String()
			cl.Query = queryCommand(opts.Input, from.Original, "ext:"+x.Name, port)
			cl.Probe = b.ProbeCommand(from, port.Protocol, cl.addr)
			if reason, ok := caps.Unsupported[port.Protocol]; ok {
				cl.Skipped = reason
			} else if src != nil && err == nil {
				if r, qerr := e.Query(src, dst, &simulate.PortSpec{Protocol: port.Protocol, Lo: port.Port, Hi: port.Port}, 1); qerr == nil {
					cl.Predicted = r.Allowed
					if len(r.Results) > 0 {
						cl.source = r.Results[0].SourceIP
					}
				}
			}
			out = append(out, cl)
		}
	}
	return out
}

func queryCommand(input []string, from, to string, port Port) string {
	return simulate.QueryCommand(input, from, to, fmt.Sprintf("%s/%d", strings.ToLower(string(port.Protocol)), port.Port))
}

// converge waits until the enforcer has taken the policies in: a cell predicted denied must be observed
// denied. Before that, everything is open, and an early "allowed" could pass for agreement.
func converge(ctx context.Context, b Backend, cells []*cell, opts Options) error {
	for _, cl := range cells {
		if cl.Skipped == "" && !cl.Predicted {
			return await(ctx, b, []*cell{cl}, opts, "the policies did not take effect")
		}
	}
	return nil // nothing is predicted denied: no policy takes effect that a probe could see
}

func (c *cell) key() string { return c.From + "|" + c.To + "|" + c.Port }

// awaitChanges waits, after an update, until the cells whose prediction changed observe the new value:
// the enforcer applies an update some time after the API accepts it, and opening traffic is as much a
// change as closing it. A sample across the changed cells is enough to see the update applied.
func awaitChanges(ctx context.Context, b Backend, changed []*cell, opts Options) error {
	if len(changed) > 8 {
		step := len(changed) / 8
		var sample []*cell
		for i := 0; i < len(changed); i += step {
			sample = append(sample, changed[i])
		}
		changed = sample
	}
	return await(ctx, b, changed, opts, "the update did not take effect")
}

// await polls each cell until it observes its prediction, all within 30 s; past that it logs what did
// not happen and returns, and the mismatch shows in the report.
func await(ctx context.Context, b Backend, cells []*cell, opts Options, what string) error {
	deadline := time.Now().Add(30 * time.Second)
	for _, cl := range cells {
		err := poll.Until(ctx, time.Until(deadline), 200*time.Millisecond, func() (bool, error) {
			ok, err := b.Probe(ctx, cl.from, cl.port.Protocol, cl.addr, opts.Timeout)
			return ok == cl.Predicted, err
		})
		if errors.Is(err, poll.ErrTimeout) {
			fmt.Fprintf(opts.Log, "%s within 30s: %s -> %s on %s\n", what, cl.From, cl.To, cl.Port)
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// probeAll probes every cell with bounded parallelism; a disagreeing cell is probed again (the enforcer
// may still be converging) up to opts.Retries times, a second apart.
func probeAll(ctx context.Context, b Backend, cells []*cell, opts Options) {
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	for _, cl := range cells {
		if cl.Skipped != "" {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(cl *cell) {
			defer wg.Done()
			defer func() { <-sem }()
			for attempt := 0; ; attempt++ {
				ok, err := b.Probe(ctx, cl.from, cl.port.Protocol, cl.addr, opts.Timeout)
				if err != nil {
					cl.Skipped = "probe failed: " + err.Error()
					return
				}
				cl.Observed = ok
				cl.Agree = ok == cl.Predicted
				if cl.Agree || attempt >= opts.Retries || ctx.Err() != nil {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
			}
		}(cl)
	}
	wg.Wait()
	sort.SliceStable(cells, func(i, j int) bool {
		a, b := cells[i], cells[j]
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		if a.From != b.From {
			return a.From < b.From
		}
		return a.To < b.To
	})
}

// Plan is what the session runs.
// Applied summarises what the session put on the cluster, with a command that probes one connection by
// hand; the caller, who knows how it chose the backend, fills in DeleteCommand.
func (s *Session) Applied() *result.Applied {
	p, b := s.plan, s.b
	out := &result.Applied{Backend: b.Name(), RunID: p.RunID, Namespaces: len(p.Namespaces), Policies: len(p.Policies),
		Pods: []result.AppliedPod{}, Ports: []string{}, Skipped: p.Skipped}
	for _, pod := range p.Pods {
		out.Pods = append(out.Pods, result.AppliedPod{Original: pod.Original, Probe: pod.Key(), IP: pod.IP})
	}
	for _, port := range p.Ports {
		out.Ports = append(out.Ports, port.String())
	}
	if s.zones != nil {
		for _, x := range p.Externals {
			ext := result.External{Name: x.Name, IP: x.IP.String()}
			for _, port := range x.Ports {
				ext.Ports = append(ext.Ports, port.String())
			}
			out.Externals = append(out.Externals, ext)
		}
	}
	if len(p.Pods) > 0 && len(p.Ports) > 0 {
		from, to := p.Pods[0], p.Pods[len(p.Pods)-1]
		out.ProbeCommand = b.ProbeCommand(from, p.Ports[0].Protocol, net.JoinHostPort(to.IP, strconv.Itoa(int(p.Ports[0].Port))))
	}
	return out
}

func (s *Session) Plan() *Plan { return s.plan }

// Delete removes a run that was left in place (zonesim apply, e2e --keep): the namespaces labelled with
// the run, their probe pods and policies, and nothing else. It returns the namespaces it deleted.
func Delete(ctx context.Context, b Backend, runID string) ([]string, error) {
	client, err := b.Client()
	if err != nil {
		return nil, err
	}
	sel := metav1.ListOptions{LabelSelector: ProbeLabel + "=" + runID}
	nss, err := client.CoreV1().Namespaces().List(ctx, sel)
	if err != nil {
		return nil, err
	}
	if len(nss.Items) == 0 {
		return nil, fmt.Errorf("no namespace on %s is labelled %s=%s", b.Name(), ProbeLabel, runID)
	}
	plan := &Plan{RunID: runID}
	var names []string
	for i := range nss.Items {
		ns := &nss.Items[i]
		plan.Namespaces = append(plan.Namespaces, ns)
		names = append(names, ns.Name)
		pods, err := client.CoreV1().Pods(ns.Name).List(ctx, sel)
		if err != nil {
			return nil, err
		}
		for _, p := range pods.Items {
			plan.Pods = append(plan.Pods, &ProbePod{Namespace: p.Namespace, Name: p.Name})
		}
	}
	var errs []error
	if zb, ok := b.(ZoneBackend); ok && zb.ZonesRun() == runID {
		errs = append(errs, zb.TeardownZones(ctx))
	}
	return names, errors.Join(append(errs, cleanup(ctx, b, client, plan))...)
}

// cleanup deletes what the run created, and only that: policies, pods, then the probe namespaces, which it
// finalizes itself where no namespace controller runs (the lab, Capabilities.FinalizeNamespaces).
func cleanup(ctx context.Context, b Backend, client kubernetes.Interface, plan *Plan) error {
	var errs []error
	sel := metav1.ListOptions{LabelSelector: ProbeLabel + "=" + plan.RunID}
	for _, ns := range plan.Namespaces {
		if err := client.NetworkingV1().NetworkPolicies(ns.Name).DeleteCollection(ctx, metav1.DeleteOptions{}, sel); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	if err := b.DeletePods(ctx, plan.Pods); err != nil {
		errs = append(errs, err)
	}
	for _, ns := range plan.Namespaces {
		got, err := client.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil || got.Labels[ProbeLabel] != plan.RunID {
			continue // never delete what this run did not create
		}
		if err := client.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
			continue
		}
		if !b.Capabilities().FinalizeNamespaces {
			continue
		}
		got, err = client.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
		if err == nil && len(got.Spec.Finalizers) > 0 {
			got.Spec.Finalizers = []corev1.FinalizerName{}
			if _, err := client.CoreV1().Namespaces().Finalize(ctx, got, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
