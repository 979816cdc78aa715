package lab

import (
	"crypto/tls"
	"crypto/x509"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An external endpoint's certificate verifies against the externals CA for its names and its address, and
// a second endpoint's is signed by the same CA, read back from disk.
func TestExternalCert(t *testing.T) {
	s := &State{Dir: t.TempDir()}
	ip := netip.MustParseAddr("198.51.100.20")
	certFile, keyFile, err := s.externalCert("a", []string{"api.crm.example.com"}, ip)
	require.NoError(t, err)
	_, _, err = s.externalCert("b", []string{"api.pay.example.net"}, netip.MustParseAddr("198.51.100.40"))
	require.NoError(t, err)

	caPEM, err := os.ReadFile(s.ExternalsCA())
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(caPEM))
	for _, tt := range []struct {
		file, name string
		ok         bool
	}{
		{certFile, "api.crm.example.com", true},
		{certFile, "198.51.100.20", true},
		{certFile, "api.pay.example.net", false},
		{s.pki("external-b.crt"), "api.pay.example.net", true},
	} {
		kp, err := tls.LoadX509KeyPair(tt.file, keyFile)
		if tt.file != certFile {
			kp, err = tls.LoadX509KeyPair(tt.file, s.pki("external-b.key"))
		}
		require.NoError(t, err)
		leaf, err := x509.ParseCertificate(kp.Certificate[0])
		require.NoError(t, err)
		_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: tt.name, CurrentTime: time.Now()})
		assert.Equal(t, tt.ok, err == nil, "%s for %s: %v", tt.file, tt.name, err)
	}
}
