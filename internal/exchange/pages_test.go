package exchange

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/platform/web"
)

// pageClient is a browser without redirects followed, keeping its cookies.
type pageClient struct {
	t      *testing.T
	base   string
	client *http.Client
	cookie *http.Cookie
}

type pageResp struct {
	status int
	h      http.Header
	body   string
}

func (c *pageClient) do(method, path string, form url.Values, hdr ...string) pageResp {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	r, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return pageResp{r.StatusCode, r.Header, string(b)}
}

func (c *pageClient) get(path string) pageResp { c.t.Helper(); return c.do("GET", path, nil) }

func mustContain(t *testing.T, what string, r pageResp, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.body, w) {
			t.Errorf("%s: no %q in the page (status %d)", what, w, r.status)
		}
	}
}

func auditEntries(t *testing.T, db *store.DB, action string) []audit.Entry {
	t.Helper()
	es, err := audit.List(context.Background(), db, audit.Query{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

var vnClock = regexp.MustCompile(`>\d\d/\d\d/\d{4} \d\d:\d\d:\d\d</time>`)

func TestPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tp := newTopo(t, db, 0)
		mux := http.NewServeMux()
		tp.c.Routes(mux)
		srv := httptest.NewServer(web.Wrap(mux, web.Options{CrossOrigin: true, Logger: slog.New(slog.DiscardHandler)}))
		t.Cleanup(srv.Close)
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		anon := &pageClient{t: t, base: srv.URL, client: noRedirect}
		admin := &pageClient{t: t, base: srv.URL, client: noRedirect}
		mps, hanoi, hub := "GOV/"+DemoMPS+"/GW-BCA", "GOV/"+DemoHanoi+"/LGSP-HN", "GOV/"+DemoGovOffice+"/NDXP"

		t.Run("overview lists members, gateways and groups", func(t *testing.T) {
			r := anon.get("/exchange/")
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			mustContain(t, "overview", r, `<html lang="vi">`, "<title>Trục tích hợp, chia sẻ dữ liệu – ",
				"Văn phòng Chính phủ", "Bộ Công an", "Ủy ban nhân dân Thành phố Hà Nội",
				hub, mps, hanoi, "Cổng kết nối", "Nhóm toàn cục", "GOV-ONESTOP",
				"Cơ sở dữ liệu quốc gia về dân cư", "Trực tiếp qua cổng GW-BCA", "Trực tiếp qua cổng LGSP-HN", "Qua trục trung tâm",
				"Số hiệu cấu hình", "Đang có hiệu lực", "<code>CONGDVCQG</code>", "<code>MOTCUA</code>", `aria-current="page">Tổng quan`)
			if !vnClock.MatchString(r.body) {
				t.Error("no time shown as dd/mm/yyyy HH:MM:SS")
			}
			// Fingerprints are shortened, with the full value at hand.
			gws, _ := tp.c.Hub.Registry.Gateways(context.Background())
			for _, g := range gws {
				mustContain(t, "fingerprint", r, shortFingerprint(g.Fingerprint), `<code class="fingerprint">`+g.Fingerprint+"</code>")
			}
			en := anon.get("/exchange/?lang=en")
			mustContain(t, "overview in English", en, `<html lang="en">`, "Global configuration", "Through the central hub", "Directly through gateway GW-BCA")
		})

		t.Run("services show the service, its backend host only and its rights", func(t *testing.T) {
			r := anon.get("/exchange/services")
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			host := strings.TrimPrefix(tp.res.Backend, "http://")
			mustContain(t, "services", r, "xacminh-cccd", "thong-ke-noi-bo", "Dữ liệu cá nhân", "<code>"+host+"</code>",
				"GET /personal-ids/{id}", "GOV-ONESTOP", "system:demo", "Chưa cấp quyền cho hệ thống nào.",
				"<title>Dịch vụ và quyền truy cập – ", `aria-current="page">Dịch vụ và quyền truy cập`)
			if strings.Contains(r.body, tp.res.Backend+"/v1/cccd") || strings.Contains(r.body, "/v1/cccd") {
				t.Error("the backend's full URL is shown")
			}
			if n := strings.Count(r.body, `class="tag tag--yellow">Dữ liệu cá nhân`); n != 1 {
				t.Errorf("personal-data tag on %d services, want 1", n)
			}
		})

		t.Run("the log needs a session", func(t *testing.T) {
			r := anon.get("/exchange/traffic?gateway=" + url.QueryEscape(mps))
			if r.status != http.StatusSeeOther || r.h.Get("Location") != "/exchange/signin?next="+url.QueryEscape("/exchange/traffic?gateway="+url.QueryEscape(mps)) {
				t.Fatalf("%d %q", r.status, r.h.Get("Location"))
			}
			for _, v := range []string{"garbage", "YWRtaW4tdG9rZW58OTk5OTk5OTk5OQ.AAAA", tp.c.pages.issue("admin-token", time.Now().Add(-time.Minute))} {
				c := &pageClient{t: t, base: srv.URL, client: noRedirect, cookie: &http.Cookie{Name: sessionCookie, Value: v}}
				if r := c.get("/exchange/traffic"); r.status != http.StatusSeeOther {
					t.Errorf("cookie %q: %d", v, r.status)
				}
			}
			// A session signed with another process's key is not valid here.
			other, _ := NewPages(tp.c)
			c := &pageClient{t: t, base: srv.URL, client: noRedirect, cookie: &http.Cookie{Name: sessionCookie, Value: other.issue("admin-token", time.Now().Add(time.Hour))}}
			if r := c.get("/exchange/traffic"); r.status != http.StatusSeeOther {
				t.Errorf("foreign key: %d", r.status)
			}
			r = anon.get("/exchange/signin?next=%2Fexchange%2Ftraffic")
			mustContain(t, "sign-in form", r, `type="password"`, `<label for="token">Mã quản trị</label>`, `name="next" value="/exchange/traffic"`)
		})

		t.Run("a wrong token is refused and audited", func(t *testing.T) {
			before := len(auditEntries(t, tp.k.DB, "exchange.signin"))
			r := anon.do("POST", "/exchange/signin", url.Values{"token": {"not-the-token"}, "next": {"/exchange/traffic"}})
			if r.status != http.StatusUnprocessableEntity || r.h.Get("Set-Cookie") != "" {
				t.Fatalf("%d %v", r.status, r.h)
			}
			mustContain(t, "wrong token", r, "Mã quản trị không đúng", `class="error-summary"`, `aria-describedby="token-hint token-error"`, `href="#token"`)
			if strings.Contains(r.body, "not-the-token") {
				t.Error("the typed token is echoed")
			}
			r = anon.do("POST", "/exchange/signin", url.Values{"token": {""}})
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("empty token: %d", r.status)
			}
			mustContain(t, "empty token", r, "Hãy nhập mã quản trị")
			es := auditEntries(t, tp.k.DB, "exchange.signin")
			if len(es) != before+2 || es[0].Result != audit.Denied || es[1].Result != audit.Denied || es[0].Actor != "anonymous" {
				t.Fatalf("audit: %+v", es)
			}
		})

		t.Run("a cross-site sign-in is refused", func(t *testing.T) {
			for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
				r := anon.do("POST", "/exchange/signin", url.Values{"token": {"tok"}}, h...)
				if r.status != http.StatusForbidden || r.h.Get("Set-Cookie") != "" {
					t.Errorf("%v: %d %v", h, r.status, r.h.Get("Set-Cookie"))
				}
			}
			if r := admin.do("POST", "/exchange/signout", url.Values{}, "Sec-Fetch-Site", "cross-site"); r.status != http.StatusForbidden {
				t.Errorf("cross-site sign-out: %d", r.status)
			}
		})

		var msgID string
		t.Run("sign in and read the log", func(t *testing.T) {
			r := admin.do("POST", "/exchange/signin", url.Values{"token": {" tok\n"}, "next": {"/exchange/traffic"}}, "Sec-Fetch-Site", "same-origin")
			if r.status != http.StatusSeeOther || r.h.Get("Location") != "/exchange/traffic" {
				t.Fatalf("%d %q %s", r.status, r.h.Get("Location"), r.body)
			}
			resp := &http.Response{Header: r.h}
			var ck *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == sessionCookie {
					ck = c
				}
			}
			if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure || ck.Path != "/exchange/" || ck.MaxAge != 8*3600 {
				t.Fatalf("session cookie: %+v", ck)
			}
			admin.cookie = &http.Cookie{Name: ck.Name, Value: ck.Value}
			if es := auditEntries(t, tp.k.DB, "exchange.signin"); es[0].Result != audit.OK || es[0].Actor != "admin-token" {
				t.Fatalf("sign-in audit: %+v", es[0])
			}

			call := tp.call(t, "GET", tp.mps+"/xacminh-cccd/personal-ids/001089012345", nil, purpose()...)
			if call.status != 200 {
				t.Fatalf("call: %d %s", call.status, call.body)
			}
			msgID = call.h.Get("X-Road-Id")
			tp.call(t, "GET", tp.mps+"/thong-ke-noi-bo/stats", nil)

			reads := len(auditEntries(t, tp.k.DB, "exchange.log.read"))
			r = admin.get("/exchange/traffic")
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if r.h.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", r.h.Get("Cache-Control"))
			}
			mustContain(t, "traffic", r, msgID, "<code>admin-token</code>", "Hệ thống thông tin giải quyết thủ tục hành chính Hà Nội",
				inst+"/GOV/"+DemoMPS+"/CSDLQGDC/xacminh-cccd", "VN001089012345", "000.00.92.H26-261123-0001",
				"Server.ServerProxy.AccessDenied", `class="tag tag--red">500`, "bên gọi", "bên cung cấp",
				"Niêm phong nhật ký theo cổng", "Số lượt gọi theo dịch vụ và hệ thống", `aria-current="page">Nhật ký trao đổi`)
			if strings.Contains(r.body, "/personal-ids/001089012345") {
				t.Error("the request path (a personal ID) is shown")
			}
			if !vnClock.MatchString(r.body) {
				t.Error("no time shown as dd/mm/yyyy HH:MM:SS")
			}
			es := auditEntries(t, tp.k.DB, "exchange.log.read")
			if len(es) != reads+1 || es[0].Actor != "admin-token" || es[0].Result != audit.OK {
				t.Fatalf("read audit: %d then %d, %+v", reads, len(es), es[0])
			}
		})

		t.Run("filters, seal state and pages", func(t *testing.T) {
			for _, g := range tp.res.Gateways {
				g.Log.Seal(context.Background())
			}
			r := admin.get("/exchange/traffic?gateway=" + url.QueryEscape(mps))
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			mustContain(t, "gateway filter", r, msgID, `<option value="`+mps+`" selected>`, "Đã niêm phong hết", "Bỏ lọc")
			if strings.Contains(r.body, `<span class="meta">bên gọi</span>`) {
				t.Error("the ministry's gateway logs only the providing side")
			}
			r = admin.get("/exchange/traffic?client=" + url.QueryEscape(inst+"/GOV/"+DemoGovOffice+"/CONGDVCQG"))
			mustContain(t, "client filter", r, "Không có bản ghi nào phù hợp.")

			for i := 0; i < 26; i++ {
				tp.call(t, "GET", tp.mps+"/xacminh-cccd/personal-ids/001089012345", nil, purpose()...)
			}
			r = admin.get("/exchange/traffic")
			if n := strings.Count(r.body, "<tr>") - 1; n < recordsPerPage {
				t.Errorf("first page: %d rows", n)
			}
			mustContain(t, "page 1", r, `rel="next"`, "Trang sau")
			r = admin.get("/exchange/traffic?page=2")
			mustContain(t, "page 2", r, `rel="prev"`, "Trang trước", msgID)
		})

		t.Run("sign out", func(t *testing.T) {
			r := admin.do("POST", "/exchange/signout", url.Values{})
			if r.status != http.StatusSeeOther || r.h.Get("Location") != "/exchange/" {
				t.Fatalf("%d %q", r.status, r.h.Get("Location"))
			}
			cleared := false
			for _, c := range (&http.Response{Header: r.h}).Cookies() {
				cleared = cleared || (c.Name == sessionCookie && c.MaxAge < 0 && c.Value == "")
			}
			if !cleared {
				t.Fatalf("cookie not cleared: %v", r.h["Set-Cookie"])
			}
			if es := auditEntries(t, tp.k.DB, "exchange.signout"); len(es) != 1 || es[0].Actor != "admin-token" {
				t.Fatalf("sign-out audit: %+v", es)
			}
		})
	})
}

func TestPagesSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                                  "/exchange/traffic",
		"/exchange/traffic?gateway=GOV%2FX": "/exchange/traffic?gateway=GOV%2FX",
		"/exchange/services":                "/exchange/services",
		"//evil.example/exchange/":          "/exchange/traffic",
		"https://evil.example/exchange/":    "/exchange/traffic",
		"/\\evil.example":                   "/exchange/traffic",
		"/catalog/":                         "/exchange/traffic",
		"/exchange/signout":                 "/exchange/traffic",
		"javascript:alert(1)":               "/exchange/traffic",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPagesMessages checks that every message the pages use exists in both
// languages.
func TestPagesMessages(t *testing.T) {
	keys := map[string]bool{}
	for _, k := range []string{"exchange.class.GOV", "exchange.class.COM", "exchange.class.ORG", "exchange.side.client", "exchange.side.provider"} {
		keys[k] = true
	}
	re := regexp.MustCompile(`"(exchange\.[a-z_.]+)"`)
	files, _ := fs.Glob(pageTemplates, "templates/*.html")
	for _, f := range append(files, "pages.go") {
		var b []byte
		var err error
		if f == "pages.go" {
			b, err = os.ReadFile(f)
		} else {
			b, err = fs.ReadFile(pageTemplates, f)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
	}
	// Audit actions and fault codes, not messages.
	for _, k := range []string{"exchange.signin", "exchange.signout", "exchange.log.read", "exchange.signin.form"} {
		delete(keys, k)
	}
	for k := range keys {
		// T falls back to Vietnamese, then to the key.
		if web.T(web.LangVI, k) == k {
			t.Errorf("no Vietnamese message %q", k)
		}
		if web.T(web.LangEN, k) == web.T(web.LangVI, k) {
			t.Errorf("no English message %q", k)
		}
	}
	if len(keys) < 50 {
		t.Fatalf("only %d keys found", len(keys))
	}
}
