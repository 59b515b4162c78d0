package identity

import (
	"context"
	"html"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/vngov/vngov/internal/identity/limit"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/web"
)

const testAdminToken = "test-identity-admin-token"

func TestMain(m *testing.M) {
	// zitadel/oidc logs refused requests through slog's default logger;
	// the tests make many on purpose.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// testEnv is a running provider on a test server, over a fresh store,
// with the demo's accounts and clients.
type testEnv struct {
	t    *testing.T
	db   *store.DB
	s    *Service
	url  string
	demo DemoAccounts

	mu     sync.Mutex
	sent   []sentMessage
	verify func(id, name, birth string) bool
}

type sentMessage struct{ channel, to, subject, body string }

func newEnv(t *testing.T, db *store.DB) *testEnv {
	t.Helper()
	ctx := context.Background()
	for _, m := range []struct {
		name string
		fs   fs.FS
	}{{"audit", audit.Migrations()}, {"identity", Migrations()}, {"limit", limit.Migrations()}} {
		if err := db.Migrate(ctx, m.name, m.fs); err != nil {
			t.Fatal(err)
		}
	}
	e := &testEnv{t: t, db: db, verify: func(string, string, string) bool { return false }}
	log := slog.New(slog.DiscardHandler)
	s := New(db, log)
	s.Verifier = VerifierFunc(func(_ context.Context, id, name, birth, purpose string) (bool, error) {
		if purpose == "" {
			t.Error("the registry check carries no purpose")
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.verify(id, name, birth), nil
	})
	s.Notifier = NotifierFunc(func(_ context.Context, channel, to, subject, body string) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.sent = append(e.sent, sentMessage{channel, to, subject, body})
		return nil
	})
	if err := s.Init(ctx); err != nil {
		t.Fatal(err)
	}
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	p, err := NewProvider(s, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := NewPages(s, p)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Routes(mux)
	pages.Routes(mux)
	admin := authn.NewStaticToken(testAdminToken, "admin-token", RoleAdmin)
	NewAPI(s, admin).Routes(mux)
	NewConsole(s, pages, admin, false).Routes(mux)
	mux.Handle(web.StaticPrefix, web.StaticHandler())
	// The platform's middleware, as kernel.Handler sets it, with the
	// bypass patterns the provider needs.
	h = web.Wrap(mux, web.Options{Logger: log, Component: "identity", CrossOrigin: true, CrossOriginBypass: CrossOriginBypass})
	e.s, e.url = s, srv.URL
	if e.demo, err = s.Demo(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *testEnv) messages() []sentMessage {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]sentMessage(nil), e.sent...)
}

func (e *testEnv) confidentialSecret() string {
	for _, c := range e.demo.Clients {
		if c.ClientID == DemoConfidentialClient {
			return c.Secret
		}
	}
	e.t.Fatal("no confidential demo client")
	return ""
}

// browser is a person's browser: cookies, and redirects followed on the
// provider's site only (a redirect to a client stops, as the client's
// site would take it).
type browser struct {
	t    *testing.T
	e    *testEnv
	c    *http.Client
	last string // the URL of the last page
}

func (e *testEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	host := strings.TrimPrefix(e.url, "http://")
	b := &browser{t: e.t, e: e}
	b.c = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != host || len(via) > 20 {
			return http.ErrUseLastResponse
		}
		b.last = req.URL.String()
		return nil
	}}
	return b
}

// get loads a page, following redirects on the provider's site.
func (b *browser) get(u string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Sec-Fetch-Site", "none")
	return b.do(req)
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	b.last = req.URL.String()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

var (
	formRe  = regexp.MustCompile(`(?s)<form action="([^"]*)" method="post"[^>]*>(.*?)</form>`)
	inputRe = regexp.MustCompile(`<input ([^>]*)>`)
	attrRe  = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
)

// submit fills the form of page that posts to action with its own
// fields (hidden ones included) and values, and sends it as a browser
// does: a same-origin POST.
func (b *browser) submit(page, action string, values map[string]string) (*http.Response, string) {
	b.t.Helper()
	form := url.Values{}
	found := false
	for _, m := range formRe.FindAllStringSubmatch(page, -1) {
		if html.UnescapeString(m[1]) != action {
			continue
		}
		found = true
		for _, in := range inputRe.FindAllStringSubmatch(m[2], -1) {
			attrs := map[string]string{}
			for _, a := range attrRe.FindAllStringSubmatch(in[1], -1) {
				attrs[a[1]] = html.UnescapeString(a[2])
			}
			if attrs["name"] != "" {
				form.Set(attrs["name"], attrs["value"])
			}
		}
		break
	}
	if !found {
		b.t.Fatalf("no form posting to %s on %s:\n%s", action, b.last, page)
	}
	for k, v := range values {
		form.Set(k, v)
	}
	target, _ := url.Parse(b.last)
	target, _ = target.Parse(action)
	req, _ := http.NewRequest("POST", target.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.e.url)
	return b.do(req)
}

// byID returns the text of the element with id on page.
func byID(page, id string) string {
	m := regexp.MustCompile(`(?s)id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)<`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(html.UnescapeString(m[1]))
}
