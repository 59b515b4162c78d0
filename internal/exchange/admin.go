package exchange

import (
	"net/http"
	"strconv"
	"time"

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

// serviceInput is the body of a service registration.
type serviceInput struct {
	Gateway      string `json:"gateway"`
	Provider     string `json:"provider"`
	Code         string `json:"service_code"`
	Title        string `json:"title"`
	BackendURL   string `json:"backend_url"`
	OpenAPI      string `json:"openapi"`
	PersonalData bool   `json:"personal_data"`
	LogBodies    bool   `json:"log_bodies"`
	TimeoutMS    int    `json:"timeout_ms"`
	MaxBody      int64  `json:"max_body"`
}

// adminRoutes mounts /exchange/v1/: services, access rights and the
// message log of the gateways whose data this node's store holds.
func (c *Component) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /exchange/v1/services", c.admin(func(w http.ResponseWriter, r *http.Request, who audit.Actor) {
		s, err := c.Services.List(r.Context(), r.URL.Query().Get("gateway"))
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, map[string]any{"items": s, "total": len(s)})
	}))
	mux.HandleFunc("POST /exchange/v1/services", c.admin(func(w http.ResponseWriter, r *http.Request, who audit.Actor) {
		var in serviceInput
		if err := web.DecodeJSON(r, &in, 4<<20); err != nil {
			web.WriteError(w, r, err)
			return
		}
		svc, err := c.Services.AddService(r.Context(), who, Service{Gateway: in.Gateway, Provider: in.Provider, Code: in.Code, Title: in.Title, BackendURL: in.BackendURL,
			OpenAPI: in.OpenAPI, PersonalData: in.PersonalData, LogBodies: in.LogBodies, Timeout: time.Duration(in.TimeoutMS) * time.Millisecond, MaxBody: in.MaxBody})
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		c.reload(r, svc.Gateway)
		web.WriteJSON(w, http.StatusCreated, svc)
	}))
	mux.HandleFunc("GET /exchange/v1/access", c.admin(func(w http.ResponseWriter, r *http.Request, who audit.Actor) {
		q := r.URL.Query()
		a, err := c.Services.AccessList(r.Context(), q.Get("provider"), q.Get("service_code"))
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, map[string]any{"items": a, "total": len(a)})
	}))
	for _, op := range []string{"grant", "revoke"} {
		mux.HandleFunc("POST /exchange/v1/access/"+op, c.admin(func(w http.ResponseWriter, r *http.Request, who audit.Actor) {
			var a Access
			if err := web.DecodeJSON(r, &a, 1<<16); err != nil {
				web.WriteError(w, r, err)
				return
			}
			var err error
			if op == "grant" {
				err = c.Services.Grant(r.Context(), who, a)
			} else {
				err = c.Services.Revoke(r.Context(), who, a)
			}
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			c.reloadAll(r)
			web.WriteJSON(w, http.StatusOK, a)
		}))
	}
	mux.HandleFunc("GET /exchange/v1/log", c.admin(func(w http.ResponseWriter, r *http.Request, who audit.Actor) {
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		offset, _ := strconv.Atoi(q.Get("offset"))
		recs, err := msglog.List(r.Context(), c.k.DB, msglog.Filter{Gateway: q.Get("gateway"), Client: q.Get("client"), Service: q.Get("service"), Limit: limit, Offset: offset})
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		if recs == nil {
			recs = []msglog.Record{}
		}
		audit.Record(r.Context(), c.k.DB, who.Entry("exchange.log.read", "exchange/log/"+q.Get("gateway"), audit.OK, map[string]any{"client": q.Get("client"), "service": q.Get("service")}))
		web.WriteJSON(w, http.StatusOK, map[string]any{"items": recs, "total": len(recs)})
	}))
	mux.HandleFunc("GET /exchange/v1/log/verify", c.admin(func(w http.ResponseWriter, r *http.Request, who audit.Actor) {
		if c.Hub == nil {
			web.WriteError(w, r, fault.New(fault.Unavailable, "exchange.no_ca", "Nút này không giữ chứng thư CA của trục để kiểm tra nhật ký", "this node has no hub CA certificate to verify with"))
			return
		}
		rep, err := msglog.Verify(r.Context(), c.k.DB, r.URL.Query().Get("gateway"), time.Time{}, time.Time{}, c.Hub.CA.Cert)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, rep)
	}))
	mux.Handle("/exchange/v1/", web.APINotFound)
}

func (c *Component) reload(r *http.Request, gateway string) {
	if g := c.Gateway(gateway); g != nil {
		g.Reload(r.Context())
	}
}

func (c *Component) reloadAll(r *http.Request) {
	c.mu.Lock()
	gs := make([]*RunningGateway, 0, len(c.gateways))
	for _, g := range c.gateways {
		gs = append(gs, g)
	}
	c.mu.Unlock()
	for _, g := range gs {
		g.Reload(r.Context())
	}
}

// admin wraps an administration handler: exchange-admin role, refusals audited.
func (c *Component) admin(next func(w http.ResponseWriter, r *http.Request, who audit.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who := audit.Actor{Subject: "anonymous", SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
		p, err := c.k.Admin.Verify(r)
		if err == nil && !p.Has(authn.RoleExchangeAdmin) {
			err = fault.New(fault.Forbidden, "auth.forbidden", "Tài khoản không có quyền quản trị trục trao đổi dữ liệu", "the caller lacks the exchange-admin role")
		}
		if err != nil {
			audit.Record(r.Context(), c.k.DB, who.Entry("exchange.admin", "exchange"+r.URL.Path, audit.Denied, map[string]any{"method": r.Method}))
			web.WriteError(w, r, err)
			return
		}
		who.Subject = p.Subject
		next(w, r, who)
	}
}
