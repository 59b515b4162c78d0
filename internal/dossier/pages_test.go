package dossier

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/config"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/platform/web"
)

// newDeskServer runs the engine's routes behind the platform middleware,
// as the console serves them, with the admin token "tok" and a clock the
// test sets.
func newDeskServer(t *testing.T, db *store.DB) (*httptest.Server, *Component, *clock) {
	t.Helper()
	ps := migrate(t, db)
	log := slog.New(slog.DiscardHandler)
	k := &kernel.Kernel{Config: &config.Config{}, Log: log, DB: db, Metrics: web.NewMetrics(),
		Admin: authn.NewStaticToken("tok", "admin-token", authn.RoleCatalogAdmin)}
	c, err := NewComponent(k)
	if err != nil {
		t.Fatal(err)
	}
	c.UseProcedures(ps)
	clk := &clock{t: at(2025, 7, 1, 9, 0)} // a Tuesday
	c.Svc.now = clk.Now
	mux := http.NewServeMux()
	c.Routes(mux)
	srv := httptest.NewServer(web.Wrap(mux, web.Options{CrossOrigin: true, Logger: log}))
	t.Cleanup(srv.Close)
	return srv, c, clk
}

// deskBrowser does not follow redirects and keeps its session cookie.
type deskBrowser struct {
	t      *testing.T
	base   string
	client *http.Client
	cookie *http.Cookie
}

type deskPage struct {
	status int
	h      http.Header
	body   string
}

func (b *deskBrowser) do(method, path string, form url.Values) deskPage {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	req.Header.Set("Accept", "text/html")
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	r, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer r.Body.Close()
	for _, c := range r.Cookies() {
		if c.Name == deskCookie {
			b.cookie = c
		}
	}
	raw, _ := io.ReadAll(r.Body)
	return deskPage{r.StatusCode, r.Header, string(raw)}
}

func has(t *testing.T, what string, p deskPage, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Errorf("%s: no %q in the page (status %d)", what, w, p.status)
		}
	}
}

func TestDeskPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, c, clk := newDeskServer(t, db)
		b := &deskBrowser{t: t, base: srv.URL, client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		d := createHousehold(t, c.Svc, "desk-1")
		dpath := "/motcua/dossiers/" + d.Code

		t.Run("signed out, pages lead to the sign-in", func(t *testing.T) {
			for _, path := range []string{"/motcua/", dpath} {
				p := b.do("GET", path, nil)
				if p.status != http.StatusSeeOther || !strings.HasPrefix(p.h.Get("Location"), "/motcua/signin?next=") {
					t.Fatalf("%s: %d %q", path, p.status, p.h.Get("Location"))
				}
			}
			p := b.do("POST", dpath+"/act", url.Values{"action": {"accept"}, "version": {"1"}})
			if p.status != http.StatusSeeOther {
				t.Fatalf("act signed out: %d", p.status)
			}
			if got, _ := c.Svc.Get(t.Context(), d.Code); got.Version != d.Version {
				t.Fatal("a signed-out post moved the dossier")
			}
		})

		t.Run("sign-in", func(t *testing.T) {
			p := b.do("GET", "/motcua/signin", nil)
			if p.status != 200 {
				t.Fatalf("form: %d", p.status)
			}
			has(t, "form", p, `lang="vi"`, "Đăng nhập cán bộ một cửa", `name="token"`)
			p = b.do("POST", "/motcua/signin", url.Values{"token": {"wrong"}, "next": {"/motcua/"}})
			if p.status != http.StatusUnprocessableEntity || b.cookie != nil {
				t.Fatalf("wrong token: %d %v", p.status, b.cookie)
			}
			has(t, "wrong token", p, "Mã quản trị không đúng", `aria-invalid="true"`)
			p = b.do("POST", "/motcua/signin", url.Values{"token": {"tok"}, "next": {dpath}})
			if p.status != http.StatusSeeOther || p.h.Get("Location") != dpath || b.cookie == nil {
				t.Fatalf("sign-in: %d %q %v", p.status, p.h.Get("Location"), b.cookie)
			}
		})

		t.Run("inbox lists the dossier with its counts", func(t *testing.T) {
			p := b.do("GET", "/motcua/", nil)
			if p.status != 200 {
				t.Fatalf("inbox: %d %s", p.status, p.body)
			}
			has(t, "inbox", p, d.Code, "Đăng ký thành lập hộ kinh doanh", "Trần Thị Hoa", "01/07/2025", "Mới đăng ký", "Cán bộ tiếp nhận")
			for _, tab := range []string{"Mới <span class=\"tag tag--grey\">1<", "Đến hạn hôm nay <span class=\"tag tag--grey\">0<", "Quá hạn <span class=\"tag tag--grey\">0<", "Tất cả <span class=\"tag tag--green\">1<"} {
				has(t, "tabs", p, tab)
			}
			p = b.do("GET", "/motcua/?role=specialist&agency=000.00.92.H26", nil)
			if strings.Contains(p.body, d.Code) {
				t.Error("the specialist's queue lists a dossier waiting for reception")
			}
			p = b.do("GET", "/motcua/?lang=en", nil)
			has(t, "english", p, `lang="en"`, "Dossiers to handle", "Due date")
		})

		t.Run("dossier page shows its actions", func(t *testing.T) {
			p := b.do("GET", dpath, nil)
			if p.status != 200 {
				t.Fatalf("dossier: %d %s", p.status, p.body)
			}
			has(t, "dossier", p, d.Code, "Mới đăng ký", `value="accept"`, `value="refuse"`, `name="version" value="1"`, `name="note"`, "Quá trình xử lý", "Hộ kinh doanh Hoa Sen", "<dt>Tên hộ kinh doanh</dt>")
			if strings.Contains(p.body, `value="approve"`) {
				t.Error("approve offered at reception")
			}
		})

		t.Run("accept then forward", func(t *testing.T) {
			h0, _ := c.Svc.History(t.Context(), d.Code)
			p := b.do("POST", dpath+"/act", url.Values{"action": {"accept"}, "version": {"1"}})
			if p.status != http.StatusSeeOther || p.h.Get("Location") != dpath {
				t.Fatalf("accept: %d %q %s", p.status, p.h.Get("Location"), p.body)
			}
			got, _ := c.Svc.Get(t.Context(), d.Code)
			if got.Status != StatusProcessing {
				t.Fatalf("after accept: status %d", got.Status)
			}
			p = b.do("POST", dpath+"/act", url.Values{"action": {"forward"}, "version": {strconv.Itoa(got.Version)}, "note": {"Hồ sơ hợp lệ"}})
			if p.status != http.StatusSeeOther {
				t.Fatalf("forward: %d %s", p.status, p.body)
			}
			after, _ := c.Svc.Get(t.Context(), d.Code)
			h1, _ := c.Svc.History(t.Context(), d.Code)
			if after.Step == got.Step || after.Version <= got.Version || len(h1) <= len(h0)+2 {
				t.Fatalf("forward did not move it: step %s→%s, history %d→%d", got.Step, after.Step, len(h0), len(h1))
			}
			p = b.do("GET", dpath, nil)
			has(t, "after", p, "Hồ sơ hợp lệ", "Chuyển bước tiếp theo", "Đang xử lý")
		})

		t.Run("stale version: conflict on the page", func(t *testing.T) {
			p := b.do("POST", dpath+"/act", url.Values{"action": {"forward"}, "version": {"1"}})
			if p.status != http.StatusConflict {
				t.Fatalf("stale: %d", p.status)
			}
			has(t, "stale", p, "Thao tác chưa được thực hiện", "Hồ sơ vừa được người khác xử lý", d.Code)
		})

		t.Run("late: red tag and apology letter", func(t *testing.T) {
			clk.Set(at(2025, 7, 15, 9, 0))
			now, _ := c.Svc.Get(t.Context(), d.Code)
			p := b.do("GET", "/motcua/?filter=overdue&role="+now.Role, nil)
			has(t, "overdue inbox", p, d.Code, `tag tag--red`)
			p = b.do("GET", dpath, nil)
			has(t, "late dossier", p, "Thư xin lỗi", dpath+"/apology")
			p = b.do("GET", dpath+"/apology", nil)
			if p.status != 200 {
				t.Fatalf("apology: %d %s", p.status, p.body)
			}
			has(t, "apology", p, d.Code, "Thư xin lỗi và hẹn lại ngày trả kết quả")
		})

		t.Run("sign out", func(t *testing.T) {
			p := b.do("POST", "/motcua/signout", url.Values{})
			if p.status != http.StatusSeeOther {
				t.Fatalf("signout: %d", p.status)
			}
			if p = b.do("GET", "/motcua/", nil); p.status != http.StatusSeeOther {
				t.Fatalf("after signout: %d", p.status)
			}
		})
	})
}
