package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/identity"
	"github.com/vngov/vngov/internal/notify"
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
	if err := serveNotifications(ctx, k, cs); err != nil {
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

// serveNotifications wires email and SMS where this node runs the dossier
// engine or the identity provider: messages are stored in the notify
// tables and, with --smtp-addr, emailed through that server (SMS needs a
// provider's gateway, which is not built in: SMS are stored only).
// Applicants hear of their dossiers' steps; the identity provider sends
// its one-time codes.
func serveNotifications(ctx context.Context, k *kernel.Kernel, cs []kernel.Component) error {
	var d *dossier.Component
	var idc *identity.Component
	for _, c := range cs {
		switch c := c.(type) {
		case *dossier.Component:
			d = c
		case *identity.Component:
			idc = c
		}
	}
	if d == nil && idc == nil {
		return nil
	}
	if err := k.DB.Migrate(ctx, "notify", notify.Migrations()); err != nil {
		return err
	}
	cfg := k.Config
	svc := notify.New(k.DB, &notify.SMTPConfig{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, RequireTLS: cfg.SMTPRequireTLS})
	if cfg.SMTPAddr == "" {
		k.Log.Warn("notify: no --smtp-addr: email notifications and one-time codes are stored, not sent")
	}
	if idc != nil && idc.Svc.Notifier == nil {
		idc.Svc.Notifier = identity.NotifierFunc(func(ctx context.Context, channel, to, subject, body string) error {
			return svc.Send(ctx, notify.Message{Channel: channel, To: to, Subject: subject, Body: body})
		})
	}
	if d != nil {
		n := notify.NewNotifier(svc, d.Svc, k.Log)
		n.PortalURL = cfg.PublicURL
		n.AgencyName = func(code string) string { return d.Svc.AgencyName(code) }
		if _, err := n.Subscribe(k.Context(), k.Bus); err != nil {
			return err
		}
		k.Go(func() { n.Run(k.Context()) })
	}
	return nil
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
