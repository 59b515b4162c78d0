package dossier

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vngov/vngov/internal/identity"
	"github.com/vngov/vngov/internal/identity/limit"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn/oidcrp"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/platform/web"
)

// startIdP runs the identity provider over db on its own test server,
// with the demo accounts, and registers the desk at deskURL as its
// confidential client.
func startIdP(t *testing.T, db *store.DB, deskURL string) (string, identity.DemoAccounts, *oidcrp.Client) {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, "identity", identity.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "limit", limit.Migrations()); err != nil {
		t.Fatal(err)
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
	h = web.Wrap(mux, web.Options{Logger: log, Component: "identity", CrossOrigin: true, CrossOriginBypass: identity.CrossOriginBypass})
	demo, err := s.Demo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cl, sec, err := s.CreateClient(ctx, audit.Actor{Subject: "test"}, identity.Client{ID: "motcua-console", Name: "Hệ thống một cửa điện tử",
		Purpose: "Nhận biết cán bộ khi xử lý hồ sơ", Type: identity.Confidential, AuthMethod: identity.AuthSecretBasic,
		RedirectURIs: []string{deskURL + DeskOIDCCallbackPath}, PostLogoutRedirectURIs: []string{deskURL + "/motcua/signin"},
		GrantTypes: []string{identity.GrantCode}, Scopes: DeskOIDCScopes, MinLevel: 1})
	if err != nil {
		t.Fatal(err)
	}
	rp, err := oidcrp.New(oidcrp.Config{Issuer: srv.URL, ClientID: cl.ID, ClientSecret: sec, RedirectURL: deskURL + DeskOIDCCallbackPath,
		PostLogoutRedirectURL: deskURL + "/motcua/signin", Scopes: DeskOIDCScopes, ACR: identity.ACRLevel1, Cookie: DeskOIDCCookie}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, demo, rp
}

// oidcBrowser follows redirects across sites and keeps every site's cookies.
type oidcBrowser struct {
	t      *testing.T
	c      *http.Client
	last   string
	status int
	hdr    http.Header
	stop   func(*http.Request) bool
}

func newOIDCBrowser(t *testing.T) *oidcBrowser {
	jar, _ := cookiejar.New(nil)
	b := &oidcBrowser{t: t}
	b.c = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 20 || (b.stop != nil && b.stop(req)) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

func (b *oidcBrowser) do(req *http.Request) string {
	b.t.Helper()
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

func (b *oidcBrowser) get(u string) string {
	b.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Sec-Fetch-Site", "none")
	return b.do(req)
}

func (b *oidcBrowser) post(u string, form url.Values) string {
	b.t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	p, _ := url.Parse(u)
	req.Header.Set("Origin", p.Scheme+"://"+p.Host)
	return b.do(req)
}

var (
	oidcFormRe  = regexp.MustCompile(`(?s)<form action="([^"]*)" method="post"[^>]*>(.*?)</form>`)
	oidcInputRe = regexp.MustCompile(`<input ([^>]*)>`)
	oidcAttrRe  = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
)

// submit posts the form of page that posts to action, its hidden and text
// fields as they are, changed by values.
func (b *oidcBrowser) submit(page, action string, values map[string]string) string {
	b.t.Helper()
	for _, m := range oidcFormRe.FindAllStringSubmatch(page, -1) {
		if html.UnescapeString(m[1]) != action {
			continue
		}
		form := url.Values{}
		for _, in := range oidcInputRe.FindAllStringSubmatch(m[2], -1) {
			attrs := map[string]string{}
			for _, a := range oidcAttrRe.FindAllStringSubmatch(in[1], -1) {
				attrs[a[1]] = html.UnescapeString(a[2])
			}
			if attrs["name"] == "" || ((attrs["type"] == "checkbox" || attrs["type"] == "radio") && !strings.Contains(in[1], " checked")) {
				continue
			}
			form.Set(attrs["name"], attrs["value"])
		}
		for k, v := range values {
			form.Set(k, v)
		}
		target, _ := url.Parse(b.last)
		target, _ = target.Parse(action)
		return b.post(target.String(), form)
	}
	b.t.Fatalf("no form posting to %s at %s:\n%s", action, b.last, page)
	return ""
}

// TestDeskOIDCSignIn signs a Ba Đình receptionist in to the desk through
// the real identity provider: the inbox is the ward's, a dossier of the
// ward can be accepted, and the leader's step and another agency's
// dossier are refused with a Vietnamese page; the admin token still
// gives the all-roles stand-in, and signing out ends the provider's
// session too.
func TestDeskOIDCSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, c, _ := newDeskServer(t, db)
		idpURL, demo, rp := startIdP(t, db, srv.URL)
		c.SetOIDC(rp)
		var recep identity.DemoOfficial
		for _, o := range demo.Officials {
			if o.Agency == agencyA && o.Role == identity.RoleReceptionist {
				recep = o
			}
		}
		if recep.Username == "" {
			t.Fatalf("no Ba Đình receptionist among the demo officials: %+v", demo.Officials)
		}
		d := createHousehold(t, c.Svc, "oidc-1")
		other, _, err := c.Svc.Create(t.Context(), CreateRequest{Procedure: "1.001612", Agency: agencyB, Form: householdForm(citizen), ApplicantID: citizen, IdempotencyKey: "oidc-2"})
		if err != nil {
			t.Fatal(err)
		}
		b := newOIDCBrowser(t)

		// The sign-in page offers both ways in.
		page := b.get(srv.URL + "/motcua/")
		if !strings.HasPrefix(b.last, srv.URL+"/motcua/signin?next=") || !strings.Contains(page, "Đăng nhập bằng tài khoản cán bộ") || !strings.Contains(page, `name="token"`) {
			t.Fatalf("sign-in page at %s:\n%s", b.last, page)
		}
		m := regexp.MustCompile(`href="(/motcua/signin/oidc\?[^"]*)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no link to the provider:\n%s", page)
		}
		page = b.get(srv.URL + html.UnescapeString(m[1]))
		if !strings.HasPrefix(b.last, idpURL+"/login") {
			t.Fatalf("the sign-in did not reach the provider (at %s)", b.last)
		}
		page = b.submit(page, "/login", map[string]string{"username": recep.Username, "password": recep.Password})
		if strings.Contains(page, `action="/login/consent"`) {
			page = b.submit(page, "/login/consent", map[string]string{"decision": "allow"})
		}
		if b.status != 200 || !strings.HasPrefix(b.last, srv.URL+"/motcua/") || !strings.Contains(page, "Hồ sơ cần xử lý") {
			t.Fatalf("after the sign-in: %d at %s\n%s", b.status, b.last, page)
		}
		if !strings.Contains(page, recep.Username) || !strings.Contains(page, agencyA) || !strings.Contains(page, d.Code) || strings.Contains(page, other.Code) {
			t.Fatalf("the inbox is not the receptionist's at %s:\n%s", agencyA, page)
		}
		if strings.Contains(page, `<option value="leader"`) {
			t.Error("the inbox offers a role the official does not hold")
		}
		if csp := b.hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+idpURL) {
			t.Errorf("the desk's pages do not let the sign-out reach the provider: %q", csp)
		}

		// Another agency's inbox and dossier are refused.
		page = b.get(srv.URL + "/motcua/?agency=" + url.QueryEscape(agencyB))
		if b.status != http.StatusForbidden || !strings.Contains(page, "Bạn chỉ xem được hồ sơ của cơ quan mình") {
			t.Fatalf("another agency's inbox: %d\n%s", b.status, page)
		}
		page = b.get(srv.URL + "/motcua/dossiers/" + other.Code)
		if b.status != http.StatusForbidden || !strings.Contains(page, "Hồ sơ thuộc cơ quan khác") {
			t.Fatalf("another agency's dossier: %d\n%s", b.status, page)
		}
		page = b.post(srv.URL+"/motcua/dossiers/"+other.Code+"/act", url.Values{"action": {"accept"}, "version": {strconv.Itoa(other.Version)}})
		if b.status != http.StatusForbidden || !strings.Contains(page, "Hồ sơ thuộc cơ quan khác") {
			t.Fatalf("acting on another agency's dossier: %d\n%s", b.status, page)
		}
		if got, _ := c.Svc.Get(t.Context(), other.Code); got.Version != other.Version {
			t.Fatal("another agency's dossier moved")
		}

		// The ward's dossier: accept (the receptionist's step).
		page = b.post(srv.URL+"/motcua/dossiers/"+d.Code+"/act", url.Values{"action": {"accept"}, "version": {strconv.Itoa(d.Version)}})
		got, _ := c.Svc.Get(t.Context(), d.Code)
		if b.status != 200 || got.Status != StatusProcessing {
			t.Fatalf("accept: %d status %d\n%s", b.status, got.Status, page)
		}
		if h, _ := c.Svc.History(t.Context(), d.Code); !historyNames(h, recep.Username) {
			t.Errorf("the history does not name the receptionist: %+v", h)
		}
		// The specialist forwards it to the leader; the receptionist may not approve.
		got = act(t, c.Svc, specialist, got, ActionForward, "Hồ sơ hợp lệ")
		page = b.post(srv.URL+"/motcua/dossiers/"+d.Code+"/act", url.Values{"action": {"approve"}, "version": {strconv.Itoa(got.Version)}})
		if b.status != http.StatusForbidden || !strings.Contains(page, "tài khoản của bạn không có vai trò này") {
			t.Fatalf("approve by the receptionist: %d\n%s", b.status, page)
		}
		if after, _ := c.Svc.Get(t.Context(), d.Code); after.Version != got.Version {
			t.Fatal("a refused approval moved the dossier")
		}

		// Sign out: the desk's session ends, then the provider's.
		b.stop = func(r *http.Request) bool { return strings.HasPrefix(r.URL.String(), idpURL) }
		b.post(srv.URL+"/motcua/signout", url.Values{})
		b.stop = nil
		loc := b.hdr.Get("Location")
		u, _ := url.Parse(loc)
		if !strings.HasPrefix(loc, idpURL+"/end_session") || u.Query().Get("id_token_hint") == "" {
			t.Fatalf("sign-out redirect: %d %q", b.status, loc)
		}
		b.get(loc)
		if !strings.HasPrefix(b.last, srv.URL+"/motcua/signin") {
			t.Fatalf("after the provider's sign-out: at %s", b.last)
		}
		b.get(srv.URL + "/motcua/")
		if !strings.HasPrefix(b.last, srv.URL+"/motcua/signin") {
			t.Fatalf("still signed in to the desk (at %s)", b.last)
		}

		// The admin token still signs in as every role at every agency.
		page = b.get(srv.URL + "/motcua/signin")
		page = b.submit(page, "/motcua/signin", map[string]string{"token": "tok"})
		if b.status != 200 || !strings.Contains(page, `<option value="leader"`) {
			t.Fatalf("admin token: %d at %s\n%s", b.status, b.last, page)
		}
		b.get(srv.URL + "/motcua/dossiers/" + other.Code)
		if b.status != 200 {
			t.Fatalf("the stand-in cannot open another agency's dossier: %d", b.status)
		}
	})
}

// TestDeskOIDCRefusesNonDeskOfficial: an official without a desk role
// gets a Vietnamese refusal and no session.
func TestDeskOIDCRefusesNonDeskOfficial(t *testing.T) {
	db := storetest.OpenSQLite(t)
	srv, c, _ := newDeskServer(t, db)
	_, demo, rp := startIdP(t, db, srv.URL)
	c.SetOIDC(rp)
	var auditor identity.DemoOfficial
	for _, o := range demo.Officials {
		if o.Agency == agencyA && o.Role == identity.RoleAuditor {
			auditor = o
		}
	}
	b := newOIDCBrowser(t)
	page := b.get(srv.URL + DeskOIDCStartPath)
	page = b.submit(page, "/login", map[string]string{"username": auditor.Username, "password": auditor.Password})
	if strings.Contains(page, `action="/login/consent"`) {
		page = b.submit(page, "/login/consent", map[string]string{"decision": "allow"})
	}
	if b.status != http.StatusForbidden || !strings.Contains(page, "chưa có vai trò nào của bộ phận một cửa") {
		t.Fatalf("an auditor at the desk: %d at %s\n%s", b.status, b.last, page)
	}
	b.get(srv.URL + "/motcua/")
	if !strings.HasPrefix(b.last, srv.URL+"/motcua/signin") {
		t.Fatalf("the refused official has a session (at %s)", b.last)
	}
	// A callback without the sign-in in flight is refused.
	page = b.get(srv.URL + DeskOIDCCallbackPath + "?code=x&state=forged")
	if b.status != http.StatusUnauthorized || !strings.Contains(page, "Đăng nhập không thành công") {
		t.Fatalf("forged state: %d\n%s", b.status, page)
	}
}

func historyNames(h []HistoryEntry, who string) bool {
	for _, e := range h {
		if e.Actor == who {
			return true
		}
	}
	return false
}
