package identity

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

// API is the identity provider's administration API under /identity/v1/:
// the client registry, official accounts, enterprise links and key
// rotation. Every call needs a principal with RoleAdmin ("identity-admin").
type API struct {
	s     *Service
	authn authn.Verifier
}

// NewAPI returns the administration API; v authenticates callers.
func NewAPI(s *Service, v authn.Verifier) *API { return &API{s: s, authn: v} }

// Routes mounts the API.
func (a *API) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /identity/v1/clients", a.admin(a.listClients))
	mux.HandleFunc("POST /identity/v1/clients", a.admin(a.createClient))
	mux.HandleFunc("GET /identity/v1/clients/{id}", a.admin(a.getClient))
	mux.HandleFunc("PUT /identity/v1/clients/{id}", a.admin(a.updateClient))
	mux.HandleFunc("DELETE /identity/v1/clients/{id}", a.admin(a.disableClient))
	mux.HandleFunc("POST /identity/v1/clients/{id}/secret", a.admin(a.rotateSecret))
	mux.HandleFunc("POST /identity/v1/accounts", a.admin(a.createAccount))
	mux.HandleFunc("GET /identity/v1/accounts/{id}", a.admin(a.getAccount))
	mux.HandleFunc("PUT /identity/v1/accounts/{id}/enterprises", a.admin(a.linkEnterprises))
	mux.HandleFunc("PUT /identity/v1/accounts/{id}/roles", a.admin(a.setRoles))
	mux.HandleFunc("POST /identity/v1/keys/rotate", a.admin(a.rotateKeys))
	mux.Handle("/identity/v1/", web.APINotFound)
}

func (a *API) admin(next func(w http.ResponseWriter, r *http.Request, who audit.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who := audit.Actor{Subject: "anonymous", SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
		var p *authn.Principal
		var err error = fault.New(fault.Unauthenticated, "auth.missing_credential", "Thiếu thông tin xác thực", "no verifier configured")
		if a.authn != nil {
			p, err = a.authn.Verify(r)
		}
		if err == nil && !p.Has(RoleAdmin) {
			who.Subject = p.Subject
			err = fault.New(fault.Forbidden, "auth.forbidden", "Tài khoản không có quyền quản trị định danh (identity-admin)", "the caller lacks the identity-admin role")
		}
		if err != nil {
			audit.Record(r.Context(), a.s.db, who.Entry("identity.admin", "identity"+strings.TrimPrefix(r.URL.Path, "/identity/v1"), audit.Denied, map[string]any{"method": r.Method}))
			web.WriteError(w, r, err)
			return
		}
		who.Subject = p.Subject
		w.Header().Set("Cache-Control", "no-store")
		next(w, r, who)
	}
}

// clientInput is a client registration as the API takes it.
type clientInput struct {
	ID                     string          `json:"client_id"`
	Name                   string          `json:"name"`
	Purpose                string          `json:"purpose"`
	Type                   string          `json:"type"`
	AuthMethod             string          `json:"token_endpoint_auth_method"`
	RedirectURIs           []string        `json:"redirect_uris"`
	PostLogoutRedirectURIs []string        `json:"post_logout_redirect_uris"`
	GrantTypes             []string        `json:"grant_types"`
	Scopes                 []string        `json:"scopes"`
	MinLevel               int             `json:"min_level"`
	JWKS                   json.RawMessage `json:"jwks,omitempty"`
	Sector                 string          `json:"sector"`
	Status                 string          `json:"status,omitempty"`
}

func (in clientInput) client() Client {
	return Client{ID: in.ID, Name: in.Name, Purpose: in.Purpose, Type: in.Type, AuthMethod: in.AuthMethod, RedirectURIs: in.RedirectURIs,
		PostLogoutRedirectURIs: in.PostLogoutRedirectURIs, GrantTypes: in.GrantTypes, Scopes: in.Scopes, MinLevel: in.MinLevel, JWKS: in.JWKS,
		Sector: in.Sector, Status: in.Status}
}

func (a *API) listClients(w http.ResponseWriter, r *http.Request, _ audit.Actor) {
	cs, err := a.s.Clients(r.Context())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": cs, "total": len(cs)})
}

func (a *API) createClient(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	var in clientInput
	if err := web.DecodeJSON(r, &in, 0); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if in.ID == "" {
		in.ID = strings.TrimPrefix(newID("c_"), "c_")[:16]
	}
	c, sec, err := a.s.CreateClient(r.Context(), who, in.client())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	out := map[string]any{"client": c}
	if sec != "" {
		out["client_secret"] = sec
	}
	w.Header().Set("Location", "/identity/v1/clients/"+c.ID)
	web.WriteJSON(w, http.StatusCreated, out)
}

func (a *API) getClient(w http.ResponseWriter, r *http.Request, _ audit.Actor) {
	c, err := a.s.Client(r.Context(), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, c)
}

func (a *API) updateClient(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	var in clientInput
	if err := web.DecodeJSON(r, &in, 0); err != nil {
		web.WriteError(w, r, err)
		return
	}
	in.ID = r.PathValue("id")
	c, err := a.s.UpdateClient(r.Context(), who, in.client())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, c)
}

func (a *API) disableClient(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	if err := a.s.DisableClient(r.Context(), who, r.PathValue("id")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) rotateSecret(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	sec, err := a.s.RotateClientSecret(r.Context(), who, r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"client_id": r.PathValue("id"), "client_secret": sec})
}

// accountInput creates an official's account (citizens sign up
// themselves, checked against the population registry).
type accountInput struct {
	Username string   `json:"username"`
	FullName string   `json:"full_name"`
	Agency   string   `json:"agency"`
	Roles    []string `json:"roles"`
	Email    string   `json:"email"`
	Phone    string   `json:"phone"`
	Password string   `json:"password"`
}

func (a *API) createAccount(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	var in accountInput
	if err := web.DecodeJSON(r, &in, 0); err != nil {
		web.WriteError(w, r, err)
		return
	}
	acc, err := a.s.CreateAccount(r.Context(), who, NewAccount{Kind: Official, Username: in.Username, FullName: in.FullName, Agency: in.Agency, Roles: in.Roles,
		Email: in.Email, Phone: in.Phone, Password: in.Password, Verified: true})
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Location", "/identity/v1/accounts/"+acc.ID)
	web.WriteJSON(w, http.StatusCreated, acc)
}

func (a *API) getAccount(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	acc, err := a.s.Account(r.Context(), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	audit.Record(r.Context(), a.s.db, who.Entry("identity.account.read", accountObject(acc.ID), audit.OK, nil))
	web.WriteJSON(w, http.StatusOK, acc)
}

func (a *API) linkEnterprises(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	var in struct {
		Enterprises []string `json:"enterprises"`
	}
	if err := web.DecodeJSON(r, &in, 0); err != nil {
		web.WriteError(w, r, err)
		return
	}
	acc, err := a.s.LinkEnterprises(r.Context(), who, r.PathValue("id"), in.Enterprises)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, acc)
}

func (a *API) setRoles(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	var in struct {
		Agency string   `json:"agency"`
		Roles  []string `json:"roles"`
	}
	if err := web.DecodeJSON(r, &in, 0); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := a.s.SetRoles(r.Context(), who, r.PathValue("id"), in.Agency, in.Roles); err != nil {
		web.WriteError(w, r, err)
		return
	}
	acc, err := a.s.Account(r.Context(), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, acc)
}

func (a *API) rotateKeys(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	kid, err := a.s.RotateKeys(r.Context(), who, r.URL.Query().Get("immediate") == "true")
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"kid": kid})
}
