package simulate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

func conns(ranges ...any) simulate.ConnSet {
	var c simulate.ConnSet
	for i := 0; i < len(ranges); i += 3 {
		c.Add(model.Protocol(ranges[i].(string)), int32(ranges[i+1].(int)), int32(ranges[i+2].(int)))
	}
	return c
}

func TestConnSetSubtract(t *testing.T) {
	tests := []struct {
		name string
		a, b simulate.ConnSet
		want string
	}{
		{"nothing taken", conns("TCP", 80, 90), simulate.ConnSet{}, "TCP/80-90"},
		{"a hole", conns("TCP", 80, 90), conns("TCP", 85, 85), "TCP/80-84, TCP/86-90"},
		{"both ends", conns("TCP", 80, 90), conns("TCP", 1, 80, "TCP", 90, 65535), "TCP/81-89"},
		{"other protocol untouched", conns("TCP", 80, 80, "UDP", 53, 53), conns("UDP", 1, 65535), "TCP/80"},
		{"everything", simulate.AllConns(), simulate.AllConns(), "-"},
		{"all but one port", simulate.AllConns(), conns("TCP", 1, 65534), "TCP/65535, UDP, SCTP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.a.Subtract(tt.b).String())
		})
	}
}
