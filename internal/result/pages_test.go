package result

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"

	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/platform/web"
)

const adminToken = "test-admin-token"

func newServer(t *testing.T, db *store.DB) (*httptest.Server, *Component) {
	t.Helper()
	s, _ := newService(t, db)
	pages, err := NewPages(s)
	if err != nil {
		t.Fatal(err)
	}
	c := &Component{k: &kernel.Kernel{DB: db, Admin: authn.NewStaticToken(adminToken, "admin-token")}, Svc: s, pages: pages}
	c.Deliver = &Deliverer{Results: s}
	c.Holder = func(r *http.Request) (string, bool) {
		id := r.Header.Get("X-Test-Holder")
		return id, id != ""
	}
	mux := http.NewServeMux()
	c.Routes(mux)
	srv := httptest.NewServer(web.Wrap(mux, web.Options{Component: "result", CrossOrigin: true}))
	t.Cleanup(srv.Close)
	s.VerifyBase = srv.URL
	return srv, c
}

func do(t *testing.T, method, url string, body io.Reader, h map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// upload posts a multipart form with the file under a raw file name.
func upload(t *testing.T, url, filename string, data []byte, fields map[string]string) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+filename+`"`)
	h.Set("Content-Type", "application/pdf")
	pw, _ := mw.CreatePart(h)
	pw.Write(data)
	mw.Close()
	code, _, b := do(t, "POST", url, &buf, map[string]string{"Content-Type": mw.FormDataContentType()})
	return code, html.UnescapeString(string(b))
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func TestVerificationPagesAndAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, c := newServer(t, db)
		ctx := context.Background()
		iss, err := c.Svc.Issue(ctx, birthExtract("000.00.92.H26-260302-0011"))
		if err != nil {
			t.Fatal(err)
		}
		_, pdf, _ := c.Svc.File(ctx, iss.URI)

		// The QR code's target.
		code, _, b := do(t, "GET", srv.URL+"/xac-thuc/"+iss.URI, nil, nil)
		page := html.UnescapeString(string(b))
		if code != 200 {
			t.Fatalf("status page %d", code)
		}
		mustContain(t, page, `<html lang="vi">`, "Giấy tờ thật", "Trích lục khai sinh", "Ủy ban nhân dân Phường Ba Đình", "Nguyễn V*** M***", "Còn hiệu lực", iss.URI)
		if strings.Contains(page, "Nguyễn Văn Minh") || strings.Contains(page, citizen) {
			t.Error("the public page shows the holder's full name or id")
		}
		_, _, b = do(t, "GET", srv.URL+"/xac-thuc/"+iss.URI+"?lang=en", nil, nil)
		mustContain(t, string(b), `<html lang="en">`, "Genuine document")
		code, _, b = do(t, "GET", srv.URL+"/xac-thuc/"+agency+"-TLKS-AAAAAAAAAAAAAAAA", nil, nil)
		if code != 404 || !strings.Contains(html.UnescapeString(string(b)), "Không do hệ thống này cấp") {
			t.Fatalf("unknown code: %d", code)
		}
		code, h, _ := do(t, "GET", srv.URL+"/xac-thuc?ma="+strings.ToLower(iss.URI), nil, nil)
		_ = h
		if code != 200 {
			t.Fatalf("lookup form: %d", code)
		}

		// Uploads: the file as issued, one byte changed, a PDF from
		// elsewhere, the wrong type, a path for a name, too large.
		code, page = upload(t, srv.URL+"/xac-thuc", "giay-khai-sinh.pdf", pdf, nil)
		if code != 200 {
			t.Fatalf("upload: %d", code)
		}
		mustContain(t, page, "Giấy tờ thật, tệp chưa bị sửa đổi", "giay-khai-sinh.pdf")
		bad := bytes.Clone(pdf)
		bad[len(bad)/2] ^= 0x20
		_, page = upload(t, srv.URL+"/xac-thuc", "a.pdf", bad, nil)
		mustContain(t, page, "Tệp này đã bị sửa đổi")
		_, page = upload(t, srv.URL+"/xac-thuc", "khac.pdf", []byte("%PDF-1.4\n%%EOF\n"), nil)
		mustContain(t, page, "Không do hệ thống này cấp")
		code, page = upload(t, srv.URL+"/xac-thuc", "anh.pdf", []byte("\x89PNG\r\n\x1a\nxxxxxxxx"), nil)
		if code != 422 {
			t.Fatalf("wrong type: %d", code)
		}
		mustContain(t, page, "Chỉ kiểm tra được tệp PDF", `href="#file"`)
		code, page = upload(t, srv.URL+"/xac-thuc", "../../giay.pdf", pdf, nil)
		if code != 422 {
			t.Fatalf("path name: %d", code)
		}
		mustContain(t, page, "Tên tệp không hợp lệ")
		code, page = upload(t, srv.URL+"/xac-thuc", "lon.pdf", append(bytes.Clone(pdf), make([]byte, MaxVerifySize)...), nil)
		if code != 413 {
			t.Fatalf("too large: %d", code)
		}
		mustContain(t, page, "Tệp quá lớn")
		// The file of this document, checked on another document's page.
		other, _ := c.Svc.Issue(ctx, birthExtract("000.00.92.H26-260302-0012"))
		_, page = upload(t, srv.URL+"/xac-thuc", "a.pdf", pdf, map[string]string{"uri": other.URI})
		mustContain(t, page, "Tệp này không phải là giấy tờ mang mã "+other.URI)

		// JSON API: by URI, and a file as the body.
		code, _, b = do(t, "GET", srv.URL+"/result/v1/verify/"+iss.URI, nil, nil)
		var v Verification
		if json.Unmarshal(b, &v); code != 200 || !v.Genuine || v.Status != StatusGenuine {
			t.Fatalf("api verify: %d %s", code, b)
		}
		code, _, b = do(t, "POST", srv.URL+"/result/v1/verify", bytes.NewReader(bad), map[string]string{"Content-Type": "application/pdf"})
		if json.Unmarshal(b, &v); code != 200 || v.Status != StatusAltered || *v.Unaltered {
			t.Fatalf("api verify file: %d %s", code, b)
		}
		code, _, _ = do(t, "GET", srv.URL+"/result/v1/ca.pem", nil, nil)
		if code != 200 {
			t.Fatalf("ca.pem %d", code)
		}

		// The holder downloads their document; nobody else does.
		code, h, b = do(t, "GET", srv.URL+"/result/v1/documents/"+iss.URI+"/file", nil, map[string]string{"X-Test-Holder": citizen})
		if code != 200 || !bytes.Equal(b, pdf) || h.Get("Content-Type") != "application/pdf" {
			t.Fatalf("holder download: %d", code)
		}
		code, _, _ = do(t, "GET", srv.URL+"/result/v1/documents/"+iss.URI+"/file", nil, map[string]string{"X-Test-Holder": "001090000001"})
		if code != 404 {
			t.Fatalf("another holder: %d", code)
		}
		code, _, _ = do(t, "GET", srv.URL+"/result/v1/documents/"+iss.URI, nil, nil)
		if code != 401 {
			t.Fatalf("anonymous: %d", code)
		}
		code, _, b = do(t, "GET", srv.URL+"/result/v1/documents", nil, map[string]string{"Authorization": "Bearer " + adminToken, "X-Vngov-Applicant": citizen})
		if code != 200 || !strings.Contains(string(b), iss.URI) {
			t.Fatalf("list: %d %s", code, b)
		}

		// Revocation: admin only, audited, shown on the page.
		code, _, _ = do(t, "POST", srv.URL+"/result/v1/documents/"+iss.URI+"/revoke", strings.NewReader(`{"reason":"x"}`), map[string]string{"Content-Type": "application/json"})
		if code != 401 {
			t.Fatalf("revoke without token: %d", code)
		}
		code, _, b = do(t, "POST", srv.URL+"/result/v1/documents/"+iss.URI+"/revoke", strings.NewReader(`{"reason":"Cấp nhầm"}`),
			map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + adminToken})
		if code != 200 {
			t.Fatalf("revoke: %d %s", code, b)
		}
		_, _, b = do(t, "GET", srv.URL+"/xac-thuc/"+iss.URI, nil, nil)
		mustContain(t, html.UnescapeString(string(b)), "Giấy tờ đã bị thu hồi", "Cấp nhầm", "Đã thu hồi")
		if n := countRows(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'result.revoke' AND result = 'denied'"); n != 1 {
			t.Fatalf("%d denied revocations audited", n)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'result.download'"); n != 1 {
			t.Fatalf("%d downloads audited", n)
		}
	})
}
