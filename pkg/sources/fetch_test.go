package sources_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/sources"
)

func TestFetch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ns.yaml" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"))
	}))
	defer srv.Close()
	data, err := sources.Fetch(context.Background(), srv.URL+"/ns.yaml")
	require.NoError(t, err)
	assert.Equal(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", string(data))

	_, err = sources.Fetch(context.Background(), srv.URL+"/missing.yaml")
	assert.EqualError(t, err, "GET "+srv.URL+"/missing.yaml: 404 Not Found")

	for in, want := range map[string]bool{"https://x/y.yaml": true, "http://x": true, "./http/x.yaml": false, "-": false} {
		assert.Equal(t, want, sources.IsURL(in), in)
	}
}
