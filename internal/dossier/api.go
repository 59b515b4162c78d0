package dossier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/platform/workdays"
	"github.com/vngov/vngov/internal/procedure"
)

// Authenticator says who calls the API. The identity provider will supply
// the real one (officials with their agency and roles, citizens with their
// personal id); until it is wired, AdminAuth stands in.
type Authenticator interface {
	// Official returns the official calling, or an Unauthenticated fault.
	Official(r *http.Request) (Official, error)
	// Applicant returns the personal id of the citizen calling, or an
	// Unauthenticated fault.
	Applicant(r *http.Request) (id string, err error)
}

// ApplicantHeader names, for AdminAuth, the citizen the admin credential
// acts as.
const ApplicantHeader = "X-Vngov-Applicant"

// AdminAuth is the stand-in Authenticator over the kernel's admin
// credential, for tests and the demo only: the admin bearer token is an
// official with every one-stop role at every agency; with an
// X-Vngov-Applicant header holding a 12-digit personal id, the same token
// is that citizen.
type AdminAuth struct{ Verifier authn.Verifier }

var personalIDRE = regexp.MustCompile(`^[0-9]{12}$`)

// Official implements Authenticator.
func (a AdminAuth) Official(r *http.Request) (Official, error) {
	p, err := a.Verifier.Verify(r)
	if err != nil {
		return Official{}, err
	}
	return Official{ID: p.Subject, Agency: AnyAgency, Roles: []string{RoleReceptionist, RoleSpecialist, RoleLeader}}, nil
}

// Applicant implements Authenticator.
func (a AdminAuth) Applicant(r *http.Request) (string, error) {
	id := strings.TrimSpace(r.Header.Get(ApplicantHeader))
	if id == "" {
		return "", ErrNotApplicant
	}
	if _, err := a.Verifier.Verify(r); err != nil {
		return "", err
	}
	if !personalIDRE.MatchString(id) {
		return "", fault.New(fault.Unauthenticated, "auth.applicant_id", "Số định danh cá nhân của người nộp hồ sơ phải gồm 12 chữ số", "the "+ApplicantHeader+" header must hold 12 digits")
	}
	return id, nil
}

// ErrNotApplicant is what an Authenticator's Applicant returns for a
// caller who is not a citizen (an official, say): handlers open to both
// then ask Official.
var ErrNotApplicant = fault.New(fault.Unauthenticated, "auth.not_applicant", "Cần đăng nhập bằng tài khoản công dân", "the caller is not a citizen")

// caller returns the citizen calling (isApplicant) or else the official.
func (c *Component) caller(r *http.Request) (applicant string, who Official, isApplicant bool, err error) {
	applicant, err = c.Auth.Applicant(r)
	if err == nil {
		return applicant, who, true, nil
	}
	if !errors.Is(err, ErrNotApplicant) {
		return "", who, false, err
	}
	who, err = c.Auth.Official(r)
	return "", who, false, err
}

// Component runs the dossier engine in a process (role "dossier").
type Component struct {
	k    *kernel.Kernel
	Svc  *Service
	Auth Authenticator
	// Prefill reads citizens' records from the population registry for the
	// desk's in-person receipt (/motcua/receive); nil: no prefill, the
	// official types the form.
	Prefill Prefiller
	// pages are the officials' console pages (/motcua/).
	pages *Pages
}

// NewComponent returns the engine on k, with the Vietnamese working-day
// calendar (and, when the data directory holds workdays.json, the year's
// decided day swaps from it: see package workdays), procedures read from
// the procedures database, and AdminAuth.
func NewComponent(k *kernel.Kernel) (*Component, error) {
	cal := workdays.New()
	if k.Config != nil && k.Config.DataDir != "" {
		if f, err := os.Open(filepath.Join(k.Config.DataDir, "workdays.json")); err == nil {
			err = cal.LoadOverrides(f)
			f.Close()
			if err != nil {
				return nil, err
			}
		}
	}
	c := &Component{k: k, Svc: New(k.DB, procedure.New(k.DB), cal), Auth: AdminAuth{Verifier: k.Admin}}
	pages, err := NewPages(c)
	if err != nil {
		return nil, err
	}
	c.pages = pages
	return c, nil
}

// UseProcedures makes the engine read procedures from src, e.g. the
// procedure component's own Service when both run in one process, so that
// a newly published version is in force for new dossiers at once.
func (c *Component) UseProcedures(src ProcedureSource) { c.Svc.procs = src }

// Name is the role name.
func (c *Component) Name() string { return "dossier" }

// Migrations are the tables.
func (c *Component) Migrations() fs.FS { return Migrations() }

// Start has nothing to prepare.
func (c *Component) Start(ctx context.Context) error {
	if c.k == nil || c.k.Bus == nil {
		return nil
	}
	_, err := c.Svc.ConsumePayments(ctx, c.k.Bus)
	return err
}

// Routes mounts the API for the portal, the desk and external systems.
func (c *Component) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /dossier/v1/dossiers", c.create)
	mux.HandleFunc("GET /dossier/v1/dossiers", c.list)
	mux.HandleFunc("GET /dossier/v1/dossiers/{code}", c.get)
	mux.HandleFunc("POST /dossier/v1/dossiers/{code}/documents", c.upload)
	mux.HandleFunc("GET /dossier/v1/dossiers/{code}/documents/{id}", c.download)
	mux.HandleFunc("POST /dossier/v1/dossiers/{code}/actions", c.action)
	mux.HandleFunc("POST /dossier/v1/dossiers/{code}/claim", c.claim)
	mux.HandleFunc("POST /dossier/v1/dossiers/{code}/release", c.claim)
	mux.HandleFunc("POST /dossier/v1/dossiers/{code}/supplement", c.supplement)
	mux.HandleFunc("POST /dossier/v1/dossiers/{code}/withdraw", c.withdraw)
	mux.HandleFunc("POST /dossier/v1/dossiers/{code}/rating", c.rate)
	mux.HandleFunc("GET /dossier/v1/dossiers/{code}/apology", c.apology)
	mux.HandleFunc("GET /dossier/v1/dossiers/{code}/sync", c.sync)
	mux.HandleFunc("GET /dossier/v1/status/{code}", c.status)
	mux.HandleFunc("GET /dossier/v1/inbox", c.inbox)
	mux.HandleFunc("GET /dossier/v1/overdue", c.overdue)
	mux.Handle("/dossier/v1/", web.APINotFound)
	if c.pages != nil {
		c.pages.Routes(mux)
	}
}

// reqCtx carries the client's address and request id to audit rows.
func reqCtx(r *http.Request) context.Context {
	return withRequest(r.Context(), web.ClientIP(r), web.RequestID(r.Context()))
}

func (c *Component) create(w http.ResponseWriter, r *http.Request) {
	var in CreateRequest
	applicant, official, isApplicant, err := c.caller(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := web.DecodeJSON(r, &in, 2<<20); err != nil {
		web.WriteError(w, r, err)
		return
	}
	in.IdempotencyKey = r.Header.Get("Idempotency-Key")
	if isApplicant {
		in.ApplicantID, in.CreatedBy = applicant, applicant
		if in.Channel == 0 {
			in.Channel = ChannelOnline
		}
		if in.Channel != ChannelOnline {
			web.WriteError(w, r, fault.Invalidf([]fault.FieldError{fe("channel", "channel.online_only", "Công dân tự nộp hồ sơ qua kênh trực tuyến (2)", "applicants file online (channel 2)")}, "channel"))
			return
		}
	} else {
		var deny error
		switch {
		case !official.actsFor(strings.ToUpper(strings.TrimSpace(in.Agency))):
			deny = errOtherAgency(in.Agency)
		case !official.Has(RoleReceptionist):
			deny = fault.New(fault.Forbidden, "dossier.wrong_role", "Chỉ cán bộ tiếp nhận được nhận hồ sơ trực tiếp", "only a receptionist files dossiers for applicants")
		}
		if deny != nil {
			c.Svc.deny(reqCtx(r), official.ID, ActionCreate, "agency/"+in.Agency, deny)
			web.WriteError(w, r, deny)
			return
		}
		in.CreatedBy = official.ID
		if in.Channel == 0 {
			in.Channel = ChannelInPerson
		}
	}
	d, replayed, err := c.Svc.Create(reqCtx(r), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Location", "/dossier/v1/dossiers/"+d.Code)
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
		web.WriteJSON(w, http.StatusOK, d)
		return
	}
	web.WriteJSON(w, http.StatusCreated, d)
}

func intParam(r *http.Request, name string) int {
	n, _ := strconv.Atoi(r.URL.Query().Get(name))
	return n
}

func (c *Component) list(w http.ResponseWriter, r *http.Request) {
	id, err := c.Auth.Applicant(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	items, total, err := c.Svc.ListForApplicant(r.Context(), id, intParam(r, "limit"), intParam(r, "offset"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
}

// view returns the dossier to its applicant or to an official of its
// agency.
func (c *Component) view(r *http.Request) (Dossier, error) {
	code := r.PathValue("code")
	id, who, isApplicant, err := c.caller(r)
	switch {
	case err != nil:
		return Dossier{}, err
	case isApplicant:
		return c.Svc.ForApplicant(r.Context(), id, code)
	}
	return c.Svc.ForOfficial(reqCtx(r), who, code)
}

func (c *Component) get(w http.ResponseWriter, r *http.Request) {
	d, err := c.view(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	// Claims and uploads leave the version alone; the clock makes a
	// dossier overdue: all are in the tag.
	tag := fmt.Sprintf("%s-v%d-d%d-%s-%t", d.Code, d.Version, len(d.Documents), d.Assignee, d.Overdue)
	if web.CheckETag(w, r, tag) {
		return
	}
	web.WriteJSON(w, http.StatusOK, d)
}

// readUploads reads a multipart/form-data body: every file part is one
// document, named by its form field (the procedure's document code); the
// text field "note" is kept. The raw file name is read from the header, so
// that names which try to be paths are refused rather than silently cut.
func readUploads(w http.ResponseWriter, r *http.Request) ([]Upload, string, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, "", fault.New(fault.BadRequest, "request.not_multipart", "Hãy gửi tệp bằng multipart/form-data", "the body must be multipart/form-data")
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxUploadSize)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", fault.New(fault.BadRequest, "request.multipart", "Không đọc được dữ liệu tệp gửi lên", err.Error())
	}
	var ups []Upload
	var note string
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", multipartFault(err)
		}
		_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		field, filename := params["name"], params["filename"]
		if _, isFile := params["filename"]; !isFile {
			b, err := io.ReadAll(io.LimitReader(part, 4097))
			if err != nil {
				return nil, "", multipartFault(err)
			}
			if field == "note" {
				if len(b) > 4096 {
					return nil, "", fault.Invalidf([]fault.FieldError{fe("note", "note.length", "Ghi chú dài quá 4096 byte", "note is over 4096 bytes")}, "note too long")
				}
				note = string(b)
			}
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, MaxDocumentSize+1))
		if err != nil {
			return nil, "", multipartFault(err)
		}
		if filename == "" && len(data) == 0 {
			continue // a file input left empty, as browsers send it
		}
		if len(data) > MaxDocumentSize {
			return nil, "", &fault.Error{Kind: fault.TooLarge, Code: "document.too_large",
				Message: "Tệp “" + filename + "” vượt quá dung lượng cho phép (" + strconv.Itoa(MaxDocumentSize>>20) + " MB)", Detail: "file over the per-file limit"}
		}
		ups = append(ups, Upload{DocCode: field, Name: filename, Data: data})
	}
	return ups, note, nil
}

func multipartFault(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &fault.Error{Kind: fault.TooLarge, Code: "request.too_large",
			Message: "Dữ liệu gửi lên vượt quá giới hạn cho phép (" + strconv.Itoa(MaxUploadSize>>20) + " MB)", Detail: "request body over the limit", Cause: err}
	}
	return fault.New(fault.BadRequest, "request.multipart", "Không đọc được dữ liệu tệp gửi lên", err.Error())
}

func (c *Component) upload(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	applicant, who, isApplicant, err := c.caller(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	ups, _, err := readUploads(w, r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	var docs []Document
	if isApplicant {
		docs, err = c.Svc.AddDocuments(reqCtx(r), applicant, code, ups)
	} else {
		docs, err = c.Svc.AddDocumentsAsOfficial(reqCtx(r), who, code, ups)
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"documents": docs})
}

func (c *Component) download(w http.ResponseWriter, r *http.Request) {
	d, err := c.view(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	doc, data, err := c.Svc.Content(r.Context(), d.Code, id)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", doc.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": doc.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// ActionRequest is an official's action on a dossier.
type ActionRequest struct {
	Action  string `json:"action"`
	Note    string `json:"note,omitempty"`
	Version int    `json:"version,omitempty"` // the version acted on; 0 skips the check
}

func (c *Component) action(w http.ResponseWriter, r *http.Request) {
	who, err := c.Auth.Official(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	var in ActionRequest
	if err := web.DecodeJSON(r, &in, 64<<10); err != nil {
		web.WriteError(w, r, err)
		return
	}
	d, err := c.Svc.Act(reqCtx(r), who, r.PathValue("code"), in.Action, in.Note, in.Version)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, d)
}

func (c *Component) claim(w http.ResponseWriter, r *http.Request) {
	who, err := c.Auth.Official(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	var d Dossier
	if strings.HasSuffix(r.URL.Path, "/claim") {
		d, err = c.Svc.Claim(reqCtx(r), who, r.PathValue("code"))
	} else {
		d, err = c.Svc.Release(reqCtx(r), who, r.PathValue("code"))
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, d)
}

func (c *Component) supplement(w http.ResponseWriter, r *http.Request) {
	id, err := c.Auth.Applicant(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	ups, note, err := readUploads(w, r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	d, err := c.Svc.Supplement(reqCtx(r), id, r.PathValue("code"), note, ups)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, d)
}

func (c *Component) rate(w http.ResponseWriter, r *http.Request) {
	id, err := c.Auth.Applicant(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	var in struct {
		Rating int    `json:"rating"`
		Reason string `json:"reason"`
	}
	if err := web.DecodeJSON(r, &in, 64<<10); err != nil {
		web.WriteError(w, r, err)
		return
	}
	d, err := c.Svc.Rate(reqCtx(r), id, r.PathValue("code"), in.Rating, in.Reason)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, d)
}

func (c *Component) withdraw(w http.ResponseWriter, r *http.Request) {
	id, err := c.Auth.Applicant(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	var in struct {
		Note string `json:"note"`
	}
	if r.ContentLength != 0 {
		if err := web.DecodeJSON(r, &in, 64<<10); err != nil {
			web.WriteError(w, r, err)
			return
		}
	}
	d, err := c.Svc.Withdraw(reqCtx(r), id, r.PathValue("code"), in.Note)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, d)
}

// officialView checks that an official may see the dossier in the path.
func (c *Component) officialView(w http.ResponseWriter, r *http.Request) (Dossier, bool) {
	who, err := c.Auth.Official(r)
	if err == nil {
		var d Dossier
		if d, err = c.Svc.ForOfficial(reqCtx(r), who, r.PathValue("code")); err == nil {
			return d, true
		}
	}
	web.WriteError(w, r, err)
	return Dossier{}, false
}

func (c *Component) apology(w http.ResponseWriter, r *http.Request) {
	d, ok := c.officialView(w, r)
	if !ok {
		return
	}
	a, err := c.Svc.ApologyDraft(r.Context(), d.Code, r.URL.Query().Get("reason"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, a)
}

func (c *Component) sync(w http.ResponseWriter, r *http.Request) {
	d, ok := c.officialView(w, r)
	if !ok {
		return
	}
	h, err := c.Svc.SyncExport(r.Context(), d.Code)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, h)
}

// status is the public lookup. The applicant id travels in the query
// string, which the access log leaves out.
func (c *Component) status(w http.ResponseWriter, r *http.Request) {
	ps, err := c.Svc.StatusFor(r.Context(), r.PathValue("code"), strings.TrimSpace(r.URL.Query().Get("applicant_id")))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, ps)
}

// queueAgency is the agency whose queue an official asks for: theirs, or
// the one named when they act for any agency.
func queueAgency(who Official, asked string) (string, error) {
	asked = strings.ToUpper(strings.TrimSpace(asked))
	switch {
	case who.Agency == AnyAgency && asked == "":
		return "", fault.Invalidf([]fault.FieldError{fe("agency", "agency.required", "Hãy chọn cơ quan (mã định danh)", "agency is required")}, "agency required")
	case who.Agency == AnyAgency:
		return asked, nil
	case asked == "" || asked == who.Agency:
		return who.Agency, nil
	}
	return "", errOtherAgency(asked)
}

func (c *Component) inbox(w http.ResponseWriter, r *http.Request) {
	who, err := c.Auth.Official(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	agency, err := queueAgency(who, q.Get("agency"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	role := q.Get("role")
	if role != "" && !who.Has(role) {
		web.WriteError(w, r, fault.New(fault.Forbidden, "dossier.wrong_role", "Tài khoản của bạn không có vai trò "+roleName(role), "the caller lacks role "+role))
		return
	}
	if role == "" && len(who.Roles) > 0 {
		role = who.Roles[0]
	}
	page, err := c.Svc.Inbox(r.Context(), agency, role, q.Get("filter"), intParam(r, "limit"), intParam(r, "offset"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (c *Component) overdue(w http.ResponseWriter, r *http.Request) {
	who, err := c.Auth.Official(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	agency, err := queueAgency(who, r.URL.Query().Get("agency"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	items, err := c.Svc.Overdue(r.Context(), agency, intParam(r, "limit"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}
