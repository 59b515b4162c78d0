package notify

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

func TestTemplatesAreValid(t *testing.T) {
	names := map[string]bool{}
	for _, tpl := range Templates() {
		if err := tpl.Validate(); err != nil {
			t.Error(err)
		}
		if names[tpl.Name] {
			t.Errorf("two templates named %s", tpl.Name)
		}
		names[tpl.Name] = true
		r, _ := tpl.Render(tpl.Sample)
		if info := SMSParts(r.SMS); info.Encoding != UCS2 {
			t.Errorf("%s: the Vietnamese SMS is %s", tpl.Name, info.Encoding)
		}
	}
	tpl, _ := TemplateNamed(TplPaymentReceived)
	vars := map[string]string{}
	for k, v := range tpl.Sample {
		vars[k] = v
	}
	delete(vars, "so_bien_lai")
	if _, err := tpl.Render(vars); err == nil || !strings.Contains(err.Error(), `"so_bien_lai"`) {
		t.Fatalf("a missing field must be named: %v", err)
	}
	bad := tpl
	bad.SMS += strings.Repeat(" thêm chữ", 30)
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "UCS-2 parts") {
		t.Fatalf("a long SMS must be refused: %v", err)
	}
	bad = tpl
	bad.Sample = map[string]string{"ho_ten": "x"}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("a sample without every field must be refused: %v", err)
	}
}

func TestSMSParts(t *testing.T) {
	vi := func(n int) string { return strings.Repeat("ệ", n) }
	for _, c := range []struct {
		body string
		want SMSInfo
	}{
		{"", SMSInfo{GSM7, 0, 0}},
		{"Ma xac thuc: 123456", SMSInfo{GSM7, 19, 1}},
		{strings.Repeat("a", 160), SMSInfo{GSM7, 160, 1}},
		{strings.Repeat("a", 161), SMSInfo{GSM7, 161, 2}},
		{strings.Repeat("a", 306), SMSInfo{GSM7, 306, 2}},
		{strings.Repeat("a", 307), SMSInfo{GSM7, 307, 3}},
		{"[€]", SMSInfo{GSM7, 6, 1}},
		{vi(70), SMSInfo{UCS2, 70, 1}},
		{vi(71), SMSInfo{UCS2, 71, 2}},
		{vi(134), SMSInfo{UCS2, 134, 2}},
		{vi(135), SMSInfo{UCS2, 135, 3}},
		{"e\u0323\u0302", SMSInfo{UCS2, 1, 1}}, // decomposed ệ counts as one
		{"Đã nhận", SMSInfo{UCS2, 7, 1}},
	} {
		if got := SMSParts(c.body); got != c.want {
			t.Errorf("%q: %+v, want %+v", c.body, got, c.want)
		}
	}
}

// fakeFacts stands for the dossier engine.
type fakeFacts struct {
	mu       sync.Mutex
	dossiers map[string]dossier.Dossier
	overdue  map[string][]dossier.Summary
	failGets int // the next Gets that fail as the database would
	gets     int
}

func (f *fakeFacts) Get(_ context.Context, code string) (dossier.Dossier, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if f.failGets > 0 {
		f.failGets--
		return dossier.Dossier{}, errors.New("database unavailable")
	}
	d, ok := f.dossiers[code]
	if !ok {
		return d, fault.NotFoundf("dossier.not_found", "Không tìm thấy hồ sơ", "no dossier %s", code)
	}
	return d, nil
}

func (f *fakeFacts) Overdue(_ context.Context, agency string, _ int) ([]dossier.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.overdue[agency], nil
}

func (f *fakeFacts) ApologyDraft(_ context.Context, code, _ string) (dossier.Apology, error) {
	d, err := f.Get(context.Background(), code)
	if err != nil {
		return dossier.Apology{}, err
	}
	if d.Status.Final() {
		return dossier.Apology{}, fault.New(fault.Conflict, "dossier.finished", "Hồ sơ đã giải quyết xong", "finished")
	}
	return dossier.Apology{Code: code, DueAt: d.DueAt, NewDueAt: d.DueAt.AddDate(0, 0, 5), Overdue: true}, nil
}

const (
	agencyA = "000.00.92.H26"
	codeA   = "000.00.92.H26-260310-0001"
	codeB   = "000.00.92.H26-260310-0002"
	codeC   = "000.00.92.H26-260310-0003" // no contact
)

func newFacts() *fakeFacts {
	due := time.Date(2026, 3, 13, 17, 0, 0, 0, ict)
	recv := time.Date(2026, 3, 10, 9, 0, 0, 0, ict)
	return &fakeFacts{dossiers: map[string]dossier.Dossier{
		codeA: {Code: codeA, Agency: agencyA, ProcedureName: "Đăng ký thành lập hộ kinh doanh", Status: dossier.StatusNew, ReceivedAt: recv, DueAt: due,
			Applicant: dossier.Applicant{ID: "001089012345", Name: "Nguyễn Văn Minh", Email: "minh@example.vn", Phone: "0912 345 678"},
			Fees:      []dossier.Fee{{N: 1, Name: "Lệ phí", Amount: 100000}}},
		codeB: {Code: codeB, Agency: agencyA, ProcedureName: "Cấp bản sao trích lục", Status: dossier.StatusPayment, ReceivedAt: recv, DueAt: due,
			Applicant: dossier.Applicant{ID: "001089012346", Name: "Trần Thị Hoa", Email: "hoa@example.vn"},
			Fees:      []dossier.Fee{{N: 1, Name: "Phí", Amount: 8000}, {N: 2, Name: "Lệ phí", Amount: 2000, Paid: true}}},
		codeC: {Code: codeC, Agency: agencyA, ProcedureName: "Cấp bản sao trích lục", Status: dossier.StatusNew, ReceivedAt: recv, DueAt: due,
			Applicant: dossier.Applicant{ID: "001089012347", Name: "Lê Văn C"}},
	}, overdue: map[string][]dossier.Summary{}}
}

// countingGateway is a channel gateway that counts what it is handed.
type countingGateway struct {
	mu   sync.Mutex
	sent []Message
}

func (g *countingGateway) Send(_ context.Context, m Message) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sent = append(g.sent, m)
	return nil
}

func (g *countingGateway) count() int { g.mu.Lock(); defer g.mu.Unlock(); return len(g.sent) }

func newNotifier(t *testing.T, db *store.DB, facts Facts) (*Notifier, *Service) {
	t.Helper()
	if err := db.Migrate(context.Background(), "bus", bus.Migrations()); err != nil {
		t.Fatal(err)
	}
	s := newService(t, db, nil)
	n := NewNotifier(s, facts, nil)
	n.PortalURL = "http://127.0.0.1:8080"
	n.AgencyName = func(string) string { return "Ủy ban nhân dân Phường Ba Đình" }
	return n, s
}

func event(typ string, data any) bus.Event {
	b, _ := json.Marshal(data)
	return bus.Event{ID: uuid.Must(uuid.NewV7()).String(), Type: typ, Source: strings.Split(typ, ".")[0], Time: time.Date(2026, 3, 10, 9, 5, 0, 0, time.UTC), Data: b}
}

func dossierEv(action, code string, to dossier.Status) bus.Event {
	return event("dossier."+action, map[string]any{"code": code, "agency": agencyA, "action": action, "to_status": to})
}

func messagesOf(t *testing.T, s *Service, tpl string) []Stored {
	t.Helper()
	all, err := s.List(context.Background(), "", 500, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []Stored
	for _, m := range all {
		if tpl == "" || m.Template == tpl {
			out = append(out, m)
		}
	}
	return out
}

// TestNotifierEvents feeds the notifier each event it acts on, twice, and
// checks what lands in the mailbox.
func TestNotifierEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n, s := newNotifier(t, db, newFacts())
		handle := func(ev bus.Event) {
			t.Helper()
			for range 2 { // every event comes twice: at least once
				if err := n.Handle(ctx, ev); err != nil {
					t.Fatalf("%s: %v", ev.Type, err)
				}
			}
		}
		handle(dossierEv("create", codeA, dossier.StatusNew))
		got := messagesOf(t, s, TplDossierReceived)
		if len(got) != 2 {
			t.Fatalf("received: %d messages", len(got))
		}
		var email, sms Stored
		for _, m := range got {
			if m.Channel == Email {
				email = m
			} else {
				sms = m
			}
		}
		if email.To != "minh@example.vn" || email.Subject != "Đã nhận hồ sơ "+codeA || !strings.Contains(email.Body, "Kính gửi Ông/Bà Nguyễn Văn Minh") ||
			!strings.Contains(email.Body, "Ngày hẹn trả kết quả: 13/03/2026") || !strings.Contains(email.Body, "Ủy ban nhân dân Phường Ba Đình đã nhận") {
			t.Fatalf("email: %+v", email)
		}
		if sms.To != "0912345678" || !strings.HasPrefix(sms.Body, "Đã nhận hồ sơ "+codeA) || SMSParts(sms.Body).Parts > 2 {
			t.Fatalf("sms: %+v", sms)
		}
		// Paid later: it was received already, nothing more.
		handle(dossierEv("paid", codeA, dossier.StatusNew))
		if n := len(messagesOf(t, s, TplDossierReceived)); n != 2 {
			t.Fatalf("received again: %d", n)
		}
		// Created waiting for the fee: the fee request, with what is owed.
		handle(dossierEv("create", codeB, dossier.StatusPayment))
		req := messagesOf(t, s, TplPaymentRequested)
		if len(req) != 1 || !strings.Contains(req[0].Body, "8.000 đồng") {
			t.Fatalf("fee request: %+v", req)
		}
		// Paid: the payment with its receipt, and then the dossier received.
		handle(event("payment.paid", map[string]any{"id": "pay-1", "ref": codeB, "agency": agencyA, "amount": 8000, "provider_txn": "DEMO1",
			"receipt_no": agencyA + "-BL26-0000001", "paid_at": time.Date(2026, 3, 10, 2, 7, 0, 0, time.UTC), "online": true}))
		paid := messagesOf(t, s, TplPaymentReceived)
		if len(paid) != 1 || !strings.Contains(paid[0].Subject, "biên lai số "+agencyA+"-BL26-0000001") || !strings.Contains(paid[0].Body, "09:07 10/03/2026") {
			t.Fatalf("payment received: %+v", paid)
		}
		handle(dossierEv("paid", codeB, dossier.StatusNew))
		if got := messagesOf(t, s, TplDossierReceived); len(got) != 3 {
			t.Fatalf("received after payment: %d", len(got))
		}
		// A supplement request, with the desk's note.
		f := n.facts.(*fakeFacts)
		sup := dossierEv("supplement", codeA, dossier.StatusSupplement)
		d := f.dossiers[codeA]
		d.History = []dossier.HistoryEntry{{Action: "supplement", Note: "Bổ sung bản sao hợp đồng thuê nhà.", EventID: sup.ID}}
		f.dossiers[codeA] = d
		handle(sup)
		if got := messagesOf(t, s, TplSupplement); len(got) != 2 || !strings.Contains(got[1].Body+got[0].Body, "Bổ sung bản sao hợp đồng thuê nhà.") {
			t.Fatalf("supplement: %+v", got)
		}
		// A second request is a second message.
		handle(dossierEv("supplement", codeA, dossier.StatusSupplement))
		if got := messagesOf(t, s, TplSupplement); len(got) != 4 {
			t.Fatalf("second supplement: %d", len(got))
		}
		// Approved, then delivered: one "result ready".
		handle(dossierEv("approve", codeA, dossier.StatusProcessed))
		handle(dossierEv("deliver", codeA, dossier.StatusReturned))
		if got := messagesOf(t, s, TplResultReady); len(got) != 2 {
			t.Fatalf("result: %d", len(got))
		}
		// Refunded.
		handle(event("payment.refunded", map[string]any{"id": "pay-1", "ref": codeB, "agency": agencyA, "amount": 8000, "receipt_no": "BL-1", "reason": "Thu trùng"}))
		if got := messagesOf(t, s, TplPaymentRefunded); len(got) != 1 || !strings.Contains(got[0].Body, "Lý do: Thu trùng") {
			t.Fatalf("refund: %+v", got)
		}
		// No contact, an unknown dossier, an event with nothing to say:
		// nothing sent, but each is handled (seen).
		before := len(messagesOf(t, s, ""))
		handle(dossierEv("create", codeC, dossier.StatusNew))
		handle(dossierEv("create", "000.00.92.H26-260310-0999", dossier.StatusNew))
		handle(dossierEv("accept", codeA, dossier.StatusProcessing))
		handle(event("payment.failed", map[string]any{"id": "pay-2", "ref": codeA}))
		if after := len(messagesOf(t, s, "")); after != before {
			t.Fatalf("%d messages for events with nothing to send", after-before)
		}
		var seen int
		db.QueryRow(ctx, "SELECT COUNT(*) FROM bus_consumed").Scan(&seen)
		if seen != 14 {
			t.Fatalf("%d events marked seen", seen)
		}
	})
}

// TestOverdueApology: the sweep writes to each overdue dossier's applicant
// once, and to none whose dossier is finished.
func TestOverdueApology(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFacts()
		n, s := newNotifier(t, db, f)
		// The notifier learns of the agency from its events.
		if err := n.Handle(ctx, dossierEv("accept", codeA, dossier.StatusProcessing)); err != nil {
			t.Fatal(err)
		}
		if sent, err := n.SweepOverdue(ctx); err != nil || sent != 0 {
			t.Fatalf("nothing overdue: %d %v", sent, err)
		}
		f.overdue[agencyA] = []dossier.Summary{{Code: codeA, Agency: agencyA}, {Code: codeB, Agency: agencyA}}
		d := f.dossiers[codeB]
		d.Status = dossier.StatusReturned
		f.dossiers[codeB] = d
		if sent, err := n.SweepOverdue(ctx); err != nil || sent != 2 {
			t.Fatalf("first sweep: %d %v", sent, err)
		}
		got := messagesOf(t, s, TplOverdueApology)
		if len(got) != 2 {
			t.Fatalf("%d apologies", len(got))
		}
		for _, m := range got {
			if !strings.Contains(m.Body, "13/03/2026") || !strings.Contains(m.Body, "18/03/2026") {
				t.Fatalf("apology: %+v", m)
			}
		}
		if strings.Contains(got[0].Subject+got[1].Subject, codeB) {
			t.Fatal("apology for a finished dossier")
		}
		if sent, err := n.SweepOverdue(ctx); err != nil || sent != 0 || len(messagesOf(t, s, TplOverdueApology)) != 2 {
			t.Fatalf("second sweep sent again: %d %v", sent, err)
		}
	})
}

// TestNothingSentTwice: with gateways for both channels, a crash after the
// messages are stored and before they are handed over, the event
// redelivered, the restart's delivery pass, and a crash while a gateway
// had a message: each message reaches its gateway at most once, and every
// one that was not in a gateway's hands at the crash reaches it.
func TestNothingSentTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n, s := newNotifier(t, db, newFacts())
		email, sms := &countingGateway{}, &countingGateway{}
		s.SetGateway(Email, email)
		s.SetGateway(SMS, sms)
		ev := dossierEv("create", codeA, dossier.StatusNew)
		crash := errors.New("crash")
		n.hook = func(point string) error { return crash }
		if err := n.Handle(ctx, ev); !errors.Is(err, crash) {
			t.Fatalf("crash: %v", err)
		}
		if email.count()+sms.count() != 0 || len(messagesOf(t, s, "")) != 2 {
			t.Fatal("before the crash: stored, not handed over")
		}
		// The process restarts; the bus redelivers the unacknowledged event.
		n.hook = nil
		if err := n.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if email.count()+sms.count() != 0 || len(messagesOf(t, s, "")) != 2 {
			t.Fatal("the redelivered event was handled again")
		}
		// The restart's delivery pass hands them over, once.
		if k, err := s.DeliverWaiting(ctx, 100); err != nil || k != 2 {
			t.Fatalf("deliver waiting: %d %v", k, err)
		}
		if k, _ := s.DeliverWaiting(ctx, 100); k != 0 || email.count() != 1 || sms.count() != 1 {
			t.Fatalf("delivered %d emails and %d SMS", email.count(), sms.count())
		}
		for _, m := range messagesOf(t, s, "") {
			if m.SentAt == nil {
				t.Fatalf("not marked sent: %+v", m)
			}
		}
		// A message a gateway had in hand when the process died (claimed,
		// outcome unknown) is not handed over again.
		ev2 := dossierEv("create", codeB, dossier.StatusPayment)
		n.hook = func(point string) error { return crash }
		n.Handle(ctx, ev2)
		n.hook = nil
		if _, err := db.Exec(ctx, "UPDATE notify_message SET attempted_at = created_at WHERE template = ?", TplPaymentRequested); err != nil {
			t.Fatal(err)
		}
		if k, _ := s.DeliverWaiting(ctx, 100); k != 0 || email.count() != 1 {
			t.Fatalf("a message in a gateway's hands was sent again: %d", email.count())
		}
		// Without a crash: stored and handed over at once, once.
		ev3 := dossierEv("approve", codeA, dossier.StatusProcessed)
		n.Handle(ctx, ev3)
		n.Handle(ctx, ev3)
		if email.count() != 2 || sms.count() != 2 {
			t.Fatalf("result: %d emails, %d SMS", email.count(), sms.count())
		}
	})
}

// TestNotifierOverTheBus runs the notifier as the platform does: events
// from the outbox through embedded NATS to its durable consumers. The
// first attempt fails (the dossier store is away), the bus redelivers, and
// the applicant gets one message per channel; a restarted consumer gets
// nothing again.
func TestNotifierOverTheBus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFacts()
		f.failGets = 1
		n, s := newNotifier(t, db, f)
		b, err := bus.Open(ctx, bus.Config{Dir: t.TempDir()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		subs, err := n.Subscribe(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		err = db.Tx(ctx, func(tx *store.Tx) error {
			_, err := bus.Emit(ctx, tx, bus.Event{Type: "dossier.create", Source: "dossier", Subject: codeA, Data: json.RawMessage(`{"code":"` + codeA + `","agency":"` + agencyA + `","to_status":1}`)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bus.NewRelay(db, b, nil).Once(ctx); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for len(messagesOf(t, s, TplDossierReceived)) < 2 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if got := len(messagesOf(t, s, TplDossierReceived)); got != 2 {
			t.Fatalf("%d messages after redelivery", got)
		}
		for _, sub := range subs {
			sub.Stop()
		}
		f.mu.Lock()
		gets := f.gets
		f.mu.Unlock()
		if gets < 2 {
			t.Fatalf("the event was not redelivered after the failure (%d reads)", gets)
		}
		// Restart the consumers: the acknowledged event does not come back.
		subs, err = n.Subscribe(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			for _, sub := range subs {
				sub.Stop()
			}
		}()
		time.Sleep(300 * time.Millisecond)
		if got := len(messagesOf(t, s, "")); got != 2 {
			t.Fatalf("%d messages after restart", got)
		}
	})
}
