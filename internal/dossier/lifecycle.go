package dossier

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/procedure"
)

// feeAmount is what a fee costs on a channel: the online amount, when the
// procedure sets one, for dossiers filed online.
func feeAmount(f procedure.Fee, ch Channel) int64 {
	if ch == ChannelOnline && f.Online != nil {
		return *f.Online
	}
	return f.Amount
}

// feesDue is the total a dossier filed on ch owes.
func feesDue(pi *procInfo, ch Channel) int64 {
	var sum int64
	for _, f := range pi.p.Fees {
		sum += feeAmount(f, ch)
	}
	return sum
}

// Payment is a payment the payment adapter reports for a dossier.
type Payment struct {
	ID        string    `json:"id"`  // the adapter's payment id
	Ref       string    `json:"ref"` // the dossier code
	Amount    int64     `json:"amount"`
	PaidAt    time.Time `json:"paid_at"`
	Provider  string    `json:"provider"`
	ReceiptNo string    `json:"receipt_no"`
}

// Paid records an online payment of a dossier's fees. A dossier waiting
// for its fee (status 6) then goes to the desk (status 1): its clock
// starts again and the appointment moves by the working days it waited.
// A payment already recorded changes nothing (the adapter's events come
// at least once); one short of the fees owed is refused.
func (s *Service) Paid(ctx context.Context, p Payment) (Dossier, error) {
	var out Dossier
	err := s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := s.load(ctx, tx, p.Ref)
		if err != nil {
			return err
		}
		var owed int64
		var already int
		if err := tx.QueryRow(ctx, "SELECT COALESCE(SUM(CASE WHEN paid = 0 THEN amount ELSE 0 END), 0), COUNT(CASE WHEN payment_ref = ? THEN 1 END) FROM dos_fee WHERE code = ?", p.ID, p.Ref).Scan(&owed, &already); err != nil {
			return fmt.Errorf("dossier: fees of %s: %w", p.Ref, err)
		}
		if already > 0 || owed == 0 {
			out = r.Dossier
			return nil
		}
		if p.Amount < owed {
			return fault.New(fault.Conflict, "dossier.payment_short",
				fmt.Sprintf("Số tiền đã nộp (%d đồng) ít hơn số phí, lệ phí phải nộp (%d đồng)", p.Amount, owed),
				fmt.Sprintf("paid %d, owed %d", p.Amount, owed))
		}
		now := s.now().In(s.cal.Location())
		if _, err := tx.Exec(ctx, "UPDATE dos_fee SET paid = 1, paid_at = ?, online = 1, payment_ref = ? WHERE code = ? AND paid = 0", micros(p.PaidAt), p.ID, p.Ref); err != nil {
			return fmt.Errorf("dossier: mark fees paid: %w", err)
		}
		c := &change{next: r.Dossier, resume: r.resume}
		n := &c.next
		to := r.Status
		if r.Status == StatusPayment {
			if r.PausedSince != nil {
				paused := max(0, s.cal.WorkingDaysBetween(*r.PausedSince, now))
				n.DueAt = s.cal.AddWorkingDays(r.DueAt, paused)
				n.StepDueAt = s.cal.AddWorkingDays(r.StepDueAt, paused)
				n.PausedDays += paused
				n.PausedSince = nil
			}
			to = r.resume
			if to == 0 {
				to = StatusNew
			}
			n.Status = to
			pi, err := s.proc(ctx, r.Procedure, r.ProcedureVersion)
			if err != nil {
				return err
			}
			n.Role = pi.step(r.Step).Role
		}
		note := fmt.Sprintf("Đã nộp %d đồng phí, lệ phí trực tuyến", p.Amount)
		if p.ReceiptNo != "" {
			note += "; biên lai số " + p.ReceiptNo
		}
		c.rows = []histRow{{actor: r.Applicant.ID, role: "applicant", action: ActionPaid, fromStep: r.Step, toStep: r.Step, from: r.Status, to: to, note: note}}
		if err := s.apply(ctx, tx, r, c, ActionPaid, now); err != nil {
			return err
		}
		out = c.next
		return nil
	})
	if err != nil {
		return Dossier{}, err
	}
	s.decorate(ctx, &out)
	return out, nil
}

// ConsumePayments subscribes the engine to the payment adapter's
// payment.paid events (at least once; Paid is idempotent).
func (s *Service) ConsumePayments(ctx context.Context, b *bus.Bus) (*bus.Subscription, error) {
	return b.Subscribe(ctx, "dossier-payments", "payment.paid", func(ctx context.Context, ev bus.Event) error {
		var p Payment
		if err := json.Unmarshal(ev.Data, &p); err != nil || p.Ref == "" || p.ID == "" {
			return nil // not ours to retry: a malformed event stays malformed
		}
		if p.PaidAt.IsZero() {
			p.PaidAt = ev.Time
		}
		_, err := s.Paid(ctx, p)
		if fault.Is(err, fault.NotFound) || fault.Is(err, fault.Conflict) {
			return nil // a payment for something else, or short: the reconciliation report shows it
		}
		return err
	})
}

// Ratings.
const (
	RatingVerySatisfied = 1 // rất hài lòng
	RatingSatisfied     = 2 // hài lòng
	RatingNotSatisfied  = 3 // không hài lòng
)

var ratingNames = map[int]string{RatingVerySatisfied: "Rất hài lòng", RatingSatisfied: "Hài lòng", RatingNotSatisfied: "Không hài lòng"}

// RatingName is a rating in Vietnamese.
func RatingName(r int) string { return ratingNames[r] }

// Rate records the applicant's rating of the service once the dossier is
// finished: 1 very satisfied, 2 satisfied, 3 not satisfied (with the
// reason). A dossier is rated once.
func (s *Service) Rate(ctx context.Context, applicantID, code string, rating int, reason string) (Dossier, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case rating < RatingVerySatisfied || rating > RatingNotSatisfied:
		return Dossier{}, fault.Invalidf([]fault.FieldError{fe("rating", "rating.value", "Hãy chọn một mức đánh giá: rất hài lòng, hài lòng hoặc không hài lòng", "rating must be 1, 2 or 3")}, "bad rating")
	case rating == RatingNotSatisfied && reason == "":
		return Dossier{}, fault.Invalidf([]fault.FieldError{fe("reason", "reason.required", "Hãy cho biết lý do không hài lòng để cơ quan khắc phục", "a reason is required with 'not satisfied'")}, "reason required")
	case utf8.RuneCountInString(reason) > 1000:
		return Dossier{}, fault.Invalidf([]fault.FieldError{fe("reason", "reason.length", "Lý do dài quá 1.000 ký tự", "the reason takes at most 1000 characters")}, "reason too long")
	}
	var out Dossier
	err := s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := s.load(ctx, tx, code)
		if err != nil {
			return err
		}
		if r.Applicant.ID != applicantID {
			return notFound(code)
		}
		if !r.Status.Final() || r.Status == StatusWithdrawn {
			return fault.New(fault.Conflict, "dossier.not_finished", "Chỉ đánh giá được khi hồ sơ đã có kết quả", "a dossier is rated once it is finished")
		}
		var prev int
		if err := tx.QueryRow(ctx, "SELECT rating FROM dos_dossier WHERE code = ?", code).Scan(&prev); err != nil {
			return err
		}
		if prev != 0 {
			return fault.New(fault.Conflict, "dossier.already_rated", "Bạn đã đánh giá hồ sơ này ("+RatingName(prev)+")", "the dossier is already rated")
		}
		now := s.now().In(s.cal.Location())
		if _, err := tx.Exec(ctx, "UPDATE dos_dossier SET rating = ?, rating_reason = ?, rated_at = ? WHERE code = ?", rating, reason, micros(now), code); err != nil {
			return fmt.Errorf("dossier: rate: %w", err)
		}
		note := RatingName(rating)
		if reason != "" {
			note += ": " + reason
		}
		c := &change{next: r.Dossier, resume: r.resume}
		c.rows = []histRow{{actor: applicantID, role: "applicant", action: ActionRate, fromStep: r.Step, toStep: r.Step, from: r.Status, to: r.Status, note: note}}
		if err := s.apply(ctx, tx, r, c, ActionRate, now); err != nil {
			return err
		}
		out = c.next
		out.Rating, out.RatingReason, out.RatedAt = rating, reason, &now
		return nil
	})
	if err != nil {
		return Dossier{}, err
	}
	s.decorate(ctx, &out)
	return out, nil
}

// DeliverElectronic returns a processed dossier's result electronically:
// the signed result uri is recorded on the dossier's result and the
// dossier moves from processed (9) to result returned (10). Delivering the
// same uri again changes nothing.
func (s *Service) DeliverElectronic(ctx context.Context, code, uri string) (Dossier, error) {
	uri = strings.TrimSpace(uri)
	if uri == "" {
		return Dossier{}, fault.Invalidf([]fault.FieldError{fe("uri", "uri.required", "Thiếu mã định danh của kết quả điện tử", "uri is required")}, "uri required")
	}
	var out Dossier
	err := s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := s.load(ctx, tx, code)
		if err != nil {
			return err
		}
		var n int
		err = tx.QueryRow(ctx, "SELECT n FROM dos_result WHERE code = ? AND uri = ?", code, uri).Scan(&n)
		if err == nil && r.Status == StatusReturned {
			out = r.Dossier
			return nil
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if r.Status != StatusProcessed {
			return errNotAllowed(ActionDeliver, r.Step, r.Status, "deliver needs status 9 (processed)")
		}
		now := s.now().In(s.cal.Location())
		res, err := tx.Exec(ctx, "UPDATE dos_result SET uri = ? WHERE code = ? AND uri = '' AND n = (SELECT MAX(n) FROM dos_result WHERE code = ?)", uri, code, code)
		if err != nil {
			return fmt.Errorf("dossier: result uri: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			pi, err := s.proc(ctx, r.Procedure, r.ProcedureVersion)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "INSERT INTO dos_result (code, n, name, issued_at, issued_by, uri) VALUES (?, (SELECT COUNT(*) + 1 FROM dos_result WHERE code = ?), ?, ?, ?, ?)",
				code, code, pi.p.Result, micros(now), "system", uri); err != nil {
				return fmt.Errorf("dossier: result: %w", err)
			}
		}
		c := &change{next: r.Dossier, resume: r.resume}
		nx := &c.next
		nx.Status, nx.Role, nx.Assignee = StatusReturned, "", ""
		nx.ReturnedAt = &now
		if nx.FinishedAt == nil {
			nx.FinishedAt = &now
		}
		c.rows = []histRow{{actor: "system", role: "system", action: ActionDeliver, fromStep: r.Step, toStep: r.Step, from: r.Status, to: StatusReturned,
			note: "Kết quả điện tử đã ký số được trả vào kho dữ liệu điện tử của người nộp: " + uri}}
		if err := s.apply(ctx, tx, r, c, ActionDeliver, now); err != nil {
			return err
		}
		out = c.next
		return nil
	})
	if err != nil {
		return Dossier{}, err
	}
	s.decorate(ctx, &out)
	if err := s.details(ctx, &out); err != nil {
		return out, err
	}
	return out, nil
}

// EventLog returns up to limit dossier events written after seq after, in
// the order they were written, and the seq of the last one (after when
// none): every dossier event ever emitted, for consumers that rebuild
// their state from scratch.
func (s *Service) EventLog(ctx context.Context, after int64, limit int) ([]bus.Event, int64, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	rows, err := s.db.Query(ctx, "SELECT seq, id, type, subject, data, at FROM dos_event WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
	if err != nil {
		return nil, after, fmt.Errorf("dossier: event log: %w", err)
	}
	defer rows.Close()
	var out []bus.Event
	last := after
	for rows.Next() {
		var ev bus.Event
		var at int64
		if err := rows.Scan(&last, &ev.ID, &ev.Type, &ev.Subject, (*[]byte)(&ev.Data), &at); err != nil {
			return nil, after, err
		}
		ev.Source, ev.Time = "dossier", time.UnixMicro(at).UTC()
		out = append(out, ev)
	}
	return out, last, rows.Err()
}
