package backend

import (
	"context"
	"fmt"
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
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/config"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/registry"
	"github.com/vngov/vngov/internal/registry/population"
)

// newPagesServer runs the registry component on db (no backend listener)
// with its routes behind the platform middleware, as the console serves
// them; the admin token "tok" holds the registry-clerk role.
func newPagesServer(t *testing.T, db *store.DB) (*httptest.Server, *Component) {
	t.Helper()
	ctx := context.Background()
	for name, m := range map[string]fs.FS{"bus": bus.Migrations(), "audit": audit.Migrations(), "registry": registry.Migrations()} {
		if err := db.Migrate(ctx, name, m); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.DiscardHandler)
	k := &kernel.Kernel{Config: &config.Config{}, Log: log, DB: db, Metrics: web.NewMetrics(),
		Admin: authn.NewStaticToken("tok", "admin-token", authn.RoleRegistryClerk)}
	c, err := NewComponent(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	c.Routes(mux)
	srv := httptest.NewServer(web.Wrap(mux, web.Options{CrossOrigin: true, Logger: log}))
	t.Cleanup(srv.Close)
	return srv, c
}

// browser is a client that does not follow redirects and keeps its
// session cookie.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
	cookie *http.Cookie
}

type page struct {
	status int
	h      http.Header
	body   string
}

func newBrowser(t *testing.T, base string) *browser {
	return &browser{t: t, base: base, client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values, hdr ...string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	r, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer r.Body.Close()
	raw, _ := io.ReadAll(r.Body)
	return page{r.StatusCode, r.Header, string(raw)}
}

func (b *browser) get(path string) page { b.t.Helper(); return b.do("GET", path, nil) }

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	return b.do("POST", path, form, "Sec-Fetch-Site", "same-origin")
}

func contains(t *testing.T, what string, p page, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Errorf("%s: no %q in the page (status %d)", what, w, p.status)
		}
	}
}

func entries(t *testing.T, db *store.DB, action string) []audit.Entry {
	t.Helper()
	es, err := audit.List(context.Background(), db, audit.Query{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// personForm is a valid new person: Nguyễn Văn An, born 1960, Hà Nội.
func personForm() url.Values {
	return url.Values{
		"id": {"001060012345"}, "full_name": {"Nguyễn  Văn An"}, "birth_date": {"15/03/1960"}, "sex": {"male"},
		"ethnicity": {"01"}, "religion": {"00"}, "nationality": {"vn"},
		"birth_registration_place": {"00004"}, "home_town": {"00004"},
		"permanent_residence.commune": {"00004"}, "permanent_residence.street": {"Số 1 phố Quán Thánh"},
		"current_residence.commune": {""}, "current_residence.street": {""},
		"household_id": {""}, "relation_to_head": {""}, "father_id": {""}, "mother_id": {""}, "spouse_id": {""},
		"marital_status": {"married"}, "status": {"living"}, "death_date": {""}, "reason": {"Đăng ký khai sinh"},
	}
}

func TestPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, c := newPagesServer(t, db)
		anon := newBrowser(t, srv.URL)
		clerk := newBrowser(t, srv.URL)
		const id = "001060012345"

		t.Run("signed out, every page leads to the sign-in", func(t *testing.T) {
			for path, next := range map[string]string{
				"/registry/":                        "/registry/",
				"/registry/?name=nguyen":            "/registry/?name=nguyen",
				"/registry/persons/" + id:           "/registry/persons/" + id,
				"/registry/persons/new":             "/registry/persons/new",
				"/registry/persons/" + id + "/edit": "/registry/persons/" + id + "/edit",
			} {
				r := anon.get(path)
				if r.status != http.StatusSeeOther || r.h.Get("Location") != "/registry/signin?next="+url.QueryEscape(next) {
					t.Errorf("%s: %d %q", path, r.status, r.h.Get("Location"))
				}
			}
			if r := anon.post("/registry/persons/new", personForm()); r.status != http.StatusSeeOther {
				t.Errorf("create signed out: %d", r.status)
			}
			if n, _ := c.Population.Count(context.Background()); n != 0 {
				t.Errorf("%d people registered without a session", n)
			}
			// A forged or foreign session is no session.
			other := authn.NewRandomSessions(sessionCookie, sessionPath, sessionTTL)
			for _, v := range []string{"garbage", other.Encode(&authn.Principal{Subject: "admin-token", Roles: []string{authn.RoleRegistryClerk}}, time.Now().Add(time.Hour))} {
				b := newBrowser(t, srv.URL)
				b.cookie = &http.Cookie{Name: sessionCookie, Value: v}
				if r := b.get("/registry/"); r.status != http.StatusSeeOther {
					t.Errorf("cookie %q: %d", v, r.status)
				}
			}
			// A session without the clerk's role is not enough either.
			b := newBrowser(t, srv.URL)
			b.cookie = &http.Cookie{Name: sessionCookie, Value: c.pages.sessions.Encode(&authn.Principal{Subject: "admin-token", Roles: []string{authn.RoleCatalogAdmin}}, time.Now().Add(time.Hour))}
			if r := b.get("/registry/"); r.status != http.StatusSeeOther {
				t.Errorf("no clerk role: %d", r.status)
			}
			if es := entries(t, db, "registry.clerk"); len(es) < 5 || es[0].Result != audit.Denied {
				t.Errorf("refusals audited: %d", len(es))
			}
		})

		t.Run("sign-in", func(t *testing.T) {
			r := anon.get("/registry/signin?next=" + url.QueryEscape("/registry/?name=nguyen"))
			contains(t, "form", r, `<html lang="vi">`, `<label for="token">Mã quản trị</label>`, `type="password"`, `name="next" value="/registry/?name=nguyen"`)
			if r := anon.get("/registry/signin?next=https%3A%2F%2Fevil.example%2F"); !strings.Contains(r.body, `name="next" value="/registry/"`) {
				t.Error("an off-site next is kept")
			}
			r = anon.post("/registry/signin", url.Values{"token": {"sai"}, "next": {"/registry/"}})
			if r.status != http.StatusUnprocessableEntity || r.h.Get("Set-Cookie") != "" {
				t.Fatalf("wrong token: %d %v", r.status, r.h["Set-Cookie"])
			}
			contains(t, "wrong token", r, "Mã quản trị không đúng", `class="error-summary"`, `href="#token"`, `aria-describedby="token-hint token-error"`)
			if r := anon.post("/registry/signin", url.Values{"token": {""}}); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Hãy nhập mã quản trị") {
				t.Errorf("empty token: %d", r.status)
			}
			admin := c.k.Admin
			c.k.Admin = authn.NewStaticToken("tok", "admin-token", authn.RoleCatalogAdmin)
			r = anon.post("/registry/signin", url.Values{"token": {"tok"}})
			c.k.Admin = admin
			if r.status != http.StatusForbidden || r.h.Get("Set-Cookie") != "" || !strings.Contains(r.body, "không có quyền cán bộ") {
				t.Errorf("no clerk role: %d", r.status)
			}
			if r := anon.do("POST", "/registry/signin", url.Values{"token": {"tok"}}, "Sec-Fetch-Site", "cross-site"); r.status != http.StatusForbidden || r.h.Get("Set-Cookie") != "" {
				t.Errorf("cross-site sign-in: %d", r.status)
			}

			r = clerk.post("/registry/signin", url.Values{"token": {" tok\n"}, "next": {"/registry/?name=nguyen"}})
			if r.status != http.StatusSeeOther || r.h.Get("Location") != "/registry/?name=nguyen" {
				t.Fatalf("sign-in: %d %q %s", r.status, r.h.Get("Location"), r.body)
			}
			var ck *http.Cookie
			for _, x := range (&http.Response{Header: r.h}).Cookies() {
				if x.Name == sessionCookie {
					ck = x
				}
			}
			if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure || ck.Path != "/registry/" || ck.MaxAge != 8*3600 {
				t.Fatalf("session cookie: %+v", ck)
			}
			clerk.cookie = &http.Cookie{Name: ck.Name, Value: ck.Value}
			es := entries(t, db, "registry.signin")
			if len(es) != 4 || es[0].Result != audit.OK || es[0].Actor != "admin-token" || es[1].Result != audit.Denied {
				t.Fatalf("sign-in audit: %+v", es)
			}
		})

		t.Run("search page", func(t *testing.T) {
			r := clerk.get("/registry/")
			if r.status != 200 || r.h.Get("Cache-Control") != "no-store" {
				t.Fatalf("%d %q", r.status, r.h.Get("Cache-Control"))
			}
			contains(t, "search", r, "<title>Tra cứu công dân – ", `<h1>Tra cứu công dân</h1>`, `href="/registry/persons/new">Thêm công dân</a>`,
				`<label for="name">Họ và tên</label>`, `<label for="birth_date">Ngày sinh</label>`, `<label for="commune">Mã xã, phường nơi thường trú</label>`,
				"<code>admin-token</code>", `action="/registry/signout"`)
			r = clerk.get("/registry/?birth_date=31-31-1999")
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("bad date: %d", r.status)
			}
			contains(t, "bad date", r, `href="#birth_date"`, `id="birth_date-error"`, `aria-describedby="birth_date-hint birth_date-error"`, `value="31-31-1999"`)
			contains(t, "English", clerk.get("/registry/?lang=en"), `<html lang="en">`, "<h1>Find a person</h1>", "Add a person")
			clerk.get("/registry/?lang=vi")
		})

		t.Run("create with errors: one message next to each field", func(t *testing.T) {
			form := personForm()
			form.Set("id", "001360012345") // 3: a woman born in the 2000s, not a man born in 1960
			form.Set("full_name", "An 2")
			form.Set("birth_date", "31/02/1960")
			form.Set("ethnicity", "")
			form.Set("permanent_residence.commune", "00013") // merged away in 2025
			form.Set("marital_status", "")
			r := clerk.post("/registry/persons/new", form)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("%d %s", r.status, r.body)
			}
			fields := []string{"full_name", "birth_date", "ethnicity", "permanent_residence.commune", "marital_status"}
			for _, f := range fields {
				contains(t, f, r, `href="#`+f+`"`, `id="`+f+`-error"`, `-error" aria-invalid="true"`)
				if !regexp.MustCompile(`id="`+regexp.QuoteMeta(f)+`"[^>]*aria-describedby="[^"]*`+regexp.QuoteMeta(f)+`-error"`).MatchString(r.body) &&
					!regexp.MustCompile(`aria-describedby="[^"]*`+regexp.QuoteMeta(f)+`-error"`).MatchString(r.body) {
					t.Errorf("%s: the input is not described by its error", f)
				}
			}
			if n := strings.Count(r.body, `class="error-message"`); n != len(fields) {
				t.Errorf("%d error messages for %d fields: %v", n, len(fields), regexp.MustCompile(`id="([a-z_.]+)-error"`).FindAllString(r.body, -1))
			}
			contains(t, "messages", r, "Họ và tên chỉ gồm chữ cái và dấu cách", "Dân tộc không được để trống", "Mã 00013 không có trong danh mục admin-units",
				`class="field field--error"`, "Thông tin bạn nhập có lỗi")
			// What was typed is kept.
			contains(t, "kept", r, `value="An 2"`, `value="31/02/1960"`, `value="001360012345"`, `value="Số 1 phố Quán Thánh"`, `<option value="male" selected>Nam</option>`, `>Đăng ký khai sinh</textarea>`)

			// The ID that does not match the sex and birth year.
			form = personForm()
			form.Set("id", "001360012345")
			r = clerk.post("/registry/persons/new", form)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("id mismatch: %d", r.status)
			}
			contains(t, "id mismatch", r, `id="id-error"`, "Số định danh cá nhân không khớp với năm sinh", "Số định danh cá nhân không khớp với giới tính")
			if n := strings.Count(r.body, `class="error-message"`); n != 1 {
				t.Errorf("%d error messages for one field", n)
			}
		})

		t.Run("create, then the person's page", func(t *testing.T) {
			r := clerk.post("/registry/persons/new", personForm())
			if r.status != http.StatusSeeOther || r.h.Get("Location") != "/registry/persons/"+id {
				t.Fatalf("%d %q %s", r.status, r.h.Get("Location"), r.body)
			}
			r = clerk.get("/registry/persons/" + id)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			contains(t, "person", r, "<h1>Nguyễn Văn An</h1>", "<dt>Họ và tên</dt>", "<dt>Ngày sinh</dt><dd>15/03/1960</dd>", "<dt>Giới tính</dt><dd>Nam</dd>",
				"<dt>Dân tộc</dt><dd>Kinh", "<dt>Tôn giáo</dt><dd>Không", "<dt>Quốc tịch</dt><dd>Việt Nam", "<dt>Nơi đăng ký khai sinh</dt>", "<dt>Quê quán</dt>",
				"<dt>Nơi thường trú</dt><dd>Số 1 phố Quán Thánh, Phường Ba Đình, Thành phố Hà Nội", "<dt>Nơi ở hiện tại</dt>", "<dt>Hộ gia đình</dt><dd><code>HGD-"+id,
				"<dt>Quan hệ với chủ hộ</dt><dd>chủ hộ", "<dt>Cha</dt>", "<dt>Mẹ</dt>", "<dt>Vợ/chồng</dt>", "<dt>Tình trạng hôn nhân</dt><dd>Đã kết hôn",
				"<dt>Trạng thái</dt><dd>Còn sống", "Lịch sử thay đổi", "Đăng ký khai sinh", "Lập hồ sơ", `href="/registry/persons/`+id+`/edit">Sửa</a>`)
			if es := entries(t, db, "population.read"); len(es) == 0 || es[0].Actor != "admin-token" || es[0].Object != "population/"+id {
				t.Errorf("read not audited: %+v", es)
			}
			if es := entries(t, db, "population.create"); len(es) == 0 || es[0].Actor != "admin-token" || es[0].Result != audit.OK {
				t.Errorf("create not audited: %+v", es)
			}
			if r := clerk.get("/registry/persons/001099000000"); r.status != http.StatusNotFound {
				t.Errorf("unknown person: %d", r.status)
			}
		})

		t.Run("search finds the person without diacritics", func(t *testing.T) {
			before := len(entries(t, db, "population.search"))
			for _, q := range []string{"name=nguyen+van+an", "name=NGUYEN+VAN", "birth_date=15%2F03%2F1960", "birth_date=1960-03-15", "commune=00004&name=nguyen"} {
				r := clerk.get("/registry/?" + q)
				if r.status != 200 {
					t.Fatalf("%s: %d", q, r.status)
				}
				contains(t, q, r, `<a href="/registry/persons/`+id+`">Nguyễn Văn An</a>`, "Tìm thấy 1 người.", "Phường Ba Đình")
			}
			contains(t, "no match", clerk.get("/registry/?name=tran+thi"), "Không tìm thấy kết quả phù hợp.")

			// Results a page at a time.
			var many []population.Person
			for i := range 25 {
				many = append(many, population.Person{ID: fmt.Sprintf("079190%06d", i), FullName: "Phạm Thị Hoa", BirthDate: "1990-01-01", Sex: "female",
					Ethnicity: "01", Religion: "00", Nationality: "VN", Permanent: population.Address{Commune: "00004"}, MaritalStatus: "single", Status: "living"})
			}
			if err := c.Population.Load(context.Background(), many, nil, "test"); err != nil {
				t.Fatal(err)
			}
			r := clerk.get("/registry/?name=pham+thi+hoa")
			if n := strings.Count(r.body, `<th scope="row">`); n != personsPerPage {
				t.Errorf("page 1: %d rows", n)
			}
			contains(t, "page 1", r, "Tìm thấy 25 người.", "Trang 1 / 2", `rel="next"`, `page=2"`)
			r = clerk.get("/registry/?name=pham+thi+hoa&page=2")
			if n := strings.Count(r.body, `<th scope="row">`); n != 5 {
				t.Errorf("page 2: %d rows", n)
			}
			contains(t, "page 2", r, "Trang 2 / 2", `rel="prev"`)
			if es := entries(t, db, "population.search"); len(es) != before+8 || es[0].Actor != "admin-token" {
				t.Errorf("searches audited: %d then %d", before, len(es))
			}
		})

		t.Run("edit twice from the same version: the second is refused", func(t *testing.T) {
			r := clerk.get("/registry/persons/" + id + "/edit")
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			contains(t, "edit form", r, `<input type="hidden" name="version" value="1">`, `<label for="reason">Lý do thay đổi</label>`,
				`id="full_name" name="full_name" type="text" value="Nguyễn Văn An"`, `value="15/03/1960"`, `<option value="01" selected>Kinh</option>`,
				`<option value="married" selected>Đã kết hôn</option>`, `<option value="living" selected>Còn sống</option>`, `id="id" type="text" value="`+id+`" readonly`)

			// Without a reason the change is refused, next to the reason.
			first := personForm()
			first.Set("version", "1")
			first.Set("current_residence.commune", "00004")
			first.Set("current_residence.street", "Số 9 phố Hàng Bông")
			first.Set("reason", "")
			r = clerk.post("/registry/persons/"+id+"/edit", first)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("no reason: %d", r.status)
			}
			contains(t, "no reason", r, `id="reason-error"`, "Hãy ghi lý do thay đổi", `value="Số 9 phố Hàng Bông"`)

			first.Set("reason", "Khai báo nơi ở hiện tại")
			r = clerk.post("/registry/persons/"+id+"/edit", first)
			if r.status != http.StatusSeeOther || r.h.Get("Location") != "/registry/persons/"+id {
				t.Fatalf("first edit: %d %s", r.status, r.body)
			}
			second := personForm()
			second.Set("version", "1")
			second.Set("marital_status", "widowed")
			second.Set("reason", "Vợ mất")
			r = clerk.post("/registry/persons/"+id+"/edit", second)
			if r.status != http.StatusConflict {
				t.Fatalf("second edit: %d %s", r.status, r.body)
			}
			contains(t, "conflict", r, "Hồ sơ đã được người khác cập nhật", "một cán bộ khác đã lưu hồ sơ này trước bạn", `role="alert"`,
				`<a href="/registry/persons/`+id+`/edit">Tải lại hồ sơ mới nhất để sửa lại</a>`, `<option value="widowed" selected>Góa</option>`, `>Vợ mất</textarea>`)

			hist, err := c.Population.History(context.Background(), id)
			if err != nil || len(hist) != 2 || hist[0].Reason != "Khai báo nơi ở hiện tại" || hist[0].Person.Current.Street != "Số 9 phố Hàng Bông" ||
				hist[0].Person.MaritalStatus != "married" || hist[1].Reason != "Đăng ký khai sinh" || hist[1].Person.Current.Street != "Số 1 phố Quán Thánh" {
				t.Fatalf("history: %+v %v", hist, err)
			}
			r = clerk.get("/registry/persons/" + id)
			contains(t, "history", r, "phiên bản 2", "Khai báo nơi ở hiện tại", "Đăng ký khai sinh", "Nơi ở hiện tại", "Số 9 phố Hàng Bông")
			if n := strings.Count(r.body, `<td class="num">`); n != 2 || !strings.Contains(r.body, `<td class="num">2</td>`) || !strings.Contains(r.body, `<td class="num">1</td>`) {
				t.Errorf("%d versions in the history, not 2 then 1", n)
			}

			// Saving the same again changes nothing, and says so.
			third := personForm()
			third.Set("version", "2")
			third.Set("current_residence.commune", "00004")
			third.Set("current_residence.street", "Số 9 phố Hàng Bông")
			r = clerk.post("/registry/persons/"+id+"/edit", third)
			if r.status != http.StatusConflict || !strings.Contains(r.body, "Không có thay đổi nào") {
				t.Errorf("no change: %d", r.status)
			}
			if es := entries(t, db, "population.update"); len(es) < 2 || es[0].Actor != "admin-token" {
				t.Errorf("updates audited: %+v", es)
			}
		})

		t.Run("sign out", func(t *testing.T) {
			r := clerk.post("/registry/signout", url.Values{})
			if r.status != http.StatusSeeOther || r.h.Get("Location") != "/registry/signin" {
				t.Fatalf("%d %q", r.status, r.h.Get("Location"))
			}
			cleared := false
			for _, x := range (&http.Response{Header: r.h}).Cookies() {
				cleared = cleared || (x.Name == sessionCookie && x.MaxAge < 0 && x.Value == "")
			}
			if !cleared {
				t.Fatalf("cookie not cleared: %v", r.h["Set-Cookie"])
			}
			if es := entries(t, db, "registry.signout"); len(es) != 1 || es[0].Actor != "admin-token" {
				t.Fatalf("sign-out audit: %+v", es)
			}
			rep, _ := audit.Verify(context.Background(), db)
			if !rep.OK {
				t.Fatalf("audit chain: %+v", rep)
			}
		})
	})
}

func TestPagesDates(t *testing.T) {
	for in, want := range map[string]string{"12/05/1989": "1989-05-12", "1/7/2025": "2025-07-01", "05/1989": "1989-05", "1989": "1989", "1989-05-12": "1989-05-12", " x ": "x"} {
		if got := isoDay(in); got != want {
			t.Errorf("isoDay(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"1989-05-12": "12/05/1989", "1989-05": "05/1989", "1989": "1989"} {
		if got := displayDay(in); got != want {
			t.Errorf("displayDay(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPagesMessages checks that every message the pages use exists in both
// languages.
func TestPagesMessages(t *testing.T) {
	keys := map[string]bool{}
	for _, f := range personFields {
		keys["registry.field."+f] = true
	}
	for _, k := range []string{"registry.sex.male", "registry.sex.female", "registry.status.living", "registry.status.deceased",
		"registry.marital.single", "registry.marital.married", "registry.marital.divorced", "registry.marital.widowed"} {
		keys[k] = true
	}
	for _, f := range []string{"name", "birth_date", "commune"} {
		keys["registry.search."+f], keys["registry.search."+f+".hint"] = true, true
	}
	re := regexp.MustCompile(`"(registry\.[a-z_.]+)"`)
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
	// Audit actions, fault codes and prefixes, not messages.
	for _, k := range []string{"registry.clerk", "registry.signin", "registry.signout", "registry.signin.form", "registry.form", "registry.form.version",
		"registry.hint.", "registry.field.", "registry.search.", "registry.sex.", "registry.marital.", "registry.status.", "registry.status.%s"} {
		delete(keys, k)
	}
	for k := range keys {
		if web.T(web.LangVI, k) == k {
			t.Errorf("no Vietnamese message %q", k)
		}
		if web.T(web.LangEN, k) == web.T(web.LangVI, k) {
			t.Errorf("no English message %q", k)
		}
	}
	if len(keys) < 60 {
		t.Fatalf("only %d keys found", len(keys))
	}
}
