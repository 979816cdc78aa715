package probe_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNameServer(t *testing.T) {
	r := dnsServer(t, map[string]string{"api.crm.example.com": "198.51.100.20", "v6.example.net": "2001:db8::7"})
	tests := []struct {
		name, network string
		want          []netip.Addr
		notFound      bool
	}{
		{"api.crm.example.com", "ip4", []netip.Addr{netip.MustParseAddr("198.51.100.20")}, false},
		{"API.CRM.Example.COM.", "ip", []netip.Addr{netip.MustParseAddr("198.51.100.20")}, false}, // names are case-blind
		{"v6.example.net", "ip6", []netip.Addr{netip.MustParseAddr("2001:db8::7")}, false},
		{"unknown.example.com", "ip", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.LookupNetIP(context.Background(), tt.network, tt.name)
			if tt.notFound {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "no such host")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
