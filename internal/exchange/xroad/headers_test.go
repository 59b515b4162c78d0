package xroad

import (
	"net/http"
	"reflect"
	"testing"
)

func TestFilterHeaders(t *testing.T) {
	in := http.Header{
		"Connection":          {"keep-alive, X-Hop-One", " x-hop-two "},
		"X-Hop-One":           {"1"},
		"X-Hop-Two":           {"2"},
		"Keep-Alive":          {"timeout=5"},
		"Proxy-Authenticate":  {"Basic"},
		"Proxy-Authorization": {"Basic Zm9vOmJhcg=="},
		"Proxy-Connection":    {"keep-alive"},
		"Te":                  {"trailers"},
		"Trailer":             {"X-Sum"},
		"Transfer-Encoding":   {"chunked"},
		"Upgrade":             {"h2c"},
		"Host":                {"backend.internal:8080"},
		"User-Agent":          {"Go-http-client/1.1"},
		"Server":              {"nginx/1.25"},
		"X-Road-Request-Hash": {"forged"},
		"x-road-request-hash": {"forged, non-canonical key"},

		"Content-Type":  {"application/json; charset=utf-8"},
		"Accept":        {"application/xml"},
		"Authorization": {"Bearer jwt"},
		"Cache-Control": {"no-cache"},
		"X-Road-Client": {"VN/GOV/A/S"},
		"X-Road-Id":     {"id"},
		"X-Powered-By":  {"PHP/5.2.17"},
		"X-Multi":       {"a", "b"},
	}
	want := http.Header{
		"Content-Type":  {"application/json; charset=utf-8"},
		"Accept":        {"application/xml"},
		"Authorization": {"Bearer jwt"},
		"Cache-Control": {"no-cache"},
		"X-Road-Client": {"VN/GOV/A/S"},
		"X-Road-Id":     {"id"},
		"X-Powered-By":  {"PHP/5.2.17"},
		"X-Multi":       {"a", "b"},
	}
	got := FilterHeaders(in)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	got["X-Multi"][0] = "changed"
	if in["X-Multi"][0] != "a" {
		t.Error("FilterHeaders shares value slices with its input")
	}
	if len(in) != 24 {
		t.Error("FilterHeaders changed its input")
	}
}

func TestFilterHeadersConnectionForms(t *testing.T) {
	tests := []struct {
		name string
		in   http.Header
		want http.Header
	}{
		{"nil", nil, http.Header{}},
		{"connection naming a kept header", http.Header{"Connection": {"Authorization"}, "Authorization": {"x"}, "Accept": {"*/*"}},
			http.Header{"Accept": {"*/*"}}},
		{"non-canonical connection key", http.Header{"connection": {"X-A"}, "X-A": {"1"}, "X-B": {"2"}},
			http.Header{"X-B": {"2"}}},
		{"empty tokens", http.Header{"Connection": {",, ,close"}, "X-A": {"1"}}, http.Header{"X-A": {"1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FilterHeaders(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHeaderNames(t *testing.T) {
	for _, h := range []string{HeaderClient, HeaderService, HeaderID, HeaderUserID, HeaderIssue,
		HeaderRepresentedParty, HeaderRequestID, HeaderRequestHash, HeaderError, HeaderSecurityServer} {
		hh := http.Header{}
		hh.Set(h, "v")
		if hh.Get(h) != "v" || len(h) < len("X-Road-") || h[:7] != "X-Road-" {
			t.Errorf("header %q", h)
		}
	}
}
