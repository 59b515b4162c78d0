package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// TestLockout: wrong passwords lock an account after limit.Threshold
// tries, with exactly the answers an unknown account gets, and the lock
// is audited.
func TestLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		lan := e.demo.Citizens[1]
		b := e.browser()
		signin := func(user, pw string) (int, string) {
			_, page := b.get(e.url + "/login")
			resp, page := b.submit(page, "/login", map[string]string{"username": user, "password": pw})
			return resp.StatusCode, byID(page, "signin-error")
		}
		var unknown, known []string
		for range 6 {
			_, m := signin("001199000001", "mat-khau-sai-123")
			unknown = append(unknown, m)
		}
		for range 6 {
			_, m := signin(lan.PersonalID, "mat-khau-sai-123")
			known = append(known, m)
		}
		if !slices.Equal(unknown, known) {
			t.Fatalf("an unknown account and a known one get different answers:\n%q\n%q", unknown, known)
		}
		if !strings.Contains(known[5], "tạm thời bị khóa") || !strings.Contains(known[5], "Quên mật khẩu") {
			t.Fatalf("the sixth answer does not say the sign-in is locked and what to do: %q", known[5])
		}
		// Locked: the right password is refused, with the same answer.
		st, m := signin(lan.PersonalID, lan.Password)
		_, mu := signin("001199000001", "mat-khau-sai-123")
		if st != http.StatusUnauthorized || m != mu {
			t.Fatalf("the right password on a locked account: %d %q (unknown account: %q)", st, m, mu)
		}
		if _, page := b.get(e.url + "/account"); !strings.Contains(b.last, "/login?next=") || !strings.Contains(page, `action="/login"`) {
			t.Fatalf("a locked sign-in gave a session (at %s)", b.last)
		}
		acc, _ := e.s.AccountByUsername(context.Background(), lan.PersonalID)
		entries, _ := audit.List(context.Background(), db, audit.Query{Object: accountObject(acc.ID), Action: "identity.lockout"})
		if len(entries) == 0 {
			t.Fatal("the lockout was not audited")
		}
		failed, _ := audit.List(context.Background(), db, audit.Query{Object: "identity/usernames/001199000001", Action: "identity.signin"})
		if len(failed) < 6 {
			t.Fatalf("failed sign-ins of an unknown account audited %d times", len(failed))
		}
	})
}

// TestSignUp: the registry must confirm the person; a mismatch is refused
// without saying which field differs.
func TestSignUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.verify = func(id, name, birth string) bool {
			return id == "001090000123" && name == "Phạm Văn An" && birth == "1990-01-02"
		}
		b := e.browser()
		_, page := b.get(e.url + "/signup")
		fields := map[string]string{"personal_id": "001090000123", "full_name": "Phạm Văn Ân", "birth_date": "02/01/1990", "email": "an.pham@example.vn",
			"password": "cay-bang-truoc-ngo-90", "password2": "cay-bang-truoc-ngo-90"}
		resp, page := b.submit(page, "/signup", fields)
		notice := byID(page, "signup-notice")
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(notice, "không khớp") {
			t.Fatalf("a registry mismatch: %d %q", resp.StatusCode, notice)
		}
		for _, leak := range []string{"Họ và tên không", "tên không đúng", "ngày sinh không đúng"} {
			if strings.Contains(notice, leak) {
				t.Errorf("the refusal says which field differs: %q", notice)
			}
		}
		if _, err := e.s.AccountByUsername(context.Background(), "001090000123"); !fault.Is(err, fault.NotFound) {
			t.Fatal("an account exists after a refused sign-up")
		}
		// A weak password is refused beside its field, before the registry.
		fields["full_name"], fields["password"], fields["password2"] = "Phạm Văn An", "1234567890", "1234567890"
		_, page = b.submit(page, "/signup", fields)
		if !strings.Contains(page, `id="password-error"`) {
			t.Fatalf("a weak password was not refused beside its field:\n%s", page)
		}
		fields["password"], fields["password2"] = "cay-bang-truoc-ngo-90", "cay-bang-truoc-ngo-90"
		resp, page = b.submit(page, "/signup", fields)
		if resp.StatusCode != 200 || !strings.Contains(b.last, "/account?welcome=1") || !strings.Contains(page, "Phạm Văn An") {
			t.Fatalf("sign-up: %d at %s", resp.StatusCode, b.last)
		}
		acc, err := e.s.AccountByUsername(context.Background(), "001090000123")
		if err != nil || acc.Kind != Citizen || acc.Sex != "male" || acc.MaxLevel() != 1 {
			t.Fatalf("signed-up account: %+v %v", acc, err)
		}
		if n := countAudit(t, e, "identity.signup"); n < 2 {
			t.Errorf("sign-ups audited %d times", n)
		}
		// Verify the email address with a code sent there.
		_, page = b.submit(page, "/account/contact/send", nil)
		code := e.waitMessage("an.pham@example.vn")
		_, page = b.submit(page, "/account/contact/verify", map[string]string{"code": code})
		if acc, _ := e.s.AccountByUsername(context.Background(), "001090000123"); !acc.EmailVerified || !strings.Contains(page, "Đã xác minh.") {
			t.Fatalf("email not verified:\n%s", byID(page, "account-error"))
		}
	})
}

var codeRe = regexp.MustCompile(`\b(\d{6})\b`)

func (e *testEnv) waitMessage(to string) string {
	e.t.Helper()
	for range 200 {
		for _, m := range e.messages() {
			if m.to == to {
				if c := codeRe.FindStringSubmatch(m.body); c != nil {
					return c[1]
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("no message to %s", to)
	return ""
}

// TestForgotPassword: the same answer for any username, a code sent to the
// verified contact, and a reset that ends the account's sessions.
func TestForgotPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		lan := e.demo.Citizens[1]
		b := e.browser()
		_, page := b.get(e.url + "/forgot")
		_, unknownPage := b.submit(page, "/forgot", map[string]string{"username": "001199000009"})
		_, page = b.get(e.url + "/forgot")
		_, page = b.submit(page, "/forgot", map[string]string{"username": lan.PersonalID})
		strip := func(s string) string { return strings.ReplaceAll(s, url.QueryEscape(lan.PersonalID), "") }
		if !strings.Contains(page, "Nếu tài khoản tồn tại") || strings.Count(strip(page), "Nếu tài khoản tồn tại") != strings.Count(unknownPage, "Nếu tài khoản tồn tại") {
			t.Fatal("the answer differs for a known and an unknown account")
		}
		code := e.waitMessage(lan.Email)
		_, page = b.submit(page, "/forgot/reset", map[string]string{"username": lan.PersonalID, "code": "000000", "password": "hoa-sua-mua-thu-2025", "password2": "hoa-sua-mua-thu-2025"})
		if !strings.Contains(page, `id="code-error"`) {
			t.Fatalf("a wrong code was not refused:\n%s", page)
		}
		_, page = b.submit(page, "/forgot/reset", map[string]string{"username": lan.PersonalID, "code": code, "password": "hoa-sua-mua-thu-2025", "password2": "hoa-sua-mua-thu-2025"})
		if !strings.Contains(page, "Mật khẩu đã được đặt lại") {
			t.Fatalf("reset not confirmed at %s:\n%s", b.last, page)
		}
		_, page = b.submit(page, "/login", map[string]string{"username": lan.PersonalID, "password": "hoa-sua-mua-thu-2025"})
		if !strings.Contains(page, "Tài khoản của tôi") {
			t.Fatalf("the new password does not sign in:\n%s", byID(page, "signin-error"))
		}
		for _, m := range e.messages() {
			if strings.Contains(m.to, "001199000009") {
				t.Fatal("a message went out for an unknown account")
			}
		}
	})
}

// TestAccountPage: sessions, connected services with withdrawal (which
// revokes the client's tokens), and the sign-in history.
func TestAccountPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		lan := e.demo.Citizens[1]
		rp := newRelyingParty(t, e, gooidc.ScopeOpenID, "email")
		b := e.browser()
		_, page, verifier, state, _ := rp.authorize(b)
		_, page = b.submit(page, "/login", map[string]string{"username": lan.PersonalID, "password": lan.Password})
		resp, _ := b.submit(page, "/login/consent", map[string]string{"decision": "allow"})
		tok, err := rp.conf.Exchange(ctx, rp.callback(resp, state).Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		_, page = b.get(e.url + "/account")
		for _, want := range []string{"Tài khoản của tôi", "Trần Thị Lan", "Phiên này", "Ứng dụng mẫu Dịch vụ công (demo)", "Địa chỉ thư điện tử", "Đăng nhập bằng mật khẩu", "Đồng ý cung cấp thông tin"} {
			if !strings.Contains(page, want) {
				t.Errorf("the account page does not show %q", want)
			}
		}
		_, page = b.submit(page, "/account/consents/withdraw", map[string]string{"client": DemoPublicClient})
		if !strings.Contains(page, "Đã rút lại sự đồng ý") || strings.Contains(page, `data-client="`+DemoPublicClient+`"`) {
			t.Fatalf("withdrawal not shown:\n%s", page)
		}
		if in := e.introspect(tok.AccessToken, ""); in["active"] != false {
			t.Fatalf("a withdrawn consent leaves the client's token active: %v", in)
		}
		// The next request asks again.
		_, page, _, _, _ = rp.authorize(b)
		if !strings.Contains(page, `action="/login/consent"`) {
			t.Fatal("no new consent asked after withdrawal")
		}
		// Ending the current session signs out.
		_, page = b.get(e.url + "/account")
		_, page = b.submit(page, "/account/sessions/end", nil)
		if !strings.Contains(page, "Bạn đã đăng xuất") {
			t.Fatalf("ending the current session:\n%s", page)
		}
	})
}

// TestAdminAPI registers clients through /identity/v1/clients.
func TestAdminAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		call := func(method, path, token string, body any) (int, map[string]any) {
			var rd *bytes.Reader
			if body != nil {
				b, _ := json.Marshal(body)
				rd = bytes.NewReader(b)
			} else {
				rd = bytes.NewReader(nil)
			}
			req, _ := http.NewRequest(method, e.url+path, rd)
			req.Header.Set("Content-Type", "application/json")
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			json.NewDecoder(resp.Body).Decode(&out)
			return resp.StatusCode, out
		}
		c := map[string]any{"client_id": "cong-dvc", "name": "Cổng Dịch vụ công", "purpose": "Nộp hồ sơ trực tuyến", "redirect_uris": []string{"https://dichvucong.example.vn/cb"},
			"grant_types": []string{"authorization_code", "refresh_token"}, "scopes": []string{"openid", "profile", "offline_access"}, "min_level": 2}
		if st, _ := call("POST", "/identity/v1/clients", "", c); st != http.StatusUnauthorized {
			t.Fatalf("no token: %d", st)
		}
		st, out := call("POST", "/identity/v1/clients", testAdminToken, c)
		if st != http.StatusCreated || out["client_secret"] == nil {
			t.Fatalf("create: %d %v", st, out)
		}
		c["client_id"], c["redirect_uris"] = "bad", []string{"http://example.vn/cb"}
		st, out = call("POST", "/identity/v1/clients", testAdminToken, c)
		if st != http.StatusUnprocessableEntity || !strings.Contains(toJSON(out["errors"]), "https") {
			t.Fatalf("an http redirect URI: %d %v", st, out)
		}
		st, out = call("GET", "/identity/v1/clients", testAdminToken, nil)
		if st != 200 || out["total"].(float64) < 3 {
			t.Fatalf("list: %d %v", st, out)
		}
		if st, _ := call("DELETE", "/identity/v1/clients/cong-dvc", testAdminToken, nil); st != http.StatusNoContent {
			t.Fatalf("disable: %d", st)
		}
		if _, err := e.s.GetClientByClientID(context.Background(), "cong-dvc"); err == nil {
			t.Fatal("a disabled client is still served")
		}
		nam := e.demo.Representative
		acc, _ := e.s.AccountByUsername(context.Background(), nam.PersonalID)
		if st, out := call("PUT", "/identity/v1/accounts/"+acc.ID+"/enterprises", testAdminToken, map[string]any{"enterprises": []string{"0101234567"}}); st != http.StatusUnprocessableEntity {
			t.Fatalf("an invalid tax code: %d %v", st, out)
		}
	})
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestServiceRules covers rules below the pages: pairwise subjects,
// demo idempotence, refresh family revocation.
func TestServiceRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		if e.s.pairwise("a.example.vn", "acc_1") == e.s.pairwise("b.example.vn", "acc_1") {
			t.Fatal("two sectors see the same sub")
		}
		again, err := e.s.Demo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again.Citizens[0].TOTPSecret != e.demo.Citizens[0].TOTPSecret || len(again.Officials) != 2*len(OfficialRoles) {
			t.Fatal("a second Demo run changed the accounts")
		}
		if again.Citizens[0].PersonalID != "001089012345" || len(again.Representative.Enterprises) != 2 {
			t.Fatalf("demo accounts: %+v", again.Representative)
		}
		off, err := e.s.AccountByUsername(ctx, "badinh.tiepnhan")
		if err != nil || off.Agency != DemoAgencyBaDinh || !slices.Contains(off.Roles, RoleReceptionist) {
			t.Fatalf("demo official: %+v %v", off, err)
		}
		// An official's access token carries the agency and roles.
		claims, _ := e.s.GetPrivateClaimsFromRequest(ctx, &authRequest{AccountID: off.ID, Req: storedRequest{Scopes: []string{"openid", ScopeOfficial}}}, nil)
		if claims["agency"] != DemoAgencyBaDinh {
			t.Fatalf("official claims: %v", claims)
		}
		if _, err := e.s.LinkEnterprises(ctx, audit.Actor{Subject: "t"}, off.ID, demoTaxCodes()); err == nil {
			t.Fatal("an official was linked to enterprises")
		}
	})
}

// TestConsole registers a client through the console pages.
func TestConsole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		b := e.browser()
		_, page := b.get(e.url + "/identity/clients")
		if !strings.Contains(page, `action="/identity/signin"`) {
			t.Fatalf("the registry is open without signing in:\n%s", page)
		}
		_, page = b.submit(page, "/identity/signin", map[string]string{"token": "wrong"})
		if !strings.Contains(page, "Mã quản trị không đúng") {
			t.Fatal("a wrong token was not refused")
		}
		_, page = b.submit(page, "/identity/signin", map[string]string{"token": testAdminToken})
		if !strings.Contains(page, DemoPublicClient) || !strings.Contains(page, DemoConfidentialClient) {
			t.Fatalf("the client list:\n%s", page)
		}
		_, page = b.get(e.url + "/identity/clients/new")
		form := url.Values{"client_id": {"cong-dvc"}, "name": {"Cổng Dịch vụ công"}, "purpose": {"Nộp hồ sơ trực tuyến"}, "type": {"confidential"},
			"token_endpoint_auth_method": {"client_secret_basic"}, "redirect_uris": {"http://dichvucong.example.vn/cb"}, "grant_types": {"authorization_code"},
			"scopes": {"openid", "profile"}, "min_level": {"2"}}
		post := func(action string, f url.Values) (*http.Response, string) {
			req, _ := http.NewRequest("POST", e.url+action, strings.NewReader(f.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			return b.do(req)
		}
		resp, page := post("/identity/clients/new", form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "https") {
			t.Fatalf("an http redirect URI: %d", resp.StatusCode)
		}
		form.Set("redirect_uris", "https://dichvucong.example.vn/cb")
		resp, page = post("/identity/clients/new", form)
		if resp.StatusCode != http.StatusCreated || byID(page, "client-secret") == "" {
			t.Fatalf("register: %d\n%s", resp.StatusCode, page)
		}
		c, err := e.s.Client(context.Background(), "cong-dvc")
		if err != nil || c.MinLevel != 2 || !c.checkSecret(byID(page, "client-secret")) {
			t.Fatalf("registered client: %+v %v", c, err)
		}
		resp, _ = post("/identity/clients/cong-dvc/disable", nil)
		if c, _ := e.s.Client(context.Background(), "cong-dvc"); c.Status != Disabled {
			t.Fatalf("disable: %d %s", resp.StatusCode, c.Status)
		}
	})
}
