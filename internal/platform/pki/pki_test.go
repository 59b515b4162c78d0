package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"
)

func TestCAIssueSignVerify(t *testing.T) {
	dir := t.TempDir()
	ca, err := LoadOrCreateCA(dir, "vngov test CA")
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateCA(dir, "ignored")
	if err != nil || !SameCert(ca.Cert, again.Cert) {
		t.Fatal("CA not reloaded from disk")
	}
	key, err := LoadOrCreateKey(filepath.Join(dir, "gw", "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	csr, _ := NewCSR(key, "VN-TEST/GOV/000.00.00.G22/gw1", []string{"127.0.0.1", "gw1.example"})
	cert, err := ca.Issue(csr, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyIssued(ca.Cert, cert, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := VerifyIssued(ca.Cert, cert, time.Now().Add(2*time.Hour)); err == nil {
		t.Fatal("expired certificate accepted")
	}
	sig, _ := Sign(key, []byte("batch root"))
	if Verify(cert, []byte("batch root"), sig) != nil || Verify(cert, []byte("batch rooT"), sig) == nil {
		t.Fatal("signature check")
	}
	other, _ := NewCA("other", time.Hour)
	if VerifyIssued(other.Cert, cert, time.Now()) == nil {
		t.Fatal("foreign CA accepted")
	}
	if _, err := ca.Issue([]byte("not a csr"), time.Hour); err == nil {
		t.Fatal("garbage CSR accepted")
	}
}

func TestTimestamp(t *testing.T) {
	ca, _ := NewCA("ca", time.Hour)
	k, c, _ := ca.IssueKeyPair("tsa", nil, time.Hour)
	tsa := NewTSA(k, c)
	tok, err := tsa.Stamp([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := MarshalTimestamp(tok)
	tok2, _ := UnmarshalTimestamp(b)
	if _, err := VerifyTimestamp(tok2, []byte("0123456789abcdef"), ca.Cert); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyTimestamp(tok2, []byte("other"), ca.Cert); err == nil {
		t.Fatal("wrong digest accepted")
	}
	tok2.Time = tok2.Time.Add(time.Second)
	if _, err := VerifyTimestamp(tok2, tok2.Digest, ca.Cert); err == nil {
		t.Fatal("altered time accepted")
	}
}

func TestMutualTLSPinsPeers(t *testing.T) {
	ca, _ := NewCA("ca", time.Hour)
	sk, sc, _ := ca.IssueKeyPair("server", []string{"127.0.0.1"}, time.Hour)
	ck, cc, _ := ca.IssueKeyPair("client", nil, time.Hour)
	xk, xc, _ := ca.IssueKeyPair("intruder", nil, time.Hour)
	pin := func(want *x509.Certificate) PeerCheck {
		return func(c *x509.Certificate) error {
			if !SameCert(c, want) {
				return errors.New("not the registered certificate")
			}
			return nil
		}
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", ServerTLS(KeyPair(sk, sc), pin(cc)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				c.(*tls.Conn).Handshake()
				c.Write([]byte("ok"))
				c.Close()
			}()
		}
	}()
	dial := func(key any, cert *x509.Certificate, serverPin *x509.Certificate) error {
		conn, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			return err
		}
		defer conn.Close()
		tc := tls.Client(conn, ClientTLS(tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}, pin(serverPin)))
		if err := tc.Handshake(); err != nil {
			return err
		}
		b, err := io.ReadAll(tc)
		if err != nil {
			return err
		}
		if string(b) != "ok" {
			return errors.New("no answer")
		}
		return nil
	}
	if err := dial(ck, cc, sc); err != nil {
		t.Fatalf("registered client refused: %v", err)
	}
	if err := dial(xk, xc, sc); err == nil {
		t.Fatal("unregistered client accepted")
	}
	if err := dial(ck, cc, xc); err == nil {
		t.Fatal("client accepted a server that is not the registered one")
	}
}
