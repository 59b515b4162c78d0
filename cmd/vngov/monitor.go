package main

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"time"

	"github.com/vngov/vngov/internal/catalog"
	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/monitor"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/procedure"
)

// runMonitor runs the monitor's commands: "rebuild" recomputes its tables
// from the dossier engine's permanent event log.
func runMonitor(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "rebuild" {
		return fmt.Errorf("usage: vngov monitor rebuild [--data-dir DIR | --database-url URL]")
	}
	fset, cfg, err := flags("monitor rebuild")
	if err != nil {
		return err
	}
	if err := parse(fset, cfg, args[1:]); err != nil {
		return err
	}
	// The store only: a running demo keeps its bus, and the live consumer
	// goes on; the rebuild folds in what it applied meanwhile.
	db, err := store.Open(ctx, store.Config{URL: cfg.DatabaseURL, Path: cfg.SQLitePath(), Synchronous: cfg.SQLiteSync})
	if err != nil {
		return err
	}
	defer db.Close()
	for _, m := range []struct {
		name string
		fsys fs.FS
	}{{"dossier", dossier.Migrations()}, {"monitor", monitor.Migrations()}} {
		if err := db.Migrate(ctx, m.name, m.fsys); err != nil {
			return err
		}
	}
	svc := monitor.New(db, nil, newLogger(cfg.LogLevel))
	svc.UseEvents(dossier.New(db, procedure.New(db), nil))
	res, err := svc.Rebuild(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("monitor rebuilt from the dossier event log: %d events, %d dossiers in %.2f s (%s)\n", res.Events, res.Dossiers, res.Took.Seconds(), db.Dialect())
	return nil
}

// wireMonitor connects the monitor with the components of the same
// process it reads from: the dossier engine's event log, the procedures
// database, the catalogs and the exchange's message log.
func wireMonitor(k *kernel.Kernel, out []kernel.Component) {
	var m *monitor.Component
	for _, c := range out {
		if mc, ok := c.(*monitor.Component); ok {
			m = mc
		}
	}
	if m == nil {
		return
	}
	for _, c := range out {
		switch x := c.(type) {
		case *dossier.Component:
			m.Svc.UseEvents(x.Svc)
		case *procedure.Component:
			m.Svc.UseProcedures(x.Svc)
		case *catalog.Component:
			m.Svc.UseCatalog(x.Svc)
		case *exchange.Component:
			m.Svc.UseTraffic(exchangeTraffic(k.DB))
		}
	}
}

// exchangeTraffic counts the calls the exchange's gateways served, from
// their message logs: each call is logged by the client's gateway and by
// the provider's, so only the provider side is counted. msglog.Counts
// cannot tell the sides apart, so the records are listed, a page at a
// time, up to maxTrafficRecords (the most recent).
func exchangeTraffic(db *store.DB) monitor.TrafficSource {
	const page, maxTrafficRecords = 1000, 100000
	return monitor.TrafficFunc(func(ctx context.Context, from, to time.Time) (monitor.ServiceCalls, error) {
		counts := map[string]*monitor.ServiceCount{}
		var order []string
		out := monitor.ServiceCalls{}
		for off := 0; ; off += page {
			if off >= maxTrafficRecords {
				out.Truncated = true
				break
			}
			recs, err := msglog.List(ctx, db, msglog.Filter{From: from, To: to, Limit: page, Offset: off})
			if err != nil {
				return out, err
			}
			for _, r := range recs {
				if r.Side != msglog.SideProvider {
					continue
				}
				c := counts[r.Service]
				if c == nil {
					c = &monitor.ServiceCount{Service: r.Service}
					counts[r.Service] = c
					order = append(order, r.Service)
				}
				c.Calls++
				if r.Status >= 400 || r.ErrorType != "" {
					c.Failed++
				}
			}
			if len(recs) < page {
				break
			}
		}
		for _, s := range order {
			out.Services = append(out.Services, *counts[s])
		}
		sort.Slice(out.Services, func(i, j int) bool {
			a, b := out.Services[i], out.Services[j]
			if a.Calls != b.Calls {
				return a.Calls > b.Calls
			}
			return a.Service < b.Service
		})
		return out, nil
	})
}
