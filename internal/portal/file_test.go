package portal

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/wallet"
)

var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

type part struct {
	field, filename string
	data            []byte
}

// postMultipart sends a multipart form as a browser does.
func (b *browser) postMultipart(u string, fields url.Values, files ...part) string {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		// The raw name, as a browser sends it: the server must see a path.
		h.Set("Content-Disposition", `form-data; name="`+f.field+`"; filename="`+f.filename+`"`)
		h.Set("Content-Type", "application/octet-stream")
		w, _ := mw.CreatePart(h)
		w.Write(f.data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", u, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", origin(u))
	return b.do(req)
}

var codeRE = regexp.MustCompile(`000\.00\.92\.H26-[0-9]{6}-[0-9]{4}`)

// birthForm fills what the registry does not: the child.
var birthForm = map[string]string{
	"form.applicant_relation": "father", "form.child_full_name": "Nguyễn Thị Bình An", "form.child_birth_date": "2026-01-20",
	"form.child_sex": "female", "form.child_ethnicity": "01", "form.child_nationality": "VN", "form.birth_place_commune": "00004",
	"form.birth_place_detail": "Bệnh viện Phụ sản Hà Nội", "form.applicant_phone": "0912345678",
}

// TestFilingWithPrefill files a birth registration: consent recorded
// before the registry is read, the form prefilled and marked, bad values
// and bad files refused with Vietnamese messages and nothing filed, then
// the submission, twice (one dossier), the receipt, and the check of the
// filed identity data under the dossier's code.
func TestFilingWithPrefill(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		b := newBrowser(t)
		e.signIn(b, minh)
		base := e.url + "/thu-tuc/1.001193/nop"

		// Consent: which data, from where, for what.
		page := b.get(base)
		for _, want := range []string{"Họ, chữ đệm và tên", "Ngày, tháng, năm sinh", "Bộ Công an", "Đăng ký khai sinh", "Ai đã xem dữ liệu của tôi", "Đồng ý và điền sẵn tờ khai"} {
			if !strings.Contains(page, want) {
				t.Errorf("the consent page does not say %q", want)
			}
		}
		if len(e.reg.log()) != 0 {
			t.Fatal("the registry was read before the consent")
		}
		page = b.submit(page, "/thu-tuc/1.001193/nop", map[string]string{"decision": "allow"})
		if b.last != base+"/to-khai" {
			t.Fatalf("after consent: %s", b.last)
		}
		if len(e.wallet.grants) != 1 || e.wallet.grants[0].holder != minhID || !strings.Contains(e.wallet.grants[0].Source, "Bộ Công an") || e.wallet.grants[0].Procedure != "1.001193" || len(e.wallet.grants[0].Data) < 5 {
			t.Fatalf("consent not recorded in the wallet: %+v", e.wallet.grants)
		}
		if reads := e.reg.log(); len(reads) != 1 || !strings.HasPrefix(reads[0], "person "+minhID+" Điền sẵn tờ khai") {
			t.Fatalf("registry reads: %q", reads)
		}
		// Prefilled, and marked with the source.
		for _, want := range []string{`value="Nguyễn Văn Minh"`, `value="1989-05-12"`, `value="Số 8 phố Quán Thánh"`, "Lấy từ CSDL quốc gia về dân cư", "Lấy từ tài khoản định danh", `value="0912345678"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the form does not show %q", want)
			}
		}

		// Bad values: refused at the form's step, checked by the dossier
		// engine against the procedure's schema, one message per field,
		// nothing filed.
		bad := map[string]string{}
		for k, v := range birthForm {
			bad[k] = v
		}
		bad["form.child_full_name"], bad["form.child_birth_date"], bad["form.child_ethnicity"], bad["form.applicant_phone"] = "", "2026-02-30", "kinh", "12345"
		page = b.submit(page, "/thu-tuc/1.001193/nop/to-khai", bad)
		if b.status != http.StatusUnprocessableEntity || !strings.Contains(page, `action="/thu-tuc/1.001193/nop/to-khai"`) {
			t.Fatalf("bad values were accepted: %d %s", b.status, b.last)
		}
		for _, want := range []string{"Vui lòng nhập “Họ, chữ đệm và tên của trẻ”", "“Ngày, tháng, năm sinh của trẻ” phải là một ngày có thật", "“Dân tộc” không đúng định dạng", "“Số điện thoại liên hệ” không đúng định dạng",
			`href="#form.child_full_name"`, `aria-invalid="true"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the refused form does not show %q", want)
			}
		}
		if n := e.count("SELECT COUNT(*) FROM dos_dossier"); n != 0 {
			t.Fatalf("%d dossiers filed from a bad form", n)
		}

		// Good values.
		page = b.submit(page, "/thu-tuc/1.001193/nop/to-khai", birthForm)
		if b.last != base+"/giay-to" {
			t.Fatalf("after the corrected form: %s", b.last)
		}
		page = b.postMultipart(base+"/giay-to", url.Values{"action": {"upload"}}, part{"file.giay-chung-sinh", "giay-chung-sinh.pdf", pdf})
		if b.status != http.StatusOK {
			t.Fatalf("the good upload: %d\n%s", b.status, page)
		}

		// Bad files: each refused with its reason, none of them kept.
		big := append(append([]byte{}, pdf...), make([]byte, dossier.MaxDocumentSize)...)
		for _, c := range []struct {
			name string
			p    part
			want string
		}{
			{"wrong type", part{"file.giay-chung-sinh", "anh.pdf", []byte("<html><script>alert(1)</script></html>")}, "Chỉ nhận tệp PDF, JPEG hoặc PNG"},
			{"path name", part{"file.giay-chung-sinh", "../../etc/passwd.pdf", pdf}, "tên tệp không được chứa đường dẫn"},
			{"backslash", part{"file.giay-chung-sinh", `..\..\x.pdf`, pdf}, "tên tệp không được chứa đường dẫn"},
			{"too large", part{"file.giay-chung-sinh", "lon.pdf", big}, "vượt quá dung lượng cho phép (10 MB)"},
			{"empty", part{"file.giay-chung-sinh", "rong.pdf", nil}, "không có nội dung"},
			{"registry document", part{"file.giay-to-tuy-than", "cccd.pdf", pdf}, "không có thành phần hồ sơ này"},
			{"unknown document", part{"file.khong-co", "x.pdf", pdf}, "không có thành phần hồ sơ này"},
		} {
			before := e.count("SELECT COUNT(*) FROM portal_draft_file")
			page = b.postMultipart(base+"/giay-to", url.Values{"action": {"upload"}}, c.p, part{"file.van-ban-uy-quyen", "uy-quyen.pdf", pdf})
			if b.status != http.StatusUnprocessableEntity || !strings.Contains(page, c.want) {
				t.Errorf("%s: %d, message %q not shown", c.name, b.status, c.want)
			}
			if after := e.count("SELECT COUNT(*) FROM portal_draft_file"); after != before {
				t.Errorf("%s: the other file of the refused upload was kept", c.name)
			}
		}
		page = b.get(base + "/giay-to")
		if !strings.Contains(page, "giay-chung-sinh.pdf") {
			t.Fatal("the good upload is gone")
		}

		// Review: the declaration is required.
		page = b.get(base + "/xem-lai")
		for _, want := range []string{"Nguyễn Thị Bình An", "Ủy ban nhân dân Phường Ba Đình", "giay-chung-sinh.pdf", "Không cần nộp"} {
			if !strings.Contains(page, want) {
				t.Errorf("the review does not show %q", want)
			}
		}
		page = b.submit(page, "/thu-tuc/1.001193/nop/xem-lai", nil)
		if b.status != http.StatusUnprocessableEntity || !strings.Contains(page, "Hãy đánh dấu vào ô cam đoan") {
			t.Fatalf("submitted without the declaration: %d", b.status)
		}
		form := formValues(t, page, "/thu-tuc/1.001193/nop/xem-lai")
		form.Set("declare", "yes")

		// Two clicks at once, and one more after: one dossier.
		var wg sync.WaitGroup
		codes := make([]string, 2)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				bb := &browser{t: t, c: b.c}
				bb.post(base+"/xem-lai", form)
				codes[i] = codeRE.FindString(bb.last)
			}()
		}
		wg.Wait()
		page = b.post(base+"/xem-lai", form)
		code := codeRE.FindString(b.last)
		if code == "" || codes[0] != code || codes[1] != code {
			t.Fatalf("double submission: %q %q then %q (at %s)", codes[0], codes[1], code, b.last)
		}
		if n := e.count("SELECT COUNT(*) FROM dos_dossier"); n != 1 {
			t.Fatalf("%d dossiers after a double submission", n)
		}
		if !strings.HasSuffix(b.last, "/ho-so/"+code+"/bien-nhan") || !strings.Contains(page, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả") || !strings.Contains(page, "Ngày hẹn trả kết quả") {
			t.Fatalf("receipt at %s:\n%s", b.last, page)
		}
		d, err := e.dossiers.ForApplicant(context.Background(), minhID, code)
		if err != nil {
			t.Fatal(err)
		}
		if d.Channel != dossier.ChannelOnline || d.Status != dossier.StatusNew || d.Applicant.Name != "Nguyễn Văn Minh" || d.Agency != agencyBD {
			t.Errorf("dossier: %+v", d)
		}
		var up, reg int
		for _, doc := range d.Documents {
			switch {
			case doc.Source == dossier.SourceUpload && doc.DocCode == "giay-chung-sinh" && doc.Name == "giay-chung-sinh.pdf":
				up++
			case doc.Source == dossier.SourceRegistry && doc.DocCode == "giay-to-tuy-than":
				reg++
			}
		}
		if up != 1 || reg != 1 || len(d.Documents) != 2 {
			t.Errorf("documents: %+v", d.Documents)
		}
		if !strings.Contains(string(d.Form), `"child_full_name":"Nguyễn Thị Bình An"`) || !strings.Contains(string(d.Form), `"applicant_id":"001089012345"`) {
			t.Errorf("form: %s", d.Form)
		}
		// The filed identity data was checked under the dossier's code.
		found := false
		for _, r := range e.reg.log() {
			found = found || r == "verify "+minhID+" "+code
		}
		if !found {
			t.Errorf("no identity check with the dossier code: %q", e.reg.log())
		}
		// The draft is closed: the steps start again.
		if b.get(base + "/to-khai"); b.last != base {
			t.Errorf("the filed draft is still open (at %s)", b.last)
		}
	})
}

// TestFilingWithoutConsentAndFromWallet: without consent nothing is read
// and the citizen types the form; a document comes from the wallet.
func TestFilingWithoutConsentAndFromWallet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.wallet.items[minhID] = []wallet.Item{{ID: 7, Ref: "w-123", Title: "Giấy chứng sinh số 123", Kind: wallet.KindUploaded}, {ID: 8, Ref: "w-old", Title: "Giấy đã thu hồi", Revoked: true}}
		b := newBrowser(t)
		e.signIn(b, minh)
		base := e.url + "/thu-tuc/1.001193/nop"
		page := b.get(base)
		page = b.submit(page, "/thu-tuc/1.001193/nop", map[string]string{"decision": "deny"})
		if len(e.reg.log()) != 0 || len(e.wallet.grants) != 0 {
			t.Fatalf("read without consent: %q %v", e.reg.log(), e.wallet.grants)
		}
		if strings.Contains(page, "Lấy từ CSDL quốc gia về dân cư") || strings.Contains(page, `value="1989-05-12"`) {
			t.Fatal("prefilled from the registry without consent")
		}
		vals := map[string]string{"form.applicant_birth_date": "1989-05-12", "form.applicant_permanent_commune": "00004", "form.applicant_permanent_street": "Số 8 phố Quán Thánh"}
		for k, v := range birthForm {
			vals[k] = v
		}
		page = b.submit(page, "/thu-tuc/1.001193/nop/to-khai", vals)
		if !strings.Contains(page, "Giấy chứng sinh số 123") || strings.Contains(page, "Giấy đã thu hồi") {
			t.Fatalf("the wallet's documents offered are not the valid ones:\n%s", page)
		}
		// An item that is not in the wallet is refused.
		page = b.postMultipart(base+"/giay-to", url.Values{"action": {"continue"}, "wallet.giay-chung-sinh": {"w-999"}})
		if b.status != http.StatusUnprocessableEntity || !strings.Contains(page, "không có trong kho dữ liệu của bạn") {
			t.Fatalf("a foreign wallet item: %d", b.status)
		}
		page = b.postMultipart(base+"/giay-to", url.Values{"action": {"continue"}, "wallet.giay-chung-sinh": {"w-123"}})
		if b.last != base+"/xem-lai" {
			t.Fatalf("after choosing from the wallet: %s", b.last)
		}
		b.submit(page, "/thu-tuc/1.001193/nop/xem-lai", map[string]string{"declare": "yes"})
		code := codeRE.FindString(b.last)
		d, err := e.dossiers.ForApplicant(context.Background(), minhID, code)
		if err != nil {
			t.Fatalf("dossier %q: %v", code, err)
		}
		ok := false
		for _, doc := range d.Documents {
			ok = ok || (doc.Source == dossier.SourceWallet && doc.Ref == "w-123" && doc.Reused)
		}
		if !ok {
			t.Fatalf("the wallet document is not in the dossier: %+v", d.Documents)
		}
	})
}
