package identity

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/vngov/vngov/internal/platform/config"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// TestComponent runs the component as a process does: kernel, Start
// (limiter migration, keys, provider), Routes behind kernel.Handler, the
// issuer set to the server's URL, and the demo's clients.
func TestComponent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cfg := &config.Config{DataDir: t.TempDir(), SQLiteSync: "normal", NATSReplicas: 1, Roles: "identity", LogLevel: "error", Instance: "VN-TEST", AdminToken: "tok", Listen: "127.0.0.1:0"}
		if db.Dialect() == store.Postgres {
			cfg.DatabaseURL, _ = storetest.SchemaURL(t)
		}
		k, err := kernel.Open(ctx, cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(k.Close)
		c, err := NewComponent(k)
		if err != nil {
			t.Fatal(err)
		}
		var h http.Handler
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
		t.Cleanup(srv.Close)
		c.Issuer = srv.URL
		if err := k.Start(ctx, c); err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		c.Routes(mux)
		h = k.Handler(c.Name(), mux, CrossOriginBypass...)
		demo, err := c.Svc.Demo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if demo.Issuer != srv.URL || c.IssuerURL() != srv.URL {
			t.Fatalf("issuer %q / %q, want %q", demo.Issuer, c.IssuerURL(), srv.URL)
		}
		resp, err := http.Get(srv.URL + PathDiscovery)
		if err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		json.NewDecoder(resp.Body).Decode(&d)
		resp.Body.Close()
		if d["issuer"] != srv.URL {
			t.Fatalf("discovery issuer %v", d["issuer"])
		}
		var secret string
		for _, dc := range demo.Clients {
			if dc.ClientID == DemoConfidentialClient {
				secret = dc.Secret
			}
		}
		cc := clientcredentials.Config{ClientID: DemoConfidentialClient, ClientSecret: secret, TokenURL: srv.URL + PathToken, AuthStyle: oauth2.AuthStyleInHeader}
		if _, err := cc.Token(ctx); err != nil {
			t.Fatalf("client_credentials through the component: %v", err)
		}
		// A browser app on another site may call the token endpoint (the
		// bypass), but not post the sign-in form.
		for path, want := range map[string]int{PathToken: 200, "/login": http.StatusForbidden} {
			req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader("grant_type=client_credentials&username=a&password=b"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "https://app.example.vn")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			req.SetBasicAuth(DemoConfidentialClient, secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("cross-site POST %s: %d, want %d", path, resp.StatusCode, want)
			}
			if path == PathToken && resp.Header.Get("Access-Control-Allow-Origin") == "" {
				t.Error("the token endpoint answers without CORS")
			}
		}
		resp, err = http.Get(srv.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "form-action 'self'") {
			t.Fatalf("sign-in page: %d", resp.StatusCode)
		}
		if err := c.Svc.Cleanup(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
