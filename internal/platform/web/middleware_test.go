package web

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	dto "github.com/prometheus/client_model/go"
)

func TestRequestID(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		name     string
		incoming string
		keep     bool
	}{
		{"none", "", false},
		{"uuid", "0b0ba4d1-1c1e-4b5e-9a3f-5d1f0c7e2a11", true},
		{"token", "gw-VN.GOV.000_00.1", true},
		{"64 characters", long, true},
		{"65 characters", long + "a", false},
		{"space", "a b", false},
		{"newline", "abc\ninjected", false},
		{"markup", "<script>", false},
		{"non-ascii", "mã-yêu-cầu", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inside string
			h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inside = RequestID(r.Context())
			}), Options{})
			req := httptest.NewRequest("GET", "/", nil)
			if tt.incoming != "" {
				req.Header["X-Request-Id"] = []string{tt.incoming}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get("X-Request-Id")
			if got != inside {
				t.Errorf("response id %q, context id %q", got, inside)
			}
			if tt.keep {
				if got != tt.incoming {
					t.Errorf("id = %q, want the incoming %q", got, tt.incoming)
				}
				return
			}
			if _, err := uuid.Parse(got); err != nil || got == tt.incoming {
				t.Errorf("id = %q, want a new UUID", got)
			}
		})
	}
	if RequestID(httptest.NewRequest("GET", "/", nil).Context()) != "" {
		t.Error("RequestID outside Wrap is not empty")
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), Options{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "strict-origin-when-cross-origin",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
	}
	for k, v := range want {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestCrossOriginProtection(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux := http.NewServeMux()
	mux.Handle("POST /forms/submit", ok)
	mux.Handle("POST /auth/callback", ok)
	mux.Handle("GET /forms/submit", ok)
	opts := Options{CrossOrigin: true, TrustedOrigins: []string{"https://partner.example.vn"}, CrossOriginBypass: []string{"POST /auth/callback"}}
	protected := Wrap(mux, opts)

	tests := []struct {
		name    string
		method  string
		path    string
		headers map[string]string
		want    int
	}{
		{"cross-site form post", "POST", "/forms/submit", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"}, 403},
		{"same-site but other origin", "POST", "/forms/submit", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://portal.example.vn"}, 403},
		{"old browser, foreign origin", "POST", "/forms/submit", map[string]string{"Origin": "https://evil.example"}, 403},
		{"same-origin form post", "POST", "/forms/submit", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}, 204},
		{"old browser, same origin", "POST", "/forms/submit", map[string]string{"Origin": "http://example.com"}, 204},
		{"user typed the address", "POST", "/forms/submit", map[string]string{"Sec-Fetch-Site": "none"}, 204},
		{"non-browser client", "POST", "/forms/submit", nil, 204},
		{"cross-site GET is safe", "GET", "/forms/submit", map[string]string{"Sec-Fetch-Site": "cross-site"}, 204},
		{"trusted origin", "POST", "/forms/submit", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://partner.example.vn"}, 204},
		{"bypass pattern", "POST", "/auth/callback", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://id.example.vn"}, 204},
		{"bearer token, no cookie", "POST", "/forms/submit", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example", "Authorization": "Bearer abc"}, 204},
		{"bearer token with cookie", "POST", "/forms/submit", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example", "Authorization": "Bearer abc", "Cookie": "session=1"}, 403},
		{"basic credentials are ambient", "POST", "/forms/submit", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example", "Authorization": "Basic YTpi"}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "http://example.com"+tt.path, strings.NewReader("a=1"))
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			protected.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.want, rec.Body.String())
			}
			if tt.want == 403 {
				if p := decodeProblem(t, rec); p.Code != "request.cross_origin" || p.RequestID == "" {
					t.Errorf("problem = %+v", p)
				}
			}
		})
	}

	t.Run("browser gets a page", func(t *testing.T) {
		req := httptest.NewRequest("POST", "http://example.com/forms/submit", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
		rec := httptest.NewRecorder()
		protected.ServeHTTP(rec, req)
		if rec.Code != 403 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
		}
		if !strings.Contains(rec.Body.String(), "Bạn không có quyền truy cập") {
			t.Errorf("page lacks the forbidden heading: %s", rec.Body.String())
		}
	})

	t.Run("off unless asked", func(t *testing.T) {
		req := httptest.NewRequest("POST", "http://example.com/forms/submit", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		rec := httptest.NewRecorder()
		Wrap(mux, Options{}).ServeHTTP(rec, req)
		if rec.Code != 204 {
			t.Errorf("status = %d without CrossOrigin", rec.Code)
		}
	})

	t.Run("bad trusted origin panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("no panic for an invalid trusted origin")
			}
		}()
		Wrap(mux, Options{CrossOrigin: true, TrustedOrigins: []string{"not an origin"}})
	})
}

// counter returns the value of vngov_http_requests_total with the given labels.
func counter(t *testing.T, m *Metrics, labels map[string]string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != "vngov_http_requests_total" {
			continue
		}
		for _, metric := range mf.GetMetric() {
			if hasLabels(metric, labels) {
				sum += metric.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, lp := range m.GetLabel() {
		if v, ok := want[lp.GetName()]; ok {
			if v != lp.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(want)
}

func TestMetricsRouteLabel(t *testing.T) {
	m := NewMetrics()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /catalog/v1/lists/{id}", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, 200, map[string]string{"id": r.PathValue("id")})
	})
	mux.HandleFunc("POST /catalog/v1/lists", func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	})
	// A layer between Wrap and the mux that passes the request on unchanged.
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mux.ServeHTTP(w, r) })
	h = Wrap(h, Options{Component: "catalog", Metrics: m})

	for _, p := range []string{"/catalog/v1/lists/gender", "/catalog/v1/lists/ethnicity", "/catalog/v1/lists/religion", "/nowhere/1", "/nowhere/2"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/catalog/v1/lists", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/catalog/v1/lists/gender", nil))

	tests := []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"component": "catalog", "route": "GET /catalog/v1/lists/{id}", "method": "GET", "status": "200"}, 3},
		{map[string]string{"component": "catalog", "route": "unmatched", "method": "GET", "status": "404"}, 2},
		{map[string]string{"component": "catalog", "route": "POST /catalog/v1/lists", "method": "POST", "status": "500"}, 1},
		{map[string]string{"component": "catalog", "method": "OTHER"}, 1},
		{map[string]string{"route": "/catalog/v1/lists/gender"}, 0},
	}
	for _, tt := range tests {
		if got := counter(t, m, tt.labels); got != tt.want {
			t.Errorf("requests%v = %v, want %v", tt.labels, got, tt.want)
		}
	}

	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, mf := range mfs {
		found[mf.GetName()] = true
		if mf.GetName() == "vngov_http_request_duration_seconds" {
			for _, metric := range mf.GetMetric() {
				if hasLabels(metric, map[string]string{"route": "GET /catalog/v1/lists/{id}", "method": "GET"}) &&
					metric.GetHistogram().GetSampleCount() != 3 {
					t.Errorf("duration samples = %d, want 3", metric.GetHistogram().GetSampleCount())
				}
			}
		}
		if mf.GetName() == "vngov_http_requests_in_flight" && mf.GetMetric()[0].GetGauge().GetValue() != 0 {
			t.Errorf("in flight = %v after all requests ended", mf.GetMetric()[0].GetGauge().GetValue())
		}
	}
	for _, name := range []string{"vngov_http_request_duration_seconds", "go_goroutines", "process_cpu_seconds_total"} {
		if !found[name] {
			t.Errorf("registry lacks %s", name)
		}
	}
}

func TestAccessLog(t *testing.T) {
	var buf bytes.Buffer
	mux := http.NewServeMux()
	mux.HandleFunc("GET /catalog/v1/lists/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("hello"))
	})
	h := Wrap(mux, Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), Component: "catalog"})
	req := httptest.NewRequest("GET", "/catalog/v1/lists/gender?q=secret", nil)
	req.RemoteAddr = "203.0.113.9:51234"
	req.Header.Set("X-Request-Id", "abc-1")
	h.ServeHTTP(httptest.NewRecorder(), req)

	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("access log is not one JSON line: %q", buf.String())
	}
	want := map[string]any{
		"msg": "http request", "component": "catalog", "method": "GET", "path": "/catalog/v1/lists/gender",
		"route": "GET /catalog/v1/lists/{id}", "status": 200.0, "bytes": 5.0, "request_id": "abc-1", "remote_ip": "203.0.113.9",
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %v", k, line[k], v)
		}
	}
	if _, ok := line["duration_ms"].(float64); !ok {
		t.Errorf("duration_ms missing: %v", line)
	}
	if strings.Contains(buf.String(), "secret") {
		t.Error("the access log records the query string")
	}
}

func TestRecoverPanic(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))

	t.Run("before writing", func(t *testing.T) {
		buf.Reset()
		h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"v1"`)
			panic("nil map")
		}), Options{Logger: log})
		req := httptest.NewRequest("GET", "/boom", nil)
		req.Header.Set("X-Request-Id", "panic-1")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 500 {
			t.Fatalf("status = %d", rec.Code)
		}
		p := decodeProblem(t, rec)
		if p.Code != "internal" || p.RequestID != "panic-1" || strings.Contains(rec.Body.String(), "nil map") {
			t.Errorf("problem = %s", rec.Body.String())
		}
		logs := buf.String()
		for _, want := range []string{"panic serving request", "nil map", "middleware_test.go", `"request_id":"panic-1"`, `"status":500`} {
			if !strings.Contains(logs, want) {
				t.Errorf("log lacks %q: %s", want, logs)
			}
		}
		if strings.Count(logs, "request failed") != 0 {
			t.Errorf("panic logged twice: %s", logs)
		}
	})

	t.Run("after writing", func(t *testing.T) {
		h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("half"))
			panic("late")
		}), Options{Logger: log})
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", p)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	})
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		name   string
		remote string
		xff    []string
		trust  bool
		want   string
	}{
		{"remote", "198.51.100.7:4000", nil, false, "198.51.100.7"},
		{"ipv6 remote", "[2001:db8::1]:4000", nil, false, "2001:db8::1"},
		{"forwarded ignored", "10.0.0.2:4000", []string{"203.0.113.9"}, false, "10.0.0.2"},
		{"forwarded trusted", "10.0.0.2:4000", []string{"203.0.113.9"}, true, "203.0.113.9"},
		{"last entry wins", "10.0.0.2:4000", []string{"1.2.3.4, 203.0.113.9"}, true, "203.0.113.9"},
		{"last header wins", "10.0.0.2:4000", []string{"1.2.3.4", "203.0.113.9"}, true, "203.0.113.9"},
		{"garbage falls back", "10.0.0.2:4000", []string{"not-an-ip"}, true, "10.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = ClientIP(r) }), Options{TrustProxy: tt.trust})
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if got != tt.want {
				t.Errorf("ClientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWrapKeepsFlusher(t *testing.T) {
	h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(http.Flusher); !ok {
			t.Error("the writer is no http.Flusher")
		}
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("ResponseController.Flush: %v", err)
		}
	}), Options{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/events", nil))
	if !rec.Flushed {
		t.Error("the flush did not reach the connection")
	}
}
