package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestStaticHandler(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", StaticHandler())
	h := Wrap(mux, Options{})

	css := AssetURL("app.css")
	if !strings.HasPrefix(css, "/static/app.css?v=") || len(css) <= len("/static/app.css?v=") {
		t.Fatalf("AssetURL = %q", css)
	}
	tests := []struct {
		name   string
		url    string
		inm    string
		status int
		ctype  string
		cache  string
	}{
		{"versioned", css, "", 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable"},
		{"unversioned", "/static/app.css", "", 200, "text/css; charset=utf-8", "no-cache"},
		{"stale version", "/static/app.js?v=old", "", 200, "text/javascript; charset=utf-8", "no-cache"},
		{"icon", AssetURL("favicon.svg"), "", 200, "image/svg+xml", "public, max-age=31536000, immutable"},
		{"revalidate", "/static/app.css", `"` + staticFiles["app.css"].hash + `"`, 304, "", "no-cache"},
		{"missing", "/static/nope.css", "", 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.url, nil)
			if tt.inm != "" {
				req.Header.Set("If-None-Match", tt.inm)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if tt.ctype != "" && rec.Header().Get("Content-Type") != tt.ctype {
				t.Errorf("Content-Type = %q", rec.Header().Get("Content-Type"))
			}
			if tt.cache != "" && rec.Header().Get("Cache-Control") != tt.cache {
				t.Errorf("Cache-Control = %q", rec.Header().Get("Cache-Control"))
			}
			if tt.status == 200 && rec.Body.Len() == 0 {
				t.Error("empty body")
			}
		})
	}

	for _, p := range []string{"/static/../doc.go", "/static/../assets/i18n/vi.json"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = p
		rec := httptest.NewRecorder()
		StaticHandler().ServeHTTP(rec, req)
		if rec.Code != 404 {
			t.Errorf("%s: status %d", p, rec.Code)
		}
	}
	rec := httptest.NewRecorder()
	StaticHandler().ServeHTTP(rec, httptest.NewRequest("POST", "/static/app.css", nil))
	if rec.Code != 405 {
		t.Errorf("POST: status %d", rec.Code)
	}
}
