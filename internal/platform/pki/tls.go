package pki

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// KeyPair turns a key and its certificate into a tls.Certificate.
func KeyPair(key crypto.Signer, cert *x509.Certificate) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}

// PeerCheck decides whether a peer's certificate is acceptable; it returns
// an error naming why not.
type PeerCheck func(cert *x509.Certificate) error

// ServerTLS returns a TLS 1.3 server configuration that demands a client
// certificate and accepts only those check approves. Chains are not built:
// the exchange pins each gateway's exact certificate, which its global
// configuration lists.
func ServerTLS(own tls.Certificate, check PeerCheck) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{own},
		ClientAuth:   tls.RequireAnyClientCert,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			return checkRaw(raw, check)
		},
	}
}

// ClientTLS returns a TLS 1.3 client configuration that presents own and
// accepts only a server certificate check approves.
func ClientTLS(own tls.Certificate, check PeerCheck) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{own},
		InsecureSkipVerify: true, // replaced by the pinning check below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			return checkRaw(raw, check)
		},
	}
}

func checkRaw(raw [][]byte, check PeerCheck) error {
	if len(raw) == 0 {
		return errors.New("pki: peer sent no certificate")
	}
	cert, err := x509.ParseCertificate(raw[0])
	if err != nil {
		return fmt.Errorf("pki: peer certificate: %w", err)
	}
	now := time.Now()
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return fmt.Errorf("pki: peer certificate %s expired or not yet valid", cert.Subject.CommonName)
	}
	return check(cert)
}
