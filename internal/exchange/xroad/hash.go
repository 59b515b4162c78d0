package xroad

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"sort"
	"strings"
)

// unhashed are headers left out of the canonical request although they are
// passed on: Go's transport and HTTP/2 add, drop or rewrite them on the way
// (Content-Length vs chunked encoding, automatic Accept-Encoding: gzip,
// Expect: 100-continue answered locally), so the two gateways would not
// see the same values.
var unhashed = map[string]bool{
	"content-length":  true,
	"accept-encoding": true,
	"expect":          true,
}

// CanonicalRequest returns the bytes that stand for "headers" in the request
// hash. Both gateways build it from the request as it travels between them:
// the client gateway from the request it sends, the provider gateway from
// the request it receives. It is, byte for byte:
//
//	METHOD SP request-URI LF
//	name ":" SP value LF      (one line per header field, see below)
//
// where request-URI is the escaped path followed by "?" and the raw query
// when there is one — url.URL.RequestURI() of the outgoing request's URL on
// the client gateway and of r.URL on the provider gateway — and the header
// fields are those of FilterHeaders(h) except Content-Length,
// Accept-Encoding and Expect, with:
//
//   - names in lower case;
//   - values without leading or trailing spaces and tabs;
//   - each Cookie value split at ";" into one field per cookie, empty
//     pieces dropped (HTTP/2 splits cookies and Go's server joins them);
//   - one line per value, duplicates kept, sorted by name and then by value,
//     comparing bytes.
//
// Host, User-Agent, Content-Length, Transfer-Encoding and Accept-Encoding,
// which Go's client adds or changes, are therefore never part of it.
func CanonicalRequest(method, requestURI string, h http.Header) []byte {
	type field struct{ name, value string }
	var fields []field
	for k, vv := range FilterHeaders(h) {
		name := strings.ToLower(k)
		if unhashed[name] {
			continue
		}
		for _, v := range vv {
			if name != "cookie" {
				fields = append(fields, field{name, strings.Trim(v, " \t")})
				continue
			}
			for _, c := range strings.Split(v, ";") {
				if c = strings.Trim(c, " \t"); c != "" {
					fields = append(fields, field{name, c})
				}
			}
		}
	}
	sort.Slice(fields, func(i, j int) bool {
		if fields[i].name != fields[j].name {
			return fields[i].name < fields[j].name
		}
		return fields[i].value < fields[j].value
	})
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte(' ')
	b.WriteString(requestURI)
	b.WriteByte('\n')
	for _, f := range fields {
		b.WriteString(f.name)
		b.WriteString(": ")
		b.WriteString(f.value)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// RequestHasher computes X-Road-Request-Hash while the body streams past:
// base64(SHA-512(SHA-512(headers) + SHA-512(body))), the two inner digests
// concatenated as raw bytes, or base64(SHA-512(headers)) when the request
// has no body (no body byte at all, whatever Content-Length said). The
// "headers" are CanonicalRequest. The provider gateway sets the result on
// its answer; the client gateway computes the same over what it sent and
// answers Server.ClientProxy.InconsistentResponse when they differ.
type RequestHasher struct {
	headers [sha512.Size]byte
	body    hash.Hash
	n       int64
}

// NewRequestHasher starts the hash of a request; h may be the raw request
// headers (they are filtered here).
func NewRequestHasher(method, requestURI string, h http.Header) *RequestHasher {
	return &RequestHasher{headers: sha512.Sum512(CanonicalRequest(method, requestURI, h)), body: sha512.New()}
}

// Body is where the request body is written as it passes.
func (rh *RequestHasher) Body() io.Writer { return bodyWriter{rh} }

type bodyWriter struct{ rh *RequestHasher }

func (w bodyWriter) Write(p []byte) (int, error) {
	w.rh.n += int64(len(p))
	return w.rh.body.Write(p)
}

// TeeBody wraps a request body so that everything read from it is hashed;
// nil and http.NoBody come back unchanged.
func (rh *RequestHasher) TeeBody(rc io.ReadCloser) io.ReadCloser {
	if rc == nil || rc == http.NoBody {
		return rc
	}
	return readCloser{io.TeeReader(rc, rh.Body()), rc}
}

// Len is the number of body bytes hashed so far.
func (rh *RequestHasher) Len() int64 { return rh.n }

// Sum returns the request hash of what has been written so far, in
// standard base64 with padding. It may be called more than once.
func (rh *RequestHasher) Sum() string {
	if rh.n == 0 {
		return base64.StdEncoding.EncodeToString(rh.headers[:])
	}
	outer := sha512.New()
	outer.Write(rh.headers[:])
	outer.Write(rh.body.Sum(nil))
	return base64.StdEncoding.EncodeToString(outer.Sum(nil))
}

// HashRequest is the request hash of a request whose body is in memory.
func HashRequest(method, requestURI string, h http.Header, body []byte) string {
	rh := NewRequestHasher(method, requestURI, h)
	rh.Body().Write(body)
	return rh.Sum()
}

// BodyHash reads r to the end and returns the hex SHA-256 of what it read
// and how many bytes that was, for the message log.
func BodyHash(r io.Reader) (sum string, n int64, err error) {
	h := sha256.New()
	n, err = io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n, err
}
