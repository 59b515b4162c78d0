package result

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/procedure"
)

// Component runs electronic results in a process (role "result"): the
// API under /result/v1/, the public verification pages under /xac-thuc
// (served on the portal), and the consumer that issues a dossier's result
// on approval.
type Component struct {
	k   *kernel.Kernel
	Svc *Service
	// Deliver issues and delivers results on dossier.approve events; it
	// runs when its Dossiers and Procedures are set (Connect does).
	Deliver *Deliverer
	// Holder says which citizen the request comes from (the portal's
	// session): their personal id. Nil: only the admin credential (with
	// the X-Vngov-Applicant header) reaches holders' documents.
	Holder func(r *http.Request) (id string, ok bool)
	pages  *Pages
}

// NewComponent returns the component on k. The documents' QR codes lead
// to the node's public URL (VNGOV_PUBLIC_URL); the demo sets the portal's.
func NewComponent(k *kernel.Kernel) (*Component, error) {
	base := ""
	if k.Config != nil {
		base = k.Config.PublicURL
	}
	c := &Component{k: k, Svc: New(k.DB, base)}
	c.Deliver = &Deliverer{Results: c.Svc, Log: k.Log}
	pages, err := NewPages(c.Svc)
	if err != nil {
		return nil, err
	}
	c.pages = pages
	return c, nil
}

// Connect finds, among the process's components, the dossier engine and
// the procedures database that delivery needs.
func (c *Component) Connect(cs []kernel.Component) {
	for _, o := range cs {
		switch x := o.(type) {
		case *dossier.Component:
			if ds, ok := any(x.Svc).(Dossiers); ok {
				c.Deliver.Dossiers = ds
			}
		case *procedure.Component:
			c.Deliver.Procedures = x.Svc
		}
	}
}

// Name is the role name.
func (c *Component) Name() string { return "result" }

// Migrations are the tables.
func (c *Component) Migrations() fs.FS { return Migrations() }

// Start makes sure the CA exists and, when the dossier engine and the
// procedures database are connected, starts delivering results.
func (c *Component) Start(ctx context.Context) error {
	if _, err := c.Svc.authority(ctx); err != nil {
		return err
	}
	if c.Deliver.Dossiers == nil || c.Deliver.Procedures == nil || c.k.Bus == nil {
		return nil
	}
	_, err := c.Deliver.Subscribe(ctx, c.k.Bus)
	return err
}

// Routes mounts the API and the public verification pages.
func (c *Component) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /result/v1/verify/{uri}", c.verifyURI)
	mux.HandleFunc("POST /result/v1/verify", c.verifyFile)
	mux.HandleFunc("GET /result/v1/ca.pem", c.caPEM)
	mux.HandleFunc("GET /result/v1/documents", c.list)
	mux.HandleFunc("GET /result/v1/documents/{uri}", c.get)
	mux.HandleFunc("GET /result/v1/documents/{uri}/file", c.file)
	mux.HandleFunc("POST /result/v1/documents/{uri}/revoke", c.revoke)
	mux.Handle("/result/v1/", web.APINotFound)
	c.pages.Routes(mux)
}

var personalIDRE = regexp.MustCompile(`^[0-9]{12}$`)

// caller says who asks for a holder's documents: the holder signed in on
// the portal, or the admin credential, acting as the citizen named by
// X-Vngov-Applicant (tests and scripts) or, without it, as an
// administrator who may read any document (audited).
func (c *Component) caller(r *http.Request) (holder string, admin *authn.Principal, err error) {
	if authn.BearerToken(r) != "" {
		p, err := c.k.Admin.Verify(r)
		if err != nil {
			return "", nil, err
		}
		if id := strings.TrimSpace(r.Header.Get(dossier.ApplicantHeader)); id != "" {
			if !personalIDRE.MatchString(id) {
				return "", nil, fault.New(fault.Unauthenticated, "auth.applicant_id", "Số định danh cá nhân phải gồm 12 chữ số", "the "+dossier.ApplicantHeader+" header must hold 12 digits")
			}
			return id, nil, nil
		}
		return "", p, nil
	}
	if c.Holder != nil {
		if id, ok := c.Holder(r); ok {
			return id, nil, nil
		}
	}
	return "", nil, fault.New(fault.Unauthenticated, "auth.required", "Bạn cần đăng nhập để xem giấy tờ của mình", "sign in on the portal, or send the admin bearer token")
}

func actor(r *http.Request, subject string) audit.Actor {
	return audit.Actor{Subject: subject, SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
}

// document returns the requested document to its holder, or to an
// administrator (audited).
func (c *Component) document(r *http.Request, withFile bool) (Document, []byte, error) {
	uri := r.PathValue("uri")
	holder, admin, err := c.caller(r)
	if err != nil {
		return Document{}, nil, err
	}
	var d Document
	var pdf []byte
	if admin != nil {
		d, pdf, err = c.Svc.File(r.Context(), uri)
	} else {
		d, pdf, err = c.Svc.ForHolder(r.Context(), holder, uri)
	}
	if err != nil {
		return d, nil, err
	}
	who := holder
	if admin != nil {
		who = admin.Subject
	}
	action := "result.read"
	if withFile {
		action = "result.download"
	}
	if err := audit.Record(r.Context(), c.k.DB, actor(r, who).Entry(action, "result/"+uri, audit.OK, map[string]any{"holder": d.HolderID, "as_admin": admin != nil})); err != nil {
		return d, nil, fault.Wrap(err, "result: audit read")
	}
	return d, pdf, nil
}

func (c *Component) get(w http.ResponseWriter, r *http.Request) {
	d, _, err := c.document(r, false)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	web.WriteJSON(w, http.StatusOK, d)
}

func (c *Component) file(w http.ResponseWriter, r *http.Request) {
	d, pdf, err := c.document(r, true)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	WritePDF(w, d, pdf)
}

// WritePDF answers with a document's file as an attachment.
func WritePDF(w http.ResponseWriter, d Document, pdf []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.URI + ".pdf"}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(pdf)))
	w.WriteHeader(http.StatusOK)
	w.Write(pdf)
}

func (c *Component) list(w http.ResponseWriter, r *http.Request) {
	holder, admin, err := c.caller(r)
	if err == nil && admin != nil {
		err = fault.New(fault.BadRequest, "result.holder_required", "Hãy nêu người được cấp bằng tiêu đề "+dossier.ApplicantHeader, "the list is a holder's: send "+dossier.ApplicantHeader)
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	docs, err := c.Svc.OfHolder(r.Context(), holder, limit, offset)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	web.WriteJSON(w, http.StatusOK, map[string]any{"documents": docs})
}

// RevokeRequest asks for a document to be revoked.
type RevokeRequest struct {
	Reason string `json:"reason"`
}

func (c *Component) revoke(w http.ResponseWriter, r *http.Request) {
	p, err := c.k.Admin.Verify(r)
	if err != nil {
		audit.Record(r.Context(), c.k.DB, actor(r, "anonymous").Entry("result.revoke", "result/"+r.PathValue("uri"), audit.Denied, nil))
		web.WriteError(w, r, err)
		return
	}
	var in RevokeRequest
	if err := web.DecodeJSON(r, &in, 8<<10); err != nil {
		web.WriteError(w, r, err)
		return
	}
	d, err := c.Svc.Revoke(r.Context(), actor(r, p.Subject), r.PathValue("uri"), in.Reason)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, d)
}

func (c *Component) verifyURI(w http.ResponseWriter, r *http.Request) {
	v, err := c.Svc.Verify(r.Context(), r.PathValue("uri"), nil)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, v)
}

// verifyFile checks a file sent as the body (Content-Type
// application/pdf) or as the "file" field of a multipart form, with an
// optional ?uri= it must be.
func (c *Component) verifyFile(w http.ResponseWriter, r *http.Request) {
	name, data, fields, err := ReadFile(w, r, "file", MaxVerifySize)
	if err == nil {
		err = CheckUpload(name, data)
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	uri := r.URL.Query().Get("uri")
	if uri == "" {
		uri = fields["uri"]
	}
	v, err := c.Svc.Verify(r.Context(), uri, data)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, v)
}

func (c *Component) caPEM(w http.ResponseWriter, r *http.Request) {
	b, err := c.Svc.CACertificate(r.Context())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(b)
}

// ReadFile reads one uploaded file of at most limit bytes: the body
// itself when it is application/pdf (named by ?name=, "tep.pdf" when
// absent), or the file field of a multipart/form-data body, whose other
// short text fields are returned too. The raw file name is read from the
// part's header, so that a name that tries to be a path is seen (and
// refused by CheckUpload), not silently cut to its last element.
func ReadFile(w http.ResponseWriter, r *http.Request, field string, limit int64) (name string, data []byte, fields map[string]string, err error) {
	fields = map[string]string{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	r.Body = http.MaxBytesReader(w, r.Body, limit+64<<10)
	switch mt {
	case "application/pdf", "application/octet-stream":
		data, err = io.ReadAll(r.Body)
		if err != nil {
			return "", nil, nil, bodyFault(err, limit)
		}
		name = r.URL.Query().Get("name")
		if name == "" {
			name = "tep.pdf"
		}
		return name, data, fields, nil
	case "multipart/form-data":
	default:
		return "", nil, nil, fault.New(fault.BadRequest, "request.content_type", "Hãy gửi tệp PDF (application/pdf) hoặc biểu mẫu có tệp (multipart/form-data)", "send application/pdf or multipart/form-data")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, nil, fault.New(fault.BadRequest, "request.multipart", "Không đọc được dữ liệu tệp gửi lên", err.Error())
	}
	found := false
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, nil, bodyFault(err, limit)
		}
		_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		if _, isFile := params["filename"]; !isFile {
			b, err := io.ReadAll(io.LimitReader(part, 4097))
			if err != nil {
				return "", nil, nil, bodyFault(err, limit)
			}
			if len(b) <= 4096 && len(fields) < 20 {
				fields[params["name"]] = string(b)
			}
			continue
		}
		if params["name"] != field || found {
			io.Copy(io.Discard, part)
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, limit+1))
		if err != nil {
			return "", nil, nil, bodyFault(err, limit)
		}
		name, data, found = params["filename"], b, true
	}
	return name, data, fields, nil
}

func bodyFault(err error, limit int64) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &fault.Error{Kind: fault.TooLarge, Code: "file.too_large", Message: "Tệp quá lớn: chỉ nhận tệp tối đa " + strconv.FormatInt(limit>>20, 10) + " MB",
			Detail: "the body is over the limit", Cause: err}
	}
	return fault.New(fault.BadRequest, "request.body", "Không đọc được dữ liệu gửi lên", err.Error())
}
