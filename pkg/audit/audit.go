// Package audit checks captured traffic against the model: every connection a capture shows is looked up
// in the engine, and traffic that got through although the model denies it is a violation. A capture
// taken outside the cluster sees egress identities, not pods: a source address is then matched to the
// pods that leave with it (EgressIP, node IP).
package audit

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/zonesim/zonesim/pkg/capture"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// Flow is one connection a capture shows (see package capture).
type Flow = capture.Flow

// Statuses of a flow: observed as modelled (ok, blocked), or not (violation: answered although the model
// denies it; unanswered: allowed, but nothing answered).
const (
	OK         = "ok"
	Blocked    = "blocked"
	Unanswered = "unanswered"
	Violation  = "violation"
)

// Verdict is what the model says of one observed flow.
type Verdict struct {
	Flow
	// From is who the model takes the source for: a pod, pods leaving with that egress identity, or an
	// address outside the cluster.
	From    string `json:"from"`
	To      string `json:"to"`
	Allowed bool   `json:"allowed"`
	// Status: "ok" (observed as modelled), "violation" (answered although denied), "unanswered"
	// (allowed, but nothing answered), "blocked" (denied, and not answered: as modelled).
	Status string `json:"status"`
	// Query reproduces the model's verdict.
	Query string `json:"query"`
}

// Check looks every flow up in the engine.
func Check(e *simulate.Engine, flows []Flow) []Verdict {
	identities := map[netip.Addr][]*model.Pod{} // egress identity -> the pods that leave with it
	for _, p := range e.Cluster.Pods {
		if ip, dropped, ok := e.EgressSource(p); ok && !dropped {
			identities[ip] = append(identities[ip], p)
		}
	}
	var out []Verdict
	for _, f := range flows {
		v := Verdict{Flow: f, From: f.Src.String(), To: f.Dst.String()}
		port := &simulate.PortSpec{Protocol: model.Protocol(f.Protocol), Lo: f.Port, Hi: f.Port}
		dst, err := e.ResolveEndpoint(f.Dst.String())
		if err == nil {
			v.To = dst.Name
		}
		var sources []*simulate.Endpoint
		if src, err := e.ResolveEndpoint(f.Src.String()); err == nil && src.Kind == "pod" {
			sources = append(sources, src)
			v.From = src.Name
		} else if pods := identities[f.Src]; len(pods) > 0 && dst != nil && dst.Kind != "pod" {
			var names []string
			for _, p := range pods {
				if ep, err := e.ResolveEndpoint(p.Key()); err == nil {
					sources = append(sources, ep)
					names = append(names, p.Key())
				}
			}
			v.From = fmt.Sprintf("%s (egress identity of %s)", f.Src, strings.Join(names, ", "))
		} else if err == nil {
			sources = append(sources, src)
			v.From = src.Name
		}
		for _, src := range sources {
			if dst == nil {
				break
			}
			r, err := e.Query(src, dst, port, 1) // src is one pod or address: one pair, explained
			if err != nil {
				continue
			}
			query := fmt.Sprintf("zonesim query from %s to %s --port %s/%d", src.Name, f.Dst, strings.ToLower(f.Protocol), f.Port)
			if v.Query == "" {
				v.Query = query
			}
			// Outside the cluster the source must also be the identity the pod leaves with.
			if r.Allowed && (len(identities[f.Src]) == 0 || len(r.Results) > 0 && r.Results[0].SourceIP == f.Src.String()) {
				v.Allowed, v.Query = true, query
				break
			}
		}
		switch {
		case v.Allowed && f.Answered:
			v.Status = OK
		case v.Allowed:
			v.Status = Unanswered
		case f.Answered:
			v.Status = Violation
		default:
			v.Status = Blocked
		}
		out = append(out, v)
	}
	return out
}

// Violations counts the flows that got through although the model denies them.
func Violations(verdicts []Verdict) int {
	n := 0
	for _, v := range verdicts {
		if v.Status == Violation {
			n++
		}
	}
	return n
}
