package xroad

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCanonicalRequestForm(t *testing.T) {
	h := http.Header{
		"X-Road-Client":       {"VN/GOV/000.00.00.G22/DVC"},
		"Content-Type":        {"application/json"},
		"X-Multi":             {"b", "a", "a"},
		"x-lower":             {"  padded\t"},
		"Cookie":              {"s=1; t=2", "u=3;;"},
		"Content-Length":      {"12"},
		"Accept-Encoding":     {"gzip"},
		"Expect":              {"100-continue"},
		"Host":                {"gw.example"},
		"User-Agent":          {"curl/8"},
		"Connection":          {"X-Hop"},
		"X-Hop":               {"gone"},
		"X-Road-Request-Hash": {"forged"},
		"X-Empty":             {""},
	}
	want := "POST /r1/VN/GOV/M/S/svc/a%20b?x=1&y=%C3%A1\n" +
		"content-type: application/json\n" +
		"cookie: s=1\n" +
		"cookie: t=2\n" +
		"cookie: u=3\n" +
		"x-empty: \n" +
		"x-lower: padded\n" +
		"x-multi: a\n" +
		"x-multi: a\n" +
		"x-multi: b\n" +
		"x-road-client: VN/GOV/000.00.00.G22/DVC\n"
	if got := string(CanonicalRequest("POST", "/r1/VN/GOV/M/S/svc/a%20b?x=1&y=%C3%A1", h)); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestRequestHashForms(t *testing.T) {
	h := http.Header{"X-Road-Client": {"VN/GOV/A/S"}}
	canon := CanonicalRequest("GET", "/r1/VN/GOV/B/T/svc", h)
	headOnly := sha512.Sum512(canon)
	wantHeadOnly := base64.StdEncoding.EncodeToString(headOnly[:])

	if got := HashRequest("GET", "/r1/VN/GOV/B/T/svc", h, nil); got != wantHeadOnly {
		t.Errorf("no body: %s, want %s", got, wantHeadOnly)
	}
	if got := HashRequest("GET", "/r1/VN/GOV/B/T/svc", h, []byte{}); got != wantHeadOnly {
		t.Errorf("empty body is no body: %s", got)
	}

	body := []byte(`{"so":"dossier"}`)
	bodySum := sha512.Sum512(body)
	outer := sha512.Sum512(append(append([]byte{}, headOnly[:]...), bodySum[:]...))
	want := base64.StdEncoding.EncodeToString(outer[:])
	if got := HashRequest("GET", "/r1/VN/GOV/B/T/svc", h, body); got != want {
		t.Errorf("with body: %s, want %s", got, want)
	}
	if len(want) != 88 || !strings.HasSuffix(want, "==") {
		t.Errorf("hash %q is not base64 of 64 bytes", want)
	}

	// Streaming in pieces, through TeeBody, and Sum twice all agree.
	rh := NewRequestHasher("GET", "/r1/VN/GOV/B/T/svc", h)
	if rh.Sum() != wantHeadOnly {
		t.Error("Sum before any body is not the header-only form")
	}
	for _, c := range body {
		rh.Body().Write([]byte{c})
	}
	if rh.Sum() != want || rh.Sum() != want || rh.Len() != int64(len(body)) {
		t.Errorf("streamed Sum = %s, Len = %d", rh.Sum(), rh.Len())
	}
	rh = NewRequestHasher("GET", "/r1/VN/GOV/B/T/svc", h)
	rc := rh.TeeBody(io.NopCloser(bytes.NewReader(body)))
	if b, _ := io.ReadAll(rc); !bytes.Equal(b, body) || rh.Sum() != want {
		t.Errorf("TeeBody read %q, Sum %s", b, rh.Sum())
	}
	if rh.TeeBody(http.NoBody) != http.NoBody || rh.TeeBody(nil) != nil {
		t.Error("TeeBody wrapped an absent body")
	}

	// Everything that is hashed changes the hash.
	for name, other := range map[string]string{
		"method": HashRequest("POST", "/r1/VN/GOV/B/T/svc", h, body),
		"path":   HashRequest("GET", "/r1/VN/GOV/B/T/svc/", h, body),
		"query":  HashRequest("GET", "/r1/VN/GOV/B/T/svc?", h, body),
		"header": HashRequest("GET", "/r1/VN/GOV/B/T/svc", http.Header{"X-Road-Client": {"VN/GOV/A/S2"}}, body),
		"body":   HashRequest("GET", "/r1/VN/GOV/B/T/svc", h, append(body, ' ')),
	} {
		if other == want {
			t.Errorf("changing the %s does not change the hash", name)
		}
	}
	// Headers the transport owns do not.
	noisy := http.Header{"X-Road-Client": {"VN/GOV/A/S"}, "User-Agent": {"x"}, "Content-Length": {"16"},
		"Accept-Encoding": {"gzip"}, "Host": {"h"}, "Transfer-Encoding": {"chunked"}, "Connection": {"close"}}
	if HashRequest("GET", "/r1/VN/GOV/B/T/svc", noisy, body) != want {
		t.Error("transport headers change the hash")
	}
}

// chunked hides a reader's length so Go's client must send it chunked.
type chunked struct{ io.Reader }

// TestRequestHashTransportIndependent proves that the hash the client
// gateway computes over the request it sends equals the hash the provider
// gateway computes over the request it receives through Go's client and
// server, for HTTP/1.1 and HTTP/2, with and without bodies.
func TestRequestHashTransportIndependent(t *testing.T) {
	const target = "/r1/VN/GOV/000.00.00.G22/CSDLQG/citizen/v1/d%C3%A2n%20c%C6%B0/x%2Fy/a+b?b=2&a=1&q=%C3%A1&q=2"
	headers := func() http.Header {
		h := http.Header{}
		h.Set("X-Road-Client", "VN/GOV/000.00.00.G22/DVCQG")
		h.Set("X-Road-Id", "5ea48ae9-15c1-465a-be15-9b6ef2c7ef4a")
		h.Set("X-Road-UserId", "VN001234567890")
		h.Set("X-Road-Issue", "H01.01-260101-0001")
		h.Set("Accept", "application/json")
		h.Add("X-Multi", "second")
		h.Add("X-Multi", "first")
		h.Set("X-Padded", "  spaced\t")
		h.Add("Cookie", "session=abc; theme=dark")
		h.Add("Cookie", "lang=vi")
		h["x-lower-key"] = []string{"v"}
		h.Set("Authorization", "Bearer eyJ.x.y")
		h.Set("X-Road-Request-Hash", "a client may not set this")
		h.Set("Connection", "X-Hop")
		h.Set("X-Hop", "hop-by-hop")
		h.Set("User-Agent", "client-is/1.0")
		return h
	}
	big := strings.Repeat("dữ liệu công dân ", 5000) // several chunks
	tests := []struct {
		name    string
		method  string
		body    func() io.Reader
		bodyLen int
		chunked bool
	}{
		{"GET without body", http.MethodGet, func() io.Reader { return nil }, 0, false},
		{"POST with Content-Length", http.MethodPost, func() io.Reader { return strings.NewReader(`{"id":"001"}`) }, 12, false},
		{"POST chunked", http.MethodPost, func() io.Reader { return chunked{strings.NewReader(big)} }, len(big), true},
		{"POST empty", http.MethodPost, func() io.Reader { return strings.NewReader("") }, 0, false},
		{"PUT chunked empty", http.MethodPut, func() io.Reader { return chunked{strings.NewReader("")} }, 0, false},
	}

	type seen struct {
		hash, proto string
		te          []string
		n           int64
	}
	handler := func(got chan<- seen) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rh := NewRequestHasher(r.Method, r.URL.RequestURI(), r.Header)
			io.Copy(io.Discard, rh.TeeBody(r.Body))
			got <- seen{rh.Sum(), r.Proto, r.TransferEncoding, rh.Len()}
		})
	}
	h1Got, h2Got := make(chan seen, 1), make(chan seen, 1)
	h1 := httptest.NewServer(handler(h1Got))
	defer h1.Close()
	h2 := httptest.NewUnstartedServer(handler(h2Got))
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The client gateway's view: the request as built, filtered as it
			// will be sent.
			in := httptest.NewRequest(tt.method, target, tt.body())
			for k, v := range headers() {
				in.Header[k] = v
			}
			want := NewRequestHasher(in.Method, in.URL.RequestURI(), in.Header)
			io.Copy(io.Discard, want.TeeBody(in.Body))
			if want.Len() != int64(tt.bodyLen) {
				t.Fatalf("hashed %d body bytes, want %d", want.Len(), tt.bodyLen)
			}

			for _, srv := range []struct {
				name   string
				url    string
				client *http.Client
				got    chan seen
				proto  string
			}{
				{"HTTP/1.1", h1.URL, h1.Client(), h1Got, "HTTP/1.1"},
				{"HTTP/2", h2.URL, h2.Client(), h2Got, "HTTP/2.0"},
			} {
				out, err := http.NewRequest(tt.method, srv.url+target, tt.body())
				if err != nil {
					t.Fatal(err)
				}
				out.Header = FilterHeaders(headers())
				resp, err := srv.client.Do(out)
				if err != nil {
					t.Fatalf("%s: %v", srv.name, err)
				}
				resp.Body.Close()
				got := <-srv.got
				if got.proto != srv.proto {
					t.Fatalf("%s: server spoke %s", srv.name, got.proto)
				}
				if tt.chunked && srv.proto == "HTTP/1.1" && (len(got.te) != 1 || got.te[0] != "chunked") {
					t.Fatalf("%s: body was not sent chunked: %v", srv.name, got.te)
				}
				if got.hash != want.Sum() || got.n != want.Len() {
					t.Errorf("%s: provider hash %s over %d bytes, client hash %s over %d bytes",
						srv.name, got.hash, got.n, want.Sum(), want.Len())
				}
			}
		})
	}
}

func TestBodyHash(t *testing.T) {
	sum, n, err := BodyHash(strings.NewReader("abc"))
	want := sha256.Sum256([]byte("abc"))
	if err != nil || n != 3 || sum != hex.EncodeToString(want[:]) {
		t.Errorf("BodyHash = %s %d %v", sum, n, err)
	}
	sum, n, _ = BodyHash(strings.NewReader(""))
	if n != 0 || sum != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("empty BodyHash = %s %d", sum, n)
	}
}
