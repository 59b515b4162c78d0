// Package payment is the payment adapter (thanh toán trực tuyến): fees for
// dossiers paid through a payment service provider, a bank's or an
// e-wallet's gateway, with electronic receipts (biên lai điện tử) and a
// reconciliation report for each agency.
//
// A payment starts pending and carries the address of the provider's page
// where the payer pays. The payer's browser comes back to the portal
// afterwards, but that return proves nothing: only the provider's signed
// server-to-server notification (HMAC-SHA256 over timestamp and body,
// checked in constant time, refused when older than MaxSkew) changes a
// payment's state. States: pending → paid | failed | expired, and paid →
// refunded. Each change is one transaction holding the payment row, the
// accepted notification, the receipt number, the audit row and the
// payment.<status> outbox event, so a crash leaves the payment in its old
// or its new state and a notification that comes twice changes it once.
//
// The demo provider (DemoGateway) is a separate system in the same binary:
// its own pages, ledger and API, reached only over HTTP.
package payment

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the payment tables (pay_*), component "payment".
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// Payment states.
const (
	StatusPending  = "pending"  // chờ thanh toán
	StatusPaid     = "paid"     // đã thanh toán
	StatusFailed   = "failed"   // không thành công (declined or cancelled)
	StatusRefunded = "refunded" // đã hoàn tiền
	StatusExpired  = "expired"  // hết hạn thanh toán
)

var statusNames = map[string]string{
	StatusPending:  "Chờ thanh toán",
	StatusPaid:     "Đã thanh toán",
	StatusFailed:   "Không thành công",
	StatusRefunded: "Đã hoàn tiền",
	StatusExpired:  "Hết hạn thanh toán",
}

// StatusName is a state in Vietnamese.
func StatusName(s string) string { return statusNames[s] }

// EventPrefix starts the type of every event of this package:
// payment.paid, payment.failed, payment.expired, payment.refunded.
const EventPrefix = "payment."

// Request asks for a payment.
type Request struct {
	Ref         string `json:"ref"`         // what is paid for: the dossier code
	Agency      string `json:"agency"`      // the agency paid (the merchant), its electronic identifier code
	AgencyName  string `json:"agency_name"` // its name, as the payer sees it
	PayerID     string `json:"payer_id"`    // the payer's personal identification number, 12 digits
	PayerName   string `json:"payer_name"`  // the payer's full name
	Description string `json:"description"` // what the payer sees on the provider's page and the receipt
	Amount      int64  `json:"amount"`      // VND
	ReturnURL   string `json:"return_url"`  // where the provider sends the browser back
}

// Payment is one attempt to pay for a reference.
type Payment struct {
	ID          string     `json:"id"`
	Ref         string     `json:"ref"`
	Agency      string     `json:"agency"`
	AgencyName  string     `json:"agency_name"`
	PayerID     string     `json:"payer_id"`
	PayerName   string     `json:"payer_name"`
	Description string     `json:"description"`
	Amount      int64      `json:"amount"`
	Status      string     `json:"status"`
	StatusName  string     `json:"status_name"`
	Provider    string     `json:"provider"`
	ProviderTxn string     `json:"provider_txn,omitempty"` // the provider's transaction id, once it reported one
	PayURL      string     `json:"pay_url,omitempty"`      // the provider's page, while pending
	ReturnURL   string     `json:"return_url"`
	ReceiptNo   string     `json:"receipt_no,omitempty"` // once paid
	Reason      string     `json:"reason,omitempty"`     // why it failed or was refunded
	RefundID    string     `json:"refund_id,omitempty"`
	RefundedBy  string     `json:"refunded_by,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	PaidAt      *time.Time `json:"paid_at,omitempty"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"` // when it failed or expired
	RefundedAt  *time.Time `json:"refunded_at,omitempty"`
}

// DefaultTTL is how long a payment stays payable when the service is not
// told otherwise.
const DefaultTTL = 15 * time.Minute

// Service keeps payments.
type Service struct {
	db        *store.DB
	providers map[string]Provider
	provider  string // the one new payments use
	ttl       time.Duration
	now       func() time.Time
}

// New returns the service over db (with Migrations applied), paying
// through p (nil: payments are refused until SetProvider) and expiring
// pending payments after ttl (DefaultTTL when 0 or less).
func New(db *store.DB, p Provider, ttl time.Duration) *Service {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	s := &Service{db: db, providers: map[string]Provider{}, ttl: ttl, now: time.Now}
	if p != nil {
		s.SetProvider(p)
	}
	return s
}

// SetProvider makes p the provider of new payments; payments made through
// another provider before keep theirs. Call it while setting up.
func (s *Service) SetProvider(p Provider) {
	s.providers[p.Name()] = p
	s.provider = p.Name()
}

// TTL is how long a pending payment stays payable.
func (s *Service) TTL() time.Duration { return s.ttl }

// ---------------------------------------------------------------- reading

const columns = "id, ref, agency, agency_name, payer_id, payer_name, description, amount, status, provider, provider_txn, return_url, receipt_no, reason, refund_id, refunded_by, created_at, expires_at, paid_at, closed_at, refunded_at"

func micros(t time.Time) int64 { return t.UnixMicro() }

func nullTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.UnixMicro(v.Int64).UTC()
	return &t
}

func scan(row interface{ Scan(...any) error }) (Payment, error) {
	var p Payment
	var created, expires int64
	var paid, closed, refunded sql.NullInt64
	err := row.Scan(&p.ID, &p.Ref, &p.Agency, &p.AgencyName, &p.PayerID, &p.PayerName, &p.Description, &p.Amount, &p.Status, &p.Provider, &p.ProviderTxn,
		&p.ReturnURL, &p.ReceiptNo, &p.Reason, &p.RefundID, &p.RefundedBy, &created, &expires, &paid, &closed, &refunded)
	if err != nil {
		return p, err
	}
	p.CreatedAt, p.ExpiresAt = time.UnixMicro(created).UTC(), time.UnixMicro(expires).UTC()
	p.PaidAt, p.ClosedAt, p.RefundedAt = nullTime(paid), nullTime(closed), nullTime(refunded)
	p.StatusName = StatusName(p.Status)
	return p, nil
}

// decorate adds what is computed on reading: the pay URL while payable.
func (s *Service) decorate(p *Payment) {
	p.PayURL = ""
	if p.Status == StatusPending && s.now().Before(p.ExpiresAt) {
		if pr := s.providers[p.Provider]; pr != nil {
			p.PayURL, _ = pr.PayURL(*p)
		}
	}
}

func errNotFound(id string) error {
	return fault.NotFoundf("payment.not_found", "Không tìm thấy giao dịch thanh toán này", "there is no payment %q", id)
}

func load(ctx context.Context, q store.Querier, id string) (Payment, error) {
	p, err := scan(q.QueryRow(ctx, "SELECT "+columns+" FROM pay_payment WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, errNotFound(id)
	}
	if err != nil {
		return p, fault.Wrap(err, "payment: load "+id)
	}
	return p, nil
}

// Get returns the payment id, or a NotFound fault.
func (s *Service) Get(ctx context.Context, id string) (Payment, error) {
	p, err := load(ctx, s.db, id)
	if err != nil {
		return p, err
	}
	s.decorate(&p)
	return p, nil
}

// GetFor returns the payment id if payerID made it, and otherwise the
// NotFound fault of a payment that does not exist: the payer's own view.
func (s *Service) GetFor(ctx context.Context, id, payerID string) (Payment, error) {
	p, err := s.Get(ctx, id)
	if err == nil && p.PayerID != payerID {
		return Payment{}, errNotFound(id)
	}
	return p, err
}

// ForRef returns the payments for ref (a dossier code), oldest first.
func (s *Service) ForRef(ctx context.Context, ref string) ([]Payment, error) {
	return s.list(ctx, "WHERE ref = ? ORDER BY created_at, id", strings.TrimSpace(ref))
}

func (s *Service) list(ctx context.Context, where string, args ...any) ([]Payment, error) {
	rows, err := s.db.Query(ctx, "SELECT "+columns+" FROM pay_payment "+where, args...)
	if err != nil {
		return nil, fault.Wrap(err, "payment: list")
	}
	defer rows.Close()
	out := []Payment{}
	for rows.Next() {
		p, err := scan(rows)
		if err != nil {
			return nil, fault.Wrap(err, "payment: list")
		}
		s.decorate(&p)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fault.Wrap(err, "payment: list")
	}
	return out, nil
}

// Agencies returns the agencies that have payments, for the console's
// choice of agency.
func (s *Service) Agencies(ctx context.Context) ([]string, error) {
	rows, err := s.db.Query(ctx, "SELECT DISTINCT agency FROM pay_payment ORDER BY agency")
	if err != nil {
		return nil, fault.Wrap(err, "payment: agencies")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fault.Wrap(err, "payment: agencies")
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ---------------------------------------------------------------- start

// MaxAmount is the largest amount one payment may ask for (VND).
const MaxAmount = 1_000_000_000_000

var (
	personalIDRE = regexp.MustCompile(`^[0-9]{12}$`)
	refRE        = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

func fe(field, code, msg, detail string) fault.FieldError {
	return fault.FieldError{Field: field, Code: code, Message: msg, Detail: detail}
}

func (in *Request) check() error {
	in.Ref, in.Agency = strings.TrimSpace(in.Ref), strings.ToUpper(strings.TrimSpace(in.Agency))
	in.AgencyName, in.PayerID, in.PayerName = strings.TrimSpace(in.AgencyName), strings.TrimSpace(in.PayerID), strings.TrimSpace(in.PayerName)
	in.Description, in.ReturnURL = strings.TrimSpace(in.Description), strings.TrimSpace(in.ReturnURL)
	var fs []fault.FieldError
	if !refRE.MatchString(in.Ref) {
		fs = append(fs, fe("ref", "ref.format", "Mã hồ sơ cần thanh toán không hợp lệ", "ref must be 1 to 64 letters, digits, dots, hyphens or underscores"))
	}
	if !refRE.MatchString(in.Agency) {
		fs = append(fs, fe("agency", "agency.format", "Mã định danh của cơ quan thu không hợp lệ", "agency must be an agency code"))
	}
	if in.AgencyName == "" || utf8.RuneCountInString(in.AgencyName) > 255 {
		fs = append(fs, fe("agency_name", "agency_name.required", "Hãy ghi tên cơ quan thu (tối đa 255 ký tự)", "agency_name is required, at most 255 characters"))
	}
	if !personalIDRE.MatchString(in.PayerID) {
		fs = append(fs, fe("payer_id", "payer_id.format", "Số định danh cá nhân của người nộp phải gồm 12 chữ số", "payer_id must be 12 digits"))
	}
	if in.PayerName == "" || utf8.RuneCountInString(in.PayerName) > 255 {
		fs = append(fs, fe("payer_name", "payer_name.required", "Hãy ghi họ và tên người nộp (tối đa 255 ký tự)", "payer_name is required, at most 255 characters"))
	}
	if in.Description == "" || utf8.RuneCountInString(in.Description) > 255 {
		fs = append(fs, fe("description", "description.required", "Hãy ghi nội dung thu (tối đa 255 ký tự)", "description is required, at most 255 characters"))
	}
	if in.Amount <= 0 || in.Amount > MaxAmount {
		fs = append(fs, fe("amount", "amount.range", "Số tiền phải là số đồng lớn hơn 0", "amount must be 1 to 1e12 VND"))
	}
	if u, err := url.Parse(in.ReturnURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(in.ReturnURL) > 2000 {
		fs = append(fs, fe("return_url", "return_url.format", "Địa chỉ quay lại sau khi thanh toán không hợp lệ", "return_url must be an absolute http(s) URL"))
	}
	if len(fs) > 0 {
		return fault.Invalidf(fs, "invalid payment request")
	}
	return nil
}

// Start begins a payment for in.Ref, or returns the one pending for it:
// while a payment is pending (and not yet past its expiry), asking again
// with the same reference, agency, payer and amount returns that payment.
// A reference already paid is a Conflict fault; so is one whose pending
// payment differs from the request (wait for it to expire or finish).
func (s *Service) Start(ctx context.Context, in Request) (Payment, error) {
	if err := in.check(); err != nil {
		return Payment{}, err
	}
	pr := s.providers[s.provider]
	if pr == nil {
		return Payment{}, errNotConfigured
	}
	for attempt := 0; ; attempt++ {
		p, err := s.start(ctx, in, pr)
		// Two starts for one reference at once: the unique index lets one
		// insert; the other reads what it made.
		if err != nil && store.IsUniqueViolation(err) && attempt < 3 {
			continue
		}
		if err != nil {
			return p, err
		}
		s.decorate(&p)
		return p, nil
	}
}

func (s *Service) start(ctx context.Context, in Request, pr Provider) (Payment, error) {
	var out Payment
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		now := s.now()
		rows, err := tx.Query(ctx, "SELECT "+columns+" FROM pay_payment WHERE ref = ? AND status IN ('pending', 'paid')", in.Ref)
		if err != nil {
			return err
		}
		var open []Payment
		for rows.Next() {
			p, err := scan(rows)
			if err != nil {
				rows.Close()
				return err
			}
			open = append(open, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, p := range open {
			switch {
			case p.Status == StatusPaid:
				return fault.New(fault.Conflict, "payment.already_paid", "Hồ sơ "+in.Ref+" đã được thanh toán (biên lai số "+p.ReceiptNo+")", "ref "+in.Ref+" is already paid by payment "+p.ID)
			case !now.Before(p.ExpiresAt):
				if _, err := s.close(ctx, tx, p, StatusExpired, "", "Hết thời hạn thanh toán", now); err != nil {
					return err
				}
			case p.Amount != in.Amount || p.Agency != in.Agency || p.PayerID != in.PayerID:
				return fault.New(fault.Conflict, "payment.pending_differs",
					fmt.Sprintf("Đang có một giao dịch chờ thanh toán khác cho hồ sơ %s (%d đồng); hãy hoàn tất hoặc chờ giao dịch đó hết hạn lúc %s", in.Ref, p.Amount, p.ExpiresAt.In(ict).Format("15:04 02/01/2006")),
					"another pending payment for this ref differs in amount, agency or payer")
			default:
				out = p
				return nil
			}
		}
		p := Payment{ID: uuid.Must(uuid.NewV7()).String(), Ref: in.Ref, Agency: in.Agency, AgencyName: in.AgencyName, PayerID: in.PayerID, PayerName: in.PayerName,
			Description: in.Description, Amount: in.Amount, Status: StatusPending, StatusName: StatusName(StatusPending), Provider: pr.Name(), ReturnURL: in.ReturnURL,
			CreatedAt: now.UTC(), ExpiresAt: now.Add(s.ttl).UTC()}
		// A payment nobody could pay (no provider address or secret) is
		// not recorded at all.
		if _, err := pr.PayURL(p); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO pay_payment ("+columns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, '', '', '', '', ?, ?, NULL, NULL, NULL)",
			p.ID, p.Ref, p.Agency, p.AgencyName, p.PayerID, p.PayerName, p.Description, p.Amount, p.Status, p.Provider, p.ReturnURL, micros(p.CreatedAt), micros(p.ExpiresAt)); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Entry{Actor: p.PayerID, Action: "payment.start", Object: "payment/" + p.ID, Result: audit.OK,
			Detail: map[string]any{"ref": p.Ref, "agency": p.Agency, "amount": p.Amount, "provider": p.Provider}}); err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil && fault.As(err) == nil && !store.IsUniqueViolation(err) {
		return out, fault.Wrap(err, "payment: start")
	}
	return out, err
}

var ict = time.FixedZone("ICT", 7*3600)

// ---------------------------------------------------------------- events

// EventData is the data of every payment.* event.
type EventData struct {
	ID          string     `json:"id"`
	Ref         string     `json:"ref"`
	Agency      string     `json:"agency"`
	PayerID     string     `json:"payer_id"`
	Amount      int64      `json:"amount"`
	Status      string     `json:"status"`
	Provider    string     `json:"provider"`
	ProviderTxn string     `json:"provider_txn"`
	ReceiptNo   string     `json:"receipt_no,omitempty"`
	Online      bool       `json:"online"`
	PaidAt      *time.Time `json:"paid_at,omitempty"`
	FailedAt    *time.Time `json:"failed_at,omitempty"`
	ExpiredAt   *time.Time `json:"expired_at,omitempty"`
	RefundedAt  *time.Time `json:"refunded_at,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	RefundID    string     `json:"refund_id,omitempty"`
	By          string     `json:"by,omitempty"` // who refunded
}

// emit writes p's current state as its payment.<status> event inside tx.
func emit(ctx context.Context, tx store.Querier, p Payment, at time.Time) error {
	d := EventData{ID: p.ID, Ref: p.Ref, Agency: p.Agency, PayerID: p.PayerID, Amount: p.Amount, Status: p.Status, Provider: p.Provider,
		ProviderTxn: p.ProviderTxn, ReceiptNo: p.ReceiptNo, Online: true, PaidAt: p.PaidAt, Reason: p.Reason, RefundID: p.RefundID, By: p.RefundedBy}
	switch p.Status {
	case StatusFailed:
		d.FailedAt = p.ClosedAt
	case StatusExpired:
		d.ExpiredAt = p.ClosedAt
	case StatusRefunded:
		d.RefundedAt = p.RefundedAt
	}
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = bus.Emit(ctx, tx, bus.Event{Type: EventPrefix + p.Status, Source: "payment", Subject: p.Ref, Data: data, Time: at.UTC()})
	return err
}

// close moves pending p to failed or expired inside tx; it reports false
// when p was no longer pending.
func (s *Service) close(ctx context.Context, tx store.Querier, p Payment, status, txn, reason string, now time.Time) (bool, error) {
	res, err := tx.Exec(ctx, "UPDATE pay_payment SET status = ?, provider_txn = CASE WHEN ? <> '' THEN ? ELSE provider_txn END, reason = ?, closed_at = ? WHERE id = ? AND status = 'pending'",
		status, txn, txn, reason, micros(now), p.ID)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	p.Status, p.Reason = status, reason
	if txn != "" {
		p.ProviderTxn = txn
	}
	t := now.UTC()
	p.ClosedAt = &t
	if err := emit(ctx, tx, p, now); err != nil {
		return false, err
	}
	return true, audit.Record(ctx, tx, audit.Entry{Actor: "payment", Action: "payment." + status, Object: "payment/" + p.ID, Result: audit.OK,
		Detail: map[string]any{"ref": p.Ref, "reason": reason}})
}

// ---------------------------------------------------------------- expiry

// ExpireStale moves the pending payments past their expiry to expired, at
// most 500 at a time, and returns how many it moved.
func (s *Service) ExpireStale(ctx context.Context) (int, error) {
	now := s.now()
	stale, err := s.list(ctx, "WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT 500", micros(now))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range stale {
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			ok, err := s.close(ctx, tx, p, StatusExpired, "", "Hết thời hạn thanh toán", now)
			if ok {
				n++
			}
			return err
		})
		if err != nil {
			return n, fault.Wrap(err, "payment: expire "+p.ID)
		}
	}
	return n, nil
}

// ---------------------------------------------------------------- notifications

// Outcome says what a notification did.
type Outcome string

// The outcomes of an accepted notification.
const (
	Applied  Outcome = "applied"  // it changed the payment's state
	Replayed Outcome = "replayed" // it had been applied already; nothing changed
)

// Notify applies a provider's notification: verified (signature in
// constant time, freshness), matched against the payment it names (amount
// and merchant must agree), then applied once. A notification applied
// before, or one that reports what the payment already records, answers
// Replayed and changes nothing but the audit row it leaves. Every refusal
// is audited with its reason and leaves nothing written but the audit row. source is the caller's
// address, for the audit trail.
func (s *Service) Notify(ctx context.Context, provider string, n Notification, source string) (Payment, Outcome, error) {
	p, pid, out, err := s.notify(ctx, provider, n)
	if err != nil {
		f := fault.As(err)
		if f == nil || f.Kind == fault.Internal || f.Kind == fault.Unavailable {
			return p, out, err
		}
		result := audit.Invalid
		if f.Kind == fault.Unauthenticated {
			result = audit.Denied
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		audit.Record(actx, s.db, audit.Entry{Actor: "provider:" + provider, Action: "payment.callback", Object: "payment/" + pid, SourceIP: source, Result: result,
			Detail: map[string]any{"reason": f.Code, "message": f.Message, "digest": digest(n.Body)}})
		return p, out, err
	}
	if out == Replayed {
		audit.Record(ctx, s.db, audit.Entry{Actor: "provider:" + provider, Action: "payment.callback", Object: "payment/" + pid, SourceIP: source, Result: audit.OK,
			Detail: map[string]any{"outcome": string(out), "digest": digest(n.Body)}})
	}
	return p, out, nil
}

func (s *Service) notify(ctx context.Context, provider string, n Notification) (Payment, string, Outcome, error) {
	pr := s.providers[provider]
	if pr == nil {
		return Payment{}, "", "", fault.NotFoundf("payment.unknown_provider", "Không có cổng thanh toán này", "there is no provider %q", provider)
	}
	now := s.now()
	nt, err := pr.Verify(n, now)
	if err != nil {
		return Payment{}, "", "", err
	}
	sum := digest(n.Body)
	var out Payment
	var outcome Outcome
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		// Two passes at most: a concurrent notification may settle the
		// payment between reading it and the conditional update.
		for range 2 {
			p, err := load(ctx, tx, nt.PaymentID)
			if err != nil {
				return err
			}
			out = p
			if p.Provider != provider {
				return fault.New(fault.Conflict, "payment.other_provider", "Giao dịch này không thanh toán qua cổng "+provider, "the payment is not with provider "+provider)
			}
			if nt.Amount != p.Amount || !strings.EqualFold(nt.Merchant, p.Agency) {
				return fault.New(fault.Conflict, "payment.mismatch", "Số tiền hoặc đơn vị thụ hưởng trong thông báo không khớp với giao dịch; thông báo bị từ chối",
					fmt.Sprintf("the notice says %d VND to %s, the payment is %d VND to %s", nt.Amount, nt.Merchant, p.Amount, p.Agency))
			}
			var seen string
			err = tx.QueryRow(ctx, "SELECT result FROM pay_callback WHERE provider = ? AND digest = ?", provider, sum).Scan(&seen)
			if err == nil {
				outcome = Replayed
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			switch {
			case p.Status == StatusPending && nt.Result == ResultPaid:
				ok, err := s.markPaid(ctx, tx, &p, nt, now)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
			case p.Status == StatusPending && nt.Result == ResultFailed:
				ok, err := s.close(ctx, tx, p, StatusFailed, nt.Txn, failReason(nt.Reason), now)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				if p, err = load(ctx, tx, p.ID); err != nil {
					return err
				}
			case nt.Result == ResultFailed,
				p.ProviderTxn == nt.Txn && (p.Status == StatusPaid || p.Status == StatusRefunded):
				// What the payment already records, or a failed attempt
				// reported after it was settled: nothing to change.
				outcome = Replayed
				return nil
			case p.Status == StatusExpired:
				return fault.New(fault.Conflict, "payment.expired", "Giao dịch đã hết hạn thanh toán; khoản tiền này cần được cổng thanh toán hoàn lại",
					"the payment expired before the provider reported it paid")
			case p.Status == StatusFailed:
				return fault.New(fault.Conflict, "payment.failed", "Giao dịch đã được ghi nhận là không thành công; khoản tiền này cần được cổng thanh toán hoàn lại",
					"the payment was recorded as failed before the provider reported it paid")
			default:
				return fault.New(fault.Conflict, "payment.settled", "Giao dịch đã được thanh toán bằng một giao dịch khác của cổng thanh toán; thông báo bị từ chối",
					fmt.Sprintf("the payment is %s with transaction %q; the notice reports %s with %q", p.Status, p.ProviderTxn, nt.Result, nt.Txn))
			}
			if _, err := tx.Exec(ctx, "INSERT INTO pay_callback (provider, digest, payment_id, provider_txn, result, received_at) VALUES (?, ?, ?, ?, ?, ?)",
				provider, sum, p.ID, nt.Txn, nt.Result, micros(now)); err != nil {
				return err
			}
			out, outcome = p, Applied
			return nil
		}
		return fmt.Errorf("payment %s changed twice while a notification was applied", nt.PaymentID)
	})
	if err != nil {
		if fault.As(err) == nil {
			return out, nt.PaymentID, "", fault.Wrap(err, "payment: notification")
		}
		return out, nt.PaymentID, "", err
	}
	s.decorate(&out)
	return out, nt.PaymentID, outcome, nil
}

func failReason(r string) string {
	switch r {
	case "cancelled":
		return "Người nộp đã hủy giao dịch tại cổng thanh toán"
	case "declined":
		return "Ngân hàng từ chối giao dịch"
	case "":
		return "Giao dịch không thành công"
	}
	return r
}

// markPaid moves pending p to paid with the provider's transaction and a
// new receipt number, inside tx; false when p was no longer pending.
func (s *Service) markPaid(ctx context.Context, tx store.Querier, p *Payment, nt Notice, now time.Time) (bool, error) {
	paidAt := nt.At.UTC()
	if paidAt.IsZero() || paidAt.After(now) {
		paidAt = now.UTC()
	}
	res, err := tx.Exec(ctx, "UPDATE pay_payment SET status = 'paid', provider_txn = ?, paid_at = ? WHERE id = ? AND status = 'pending'", nt.Txn, micros(paidAt), p.ID)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	no, err := nextReceiptNo(ctx, tx, p.Agency, paidAt)
	if err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, "UPDATE pay_payment SET receipt_no = ? WHERE id = ?", no, p.ID); err != nil {
		return false, err
	}
	p.Status, p.StatusName, p.ProviderTxn, p.PaidAt, p.ReceiptNo = StatusPaid, StatusName(StatusPaid), nt.Txn, &paidAt, no
	if err := emit(ctx, tx, *p, now); err != nil {
		return false, err
	}
	return true, audit.Record(ctx, tx, audit.Entry{Actor: "provider:" + p.Provider, Action: "payment.paid", Object: "payment/" + p.ID, Result: audit.OK,
		Detail: map[string]any{"ref": p.Ref, "amount": p.Amount, "provider_txn": nt.Txn, "receipt_no": no}})
}

// ---------------------------------------------------------------- refunds

// Refund returns a paid payment's money through its provider and records
// it (payment.refunded). reason is required; by is the official, for the
// record. Refunding a refunded payment returns it unchanged.
func (s *Service) Refund(ctx context.Context, id, reason, by string) (Payment, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return Payment{}, fault.Invalidf([]fault.FieldError{fe("reason", "reason.required", "Hãy ghi lý do hoàn tiền (tối đa 500 ký tự)", "reason is required, at most 500 characters")}, "reason required")
	}
	p, err := load(ctx, s.db, id)
	if err != nil {
		return p, err
	}
	switch p.Status {
	case StatusRefunded:
		s.decorate(&p)
		return p, nil
	case StatusPaid:
	default:
		return p, fault.New(fault.Conflict, "payment.not_paid", "Chỉ hoàn tiền được cho giao dịch đã thanh toán; giao dịch này đang ở trạng thái “"+StatusName(p.Status)+"”",
			"only a paid payment can be refunded; this one is "+p.Status)
	}
	pr := s.providers[p.Provider]
	if pr == nil {
		return p, errNotConfigured
	}
	refundID, err := pr.Refund(ctx, p, reason)
	if err != nil {
		return p, err
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		now := s.now()
		res, err := tx.Exec(ctx, "UPDATE pay_payment SET status = 'refunded', reason = ?, refund_id = ?, refunded_by = ?, refunded_at = ? WHERE id = ? AND status = 'paid'",
			reason, refundID, by, micros(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			p, err = load(ctx, tx, id)
			return err
		}
		t := now.UTC()
		p.Status, p.StatusName, p.Reason, p.RefundID, p.RefundedBy, p.RefundedAt = StatusRefunded, StatusName(StatusRefunded), reason, refundID, by, &t
		if err := emit(ctx, tx, p, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: by, Action: "payment.refund", Object: "payment/" + id, Result: audit.OK,
			Detail: map[string]any{"ref": p.Ref, "amount": p.Amount, "refund_id": refundID, "reason": reason}})
	})
	if err != nil {
		return p, fault.Wrap(err, "payment: refund "+id)
	}
	s.decorate(&p)
	return p, nil
}
