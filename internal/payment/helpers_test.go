package payment

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/config"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/web"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	adminToken = "tok"
	secret     = "test-shared-secret-0123456789abcdef"
	agency     = "000.00.92.H26"
	payer      = "001089012345"
)

// env is the adapter and the demo provider behind the platform middleware
// on one test server, as `vngov serve` runs them, with a clock the test
// sets.
type env struct {
	t     *testing.T
	db    *store.DB
	c     *Component
	srv   *httptest.Server
	clock *clock
	seq   int
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, "bus", bus.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "audit", audit.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "payment", Migrations()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	k := &kernel.Kernel{Config: &config.Config{PaymentSecret: secret, PaymentTTLMinutes: 15}, Log: log, DB: db, Metrics: web.NewMetrics(),
		Admin: authn.NewStaticToken(adminToken, "admin-token", authn.RoleAuditor)}
	c, err := NewComponent(k)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(k.Handler("payment", mux, CrossOriginBypass...))
	t.Cleanup(srv.Close)
	c.UseDemoProvider(srv.URL, srv.URL)
	c.ProviderElsewhere = false
	c.Routes(mux)
	clk := &clock{t: time.Date(2026, 3, 10, 9, 0, 0, 0, ict)}
	c.Svc.now, c.Gateway.now, c.Demo.Now = clk.Now, clk.Now, clk.Now
	return &env{t: t, db: db, c: c, srv: srv, clock: clk}
}

// request is a payment request for a new dossier code.
func (e *env) request(amount int64) Request {
	e.seq++
	return Request{Ref: agency + "-260310-" + pad4(e.seq), Agency: agency, AgencyName: "Ủy ban nhân dân Phường Ba Đình", PayerID: payer, PayerName: "Nguyễn Văn Minh",
		Description: "Lệ phí đăng ký hộ kinh doanh", Amount: amount, ReturnURL: "http://portal.example/ho-so/thanh-toan/xong"}
}

func pad4(n int) string {
	s := strconv.Itoa(n)
	return strings.Repeat("0", 4-len(s)) + s
}

func (e *env) start(amount int64) Payment {
	e.t.Helper()
	p, err := e.c.Svc.Start(context.Background(), e.request(amount))
	if err != nil {
		e.t.Fatalf("start: %v", err)
	}
	return p
}

// noRedirect is a browser that does not follow redirects and keeps cookies.
func noRedirect() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// payAt opens p's pay page and presses the button for action (pay,
// decline, cancel) as a browser would; it returns where the provider
// sends the browser.
func (e *env) payAt(p Payment, action string) *url.URL {
	e.t.Helper()
	b := noRedirect()
	res, err := b.Get(p.PayURL)
	if err != nil {
		e.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		e.t.Fatalf("pay page: %d %s", res.StatusCode, body)
	}
	u, _ := url.Parse(p.PayURL)
	form := u.Query()
	form.Set("action", action)
	res, err = b.PostForm(e.srv.URL+DemoPrefix+"pay", form)
	if err != nil {
		e.t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("pay %s: %d %s", action, res.StatusCode, body)
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	return loc
}

// pay pays p at the provider and returns it as the adapter then has it.
func (e *env) pay(p Payment) Payment {
	e.t.Helper()
	e.payAt(p, "pay")
	out, err := e.c.Svc.Get(context.Background(), p.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// api calls the adapter's API with the admin token.
func (e *env) api(method, path string, body any, out any) int {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, b, err)
		}
	}
	return res.StatusCode
}

// problem is a problem+json answer.
type problem struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Title  string `json:"title"`
}

// callback posts a notification body signed with key at ts to the
// adapter, as a provider would, and returns the status, content type and
// decoded problem (or answer).
func (e *env) callback(body []byte, key string, ts time.Time) (int, string, problem, CallbackAnswer) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+CallbackPath+DemoName, strings.NewReader(string(body)))
	tss := strconv.FormatInt(ts.Unix(), 10)
	req.Header.Set(HeaderTimestamp, tss)
	req.Header.Set(HeaderSignature, Sign([]byte(key), tss, body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var p problem
	var a CallbackAnswer
	json.Unmarshal(b, &p)
	json.Unmarshal(b, &a)
	return res.StatusCode, res.Header.Get("Content-Type"), p, a
}

// sendRaw posts body with the given signature and timestamp headers
// ("" leaves a header out).
func (e *env) sendRaw(body []byte, sig, ts string) (int, string, problem) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+CallbackPath+DemoName, strings.NewReader(string(body)))
	if ts != "" {
		req.Header.Set(HeaderTimestamp, ts)
	}
	if sig != "" {
		req.Header.Set(HeaderSignature, sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var p problem
	json.Unmarshal(b, &p)
	return res.StatusCode, res.Header.Get("Content-Type"), p
}

// noticeBody is a demo notification body for p.
func noticeBody(p Payment, txn, result string, amount int64) []byte {
	b, _ := json.Marshal(demoNotice{Txn: txn, PaymentID: p.ID, Merchant: p.Agency, Amount: amount, Result: result, At: p.CreatedAt})
	return b
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) events(typ string) []EventData {
	e.t.Helper()
	rows, err := e.db.Query(context.Background(), "SELECT data FROM bus_outbox WHERE type = ? ORDER BY time", typ)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []EventData
	for rows.Next() {
		var s string
		rows.Scan(&s)
		var d EventData
		json.Unmarshal([]byte(s), &d)
		out = append(out, d)
	}
	return out
}
