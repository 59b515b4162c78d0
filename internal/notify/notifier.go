package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

// Facts is what the notifier learns about dossiers: the applicant's
// contact and the dossier's facts, the overdue dossiers of an agency, and
// the new appointment an apology proposes. *dossier.Service satisfies it.
type Facts interface {
	Get(ctx context.Context, code string) (dossier.Dossier, error)
	Overdue(ctx context.Context, agency string, limit int) ([]dossier.Summary, error)
	ApologyDraft(ctx context.Context, code, reason string) (dossier.Apology, error)
}

// Durable consumer names of the notifier on the bus (also its bus.Seen
// names).
const (
	ConsumerDossier = "notify-dossier"
	ConsumerPayment = "notify-payment"
)

// Notifier tells applicants what happens to their dossiers, by email and
// SMS, from the platform's events: dossier received (dossier.create, or
// dossier.paid once the fee is paid), fee requested (a dossier created
// waiting for its fee), supplement requested (dossier.supplement),
// payment received with its receipt number (payment.paid), refund
// (payment.refunded), result ready (dossier.approve or dossier.deliver,
// once), and, from a periodic sweep, an apology for a dossier past its
// appointment (once per dossier).
//
// It is an idempotent consumer: an event's messages are stored in the
// transaction that marks the event seen (bus.Seen), together with the
// once-per-dossier keys, so a redelivered event or a second sweep sends
// nothing; messages for a channel with a gateway are handed over after
// that transaction commits, each at most once (Service.Deliver).
type Notifier struct {
	svc   *Service
	facts Facts
	// PortalURL is where applicants look their dossiers up, written into
	// the messages; "Cổng dịch vụ công" when empty.
	PortalURL string
	// AgencyName names an agency in the messages; by default "cơ quan <code>".
	AgencyName func(code string) string
	// Every is how often Run sweeps for overdue dossiers and undelivered
	// messages (default 5 minutes).
	Every time.Duration
	log   *slog.Logger
	now   func() time.Time
	// hook, in tests, fails at a named point to stand for a crash there.
	hook func(point string) error
}

// NewNotifier returns a notifier sending through svc (whose store must
// also have the bus tables) with facts from facts.
func NewNotifier(svc *Service, facts Facts, log *slog.Logger) *Notifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{svc: svc, facts: facts, log: log, now: time.Now, Every: 5 * time.Minute}
}

// Subscribe starts the notifier's durable consumers of dossier.> and
// payment.> events on b.
func (n *Notifier) Subscribe(ctx context.Context, b *bus.Bus) ([]*bus.Subscription, error) {
	d, err := b.Subscribe(ctx, ConsumerDossier, "dossier.>", n.Handle)
	if err != nil {
		return nil, err
	}
	p, err := b.Subscribe(ctx, ConsumerPayment, "payment.>", n.Handle)
	if err != nil {
		d.Stop()
		return nil, err
	}
	return []*bus.Subscription{d, p}, nil
}

// Run sweeps for overdue dossiers and undelivered messages now and every
// n.Every until ctx ends.
func (n *Notifier) Run(ctx context.Context) {
	tk := time.NewTicker(n.Every)
	defer tk.Stop()
	for {
		if _, err := n.SweepOverdue(ctx); err != nil && ctx.Err() == nil {
			n.log.Error("notify: overdue sweep", "err", err)
		}
		if _, err := n.svc.DeliverWaiting(ctx, 500); err != nil && ctx.Err() == nil {
			n.log.Warn("notify: delivery", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
	}
}

// dossierEvent is what the notifier reads of a dossier.* event.
type dossierEvent struct {
	Code     string `json:"code"`
	Agency   string `json:"agency"`
	ToStatus int    `json:"to_status"`
}

// paymentEvent is what the notifier reads of a payment.* event.
type paymentEvent struct {
	ID          string     `json:"id"`
	Ref         string     `json:"ref"`
	Agency      string     `json:"agency"`
	Amount      int64      `json:"amount"`
	ProviderTxn string     `json:"provider_txn"`
	ReceiptNo   string     `json:"receipt_no"`
	PaidAt      *time.Time `json:"paid_at"`
	Reason      string     `json:"reason"`
}

// plan is what one event or sweep sends: a template for a dossier's
// applicant, and the key that makes it once per subject ("" for none).
type plan struct {
	tpl    string
	code   string
	once   string
	agency string
	extra  map[string]string
	// supplement is the history event whose note is the request.
	supplement string
}

func (n *Notifier) planFor(ev bus.Event) (plan, error) {
	switch {
	case strings.HasPrefix(ev.Type, dossier.EventPrefix):
		var d dossierEvent
		if err := json.Unmarshal(ev.Data, &d); err != nil || d.Code == "" {
			return plan{}, nil // malformed: nothing to say, nothing to retry
		}
		p := plan{code: d.Code, agency: d.Agency}
		switch strings.TrimPrefix(ev.Type, dossier.EventPrefix) {
		case dossier.ActionCreate:
			if dossier.Status(d.ToStatus) == dossier.StatusPayment {
				p.tpl, p.once = TplPaymentRequested, "payment-requested:"+d.Code
			} else {
				p.tpl, p.once = TplDossierReceived, "received:"+d.Code
			}
		case dossier.ActionPaid:
			p.tpl, p.once = TplDossierReceived, "received:"+d.Code
		case dossier.ActionSupplement:
			p.tpl, p.supplement = TplSupplement, ev.ID
		case dossier.ActionApprove, dossier.ActionDeliver:
			p.tpl, p.once = TplResultReady, "result:"+d.Code
		}
		return p, nil
	case ev.Type == "payment.paid" || ev.Type == "payment.refunded":
		var pe paymentEvent
		if err := json.Unmarshal(ev.Data, &pe); err != nil || pe.Ref == "" {
			return plan{}, nil
		}
		p := plan{code: pe.Ref, agency: pe.Agency, extra: map[string]string{"so_tien": vnd(pe.Amount), "so_bien_lai": pe.ReceiptNo}}
		if ev.Type == "payment.paid" {
			at := ev.Time
			if pe.PaidAt != nil {
				at = *pe.PaidAt
			}
			p.tpl, p.once = TplPaymentReceived, "paid:"+pe.ID
			p.extra["ma_giao_dich"], p.extra["thoi_diem"] = pe.ProviderTxn, at.In(ict).Format("15:04 02/01/2006")
		} else {
			p.tpl, p.once = TplPaymentRefunded, "refunded:"+pe.ID
			p.extra["ly_do"] = pe.Reason
		}
		return p, nil
	}
	return plan{}, nil
}

// Handle is the consumers' handler: it sends what ev calls for, once.
func (n *Notifier) Handle(ctx context.Context, ev bus.Event) error {
	p, err := n.planFor(ev)
	if err != nil {
		return err
	}
	consumer := ConsumerPayment
	if strings.HasPrefix(ev.Type, dossier.EventPrefix) {
		consumer = ConsumerDossier
	}
	var msgs []Message
	if p.tpl != "" {
		if msgs, err = n.messages(ctx, p); err != nil {
			return err
		}
	}
	return n.commit(ctx, p, msgs, func(ctx context.Context, tx *store.Tx) (bool, error) {
		return bus.Seen(ctx, tx, consumer, ev.ID)
	})
}

// messages renders p's template for the dossier's applicant: an email if
// the applicant gave an address, an SMS if a phone number. A dossier that
// no longer exists gets none.
func (n *Notifier) messages(ctx context.Context, p plan) ([]Message, error) {
	d, err := n.facts.Get(ctx, p.code)
	if fault.Is(err, fault.NotFound) {
		n.log.Warn("notify: no such dossier, nothing sent", "dossier", p.code, "template", p.tpl)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	vars := n.vars(d)
	for k, v := range p.extra {
		vars[k] = v
	}
	if p.supplement != "" {
		vars["noi_dung"] = "(xem yêu cầu trên Cổng dịch vụ công)"
		for _, h := range d.History {
			if h.EventID == p.supplement && strings.TrimSpace(h.Note) != "" {
				vars["noi_dung"] = strings.TrimSpace(h.Note)
			}
		}
	}
	if p.tpl == TplPaymentRequested {
		var owed int64
		for _, f := range d.Fees {
			if !f.Paid {
				owed += f.Amount
			}
		}
		vars["so_tien"] = vnd(owed)
	}
	return n.render(p.tpl, d.Applicant, vars)
}

// render fills template name for applicant a.
func (n *Notifier) render(name string, a dossier.Applicant, vars map[string]string) ([]Message, error) {
	t, ok := TemplateNamed(name)
	if !ok {
		return nil, fmt.Errorf("notify: no template %q", name)
	}
	r, err := t.Render(vars)
	if err != nil {
		return nil, err
	}
	var out []Message
	if e := strings.TrimSpace(a.Email); e != "" {
		out = append(out, Message{Channel: Email, To: e, Subject: r.Subject, Body: r.Email, Template: name})
	}
	if ph := strings.TrimSpace(a.Phone); ph != "" {
		out = append(out, Message{Channel: SMS, To: ph, Body: r.SMS, Template: name})
	}
	return out, nil
}

// commit stores msgs in one transaction with p's once key and the agency,
// when first says this is the first time; then delivers them.
func (n *Notifier) commit(ctx context.Context, p plan, msgs []Message, first func(ctx context.Context, tx *store.Tx) (bool, error)) error {
	var deliver []int64
	now := n.now()
	err := n.svc.db.Tx(ctx, func(tx *store.Tx) error {
		deliver = nil
		if first != nil {
			seen, err := first(ctx, tx)
			if err != nil || seen {
				return err
			}
		}
		if p.agency != "" {
			if _, err := tx.Exec(ctx, "INSERT INTO notify_agency (agency, seen_at) VALUES (?, ?) ON CONFLICT (agency) DO NOTHING", p.agency, now.UnixMilli()); err != nil {
				return fmt.Errorf("notify: agency: %w", err)
			}
		}
		if p.once != "" {
			res, err := tx.Exec(ctx, "INSERT INTO notify_once (once_key, at) VALUES (?, ?) ON CONFLICT (once_key) DO NOTHING", p.once, now.UnixMilli())
			if err != nil {
				return fmt.Errorf("notify: once: %w", err)
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil // already sent
			}
		}
		for _, m := range msgs {
			id, wait, err := n.svc.enqueue(ctx, tx, m)
			if f := fault.As(err); f != nil && f.Kind == fault.Invalid {
				// An address the applicant gave that cannot be used: skip
				// that channel, keep the others.
				n.log.Warn("notify: unusable recipient, message skipped", "to", m.To, "channel", m.Channel, "template", m.Template)
				continue
			}
			if err != nil {
				return fmt.Errorf("notify: store message: %w", err)
			}
			if wait {
				deliver = append(deliver, id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n.hook != nil {
		if err := n.hook("after-commit"); err != nil {
			return err
		}
	}
	for _, id := range deliver {
		if err := n.svc.Deliver(ctx, id); err != nil {
			// Stored and marked: not retried, so never sent twice; the
			// mailbox shows the failure.
			n.log.Warn("notify: delivery failed", "message", id, "err", err)
		}
	}
	return nil
}

// SweepOverdue sends the overdue apology to the applicant of every dossier
// past its appointment, at the agencies the notifier has heard of, once
// per dossier, and returns how many dossiers it wrote to.
func (n *Notifier) SweepOverdue(ctx context.Context) (int, error) {
	rows, err := n.svc.db.Query(ctx, "SELECT agency FROM notify_agency ORDER BY agency")
	if err != nil {
		return 0, fmt.Errorf("notify: agencies: %w", err)
	}
	var agencies []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return 0, err
		}
		agencies = append(agencies, a)
	}
	rows.Close()
	sent := 0
	var errs []error
	for _, a := range agencies {
		late, err := n.facts.Overdue(ctx, a, 1000)
		if err != nil {
			errs = append(errs, fmt.Errorf("overdue of %s: %w", a, err))
			continue
		}
		for _, s := range late {
			key := "overdue:" + s.Code
			var x int
			err := n.svc.db.QueryRow(ctx, "SELECT 1 FROM notify_once WHERE once_key = ?", key).Scan(&x)
			if err == nil {
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				errs = append(errs, err)
				continue
			}
			msgs, err := n.apology(ctx, s.Code)
			if err != nil {
				errs = append(errs, fmt.Errorf("apology for %s: %w", s.Code, err))
				continue
			}
			if err := n.commit(ctx, plan{once: key}, msgs, nil); err != nil {
				errs = append(errs, err)
				continue
			}
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

func (n *Notifier) apology(ctx context.Context, code string) ([]Message, error) {
	d, err := n.facts.Get(ctx, code)
	if err != nil {
		return nil, err
	}
	vars := n.vars(d)
	ap, err := n.facts.ApologyDraft(ctx, code, "")
	switch {
	case err == nil:
		vars["ngay_hen_moi"] = day(ap.NewDueAt)
	case fault.Is(err, fault.Conflict):
		return nil, nil // finished, or not late after all: nothing to apologise for
	default:
		return nil, err
	}
	return n.render(TplOverdueApology, d.Applicant, vars)
}

var ict = time.FixedZone("ICT", 7*3600)

func day(t time.Time) string { return t.In(ict).Format("02/01/2006") }

// vars are the fields every dossier template may use.
func (n *Notifier) vars(d dossier.Dossier) map[string]string {
	portal := n.PortalURL
	if portal == "" {
		portal = "Cổng dịch vụ công"
	}
	agency := "cơ quan " + d.Agency
	if n.AgencyName != nil {
		if name := n.AgencyName(d.Agency); name != "" {
			agency = name
		}
	}
	if r, size := utf8.DecodeRuneInString(agency); r != utf8.RuneError {
		agency = string(unicode.ToUpper(r)) + agency[size:]
	}
	return map[string]string{
		"ho_ten":       d.Applicant.Name,
		"ma_ho_so":     d.Code,
		"thu_tuc":      d.ProcedureName,
		"co_quan":      agency,
		"ngay_nhan":    day(d.ReceivedAt),
		"ngay_hen_tra": day(d.DueAt),
		"tra_cuu":      portal,
	}
}

// vnd writes an amount as Vietnamese text does: 1.234.567 đồng.
func vnd(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && c != '-' && s[i-1] != '-' {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String() + " đồng"
}
