package portal

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/identity/totp"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// TestSignInStepUpAndSignOut runs the portal as a relying party of the
// real identity provider: a level-1 sign-in from the home page, then a
// procedure that needs level 2 sends the person back for the second
// factor only (step-up), the session carries the personal id, name and
// level, a forged state is refused, and signing out ends both sessions.
func TestSignInStepUpAndSignOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		idp, register := newIdP(t, db)
		e := newEnv(t, db, register)
		minhAcc := idp.demo.Citizens[0]
		b := newBrowser(t)

		// Level 1, from the home page's sign-in link.
		page := b.get(e.url + "/dang-nhap?next=%2Fho-so")
		if !strings.HasPrefix(b.last, idp.url+"/login") || !strings.Contains(page, `action="/login"`) {
			t.Fatalf("the sign-in did not reach the provider's form (at %s):\n%s", b.last, page)
		}
		page = b.submit(page, "/login", map[string]string{"username": minhAcc.PersonalID, "password": minhAcc.Password})
		if !strings.Contains(page, `action="/login/consent"`) {
			t.Fatalf("a level-1 sign-in asked for more than the password:\n%s", page)
		}
		page = b.submit(page, "/login/consent", map[string]string{"decision": "allow"})
		if !strings.HasPrefix(b.last, e.url+"/ho-so") || b.status != 200 || !strings.Contains(page, "Hồ sơ của tôi") || !strings.Contains(page, "Nguyễn Văn Minh") {
			t.Fatalf("after the sign-in: %d at %s\n%s", b.status, b.last, page)
		}
		if !strings.Contains(page, "Mức độ 1") {
			t.Error("the session is not at level 1")
		}

		// A procedure that needs level 2: step-up to the second factor.
		b.stop = func(r *http.Request) bool { return strings.HasPrefix(r.URL.String(), idp.url+"/login/otp") }
		b.get(e.url + "/thu-tuc/1.001193/nop")
		b.stop = nil
		loc := b.hdr.Get("Location")
		if !strings.Contains(loc, "/login/otp") {
			t.Fatalf("no step-up to the second factor: %d %s", b.status, loc)
		}
		page = b.get(resolve(b.last, loc))
		code, _ := totp.Code(minhAcc.TOTPSecret, time.Now())
		page = b.submit(page, "/login/otp", map[string]string{"code": code})
		if strings.Contains(page, `action="/login/consent"`) {
			page = b.submit(page, "/login/consent", map[string]string{"decision": "allow"})
		}
		if b.last != e.url+"/thu-tuc/1.001193/nop" || !strings.Contains(page, "Đồng ý cung cấp thông tin") {
			t.Fatalf("after the step-up: at %s\n%s", b.last, page)
		}
		c, ok := e.p.Citizen(reqWithCookies(b, e.url))
		if !ok || c.ID != minhID || c.Name != "Nguyễn Văn Minh" || c.ACR != ACRLevel2 || c.Email != "minh.nguyen@example.vn" {
			t.Fatalf("session: %+v %v", c, ok)
		}

		// A callback with a state that is not the one sent.
		page = b.get(e.url + CallbackPath + "?code=x&state=forged")
		if b.status != http.StatusUnauthorized || !strings.Contains(page, "Đăng nhập không thành công") {
			t.Fatalf("forged state: %d\n%s", b.status, page)
		}
		// Someone else's path after sign-in is not followed.
		if got := safeNext("https://evil.example/"); got != "/ho-so" {
			t.Errorf("safeNext kept %q", got)
		}

		// Sign out: the portal's session ends, then the provider's.
		page = b.get(e.url + "/dang-xuat")
		b.stop = func(r *http.Request) bool { return strings.HasPrefix(r.URL.String(), idp.url) }
		b.submit(page, "/dang-xuat", nil)
		b.stop = nil
		loc = b.hdr.Get("Location")
		u, _ := url.Parse(loc)
		if !strings.HasPrefix(loc, idp.url+"/end_session") || u.Query().Get("id_token_hint") == "" || u.Query().Get("post_logout_redirect_uri") != e.url+"/" {
			t.Fatalf("sign-out redirect: %q", loc)
		}
		if csp := b.hdr.Get("Content-Security-Policy"); csp == "" {
			t.Error("no CSP")
		}
		b.get(loc)
		if b.last != e.url+"/" {
			t.Fatalf("after the provider's sign-out: at %s", b.last)
		}
		if _, ok := e.p.Citizen(reqWithCookies(b, e.url)); ok {
			t.Fatal("still signed in to the portal")
		}
		// And at the provider: a new sign-in asks for the password again.
		page = b.get(e.url + "/dang-nhap")
		if !strings.Contains(page, `action="/login"`) {
			t.Fatalf("still signed in at the provider (at %s)", b.last)
		}
	})
}

func resolve(base, ref string) string {
	u, _ := url.Parse(base)
	r, _ := u.Parse(ref)
	return r.String()
}

// reqWithCookies is a request carrying the browser's cookies for site.
func reqWithCookies(b *browser, site string) *http.Request {
	req, _ := http.NewRequest("GET", site+"/", nil)
	u, _ := url.Parse(site)
	for _, c := range b.c.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	return req
}
