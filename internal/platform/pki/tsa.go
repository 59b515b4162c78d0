package pki

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// Timestamp is a token by which a timestamping authority attests that a
// digest existed at a time. (A compact signed JSON token rather than RFC
// 3161 ASN.1; it serves the message log, which verifies it with the same
// package.)
type Timestamp struct {
	Digest    []byte    `json:"digest"`
	Time      time.Time `json:"time"`
	Serial    int64     `json:"serial"`
	Signature []byte    `json:"signature"`
	// Cert is the authority's certificate (DER), so a token can be checked
	// offline against the authority's CA.
	Cert []byte `json:"cert"`
}

func (t Timestamp) signedBytes() []byte {
	return []byte("vngov-tsa-v1\n" + string(t.Digest) + "\n" + t.Time.UTC().Format(time.RFC3339Nano) + "\n" + strconv.FormatInt(t.Serial, 10))
}

// TSA is a timestamping authority.
type TSA struct {
	key    crypto.Signer
	cert   *x509.Certificate
	serial atomic.Int64
	now    func() time.Time
}

// NewTSA returns an authority that signs with key, certified by cert.
func NewTSA(key crypto.Signer, cert *x509.Certificate) *TSA {
	t := &TSA{key: key, cert: cert, now: time.Now}
	t.serial.Store(time.Now().UnixNano())
	return t
}

// Stamp timestamps digest.
func (a *TSA) Stamp(digest []byte) (Timestamp, error) {
	if len(digest) == 0 || len(digest) > 64 {
		return Timestamp{}, errors.New("pki: timestamp: digest must be 1 to 64 bytes")
	}
	t := Timestamp{Digest: digest, Time: a.now().UTC(), Serial: a.serial.Add(1), Cert: a.cert.Raw}
	sig, err := Sign(a.key, t.signedBytes())
	if err != nil {
		return Timestamp{}, err
	}
	t.Signature = sig
	return t, nil
}

// VerifyTimestamp checks that tok covers digest and was signed by an
// authority certified by ca, and returns its time.
func VerifyTimestamp(tok Timestamp, digest []byte, ca *x509.Certificate) (time.Time, error) {
	if string(tok.Digest) != string(digest) {
		return time.Time{}, errors.New("pki: timestamp covers another digest")
	}
	cert, err := x509.ParseCertificate(tok.Cert)
	if err != nil {
		return time.Time{}, fmt.Errorf("pki: timestamp certificate: %w", err)
	}
	if err := VerifyIssued(ca, cert, tok.Time); err != nil {
		return time.Time{}, err
	}
	if err := Verify(cert, tok.signedBytes(), tok.Signature); err != nil {
		return time.Time{}, fmt.Errorf("pki: timestamp signature: %w", err)
	}
	return tok.Time, nil
}

// MarshalTimestamp and UnmarshalTimestamp give a token's stored form.
func MarshalTimestamp(t Timestamp) ([]byte, error) { return json.Marshal(t) }

// UnmarshalTimestamp parses a token's stored form.
func UnmarshalTimestamp(b []byte) (Timestamp, error) {
	var t Timestamp
	err := json.Unmarshal(b, &t)
	return t, err
}
