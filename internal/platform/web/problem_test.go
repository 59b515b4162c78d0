package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/vngov/vngov/internal/platform/fault"
)

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("decode problem %q: %v", rec.Body.String(), err)
	}
	return p
}

func TestWriteErrorKinds(t *testing.T) {
	fields := []fault.FieldError{{Field: "name", Code: "required", Message: "Tên là bắt buộc", Detail: "name is required"}}
	tests := []struct {
		name   string
		err    error
		status int
		code   string
		typ    string
		title  string
		detail string
		fields int
	}{
		{"invalid", fault.Invalidf(fields, "1 field is invalid"), 422, "invalid_input", ProblemTypeBase + "invalid_input", "Dữ liệu không hợp lệ", "1 field is invalid", 1},
		{"bad request", fault.New(fault.BadRequest, "catalog.bad_version", "Phiên bản không hợp lệ", "version must be a number"), 400, "catalog.bad_version", ProblemTypeBase + "catalog.bad_version", "Phiên bản không hợp lệ", "version must be a number", 0},
		{"not found", fault.NotFoundf("catalog.list_not_found", "Không tìm thấy danh mục", "no list %q", "gender"), 404, "catalog.list_not_found", ProblemTypeBase + "catalog.list_not_found", "Không tìm thấy danh mục", `no list "gender"`, 0},
		{"unauthenticated", fault.New(fault.Unauthenticated, "authn.token_missing", "Bạn cần đăng nhập", "no bearer token"), 401, "authn.token_missing", ProblemTypeBase + "authn.token_missing", "Bạn cần đăng nhập", "no bearer token", 0},
		{"forbidden", fault.New(fault.Forbidden, "exchange.access_denied", "Không có quyền", "no access right"), 403, "exchange.access_denied", ProblemTypeBase + "exchange.access_denied", "Không có quyền", "no access right", 0},
		{"conflict", fault.New(fault.Conflict, "dossier.already_closed", "Hồ sơ đã đóng", "dossier is closed"), 409, "dossier.already_closed", ProblemTypeBase + "dossier.already_closed", "Hồ sơ đã đóng", "dossier is closed", 0},
		{"too large", fault.New(fault.TooLarge, "dossier.file_too_large", "Tệp quá lớn", "file over 10 MiB"), 413, "dossier.file_too_large", ProblemTypeBase + "dossier.file_too_large", "Tệp quá lớn", "file over 10 MiB", 0},
		{"unavailable", fault.New(fault.Unavailable, "exchange.hub_down", "Hệ thống trung tâm tạm ngừng", "hub unreachable"), 503, "exchange.hub_down", ProblemTypeBase + "exchange.hub_down", "Hệ thống trung tâm tạm ngừng", "hub unreachable", 0},
		{"wrapped fault", fmt.Errorf("handler: %w", fault.NotFoundf("catalog.list_not_found", "Không tìm thấy danh mục", "no list")), 404, "catalog.list_not_found", ProblemTypeBase + "catalog.list_not_found", "Không tìm thấy danh mục", "no list", 0},
		{"internal fault", fault.Wrap(errors.New("pq: password authentication failed for user vngov"), "catalog: count lists"), 500, "internal", "about:blank", internalTitle, internalDetail, 0},
		{"plain error", errors.New("dial tcp 10.0.0.7:5432: connection refused"), 500, "internal", "about:blank", internalTitle, internalDetail, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				WriteError(w, r, tt.err)
			}), Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			req := httptest.NewRequest("GET", "/catalog/v1/lists/gender", nil)
			req.Header.Set("X-Request-Id", "req-123")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			p := decodeProblem(t, rec)
			want := Problem{Type: tt.typ, Title: tt.title, Status: tt.status, Detail: tt.detail,
				Instance: "/catalog/v1/lists/gender", Code: tt.code, RequestID: "req-123"}
			got := p
			got.Errors = nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("problem = %+v\nwant      %+v", got, want)
			}
			if len(p.Errors) != tt.fields {
				t.Errorf("errors = %v, want %d", p.Errors, tt.fields)
			}
			if tt.fields > 0 && p.Errors[0] != fields[0] {
				t.Errorf("field error = %+v, want %+v", p.Errors[0], fields[0])
			}
			if www := rec.Header().Get("WWW-Authenticate"); (tt.status == 401) != (www == "Bearer") {
				t.Errorf("WWW-Authenticate = %q for status %d", www, tt.status)
			}
			if tt.status == 500 {
				body := rec.Body.String()
				for _, leak := range []string{"pq:", "password", "10.0.0.7", "count lists"} {
					if strings.Contains(body, leak) {
						t.Errorf("problem leaks %q: %s", leak, body)
					}
				}
				if !strings.Contains(logs.String(), `"request_id":"req-123"`) || !strings.Contains(logs.String(), "request failed") {
					t.Errorf("internal error not logged with its request id: %s", logs.String())
				}
				cause := tt.err.Error()
				if !strings.Contains(logs.String(), strings.ReplaceAll(cause, `"`, `\"`)) {
					t.Errorf("log lacks the cause %q: %s", cause, logs.String())
				}
			}
		})
	}
}

func TestWriteErrorKeepsChallenge(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	WriteError(rec, httptest.NewRequest("GET", "/x", nil), fault.New(fault.Unauthenticated, "authn.expired", "Phiên đã hết hạn", "token expired"))
	if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
		t.Errorf("WWW-Authenticate = %q", got)
	}
}

func TestWriteErrorDropsStaleHeaders(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("ETag", `"v1"`)
	rec.Header().Set("Cache-Control", "public, max-age=3600")
	WriteError(rec, httptest.NewRequest("GET", "/x", nil), errors.New("boom"))
	if rec.Header().Get("ETag") != "" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("headers = %v", rec.Header())
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSON(rec, http.StatusCreated, map[string]string{"name": "Giới tính <nam/nữ>"})
	if rec.Code != 201 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if got := strings.TrimSpace(rec.Body.String()); got != `{"name":"Giới tính <nam/nữ>"}` {
		t.Errorf("body = %s", got)
	}

	rec = httptest.NewRecorder()
	WriteJSON(rec, http.StatusOK, func() {})
	if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("unencodable value: status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

func TestDecodeJSON(t *testing.T) {
	type input struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	tests := []struct {
		name  string
		body  string
		max   int64
		kind  fault.Kind
		code  string
		field string
		ok    bool
	}{
		{name: "valid", body: `{"name":"Hà Nội","count":3}`, ok: true},
		{name: "valid with trailing space", body: "{\"name\":\"a\"}\n\n", ok: true},
		{name: "empty", body: ``, kind: fault.BadRequest, code: "request.empty_body"},
		{name: "syntax", body: `{"name":}`, kind: fault.BadRequest, code: "request.malformed_json"},
		{name: "truncated", body: `{"name":"a"`, kind: fault.BadRequest, code: "request.malformed_json"},
		{name: "two values", body: `{"name":"a"}{"name":"b"}`, kind: fault.BadRequest, code: "request.malformed_json"},
		{name: "trailing garbage", body: `{"name":"a"} x`, kind: fault.BadRequest, code: "request.malformed_json"},
		{name: "unknown field", body: `{"name":"a","colour":"red"}`, kind: fault.BadRequest, code: "request.unknown_field", field: "colour"},
		{name: "wrong type", body: `{"count":"three"}`, kind: fault.BadRequest, code: "request.wrong_type", field: "count"},
		{name: "too large", body: `{"name":"` + strings.Repeat("x", 100) + `"}`, max: 64, kind: fault.TooLarge, code: "request.too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/x", strings.NewReader(tt.body))
			var v input
			err := DecodeJSON(req, &v, tt.max)
			if tt.ok {
				if err != nil {
					t.Fatalf("DecodeJSON: %v", err)
				}
				return
			}
			f := fault.As(err)
			if f == nil {
				t.Fatalf("error %v is no fault", err)
			}
			if f.Kind != tt.kind || f.Code != tt.code {
				t.Errorf("fault = kind %d code %q, want kind %d code %q (%v)", f.Kind, f.Code, tt.kind, tt.code, err)
			}
			if f.Message == "" || f.Detail == "" {
				t.Errorf("fault lacks message or detail: %+v", f)
			}
			if tt.field != "" && (len(f.Fields) != 1 || f.Fields[0].Field != tt.field) {
				t.Errorf("fields = %+v, want %q", f.Fields, tt.field)
			}
		})
	}

	t.Run("status of too large", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/x", strings.NewReader(strings.Repeat(" ", 100)))
		err := DecodeJSON(req, new(input), 10)
		if StatusOf(err) != http.StatusRequestEntityTooLarge {
			t.Errorf("status = %d", StatusOf(err))
		}
	})
}

func TestAPINotFoundAndMethodNotAllowed(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /catalog/v1/lists/{id}", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, 200, map[string]string{"id": r.PathValue("id")})
	})
	mux.Handle("/catalog/v1/lists/{id}", MethodNotAllowed("GET", "HEAD"))
	mux.Handle("/catalog/v1/", APINotFound)
	mux.HandleFunc("/other/v1/", APINotFound)
	h := Wrap(mux, Options{})

	tests := []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/catalog/v1/lists/gender", 200, ""},
		{"GET", "/catalog/v1/nothing/here", 404, "route.not_found"},
		{"GET", "/other/v1/x", 404, "route.not_found"},
		{"DELETE", "/catalog/v1/lists/gender", 405, "route.method_not_allowed"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.status {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, rec.Code, tt.status)
			continue
		}
		if tt.code == "" {
			continue
		}
		if p := decodeProblem(t, rec); p.Code != tt.code || p.Instance != tt.path || p.RequestID == "" {
			t.Errorf("%s %s: problem %+v", tt.method, tt.path, p)
		}
		if tt.status == 405 && rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("Allow = %q", rec.Header().Get("Allow"))
		}
	}
	if NotFoundHandler() == nil {
		t.Error("NotFoundHandler is nil")
	}
}

func TestProblemOfBareFault(t *testing.T) {
	p := ProblemOf(httptest.NewRequest("GET", "/x", nil), &fault.Error{Kind: fault.Conflict})
	if p.Status != 409 || p.Type != "about:blank" || p.Code != "conflict" || p.Title != "Chưa thể thực hiện thao tác này" {
		t.Errorf("problem = %+v", p)
	}
}
