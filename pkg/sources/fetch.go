package sources

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxFetch bounds what one URL may return: manifests, not downloads.
const maxFetch = 64 << 20

// IsURL reports whether an -f argument is a URL, as kubectl tells them from paths.
func IsURL(s string) bool { return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") }

// Fetch reads the manifests at a URL as kubectl -f does: a GET, any status but 200 is an error.
func Fetch(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxFetch+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFetch {
		return nil, fmt.Errorf("GET %s: more than %d MiB", url, maxFetch>>20)
	}
	return data, nil
}
