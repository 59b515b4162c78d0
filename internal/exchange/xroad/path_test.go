package xroad

import (
	"strings"
	"testing"
	"time"
)

func TestNormalizePath(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		errHas string // non-empty: must be refused with this in the message
	}{
		{in: "", want: "/"},
		{in: "/", want: "/"},
		{in: "/b", want: "/b"},
		{in: "/a/../b", want: "/b"},
		{in: "/a/%2e%2e/b", want: "/b"},
		{in: "/a/%2E%2E/b", want: "/b"},
		{in: "/a/.%2e/b", want: "/b"},
		{in: "//b", want: "/b"},
		{in: "/./b", want: "/b"},
		{in: "/%2e/b", want: "/b"},
		{in: "/b/", want: "/b"},
		{in: "/a//b///c/", want: "/a/b/c"},
		{in: "/a/b/..", want: "/a"},
		{in: "/a/b/../..", want: "/"},
		{in: "/v1/people/001/./", want: "/v1/people/001"},
		{in: "/d%C3%A2n%20c%C6%B0", want: "/dân cư"},
		{in: "/a+b/%2B", want: "/a+b/+"},
		{in: "/search/a%3Fb%23c", want: "/search/a?b#c"},
		{in: "/50%25", want: "/50%"},
		{in: "/.../x", errHas: "dots and spaces"},
		{in: "/a/..%20/b", errHas: "dots and spaces"},
		{in: "/a/%20/b", errHas: "dots and spaces"},
		{in: "/a/..;/admin", errHas: `dot segment with parameters, which some servers read as ".."`},
		{in: "/a/.;x/b", errHas: "dot segment with parameters"},
		{in: "/a/%2e%2e%3bx/b", errHas: "dot segment with parameters"},

		{in: "/%2e%2e%2f", errHas: `encoded "/"`},
		{in: "/a/%2e%2e%2fb", errHas: `encoded "/"`},
		{in: "/a/..%2f", errHas: `encoded "/"`},
		{in: "/a/..%2F..%2Fetc", errHas: `encoded "/"`},
		{in: "/a%2fb", errHas: `encoded "/" (%2F)`},
		{in: "/a%5cb", errHas: `"\"`},
		{in: "/a/..%5c..%5cwin", errHas: `"\"`},
		{in: `/a\..\b`, errHas: `"\"`},
		{in: "/a%00b", errHas: `control character '\x00'`},
		{in: "/a%0d%0aX-Evil:%201", errHas: "control character"},
		{in: "/a\x00", errHas: "control character"},
		{in: "/a%7f", errHas: "control character"},
		{in: "/a%zz", errHas: `invalid percent-escape "%zz"`},
		{in: "/a%2", errHas: `invalid percent-escape "%2"`},
		{in: "/a%", errHas: `invalid percent-escape "%"`},
		{in: "/%C3", errHas: "not UTF-8"},
		{in: "/%FF%FE", errHas: "not UTF-8"},
		{in: "/a/%252e%252e/b", errHas: "double-encoded"},
		{in: "/a/%252F", errHas: "double-encoded"},
		{in: "/a/%255c", errHas: "double-encoded"},
		{in: "/..", errHas: "climbs above the root"},
		{in: "/../etc/passwd", errHas: "climbs above the root"},
		{in: "/%2e%2e/etc", errHas: "climbs above the root"},
		{in: "/a/b/../../..", errHas: "climbs above the root"},
		{in: "/a/../../b", errHas: "climbs above the root"},
		{in: "//../b", errHas: "climbs above the root"},
		{in: "a/b", errHas: `must start with "/"`},
	}
	for _, tt := range tests {
		got, err := NormalizePath(tt.in)
		switch {
		case tt.errHas == "" && err != nil:
			t.Errorf("NormalizePath(%q): unexpected error %v", tt.in, err)
		case tt.errHas == "" && got != tt.want:
			t.Errorf("NormalizePath(%q) = %q, want %q", tt.in, got, tt.want)
		case tt.errHas != "" && err == nil:
			t.Errorf("NormalizePath(%q) = %q, want an error saying %q", tt.in, got, tt.errHas)
		case tt.errHas != "" && !strings.Contains(err.Error(), tt.errHas):
			t.Errorf("NormalizePath(%q) error %q does not say %q", tt.in, err, tt.errHas)
		}
	}
}

func TestEscapePath(t *testing.T) {
	for _, p := range []string{"/", "/b", "/dân cư/a?b#c", "/50%/x", "/a+b/;/:@"} {
		esc := EscapePath(p)
		back, err := NormalizePath(esc)
		if err != nil || back != p {
			t.Errorf("NormalizePath(EscapePath(%q) = %q) = %q, %v", p, esc, back, err)
		}
	}
	if got := EscapePath("/dân cư/a?b"); got != "/d%C3%A2n%20c%C6%B0/a%3Fb" {
		t.Errorf("EscapePath = %q", got)
	}
}

func TestMatchEndpoint(t *testing.T) {
	tests := []struct {
		method, pattern, reqMethod, path string
		want                             bool
	}{
		{"*", "**", "GET", "/", true},
		{"*", "**", "DELETE", "/any/thing/at/all", true},
		{"GET", "**", "POST", "/x", false},
		{"get", "/pets", "GET", "/pets", true},
		{"GET", "/pets", "get", "/pets", true},
		{"", "**", "GET", "/", false},
		{"GET", "/pets", "GET", "/pets/1", false},
		{"GET", "/pets", "GET", "/Pets", false},
		{"GET", "/pets/", "GET", "/pets", true},
		{"GET", "//pets", "GET", "/pets", true},
		{"GET", "/", "GET", "/", true},
		{"GET", "/", "GET", "/x", false},

		{"GET", "/pets/*", "GET", "/pets/1124", true},
		{"GET", "/pets/*", "GET", "/pets", false},
		{"GET", "/pets/*", "GET", "/pets/1/images", false},
		{"POST", "/pet/*/uploadImage", "POST", "/pet/7/uploadImage", true},
		{"POST", "/pet/*/uploadImage", "POST", "/pet/7/8/uploadImage", false},
		{"GET", "/pets/{petId}", "GET", "/pets/1124", true},
		{"GET", "/pets/{petId}", "GET", "/pets", false},
		{"GET", "/pets/{petId}/images/{n}", "GET", "/pets/1/images/2", true},
		{"GET", "/files/{name}.json", "GET", "/files/a.json", true},
		{"GET", "/files/{name}.json", "GET", "/files/a.xml", false},
		{"GET", "/files/*.json", "GET", "/files/.json", true},
		{"GET", "/a*b*c", "GET", "/abc", true},
		{"GET", "/a*b*c", "GET", "/axxbyyc", true},
		{"GET", "/a*b*b", "GET", "/ab", false},
		{"GET", "/a*a", "GET", "/a", false},

		{"GET", "/pets/**", "GET", "/pets", true},
		{"GET", "/pets/**", "GET", "/pets/1", true},
		{"GET", "/pets/**", "GET", "/pets/1/images/2", true},
		{"GET", "/pets/**", "GET", "/petsx", false},
		{"GET", "/pets/**", "GET", "/", false},
		{"GET", "/**", "GET", "/", true},
		{"GET", "/**/images", "GET", "/images", true},
		{"GET", "/**/images", "GET", "/pets/1/images", true},
		{"GET", "/**/images", "GET", "/pets/1/images/2", false},
		{"GET", "/a/**/b/**/c", "GET", "/a/x/b/y/z/c", true},
		{"GET", "/a/**/b/**/c", "GET", "/a/b/c", true},
		{"GET", "/a/**/b/**/c", "GET", "/a/c/b", false},
		{"GET", "/a/**/*", "GET", "/a", false},
		{"GET", "/a/**/*", "GET", "/a/b", true},

		// Hostile: the path must come from NormalizePath, and bad patterns match nothing.
		{"GET", "/public/**", "GET", "public/x", false},
		{"GET", "/public/../admin", "GET", "/admin", false},
		{"GET", "public/**", "GET", "/public/x", false},
		{"GET", "/a%2Fb", "GET", "/a/b", false},
		{"GET", `/a\b`, "GET", `/a\b`, false},
	}
	for _, tt := range tests {
		if got := MatchEndpoint(tt.method, tt.pattern, tt.reqMethod, tt.path); got != tt.want {
			t.Errorf("MatchEndpoint(%q, %q, %q, %q) = %v, want %v", tt.method, tt.pattern, tt.reqMethod, tt.path, got, tt.want)
		}
	}
}

// TestAccessBypass checks the guard end to end: every spelling of an
// admin path, normalised, is caught by the endpoint that names it and by no
// narrower public one.
func TestAccessBypass(t *testing.T) {
	for _, raw := range []string{
		"/public/../admin", "/public/%2e%2e/admin", "//admin", "/./admin", "/public/.%2E/admin/", "/admin/",
	} {
		p, err := NormalizePath(raw)
		if err != nil {
			t.Fatalf("NormalizePath(%q): %v", raw, err)
		}
		if MatchEndpoint("GET", "/public/**", "GET", p) {
			t.Errorf("%q (normalised %q) passes as /public/**", raw, p)
		}
		if !MatchEndpoint("GET", "/admin", "GET", p) {
			t.Errorf("%q (normalised %q) escapes /admin", raw, p)
		}
	}
}

func TestMatchEndpointIsNotExponential(t *testing.T) {
	pattern := strings.Repeat("/**/a", 40) + "/b"
	path := strings.Repeat("/a", 2000)
	start := time.Now()
	if MatchEndpoint("GET", pattern, "GET", path) {
		t.Error("matched")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestValidatePattern(t *testing.T) {
	for p, ok := range map[string]bool{
		"**": true, "/": true, "/pets/{id}": true, "/a/**/b": true, "/files/*.json": true,
		"": false, "*": false, "pets": false, "/a/../b": false, "/./a": false, "/a%2Fb": false, `/a\b`: false, "/a\nb": false,
	} {
		if err := ValidatePattern(p); (err == nil) != ok {
			t.Errorf("ValidatePattern(%q) = %v, want ok=%v", p, err, ok)
		}
	}
}

// FuzzNormalizePath checks the promises NormalizePath makes about what it
// accepts: a clean absolute path, stable under EscapePath and re-normalising.
func FuzzNormalizePath(f *testing.F) {
	for _, s := range []string{"/", "/a/../b", "/%2e%2e%2f", "/..%2f", "/%00", "/%zz", "/a/b/../../..", "//x/./y/", "/%252e", "/..;/x", "/d%C3%A2n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := NormalizePath(in)
		if err != nil {
			return
		}
		if !strings.HasPrefix(p, "/") || strings.Contains(p, "//") || strings.ContainsAny(p, "\\\x00") ||
			(p != "/" && strings.HasSuffix(p, "/")) {
			t.Fatalf("NormalizePath(%q) = %q", in, p)
		}
		for _, seg := range strings.Split(p[1:], "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("NormalizePath(%q) = %q keeps a dot segment", in, p)
			}
		}
		back, err := NormalizePath(EscapePath(p))
		if err != nil || back != p {
			t.Fatalf("NormalizePath(EscapePath(%q)) = %q, %v", p, back, err)
		}
	})
}
