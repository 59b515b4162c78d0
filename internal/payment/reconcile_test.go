package payment

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// TestReconcile builds an agency's day with every kind of payment and
// every kind of difference from the provider's ledger, and checks the
// report's rows and totals, its JSON and its CSV.
func TestReconcile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.pay(e.start(100000))
		b := e.pay(e.start(50000))
		if _, err := e.c.Svc.Refund(ctx, b.ID, "Thu trùng", "ketoan01"); err != nil {
			t.Fatal(err)
		}
		c := e.start(30000)
		e.payAt(c, "decline")
		d := e.start(20000)
		h := e.pay(e.start(70000))
		i := e.pay(e.start(80000))
		pend := e.start(10000)
		f := e.start(40000)
		_ = pend
		e.clock.Add(16 * time.Minute) // d, f and pend expire
		if n, _ := e.c.Svc.ExpireStale(ctx); n != 3 {
			t.Fatalf("expired %d", n)
		}
		e2 := e.start(15000) // pending at the end of the day
		now := micros(e.clock.Now())
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.Exec(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
		// The provider took f's money after it expired here; it holds a
		// payment nobody here made; it lost h; it says i was 8,000 đồng.
		exec("INSERT INTO pay_demo_txn (txn, payment_id, merchant, amount, result, reason, return_url, created_at, notify_state, notify_attempts, notify_error, refund_id) VALUES ('DEMO-F', ?, ?, 40000, 'paid', '', '', ?, 'rejected', 1, '', '')", f.ID, agency, now)
		exec("INSERT INTO pay_demo_txn (txn, payment_id, merchant, amount, result, reason, return_url, created_at, notify_state, notify_attempts, notify_error, refund_id) VALUES ('DEMO-G', 'not-ours', ?, 5000, 'paid', '', '', ?, 'rejected', 1, '', '')", agency, now)
		exec("DELETE FROM pay_demo_txn WHERE payment_id = ?", h.ID)
		exec("UPDATE pay_demo_txn SET amount = 8000 WHERE payment_id = ?", i.ID)

		day := time.Date(2026, 3, 10, 0, 0, 0, 0, ict)
		rep, err := e.c.Svc.Reconcile(ctx, agency, day, day.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		if rep.ProviderError != "" {
			t.Fatal(rep.ProviderError)
		}
		issues := map[string][]string{}
		for _, r := range rep.Rows {
			issues[r.PaymentID] = r.Issues
		}
		want := map[string]string{a.ID: "", b.ID: "", c.ID: "", d.ID: "", e2.ID: "", f.ID: IssueNotRecorded, "not-ours": IssueUnknownPayment, h.ID: IssueMissingAtProvider, i.ID: IssueAmount}
		for id, w := range want {
			got, ok := issues[id]
			if !ok {
				t.Errorf("no row for %s", id)
				continue
			}
			if strings.Join(got, ",") != w {
				t.Errorf("%s: issues %v, want %q", id, got, w)
			}
		}
		tot := rep.Totals
		if tot.Payments != 9 || tot.Paid != 3 || tot.PaidAmount != 250000 || tot.Refunded != 1 || tot.RefundedAmount != 50000 || tot.Failed != 1 ||
			tot.Expired != 3 || tot.Pending != 1 || tot.Mismatches != 4 || tot.ProviderPaid != 153000 || tot.ProviderRefund != 50000 {
			t.Fatalf("totals %+v", tot)
		}

		// The API, JSON and CSV.
		var got Report
		if code := e.api("GET", "/payment/v1/reconciliation?agency="+agency+"&from=2026-03-10&to=2026-03-10", nil, &got); code != 200 || got.Totals != tot {
			t.Fatalf("api: %d %+v", code, got.Totals)
		}
		req, _ := http.NewRequest("GET", e.srv.URL+"/payment/v1/reconciliation?format=csv&agency="+agency+"&from=2026-03-10&to=2026-03-10", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		csv := string(body)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(csv, "\ufeffMã giao dịch,Mã hồ sơ") ||
			strings.Count(csv, "\n") != len(rep.Rows)+2 || !strings.Contains(csv, IssueName(IssueAmount)) || !strings.Contains(csv, "Số dòng chênh lệch: 4") {
			t.Fatalf("csv: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), csv)
		}
		var prob problem
		if code := e.api("GET", "/payment/v1/reconciliation?agency="+agency+"&from=2026-13-40", nil, &prob); code != 422 {
			t.Fatalf("bad period: %d", code)
		}

		// The provider away: the payments are listed, unchecked.
		e.c.Demo.URL = "http://127.0.0.1:1"
		rep, err = e.c.Svc.Reconcile(ctx, agency, day, day.AddDate(0, 0, 1))
		if err != nil || rep.ProviderError == "" || rep.Totals.Payments != 9 || rep.Totals.Mismatches != 0 {
			t.Fatalf("provider away: %v %+v", err, rep.Totals)
		}
	})
}
