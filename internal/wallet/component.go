package wallet

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/result"
)

// ServiceConsent is a consent the holder gave a service at the identity
// provider (an OpenID Connect client that signs people in).
type ServiceConsent struct {
	Client     string    `json:"client"`
	ClientName string    `json:"client_name"`
	Purpose    string    `json:"purpose"`
	Scopes     []string  `json:"scopes"`
	GrantedAt  time.Time `json:"granted_at"`
}

// ServiceConsents lists a holder's consents at the identity provider.
type ServiceConsents interface {
	ServiceConsents(ctx context.Context, holderID string) ([]ServiceConsent, error)
}

// ServiceConsentsFunc is a function that is a ServiceConsents.
type ServiceConsentsFunc func(ctx context.Context, holderID string) ([]ServiceConsent, error)

// ServiceConsents implements ServiceConsents.
func (f ServiceConsentsFunc) ServiceConsents(ctx context.Context, holderID string) ([]ServiceConsent, error) {
	return f(ctx, holderID)
}

// Component runs the wallet in a process (role "wallet"): the holder's
// API under /wallet/v1/ and the pages under /kho-du-lieu/, both served on
// the portal, and the consumer of result.* events.
//
// Who the holder is comes from the portal's session: the wiring sets
// Holder. The API also accepts the admin bearer token with the
// X-Vngov-Applicant header naming the holder, for scripts and tests.
type Component struct {
	k   *kernel.Kernel
	Svc *Service

	// Holder says who is signed in on the portal.
	Holder func(r *http.Request) (Holder, bool)
	// SignIn is where a person who must sign in goes, to come back to
	// next; default /dang-nhap?next=….
	SignIn func(next string) string
	// Nav is the portal's navigation, shown on the wallet's pages.
	Nav func(r *http.Request) []web.Link
	// ServiceConsents lists the consents given at the identity provider;
	// IdentityAccountURL is its account page, where they are withdrawn.
	ServiceConsents    ServiceConsents
	IdentityAccountURL string
	// DossierURL links a dossier code to the holder's dossier page;
	// default /ho-so/{code}.
	DossierURL func(code string) string

	pages *Pages
}

// NewComponent returns the wallet on k.
func NewComponent(k *kernel.Kernel) (*Component, error) {
	c := &Component{k: k, Svc: New(k.DB)}
	c.Svc.Log = k.Log
	p, err := newPages(c)
	if err != nil {
		return nil, err
	}
	c.pages = p
	return c, nil
}

// Connect finds the results component among the process's components:
// issued documents' files come from it.
func (c *Component) Connect(cs []kernel.Component) {
	for _, o := range cs {
		if rc, ok := o.(*result.Component); ok {
			c.Svc.Results = rc.Svc
		}
	}
}

// Name is the role name.
func (c *Component) Name() string { return "wallet" }

// Migrations are the tables.
func (c *Component) Migrations() fs.FS { return Migrations() }

// Start begins consuming result.* events.
func (c *Component) Start(ctx context.Context) error {
	if c.k.Bus == nil {
		return nil
	}
	_, err := c.Svc.Subscribe(ctx, c.k.Bus)
	return err
}

// Routes mounts the API and the pages.
func (c *Component) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /wallet/v1/items", c.api(c.listItems))
	mux.HandleFunc("POST /wallet/v1/items", c.api(c.keep))
	mux.HandleFunc("GET /wallet/v1/items/{id}", c.api(c.getItem))
	mux.HandleFunc("GET /wallet/v1/items/{id}/content", c.api(c.content))
	mux.HandleFunc("DELETE /wallet/v1/items/{id}", c.api(c.deleteItem))
	mux.HandleFunc("GET /wallet/v1/consents", c.api(c.listConsents))
	mux.HandleFunc("POST /wallet/v1/consents", c.api(c.grant))
	mux.HandleFunc("POST /wallet/v1/consents/{id}/withdraw", c.api(c.withdraw))
	mux.HandleFunc("GET /wallet/v1/access-log", c.api(c.accessLog))
	mux.Handle("/wallet/v1/", web.APINotFound)
	c.pages.Routes(mux)
}

var personalIDRE = regexp.MustCompile(`^[0-9]{12}$`)

// holderOf says whose wallet a request is about: the admin credential
// acting as the citizen X-Vngov-Applicant names, or the citizen signed in
// on the portal.
func (c *Component) holderOf(r *http.Request) (Holder, error) {
	if authn.BearerToken(r) != "" {
		if _, err := c.k.Admin.Verify(r); err != nil {
			return Holder{}, err
		}
		id := strings.TrimSpace(r.Header.Get(dossier.ApplicantHeader))
		if !personalIDRE.MatchString(id) {
			return Holder{}, fault.New(fault.Unauthenticated, "auth.applicant_id", "Hãy nêu người giữ kho dữ liệu bằng tiêu đề "+dossier.ApplicantHeader+" (12 chữ số)", "send the holder's personal id in "+dossier.ApplicantHeader)
		}
		return Holder{ID: id}, nil
	}
	if c.Holder != nil {
		if h, ok := c.Holder(r); ok && personalIDRE.MatchString(h.ID) {
			return h, nil
		}
	}
	return Holder{}, fault.New(fault.Unauthenticated, "auth.required", "Bạn cần đăng nhập để mở kho dữ liệu của mình", "sign in on the portal, or send the admin bearer token with "+dossier.ApplicantHeader)
}

func actor(r *http.Request, subject string) audit.Actor {
	return audit.Actor{Subject: subject, SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
}

// api wraps a holder's API handler: no holder, no answer.
func (c *Component) api(next func(w http.ResponseWriter, r *http.Request, h Holder)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h, err := c.holderOf(r)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "private, no-store")
		next(w, r, h)
	}
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fault.NotFoundf("wallet.item_not_found", "Kho dữ liệu của bạn không có mục này", "no item %q", r.PathValue("id"))
	}
	return id, nil
}

func (c *Component) listItems(w http.ResponseWriter, r *http.Request, h Holder) {
	items, err := c.Svc.Items(r.Context(), h.ID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (c *Component) getItem(w http.ResponseWriter, r *http.Request, h Holder) {
	id, err := pathID(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	it, err := c.Svc.Item(r.Context(), h.ID, id)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, it)
}

func (c *Component) content(w http.ResponseWriter, r *http.Request, h Holder) {
	id, err := pathID(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	it, data, err := c.Svc.Content(r.Context(), h.ID, id)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	writeFile(w, it, data)
}

// writeFile answers with an item's bytes as an attachment.
func writeFile(w http.ResponseWriter, it Item, data []byte) {
	hd := w.Header()
	hd.Set("Content-Type", it.ContentType)
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": it.FileName}))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

func (c *Component) keep(w http.ResponseWriter, r *http.Request, h Holder) {
	name, data, err := readFile(w, r, "file", MaxFileSize)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	it, err := c.Svc.Keep(r.Context(), actor(r, h.ID), h.ID, name, data)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, it)
}

func (c *Component) deleteItem(w http.ResponseWriter, r *http.Request, h Holder) {
	id, err := pathID(r)
	if err == nil {
		err = c.Svc.Delete(r.Context(), actor(r, h.ID), h.ID, id)
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (c *Component) listConsents(w http.ResponseWriter, r *http.Request, h Holder) {
	cs, err := c.Svc.Consents(r.Context(), h.ID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	out := map[string]any{"consents": cs}
	if c.ServiceConsents != nil {
		sc, err := c.ServiceConsents.ServiceConsents(r.Context(), h.ID)
		if err == nil {
			out["service_consents"] = sc
		}
	}
	web.WriteJSON(w, http.StatusOK, out)
}

// GrantRequest is a consent given through the API.
type GrantRequest struct {
	Purpose   string   `json:"purpose"`
	Recipient string   `json:"recipient"`
	Data      []string `json:"data"`
	Source    string   `json:"source"`
	Procedure string   `json:"procedure,omitempty"`
}

func (c *Component) grant(w http.ResponseWriter, r *http.Request, h Holder) {
	var in GrantRequest
	if err := web.DecodeJSON(r, &in, 32<<10); err != nil {
		web.WriteError(w, r, err)
		return
	}
	cs, err := c.Svc.Grant(r.Context(), actor(r, h.ID), h.ID, Consent{Purpose: in.Purpose, Recipient: in.Recipient, Data: in.Data, Source: in.Source, Procedure: in.Procedure})
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, cs)
}

func (c *Component) withdraw(w http.ResponseWriter, r *http.Request, h Holder) {
	id, err := pathID(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	cs, err := c.Svc.Withdraw(r.Context(), actor(r, h.ID), h.ID, id)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, cs)
}

func (c *Component) accessLog(w http.ResponseWriter, r *http.Request, h Holder) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	p, err := c.Svc.AccessLog(r.Context(), h.ID, limit, offset)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

// readFile reads one uploaded file of at most limit bytes from the file
// field of a multipart/form-data body, with its raw file name (so that a
// name that tries to be a path is seen and refused, not cut to its last
// element); or the body itself for a PDF, JPEG or PNG content type, named
// by ?name=.
func readFile(w http.ResponseWriter, r *http.Request, field string, limit int64) (string, []byte, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	r.Body = http.MaxBytesReader(w, r.Body, limit+64<<10)
	switch mt {
	case "application/pdf", "image/jpeg", "image/png":
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return "", nil, bodyFault(err, limit)
		}
		return r.URL.Query().Get("name"), data, nil
	case "multipart/form-data":
	default:
		return "", nil, fault.New(fault.BadRequest, "request.content_type", "Hãy gửi tệp bằng multipart/form-data", "send multipart/form-data, or the file itself")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, fault.New(fault.BadRequest, "request.multipart", "Không đọc được dữ liệu tệp gửi lên", err.Error())
	}
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, bodyFault(err, limit)
		}
		_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		if _, isFile := params["filename"]; !isFile || params["name"] != field {
			io.Copy(io.Discard, part)
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, limit+1))
		if err != nil {
			return "", nil, bodyFault(err, limit)
		}
		return params["filename"], data, nil
	}
	return "", nil, nil
}

func bodyFault(err error, limit int64) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &fault.Error{Kind: fault.TooLarge, Code: "wallet.too_large", Message: "Tệp quá lớn: chỉ nhận tệp tối đa " + strconv.FormatInt(limit>>20, 10) + " MB",
			Detail: "the body is over the limit", Cause: err}
	}
	return fault.New(fault.BadRequest, "request.body", "Không đọc được dữ liệu gửi lên", err.Error())
}

// signInURL is where a person who must sign in goes.
func (c *Component) signInURL(next string) string {
	if c.SignIn != nil {
		return c.SignIn(next)
	}
	return "/dang-nhap?next=" + url.QueryEscape(next)
}

// dossierURL links a dossier code.
func (c *Component) dossierURL(code string) string {
	if c.DossierURL != nil {
		return c.DossierURL(code)
	}
	return "/ho-so/" + url.PathEscape(code)
}
