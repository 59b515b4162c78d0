package result

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/pki"
)

// Signing keys. The platform runs its own certificate authority for
// electronic results (a stand-in for the Government's specialised CA, Ban
// Cơ yếu Chính phủ): one CA key, and one ECDSA P-256 key per issuing agency
// with a certificate from that CA. Keys and certificates are kept in the
// database (res_ca, res_signer), so a restart, or another node, signs with
// the same keys. They are stored unencrypted: a deployment that needs more
// keeps them in an HSM behind the same two functions.

// caName is the common name of the results CA.
const caName = "vngov CA ký số giấy tờ điện tử"

// oidDocumentSigning is id-kp-documentSigning (RFC 9336).
var oidDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

// signer is an agency's signing key and certificate.
type signer struct {
	agency string
	key    crypto.Signer
	cert   *x509.Certificate
}

// authority returns the results CA, creating it on first use.
func (s *Service) authority(ctx context.Context) (*pki.CA, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ca != nil {
		return s.ca, nil
	}
	load := func() (*pki.CA, error) {
		var certPEM, keyPEM string
		err := s.db.QueryRow(ctx, "SELECT cert_pem, key_pem FROM res_ca WHERE id = 1").Scan(&certPEM, &keyPEM)
		if err != nil {
			return nil, err
		}
		cert, err := pki.DecodeCert([]byte(certPEM))
		if err != nil {
			return nil, err
		}
		key, err := pki.DecodeKey([]byte(keyPEM))
		if err != nil {
			return nil, err
		}
		return &pki.CA{Cert: cert, Key: key}, nil
	}
	ca, err := load()
	if errors.Is(err, sql.ErrNoRows) {
		if err := s.createCA(ctx); err != nil {
			return nil, err
		}
		ca, err = load()
	}
	if err != nil {
		return nil, fmt.Errorf("result: CA: %w", err)
	}
	s.ca = ca
	return ca, nil
}

// createCA makes the CA and stores it. Two nodes starting together: the
// first insert wins, both read it.
func (s *Service) createCA(ctx context.Context) error {
	fresh, err := pki.NewCA(caName, 20*365*24*time.Hour)
	if err != nil {
		return err
	}
	keyPEM, err := pki.EncodeKey(fresh.Key)
	if err != nil {
		return err
	}
	if _, err := s.db.Exec(ctx, "INSERT INTO res_ca (id, cert_pem, key_pem, created_at) VALUES (1, ?, ?, ?) ON CONFLICT DO NOTHING",
		string(pki.EncodeCert(fresh.Cert)), string(keyPEM), s.now().UnixMicro()); err != nil {
		return fmt.Errorf("result: store CA: %w", err)
	}
	return nil
}

// signerFor returns agency's signer, creating its key and certificate on
// the agency's first document.
func (s *Service) signerFor(ctx context.Context, agency, agencyName string) (*signer, error) {
	if v, ok := s.signers.Load(agency); ok {
		return v.(*signer), nil
	}
	load := func() (*signer, error) {
		var certPEM, keyPEM string
		if err := s.db.QueryRow(ctx, "SELECT cert_pem, key_pem FROM res_signer WHERE agency = ?", agency).Scan(&certPEM, &keyPEM); err != nil {
			return nil, err
		}
		cert, err := pki.DecodeCert([]byte(certPEM))
		if err != nil {
			return nil, err
		}
		key, err := pki.DecodeKey([]byte(keyPEM))
		if err != nil {
			return nil, err
		}
		return &signer{agency: agency, key: key, cert: cert}, nil
	}
	sg, err := load()
	if errors.Is(err, sql.ErrNoRows) {
		if err := s.createSigner(ctx, agency, agencyName); err != nil {
			return nil, err
		}
		sg, err = load()
	}
	if err != nil {
		return nil, fmt.Errorf("result: signer of %s: %w", agency, err)
	}
	s.signers.Store(agency, sg)
	return sg, nil
}

// createSigner makes an agency's key and certificate and stores them; of
// two made at once, the first stored wins.
func (s *Service) createSigner(ctx context.Context, agency, agencyName string) error {
	ca, err := s.authority(ctx)
	if err != nil {
		return err
	}
	key, cert, err := issueSigningCert(ca, agency, agencyName, s.now())
	if err != nil {
		return err
	}
	keyPEM, err := pki.EncodeKey(key)
	if err != nil {
		return err
	}
	if _, err := s.db.Exec(ctx, "INSERT INTO res_signer (agency, cert_pem, key_pem, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
		agency, string(pki.EncodeCert(cert)), string(keyPEM), s.now().UnixMicro()); err != nil {
		return fmt.Errorf("result: store signer: %w", err)
	}
	return nil
}

// issueSigningCert makes an agency's key and a document-signing
// certificate for it: the agency's name and electronic identifier code in
// the subject, valid ten years.
func issueSigningCert(ca *pki.CA, agency, agencyName string, now time.Time) (crypto.Signer, *x509.Certificate, error) {
	key, err := pki.GenerateKey()
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	name := strings.TrimSpace(agencyName)
	if name == "" {
		name = agency
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{name}, SerialNumber: agency, Country: []string{"VN"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		UnknownExtKeyUsage:    []asn1.ObjectIdentifier{oidDocumentSigning},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("result: issue signing certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	return key, cert, err
}

// chains reports whether cert was issued by the CA and was valid at t.
func chains(ca, cert *x509.Certificate, t time.Time) error {
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	_, err := cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: t, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}

// caCert returns the CA certificate, for offline verification.
func (s *Service) caCert(ctx context.Context) (*x509.Certificate, error) {
	ca, err := s.authority(ctx)
	if err != nil {
		return nil, err
	}
	return ca.Cert, nil
}
