package portal

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/vngov/vngov/internal/identity/limit"
	"github.com/vngov/vngov/internal/platform/kernel"
)

// Component runs the portal in a process (role "portal"). The process
// wires it before Start: Procedures and Dossiers (required), OIDC (the
// portal's client at the identity provider), and the optional Registry,
// Wallet, Payments, Visits, Agencies and FormTargets of the Portal.
type Component struct {
	k *kernel.Kernel

	Procedures Procedures
	Dossiers   Dossiers
	OIDC       OIDC
	// SessionKey signs sessions (32 bytes or more); empty: random.
	SessionKey []byte
	// Configure, when set, is called with the Portal once it exists (at
	// Start) to set its optional parts.
	Configure func(p *Portal) error

	// Portal exists after Start.
	Portal *Portal
}

// NewComponent returns the portal component on k.
func NewComponent(k *kernel.Kernel) (*Component, error) { return &Component{k: k}, nil }

var _ kernel.Component = (*Component)(nil)

// Name is the role name.
func (c *Component) Name() string { return "portal" }

// Migrations are the portal's tables.
func (c *Component) Migrations() fs.FS { return Migrations() }

// Start builds the pages and starts the pruning of old drafts.
func (c *Component) Start(ctx context.Context) error {
	if c.Procedures == nil || c.Dossiers == nil {
		return fmt.Errorf("portal: the procedures database and the dossier engine must be wired before Start")
	}
	// The lookup's lockout counts live in the limiter's table.
	if err := c.k.DB.Migrate(ctx, "limit", limit.Migrations()); err != nil {
		return err
	}
	p, err := New(c.k.DB, Options{Procedures: c.Procedures, Dossiers: c.Dossiers, OIDC: c.OIDC, SessionKey: c.SessionKey, TrustProxy: c.k.Config.TrustProxy})
	if err != nil {
		return err
	}
	if c.Configure != nil {
		if err := c.Configure(p); err != nil {
			return fmt.Errorf("portal: configure: %w", err)
		}
	}
	c.Portal = p
	c.k.Go(func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := p.drafts.prune(ctx); err != nil {
					c.k.Log.Warn("portal: prune drafts", "err", err)
				}
			}
		}
	})
	return nil
}

// Routes mounts the portal's pages.
func (c *Component) Routes(mux *http.ServeMux) {
	if c.Portal != nil {
		c.Portal.Routes(mux)
	}
}
