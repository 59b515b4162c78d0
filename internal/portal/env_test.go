package portal

import (
	"context"
	"fmt"
	"html"
	"io"
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

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/identity"
	"github.com/vngov/vngov/internal/identity/limit"
	"github.com/vngov/vngov/internal/payment"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/platform/workdays"
	"github.com/vngov/vngov/internal/procedure"
	"github.com/vngov/vngov/internal/wallet"
)

func TestMain(m *testing.M) {
	// The identity provider's library logs refused requests; the tests
	// make some on purpose.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

const (
	minhID   = "001089012345" // the demo citizen (level 2 with TOTP)
	agencyBD = "000.00.92.H26"
)

// minhRecord is the demo citizen's record as the population registry
// answers it.
var minhRecord = map[string]any{"id": minhID, "full_name": "Nguyễn Văn Minh", "birth_date": "1989-05-12", "sex": "male", "ethnicity": "01",
	"nationality": "VN", "permanent_residence": map[string]any{"commune": "00004", "street": "Số 8 phố Quán Thánh"}}

// fakeRegistry answers like the population registry and remembers each
// read with its purpose.
type fakeRegistry struct {
	mu     sync.Mutex
	people map[string]map[string]any
	reads  []string // "person <id> <issue>", "verify <id> <issue>"
	fail   error
}

func (f *fakeRegistry) Person(_ context.Context, id, issue string) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads = append(f.reads, "person "+id+" "+issue)
	if f.fail != nil {
		return nil, f.fail
	}
	if p := f.people[id]; p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("no person %s", id)
}

func (f *fakeRegistry) Verify(_ context.Context, c IdentityClaim, issue string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads = append(f.reads, "verify "+c.ID+" "+issue)
	p := f.people[c.ID]
	return p != nil && p["full_name"] == c.FullName, nil
}

func (f *fakeRegistry) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reads...)
}

// fakeWallet keeps consents and offers items.
type fakeWallet struct {
	mu     sync.Mutex
	grants []grant
	items  map[string][]wallet.Item
}

type grant struct {
	holder string
	wallet.Consent
}

func (w *fakeWallet) Grant(_ context.Context, _ audit.Actor, holder string, c wallet.Consent) (wallet.Consent, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.grants = append(w.grants, grant{holder, c})
	return c, nil
}

func (w *fakeWallet) Items(_ context.Context, holder string) ([]wallet.Item, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.items[holder], nil
}

// testEnv is the portal on a test server over a fresh store, with the
// procedures database, the dossier engine and the payment adapter of
// that store, and a registry and a wallet that answer like theirs.
type testEnv struct {
	t        *testing.T
	db       *store.DB
	url      string
	p        *Portal
	dossiers *dossier.Service
	procs    *procedure.Service
	reg      *fakeRegistry
	wallet   *fakeWallet
	idp      *idpEnv // when the test runs a provider
}

func migrateAll(t testing.TB, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	for _, m := range []struct {
		name string
		err  error
	}{
		{"bus", db.Migrate(ctx, "bus", bus.Migrations())},
		{"audit", db.Migrate(ctx, "audit", audit.Migrations())},
		{"procedure", db.Migrate(ctx, "procedure", procedure.Migrations())},
		{"dossier", db.Migrate(ctx, "dossier", dossier.Migrations())},
		{"payment", db.Migrate(ctx, "payment", payment.Migrations())},
		{"limit", db.Migrate(ctx, "limit", limit.Migrations())},
		{"portal", db.Migrate(ctx, "portal", Migrations())},
	} {
		if m.err != nil {
			t.Fatalf("migrate %s: %v", m.name, m.err)
		}
	}
}

// newEnv starts the portal; oidc, when not nil, registers it at a
// provider and returns its client settings.
func newEnv(t *testing.T, db *store.DB, oidc func(portalURL string) OIDC) *testEnv {
	t.Helper()
	migrateAll(t, db)
	ctx := context.Background()
	ps := procedure.New(db)
	if err := ps.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	ds := dossier.New(db, ps, workdays.New())
	e := &testEnv{t: t, db: db, dossiers: ds, procs: ps, reg: &fakeRegistry{people: map[string]map[string]any{minhID: minhRecord}}, wallet: &fakeWallet{items: map[string][]wallet.Item{}}}
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	cfg := OIDC{BaseURL: srv.URL}
	if oidc != nil {
		cfg = oidc(srv.URL)
	}
	p, err := New(db, Options{Procedures: ps, Dossiers: ds, OIDC: cfg, SessionKey: []byte("a test session key of 32 bytes or more, for the portal")})
	if err != nil {
		t.Fatal(err)
	}
	p.Registry, p.Wallet = e.reg, e.wallet
	p.Agencies = []Agency{{Code: agencyBD, Name: "Ủy ban nhân dân Phường Ba Đình", Level: "commune", Commune: "00004"},
		{Code: "000.00.00.H26", Name: "Ủy ban nhân dân Thành phố Hà Nội", Level: "province"}}
	e.p = p
	mux := http.NewServeMux()
	p.Routes(mux)
	mux.Handle(web.StaticPrefix, web.StaticHandler())
	h = web.Wrap(mux, web.Options{Logger: slog.New(slog.DiscardHandler), Component: "portal", CrossOrigin: true})
	return e
}

// browser is a person's browser: cookies for every site, redirects
// followed, forms posted as a browser posts them.
type browser struct {
	t      *testing.T
	c      *http.Client
	last   string
	status int
	hdr    http.Header
	stop   func(*http.Request) bool // stop following redirects here
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t}
	b.c = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 20 || (b.stop != nil && b.stop(req)) {
			return http.ErrUseLastResponse
		}
		b.last = req.URL.String()
		return nil
	}}
	return b
}

func (b *browser) do(req *http.Request) string {
	b.t.Helper()
	b.last = req.URL.String()
	req.Header.Set("Accept", "text/html")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.status, b.hdr, b.last = resp.StatusCode, resp.Header, resp.Request.URL.String()
	return string(body)
}

func (b *browser) get(u string) string {
	b.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Sec-Fetch-Site", "none")
	return b.do(req)
}

func origin(u string) string {
	p, _ := url.Parse(u)
	return p.Scheme + "://" + p.Host
}

// post sends a form as a same-origin POST to u.
func (b *browser) post(u string, form url.Values) string {
	b.t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", origin(u))
	return b.do(req)
}

var (
	formRe   = regexp.MustCompile(`(?s)<form action="([^"]*)" method="post"[^>]*>(.*?)</form>`)
	inputRe  = regexp.MustCompile(`<input ([^>]*)>`)
	attrRe   = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
	selectRe = regexp.MustCompile(`(?s)<select id="[^"]*" name="([^"]*)"[^>]*>(.*?)</select>`)
	optSelRe = regexp.MustCompile(`<option value="([^"]*)" selected>`)
)

// formValues returns the fields of the form of page that posts to action,
// as a browser would send them without a change (checked boxes and
// radios, selected options, text).
func formValues(t *testing.T, page, action string) url.Values {
	t.Helper()
	for _, m := range formRe.FindAllStringSubmatch(page, -1) {
		if html.UnescapeString(m[1]) != action {
			continue
		}
		form := url.Values{}
		for _, in := range inputRe.FindAllStringSubmatch(m[2], -1) {
			attrs := map[string]string{}
			for _, a := range attrRe.FindAllStringSubmatch(in[1], -1) {
				attrs[a[1]] = html.UnescapeString(a[2])
			}
			name := attrs["name"]
			if name == "" || attrs["type"] == "file" {
				continue
			}
			if (attrs["type"] == "checkbox" || attrs["type"] == "radio") && !strings.Contains(in[1], " checked") {
				continue
			}
			form.Set(name, attrs["value"])
		}
		for _, s := range selectRe.FindAllStringSubmatch(m[2], -1) {
			if o := optSelRe.FindStringSubmatch(s[2]); o != nil {
				form.Set(html.UnescapeString(s[1]), html.UnescapeString(o[1]))
			}
		}
		return form
	}
	t.Fatalf("no form posting to %s:\n%s", action, page)
	return nil
}

// submit posts the form of page that posts to action with its own values
// changed by values.
func (b *browser) submit(page, action string, values map[string]string) string {
	b.t.Helper()
	form := formValues(b.t, page, action)
	for k, v := range values {
		form.Set(k, v)
	}
	target, _ := url.Parse(b.last)
	target, _ = target.Parse(action)
	return b.post(target.String(), form)
}

// signIn gives the browser a portal session of c without the provider.
func (e *testEnv) signIn(b *browser, c Citizen) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", e.url+"/", nil)
	e.p.auth.issue(rec, req, c, "")
	u, _ := url.Parse(e.url)
	b.c.Jar.SetCookies(u, rec.Result().Cookies())
}

var minh = Citizen{ID: minhID, Name: "Nguyễn Văn Minh", ACR: ACRLevel2, Email: "minh.nguyen@example.vn", Phone: "+84912345678"}

// byID returns the text of the element with id on page.
func byID(page, id string) string {
	m := regexp.MustCompile(`(?s)id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)<`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(html.UnescapeString(m[1]))
}

// count returns a number from the database.
func (e *testEnv) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// idpEnv is the identity provider on its own test server.
type idpEnv struct {
	url    string
	s      *identity.Service
	demo   identity.DemoAccounts
	secret string
}

// newIdP starts the identity provider over db with the demo accounts and
// a confidential client for a portal whose address is portalURL() (asked
// once the portal's server exists).
func newIdP(t *testing.T, db *store.DB) (*idpEnv, func(portalURL string) OIDC) {
	t.Helper()
	ctx := context.Background()
	for _, m := range []struct {
		name string
		err  error
	}{{"audit", db.Migrate(ctx, "audit", audit.Migrations())}, {"identity", db.Migrate(ctx, "identity", identity.Migrations())}, {"limit", db.Migrate(ctx, "limit", limit.Migrations())}} {
		if m.err != nil {
			t.Fatal(m.err)
		}
	}
	log := slog.New(slog.DiscardHandler)
	s := identity.New(db, log)
	if err := s.Init(ctx); err != nil {
		t.Fatal(err)
	}
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	p, err := identity.NewProvider(s, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := identity.NewPages(s, p)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Routes(mux)
	pages.Routes(mux)
	mux.Handle(web.StaticPrefix, web.StaticHandler())
	h = web.Wrap(mux, web.Options{Logger: log, Component: "identity", CrossOrigin: true, CrossOriginBypass: identity.CrossOriginBypass})
	demo, err := s.Demo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	env := &idpEnv{url: srv.URL, s: s, demo: demo}
	return env, func(portalURL string) OIDC {
		c, sec, err := s.CreateClient(ctx, audit.Actor{Subject: "test"}, identity.Client{ID: "cong-dich-vu-cong", Name: "Cổng Dịch vụ công quốc gia",
			Purpose: "Nhận biết bạn khi nộp và theo dõi hồ sơ", Type: identity.Confidential, AuthMethod: identity.AuthSecretBasic,
			RedirectURIs: []string{portalURL + CallbackPath}, PostLogoutRedirectURIs: []string{portalURL + "/"}, GrantTypes: []string{identity.GrantCode},
			Scopes: Scopes, MinLevel: 1})
		if err != nil {
			t.Fatal(err)
		}
		env.secret = sec
		return OIDC{Issuer: srv.URL, ClientID: c.ID, ClientSecret: sec, BaseURL: portalURL}
	}
}
