package payment

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/web"
)

// DemoPrefix is where the demo provider's pages and API live.
const DemoPrefix = "/cong-thanh-toan/"

// Results in the demo provider's ledger.
const (
	demoPaid      = "paid"
	demoDeclined  = "declined"
	demoCancelled = "cancelled"
	demoRefunded  = "refunded"
)

// DemoGateway is the demo payment provider itself (cổng thanh toán thử
// nghiệm), as a bank's gateway would run it: a payment page showing the
// merchant (the agency), the amount and what it is for, with buttons to
// pay, to have the bank decline (for tests) or to cancel; its own ledger
// of transactions; a signed server-to-server notification to the
// merchant's callback after each payer's decision, resent until the
// merchant answers; and a signed API for refunds and statements.
type DemoGateway struct {
	db          *store.DB
	secret      []byte
	callbackURL string
	rd          *web.Renderer
	client      *http.Client
	log         *slog.Logger
	now         func() time.Time
}

// NewDemoGateway returns the demo provider, keeping its ledger in db
// (pay_demo_txn), signing with secret and notifying callbackURL (the
// adapter's /payment/v1/callbacks/demo).
func NewDemoGateway(db *store.DB, secret []byte, callbackURL string, log *slog.Logger) (*DemoGateway, error) {
	rd, err := newRenderer()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &DemoGateway{db: db, secret: secret, callbackURL: callbackURL, rd: rd, log: log, now: time.Now,
		client: &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

// Routes mounts the provider's pages (GET DemoPrefix, GET and POST
// DemoPrefix+"pay") and its signed API (GET DemoPrefix+"v1/statement",
// POST DemoPrefix+"v1/refunds").
func (g *DemoGateway) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+DemoPrefix+"{$}", g.home)
	mux.HandleFunc("GET "+DemoPrefix+"pay", g.payPage)
	mux.HandleFunc("POST "+DemoPrefix+"pay", g.pay)
	mux.HandleFunc("GET "+DemoPrefix+"v1/statement", g.statement)
	mux.HandleFunc("POST "+DemoPrefix+"v1/refunds", g.refund)
	mux.HandleFunc("GET "+strings.TrimSuffix(DemoPrefix, "/"), func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, DemoPrefix, http.StatusMovedPermanently)
	})
}

func (g *DemoGateway) page(r *http.Request, title string, data any) *web.Page {
	return &web.Page{Title: title, Service: web.T(web.Lang(r), "pay.gw.service"), Data: data}
}

func (g *DemoGateway) home(w http.ResponseWriter, r *http.Request) {
	g.rd.Render(w, r, http.StatusOK, "gateway_home.html", g.page(r, web.T(web.Lang(r), "pay.gw.home.title"), nil))
}

// payOrder is a verified pay request.
type payOrder struct {
	PaymentID, Merchant, MerchantName, Description, ReturnURL string
	Amount                                                    int64
	Expires                                                   time.Time
	Query                                                     url.Values // the signed fields with the signature, for the form
}

var errBadLink = fault.New(fault.BadRequest, "payment.bad_link",
	"Liên kết thanh toán không hợp lệ hoặc đã bị sửa đổi. Hãy quay lại Cổng dịch vụ công và bấm thanh toán lại.",
	"the pay request's signature does not hold")

// order verifies the signed pay request in q.
func (g *DemoGateway) order(q url.Values) (payOrder, error) {
	sig := q.Get("sig")
	fields := url.Values{}
	for _, k := range []string{"payment_id", "merchant", "merchant_name", "amount", "description", "return_url", "expires"} {
		if len(q[k]) != 1 {
			return payOrder{}, errBadLink
		}
		fields.Set(k, q.Get(k))
	}
	got, err := hex.DecodeString(sig)
	want, _ := hex.DecodeString(signQuery(g.secret, fields))
	if len(g.secret) == 0 || err != nil || !hmac.Equal(got, want) {
		return payOrder{}, errBadLink
	}
	amount, err1 := strconv.ParseInt(fields.Get("amount"), 10, 64)
	exp, err2 := strconv.ParseInt(fields.Get("expires"), 10, 64)
	if err1 != nil || err2 != nil || amount <= 0 {
		return payOrder{}, errBadLink
	}
	o := payOrder{PaymentID: fields.Get("payment_id"), Merchant: fields.Get("merchant"), MerchantName: fields.Get("merchant_name"),
		Description: fields.Get("description"), ReturnURL: fields.Get("return_url"), Amount: amount, Expires: time.Unix(exp, 0), Query: fields}
	o.Query.Set("sig", sig)
	return o, nil
}

// demoTxn is a row of the provider's ledger.
type demoTxn struct {
	Txn, PaymentID, Merchant, Result, Reason, ReturnURL, RefundID, NotifyState, NotifyError string
	Amount                                                                                  int64
	CreatedAt                                                                               time.Time
	RefundedAt                                                                              *time.Time
	Attempts                                                                                int
}

const demoColumns = "txn, payment_id, merchant, amount, result, reason, return_url, created_at, notify_state, notify_attempts, notify_error, refund_id, refunded_at"

func scanDemo(row interface{ Scan(...any) error }) (demoTxn, error) {
	var t demoTxn
	var created int64
	var refunded sql.NullInt64
	err := row.Scan(&t.Txn, &t.PaymentID, &t.Merchant, &t.Amount, &t.Result, &t.Reason, &t.ReturnURL, &created, &t.NotifyState, &t.Attempts, &t.NotifyError, &t.RefundID, &refunded)
	t.CreatedAt, t.RefundedAt = time.UnixMicro(created).UTC(), nullTime(refunded)
	return t, err
}

func (g *DemoGateway) txnFor(ctx context.Context, q store.Querier, paymentID string) (demoTxn, bool, error) {
	t, err := scanDemo(q.QueryRow(ctx, "SELECT "+demoColumns+" FROM pay_demo_txn WHERE payment_id = ?", paymentID))
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, nil
	}
	return t, err == nil, err
}

type payView struct {
	Order  payOrder
	Done   *demoTxn // the payer's decision, when already taken
	Back   string   // the return address with the outcome
	Action string   // where the form posts
	Fields [][2]string
}

func (g *DemoGateway) payPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	o, err := g.order(r.URL.Query())
	if err != nil {
		g.rd.RenderError(w, r, err)
		return
	}
	v := payView{Order: o, Action: DemoPrefix + "pay"}
	if web.Lang(r) == web.LangEN {
		v.Action += "?lang=en"
	}
	for _, k := range []string{"payment_id", "merchant", "merchant_name", "amount", "description", "return_url", "expires", "sig"} {
		v.Fields = append(v.Fields, [2]string{k, o.Query.Get(k)})
	}
	t, done, err := g.txnFor(r.Context(), g.db, o.PaymentID)
	if err != nil {
		g.rd.RenderError(w, r, fault.Wrap(err, "demo gateway: ledger"))
		return
	}
	if done {
		v.Done, v.Back = &t, backURL(o.ReturnURL, t)
	} else if !g.now().Before(o.Expires) {
		g.rd.RenderError(w, r, fault.New(fault.Conflict, "payment.link_expired",
			"Liên kết thanh toán đã hết hạn. Hãy quay lại Cổng dịch vụ công để tạo giao dịch mới.", "the pay request expired"))
		return
	}
	allowReturn(w, o.ReturnURL)
	g.rd.Render(w, r, http.StatusOK, "gateway_pay.html", g.page(r, web.T(web.Lang(r), "pay.gw.pay.title"), v))
}

var cspOrigin = regexp.MustCompile(`^https?://[A-Za-z0-9.-]+(:[0-9]+)?$`)

// allowReturn lets the pay page's form end at the merchant's return
// address: browsers apply the page's form-action directive to the
// redirect that follows the form post, and the platform's form-action
// 'self' would refuse it.
func allowReturn(w http.ResponseWriter, ret string) {
	u, err := url.Parse(ret)
	if err != nil {
		return
	}
	o := u.Scheme + "://" + u.Host
	if !cspOrigin.MatchString(o) {
		return
	}
	w.Header().Set("Content-Security-Policy", strings.Replace(web.ContentSecurityPolicy, "form-action 'self'", "form-action 'self' "+o, 1))
}

// backURL is the merchant's return address with the payment's id and the
// outcome added, as gateways do; the merchant must not trust them.
func backURL(ret string, t demoTxn) string {
	u, err := url.Parse(ret)
	if err != nil {
		return ret
	}
	q := u.Query()
	q.Set("payment_id", t.PaymentID)
	res := ResultPaid
	if t.Result == demoDeclined || t.Result == demoCancelled {
		res = ResultFailed
	}
	q.Set("result", res)
	u.RawQuery = q.Encode()
	return u.String()
}

// newTxnID is a transaction number as a bank would print it.
func newTxnID(now time.Time) string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1e10))
	return fmt.Sprintf("DEMO%s%010d", now.In(ict).Format("060102"), n.Int64())
}

func (g *DemoGateway) pay(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		g.rd.RenderError(w, r, errBadLink)
		return
	}
	o, err := g.order(r.PostForm)
	if err != nil {
		g.rd.RenderError(w, r, err)
		return
	}
	var result string
	switch r.PostFormValue("action") {
	case "pay":
		result = demoPaid
	case "decline":
		result = demoDeclined
	case "cancel":
		result = demoCancelled
	default:
		g.rd.RenderError(w, r, fault.New(fault.BadRequest, "payment.bad_action", "Hãy chọn thanh toán hoặc hủy giao dịch", "action must be pay, decline or cancel"))
		return
	}
	ctx := r.Context()
	now := g.now()
	t, done, err := g.txnFor(ctx, g.db, o.PaymentID)
	if err == nil && !done {
		if !now.Before(o.Expires) {
			g.rd.RenderError(w, r, fault.New(fault.Conflict, "payment.link_expired",
				"Liên kết thanh toán đã hết hạn. Hãy quay lại Cổng dịch vụ công để tạo giao dịch mới.", "the pay request expired"))
			return
		}
		reason := ""
		if result != demoPaid {
			reason = result
		}
		_, err = g.db.Exec(ctx, "INSERT INTO pay_demo_txn ("+demoColumns+", notified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, '', '', NULL, NULL) ON CONFLICT (payment_id) DO NOTHING",
			newTxnID(now), o.PaymentID, o.Merchant, o.Amount, result, reason, o.ReturnURL, micros(now))
		if err == nil {
			t, _, err = g.txnFor(ctx, g.db, o.PaymentID)
		}
	}
	if err != nil {
		g.rd.RenderError(w, r, fault.Wrap(err, "demo gateway: record transaction"))
		return
	}
	// The merchant hears of it first, server to server; the browser is sent
	// back after. A notification that does not get through is resent by
	// Run until the merchant answers.
	if t.NotifyState == "pending" {
		g.deliver(ctx, t)
	}
	http.Redirect(w, r, backURL(t.ReturnURL, t), http.StatusSeeOther)
}

// notice is the notification body of a ledger row; the same row always
// gives the same bytes, so a resent notification is recognisably the same.
func notice(t demoTxn) []byte {
	n := demoNotice{Txn: t.Txn, PaymentID: t.PaymentID, Merchant: t.Merchant, Amount: t.Amount, Result: ResultPaid, At: t.CreatedAt}
	if t.Result == demoDeclined || t.Result == demoCancelled {
		n.Result, n.Reason = ResultFailed, t.Result
	}
	b, _ := json.Marshal(n)
	return b
}

// deliver sends t's notification once and records the answer: 2xx
// delivered, 4xx rejected (not resent), anything else tried again later.
func (g *DemoGateway) deliver(ctx context.Context, t demoTxn) {
	body := notice(t)
	state, msg := "pending", ""
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.callbackURL, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		signRequest(req, g.secret, body, g.now())
		var res *http.Response
		if res, err = g.client.Do(req); err == nil {
			rb, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
			res.Body.Close()
			switch {
			case res.StatusCode/100 == 2:
				state = "delivered"
			case res.StatusCode/100 == 4 && res.StatusCode != http.StatusTooManyRequests && res.StatusCode != http.StatusRequestTimeout:
				state, msg = "rejected", res.Status+": "+string(bytes.TrimSpace(rb))
			default:
				msg = res.Status
			}
		}
	}
	if err != nil {
		msg = err.Error()
	}
	if state != "delivered" {
		g.log.Warn("demo payment gateway: notification not delivered", "txn", t.Txn, "state", state, "err", msg)
	}
	var at any
	if state == "delivered" {
		at = micros(g.now())
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := g.db.Exec(wctx, "UPDATE pay_demo_txn SET notify_state = ?, notified_at = ?, notify_attempts = notify_attempts + 1, notify_error = ? WHERE txn = ? AND notify_state = 'pending'",
		state, at, msg, t.Txn); err != nil {
		g.log.Error("demo payment gateway: record notification", "txn", t.Txn, "err", err)
	}
}

// MaxNotifyAttempts is how often the demo provider tries a notification.
const MaxNotifyAttempts = 30

// Resend tries once more every notification not yet delivered (nor
// rejected, nor tried MaxNotifyAttempts times), and returns how many it tried.
func (g *DemoGateway) Resend(ctx context.Context) (int, error) {
	rows, err := g.db.Query(ctx, "SELECT "+demoColumns+" FROM pay_demo_txn WHERE notify_state = 'pending' AND notify_attempts < ? ORDER BY created_at LIMIT 100", MaxNotifyAttempts)
	if err != nil {
		return 0, err
	}
	var ts []demoTxn
	for rows.Next() {
		t, err := scanDemo(rows)
		if err != nil {
			rows.Close()
			return 0, err
		}
		ts = append(ts, t)
	}
	rows.Close()
	for _, t := range ts {
		g.deliver(ctx, t)
	}
	return len(ts), rows.Err()
}

// Run resends undelivered notifications every interval until ctx ends.
func (g *DemoGateway) Run(ctx context.Context, interval time.Duration) {
	tk := time.NewTicker(interval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			if _, err := g.Resend(ctx); err != nil && ctx.Err() == nil {
				g.log.Error("demo payment gateway: resend", "err", err)
			}
		}
	}
}

// ---------------------------------------------------------------- API

// api verifies a signed API request: the body, or for a GET the raw
// query, signed with the timestamp.
func (g *DemoGateway) api(w http.ResponseWriter, r *http.Request, signed []byte) bool {
	if err := CheckSignature(g.secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), signed, g.now()); err != nil {
		web.WriteError(w, r, err)
		return false
	}
	return true
}

// answer writes v as JSON, signed.
func (g *DemoGateway) answer(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	ts := strconv.FormatInt(g.now().Unix(), 10)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set(HeaderTimestamp, ts)
	w.Header().Set(HeaderSignature, Sign(g.secret, ts, b))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func (g *DemoGateway) statement(w http.ResponseWriter, r *http.Request) {
	if !g.api(w, r, []byte(r.URL.RawQuery)) {
		return
	}
	q := r.URL.Query()
	from, err1 := time.Parse(time.RFC3339, q.Get("from"))
	to, err2 := time.Parse(time.RFC3339, q.Get("to"))
	if q.Get("merchant") == "" || err1 != nil || err2 != nil {
		web.WriteError(w, r, fault.New(fault.BadRequest, "payment.bad_statement", "Yêu cầu sao kê cần merchant, from và to", "merchant, from and to (RFC 3339) are required"))
		return
	}
	rows, err := g.db.Query(r.Context(), "SELECT "+demoColumns+" FROM pay_demo_txn WHERE merchant = ? AND created_at >= ? AND created_at < ? ORDER BY created_at",
		q.Get("merchant"), micros(from), micros(to))
	if err != nil {
		web.WriteError(w, r, fault.Wrap(err, "demo gateway: statement"))
		return
	}
	defer rows.Close()
	out := []Txn{}
	for rows.Next() {
		t, err := scanDemo(rows)
		if err != nil {
			web.WriteError(w, r, fault.Wrap(err, "demo gateway: statement"))
			return
		}
		out = append(out, Txn{Txn: t.Txn, PaymentID: t.PaymentID, Merchant: t.Merchant, Amount: t.Amount, Result: t.Result, CreatedAt: t.CreatedAt, RefundedAt: t.RefundedAt})
	}
	g.answer(w, map[string]any{"transactions": out})
}

func (g *DemoGateway) refund(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		web.WriteError(w, r, fault.New(fault.BadRequest, "payment.bad_refund", "Yêu cầu hoàn tiền không đọc được", "the body could not be read"))
		return
	}
	if !g.api(w, r, body) {
		return
	}
	var in refundRequest
	if err := json.Unmarshal(body, &in); err != nil || in.Txn == "" {
		web.WriteError(w, r, fault.New(fault.BadRequest, "payment.bad_refund", "Yêu cầu hoàn tiền không đúng định dạng", "the body must be a refund request with txn"))
		return
	}
	ctx := r.Context()
	var refundID string
	err = g.db.Tx(ctx, func(tx *store.Tx) error {
		t, err := scanDemo(tx.QueryRow(ctx, "SELECT "+demoColumns+" FROM pay_demo_txn WHERE txn = ?", in.Txn))
		if errors.Is(err, sql.ErrNoRows) {
			return fault.NotFoundf("payment.unknown_txn", "Cổng thanh toán không có giao dịch này", "there is no transaction %q", in.Txn)
		}
		if err != nil {
			return err
		}
		switch {
		case t.PaymentID != in.PaymentID || t.Amount != in.Amount:
			return fault.New(fault.Conflict, "payment.refund_mismatch", "Yêu cầu hoàn tiền không khớp với giao dịch", "payment id or amount differ from the transaction")
		case t.Result == demoRefunded:
			refundID = t.RefundID
			return nil
		case t.Result != demoPaid:
			return fault.New(fault.Conflict, "payment.refund_unpaid", "Giao dịch chưa thanh toán nên không hoàn tiền được", "the transaction is "+t.Result)
		}
		refundID = "RF" + strings.TrimPrefix(t.Txn, "DEMO")
		_, err = tx.Exec(ctx, "UPDATE pay_demo_txn SET result = ?, refund_id = ?, refunded_at = ? WHERE txn = ?", demoRefunded, refundID, micros(g.now()), t.Txn)
		return err
	})
	if err != nil {
		if fault.As(err) == nil {
			err = fault.Wrap(err, "demo gateway: refund")
		}
		web.WriteError(w, r, err)
		return
	}
	g.answer(w, map[string]string{"refund_id": refundID})
}
