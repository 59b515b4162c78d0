package payment

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// TestCallbackRejections sends the adapter forged, altered, stale,
// replayed, unknown and mismatched notifications: each is refused with
// problem+json and audited, and nothing else is written.
func TestCallbackRejections(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		p := e.start(200000)
		now := e.clock.Now()
		good := noticeBody(p, "DEMO2603100000000001", ResultPaid, p.Amount)
		unchanged := func(label string) {
			t.Helper()
			got, _ := e.c.Svc.Get(ctx, p.ID)
			if got.Status != StatusPending || e.count("SELECT COUNT(*) FROM bus_outbox") != 0 || e.count("SELECT COUNT(*) FROM pay_callback") != 0 ||
				e.count("SELECT COUNT(*) FROM pay_receipt_seq") != 0 {
				t.Fatalf("%s: something was written: %+v", label, got)
			}
		}
		for _, c := range []struct {
			name   string
			body   []byte
			key    string
			ts     time.Time
			status int
			code   string
		}{
			{"forged signature", good, "not-the-secret", now, 401, "payment.bad_signature"},
			{"altered body", []byte(strings.Replace(string(good), "200000", "2000", 1)), "", now, 401, "payment.bad_signature"},
			{"stale timestamp", good, secret, now.Add(-6 * time.Minute), 401, "payment.stale"},
			{"timestamp from the future", good, secret, now.Add(6 * time.Minute), 401, "payment.stale"},
			{"unknown payment", noticeBody(Payment{ID: "0190-nope", Agency: agency}, "DEMO1", ResultPaid, 200000), secret, now, 404, "payment.not_found"},
			{"amount differs", noticeBody(p, "DEMO2", ResultPaid, 2000), secret, now, 409, "payment.mismatch"},
			{"malformed", []byte(`{"txn":"x"}`), secret, now, 400, "payment.bad_notification"},
		} {
			key := c.key
			var status int
			var ctype string
			var prob problem
			if c.name == "altered body" {
				// Signed as sent, altered on the way: sign the good body,
				// send the altered one.
				status, ctype, prob = e.sendRaw(c.body, Sign([]byte(secret), unix(now), good), unix(now))
			} else {
				status, ctype, prob, _ = e.callback(c.body, key, c.ts)
			}
			if status != c.status || !strings.HasPrefix(ctype, "application/problem+json") || prob.Code != c.code || prob.Title == "" {
				t.Errorf("%s: %d %s %+v", c.name, status, ctype, prob)
			}
			unchanged(c.name)
		}
		if n := e.count("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.callback' AND result IN ('denied', 'invalid')"); n != 7 {
			t.Fatalf("%d refusals audited, want 7", n)
		}
		if n := e.count("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.callback' AND detail LIKE '%payment.stale%'"); n != 2 {
			t.Fatalf("stale refusals audited: %d", n)
		}
		// Unsigned.
		status, _, prob := e.sendRaw(good, "", "")
		if status != 401 || prob.Code != "payment.unsigned" {
			t.Fatalf("unsigned: %d %+v", status, prob)
		}

		// The genuine notification: applied once; the same again, replayed
		// with 200 and no second effect; the same much later, refused as
		// stale.
		status, _, _, ans := e.callback(good, secret, now)
		if status != 200 || ans.Outcome != "applied" || ans.Status != StatusPaid {
			t.Fatalf("genuine: %d %+v", status, ans)
		}
		status, _, _, ans = e.callback(good, secret, now.Add(time.Second))
		if status != 200 || ans.Outcome != "replayed" {
			t.Fatalf("replay: %d %+v", status, ans)
		}
		if n := e.count("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.callback' AND result = 'ok' AND detail LIKE '%replayed%'"); n != 1 {
			t.Fatalf("replay audited %d times", n)
		}
		e.clock.Add(10 * time.Minute)
		status, _, prob, _ = e.callback(good, secret, now)
		if status != 401 || prob.Code != "payment.stale" {
			t.Fatalf("late replay: %d %+v", status, prob)
		}
		if n := len(e.events("payment.paid")); n != 1 {
			t.Fatalf("%d payment.paid events", n)
		}
		// Another transaction paying the same payment: refused (the
		// reconciliation shows the provider's money).
		status, _, prob, _ = e.callback(noticeBody(p, "DEMO-OTHER", ResultPaid, p.Amount), secret, e.clock.Now())
		if status != 409 || prob.Code != "payment.settled" {
			t.Fatalf("second transaction: %d %+v", status, prob)
		}
		// A failure reported after it was paid changes nothing.
		status, _, _, ans = e.callback(noticeBody(p, "DEMO-LATE", ResultFailed, p.Amount), secret, e.clock.Now())
		if got, _ := e.c.Svc.Get(ctx, p.ID); status != 200 || ans.Outcome != "replayed" || got.Status != StatusPaid {
			t.Fatalf("failure after paid: %d %+v %s", status, ans, got.Status)
		}
	})
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// TestCallbackForExpiredPayment: the provider reports a payment paid after
// it expired here: refused (409), audited, the payment stays expired, and
// the reconciliation shows the provider's money as not recorded.
func TestCallbackForExpiredPayment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		p := e.start(60000)
		e.clock.Add(16 * time.Minute)
		e.c.Svc.ExpireStale(ctx)
		status, _, prob, _ := e.callback(noticeBody(p, "DEMO-LATE-1", ResultPaid, p.Amount), secret, e.clock.Now())
		if status != 409 || prob.Code != "payment.expired" {
			t.Fatalf("expired: %d %+v", status, prob)
		}
		if got, _ := e.c.Svc.Get(ctx, p.ID); got.Status != StatusExpired || got.ReceiptNo != "" {
			t.Fatalf("status %s", got.Status)
		}
		if n := len(e.events("payment.paid")); n != 0 {
			t.Fatalf("%d paid events", n)
		}
		if n := e.count("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.callback' AND result = 'invalid' AND object = ?", "payment/"+p.ID); n != 1 {
			t.Fatalf("refusal audited %d times", n)
		}
	})
}

// TestConcurrentDuplicateCallbacks: the same notification delivered many
// times at once gives exactly one payment.paid and one receipt number.
func TestConcurrentDuplicateCallbacks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		p := e.start(90000)
		body := noticeBody(p, "DEMO2603109999999999", ResultPaid, p.Amount)
		const n = 12
		var wg sync.WaitGroup
		statuses := make([]int, n)
		outcomes := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, _, _, a := e.callback(body, secret, e.clock.Now())
				statuses[i], outcomes[i] = s, a.Outcome
			}()
		}
		wg.Wait()
		applied := 0
		for i := range n {
			if statuses[i] != 200 {
				t.Fatalf("delivery %d: %d", i, statuses[i])
			}
			if outcomes[i] == "applied" {
				applied++
			}
		}
		if applied != 1 {
			t.Fatalf("%d deliveries applied", applied)
		}
		if got := len(e.events("payment.paid")); got != 1 {
			t.Fatalf("%d payment.paid events", got)
		}
		if last := e.count("SELECT last FROM pay_receipt_seq WHERE agency = ?", agency); last != 1 {
			t.Fatalf("receipt sequence at %d", last)
		}
		// Also different bodies reporting the same transaction at once
		// (a provider that re-serialises): still one change.
		q := e.start(91000)
		var wg2 sync.WaitGroup
		for i := range 6 {
			wg2.Add(1)
			go func() {
				defer wg2.Done()
				b := noticeBody(q, "DEMO-SAME", ResultPaid, q.Amount)
				if i%2 == 1 {
					b = []byte(strings.Replace(string(b), `"txn"`, ` "txn"`, 1))
				}
				e.callback(b, secret, e.clock.Now())
			}()
		}
		wg2.Wait()
		if got := len(e.events("payment.paid")); got != 2 {
			t.Fatalf("%d payment.paid events after the second payment", got)
		}
	})
}
