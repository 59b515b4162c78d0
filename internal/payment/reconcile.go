package payment

import (
	"context"
	"encoding/csv"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
)

// Issues a reconciliation row can have; "" is a row that matches.
const (
	IssueMissingAtProvider = "missing_at_provider" // paid here, no such transaction at the provider
	IssueNotRecorded       = "not_recorded"        // the provider took the money, the payment here is not paid
	IssueUnknownPayment    = "unknown_payment"     // a provider transaction for a payment this adapter does not have
	IssueAmount            = "amount_differs"      // the amounts differ
	IssueTxn               = "txn_differs"         // the transaction ids differ
	IssueRefund            = "refund_differs"      // refunded on one side only
)

var issueNames = map[string]string{
	IssueMissingAtProvider: "Đã ghi nhận thanh toán nhưng cổng thanh toán không có giao dịch",
	IssueNotRecorded:       "Cổng thanh toán đã thu tiền nhưng hệ thống chưa ghi nhận",
	IssueUnknownPayment:    "Giao dịch của cổng thanh toán không thuộc khoản thu nào của hệ thống",
	IssueAmount:            "Số tiền không khớp",
	IssueTxn:               "Mã giao dịch không khớp",
	IssueRefund:            "Trạng thái hoàn tiền không khớp",
}

// IssueName is an issue in Vietnamese.
func IssueName(code string) string { return issueNames[code] }

// ReconRow is one payment or provider transaction in a reconciliation.
type ReconRow struct {
	PaymentID      string     `json:"payment_id"`
	Ref            string     `json:"ref"`
	ReceiptNo      string     `json:"receipt_no"`
	PayerID        string     `json:"payer_id"`
	Amount         int64      `json:"amount"` // as recorded here
	Status         string     `json:"status"` // here; "" for a transaction unknown here
	CreatedAt      *time.Time `json:"created_at,omitempty"`
	PaidAt         *time.Time `json:"paid_at,omitempty"`
	RefundedAt     *time.Time `json:"refunded_at,omitempty"`
	ProviderTxn    string     `json:"provider_txn"`
	ProviderAmount *int64     `json:"provider_amount,omitempty"` // as the provider reports it; nil when it has none
	ProviderResult string     `json:"provider_result"`           // paid, declined, cancelled, refunded; "" when it has none
	Issues         []string   `json:"issues"`
}

// Totals sum a reconciliation.
type Totals struct {
	Payments       int   `json:"payments"`         // payments made in the period
	Paid           int   `json:"paid"`             // of which paid and not refunded
	PaidAmount     int64 `json:"paid_amount"`      // their amount
	Refunded       int   `json:"refunded"`         // paid, then refunded
	RefundedAmount int64 `json:"refunded_amount"`  // their amount
	Failed         int   `json:"failed"`           // failed
	Expired        int   `json:"expired"`          // expired
	Pending        int   `json:"pending"`          // still pending
	ProviderTxns   int   `json:"provider_txns"`    // the provider's transactions in the period
	ProviderPaid   int64 `json:"provider_paid"`    // what it holds for the agency: paid, not refunded
	ProviderRefund int64 `json:"provider_refunds"` // what it gave back
	Mismatches     int   `json:"mismatches"`       // rows with an issue
}

// Report is an agency's reconciliation (đối soát) for a period: every
// payment and every provider transaction in it, matched by payment id.
type Report struct {
	Agency        string     `json:"agency"`
	From          time.Time  `json:"from"`
	To            time.Time  `json:"to"`
	Provider      string     `json:"provider"`
	ProviderError string     `json:"provider_error,omitempty"` // why the statement could not be had; rows are then unchecked
	Rows          []ReconRow `json:"rows"`
	Totals        Totals     `json:"totals"`
}

// MaxReconPeriod is the longest period one report covers.
const MaxReconPeriod = 366 * 24 * time.Hour

// Reconcile compares the agency's payments created in [from, to) with
// the provider's statement for the same period (widened by the payments'
// lifetime, so a payment made just before from and paid after it is
// matched) and flags every difference. When the provider cannot be
// reached the report still lists the payments, with ProviderError set.
func (s *Service) Reconcile(ctx context.Context, agency string, from, to time.Time) (Report, error) {
	agency = strings.ToUpper(strings.TrimSpace(agency))
	var fs []fault.FieldError
	if !refRE.MatchString(agency) {
		fs = append(fs, fe("agency", "agency.format", "Hãy chọn cơ quan (mã định danh)", "agency is required"))
	}
	if from.IsZero() || to.IsZero() || !to.After(from) || to.Sub(from) > MaxReconPeriod {
		fs = append(fs, fe("from", "period", "Khoảng thời gian đối soát không hợp lệ: ngày bắt đầu phải trước ngày kết thúc, tối đa một năm", "from must be before to, at most 366 days apart"))
	}
	if len(fs) > 0 {
		return Report{}, fault.Invalidf(fs, "invalid reconciliation period")
	}
	rep := Report{Agency: agency, From: from.UTC(), To: to.UTC(), Provider: s.provider, Rows: []ReconRow{}}
	pays, err := s.list(ctx, "WHERE agency = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, id", agency, micros(from), micros(to))
	if err != nil {
		return rep, err
	}
	var txns []Txn
	checked := false
	if pr := s.providers[s.provider]; pr == nil {
		rep.ProviderError = "no payment provider is configured"
	} else if txns, err = pr.Statement(ctx, agency, from.Add(-s.ttl), to.Add(s.ttl)); err != nil {
		rep.ProviderError = err.Error()
	} else {
		checked = true
	}
	byPayment := map[string]Txn{}
	for _, t := range txns {
		byPayment[t.PaymentID] = t
	}
	known := map[string]bool{}
	for _, p := range pays {
		known[p.ID] = true
		created := p.CreatedAt
		r := ReconRow{PaymentID: p.ID, Ref: p.Ref, ReceiptNo: p.ReceiptNo, PayerID: p.PayerID, Amount: p.Amount, Status: p.Status,
			CreatedAt: &created, PaidAt: p.PaidAt, RefundedAt: p.RefundedAt, ProviderTxn: p.ProviderTxn, Issues: []string{}}
		t, has := byPayment[p.ID]
		if has {
			amount := t.Amount
			r.ProviderAmount, r.ProviderResult = &amount, t.Result
			if r.ProviderTxn == "" {
				r.ProviderTxn = t.Txn
			}
		}
		if checked {
			r.Issues = rowIssues(p, t, has)
		}
		rep.Rows = append(rep.Rows, r)
		tot := &rep.Totals
		tot.Payments++
		switch p.Status {
		case StatusPaid:
			tot.Paid++
			tot.PaidAmount += p.Amount
		case StatusRefunded:
			tot.Refunded++
			tot.RefundedAmount += p.Amount
		case StatusFailed:
			tot.Failed++
		case StatusExpired:
			tot.Expired++
		case StatusPending:
			tot.Pending++
		}
	}
	for _, t := range txns {
		inPeriod := !t.CreatedAt.Before(from) && t.CreatedAt.Before(to)
		if known[t.PaymentID] || inPeriod {
			rep.Totals.ProviderTxns++
			switch t.Result {
			case ResultPaid:
				rep.Totals.ProviderPaid += t.Amount
			case "refunded":
				rep.Totals.ProviderRefund += t.Amount
			}
		}
		if known[t.PaymentID] || !inPeriod {
			continue
		}
		created := t.CreatedAt
		amount := t.Amount
		r := ReconRow{PaymentID: t.PaymentID, ProviderTxn: t.Txn, ProviderAmount: &amount, ProviderResult: t.Result, CreatedAt: &created, Issues: []string{}}
		// A payment of another agency, or one this adapter never made: the
		// provider holds money nobody here accounts for.
		if t.Result == ResultPaid || t.Result == "refunded" {
			r.Issues = append(r.Issues, IssueUnknownPayment)
		}
		rep.Rows = append(rep.Rows, r)
	}
	sort.SliceStable(rep.Rows, func(i, j int) bool {
		a, b := rep.Rows[i].CreatedAt, rep.Rows[j].CreatedAt
		return a != nil && b != nil && a.Before(*b)
	})
	for _, r := range rep.Rows {
		if len(r.Issues) > 0 {
			rep.Totals.Mismatches++
		}
	}
	return rep, nil
}

// rowIssues compares a payment with the provider's transaction for it.
func rowIssues(p Payment, t Txn, has bool) []string {
	out := []string{}
	settled := p.Status == StatusPaid || p.Status == StatusRefunded
	took := has && (t.Result == ResultPaid || t.Result == "refunded")
	switch {
	case settled && !took:
		return append(out, IssueMissingAtProvider)
	case took && !settled:
		return append(out, IssueNotRecorded)
	case !took:
		return out
	}
	if t.Amount != p.Amount {
		out = append(out, IssueAmount)
	}
	if t.Txn != p.ProviderTxn {
		out = append(out, IssueTxn)
	}
	if (t.Result == "refunded") != (p.Status == StatusRefunded) {
		out = append(out, IssueRefund)
	}
	return out
}

// WriteCSV writes the report as CSV (UTF-8 with a byte-order mark, so
// that spreadsheet programs read the Vietnamese correctly), one row per
// payment or transaction, then a totals row.
func (rep Report) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"Mã giao dịch", "Mã hồ sơ", "Số biên lai", "Số định danh người nộp", "Số tiền (đồng)", "Trạng thái", "Thời điểm tạo", "Thời điểm thanh toán",
		"Thời điểm hoàn tiền", "Mã giao dịch cổng thanh toán", "Số tiền theo cổng thanh toán", "Kết quả theo cổng thanh toán", "Chênh lệch"})
	t := func(v *time.Time) string {
		if v == nil {
			return ""
		}
		return v.In(ict).Format("2006-01-02 15:04:05")
	}
	for _, r := range rep.Rows {
		pa := ""
		if r.ProviderAmount != nil {
			pa = strconv.FormatInt(*r.ProviderAmount, 10)
		}
		amount := ""
		if r.Status != "" {
			amount = strconv.FormatInt(r.Amount, 10)
		}
		var issues []string
		for _, i := range r.Issues {
			issues = append(issues, IssueName(i))
		}
		cw.Write([]string{r.PaymentID, r.Ref, r.ReceiptNo, r.PayerID, amount, StatusName(r.Status), t(r.CreatedAt), t(r.PaidAt), t(r.RefundedAt),
			r.ProviderTxn, pa, r.ProviderResult, strings.Join(issues, "; ")})
	}
	tot := rep.Totals
	cw.Write([]string{"Tổng cộng", "", "", "", strconv.FormatInt(tot.PaidAmount, 10), "Đã thanh toán: " + strconv.Itoa(tot.Paid) + "; đã hoàn tiền: " + strconv.Itoa(tot.Refunded) +
		" (" + strconv.FormatInt(tot.RefundedAmount, 10) + " đồng)", "", "", "", "", strconv.FormatInt(tot.ProviderPaid, 10), "", "Số dòng chênh lệch: " + strconv.Itoa(tot.Mismatches)})
	cw.Flush()
	return cw.Error()
}
