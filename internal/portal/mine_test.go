package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/payment"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

const lanID = "001195123456"

var lan = Citizen{ID: lanID, Name: "Trần Thị Lan", ACR: ACRLevel1}

// birthJSON is a complete birth registration e-form of applicant id.
func birthJSON(id, name string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{
		"applicant_id": id, "applicant_full_name": name, "applicant_birth_date": "1989-05-12",
		"applicant_permanent_commune": "00004", "applicant_permanent_street": "Số 8 phố Quán Thánh", "applicant_relation": "father",
		"child_full_name": "Nguyễn Thị Bình An", "child_birth_date": "2026-01-20", "child_sex": "female", "child_ethnicity": "01",
		"child_nationality": "VN", "birth_place_commune": "00004",
	})
	return b
}

func (e *testEnv) file(id, name, key string) dossier.Dossier {
	e.t.Helper()
	d, _, err := e.dossiers.Create(context.Background(), dossier.CreateRequest{Procedure: "1.001193", Agency: agencyBD, Form: birthJSON(id, name),
		ApplicantID: id, CreatedBy: id, IdempotencyKey: key})
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

var desk = dossier.Official{ID: "tiepnhan01", Agency: agencyBD, Roles: []string{dossier.RoleReceptionist, dossier.RoleSpecialist, dossier.RoleLeader}}

func (e *testEnv) act(code, action, note string) dossier.Dossier {
	e.t.Helper()
	d, err := e.dossiers.Act(context.Background(), desk, code, action, note, 0)
	if err != nil {
		e.t.Fatalf("%s %s: %v", action, code, err)
	}
	return d
}

// TestMyDossiers: the list and its pages, a dossier's page, someone else's
// code answered as a missing one, a supplement request answered by
// upload, a withdrawal, and the rating once the result is returned.
func TestMyDossiers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		var mine []dossier.Dossier
		for i := range 12 {
			mine = append(mine, e.file(minhID, "Nguyễn Văn Minh", fmt.Sprint("m", i)))
		}
		other := e.file(lanID, "Trần Thị Lan", "l0")
		b := newBrowser(t)

		// Without a session: to the sign-in, and back here after it.
		b.stop = func(r *http.Request) bool { return true }
		b.get(e.url + "/ho-so/" + mine[0].Code)
		b.stop = nil
		if loc := b.hdr.Get("Location"); b.status != http.StatusSeeOther || loc != "/dang-nhap?next="+url.QueryEscape("/ho-so/"+mine[0].Code) {
			t.Fatalf("without a session: %d %q", b.status, loc)
		}

		e.signIn(b, minh)
		page := b.get(e.url + "/ho-so")
		if !strings.Contains(page, "Bạn có 12 hồ sơ") || strings.Count(page, `<a href="/ho-so/000.00.92.H26-`) != 10 || !strings.Contains(page, `rel="next"`) || strings.Contains(page, other.Code) {
			t.Fatalf("my dossiers, page 1:\n%s", page)
		}
		page = b.get(e.url + "/ho-so?trang=2")
		if strings.Count(page, `<a href="/ho-so/000.00.92.H26-`) != 2 || !strings.Contains(page, `rel="prev"`) {
			t.Fatalf("my dossiers, page 2:\n%s", page)
		}

		// Someone else's dossier is a dossier that does not exist.
		page = b.get(e.url + "/ho-so/" + other.Code)
		st1, msg1 := b.status, byID(page, "main")
		missing := strings.Replace(other.Code, "-0001", "-0999", 1)
		page = b.get(e.url + "/ho-so/" + missing)
		if b.status != http.StatusNotFound || st1 != http.StatusNotFound || !strings.Contains(page, "Không có hồ sơ mã "+missing) || msg1 != byID(page, "main") {
			t.Fatalf("someone else's code: %d vs %d", st1, b.status)
		}
		for _, path := range []string{"/ho-so/" + other.Code + "/bien-nhan", "/ho-so/" + other.Code + "/thanh-toan/ket-qua"} {
			if b.get(e.url + path); b.status != http.StatusNotFound {
				t.Errorf("%s of someone else's dossier: %d", path, b.status)
			}
		}
		page = b.post(e.url+"/ho-so/"+other.Code+"/rut", url.Values{"reason": {"thử"}})
		if b.status != http.StatusNotFound {
			t.Errorf("withdrawing someone else's dossier: %d", b.status)
		}
		if d, _ := e.dossiers.Get(context.Background(), other.Code); d.Status != dossier.StatusNew {
			t.Fatal("someone else's dossier changed")
		}

		// A supplement request, answered by upload.
		d := mine[0]
		e.act(d.Code, dossier.ActionSupplement, "Bổ sung bản chụp Giấy chứng sinh rõ nét")
		page = b.get(e.url + "/ho-so/" + d.Code)
		if !strings.Contains(page, "Bổ sung bản chụp Giấy chứng sinh rõ nét") || !strings.Contains(page, `action="/ho-so/`+d.Code+`/bo-sung"`) || !strings.Contains(page, "Yêu cầu bổ sung giấy tờ") {
			t.Fatalf("the supplement request is not shown:\n%s", page)
		}
		page = b.postMultipart(e.url+"/ho-so/"+d.Code+"/bo-sung", url.Values{"doc": {"giay-chung-sinh"}, "note": {"Đã chụp lại"}}, part{"file", "../giay.pdf", pdf})
		if b.status != http.StatusUnprocessableEntity || !strings.Contains(page, "tên tệp không được chứa đường dẫn") || !strings.Contains(page, "Đã chụp lại") {
			t.Fatalf("a path as a file name: %d", b.status)
		}
		page = b.postMultipart(e.url+"/ho-so/"+d.Code+"/bo-sung", url.Values{"doc": {"giay-chung-sinh"}, "note": {"Đã chụp lại"}}, part{"file", "giay.png", []byte("not a png")})
		if b.status != http.StatusUnprocessableEntity || !strings.Contains(page, "Chỉ nhận tệp PDF, JPEG hoặc PNG") {
			t.Fatalf("a wrong file type: %d", b.status)
		}
		if got, _ := e.dossiers.Get(context.Background(), d.Code); got.Status != dossier.StatusSupplement || len(got.Documents) != 0 {
			t.Fatalf("a refused supplement changed the dossier: %d, %d documents", got.Status, len(got.Documents))
		}
		page = b.postMultipart(e.url+"/ho-so/"+d.Code+"/bo-sung", url.Values{"doc": {"giay-chung-sinh"}, "note": {"Đã chụp lại"}}, part{"file", "giay chung sinh.pdf", pdf})
		if !strings.Contains(b.last, "tb=bo-sung") || !strings.Contains(page, "Đã gửi bổ sung") {
			t.Fatalf("the supplement: %d at %s", b.status, b.last)
		}
		got, _ := e.dossiers.Get(context.Background(), d.Code)
		if got.Status != dossier.StatusNew || len(got.Documents) != 1 || !got.Documents[0].Supplement {
			t.Fatalf("after the supplement: status %d, documents %+v", got.Status, got.Documents)
		}
		// The file can be downloaded by its applicant.
		b.get(e.url + "/ho-so/" + d.Code + "/tep/" + strconv.FormatInt(got.Documents[0].ID, 10))
		if b.status != 200 || b.hdr.Get("Content-Type") != "application/pdf" || !strings.Contains(b.hdr.Get("Content-Disposition"), "attachment") {
			t.Errorf("download: %d %v", b.status, b.hdr)
		}

		// Withdrawal.
		page = b.get(e.url + "/ho-so/" + mine[1].Code)
		page = b.submit(page, "/ho-so/"+mine[1].Code+"/rut", map[string]string{"reason": "Nộp nhầm thủ tục"})
		if !strings.Contains(page, "Đã rút hồ sơ") {
			t.Fatalf("withdrawal:\n%s", page)
		}
		if got, _ := e.dossiers.Get(context.Background(), mine[1].Code); got.Status != dossier.StatusWithdrawn {
			t.Fatalf("after withdrawal: %d", got.Status)
		}
		b.post(e.url+"/ho-so/"+mine[1].Code+"/rut", nil)
		if b.status != http.StatusConflict {
			t.Errorf("withdrawing twice: %d", b.status)
		}

		// The result returned: the rating form; "not satisfied" needs a reason.
		r := mine[2]
		e.act(r.Code, dossier.ActionAccept, "")
		e.act(r.Code, dossier.ActionForward, "")
		e.act(r.Code, dossier.ActionApprove, "")
		page = b.get(e.url + "/ho-so/" + r.Code)
		if strings.Contains(page, `action="/ho-so/`+r.Code+`/danh-gia"`) {
			t.Fatal("a rating form before the result")
		}
		e.act(r.Code, dossier.ActionDeliver, "")
		page = b.get(e.url + "/ho-so/" + r.Code)
		if !strings.Contains(page, `action="/ho-so/`+r.Code+`/danh-gia"`) || strings.Contains(page, `action="/ho-so/`+r.Code+`/rut"`) {
			t.Fatalf("after the result: no rating form, or a withdrawal form:\n%s", page)
		}
		page = b.submit(page, "/ho-so/"+r.Code+"/danh-gia", map[string]string{"rating": "3"})
		if b.status != http.StatusUnprocessableEntity || !strings.Contains(page, "Hãy cho biết lý do không hài lòng") {
			t.Fatalf("not satisfied without a reason: %d", b.status)
		}
		page = b.submit(page, "/ho-so/"+r.Code+"/danh-gia", map[string]string{"rating": "3", "reason": "Phải đi lại hai lần"})
		if !strings.Contains(page, "Cảm ơn bạn đã đánh giá") || !strings.Contains(page, "Không hài lòng") || !strings.Contains(page, "Phải đi lại hai lần") {
			t.Fatalf("after rating:\n%s", page)
		}
		b.post(e.url+"/ho-so/"+r.Code+"/danh-gia", url.Values{"rating": {"1"}})
		if b.status != http.StatusConflict {
			t.Errorf("rating twice: %d", b.status)
		}
		if got, _ := e.dossiers.Get(context.Background(), r.Code); got.Rating != dossier.RatingNotSatisfied {
			t.Fatalf("rating recorded: %d", got.Rating)
		}
		// The timeline names roles, not officials' accounts.
		if page = b.get(e.url + "/ho-so/" + r.Code); strings.Contains(page, desk.ID) || !strings.Contains(page, "Cán bộ tiếp nhận") || !strings.Contains(page, "Trả kết quả") {
			t.Errorf("timeline:\n%s", page)
		}
	})
}

// TestLookup: the public status lookup by code and personal id; someone
// else's id is answered as an unknown code; misses slow the address down.
func TestLookup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		d := e.file(minhID, "Nguyễn Văn Minh", "k1")
		b := newBrowser(t)
		page := b.get(e.url + "/tra-cuu")
		page = b.submit(page, "/tra-cuu", map[string]string{"code": d.Code, "applicant_id": minhID})
		if b.status != 200 || !strings.Contains(page, "Mới đăng ký") || !strings.Contains(page, "Đăng ký khai sinh") || !strings.Contains(page, "Ủy ban nhân dân Phường Ba Đình") {
			t.Fatalf("lookup:\n%s", page)
		}
		if strings.Contains(page, minhID) {
			t.Error("the answer repeats the personal id")
		}
		other := b.post(e.url+"/tra-cuu", url.Values{"code": {d.Code}, "applicant_id": {lanID}})
		st := b.status
		unknown := b.post(e.url+"/tra-cuu", url.Values{"code": {d.Code}, "applicant_id": {"001099999999"}})
		if st != http.StatusNotFound || b.status != http.StatusNotFound || other != unknown || !strings.Contains(other, "Không tìm thấy hồ sơ có mã hồ sơ và số định danh cá nhân này") {
			t.Fatalf("someone else's id: %d, an unknown one: %d; same page: %v", st, b.status, other == unknown)
		}
		missing := strings.Replace(d.Code, "-0001", "-0002", 1)
		b.post(e.url+"/tra-cuu", url.Values{"code": {missing}, "applicant_id": {minhID}})
		if b.status != http.StatusNotFound {
			t.Fatalf("an unknown code: %d", b.status)
		}
		page = b.post(e.url+"/tra-cuu", url.Values{"code": {"../../etc"}, "applicant_id": {"12"}})
		if b.status != http.StatusUnprocessableEntity || !strings.Contains(page, "Mã hồ sơ có dạng như") || !strings.Contains(page, "Số định danh cá nhân gồm 12 chữ số") {
			t.Fatalf("bad input: %d", b.status)
		}
		// Five misses in a row: the address waits, even with the right pair.
		for range 3 {
			b.post(e.url+"/tra-cuu", url.Values{"code": {missing}, "applicant_id": {minhID}})
		}
		page = b.post(e.url+"/tra-cuu", url.Values{"code": {d.Code}, "applicant_id": {minhID}})
		if b.status != http.StatusTooManyRequests || !strings.Contains(page, "Bạn đã tra cứu quá nhiều lần") || b.hdr.Get("Retry-After") == "" {
			t.Fatalf("after five misses: %d", b.status)
		}
	})
}

// testProvider is a payment provider that signs its notifications as the
// demo one does.
type testProvider struct{ secret []byte }

func (testProvider) Name() string { return "test" }
func (testProvider) PayURL(p payment.Payment) (string, error) {
	return "http://pay.test/pay/" + p.ID, nil
}
func (tp testProvider) Verify(n payment.Notification, now time.Time) (payment.Notice, error) {
	if err := payment.CheckSignature(tp.secret, n.Timestamp, n.Signature, n.Body, now); err != nil {
		return payment.Notice{}, err
	}
	var nt payment.Notice
	err := json.Unmarshal(n.Body, &nt)
	return nt, err
}
func (testProvider) Refund(context.Context, payment.Payment, string) (string, error) {
	return "", errors.New("no refunds")
}
func (testProvider) Statement(context.Context, string, time.Time, time.Time) ([]payment.Txn, error) {
	return nil, nil
}

// TestPayment: a dossier with a fee filed with online payment waits in
// status 6 and the browser goes to the payment page; coming back shows the
// payment still pending (the return proves nothing); the provider's signed
// notification pays it, and the page then shows the receipt number.
func TestPayment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		tp := testProvider{secret: []byte("test-secret")}
		pays := payment.New(db, tp, 0)
		e.p.Payments = pays
		b := newBrowser(t)
		e.signIn(b, minh)
		base := e.url + "/thu-tuc/1.001193/nop"
		page := b.get(base)
		page = b.submit(page, "/thu-tuc/1.001193/nop", map[string]string{"decision": "allow"})
		page = b.submit(page, "/thu-tuc/1.001193/nop/to-khai", birthForm)
		page = b.postMultipart(base+"/giay-to", url.Values{"action": {"continue"}}, part{"file.giay-chung-sinh", "gcs.pdf", pdf})
		if !strings.Contains(page, "Nộp trực tuyến ngay sau khi nộp hồ sơ") || !strings.Contains(page, "8.000 đồng") {
			t.Fatalf("the review offers no online payment:\n%s", page)
		}
		b.stop = func(r *http.Request) bool { return r.URL.Host == "pay.test" }
		b.submit(page, "/thu-tuc/1.001193/nop/xem-lai", map[string]string{"declare": "yes", "pay": "online"})
		b.stop = nil
		loc := b.hdr.Get("Location")
		if !strings.HasPrefix(loc, "http://pay.test/pay/") {
			t.Fatalf("not sent to the payment page: %d %q", b.status, loc)
		}
		var code string
		db.QueryRow(context.Background(), "SELECT code FROM dos_dossier").Scan(&code)
		d, _ := e.dossiers.Get(context.Background(), code)
		if d.Status != dossier.StatusPayment {
			t.Fatalf("status %d, want 6", d.Status)
		}
		ps, _ := pays.ForRef(context.Background(), code)
		if len(ps) != 1 || ps[0].Amount != 8000 || ps[0].PayerID != minhID || ps[0].ReturnURL != e.url+"/ho-so/"+code+"/thanh-toan/ket-qua" {
			t.Fatalf("payment: %+v", ps)
		}
		// Back from the payment page, before any notification: still pending.
		page = b.get(e.url + "/ho-so/" + code + "/thanh-toan/ket-qua?result=success")
		if !strings.Contains(page, "chưa nhận được xác nhận") || !strings.Contains(page, "Chờ nộp phí, lệ phí") {
			t.Fatalf("the return page:\n%s", page)
		}
		// The dossier page offers to pay again (the same pending payment).
		page = b.get(e.url + "/ho-so/" + code)
		b.stop = func(r *http.Request) bool { return r.URL.Host == "pay.test" }
		b.submit(page, "/ho-so/"+code+"/thanh-toan", nil)
		b.stop = nil
		if b.hdr.Get("Location") != loc {
			t.Fatalf("paying again started another payment: %q", b.hdr.Get("Location"))
		}
		// The provider's signed notification.
		body, _ := json.Marshal(payment.Notice{Txn: "T1", PaymentID: ps[0].ID, Merchant: agencyBD, Amount: 8000, Result: payment.ResultPaid, At: time.Now()})
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		paid, _, err := pays.Notify(context.Background(), "test", payment.Notification{Timestamp: ts, Signature: payment.Sign(tp.secret, ts, body), Body: body}, "127.0.0.1")
		if err != nil || paid.Status != payment.StatusPaid {
			t.Fatalf("notify: %v %+v", err, paid)
		}
		// The dossier engine consumes payment.paid (here called directly).
		if _, err := e.dossiers.Paid(context.Background(), dossier.Payment{ID: paid.ID, Ref: code, Amount: paid.Amount, PaidAt: time.Now(), ReceiptNo: paid.ReceiptNo}); err != nil {
			t.Fatal(err)
		}
		page = b.get(e.url + "/ho-so/" + code + "/thanh-toan/ket-qua")
		if !strings.Contains(page, "Đã thanh toán 8.000 đồng") || !strings.Contains(page, paid.ReceiptNo) || !strings.Contains(page, "Mới đăng ký") {
			t.Fatalf("after the notification:\n%s", page)
		}
	})
}
