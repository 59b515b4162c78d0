// Package notify sends the platform's emails and text messages (SMS). Every
// message is first stored (the outbox, and in the demo the mailbox pages
// where people read what "their" phone or inbox received), then handed to
// the gateway of its channel, if there is one: SMTP for email when
// configured. No SMS gateway ships with vngov: an adapter for a provider
// (an SMS brandname service of a telecom operator) implements Sender and
// is plugged in with SetGateway.
package notify

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the table of messages, notify_message; migrate them as
// component "notify".
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// The channels a message can go by.
const (
	Email = "email"
	SMS   = "sms"
)

// MaxBody is the largest body Send accepts, in bytes.
const MaxBody = 100_000

// Message is one email or text message.
type Message struct {
	Channel  string `json:"channel"`  // Email or SMS
	To       string `json:"to"`       // an email address, or a phone number
	Subject  string `json:"subject"`  // required for email, unused for SMS
	Body     string `json:"body"`     // plain text
	Template string `json:"template"` // the name of the template it was made from, for the record; optional
}

// Sender sends messages. Service is one; so is each gateway behind it.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Stored is a message as the outbox keeps it.
type Stored struct {
	ID int64 `json:"id"`
	Message
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"` // when a gateway accepted it; nil when stored only
	Error     string     `json:"error,omitempty"`   // why the gateway refused it
}

// Service stores and sends messages.
type Service struct {
	db       *store.DB
	gateways map[string]Sender
	now      func() time.Time
}

var _ Sender = (*Service)(nil)

// New returns the service, storing messages in db (which must have
// Migrations applied). With smtp non-nil and its Addr set, emails are
// also delivered through that server; otherwise they are only stored.
func New(db *store.DB, smtp *SMTPConfig) *Service {
	s := &Service{db: db, gateways: map[string]Sender{}, now: time.Now}
	if smtp != nil && smtp.Addr != "" {
		s.gateways[Email] = NewSMTP(*smtp)
	}
	return s
}

// SetGateway makes g deliver the messages of channel after they are
// stored, replacing any gateway it had (nil removes it). Call it while
// setting up, before the first Send.
func (s *Service) SetGateway(channel string, g Sender) {
	if g == nil {
		delete(s.gateways, channel)
		return
	}
	s.gateways[channel] = g
}

// Send stores m and, when its channel has a gateway, delivers it and
// records the outcome. A message that is stored but that the gateway
// refused is an Unavailable fault: the caller can tell the person that
// the code or letter did not go out.
func (s *Service) Send(ctx context.Context, m Message) error {
	m, err := check(m)
	if err != nil {
		return err
	}
	var id int64
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		// Send delivers the message itself, now: it never waits in the
		// delivery queue (attempted_at is set).
		now := s.now().UnixMilli()
		return tx.QueryRow(ctx, `INSERT INTO notify_message (channel, recipient, subject, body, template, created_at, error, attempted_at)
			VALUES (?, ?, ?, ?, ?, ?, '', ?) RETURNING id`,
			m.Channel, m.To, m.Subject, m.Body, m.Template, now, now).Scan(&id)
	})
	if err != nil {
		return fault.Wrap(err, "notify: store message")
	}
	g := s.gateways[m.Channel]
	if g == nil {
		return nil
	}
	if serr := g.Send(ctx, m); serr != nil {
		_, err := s.db.Exec(context.WithoutCancel(ctx), "UPDATE notify_message SET error = ? WHERE id = ?", serr.Error(), id)
		f := fault.New(fault.Unavailable, "notify.not_delivered", notDelivered[m.Channel], "deliver "+m.Channel+" message")
		f.Cause = errors.Join(serr, err)
		return f
	}
	if _, err := s.db.Exec(context.WithoutCancel(ctx), "UPDATE notify_message SET sent_at = ? WHERE id = ?", s.now().UnixMilli(), id); err != nil {
		return fault.Wrap(err, "notify: record delivery")
	}
	return nil
}

var notDelivered = map[string]string{
	Email: "Chưa gửi được thư điện tử, vui lòng thử lại sau.",
	SMS:   "Chưa gửi được tin nhắn SMS, vui lòng thử lại sau.",
}

var phone = regexp.MustCompile(`^\+?[0-9]{6,15}$`)

// normalizeTo trims an address and writes a phone number as digits only
// (with a leading + kept), so "0912 345 678" and "0912.345.678" are one
// recipient.
func normalizeTo(to string) string {
	to = strings.TrimSpace(to)
	if strings.Contains(to, "@") {
		return to
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-', '(', ')':
			return -1
		}
		return r
	}, to)
}

// check validates m and returns it with its recipient normalized.
func check(m Message) (Message, error) {
	var fields []fault.FieldError
	bad := func(field, code, msg, detail string) {
		fields = append(fields, fault.FieldError{Field: field, Code: code, Message: msg, Detail: detail})
	}
	m.To = normalizeTo(m.To)
	switch m.Channel {
	case Email:
		if a, err := mail.ParseAddress(m.To); err != nil || a.Address != m.To {
			bad("to", "email", "Địa chỉ thư điện tử người nhận không hợp lệ.", "to must be a bare email address")
		}
		if strings.TrimSpace(m.Subject) == "" {
			bad("subject", "required", "Thư điện tử cần có tiêu đề.", "an email needs a subject")
		}
	case SMS:
		if !phone.MatchString(m.To) {
			bad("to", "phone", "Số điện thoại người nhận không hợp lệ.", "to must be a phone number")
		}
	default:
		bad("channel", "channel", "Kênh gửi phải là thư điện tử hoặc SMS.", `channel must be "email" or "sms"`)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		bad("subject", "line_break", "Tiêu đề không được xuống dòng.", "the subject must be one line")
	}
	switch {
	case strings.TrimSpace(m.Body) == "":
		bad("body", "required", "Nội dung không được để trống.", "the body is empty")
	case len(m.Body) > MaxBody:
		bad("body", "too_long", "Nội dung quá dài.", "the body is over 100,000 bytes")
	case !utf8.ValidString(m.Body) || !utf8.ValidString(m.Subject):
		bad("body", "encoding", "Nội dung phải là văn bản UTF-8.", "the subject and body must be UTF-8")
	}
	if len(fields) > 0 {
		return m, fault.Invalidf(fields, "invalid message")
	}
	return m, nil
}

// DefaultLimit is the page size List uses for a limit of 0 or less;
// MaxLimit is the largest it allows.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

const columns = "id, channel, recipient, subject, body, template, created_at, sent_at, error"

// List returns stored messages, newest first, limit of them after skipping
// offset. With to non-empty, only those to that recipient (an email
// address in any case, or a phone number written with or without spaces).
func (s *Service) List(ctx context.Context, to string, limit, offset int) ([]Stored, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit, offset = min(limit, MaxLimit), max(offset, 0)
	q, args := "SELECT "+columns+" FROM notify_message", []any{}
	if to = normalizeTo(to); to != "" {
		q += " WHERE lower(recipient) = ?"
		args = append(args, strings.ToLower(to))
	}
	q += " ORDER BY id DESC LIMIT ? OFFSET ?"
	rows, err := s.db.Query(ctx, q, append(args, limit, offset)...)
	if err != nil {
		return nil, fault.Wrap(err, "notify: list messages")
	}
	defer rows.Close()
	out := []Stored{}
	for rows.Next() {
		m, err := scan(rows)
		if err != nil {
			return nil, fault.Wrap(err, "notify: list messages")
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fault.Wrap(err, "notify: list messages")
	}
	return out, nil
}

// Get returns the stored message id, or a NotFound fault.
func (s *Service) Get(ctx context.Context, id int64) (Stored, error) {
	m, err := scan(s.db.QueryRow(ctx, "SELECT "+columns+" FROM notify_message WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, fault.NotFoundf("notify.message_not_found", "Không tìm thấy thư hoặc tin nhắn này.", "there is no message %d", id)
	}
	if err != nil {
		return m, fault.Wrap(err, "notify: get message")
	}
	return m, nil
}

func scan(row interface{ Scan(...any) error }) (Stored, error) {
	var m Stored
	var created int64
	var sent sql.NullInt64
	if err := row.Scan(&m.ID, &m.Channel, &m.To, &m.Subject, &m.Body, &m.Template, &created, &sent, &m.Error); err != nil {
		return m, err
	}
	m.CreatedAt = time.UnixMilli(created)
	if sent.Valid {
		t := time.UnixMilli(sent.Int64)
		m.SentAt = &t
	}
	return m, nil
}
