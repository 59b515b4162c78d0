package catalog

import (
	"context"
	"io/fs"
	"net/http"
	"time"

	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/kernel"
)

// Component runs the catalog in a vngov process.
type Component struct {
	k     *kernel.Kernel
	Svc   *Service
	api   *API
	pages *Pages
}

// NewComponent returns the catalog component on k.
func NewComponent(k *kernel.Kernel) (*Component, error) {
	svc := New(k.DB, k.Log)
	svc.OnPublish = k.Relay.Kick
	pages, err := NewPages(svc)
	if err != nil {
		return nil, err
	}
	return &Component{k: k, Svc: svc, api: NewAPI(svc, k.Admin), pages: pages}, nil
}

// Name is the role name.
func (c *Component) Name() string { return "catalog" }

// Migrations are the catalog's tables.
func (c *Component) Migrations() fs.FS { return Migrations() }

// Start seeds the shipped lists and keeps the in-memory snapshots in step
// with publishes made by other nodes.
func (c *Component) Start(ctx context.Context) error {
	if err := c.Svc.Seed(ctx); err != nil {
		return err
	}
	c.k.Relay.Kick()
	sub, err := c.k.Bus.Watch(ctx, EventChanged, func(ev bus.Event) { c.Svc.Invalidate(ev.Subject) })
	if err != nil {
		return err
	}
	c.k.Go(func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		defer sub.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := c.Svc.Refresh(ctx); err != nil {
					c.k.Log.Warn("catalog: refresh", "err", err)
				}
			}
		}
	})
	return nil
}

// Routes mounts the API and the pages.
func (c *Component) Routes(mux *http.ServeMux) {
	c.api.Routes(mux)
	c.pages.Routes(mux)
}
