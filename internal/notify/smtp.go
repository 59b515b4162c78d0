package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"strings"
	"time"
)

// SMTPConfig says how to deliver email.
type SMTPConfig struct {
	// Addr is the server's host:port, e.g. "smtp.example.vn:587".
	Addr string
	// From is the sender, an address with an optional display name:
	// "Cổng dịch vụ công <khongtraloi@example.vn>".
	From string
	// Username and Password, when Username is set, authenticate with
	// AUTH PLAIN; net/smtp refuses to send them unencrypted except to
	// localhost.
	Username string
	Password string
	// RequireTLS refuses to deliver to a server that does not offer
	// STARTTLS. Without it, STARTTLS is used whenever it is offered.
	RequireTLS bool
	// TLS configures STARTTLS (e.g. RootCAs for a private authority);
	// nil means the system's roots, with ServerName the host of Addr.
	TLS *tls.Config
	// HeloName is the name given in EHLO; empty means the host name.
	HeloName string
	// Timeout bounds one delivery, from dialling to QUIT; 0 means 15 s.
	Timeout time.Duration
}

type smtpSender struct{ cfg SMTPConfig }

// NewSMTP returns a Sender that delivers email through the server of cfg,
// one connection per message. It sends only the Email channel.
func NewSMTP(cfg SMTPConfig) Sender { return &smtpSender{cfg: cfg} }

// Send delivers m as a plain-text UTF-8 email.
func (s *smtpSender) Send(ctx context.Context, m Message) (err error) {
	if m.Channel != Email {
		return fmt.Errorf("smtp: cannot send a %s message", m.Channel)
	}
	from, err := mail.ParseAddress(s.cfg.From)
	if err != nil {
		return fmt.Errorf("smtp: sender %q: %w", s.cfg.From, err)
	}
	host, _, err := net.SplitHostPort(s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp: address %q: %w", s.cfg.Addr, err)
	}
	msg, err := compose(from, m, time.Now())
	if err != nil {
		return err
	}

	timeout := s.cfg.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp: dial: %w", err)
	}
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	// net/smtp takes no context; closing the connection is how a cancel
	// reaches a conversation that is waiting on the server.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	helo := s.cfg.HeloName
	if helo == "" {
		if helo, _ = os.Hostname(); helo == "" {
			helo = "localhost"
		}
	}
	if err := c.Hello(helo); err != nil {
		return fmt.Errorf("smtp: EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		if s.cfg.TLS != nil {
			tc = s.cfg.TLS.Clone()
			if tc.ServerName == "" {
				tc.ServerName = host
			}
		}
		if err := c.StartTLS(tc); err != nil {
			return fmt.Errorf("smtp: STARTTLS: %w", err)
		}
	} else if s.cfg.RequireTLS {
		return errors.New("smtp: the server does not offer STARTTLS and TLS is required")
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, host)); err != nil {
			return fmt.Errorf("smtp: AUTH: %w", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fmt.Errorf("smtp: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: end of message: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("smtp: QUIT: %w", err)
	}
	return nil
}

// compose writes m as an RFC 5322 message: UTF-8 headers encoded per RFC
// 2047, the body as quoted-printable text so any server carries it.
func compose(from *mail.Address, m Message, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	domain := from.Address[strings.LastIndex(from.Address, "@")+1:]
	var id [12]byte
	rand.Read(id[:])
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", from.String())
	hdr("To", (&mail.Address{Address: m.To}).String())
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	hdr("Date", now.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+domain+">")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, fmt.Errorf("smtp: encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("smtp: encode body: %w", err)
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}
