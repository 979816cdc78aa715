// Package poll is how zonesim waits for something to happen: it checks a condition at an interval, with a
// deadline, and never sleeps blind.
package poll

import (
	"context"
	"errors"
	"time"
)

// ErrTimeout says the condition did not hold within the time given.
var ErrTimeout = errors.New("timed out")

// Until calls cond every interval until it reports done or fails (its error), ctx ends (ctx's error), or
// within has passed (ErrTimeout). cond runs at least once.
func Until(ctx context.Context, within, interval time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(within)
	for {
		done, err := cond()
		if err != nil || done {
			return err
		}
		if !time.Now().Before(deadline) {
			return ErrTimeout
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
