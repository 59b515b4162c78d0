package payment

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
)

// Provider is a payment service provider (cổng thanh toán: a bank's or an
// e-wallet's gateway) as the adapter uses it. The demo provider is one;
// an adapter for a real gateway implements the same five methods.
type Provider interface {
	// Name is the provider's name in payments, events and callback paths.
	Name() string
	// PayURL is the provider's page where the payer pays p.
	PayURL(p Payment) (string, error)
	// Verify checks a notification's signature and freshness at now and
	// returns what it says; a forged, altered or stale one is an
	// Unauthenticated fault, a malformed one a BadRequest fault.
	Verify(n Notification, now time.Time) (Notice, error)
	// Refund asks the provider to return p's money and returns its refund
	// id; asking again for the same payment returns the same refund.
	Refund(ctx context.Context, p Payment, reason string) (string, error)
	// Statement lists the provider's transactions for merchant (an agency)
	// created in [from, to).
	Statement(ctx context.Context, merchant string, from, to time.Time) ([]Txn, error)
}

// Notification is a server-to-server notification (IPN) as it arrived:
// the signature and timestamp headers and the exact body.
type Notification struct {
	Timestamp string
	Signature string
	Body      []byte
}

// Notice is what a verified notification says about a payment.
type Notice struct {
	Txn       string    `json:"txn"`        // the provider's transaction id
	PaymentID string    `json:"payment_id"` // the adapter's payment id
	Merchant  string    `json:"merchant"`   // the agency code
	Amount    int64     `json:"amount"`     // VND
	Result    string    `json:"result"`     // ResultPaid or ResultFailed
	Reason    string    `json:"reason,omitempty"`
	At        time.Time `json:"at"`
}

// Results a notice can carry.
const (
	ResultPaid   = "paid"
	ResultFailed = "failed"
)

// Txn is one transaction in a provider's statement.
type Txn struct {
	Txn        string     `json:"txn"`
	PaymentID  string     `json:"payment_id"`
	Merchant   string     `json:"merchant"`
	Amount     int64      `json:"amount"`
	Result     string     `json:"result"` // paid, declined, cancelled or refunded
	CreatedAt  time.Time  `json:"created_at"`
	RefundedAt *time.Time `json:"refunded_at,omitempty"`
}

// Headers of signed messages between the adapter and a provider.
const (
	HeaderTimestamp = "X-Payment-Timestamp" // Unix seconds
	HeaderSignature = "X-Payment-Signature" // hex HMAC-SHA256 over timestamp "." body
)

// MaxSkew is how far a signed message's timestamp may be from the
// receiver's clock, either way; older messages are refused as replays.
const MaxSkew = 5 * time.Minute

// Sign returns the signature of body sent at timestamp ts (Unix seconds,
// as a decimal string): hex(HMAC-SHA256(secret, ts "." body)).
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// errSignature is the fault for a message whose signature does not hold.
var errSignature = fault.New(fault.Unauthenticated, "payment.bad_signature",
	"Chữ ký của thông báo thanh toán không hợp lệ; thông báo bị từ chối",
	"the signature does not match the timestamp and body")

// CheckSignature verifies sig over ts and body in constant time and checks
// that ts is within MaxSkew of now.
func CheckSignature(secret []byte, ts, sig string, body []byte, now time.Time) error {
	if len(secret) == 0 {
		return fault.New(fault.Unavailable, "payment.no_secret", "Cổng thanh toán chưa được cấu hình khóa bí mật", "no shared secret is configured")
	}
	if ts == "" || sig == "" {
		return fault.New(fault.Unauthenticated, "payment.unsigned", "Thông báo thanh toán thiếu chữ ký hoặc thời điểm ký; thông báo bị từ chối",
			"the "+HeaderTimestamp+" and "+HeaderSignature+" headers are required")
	}
	got, err := hex.DecodeString(sig)
	want, _ := hex.DecodeString(Sign(secret, ts, body))
	if err != nil || !hmac.Equal(got, want) {
		return errSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return fault.New(fault.Unauthenticated, "payment.stale",
			"Thông báo thanh toán đã quá hạn (ký quá 5 phút trước hoặc sau giờ hệ thống); thông báo bị từ chối",
			fmt.Sprintf("the timestamp is %s away from now, more than %s", d.Round(time.Second), MaxSkew))
	}
	return nil
}

// signRequest signs an outgoing request body with the current time.
func signRequest(req *http.Request, secret []byte, body []byte, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(secret, ts, body))
}

// ---------------------------------------------------------------- demo

// DemoName is the demo provider's name.
const DemoName = "demo"

// Demo is the adapter's side of the demo provider: pay URLs signed with
// the shared secret, notifications verified with it, refunds and
// statements asked of the provider's server-to-server API.
type Demo struct {
	// URL is the provider's base address, e.g. http://127.0.0.1:8098; its
	// pages are under DemoPrefix.
	URL    string
	Secret []byte
	Client *http.Client
	Now    func() time.Time
}

var _ Provider = (*Demo)(nil)

// Name implements Provider.
func (d *Demo) Name() string { return DemoName }

func (d *Demo) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Demo) client() *http.Client {
	if d.Client != nil {
		return d.Client
	}
	return &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// payParams are the signed query of a pay URL, without the signature.
func payParams(p Payment) url.Values {
	return url.Values{
		"payment_id":    {p.ID},
		"merchant":      {p.Agency},
		"merchant_name": {p.AgencyName},
		"amount":        {strconv.FormatInt(p.Amount, 10)},
		"description":   {p.Description},
		"return_url":    {p.ReturnURL},
		"expires":       {strconv.FormatInt(p.ExpiresAt.Unix(), 10)},
	}
}

// signQuery signs the canonical form of q (sorted, URL-encoded, as
// url.Values.Encode writes it) under the "pay" purpose.
func signQuery(secret []byte, q url.Values) string {
	return Sign(secret, "pay", []byte(q.Encode()))
}

// PayURL implements Provider: the provider's page with the payment's
// details in a query signed with the shared secret, so that the payer's
// browser cannot change the amount or the merchant on the way.
func (d *Demo) PayURL(p Payment) (string, error) {
	if len(d.Secret) == 0 || d.URL == "" {
		return "", errNotConfigured
	}
	q := payParams(p)
	q.Set("sig", signQuery(d.Secret, q))
	return strings.TrimRight(d.URL, "/") + DemoPrefix + "pay?" + q.Encode(), nil
}

// demoNotice is the body of the demo provider's notification.
type demoNotice struct {
	Txn       string    `json:"txn"`
	PaymentID string    `json:"payment_id"`
	Merchant  string    `json:"merchant"`
	Amount    int64     `json:"amount"`
	Result    string    `json:"result"`
	Reason    string    `json:"reason,omitempty"`
	At        time.Time `json:"at"`
}

// Verify implements Provider.
func (d *Demo) Verify(n Notification, now time.Time) (Notice, error) {
	if err := CheckSignature(d.Secret, n.Timestamp, n.Signature, n.Body, now); err != nil {
		return Notice{}, err
	}
	var b demoNotice
	dec := json.NewDecoder(bytes.NewReader(n.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil || b.Txn == "" || b.PaymentID == "" || (b.Result != ResultPaid && b.Result != ResultFailed) {
		return Notice{}, fault.New(fault.BadRequest, "payment.bad_notification", "Thông báo thanh toán không đúng định dạng", "the notification body is not a valid demo notice")
	}
	return Notice(b), nil
}

// call makes a signed request to the provider's API and decodes its
// signed answer into out.
func (d *Demo) call(ctx context.Context, method, path, query string, in, out any) error {
	if len(d.Secret) == 0 || d.URL == "" {
		return errNotConfigured
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	u := strings.TrimRight(d.URL, "/") + DemoPrefix + path
	signed := body
	if query != "" {
		u += "?" + query
		signed = []byte(query)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	signRequest(req, d.Secret, signed, d.now())
	res, err := d.client().Do(req)
	if err != nil {
		return unavailable(err)
	}
	defer res.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return unavailable(err)
	}
	if res.StatusCode/100 != 2 {
		return unavailable(fmt.Errorf("%s %s: %s: %s", method, path, res.Status, bytes.TrimSpace(rb)))
	}
	// The provider signs its answers too: an answer that does not verify
	// did not come from it.
	if err := CheckSignature(d.Secret, res.Header.Get(HeaderTimestamp), res.Header.Get(HeaderSignature), rb, d.now()); err != nil {
		return unavailable(fmt.Errorf("%s %s: answer: %w", method, path, err))
	}
	if err := json.Unmarshal(rb, out); err != nil {
		return unavailable(fmt.Errorf("%s %s: answer: %w", method, path, err))
	}
	return nil
}

func unavailable(err error) error {
	f := fault.New(fault.Unavailable, "payment.provider_unavailable", "Không kết nối được với cổng thanh toán, vui lòng thử lại sau", "the payment provider did not answer as expected")
	f.Cause = err
	return f
}

var errNotConfigured = fault.New(fault.Unavailable, "payment.not_configured",
	"Dịch vụ thanh toán trực tuyến chưa được cấu hình; vui lòng nộp phí tại bộ phận một cửa",
	"no payment provider is configured (address and shared secret)")

// refundRequest is the body of a refund request to the demo provider.
type refundRequest struct {
	Txn       string `json:"txn"`
	PaymentID string `json:"payment_id"`
	Amount    int64  `json:"amount"`
	Reason    string `json:"reason"`
}

// Refund implements Provider.
func (d *Demo) Refund(ctx context.Context, p Payment, reason string) (string, error) {
	var out struct {
		RefundID string `json:"refund_id"`
	}
	if err := d.call(ctx, http.MethodPost, "v1/refunds", "", refundRequest{Txn: p.ProviderTxn, PaymentID: p.ID, Amount: p.Amount, Reason: reason}, &out); err != nil {
		return "", err
	}
	if out.RefundID == "" {
		return "", unavailable(errors.New("refund: no refund id in the answer"))
	}
	return out.RefundID, nil
}

// Statement implements Provider.
func (d *Demo) Statement(ctx context.Context, merchant string, from, to time.Time) ([]Txn, error) {
	q := url.Values{"merchant": {merchant}, "from": {from.UTC().Format(time.RFC3339)}, "to": {to.UTC().Format(time.RFC3339)}}
	var out struct {
		Transactions []Txn `json:"transactions"`
	}
	if err := d.call(ctx, http.MethodGet, "v1/statement", q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	return out.Transactions, nil
}
