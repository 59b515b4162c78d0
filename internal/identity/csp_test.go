package identity

import (
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// TestFormActionAllowsClient: the pages of an authorization request let
// their forms' redirects end at the client (browsers apply form-action to
// every redirect after a form), and other pages keep form-action 'self'.
func TestFormActionAllowsClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		rp := newRelyingParty(t, e, "openid", "profile")
		b := e.browser()
		resp, page, _, _, _ := rp.authorize(b, oauth2.SetAuthURLParam("acr_values", ACRLevel2))
		if !strings.Contains(page, `action="/login"`) {
			t.Fatalf("no sign-in form:\n%s", page)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "form-action 'self' http://127.0.0.1:8765;") {
			t.Errorf("sign-in page of an authorization request: %q", csp)
		}
		resp, _ = b.get(e.url + "/login")
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self';") {
			t.Errorf("sign-in page without a request: %q", csp)
		}
	})
}
