package notify

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// fakeSMTP is just enough of an SMTP server to receive one message per
// connection: EHLO, optional STARTTLS and AUTH PLAIN, MAIL, RCPT, DATA.
type fakeSMTP struct {
	addr     string
	tls      *tls.Config // offered with STARTTLS when set
	rejectTo string      // RCPT TO this address gets 550

	mu       sync.Mutex
	from, to []string
	data     []string
	auth     []string
	usedTLS  []bool
}

func startSMTP(t *testing.T, srv *fakeSMTP) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	srv.addr = ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go srv.serve(c)
		}
	}()
	return srv
}

func (s *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewConn(c)
	secure := false
	tp.PrintfLine("220 fake ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			ext := []string{"250-fake", "250-AUTH PLAIN"}
			if s.tls != nil && !secure {
				ext = append(ext, "250-STARTTLS")
			}
			for _, e := range ext {
				tp.PrintfLine("%s", e)
			}
			tp.PrintfLine("250 8BITMIME")
		case "STARTTLS":
			tp.PrintfLine("220 go ahead")
			tc := tls.Server(c, s.tls)
			if tc.Handshake() != nil {
				return
			}
			c, secure = tc, true
			tp = textproto.NewConn(tc)
		case "AUTH":
			s.mu.Lock()
			b, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(arg, "PLAIN "))
			s.auth = append(s.auth, string(b))
			s.mu.Unlock()
			tp.PrintfLine("235 ok")
		case "MAIL":
			s.mu.Lock()
			s.from = append(s.from, arg)
			s.mu.Unlock()
			tp.PrintfLine("250 ok")
		case "RCPT":
			if s.rejectTo != "" && strings.Contains(arg, s.rejectTo) {
				tp.PrintfLine("550 no such mailbox")
				continue
			}
			s.mu.Lock()
			s.to = append(s.to, arg)
			s.mu.Unlock()
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go on")
			b, err := io.ReadAll(tp.DotReader())
			if err != nil {
				return
			}
			s.mu.Lock()
			s.data = append(s.data, string(b))
			s.usedTLS = append(s.usedTLS, secure)
			s.mu.Unlock()
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 not implemented")
		}
	}
}

// selfSigned returns a server config and a client pool for 127.0.0.1.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

func TestSMTPDelivery(t *testing.T) {
	serverTLS, pool := selfSigned(t)
	srv := startSMTP(t, &fakeSMTP{tls: serverTLS})
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db, &SMTPConfig{
			Addr: srv.addr, From: "Cổng dịch vụ công <khongtraloi@example.vn>",
			Username: "vngov", Password: "bí mật", RequireTLS: true,
			TLS: &tls.Config{RootCAs: pool},
		})
		body := "Xin chào Nguyễn Văn A,\n\nMã xác thực của bạn là 123456.\n.\nMột dòng bắt đầu bằng dấu chấm ở trên."
		if err := s.Send(ctx, Message{Channel: Email, To: "nguyen.van.a@example.vn", Subject: "Mã xác thực đăng nhập", Body: body}); err != nil {
			t.Fatal(err)
		}
		srv.mu.Lock()
		raw, secure, auth := srv.data[len(srv.data)-1], srv.usedTLS[len(srv.usedTLS)-1], srv.auth[len(srv.auth)-1]
		from, to := srv.from[len(srv.from)-1], srv.to[len(srv.to)-1]
		srv.mu.Unlock()
		if !secure {
			t.Fatal("delivered without STARTTLS")
		}
		if auth != "\x00vngov\x00bí mật" {
			t.Fatalf("AUTH PLAIN %q", auth)
		}
		if !strings.HasPrefix(from, "FROM:<khongtraloi@example.vn>") || !strings.HasPrefix(to, "TO:<nguyen.van.a@example.vn>") {
			t.Fatalf("envelope %q %q", from, to)
		}
		msg, err := mail.ReadMessage(strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if subj != "Mã xác thực đăng nhập" {
			t.Fatalf("Subject %q", subj)
		}
		if a, err := msg.Header.AddressList("From"); err != nil || a[0].Name != "Cổng dịch vụ công" {
			t.Fatalf("From %v %v", a, err)
		}
		if msg.Header.Get("Content-Type") != "text/plain; charset=utf-8" || msg.Header.Get("Message-ID") == "" || msg.Header.Get("Date") == "" {
			t.Fatalf("headers %v", msg.Header)
		}
		b, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if got := strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"); got != body {
			t.Fatalf("body %q", got)
		}
		ms, _ := s.List(ctx, "nguyen.van.a@example.vn", 1, 0)
		if len(ms) != 1 || ms[0].SentAt == nil || ms[0].Error != "" {
			t.Fatalf("stored %+v", ms)
		}
		// SMS has no gateway: stored, not mailed.
		n := len(srv.data)
		if err := s.Send(ctx, Message{Channel: SMS, To: "0912345678", Body: "Ma 1"}); err != nil || len(srv.data) != n {
			t.Fatalf("SMS: %v", err)
		}
	})
}

func TestSMTPFailures(t *testing.T) {
	ctx := context.Background()
	srv := startSMTP(t, &fakeSMTP{rejectTo: "ghost@example.vn"})
	s := newService(t, storetest.OpenSQLite(t), &SMTPConfig{Addr: srv.addr, From: "khongtraloi@example.vn"})

	err := s.Send(ctx, Message{Channel: Email, To: "ghost@example.vn", Subject: "s", Body: "b"})
	if f := fault.As(err); f == nil || f.Kind != fault.Unavailable || !strings.Contains(err.Error(), "550") {
		t.Fatalf("rejected recipient: %v", err)
	}
	ms, _ := s.List(ctx, "ghost@example.vn", 1, 0)
	if len(ms) != 1 || ms[0].SentAt != nil || !strings.Contains(ms[0].Error, "550") {
		t.Fatalf("stored %+v", ms)
	}
	// Plain SMTP works when TLS is not required...
	if err := s.Send(ctx, Message{Channel: Email, To: "a@example.vn", Subject: "s", Body: "b"}); err != nil {
		t.Fatal(err)
	}
	// ...and is refused when it is.
	strict := newService(t, storetest.OpenSQLite(t), &SMTPConfig{Addr: srv.addr, From: "khongtraloi@example.vn", RequireTLS: true})
	if err := strict.Send(ctx, Message{Channel: Email, To: "a@example.vn", Subject: "s", Body: "b"}); !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("RequireTLS: %v", err)
	}
	// A server that is not there.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	down := newService(t, storetest.OpenSQLite(t), &SMTPConfig{Addr: addr, From: "khongtraloi@example.vn", Timeout: 2 * time.Second})
	if err := down.Send(ctx, Message{Channel: Email, To: "a@example.vn", Subject: "s", Body: "b"}); !fault.Is(err, fault.Unavailable) {
		t.Fatalf("server down: %v", err)
	}
	// A server that never answers: the timeout ends the wait.
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	t.Cleanup(func() { silent.Close() })
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				bufio.NewReader(c).ReadString('\n')
			}()
		}
	}()
	slow := newService(t, storetest.OpenSQLite(t), &SMTPConfig{Addr: silent.Addr().String(), From: "khongtraloi@example.vn", Timeout: 300 * time.Millisecond})
	start := time.Now()
	if err := slow.Send(ctx, Message{Channel: Email, To: "a@example.vn", Subject: "s", Body: "b"}); !fault.Is(err, fault.Unavailable) || time.Since(start) > 5*time.Second {
		t.Fatalf("silent server: %v after %v", err, time.Since(start))
	}
}
