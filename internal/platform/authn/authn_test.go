package authn

import (
	"net/http/httptest"
	"testing"

	"github.com/vngov/vngov/internal/platform/fault"
)

func TestStaticToken(t *testing.T) {
	v := NewStaticToken("s3cret", "admin-token", RoleCatalogAdmin)
	for _, tc := range []struct {
		header string
		ok     bool
	}{
		{"Bearer s3cret", true},
		{"bearer s3cret", true},
		{"Bearer wrong", false},
		{"Basic s3cret", false},
		{"", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		p, err := v.Verify(r)
		if tc.ok != (err == nil) || (tc.ok && !p.Has(RoleCatalogAdmin)) {
			t.Errorf("%q: p=%v err=%v", tc.header, p, err)
		}
		if err != nil && !fault.Is(err, fault.Unauthenticated) {
			t.Errorf("%q: kind %v", tc.header, fault.KindOf(err))
		}
	}
	empty := NewStaticToken("", "x")
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer ")
	if _, err := empty.Verify(r); err == nil {
		t.Error("empty token accepted")
	}
}
