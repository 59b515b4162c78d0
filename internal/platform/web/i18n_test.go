package web

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
)

func TestCatalogsHaveTheSameKeys(t *testing.T) {
	read := func(lang string) map[string]string {
		b, err := fs.ReadFile(assets, "assets/i18n/"+lang+".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s.json: %v", lang, err)
		}
		return m
	}
	vi, en := read(LangVI), read(LangEN)
	for k := range vi {
		if _, ok := en[k]; !ok {
			t.Errorf("en.json lacks %q", k)
		}
	}
	for k := range en {
		if _, ok := vi[k]; !ok {
			t.Errorf("vi.json lacks %q", k)
		}
	}
}

func TestT(t *testing.T) {
	RegisterMessages("vi", map[string]string{"test.only_vi": "Chỉ có tiếng Việt"})
	tests := []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"vi", "site.name", nil, "Nền tảng Chính phủ số vngov"},
		{"en", "site.name", nil, "vngov Digital Government Platform"},
		{"vi", "search.label", nil, "Tìm kiếm"},
		{"vi", "pager.prev", nil, "Trang trước"},
		{"vi", "pager.next", nil, "Trang sau"},
		{"vi", "action.download", nil, "Tải xuống"},
		{"vi", "error.not_found.title", nil, "Không tìm thấy trang"},
		{"vi", "pager.status", []any{2, 5}, "Trang 2 / 5"},
		{"en", "pager.status", []any{2, 5}, "Page 2 of 5"},
		{"en", "test.only_vi", nil, "Chỉ có tiếng Việt"},
		{"fr", "site.name", nil, "Nền tảng Chính phủ số vngov"},
		{"en", "no.such.key", []any{1}, "no.such.key"},
	}
	for _, tt := range tests {
		if got := T(tt.lang, tt.key, tt.args...); got != tt.want {
			t.Errorf("T(%q, %q) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
}

func TestRegisterMessagesFS(t *testing.T) {
	fsys := fstest.MapFS{
		"i18n/vi.json": {Data: []byte(`{"test.fs.title": "Danh mục dùng chung"}`)},
		"i18n/en.json": {Data: []byte(`{"test.fs.title": "Shared catalogs"}`)},
	}
	if err := RegisterMessagesFS(fsys, "i18n"); err != nil {
		t.Fatal(err)
	}
	if got := T("en", "test.fs.title"); got != "Shared catalogs" {
		t.Errorf("en = %q", got)
	}
	if got := T("vi", "test.fs.title"); got != "Danh mục dùng chung" {
		t.Errorf("vi = %q", got)
	}
	bad := fstest.MapFS{"i18n/vi.json": {Data: []byte(`{"a": 1}`)}}
	if err := RegisterMessagesFS(bad, "i18n"); err == nil {
		t.Error("a catalog with a non-string value was accepted")
	}
}

func TestLang(t *testing.T) {
	tests := []struct {
		name       string
		url        string
		cookie     string
		accept     string
		want       string
		wantCookie string // "" means no Set-Cookie
	}{
		{"default", "/", "", "", "vi", ""},
		{"accept-language is ignored", "/", "", "en-US,en;q=0.9", "vi", ""},
		{"query", "/?lang=en", "", "", "en", "en"},
		{"query upper case", "/?lang=EN", "", "", "en", "en"},
		{"query beats cookie", "/?lang=vi", "en", "", "vi", "vi"},
		{"cookie", "/", "en", "", "en", ""},
		{"query equal to cookie sets nothing", "/?lang=en", "en", "", "en", ""},
		{"unsupported query", "/?lang=fr", "", "", "vi", ""},
		{"unsupported query, cookie", "/?lang=fr", "en", "", "en", ""},
		{"unsupported cookie", "/", "de", "", "vi", ""},
		{"lang in another parameter", "/?slang=en", "", "", "vi", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = Lang(r) }), Options{})
			req := httptest.NewRequest("GET", tt.url, nil)
			if tt.cookie != "" {
				req.AddCookie(&http.Cookie{Name: LangCookie, Value: tt.cookie})
			}
			if tt.accept != "" {
				req.Header.Set("Accept-Language", tt.accept)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got != tt.want {
				t.Errorf("Lang = %q, want %q", got, tt.want)
			}
			if direct := Lang(req); direct != tt.want {
				t.Errorf("Lang outside Wrap = %q, want %q", direct, tt.want)
			}
			cookies := rec.Result().Cookies()
			if tt.wantCookie == "" {
				if len(cookies) != 0 {
					t.Errorf("unexpected cookie %v", cookies)
				}
				return
			}
			if len(cookies) != 1 {
				t.Fatalf("cookies = %v, want one", cookies)
			}
			c := cookies[0]
			if c.Name != LangCookie || c.Value != tt.wantCookie || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge <= 0 {
				t.Errorf("cookie = %+v", c)
			}
		})
	}
}

func TestLangCookieSecureOverTLS(t *testing.T) {
	h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), Options{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://example.vn/?lang=en", nil))
	if c := rec.Result().Cookies(); len(c) != 1 || !c[0].Secure {
		t.Errorf("cookies = %v, want one Secure cookie", c)
	}
}
