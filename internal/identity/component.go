package identity

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/vngov/vngov/internal/identity/limit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/web"
)

// Component runs the identity provider in a vngov process (role
// "identity").
type Component struct {
	k   *kernel.Kernel
	Svc *Service
	// Issuer is the provider's issuer URL, read by Start: empty means
	// k.Config.PublicURL, or else http://<listen address>. A demo that
	// gives identity its own port sets it to that port's URL before Start.
	Issuer string
	// Provider and Pages exist after Start.
	Provider *Provider
	Pages    *Pages
	api      *API
	console  *Console
}

// NewComponent returns the identity component on k. The process sets
// Svc.Verifier (population registry over the exchange) and Svc.Notifier
// (notification service) before Start.
func NewComponent(k *kernel.Kernel) (*Component, error) {
	s := New(k.DB, k.Log)
	return &Component{k: k, Svc: s, api: NewAPI(s, k.Admin)}, nil
}

var _ kernel.Component = (*Component)(nil)

// Demo seeds the demo's accounts and clients (see Service.Demo); call it
// after Start, so that the issuer in what it returns is the final one.
func (c *Component) Demo(ctx context.Context) (DemoAccounts, error) { return c.Svc.Demo(ctx) }

// Name is the role name.
func (c *Component) Name() string { return "identity" }

// Migrations are the identity provider's tables.
func (c *Component) Migrations() fs.FS { return Migrations() }

// IssuerURL returns the issuer Start uses (or used).
func (c *Component) IssuerURL() string {
	switch {
	case c.Issuer != "":
		return c.Issuer
	case c.k.Config.PublicURL != "":
		return c.k.Config.PublicURL
	}
	return "http://" + c.k.Config.Listen
}

// Start migrates the limiter's table, loads (or makes) the instance's
// secrets and signing keys, builds the provider and its pages, and starts
// the background work: key reloads and rotation, and the cleanup of
// expired requests, codes, tokens and sessions.
func (c *Component) Start(ctx context.Context) error {
	if err := c.k.DB.Migrate(ctx, "limit", limit.Migrations()); err != nil {
		return err
	}
	if err := c.Svc.Init(ctx); err != nil {
		return err
	}
	p, err := NewProvider(c.Svc, c.IssuerURL())
	if err != nil {
		return fmt.Errorf("identity: provider for issuer %q: %w", c.IssuerURL(), err)
	}
	pages, err := NewPages(c.Svc, p)
	if err != nil {
		return err
	}
	pages.TrustProxy = c.k.Config.TrustProxy
	c.Provider, c.Pages = p, pages
	c.console = NewConsole(c.Svc, pages, c.k.Admin, c.k.Config.TrustProxy)
	c.k.Health.AddCheck("identity-keys", func(context.Context) error {
		if _, err := c.Svc.SigningKey(ctx); err != nil {
			return err
		}
		return nil
	})
	c.k.Go(func() { c.Svc.Run(ctx) })
	return nil
}

// Routes mounts the protocol endpoints, the pages and the administration
// API. See CrossOriginBypass for what the server's middleware must let
// through.
func (c *Component) Routes(mux *http.ServeMux) {
	c.api.Routes(mux)
	if c.Provider == nil {
		// Not started: the protocol and pages say so rather than 404.
		unavailable := func(w http.ResponseWriter, r *http.Request) {
			web.WriteError(w, r, fault.New(fault.Unavailable, "identity.not_started", "Dịch vụ định danh chưa sẵn sàng", "the identity component has not started"))
		}
		mux.HandleFunc(PathDiscovery, unavailable)
		return
	}
	c.Provider.Routes(mux)
	c.Pages.Routes(mux)
	c.console.Routes(mux)
}

// Run reloads the signing keys (rotating them when due) and deletes what
// has expired, every minute until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.LoadKeys(ctx); err != nil {
				s.log.Warn("identity: reload signing keys", "err", err)
			}
			if err := s.Cleanup(ctx); err != nil {
				s.log.Warn("identity: cleanup", "err", err)
			}
		}
	}
}

// Cleanup deletes expired authorization requests, sessions, grants,
// refresh tokens, revocations, client assertions and one-time codes, and
// the limiter's forgotten counts.
func (s *Service) Cleanup(ctx context.Context) error {
	now := ms(s.now())
	day := int64(24 * time.Hour / time.Millisecond)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"DELETE FROM id_auth_request WHERE expires_at < ?", []any{now}},
		{"DELETE FROM id_session WHERE expires_at < ? OR (ended_at <> 0 AND ended_at < ?)", []any{now - 30*day, now - 30*day}},
		{"DELETE FROM id_refresh_token WHERE expires_at < ?", []any{now - day}},
		{"DELETE FROM id_grant WHERE expires_at < ? OR (revoked_at <> 0 AND revoked_at < ?)", []any{now - day, now - 30*day}},
		{"DELETE FROM id_revoked_token WHERE expires_at < ?", []any{now}},
		{"DELETE FROM id_assertion WHERE expires_at < ?", []any{now}},
		{"DELETE FROM id_otp WHERE expires_at < ?", []any{now - day}},
	} {
		if _, err := s.db.Exec(ctx, q.sql, q.args...); err != nil {
			return fault.Wrap(err, "identity: cleanup")
		}
	}
	_, err := s.limit.Prune(ctx)
	return err
}
