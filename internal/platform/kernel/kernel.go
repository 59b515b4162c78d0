// Package kernel assembles the shared platform for a process: the store,
// the bus and its relay, metrics, health checks and the admin credential,
// and defines the lifecycle every component follows so that `serve` and
// `demo` can run any set of components.
package kernel

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/config"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/web"
)

// Component is one framework component as a process runs it.
type Component interface {
	// Name is the role name: "catalog", "exchange", ...
	Name() string
	// Migrations are the component's numbered SQL migrations.
	Migrations() fs.FS
	// Start prepares the component (seed data, subscriptions) once its
	// tables exist. It must return promptly; background work stops with ctx.
	Start(ctx context.Context) error
	// Routes mounts the component's HTTP handlers.
	Routes(mux *http.ServeMux)
}

// Kernel is the shared platform of one process.
type Kernel struct {
	Config  *config.Config
	Log     *slog.Logger
	DB      *store.DB
	Bus     *bus.Bus
	Relay   *bus.Relay
	Metrics *web.Metrics
	Health  *web.Health
	// Admin verifies administrative credentials.
	Admin authn.Verifier

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Context lives until Close: background work of components uses it, so
// that Close can stop it.
func (k *Kernel) Context() context.Context { return k.ctx }

// Open opens the store and the bus that cfg names, migrates the platform's
// own tables and starts the outbox relay.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Kernel, error) {
	db, err := store.Open(ctx, store.Config{URL: cfg.DatabaseURL, Path: cfg.SQLitePath(), Synchronous: cfg.SQLiteSync})
	if err != nil {
		return nil, err
	}
	for name, m := range map[string]fs.FS{"bus": bus.Migrations(), "audit": audit.Migrations()} {
		if err := db.Migrate(ctx, name, m); err != nil {
			db.Close()
			return nil, err
		}
	}
	b, err := bus.Open(ctx, bus.Config{URL: cfg.NATSURL, Dir: cfg.NATSDir(), Replicas: cfg.NATSReplicas, Name: "vngov"}, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	k := &Kernel{
		Config:  cfg,
		Log:     log,
		DB:      db,
		Bus:     b,
		Relay:   bus.NewRelay(db, b, log),
		Metrics: web.NewMetrics(),
		Admin:   authn.NewStaticToken(cfg.AdminToken, "admin-token", authn.RoleCatalogAdmin, authn.RoleExchangeAdmin, authn.RoleRegistryClerk, authn.RoleAuditor, authn.RoleProcedureAdmin, authn.RoleIdentityAdmin),
	}
	k.Health = web.NewHealth(k.Metrics)
	k.Health.AddCheck("store", db.Ping)
	k.Health.AddCheck("bus", b.Ready)
	k.ctx, k.cancel = context.WithCancel(context.Background())
	k.Go(func() { k.Relay.Run(k.ctx) })
	return k, nil
}

// Go runs fn in the background until Close.
func (k *Kernel) Go(fn func()) {
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		fn()
	}()
}

// Start migrates and starts each component. Components' background work
// runs until Close, whatever ctx does; ctx bounds only the start itself.
func (k *Kernel) Start(ctx context.Context, cs ...Component) error {
	for _, c := range cs {
		if err := k.DB.Migrate(ctx, c.Name(), c.Migrations()); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.Start(k.ctx); err != nil {
			return fmt.Errorf("%s: start: %w", c.Name(), err)
		}
	}
	return nil
}

// Handler returns mux wrapped in the platform middleware for component.
// bypass lists ServeMux patterns exempt from the cross-origin protection
// (an OpenID provider's endpoints that other sites post to).
func (k *Kernel) Handler(component string, mux http.Handler, bypass ...string) http.Handler {
	return web.Wrap(mux, web.Options{Logger: k.Log, Component: component, Metrics: k.Metrics, CrossOrigin: true, TrustProxy: k.Config.TrustProxy, CrossOriginBypass: bypass})
}

// Close stops the relay (after one last pass) and closes the bus and store.
func (k *Kernel) Close() {
	k.cancel()
	k.wg.Wait()
	k.Relay.Once(context.Background())
	k.Bus.Close()
	k.DB.Close()
}

// Example is a ready-to-run request that `vngov demo` prints and writes
// under "examples" in endpoints.json (the demo contract): scripts run them
// as they are.
type Example struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    any               `json:"body"`
	About   string            `json:"about"`
}
