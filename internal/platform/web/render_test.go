package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
)

var componentFS = fstest.MapFS{
	"templates/lists.html": {Data: []byte(`{{define "content"}}
<h1>{{T "test.lists.title"}}</h1>
<div class="table-scroll" role="region" aria-labelledby="lists-caption" tabindex="0">
<table>
<caption id="lists-caption">{{T "test.lists.caption"}}</caption>
<thead><tr><th scope="col">{{T "test.lists.name"}}</th><th scope="col" class="num">{{T "test.lists.items"}}</th><th scope="col">{{T "common.updated"}}</th></tr></thead>
<tbody>
{{range .Data.Lists}}{{template "row" .}}{{end}}
</tbody>
</table>
</div>
{{template "pager" .Data.Pager}}
{{end}}`)},
	"templates/broken.html": {Data: []byte(`{{define "content"}}<h1>{{.Data.Missing.Field}}</h1>{{end}}`)},
	"templates/_rows.html": {Data: []byte(`{{define "row"}}<tr><td>{{.Name}}</td><td class="num">{{number .Items}}</td><td>{{date .Updated}}</td></tr>
{{end}}`)},
}

type testList struct {
	Name    string
	Items   int
	Updated time.Time
}

type testData struct {
	Lists []testList
	Pager Pager
}

func init() {
	RegisterMessages("vi", map[string]string{
		"test.lists.title": "Danh mục dùng chung", "test.lists.caption": "Các danh mục đang áp dụng",
		"test.lists.name": "Tên danh mục", "test.lists.items": "Số mục",
	})
	RegisterMessages("en", map[string]string{
		"test.lists.title": "Shared catalogs", "test.lists.caption": "Catalogs in force",
		"test.lists.name": "Catalog", "test.lists.items": "Items",
	})
}

func testRenderer(t *testing.T) *Renderer {
	t.Helper()
	rd, err := NewRenderer(componentFS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

func listsPage() Page {
	return Page{
		Title:   "Danh mục dùng chung",
		Service: "Danh mục điện tử",
		Nav:     []Link{{Label: "Danh mục", Href: "/catalogs", Current: true}, {Label: "API", Href: "/docs"}},
		Data: testData{
			Lists: []testList{
				{Name: "Giới tính", Items: 3, Updated: time.Date(2025, 7, 1, 20, 30, 0, 0, time.UTC)},
				{Name: "Đơn vị hành chính", Items: 3321, Updated: time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)},
			},
			Pager: Pager{PrevURL: "/catalogs?page=1", NextURL: "/catalogs?page=3", Page: 2, Pages: 3},
		},
	}
}

func TestRenderInLayout(t *testing.T) {
	rd := testRenderer(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /catalogs", func(w http.ResponseWriter, r *http.Request) {
		rd.Render(w, r, http.StatusOK, "lists.html", listsPage())
	})
	h := Wrap(mux, Options{})

	tests := []struct {
		lang  string
		url   string
		want  []string
		avoid []string
	}{
		{"vi", "/catalogs?page=2", []string{
			`<html lang="vi">`,
			`<title>Danh mục dùng chung – Nền tảng Chính phủ số vngov</title>`,
			`<a class="skip-link" href="#main">Bỏ qua đến nội dung chính</a>`,
			`<main id="main"`,
			`<h1>Danh mục dùng chung</h1>`,
			`<td>Đơn vị hành chính</td><td class="num">3.321</td><td>01/07/2025</td>`,
			`<td>Giới tính</td><td class="num">3</td><td>02/07/2025</td>`,
			`href="?lang=en&amp;page=2" hreflang="en"`,
			`Chuyển sang tiếng Anh`,
			`<span lang="en">English</span>`,
			`<nav class="site-nav" aria-label="Điều hướng chính">`,
			`<a href="/catalogs" aria-current="page">Danh mục</a>`,
			`Trang trước`, `Trang 2 / 3`, `Trang sau`,
			`<footer class="site-footer">`,
			`/static/app.css?v=`,
		}, nil},
		{"en", "/catalogs?page=2&lang=en", []string{
			`<html lang="en">`,
			`Skip to main content`,
			`<h1>Shared catalogs</h1>`,
			`<td class="num">3,321</td><td>1 Jul 2025</td>`,
			`href="?lang=vi&amp;page=2" hreflang="vi"`,
			`<span lang="vi">Tiếng Việt</span>`,
			`Previous page`, `Page 2 of 3`, `Next page`,
		}, []string{"Bỏ qua đến nội dung chính"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tt.url, nil))
			if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
				t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			body := rec.Body.String()
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %s", w)
				}
			}
			for _, a := range tt.avoid {
				if strings.Contains(body, a) {
					t.Errorf("page contains %s", a)
				}
			}
			for _, ext := range []string{`src="http`, `href="http`, `src="//`, `href="//`, "<style", " style="} {
				if strings.Contains(body, ext) {
					t.Errorf("page has %s: external resource or inline style", ext)
				}
			}
			if strings.Count(body, "<h1") != 1 || strings.Count(body, "<main") != 1 {
				t.Errorf("want one h1 and one main")
			}
		})
	}
}

// TestRenderGolden keeps the full HTML of a page under review; run
// go test -run TestRenderGolden -update to accept a change on purpose.
func TestRenderGolden(t *testing.T) {
	rd := testRenderer(t)
	h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rd.Render(w, r, http.StatusOK, "lists.html", listsPage())
	}), Options{})
	req := httptest.NewRequest("GET", "/catalogs?page=2", nil)
	req.Header.Set("X-Request-Id", "golden-1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	// Asset versions change with every edit of the CSS; they are not what
	// this file guards.
	got := rec.Body.String()
	for name, f := range staticFiles {
		got = strings.ReplaceAll(got, StaticPrefix+name+"?v="+f.hash, StaticPrefix+name+"?v=HASH")
	}
	golden := filepath.Join("testdata", "lists_vi.golden.html")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("page differs from %s (run with -update to accept):\n%s", golden, got)
	}
}

func TestRenderPlainData(t *testing.T) {
	rd := testRenderer(t)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/catalogs", nil)
	rd.Render(rec, req, http.StatusOK, "lists.html", testData{Lists: []testList{{Name: "Dân tộc", Items: 54}}})
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "<td>Dân tộc</td>") || !strings.Contains(body, "<title>Nền tảng Chính phủ số vngov</title>") {
		t.Errorf("status %d:\n%s", rec.Code, body)
	}
	if strings.Contains(body, `class="pager"`) || strings.Contains(body, `class="site-nav"`) {
		t.Error("an empty pager or navigation was rendered")
	}
}

func TestRenderFailures(t *testing.T) {
	rd := testRenderer(t)
	tests := []struct{ name, page string }{
		{"unknown page", "nope.html"},
		{"template error", "broken.html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/x", nil)
			rd.Render(rec, req, http.StatusOK, tt.page, struct{}{})
			body := rec.Body.String()
			if rec.Code != 500 || !strings.Contains(body, "<h1>Lỗi hệ thống</h1>") {
				t.Errorf("status %d:\n%s", rec.Code, body)
			}
			if strings.Count(body, "<html") != 1 {
				t.Error("a half-rendered page was sent before the error page")
			}
		})
	}
}

func TestRenderPartial(t *testing.T) {
	rd := testRenderer(t)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/catalogs/rows?lang=en", nil)
	rd.RenderPartial(rec, req, http.StatusOK, "row", testList{Name: "Religion", Items: 1200})
	if got := strings.TrimSpace(rec.Body.String()); got != `<tr><td>Religion</td><td class="num">1,200</td><td></td></tr>` {
		t.Errorf("partial = %q", got)
	}
	rec = httptest.NewRecorder()
	rd.RenderPartial(rec, req, http.StatusOK, "nope", nil)
	if rec.Code != 500 {
		t.Errorf("unknown partial: %d", rec.Code)
	}
}

func TestRenderError(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		lang   string
		status int
		want   []string
		hide   []string
	}{
		{"not found", fault.NotFoundf("catalog.list_not_found", "Không tìm thấy danh mục", "no list %q", "x"), "vi", 404,
			[]string{"<h1>Không tìm thấy trang</h1>", "Không tìm thấy danh mục", "Bạn có thể làm gì tiếp theo", "err-req-1", `<html lang="vi">`}, nil},
		{"not found in English", fault.NotFoundf("catalog.list_not_found", "Không tìm thấy danh mục", "no list %q", "x"), "en", 404,
			[]string{"<h1>Page not found</h1>", "no list &#34;x&#34;", "What you can do next", `<html lang="en">`}, nil},
		{"invalid with fields", fault.Invalidf([]fault.FieldError{{Field: "cccd", Code: "format", Message: "Số CCCD phải có 12 chữ số", Detail: "must have 12 digits"}}, "1 invalid field"), "vi", 422,
			[]string{"Dữ liệu không hợp lệ", "Số CCCD phải có 12 chữ số"}, nil},
		{"unauthenticated", fault.New(fault.Unauthenticated, "authn.required", "Vui lòng đăng nhập", "sign-in required"), "vi", 401, []string{"Bạn cần đăng nhập"}, nil},
		{"forbidden", fault.New(fault.Forbidden, "authz.denied", "Bạn không có quyền xem hồ sơ này", "no access"), "vi", 403, []string{"Bạn không có quyền xem hồ sơ này"}, nil},
		{"conflict", fault.New(fault.Conflict, "dossier.closed", "Hồ sơ đã đóng", "closed"), "vi", 409, []string{"Hồ sơ đã đóng"}, nil},
		{"too large", fault.New(fault.TooLarge, "upload.too_large", "Tệp quá lớn", "too large"), "vi", 413, []string{"Tệp quá lớn"}, nil},
		{"unavailable", fault.New(fault.Unavailable, "exchange.down", "Hệ thống liên thông tạm ngừng", "hub down"), "vi", 503, []string{"Dịch vụ tạm thời gián đoạn"}, nil},
		{"bad request", fault.New(fault.BadRequest, "request.bad", "Yêu cầu sai", "bad"), "vi", 400, []string{"Yêu cầu không hợp lệ"}, nil},
		{"internal", fault.Wrap(errors.New("sql: database is locked"), "dossier: save"), "vi", 500,
			[]string{"<h1>Lỗi hệ thống</h1>", "Lỗi hệ thống, vui lòng thử lại sau.", "err-req-1"}, []string{"database is locked", "dossier: save"}},
		{"plain error", errors.New("secret cause"), "en", 500, []string{"Sorry, there is a problem with the service"}, []string{"secret cause"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { RenderError(w, r, tt.err) }), Options{})
			req := httptest.NewRequest("GET", "/dossiers/1?lang="+tt.lang, nil)
			req.Header.Set("X-Request-Id", "err-req-1")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			if rec.Header().Get("Cache-Control") != "no-store" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
				t.Errorf("headers = %v", rec.Header())
			}
			body := rec.Body.String()
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, s := range tt.hide {
				if strings.Contains(body, s) {
					t.Errorf("page shows %q", s)
				}
			}
		})
	}
}

func TestPageNotFound(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/", PageNotFound)
	rec := httptest.NewRecorder()
	Wrap(mux, Options{}).ServeHTTP(rec, httptest.NewRequest("GET", "/khong-co", nil))
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "Không tìm thấy trang") {
		t.Errorf("%d %s", rec.Code, rec.Body.String())
	}
}

func TestNewRendererErrors(t *testing.T) {
	tests := []struct {
		name     string
		fsys     fstest.MapFS
		funcs    template.FuncMap
		patterns []string
	}{
		{"no match", fstest.MapFS{}, nil, []string{"templates/*.html"}},
		{"page without content", fstest.MapFS{"t/a.html": {Data: []byte(`<p>hi</p>`)}}, nil, []string{"t/*.html"}},
		{"partial with content", fstest.MapFS{"t/_p.html": {Data: []byte(`{{define "content"}}x{{end}}`)}}, nil, []string{"t/*.html"}},
		{"syntax error", fstest.MapFS{"t/a.html": {Data: []byte(`{{define "content"}}{{.X{{end}}`)}}, nil, []string{"t/*.html"}},
		{"unknown function", fstest.MapFS{"t/a.html": {Data: []byte(`{{define "content"}}{{nope}}{{end}}`)}}, nil, []string{"t/*.html"}},
		{"same name twice", fstest.MapFS{"a/x.html": {Data: []byte(`{{define "content"}}{{end}}`)}, "b/x.html": {Data: []byte(`{{define "content"}}{{end}}`)}}, nil, []string{"a/*.html", "b/*.html"}},
		{"function clash", fstest.MapFS{"t/a.html": {Data: []byte(`{{define "content"}}{{end}}`)}}, template.FuncMap{"T": func() string { return "" }}, []string{"t/*.html"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewRendererFuncs(tt.fsys, tt.funcs, tt.patterns...); err == nil {
				t.Error("NewRenderer succeeded")
			}
		})
	}

	rd, err := NewRendererFuncs(fstest.MapFS{"t/a.html": {Data: []byte(`{{define "content"}}<p>{{shout "xin chào"}}</p>{{end}}`)}},
		template.FuncMap{"shout": strings.ToUpper}, "t/*.html")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	rd.Render(rec, httptest.NewRequest("GET", "/", nil), 200, "a.html", nil)
	if !strings.Contains(rec.Body.String(), "<p>XIN CHÀO</p>") {
		t.Errorf("custom function not applied: %s", rec.Body.String())
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		lang string
		v    any
		want string
	}{
		{"vi", 1234567, "1.234.567"},
		{"en", 1234567, "1,234,567"},
		{"vi", -1234.5, "-1.234,5"},
		{"en", int64(999), "999"},
		{"vi", uint64(1000), "1.000"},
		{"vi", "x", "x"},
	}
	for _, tt := range tests {
		if got := formatNumber(tt.lang, tt.v); got != tt.want {
			t.Errorf("formatNumber(%s, %v) = %q, want %q", tt.lang, tt.v, got, tt.want)
		}
	}
	ts := time.Date(2025, 1, 31, 17, 5, 0, 0, time.UTC)
	if got := funcsFor("vi")["datetime"].(func(any) string)(ts); got != "00:05 01/02/2025" {
		t.Errorf("datetime vi = %q", got)
	}
	if got := funcsFor("en")["date"].(func(any) string)(&ts); got != "1 Feb 2025" {
		t.Errorf("date en = %q", got)
	}
	if got := funcsFor("vi")["date"].(func(any) string)(time.Time{}); got != "" {
		t.Errorf("zero date = %q", got)
	}
}
