package payment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

// digest is the hex SHA-256 of a notification body.
func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// nextReceiptNo takes the agency's next receipt number for the year of at
// (in Vietnam) inside tx: <agency>-BL<yy>-<seven digits>, numbered from 1
// each year. Taken in the transaction that marks the payment paid, a
// number is used exactly once and the sequence has no gaps.
func nextReceiptNo(ctx context.Context, tx store.Querier, agency string, at time.Time) (string, error) {
	year := at.In(ict).Year()
	var n int64
	err := tx.QueryRow(ctx, "INSERT INTO pay_receipt_seq (agency, year, last) VALUES (?, ?, 1) ON CONFLICT (agency, year) DO UPDATE SET last = pay_receipt_seq.last + 1 RETURNING last",
		agency, year).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("payment: receipt number: %w", err)
	}
	return fmt.Sprintf("%s-BL%02d-%07d", agency, year%100, n), nil
}

// Receipt is an electronic receipt (biên lai điện tử) for a paid fee.
type Receipt struct {
	No          string     `json:"no"` // số biên lai
	PaymentID   string     `json:"payment_id"`
	Ref         string     `json:"ref"` // the dossier code
	Agency      string     `json:"agency"`
	AgencyName  string     `json:"agency_name"` // the collecting agency
	PayerID     string     `json:"payer_id"`
	PayerName   string     `json:"payer_name"`
	Description string     `json:"description"`
	Amount      int64      `json:"amount"`
	AmountWords string     `json:"amount_words"` // the amount in Vietnamese words, as receipts write it
	Method      string     `json:"method"`       // hình thức thanh toán
	Provider    string     `json:"provider"`
	ProviderTxn string     `json:"provider_txn"`
	PaidAt      time.Time  `json:"paid_at"`
	Status      string     `json:"status"`                // paid, or refunded: a refunded receipt is annulled
	RefundedAt  *time.Time `json:"refunded_at,omitempty"` // when the money went back
}

// ReceiptOf returns p's receipt, or a Conflict fault while p is not paid
// (nor refunded, whose receipt stays readable, marked as such).
func ReceiptOf(p Payment) (Receipt, error) {
	if p.ReceiptNo == "" || p.PaidAt == nil {
		return Receipt{}, fault.New(fault.Conflict, "payment.no_receipt", "Giao dịch chưa được thanh toán nên chưa có biên lai", "the payment is "+p.Status+"; only paid payments have a receipt")
	}
	return Receipt{No: p.ReceiptNo, PaymentID: p.ID, Ref: p.Ref, Agency: p.Agency, AgencyName: p.AgencyName, PayerID: p.PayerID, PayerName: p.PayerName,
		Description: p.Description, Amount: p.Amount, AmountWords: AmountInWords(p.Amount), Method: "Thanh toán trực tuyến qua cổng thanh toán",
		Provider: p.Provider, ProviderTxn: p.ProviderTxn, PaidAt: *p.PaidAt, Status: p.Status, RefundedAt: p.RefundedAt}, nil
}

// Receipt returns the receipt of payment id.
func (s *Service) Receipt(ctx context.Context, id string) (Receipt, error) {
	p, err := s.Get(ctx, id)
	if err != nil {
		return Receipt{}, err
	}
	return ReceiptOf(p)
}

// ReceiptFor returns the receipt of payment id if payerID made it; any
// other payer gets the NotFound of a payment that does not exist.
func (s *Service) ReceiptFor(ctx context.Context, id, payerID string) (Receipt, error) {
	p, err := s.GetFor(ctx, id, payerID)
	if err != nil {
		return Receipt{}, err
	}
	return ReceiptOf(p)
}

var (
	digitWords = [...]string{"không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"}
	scaleWords = [...]string{"", "nghìn", "triệu"}
)

// AmountInWords writes an amount of đồng in Vietnamese words, with a
// capital first letter, as receipts and invoices do: 1.005.000 is "Một
// triệu không trăm linh năm nghìn đồng".
func AmountInWords(n int64) string {
	w := "không"
	switch {
	case n < 0:
		w = "âm " + words(-n, false)
	case n > 0:
		w = words(n, false)
	}
	return strings.ToUpper(w[:1]) + w[1:] + " đồng"
}

// words writes n > 0; inner says higher digits precede it, so a leading
// group is read in full ("không trăm linh năm").
func words(n int64, inner bool) string {
	const billion = 1_000_000_000
	if n >= billion {
		hi, lo := n/billion, n%billion
		s := words(hi, inner) + " tỷ"
		if lo > 0 {
			s += " " + words(lo, true)
		}
		return s
	}
	var groups []int
	for v := n; v > 0; v /= 1000 {
		groups = append(groups, int(v%1000))
	}
	var parts []string
	for i := len(groups) - 1; i >= 0; i-- {
		g := groups[i]
		if g == 0 {
			continue
		}
		full := inner || i < len(groups)-1
		s := group(g, full)
		if scaleWords[i] != "" {
			s += " " + scaleWords[i]
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// group reads 1..999; full reads the hundreds even when zero.
func group(g int, full bool) string {
	h, t, u := g/100, g/10%10, g%10
	var p []string
	if h > 0 || full {
		p = append(p, digitWords[h], "trăm")
	}
	switch {
	case t == 0 && u > 0 && len(p) > 0:
		p = append(p, "linh")
	case t == 1:
		p = append(p, "mười")
	case t > 1:
		p = append(p, digitWords[t], "mươi")
	}
	switch {
	case u == 0:
	case u == 1 && t > 1:
		p = append(p, "mốt")
	case u == 5 && t > 0:
		p = append(p, "lăm")
	default:
		p = append(p, digitWords[u])
	}
	return strings.Join(p, " ")
}
