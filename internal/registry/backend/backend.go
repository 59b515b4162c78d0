// Package backend runs the base registries in a vngov process: their
// backend server behind the agencies' gateways, the registry clerks' API,
// seeding, and the demo's wiring of the registries into the exchange.
package backend

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"github.com/vngov/vngov/internal/catalog"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/registry"
	"github.com/vngov/vngov/internal/registry/enterprise"
	"github.com/vngov/vngov/internal/registry/land"
	"github.com/vngov/vngov/internal/registry/population"
)

// Component is the registries' part of a process (role "registry").
type Component struct {
	k          *kernel.Kernel
	Population *population.Service
	Enterprise *enterprise.Service
	Land       *land.Service
	srv        *web.Server
	pages      *Pages // the clerks' pages (/registry/)
	// BackendURL is where the gateways reach the registries' services.
	BackendURL string
}

// NewComponent returns the registries on k.
func NewComponent(k *kernel.Kernel) (*Component, error) {
	c := &Component{k: k}
	pages, err := NewPages(c)
	if err != nil {
		return nil, err
	}
	c.pages = pages
	return c, nil
}

// Name is the role name.
func (c *Component) Name() string { return "registry" }

// Migrations are the registries' tables.
func (c *Component) Migrations() fs.FS { return registry.Migrations() }

// Start opens the registries and their backend listener. The catalogs they
// validate codes against are read from this process's store (migrated and
// seeded here when the catalog role runs elsewhere).
func (c *Component) Start(ctx context.Context) error {
	if err := c.k.DB.Migrate(ctx, "catalog", catalog.Migrations()); err != nil {
		return err
	}
	cat := catalog.New(c.k.DB, c.k.Log)
	if err := cat.Seed(ctx); err != nil {
		return err
	}
	codes := registry.CatalogCodes{Catalog: cat}
	c.Population = population.New(c.k.DB, codes)
	c.Enterprise = enterprise.New(c.k.DB, codes)
	c.Land = land.New(c.k.DB, codes)
	mux := http.NewServeMux()
	population.NewAPI(c.Population).Routes(mux, "/population")
	enterprise.NewAPI(c.Enterprise).Routes(mux, "/enterprise")
	land.NewAPI(c.Land).Routes(mux, "/land")
	h := c.k.Health
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { h.Liveness().ServeHTTP(w, r) })
	if c.k.Config.RegistryAddr == "" {
		return nil // a tool (seeding, migration) that needs no listener
	}
	c.srv = web.NewServer("registry-backend", c.k.Config.RegistryAddr, web.Wrap(mux, web.Options{Logger: c.k.Log, Component: "registry-backend", Metrics: c.k.Metrics}), c.k.Log)
	if err := c.srv.Start(); err != nil {
		return fmt.Errorf("registry: backend on %s: %w", c.k.Config.RegistryAddr, err)
	}
	c.BackendURL = c.srv.URL()
	c.k.Go(func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.srv.Shutdown(sctx)
	})
	return nil
}

// Routes mounts the registry clerks' API (/registry/v1/) and pages (/registry/).
func (c *Component) Routes(mux *http.ServeMux) {
	c.pages.Routes(mux)
	mux.HandleFunc("GET /registry/v1/population/persons", c.clerk(func(w http.ResponseWriter, r *http.Request, who audit.Actor) {
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		offset, _ := strconv.Atoi(q.Get("offset"))
		items, total, err := c.Population.Search(r.Context(), q.Get("name"), q.Get("birth_date"), q.Get("commune"), limit, offset)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		audit.Record(r.Context(), c.k.DB, who.Entry("population.search", "population", audit.OK, map[string]any{"name": q.Get("name"), "results": len(items)}))
		web.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
	}))
	mux.HandleFunc("GET /registry/v1/population/persons/{id}", c.clerk(func(w http.ResponseWriter, r *http.Request, who audit.Actor) {
		p, err := c.Population.Lookup(r.Context(), who, r.PathValue("id"))
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		w.Header().Set("ETag", strconv.Quote(strconv.Itoa(p.Version)))
		web.WriteJSON(w, http.StatusOK, p)
	}))
	mux.HandleFunc("GET /registry/v1/population/persons/{id}/history", c.clerk(func(w http.ResponseWriter, r *http.Request, who audit.Actor) {
		h, err := c.Population.History(r.Context(), r.PathValue("id"))
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		audit.Record(r.Context(), c.k.DB, who.Entry("population.history", "population/"+r.PathValue("id"), audit.OK, nil))
		web.WriteJSON(w, http.StatusOK, map[string]any{"items": h})
	}))
	type write struct {
		Person  population.Person `json:"person"`
		Version int               `json:"version"`
		Reason  string            `json:"reason"`
	}
	mux.HandleFunc("POST /registry/v1/population/persons", c.clerk(func(w http.ResponseWriter, r *http.Request, who audit.Actor) {
		var in write
		if err := web.DecodeJSON(r, &in, 1<<16); err != nil {
			web.WriteError(w, r, err)
			return
		}
		p, err := c.Population.Create(r.Context(), who, in.Person, in.Reason)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		w.Header().Set("Location", "/registry/v1/population/persons/"+p.ID)
		web.WriteJSON(w, http.StatusCreated, p)
	}))
	mux.HandleFunc("PUT /registry/v1/population/persons/{id}", c.clerk(func(w http.ResponseWriter, r *http.Request, who audit.Actor) {
		var in write
		if err := web.DecodeJSON(r, &in, 1<<16); err != nil {
			web.WriteError(w, r, err)
			return
		}
		in.Person.ID = r.PathValue("id")
		if in.Version == 0 {
			web.WriteError(w, r, fault.Invalidf([]fault.FieldError{{Field: "version", Code: "version.required", Message: "Hãy gửi phiên bản hồ sơ bạn đã sửa", Detail: "version (the version edited) is required"}}, "version required"))
			return
		}
		p, err := c.Population.Update(r.Context(), who, in.Person, in.Version, in.Reason)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, p)
	}))
	mux.Handle("/registry/v1/", web.APINotFound)
}

// clerk wraps a clerk's handler: the registry-clerk role; refusals audited.
func (c *Component) clerk(next func(w http.ResponseWriter, r *http.Request, who audit.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who := audit.Actor{Subject: "anonymous", SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
		p, err := c.k.Admin.Verify(r)
		if err == nil && !p.Has(authn.RoleRegistryClerk) {
			err = fault.New(fault.Forbidden, "auth.forbidden", "Tài khoản không có quyền cán bộ quản lý cơ sở dữ liệu", "the caller lacks the registry-clerk role")
		}
		if err != nil {
			audit.Record(r.Context(), c.k.DB, who.Entry("registry.clerk", "registry"+r.URL.Path, audit.Denied, map[string]any{"method": r.Method}))
			web.WriteError(w, r, err)
			return
		}
		who.Subject = p.Subject
		next(w, r, who)
	}
}
