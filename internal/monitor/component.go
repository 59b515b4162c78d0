package monitor

import (
	"context"
	"io/fs"
	"net/http"
	"time"

	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/kernel"
)

// ConsumerName is the monitor's durable consumer of dossier events.
const ConsumerName = "monitor"

// Component runs the monitor in a process (role "monitor"): the consumer
// of dossier events, the API, the dashboard on the console and the public
// scoreboard.
type Component struct {
	k     *kernel.Kernel
	Svc   *Service
	api   *API
	pages *Pages
}

// NewComponent returns the monitor on k.
func NewComponent(k *kernel.Kernel) (*Component, error) {
	svc := New(k.DB, nil, k.Log)
	trust := k.Config != nil && k.Config.TrustProxy
	pages, err := NewPages(svc, k.Admin, trust)
	if err != nil {
		return nil, err
	}
	return &Component{k: k, Svc: svc, api: NewAPI(svc, k.Admin), pages: pages}, nil
}

// Name is the role name.
func (c *Component) Name() string { return "monitor" }

// Migrations are the monitor's tables.
func (c *Component) Migrations() fs.FS { return Migrations() }

// Start subscribes to the dossier events, and on a first start (no dossier
// yet) rebuilds from the dossier engine's event log in the background, as
// the bus keeps events only for days. Counted portal visits are written
// every few seconds.
func (c *Component) Start(ctx context.Context) error {
	if _, err := c.k.Bus.Subscribe(ctx, ConsumerName, EventPrefix+">", c.Svc.Apply); err != nil {
		return err
	}
	// A newly published procedure version changes the procedures' facts.
	if sub, err := c.k.Bus.Watch(ctx, "procedure.published", func(bus.Event) { c.Svc.procCache.reset() }); err == nil {
		c.k.Go(func() { <-ctx.Done(); sub.Stop() })
	}
	if c.Svc.events != nil {
		c.k.Go(func() {
			empty, err := c.Svc.Empty(ctx)
			if err != nil || !empty {
				return
			}
			res, err := c.Svc.Rebuild(ctx)
			if err != nil {
				c.k.Log.Warn("monitor: first rebuild", "err", err)
				return
			}
			c.k.Log.Info("monitor: rebuilt from the dossier event log", "events", res.Events, "dossiers", res.Dossiers, "took", res.Took)
		})
	}
	c.k.Go(func() {
		t := time.NewTicker(visitFlushEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				c.Svc.FlushVisits(fctx)
				cancel()
				return
			case <-t.C:
				if err := c.Svc.FlushVisits(ctx); err != nil {
					c.k.Log.Warn("monitor: visits", "err", err)
				}
			}
		}
	})
	return nil
}

// Routes mounts the API, the dashboard and the scoreboard (the console).
func (c *Component) Routes(mux *http.ServeMux) {
	c.api.Routes(mux)
	c.pages.Routes(mux)
}

// PublicRoutes mounts what the public may see, on another site (the
// portal): the scoreboard and the aggregate API, which carry no personal
// data.
func (c *Component) PublicRoutes(mux *http.ServeMux) {
	c.api.PublicRoutes(mux)
	c.pages.PublicRoutes(mux)
}
