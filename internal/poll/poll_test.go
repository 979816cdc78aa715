package poll_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/zonesim/zonesim/internal/poll"
)

func TestUntil(t *testing.T) {
	boom := errors.New("boom")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name      string
		ctx       context.Context
		within    time.Duration
		doneAfter int // calls; 0 never
		fail      bool
		want      error
		wantCalls int
	}{
		{"done at once", context.Background(), time.Second, 1, false, nil, 1},
		{"done on the third call", context.Background(), time.Second, 3, false, nil, 3},
		{"the condition fails", context.Background(), time.Second, 0, true, boom, 1},
		{"never done: timeout after at least one call", context.Background(), 0, 0, false, poll.ErrTimeout, 1},
		{"cancelled: the context's error, after one call", cancelled, time.Second, 0, false, context.Canceled, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := poll.Until(tt.ctx, tt.within, time.Millisecond, func() (bool, error) {
				calls++
				if tt.fail {
					return false, boom
				}
				return tt.doneAfter > 0 && calls >= tt.doneAfter, nil
			})
			assert.ErrorIs(t, err, tt.want)
			if tt.want == nil {
				assert.NoError(t, err)
			}
			assert.Equal(t, tt.wantCalls, calls)
		})
	}
}
