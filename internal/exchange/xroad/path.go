package xroad

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// NormalizePath turns the escaped backend path of a call (the rest from
// ParseServicePath) into the one plain path that access rights are checked
// against, or refuses it. It is the guard against reaching an endpoint the
// client has no right to by spelling its path differently (PR-REST 4.2,
// SSRF and path traversal).
//
// Each segment is percent-decoded on its own; then "." and ".." segments
// are resolved and empty segments ("//") dropped. The result starts with
// "/", has no trailing "/" (except the root "/") and is not escaped: match
// it with MatchEndpoint and forward EscapePath of it, so the backend
// receives exactly the path that was checked. "" stands for "/".
//
// Refused, because servers disagree on what they mean: an encoded "/" or
// "\" inside a segment (%2F, %5C) and any raw "\"; NUL and other control
// characters, raw or encoded; invalid percent-escapes; bytes that are not
// UTF-8; double encoding of ".", "/" or "\" (%252e, %252f, %255c); a ".."
// that would climb above the root; dot segments carrying parameters
// ("..;x", which Java servers treat as ".."); and segments of only dots and
// spaces such as "..." or ".. " (which Windows servers trim to "..").
func NormalizePath(escaped string) (string, error) {
	if escaped == "" {
		return "/", nil
	}
	if escaped[0] != '/' {
		return "", fmt.Errorf("path %q must start with \"/\"", shorten(escaped))
	}
	var stack []string
	for _, raw := range strings.Split(escaped[1:], "/") {
		seg, err := decodeSegment(raw)
		if err != nil {
			return "", fmt.Errorf("path %q: %w", shorten(escaped), err)
		}
		switch {
		case seg == "" || seg == ".":
		case seg == "..":
			if len(stack) == 0 {
				return "", fmt.Errorf("path %q climbs above the root with \"..\"", shorten(escaped))
			}
			stack = stack[:len(stack)-1]
		case onlyDotsAndSpaces(seg):
			return "", fmt.Errorf("path %q: segment %q is made of dots and spaces, which some servers read as \"..\"", shorten(escaped), shorten(seg))
		case strings.HasPrefix(seg, ".;") || strings.HasPrefix(seg, "..;"):
			return "", fmt.Errorf("path %q: segment %q is a dot segment with parameters, which some servers read as %q", shorten(escaped), shorten(seg), seg[:strings.IndexByte(seg, ';')])
		default:
			stack = append(stack, seg)
		}
	}
	return "/" + strings.Join(stack, "/"), nil
}

// decodeSegment percent-decodes one raw path segment, refusing whatever
// could change where a segment ends or what a server makes of it.
func decodeSegment(raw string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		encoded := false
		if c == '%' {
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				end := min(i+3, len(raw))
				return "", fmt.Errorf("invalid percent-escape %q", raw[i:end])
			}
			c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
			i += 2
			encoded = true
		}
		switch {
		case c == '/' && encoded:
			return "", fmt.Errorf("segment %q contains an encoded \"/\" (%%2F); send \"/\" unencoded between segments", shorten(raw))
		case c == '\\':
			return "", fmt.Errorf("segment %q contains \"\\\", which some servers read as \"/\"", shorten(raw))
		case c < 0x20 || c == 0x7f:
			return "", fmt.Errorf("segment %q contains the control character %q", shorten(raw), rune(c))
		}
		b.WriteByte(c)
	}
	seg := b.String()
	if !utf8.ValidString(seg) {
		return "", fmt.Errorf("segment %q is not UTF-8 once decoded", shorten(raw))
	}
	if l := strings.ToLower(seg); strings.Contains(l, "%2e") || strings.Contains(l, "%2f") || strings.Contains(l, "%5c") {
		return "", fmt.Errorf("segment %q is double-encoded (\".\", \"/\" or \"\\\" encoded twice)", shorten(raw))
	}
	return seg, nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func onlyDotsAndSpaces(s string) bool {
	return strings.Trim(s, ". ") == ""
}

// EscapePath percent-encodes a plain path from NormalizePath segment by
// segment, for the request to the backend.
func EscapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// AnyMethod and AnyPath are the endpoint wildcards that stand for every
// method and every path: the endpoint {AnyMethod, AnyPath} is the whole
// service.
const (
	AnyMethod = "*"
	AnyPath   = "**"
)

// MatchEndpoint reports whether an endpoint (method and path pattern, as
// registered for access rights) covers a request's method and its path as
// returned by NormalizePath.
//
// The method matches when it is "*" or equal to reqMethod ignoring case.
// The pattern is X-Road's endpoint syntax: "**" alone matches every path;
// otherwise it starts with "/" and is compared segment by segment, where a
// "**" segment matches any number of segments (none included), a "*"
// segment matches exactly one, an OpenAPI parameter "{name}" counts as "*"
// (X-Road turns /pets/{id} into /pets/*), a "*" inside a segment matches
// any run of characters within that segment (e.g. "*.json"), and anything
// else must be equal, case-sensitively. A pattern that ValidatePattern
// refuses matches nothing.
func MatchEndpoint(method, pattern, reqMethod, path string) bool {
	if method != AnyMethod && (method == "" || !strings.EqualFold(method, reqMethod)) {
		return false
	}
	if pattern == AnyPath {
		return true
	}
	if ValidatePattern(pattern) != nil || !strings.HasPrefix(path, "/") {
		return false
	}
	return matchSegments(splitPath(pattern), splitPath(path))
}

// ValidatePattern checks an endpoint path pattern before it is stored: "**"
// or a plain path starting with "/" without dot segments, backslashes,
// percent signs or control characters.
func ValidatePattern(pattern string) error {
	if pattern == AnyPath {
		return nil
	}
	if !strings.HasPrefix(pattern, "/") {
		return fmt.Errorf("endpoint path %q must start with \"/\" or be \"**\"", pattern)
	}
	for _, seg := range splitPath(pattern) {
		if seg == "." || seg == ".." {
			return fmt.Errorf("endpoint path %q must not contain %q segments", pattern, seg)
		}
	}
	for _, r := range pattern {
		if r < 0x20 || r == 0x7f || r == '\\' || r == '%' {
			return fmt.Errorf("endpoint path %q contains %q; write the path plain, not percent-encoded", pattern, r)
		}
	}
	return nil
}

// splitPath splits a plain path into its non-empty segments.
func splitPath(p string) []string {
	var segs []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	return segs
}

// matchSegments is wildcard matching with "**" as the star, in
// O(len(pat)·len(segs)) at worst, so no pattern can make it blow up.
func matchSegments(pat, segs []string) bool {
	p, s, star, mark := 0, 0, -1, 0
	for s < len(segs) {
		switch {
		case p < len(pat) && pat[p] == AnyPath:
			star, mark = p, s
			p++
		case p < len(pat) && matchSegment(pat[p], segs[s]):
			p++
			s++
		case star >= 0:
			mark++
			p, s = star+1, mark
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == AnyPath {
		p++
	}
	return p == len(pat)
}

// matchSegment matches one pattern segment against one path segment.
func matchSegment(pat, seg string) bool {
	if strings.ContainsRune(pat, '{') {
		pat = openAPIParams(pat)
	}
	if !strings.Contains(pat, "*") {
		return pat == seg
	}
	parts := strings.Split(pat, "*")
	if !strings.HasPrefix(seg, parts[0]) {
		return false
	}
	seg = seg[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(seg, part)
		if i < 0 {
			return false
		}
		seg = seg[i+len(part):]
	}
	return len(seg) >= len(last) && strings.HasSuffix(seg, last)
}

// openAPIParams replaces each "{name}" in a segment with "*".
func openAPIParams(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteByte('*')
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}
