package payment

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

func wantFault(t *testing.T, err error, k fault.Kind, code string) {
	t.Helper()
	f := fault.As(err)
	if f == nil || f.Kind != k || (code != "" && f.Code != code) {
		t.Fatalf("want fault %d %s, got %v", k, code, err)
	}
}

// TestFullFlow: start, the provider's page, pay, the signed callback, the
// receipt, the event, and the browser sent back.
func TestFullFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		p := e.start(200000)
		if p.Status != StatusPending || !strings.HasPrefix(p.PayURL, e.srv.URL+DemoPrefix+"pay?") || !p.ExpiresAt.Equal(p.CreatedAt.Add(15*time.Minute)) {
			t.Fatalf("started: %+v", p)
		}
		back := e.payAt(p, "pay")
		if back.Host != "portal.example" || back.Query().Get("payment_id") != p.ID || back.Query().Get("result") != "paid" {
			t.Fatalf("browser sent back to %s", back)
		}
		got, err := e.c.Svc.Get(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != StatusPaid || got.ReceiptNo != agency+"-BL26-0000001" || got.ProviderTxn == "" || got.PaidAt == nil || got.PayURL != "" {
			t.Fatalf("paid: %+v", got)
		}
		evs := e.events("payment.paid")
		if len(evs) != 1 {
			t.Fatalf("%d payment.paid events", len(evs))
		}
		ev := evs[0]
		if ev.ID != p.ID || ev.Ref != p.Ref || ev.Agency != agency || ev.PayerID != payer || ev.Amount != 200000 || ev.Provider != DemoName ||
			ev.ProviderTxn != got.ProviderTxn || ev.ReceiptNo != got.ReceiptNo || !ev.Online || ev.PaidAt == nil {
			t.Fatalf("event: %+v", ev)
		}
		if n := e.count("SELECT COUNT(*) FROM pay_demo_txn WHERE payment_id = ? AND notify_state = 'delivered'", p.ID); n != 1 {
			t.Fatalf("the provider's ledger does not show the notification delivered")
		}
		// The receipt, with the amount in words.
		var rc Receipt
		if code := e.api("GET", "/payment/v1/payments/"+p.ID+"/receipt", nil, &rc); code != 200 || rc.No != got.ReceiptNo || rc.AmountWords != "Hai trăm nghìn đồng" {
			t.Fatalf("receipt: %d %+v", code, rc)
		}
		// Paid once: a new start for the same dossier is refused.
		_, err = e.c.Svc.Start(ctx, Request{Ref: p.Ref, Agency: agency, AgencyName: "x", PayerID: payer, PayerName: "x", Description: "x", Amount: 200000, ReturnURL: "http://portal.example/"})
		wantFault(t, err, fault.Conflict, "payment.already_paid")
		// Pressing pay again (the back button) changes nothing.
		e.payAt(p, "pay")
		if n := len(e.events("payment.paid")); n != 1 {
			t.Fatalf("paying twice: %d events", n)
		}
		// The second payment of the agency gets the next receipt number.
		q := e.pay(e.start(50000))
		if q.ReceiptNo != agency+"-BL26-0000002" {
			t.Fatalf("second receipt %q", q.ReceiptNo)
		}
		// The payer's own view, and anyone else's.
		if _, err := e.c.Svc.ReceiptFor(ctx, p.ID, payer); err != nil {
			t.Fatal(err)
		}
		_, err = e.c.Svc.ReceiptFor(ctx, p.ID, "001099000001")
		wantFault(t, err, fault.NotFound, "payment.not_found")
	})
}

// TestBrowserReturnIsNotTrusted: the provider sends the browser back with
// result=paid, but while its notification does not get through, the
// payment stays pending; it is paid when the provider's resend arrives.
func TestBrowserReturnIsNotTrusted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		good := e.c.Gateway.callbackURL
		e.c.Gateway.callbackURL = "http://127.0.0.1:1/payment/v1/callbacks/demo" // nothing listens there
		p := e.start(120000)
		back := e.payAt(p, "pay")
		if back.Query().Get("result") != "paid" {
			t.Fatalf("back: %s", back)
		}
		if got, _ := e.c.Svc.Get(ctx, p.ID); got.Status != StatusPending {
			t.Fatalf("status %s without a notification", got.Status)
		}
		e.c.Gateway.callbackURL = good
		if n, err := e.c.Gateway.Resend(ctx); err != nil || n != 1 {
			t.Fatalf("resend: %d %v", n, err)
		}
		if got, _ := e.c.Svc.Get(ctx, p.ID); got.Status != StatusPaid {
			t.Fatalf("status %s after the resend", got.Status)
		}
		if n, _ := e.c.Gateway.Resend(ctx); n != 0 {
			t.Fatalf("resent %d delivered notifications", n)
		}
	})
}

// TestDeclineAndCancel: the bank declines, or the payer cancels: the
// payment fails (payment.failed), and the dossier can be paid anew.
func TestDeclineAndCancel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		req := e.request(30000)
		p, _ := e.c.Svc.Start(ctx, req)
		if back := e.payAt(p, "decline"); back.Query().Get("result") != "failed" {
			t.Fatalf("back %s", back)
		}
		got, _ := e.c.Svc.Get(ctx, p.ID)
		if got.Status != StatusFailed || got.Reason != "Ngân hàng từ chối giao dịch" || got.ClosedAt == nil || got.ReceiptNo != "" {
			t.Fatalf("declined: %+v", got)
		}
		evs := e.events("payment.failed")
		if len(evs) != 1 || evs[0].ID != p.ID || evs[0].FailedAt == nil {
			t.Fatalf("failed events %+v", evs)
		}
		q, err := e.c.Svc.Start(ctx, req)
		if err != nil || q.ID == p.ID {
			t.Fatalf("new attempt: %v %+v", err, q)
		}
		e.payAt(q, "cancel")
		if got, _ := e.c.Svc.Get(ctx, q.ID); got.Status != StatusFailed || !strings.Contains(got.Reason, "hủy") {
			t.Fatalf("cancelled: %+v", got)
		}
		r, _ := e.c.Svc.Start(ctx, req)
		if got := e.pay(r); got.Status != StatusPaid {
			t.Fatalf("third attempt: %s", got.Status)
		}
		ps, _ := e.c.Svc.ForRef(ctx, req.Ref)
		if len(ps) != 3 || ps[0].Status != StatusFailed || ps[2].Status != StatusPaid {
			t.Fatalf("for ref: %+v", ps)
		}
	})
}

// TestStartIsIdempotent: asking again while pending returns the same
// payment, even when asked at once from two places; a different request
// for the same dossier is refused while the first is pending.
func TestStartIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		req := e.request(75000)
		var wg sync.WaitGroup
		ids := make([]string, 6)
		errs := make([]error, 6)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := e.c.Svc.Start(ctx, req)
				ids[i], errs[i] = p.ID, err
			}()
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("start %d: %s %v (first %s)", i, ids[i], errs[i], ids[0])
			}
		}
		if n := e.count("SELECT COUNT(*) FROM pay_payment WHERE ref = ?", req.Ref); n != 1 {
			t.Fatalf("%d payments", n)
		}
		other := req
		other.Amount = 80000
		_, err := e.c.Svc.Start(ctx, other)
		wantFault(t, err, fault.Conflict, "payment.pending_differs")
		bad := req
		bad.PayerID, bad.Amount, bad.ReturnURL = "12345", 0, "javascript:alert(1)"
		_, err = e.c.Svc.Start(ctx, bad)
		f := fault.As(err)
		if f == nil || f.Kind != fault.Invalid || len(f.Fields) != 3 {
			t.Fatalf("bad request: %v", err)
		}
	})
}

// TestExpiry: the sweep expires stale pending payments (payment.expired);
// a start after expiry makes a new payment; the provider refuses to take
// money for an expired link.
func TestExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		req := e.request(40000)
		p, _ := e.c.Svc.Start(ctx, req)
		e.clock.Add(14 * time.Minute)
		if n, _ := e.c.Svc.ExpireStale(ctx); n != 0 {
			t.Fatalf("expired %d too early", n)
		}
		e.clock.Add(2 * time.Minute)
		if n, err := e.c.Svc.ExpireStale(ctx); n != 1 || err != nil {
			t.Fatalf("expired %d: %v", n, err)
		}
		got, _ := e.c.Svc.Get(ctx, p.ID)
		if got.Status != StatusExpired || got.PayURL != "" {
			t.Fatalf("expired: %+v", got)
		}
		if evs := e.events("payment.expired"); len(evs) != 1 || evs[0].ExpiredAt == nil {
			t.Fatalf("expired events: %+v", evs)
		}
		res, err := noRedirect().Get(p.PayURL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 409 {
			t.Fatalf("expired link: %d", res.StatusCode)
		}
		// Start again: a new payment.
		q, _ := e.c.Svc.Start(ctx, req)
		if q.ID == p.ID || q.Status != StatusPending {
			t.Fatalf("restart: %+v", q)
		}
		// Past its expiry but before the sweep: a start expires it itself.
		e.clock.Add(20 * time.Minute)
		r, err := e.c.Svc.Start(ctx, req)
		if err != nil || r.ID == q.ID {
			t.Fatalf("start past expiry: %v", err)
		}
		if got, _ := e.c.Svc.Get(ctx, q.ID); got.Status != StatusExpired {
			t.Fatalf("not expired by start: %s", got.Status)
		}
		if n := len(e.events("payment.expired")); n != 2 {
			t.Fatalf("%d expired events", n)
		}
	})
}

// TestRefund refunds through the API: the provider gives the money back,
// the payment is refunded (payment.refunded), the receipt is annulled.
func TestRefund(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		p := e.pay(e.start(150000))
		var prob problem
		if code := e.api("POST", "/payment/v1/payments/"+p.ID+"/refund", map[string]string{"reason": " "}, &prob); code != 422 {
			t.Fatalf("no reason: %d", code)
		}
		var got Payment
		if code := e.api("POST", "/payment/v1/payments/"+p.ID+"/refund", RefundRequest{Reason: "Hồ sơ bị từ chối tiếp nhận"}, &got); code != 200 {
			t.Fatalf("refund: %d %+v", code, got)
		}
		if got.Status != StatusRefunded || got.RefundID == "" || got.RefundedBy != "admin-token" || got.RefundedAt == nil {
			t.Fatalf("refunded: %+v", got)
		}
		evs := e.events("payment.refunded")
		if len(evs) != 1 || evs[0].RefundedAt == nil || evs[0].ReceiptNo != p.ReceiptNo || evs[0].By != "admin-token" {
			t.Fatalf("refund events: %+v", evs)
		}
		if n := e.count("SELECT COUNT(*) FROM pay_demo_txn WHERE payment_id = ? AND result = 'refunded'", p.ID); n != 1 {
			t.Fatal("the provider did not refund")
		}
		// Again: the same, no second event.
		if code := e.api("POST", "/payment/v1/payments/"+p.ID+"/refund", RefundRequest{Reason: "lần hai"}, &got); code != 200 || got.Status != StatusRefunded {
			t.Fatalf("refund again: %d", code)
		}
		if n := len(e.events("payment.refunded")); n != 1 {
			t.Fatalf("%d refund events", n)
		}
		rc, err := e.c.Svc.Receipt(context.Background(), p.ID)
		if err != nil || rc.Status != StatusRefunded || rc.RefundedAt == nil {
			t.Fatalf("receipt after refund: %+v %v", rc, err)
		}
		// A pending payment cannot be refunded; nor without the token.
		q := e.start(1000)
		if code := e.api("POST", "/payment/v1/payments/"+q.ID+"/refund", RefundRequest{Reason: "x"}, &prob); code != 409 || prob.Code != "payment.not_paid" {
			t.Fatalf("refund pending: %d %+v", code, prob)
		}
		res, _ := noRedirect().Post(e.srv.URL+"/payment/v1/payments/"+p.ID+"/refund", "application/json", strings.NewReader(`{"reason":"x"}`))
		res.Body.Close()
		if res.StatusCode != 401 || e.count("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.api' AND result = 'denied'") != 1 {
			t.Fatalf("refund without token: %d", res.StatusCode)
		}
	})
}

func TestAmountInWords(t *testing.T) {
	for n, want := range map[int64]string{
		0:                 "Không đồng",
		5:                 "Năm đồng",
		10:                "Mười đồng",
		15:                "Mười lăm đồng",
		21:                "Hai mươi mốt đồng",
		25:                "Hai mươi lăm đồng",
		105:               "Một trăm linh năm đồng",
		110:               "Một trăm mười đồng",
		1000:              "Một nghìn đồng",
		50000:             "Năm mươi nghìn đồng",
		200000:            "Hai trăm nghìn đồng",
		1005000:           "Một triệu không trăm linh năm nghìn đồng",
		1000500:           "Một triệu năm trăm đồng",
		2_350_000:         "Hai triệu ba trăm năm mươi nghìn đồng",
		1_000_000_000:     "Một tỷ đồng",
		1_000_000_001:     "Một tỷ không trăm linh một đồng",
		1_200_000_000_000: "Một nghìn hai trăm tỷ đồng",
	} {
		if got := AmountInWords(n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
	if vnd(1234567) != "1.234.567 đồng" || vnd(500) != "500 đồng" {
		t.Errorf("vnd: %q %q", vnd(1234567), vnd(500))
	}
}

// TestNotConfigured: without the shared secret, a payment is refused
// (503) and nothing is recorded.
func TestNotConfigured(t *testing.T) {
	e := newEnv(t, storetest.OpenSQLite(t))
	e.c.Demo.Secret = nil
	_, err := e.c.Svc.Start(context.Background(), e.request(1000))
	wantFault(t, err, fault.Unavailable, "payment.not_configured")
	if n := e.count("SELECT COUNT(*) FROM pay_payment"); n != 0 {
		t.Fatalf("%d payments recorded", n)
	}
}
