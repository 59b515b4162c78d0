package procedure

import (
	"context"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/web"
)

// Component runs the procedures database in a process (role "procedure").
type Component struct {
	k   *kernel.Kernel
	Svc *Service
}

// NewComponent returns the procedures database on k.
func NewComponent(k *kernel.Kernel) (*Component, error) { return &Component{k: k, Svc: New(k.DB)}, nil }

// Name is the role name.
func (c *Component) Name() string { return "procedure" }

// Migrations are the tables.
func (c *Component) Migrations() fs.FS { return Migrations() }

// Start publishes the shipped procedures on first run and keeps this
// node's copy of the published versions in step with publishes made on
// other nodes.
func (c *Component) Start(ctx context.Context) error {
	if err := c.Svc.Seed(ctx); err != nil {
		return err
	}
	sub, err := c.k.Bus.Watch(ctx, EventPublished, func(bus.Event) { c.Svc.invalidate() })
	if err != nil {
		return err
	}
	c.k.Go(func() { <-ctx.Done(); sub.Stop() })
	return nil
}

// Routes mounts the public API (read) and the publishing API.
func (c *Component) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /procedure/v1/procedures", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		offset, _ := strconv.Atoi(q.Get("offset"))
		items, total, err := c.Svc.Search(r.Context(), Query{Q: q.Get("q"), Sector: q.Get("sector"), Level: q.Get("level"), Limit: limit, Offset: offset})
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
	})
	mux.HandleFunc("GET /procedure/v1/procedures/{code}", func(w http.ResponseWriter, r *http.Request) {
		p, err := c.Svc.Get(r.Context(), r.PathValue("code"))
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		if web.CheckETag(w, r, p.Code+"-v"+strconv.Itoa(p.Version)) {
			return
		}
		web.WriteJSON(w, http.StatusOK, p)
	})
	mux.HandleFunc("GET /procedure/v1/procedures/{code}/versions/{version}", func(w http.ResponseWriter, r *http.Request) {
		v, err := strconv.Atoi(r.PathValue("version"))
		if err != nil {
			web.WriteError(w, r, fault.Invalidf([]fault.FieldError{{Field: "version", Code: "version.format", Message: "Phiên bản phải là số", Detail: "version must be a number"}}, "bad version"))
			return
		}
		p, err := c.Svc.GetVersion(r.Context(), r.PathValue("code"), v)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, p)
	})
	mux.HandleFunc("POST /procedure/v1/procedures", func(w http.ResponseWriter, r *http.Request) {
		who := audit.Actor{Subject: "anonymous", SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
		pr, err := c.k.Admin.Verify(r)
		if err == nil && !pr.Has(authn.RoleProcedureAdmin) {
			err = fault.New(fault.Forbidden, "auth.forbidden", "Tài khoản không có quyền công bố thủ tục hành chính", "the caller lacks the procedure-admin role")
		}
		if err != nil {
			audit.Record(r.Context(), c.k.DB, who.Entry("procedure.publish", "procedure", audit.Denied, nil))
			web.WriteError(w, r, err)
			return
		}
		who.Subject = pr.Subject
		var in struct {
			Procedure Procedure `json:"procedure"`
			Note      string    `json:"note"`
		}
		if err := web.DecodeJSON(r, &in, 1<<20); err != nil {
			web.WriteError(w, r, err)
			return
		}
		p, err := c.Svc.Publish(r.Context(), who, in.Procedure, in.Note)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		w.Header().Set("Location", "/procedure/v1/procedures/"+p.Code)
		web.WriteJSON(w, http.StatusCreated, p)
	})
	mux.Handle("/procedure/v1/", web.APINotFound)
}
