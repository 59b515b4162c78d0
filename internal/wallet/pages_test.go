package wallet

import (
	"bytes"
	"context"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/platform/web"
)

const adminToken = "test-admin-token"

// fakeTracker is a registry access log of two reads.
type fakeTracker struct{}

func (fakeTracker) AccessLog(_ context.Context, holderID string, limit, offset int) ([]Access, error) {
	if offset > 0 {
		return nil, nil
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	return []Access{
		{At: at, Registry: "population", RegistryName: "Cơ sở dữ liệu quốc gia về dân cư", Client: "VN-TEST/GOV/000.00.00.H26/MOTCUA", Agency: "000.00.00.H26",
			AgencyName: "Ủy ban nhân dân Thành phố Hà Nội", Official: "VN001080000099", Purpose: "000.00.92.H26-260302-0001", Fields: []string{"full_name", "birth_date"}},
		{At: at.Add(-time.Hour), Registry: "enterprise", RegistryName: "Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp", Agency: "000.00.00.H26",
			AgencyName: "Ủy ban nhân dân Thành phố Hà Nội", Official: "VN001080000099", Purpose: "Kiểm tra", Enterprise: "0108987650", Fields: []string{"representatives"}},
	}, nil
}

func newServer(t *testing.T, db *store.DB) (*httptest.Server, *Component) {
	t.Helper()
	migrate(t, db)
	c := &Component{k: &kernel.Kernel{DB: db, Admin: authn.NewStaticToken(adminToken, "admin-token")}, Svc: New(db)}
	c.Svc.Results, c.Svc.Tracker = fakeResults{}, fakeTracker{}
	c.Holder = func(r *http.Request) (Holder, bool) {
		id := r.Header.Get("X-Test-Holder")
		return Holder{ID: id, Name: "Người " + id}, id != ""
	}
	p, err := newPages(c)
	if err != nil {
		t.Fatal(err)
	}
	c.pages = p
	mux := http.NewServeMux()
	c.Routes(mux)
	srv := httptest.NewServer(web.Wrap(mux, web.Options{Component: "wallet", CrossOrigin: true}))
	t.Cleanup(srv.Close)
	return srv, c
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, method, url, who string, body io.Reader, h map[string]string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	if who != "" {
		req.Header.Set("X-Test-Holder", who)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, html.UnescapeString(string(b))
}

func multipartFile(filename string, data []byte) (io.Reader, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+filename+`"`)
	h.Set("Content-Type", "application/octet-stream")
	pw, _ := mw.CreatePart(h)
	pw.Write(data)
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func TestWalletPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, c := newServer(t, db)
		ctx := context.Background()
		if err := c.Svc.Handle(ctx, issuedEvent("e1", holder, uri)); err != nil {
			t.Fatal(err)
		}

		// Nobody signed in: sent to sign in, and back; a post is refused.
		code, h, _ := do(t, "GET", srv.URL+"/kho-du-lieu/ai-da-xem", "", nil, nil)
		if code != 303 || h.Get("Location") != "/dang-nhap?next=%2Fkho-du-lieu%2Fai-da-xem" {
			t.Fatalf("anonymous: %d %s", code, h.Get("Location"))
		}
		body, ct := multipartFile("a.pdf", pdf)
		if code, _, _ := do(t, "POST", srv.URL+"/kho-du-lieu/giay-to", "", body, map[string]string{"Content-Type": ct}); code != 401 {
			t.Fatalf("anonymous post: %d", code)
		}

		code, _, page := do(t, "GET", srv.URL+"/kho-du-lieu/", holder, nil, nil)
		if code != 200 {
			t.Fatalf("index %d", code)
		}
		mustContain(t, page, `<html lang="vi">`, "Kho dữ liệu của tôi", "Trích lục khai sinh", "Ủy ban nhân dân Phường Ba Đình", "Bạn chưa giữ lại tệp nào.", "Ai đã xem dữ liệu của tôi")
		_, _, page = do(t, "GET", srv.URL+"/kho-du-lieu/?lang=en", holder, nil, nil)
		mustContain(t, page, `<html lang="en">`, "My data wallet", "Who looked at my data")

		// Keep a file; refused files say why and keep nothing.
		body, ct = multipartFile("Giấy xác nhận.pdf", pdf)
		code, h, _ = do(t, "POST", srv.URL+"/kho-du-lieu/giay-to", holder, body, map[string]string{"Content-Type": ct})
		if code != 303 || h.Get("Location") != "/kho-du-lieu/?tb=da-luu" {
			t.Fatalf("keep: %d %s", code, h.Get("Location"))
		}
		_, _, page = do(t, "GET", srv.URL+"/kho-du-lieu/?tb=da-luu", holder, nil, nil)
		mustContain(t, page, "Đã giữ lại tệp", "Giấy xác nhận.pdf")
		for name, c := range map[string]struct {
			file string
			data []byte
			code int
			msg  string
		}{
			"type": {"a.pdf", []byte("GIF89a......"), 422, "Chỉ nhận tệp PDF, JPEG hoặc PNG"},
			"path": {"../x.pdf", pdf, 422, "Tên tệp không hợp lệ"},
			"size": {"big.pdf", append(bytes.Clone(pdf), make([]byte, MaxFileSize)...), 413, "vượt quá dung lượng cho phép"},
		} {
			body, ct := multipartFile(c.file, c.data)
			code, _, page := do(t, "POST", srv.URL+"/kho-du-lieu/giay-to", holder, body, map[string]string{"Content-Type": ct})
			if code != c.code || !strings.Contains(page, c.msg) || !strings.Contains(page, `href="#file"`) {
				t.Errorf("%s: %d", name, code)
			}
		}
		items, _ := c.Svc.Items(ctx, holder)
		if len(items) != 2 {
			t.Fatalf("%d items", len(items))
		}
		var kept, issued Item
		for _, it := range items {
			if it.Kind == KindUploaded {
				kept = it
			} else {
				issued = it
			}
		}
		itemURL := srv.URL + "/kho-du-lieu/giay-to/"
		code, _, page = do(t, "GET", itemURL+itoa(issued.ID), holder, nil, nil)
		if code != 200 {
			t.Fatalf("item %d", code)
		}
		mustContain(t, page, uri, "/xac-thuc/"+uri, "không xóa được")
		code, h, _ = do(t, "GET", itemURL+itoa(issued.ID)+"/tai-ve", holder, nil, nil)
		if code != 200 || h.Get("Content-Type") != "application/pdf" {
			t.Fatalf("download issued: %d", code)
		}
		// Another holder: 404 for every item page.
		for _, p := range []string{itoa(issued.ID), itoa(kept.ID), itoa(kept.ID) + "/tai-ve"} {
			if code, _, _ := do(t, "GET", itemURL+p, another, nil, nil); code != 404 {
				t.Errorf("another holder GET %s: %d", p, code)
			}
		}
		if code, _, _ := do(t, "POST", itemURL+itoa(kept.ID)+"/xoa", another, nil, nil); code != 404 {
			t.Errorf("another holder deletes: %d", code)
		}
		code, h, _ = do(t, "POST", itemURL+itoa(kept.ID)+"/xoa", holder, nil, nil)
		if code != 303 || h.Get("Location") != "/kho-du-lieu/?tb=da-xoa" {
			t.Fatalf("delete: %d", code)
		}

		// Consents, with withdrawal.
		cs, err := c.Svc.Grant(ctx, me, holder, Consent{Purpose: "Nộp hồ sơ 1.001193", Recipient: "Cổng Dịch vụ công quốc gia", Data: []string{"Họ tên", "Ngày sinh"}, Source: "Cơ sở dữ liệu quốc gia về dân cư"})
		if err != nil {
			t.Fatal(err)
		}
		_, _, page = do(t, "GET", srv.URL+"/kho-du-lieu/dong-y", holder, nil, nil)
		mustContain(t, page, "Nộp hồ sơ 1.001193", "Họ tên, Ngày sinh", "Rút lại sự đồng ý", "/kho-du-lieu/dong-y/"+itoa(cs.ID)+"/rut")
		if code, _, _ := do(t, "POST", srv.URL+"/kho-du-lieu/dong-y/"+itoa(cs.ID)+"/rut", another, nil, nil); code != 404 {
			t.Errorf("another holder withdraws: %d", code)
		}
		code, _, _ = do(t, "POST", srv.URL+"/kho-du-lieu/dong-y/"+itoa(cs.ID)+"/rut", holder, nil, nil)
		if code != 303 {
			t.Fatalf("withdraw: %d", code)
		}
		_, _, page = do(t, "GET", srv.URL+"/kho-du-lieu/dong-y?tb=da-rut", holder, nil, nil)
		mustContain(t, page, "Đã rút lại sự đồng ý", "Đã rút lại")

		// Who read my data.
		code, _, page = do(t, "GET", srv.URL+"/kho-du-lieu/ai-da-xem", holder, nil, nil)
		if code != 200 {
			t.Fatalf("tracker %d", code)
		}
		mustContain(t, page, "Ủy ban nhân dân Thành phố Hà Nội", "VN001080000099", `href="/ho-so/000.00.92.H26-260302-0001"`, "Họ, chữ đệm và tên, Ngày sinh",
			"Doanh nghiệp bạn đại diện", "0108987650")
		c.Svc.Tracker = nil
		code, _, page = do(t, "GET", srv.URL+"/kho-du-lieu/ai-da-xem", holder, nil, nil)
		if code != 503 || !strings.Contains(page, "Chưa kết nối được nhật ký truy cập") {
			t.Fatalf("no tracker: %d", code)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestWalletAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, c := newServer(t, db)
		ctx := context.Background()
		c.Svc.Handle(ctx, issuedEvent("e1", holder, uri))
		admin := map[string]string{"Authorization": "Bearer " + adminToken, "X-Vngov-Applicant": holder}
		code, _, b := do(t, "GET", srv.URL+"/wallet/v1/items", "", nil, admin)
		if code != 200 || !strings.Contains(b, uri) {
			t.Fatalf("items: %d %s", code, b)
		}
		code, _, b = do(t, "GET", srv.URL+"/wallet/v1/items", holder, nil, nil)
		if code != 200 || !strings.Contains(b, uri) {
			t.Fatalf("items by session: %d", code)
		}
		if code, _, _ := do(t, "GET", srv.URL+"/wallet/v1/items", "", nil, nil); code != 401 {
			t.Fatalf("anonymous: %d", code)
		}
		if code, _, _ := do(t, "GET", srv.URL+"/wallet/v1/items", "", nil, map[string]string{"Authorization": "Bearer wrong", "X-Vngov-Applicant": holder}); code != 401 {
			t.Fatalf("wrong token: %d", code)
		}
		code, _, b = do(t, "POST", srv.URL+"/wallet/v1/items?name=giay.pdf", "", bytes.NewReader(pdf), map[string]string{"Authorization": "Bearer " + adminToken, "X-Vngov-Applicant": holder, "Content-Type": "application/pdf"})
		if code != 201 || !strings.Contains(b, `"kind":"uploaded"`) {
			t.Fatalf("keep: %d %s", code, b)
		}
		items, _ := c.Svc.Items(ctx, holder)
		for _, it := range items {
			if code, _, _ := do(t, "GET", srv.URL+"/wallet/v1/items/"+itoa(it.ID)+"/content", another, nil, nil); code != 404 {
				t.Errorf("another holder reads item %d: %d", it.ID, code)
			}
			if code, _, _ := do(t, "GET", srv.URL+"/wallet/v1/items/"+itoa(it.ID), holder, nil, nil); code != 200 {
				t.Errorf("holder reads item %d: %d", it.ID, code)
			}
		}
		code, _, b = do(t, "POST", srv.URL+"/wallet/v1/consents", holder, strings.NewReader(`{"purpose":"Điền sẵn tờ khai","recipient":"Cổng Dịch vụ công quốc gia","data":["Họ tên"],"source":"CSDL dân cư","procedure":"1.001193"}`),
			map[string]string{"Content-Type": "application/json"})
		if code != 200 || !strings.Contains(b, `"id":`) {
			t.Fatalf("grant: %d %s", code, b)
		}
		code, _, b = do(t, "GET", srv.URL+"/wallet/v1/access-log?limit=5", holder, nil, nil)
		if code != 200 || !strings.Contains(b, "000.00.92.H26-260302-0001") {
			t.Fatalf("access log: %d %s", code, b)
		}
	})
}
