package lab

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// The lab's own certificate authority secures the one connection no kubeconfig covers: the API server
// calling the node agent (exec). The node agent serves with a certificate for the node IP and accepts only
// the API server's client certificate, both signed by this CA.
const (
	pkiDir            = "pki"
	caCert            = "ca.crt"
	kubeletCert       = "kubelet.crt"
	kubeletKey        = "kubelet.key"
	apiserverKubelet  = "apiserver-kubelet-client.crt"
	apiserverKubeletK = "apiserver-kubelet-client.key"
)

func (s *State) pki(name string) string { return filepath.Join(s.Dir, pkiDir, name) }

// writePKI creates the CA, the node agent's serving certificate (for ips) and the API server's client
// certificate.
func (s *State) writePKI(ips []net.IP) error {
	if err := os.MkdirAll(filepath.Join(s.Dir, pkiDir), 0o700); err != nil {
		return err
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "zonesim-lab-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	if err := writePEM(s.pki(caCert), "CERTIFICATE", caDER); err != nil {
		return err
	}
	leaves := []struct {
		cert, key string
		tmpl      x509.Certificate
	}{
		{kubeletCert, kubeletKey, x509.Certificate{Subject: pkix.Name{CommonName: s.Node}, IPAddresses: ips,
			DNSNames: []string{s.Node}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}},
		{apiserverKubelet, apiserverKubeletK, x509.Certificate{Subject: pkix.Name{CommonName: "kube-apiserver-kubelet-client",
			Organization: []string{"system:masters"}}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}},
	}
	for i, l := range leaves {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl := l.tmpl
		tmpl.SerialNumber = big.NewInt(int64(i + 2))
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.AddDate(1, 0, 0)
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return err
		}
		if err := writePEM(s.pki(l.cert), "CERTIFICATE", der); err != nil {
			return err
		}
		if err := writePEM(s.pki(l.key), "EC PRIVATE KEY", keyDER); err != nil {
			return err
		}
	}
	return nil
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}
