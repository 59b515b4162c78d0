package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/web"
)

func runServe(ctx context.Context, args []string) error {
	fs, cfg, err := flags("serve")
	if err != nil {
		return err
	}
	if err := parse(fs, cfg, args); err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	k, err := kernel.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer k.Close()
	cs, err := components(k)
	if err != nil {
		return err
	}
	if err := k.Start(ctx, cs...); err != nil {
		return err
	}
	mux := http.NewServeMux()
	for _, c := range cs {
		c.Routes(mux)
	}
	mountCommon(mux, k, cs[0].Name())
	srv := web.NewServer("vngov", cfg.Listen, k.Handler("vngov", mux), log)
	if err := srv.Start(); err != nil {
		return err
	}
	log.Info("vngov serving", "addr", srv.Addr(), "roles", cfg.Roles, "store", k.DB.Dialect(), "version", buildVersion())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// mountCommon adds health, metrics, static assets and a home redirect to
// the first component's pages.
func mountCommon(mux *http.ServeMux, k *kernel.Kernel, home string) {
	k.Health.Mount(mux)
	mux.Handle(web.StaticPrefix, web.StaticHandler())
	// A component with a home page of its own (the portal) keeps it.
	if _, pattern := mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/"}}); pattern == "" {
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/"+home+"/", http.StatusFound)
		})
	}
	mux.Handle("/", web.PageNotFound)
}

func runMigrate(ctx context.Context, args []string) error {
	fs, cfg, err := flags("migrate")
	if err != nil {
		return err
	}
	if err := parse(fs, cfg, args); err != nil {
		return err
	}
	k, err := kernel.Open(ctx, cfg, newLogger(cfg.LogLevel))
	if err != nil {
		return err
	}
	defer k.Close()
	cs, err := components(k)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := k.DB.Migrate(ctx, c.Name(), c.Migrations()); err != nil {
			return err
		}
		fmt.Printf("migrated %s (%s)\n", c.Name(), k.DB.Dialect())
	}
	return nil
}

func runAudit(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("usage: vngov audit verify [--data-dir DIR | --database-url URL]")
	}
	fs, cfg, err := flags("audit verify")
	if err != nil {
		return err
	}
	if err := parse(fs, cfg, args[1:]); err != nil {
		return err
	}
	db, err := store.Open(ctx, store.Config{URL: cfg.DatabaseURL, Path: cfg.SQLitePath()})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, "audit", audit.Migrations()); err != nil {
		return err
	}
	rep, err := audit.Verify(ctx, db)
	if err != nil {
		return err
	}
	if !rep.OK {
		fmt.Printf("audit trail BROKEN at row %d: %s (%d rows checked)\n", rep.BadSeq, rep.Reason, rep.Rows)
		return exitCode(3)
	}
	fmt.Printf("audit trail intact: %d rows, head %s\n", rep.Rows, rep.LastHash)
	return nil
}
