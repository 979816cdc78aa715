package probe

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// A Runner runs `zonesim probe --targets - -o jsonl` with its other arguments somewhere else (inside a
// lab pod's network namespace, in a probe pod), with stdin and stdout connected. A run that ends with
// exit code 1 (findings) has still written its results: a Runner returns no error for it.
type Runner func(ctx context.Context, stdin io.Reader, stdout io.Writer) error

// Job is what the far side of a remote probe is given on stdin, as JSON: the targets, and the roots that
// verify the endpoints' certificates (PEM; empty: the far side's system roots).
type Job struct {
	Targets  []Target `json:"targets"`
	RootsPEM string   `json:"rootsPEM,omitempty"`
}

// Remote runs the checks of a job through run: it writes the job as JSON to the far side's stdin and
// reads the results it writes back, one JSON object a line.
func Remote(ctx context.Context, job Job, run Runner) ([]Result, error) {
	in, err := json.Marshal(job)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := run(ctx, bytes.NewReader(in), &out); err != nil {
		return nil, err
	}
	var rs []Result
	dec := json.NewDecoder(&out)
	for {
		var r Result
		err := dec.Decode(&r)
		if errors.Is(err, io.EOF) {
			return rs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("the probe's results: %w", err)
		}
		rs = append(rs, r)
	}
}

// ReadJob reads the job Remote writes, and checks each target has what a probe needs.
func ReadJob(r io.Reader) (Job, error) {
	var job Job
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&job); err != nil {
		return job, fmt.Errorf("job: %w", err)
	}
	var errs []error
	for i, t := range job.Targets {
		if t.Endpoint == "" || len(t.Addresses) == 0 || len(t.Ports) == 0 {
			errs = append(errs, fmt.Errorf("targets[%d]: endpoint, addresses and ports are required", i))
		}
		for _, a := range t.Addresses {
			if !a.IsValid() {
				errs = append(errs, fmt.Errorf("targets[%d].addresses: an empty address", i))
			}
		}
		for _, p := range t.Ports {
			if p < 1 || p > 65535 {
				errs = append(errs, fmt.Errorf("targets[%d].ports: %d is not a port", i, p))
			}
		}
		switch t.Expect {
		case "", "allowed", "denied":
		default:
			errs = append(errs, fmt.Errorf("targets[%d].expect: %q is not allowed, denied or empty", i, t.Expect))
		}
	}
	if job.RootsPEM != "" {
		if _, err := Roots([]byte(job.RootsPEM)); err != nil {
			errs = append(errs, fmt.Errorf("rootsPEM: %w", err))
		}
	}
	return job, errors.Join(errs...)
}

// Roots is the pool of the PEM certificates.
func Roots(pem []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("no PEM certificate in it")
	}
	return pool, nil
}
