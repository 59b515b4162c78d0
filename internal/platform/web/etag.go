package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// CheckETag sets the response's ETag to etag, as a strong quoted entity tag
// unless it is already quoted (W/"..." stays weak), and evaluates
// If-None-Match with weak comparison (RFC 9110, 13.1.2), including "*" and
// lists. When it matches, CheckETag answers 304 Not Modified for GET and
// HEAD, or 412 Precondition Failed for other methods, and returns true: the
// handler must then write nothing more.
func CheckETag(w http.ResponseWriter, r *http.Request, etag string) (notModified bool) {
	tag := formatETag(etag)
	w.Header().Set("ETag", tag)
	inm := strings.Join(r.Header.Values("If-None-Match"), ",")
	if inm == "" || !noneMatchFails(inm, tag) {
		return false
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		h := w.Header()
		for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding"} {
			h.Del(k)
		}
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	writeProblem(w, Problem{
		Type:      ProblemTypeBase + "request.precondition_failed",
		Title:     "Dữ liệu đã tồn tại hoặc đã thay đổi",
		Status:    http.StatusPreconditionFailed,
		Detail:    "If-None-Match matched the current representation",
		Instance:  r.URL.Path,
		Code:      "request.precondition_failed",
		RequestID: RequestID(r.Context()),
	})
	return true
}

// formatETag quotes a bare validator. A value with characters an entity
// tag cannot hold is replaced by its hash, which still changes whenever
// the value does.
func formatETag(etag string) string {
	if t, rest := scanETag(etag); t != "" && strings.TrimSpace(rest) == "" {
		return t
	}
	for i := 0; i < len(etag); i++ {
		if c := etag[i]; !etagChar(c) {
			sum := sha256.Sum256([]byte(etag))
			return `"` + hex.EncodeToString(sum[:16]) + `"`
		}
	}
	return `"` + etag + `"`
}

// noneMatchFails reports whether the If-None-Match field value matches tag,
// that is whether the condition "none match" is false.
func noneMatchFails(field, tag string) bool {
	for {
		field = strings.TrimLeft(field, " \t")
		if field == "" {
			return false
		}
		if field[0] == ',' {
			field = field[1:]
			continue
		}
		if field[0] == '*' {
			return true
		}
		t, rest := scanETag(field)
		if t == "" {
			return false
		}
		if weakMatch(t, tag) {
			return true
		}
		field = rest
	}
}

// scanETag reads one entity tag, [W/]"opaque", from the start of s.
func scanETag(s string) (tag, rest string) {
	s = strings.TrimLeft(s, " \t")
	start := 0
	if strings.HasPrefix(s, "W/") {
		start = 2
	}
	if len(s)-start < 2 || s[start] != '"' {
		return "", ""
	}
	for i := start + 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[:i+1], s[i+1:]
		case !etagChar(c):
			return "", ""
		}
	}
	return "", ""
}

// etagChar is RFC 9110's etagc: any visible character but the quote, or obs-text.
func etagChar(c byte) bool {
	return c == 0x21 || 0x23 <= c && c <= 0x7e || c >= 0x80
}

func weakMatch(a, b string) bool {
	return strings.TrimPrefix(a, "W/") == strings.TrimPrefix(b, "W/")
}
