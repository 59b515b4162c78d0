package payment

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

type page struct {
	status int
	loc    string
	body   string
}

func get(t *testing.T, c *http.Client, u string) page {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, res.Header.Get("Location"), string(b)}
}

func post(t *testing.T, c *http.Client, u string, form url.Values) page {
	t.Helper()
	res, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, res.Header.Get("Location"), string(b)}
}

// TestPages walks the console pages: sign-in, reconciliation, a dossier's
// payments, a payment, a refused and a done refund, the receipt.
func TestPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		p := e.pay(e.start(250000))
		b := noRedirect()
		base := e.srv.URL

		if pg := get(t, b, base+"/thanh-toan/"); pg.status != 303 || !strings.HasPrefix(pg.loc, "/thanh-toan/signin?next=") {
			t.Fatalf("signed out: %d %s", pg.status, pg.loc)
		}
		if pg := post(t, b, base+"/thanh-toan/signin", url.Values{"token": {"wrong"}, "next": {"/thanh-toan/"}}); pg.status != 422 || !strings.Contains(pg.body, "Mã quản trị không đúng") {
			t.Fatalf("wrong token: %d", pg.status)
		}
		if pg := post(t, b, base+"/thanh-toan/signin", url.Values{"token": {adminToken}, "next": {"https://evil.example/"}}); pg.status != 303 || pg.loc != "/thanh-toan/" {
			t.Fatalf("sign in: %d %s", pg.status, pg.loc)
		}
		pg := get(t, b, base+"/thanh-toan/?agency="+agency+"&from=2026-03-01&to=2026-03-31")
		if pg.status != 200 || !strings.Contains(pg.body, "Đối soát thanh toán") || !strings.Contains(pg.body, "250.000 đồng") || !strings.Contains(pg.body, p.Ref) ||
			!strings.Contains(pg.body, "Khớp") || !strings.Contains(pg.body, "doi-soat.csv?") {
			t.Fatalf("reconciliation page: %d\n%s", pg.status, pg.body)
		}
		if pg := get(t, b, base+"/thanh-toan/?agency="+agency+"&from=31-03-2026"); pg.status != 422 || !strings.Contains(pg.body, "Ngày bắt đầu phải có dạng") {
			t.Fatalf("bad date: %d", pg.status)
		}
		if pg := get(t, b, base+"/thanh-toan/doi-soat.csv?agency="+agency+"&from=2026-03-01&to=2026-03-31"); pg.status != 200 || !strings.Contains(pg.body, p.ReceiptNo) {
			t.Fatalf("csv: %d", pg.status)
		}
		if pg := get(t, b, base+"/thanh-toan/?ref="+p.Ref); pg.status != 200 || !strings.Contains(pg.body, "/thanh-toan/giao-dich/"+p.ID) {
			t.Fatalf("by ref: %d", pg.status)
		}
		pg = get(t, b, base+"/thanh-toan/giao-dich/"+p.ID)
		if pg.status != 200 || !strings.Contains(pg.body, "Hoàn tiền") || !strings.Contains(pg.body, p.ReceiptNo) {
			t.Fatalf("payment page: %d", pg.status)
		}
		if pg := post(t, b, base+"/thanh-toan/giao-dich/"+p.ID+"/hoan-tien", url.Values{"reason": {""}}); pg.status != 422 || !strings.Contains(pg.body, "Hãy ghi lý do hoàn tiền") {
			t.Fatalf("refund without reason: %d", pg.status)
		}
		if got, _ := e.c.Svc.Get(t.Context(), p.ID); got.Status != StatusPaid {
			t.Fatal("refused refund changed the payment")
		}
		if pg := post(t, b, base+"/thanh-toan/giao-dich/"+p.ID+"/hoan-tien", url.Values{"reason": {"Thu trùng"}}); pg.status != 303 {
			t.Fatalf("refund: %d %s", pg.status, pg.body)
		}
		if pg := get(t, b, base+"/thanh-toan/giao-dich/"+p.ID+"?done=1"); !strings.Contains(pg.body, "Đã hoàn tiền.") || strings.Contains(pg.body, `name="reason"`) {
			t.Fatalf("after refund: %s", pg.body)
		}
		pg = get(t, b, base+"/thanh-toan/bien-lai/"+p.ID)
		if pg.status != 200 || !strings.Contains(pg.body, "Hai trăm năm mươi nghìn đồng") || !strings.Contains(pg.body, "Biên lai đã bị hủy") || !strings.Contains(pg.body, "data-print") {
			t.Fatalf("receipt: %d", pg.status)
		}
		if pg := get(t, b, base+"/thanh-toan/bien-lai/"+e.start(1000).ID); pg.status != 409 {
			t.Fatalf("receipt of a pending payment: %d", pg.status)
		}
		if pg := get(t, b, base+"/thanh-toan/?lang=en"); pg.status != 200 || !strings.Contains(pg.body, "Payment reconciliation") {
			t.Fatalf("english: %d", pg.status)
		}
		if n := e.count("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.signin'"); n != 2 {
			t.Fatalf("%d sign-ins audited", n)
		}
	})
}

// TestProviderPages: the demo provider's page shows the merchant, the
// amount and the description; a link whose amount was changed is refused.
func TestProviderPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		p := e.start(345000)
		b := noRedirect()
		pg := get(t, b, p.PayURL)
		for _, s := range []string{"Ủy ban nhân dân Phường Ba Đình", "345.000 đồng", "Lệ phí đăng ký hộ kinh doanh", `value="pay"`, `value="decline"`, `value="cancel"`} {
			if !strings.Contains(pg.body, s) {
				t.Fatalf("pay page lacks %q:\n%s", s, pg.body)
			}
		}
		forged := strings.Replace(p.PayURL, "amount=345000", "amount=1000", 1)
		if pg := get(t, b, forged); pg.status != 400 || !strings.Contains(pg.body, "Liên kết thanh toán không hợp lệ") {
			t.Fatalf("forged link: %d", pg.status)
		}
		u, _ := url.Parse(p.PayURL)
		form := u.Query()
		form.Set("amount", "1000")
		form.Set("action", "pay")
		if pg := post(t, b, e.srv.URL+DemoPrefix+"pay", form); pg.status != 400 {
			t.Fatalf("forged form: %d", pg.status)
		}
		if e.count("SELECT COUNT(*) FROM pay_demo_txn") != 0 {
			t.Fatal("a forged request reached the ledger")
		}
		if pg := get(t, b, e.srv.URL+DemoPrefix); pg.status != 200 || !strings.Contains(pg.body, "Cổng thanh toán thử nghiệm") {
			t.Fatalf("home: %d", pg.status)
		}
		// After paying, the page says so and links back.
		e.payAt(p, "pay")
		if pg := get(t, b, p.PayURL); !strings.Contains(pg.body, "đã được thanh toán") || !strings.Contains(pg.body, "portal.example") {
			t.Fatalf("paid page: %s", pg.body)
		}
		// The provider's API refuses unsigned callers.
		if pg := get(t, b, e.srv.URL+DemoPrefix+"v1/statement?merchant="+agency+"&from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z"); pg.status != 401 {
			t.Fatalf("unsigned statement: %d", pg.status)
		}
	})
}
