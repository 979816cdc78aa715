package lab

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"
)

// The lab's own certificate authority secures the one connection no kubeconfig covers: the API server
// calling the node agent (exec). The node agent serves with a certificate for the node IP and accepts only
// the API server's client certificate, both signed by this CA.
//
// A second authority signs what the scenario's external endpoints serve on their TLS ports: a certificate
// for the endpoint's DNS names and address, so that probes verify a real chain (probe --ca-file). It is
// made when the first endpoint needs it, and its key is kept for the next.
const (
	pkiDir            = "pki"
	caCert            = "ca.crt"
	kubeletCert       = "kubelet.crt"
	kubeletKey        = "kubelet.key"
	apiserverKubelet  = "apiserver-kubelet-client.crt"
	apiserverKubeletK = "apiserver-kubelet-client.key"
	externalsCACert   = "externals-ca.crt"
	externalsCAKey    = "externals-ca.key"
)

func (s *State) pki(name string) string { return filepath.Join(s.Dir, pkiDir, name) }

// authority is a CA that issues certificates.
type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// newAuthority makes a self-signed CA valid for a year and writes its certificate (and, when keyPath is
// not empty, its key).
func newAuthority(name, certPath, keyPath string) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	if err := writePEM(certPath, "CERTIFICATE", der); err != nil {
		return nil, err
	}
	if keyPath != "" {
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return nil, err
		}
		if err := writePEM(keyPath, "EC PRIVATE KEY", keyDER); err != nil {
			return nil, err
		}
	}
	return &authority{cert: cert, key: key}, nil
}

// loadAuthority reads a CA newAuthority wrote with its key.
func loadAuthority(certPath, keyPath string) (*authority, error) {
	certDER, err := readPEM(certPath)
	if err != nil {
		return nil, err
	}
	keyDER, err := readPEM(keyPath)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certPath, err)
	}
	key, err := x509.ParseECPrivateKey(keyDER)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	return &authority{cert: cert, key: key}, nil
}

// issue signs a leaf certificate from tmpl (valid for a year) and writes it and its key.
func (a *authority) issue(tmpl x509.Certificate, certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl.SerialNumber = serial()
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.AddDate(1, 0, 0)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := writePEM(certPath, "CERTIFICATE", der); err != nil {
		return err
	}
	return writePEM(keyPath, "EC PRIVATE KEY", keyDER)
}

// serial is a random certificate serial number, so that no two certificates of one CA share one.
func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n.Add(n, big.NewInt(1))
}

// writePKI creates the CA, the node agent's serving certificate (for ips) and the API server's client
// certificate.
func (s *State) writePKI(ips []net.IP) error {
	if err := os.MkdirAll(filepath.Join(s.Dir, pkiDir), 0o700); err != nil {
		return err
	}
	ca, err := newAuthority("zonesim-lab-ca", s.pki(caCert), "")
	if err != nil {
		return err
	}
	if err := ca.issue(x509.Certificate{Subject: pkix.Name{CommonName: s.Node}, IPAddresses: ips, DNSNames: []string{s.Node},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, s.pki(kubeletCert), s.pki(kubeletKey)); err != nil {
		return err
	}
	return ca.issue(x509.Certificate{Subject: pkix.Name{CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, s.pki(apiserverKubelet), s.pki(apiserverKubeletK))
}

// ExternalsCA is the file of the CA that signs the external endpoints' certificates.
func (s *State) ExternalsCA() string { return s.pki(externalsCACert) }

// externalCert issues the serving certificate of an external endpoint (its DNS names and address) and
// returns the files of the certificate and its key.
func (s *State) externalCert(id string, dnsNames []string, ip netip.Addr) (string, string, error) {
	if err := os.MkdirAll(filepath.Join(s.Dir, pkiDir), 0o700); err != nil {
		return "", "", err
	}
	ca, err := loadAuthority(s.pki(externalsCACert), s.pki(externalsCAKey))
	if errors.Is(err, os.ErrNotExist) {
		ca, err = newAuthority("zonesim-lab-externals-ca", s.pki(externalsCACert), s.pki(externalsCAKey))
	}
	if err != nil {
		return "", "", err
	}
	cert, key := s.pki("external-"+id+".crt"), s.pki("external-"+id+".key")
	name := ip.String()
	if len(dnsNames) > 0 {
		name = dnsNames[0]
	}
	err = ca.issue(x509.Certificate{Subject: pkix.Name{CommonName: name}, DNSNames: dnsNames, IPAddresses: []net.IP{ip.AsSlice()},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, cert, key)
	return cert, key, err
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}

func readPEM(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	return block.Bytes, nil
}
