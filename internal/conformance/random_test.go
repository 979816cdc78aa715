package conformance_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/internal/conformance"
	"github.com/zonesim/zonesim/pkg/model"
)

func walk(t *testing.T, c conformance.Case) []byte {
	t.Helper()
	var last []byte
	resolve := func(m []byte) (map[string]netip.Addr, error) {
		l := model.NewLoader(model.DefaultLoadOptions(), nil)
		l.AddBytes("w.yaml", m)
		cl, err := l.Cluster()
		if err != nil {
			return nil, err
		}
		ips := map[string]netip.Addr{}
		for _, p := range cl.Pods {
			ips[p.Key()] = p.IP
		}
		return ips, nil
	}
	require.NoError(t, c.Walk(resolve, func(_ int, m []byte, _ []conformance.Check) error {
		last = m
		l := model.NewLoader(model.DefaultLoadOptions(), nil)
		l.AddBytes("w.yaml", m)
		_, err := l.Cluster()
		return err // every generated policy is valid input
	}))
	return last
}

func TestRandomCasesAreValidAndReproducible(t *testing.T) {
	for seed := uint64(1); seed <= 60; seed++ {
		a := walk(t, conformance.Random(seed))
		b := walk(t, conformance.Random(seed))
		assert.Equal(t, string(a), string(b), "seed %d", seed)
	}
	assert.NotEqual(t, string(walk(t, conformance.Random(1))), string(walk(t, conformance.Random(2))))
}
