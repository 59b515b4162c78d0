package catalog

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

// API serves /catalog/v1/ (described in docs/api/catalog.openapi.yaml).
type API struct {
	svc   *Service
	authn authn.Verifier
}

// NewAPI returns the catalog's HTTP API; writes need a principal with the
// catalog-admin role from v.
func NewAPI(svc *Service, v authn.Verifier) *API { return &API{svc: svc, authn: v} }

// Routes mounts the API on mux.
func (a *API) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /catalog/v1/lists", a.lists)
	mux.HandleFunc("POST /catalog/v1/lists", a.admin(a.createList))
	mux.HandleFunc("GET /catalog/v1/lists/{list}", a.list)
	mux.HandleFunc("GET /catalog/v1/lists/{list}/items", a.items)
	mux.HandleFunc("GET /catalog/v1/lists/{list}/items/{code}", a.item)
	mux.HandleFunc("GET /catalog/v1/lists/{list}/items/{code}/history", a.history)
	mux.HandleFunc("GET /catalog/v1/lists/{list}/export", a.export)
	mux.HandleFunc("GET /catalog/v1/lists/{list}/translate", a.translate)
	mux.HandleFunc("GET /catalog/v1/admin-units/translate", a.translate)
	mux.HandleFunc("GET /catalog/v1/lists/{list}/versions", a.versions)
	mux.HandleFunc("POST /catalog/v1/lists/{list}/versions", a.admin(a.publish))
	mux.HandleFunc("GET /catalog/v1/lists/{list}/draft", a.admin(a.draft))
	mux.HandleFunc("DELETE /catalog/v1/lists/{list}/draft", a.admin(a.discard))
	mux.HandleFunc("POST /catalog/v1/lists/{list}/draft/items", a.admin(a.stageItem))
	mux.HandleFunc("POST /catalog/v1/lists/{list}/draft/retirements", a.admin(a.stageRetire))
	mux.Handle("/catalog/v1/", web.APINotFound)
}

// listParam returns the list named in the path; the admin-units
// translation route has none in its path.
func listParam(r *http.Request) string {
	if l := r.PathValue("list"); l != "" {
		return l
	}
	return "admin-units"
}

func (a *API) lists(w http.ResponseWriter, r *http.Request) {
	ls, err := a.svc.Lists(r.Context())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	var tag strings.Builder
	for _, l := range ls {
		fmt.Fprintf(&tag, "%s.%d.", l.Code, l.Version)
	}
	if web.CheckETag(w, r, "lists-"+a.svc.Today()+"-"+strconv.Itoa(len(ls))+"-"+hashTag(tag.String())) {
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": ls, "total": len(ls)})
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	l, err := a.svc.List(r.Context(), r.PathValue("list"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if web.CheckETag(w, r, fmt.Sprintf("%s-v%d-%s", l.Code, l.Version, a.svc.Today())) {
		return
	}
	web.WriteJSON(w, http.StatusOK, l)
}

// intParam parses an integer query parameter, reporting a field error.
func intParam(q url.Values, name string, fields *[]fault.FieldError) int {
	v := q.Get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		*fields = append(*fields, fault.FieldError{Field: name, Code: name + ".format", Message: fmt.Sprintf("Tham số %s phải là số nguyên", name), Detail: name + " must be an integer"})
	}
	return n
}

func (a *API) items(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var fields []fault.FieldError
	iq := ItemQuery{Parent: q.Get("parent"), Level: q.Get("level"), Q: q.Get("q"), At: q.Get("at"),
		Limit: intParam(q, "limit", &fields), Offset: intParam(q, "offset", &fields)}
	if len(fields) > 0 {
		web.WriteError(w, r, fault.Invalidf(fields, "invalid query parameters"))
		return
	}
	list := r.PathValue("list")
	l, err := a.svc.List(r.Context(), list)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	at := iq.At
	if at == "" {
		at = a.svc.Today()
	}
	if web.CheckETag(w, r, fmt.Sprintf("%s-v%d-%s", list, l.Version, at)) {
		return
	}
	page, err := a.svc.Items(r.Context(), list, iq)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if page.Offset+len(page.Items) < page.Total {
		nq := r.URL.Query()
		nq.Set("offset", strconv.Itoa(page.Offset+page.Limit))
		nq.Set("limit", strconv.Itoa(page.Limit))
		page.Next = r.URL.Path + "?" + nq.Encode()
		w.Header().Set("Link", "<"+page.Next+`>; rel="next"`)
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (a *API) item(w http.ResponseWriter, r *http.Request) {
	list, code, at := r.PathValue("list"), r.PathValue("code"), r.URL.Query().Get("at")
	it, err := a.svc.Item(r.Context(), list, code, at)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	l, _ := a.svc.List(r.Context(), list)
	if at == "" {
		at = a.svc.Today()
	}
	if web.CheckETag(w, r, fmt.Sprintf("%s-v%d-%s-%s", list, l.Version, at, hashTag(code))) {
		return
	}
	web.WriteJSON(w, http.StatusOK, it)
}

func (a *API) history(w http.ResponseWriter, r *http.Request) {
	h, err := a.svc.History(r.Context(), r.PathValue("list"), r.PathValue("code"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"code": r.PathValue("code"), "versions": h})
}

func (a *API) translate(w http.ResponseWriter, r *http.Request) {
	tr, err := a.svc.Translate(r.Context(), listParam(r), r.URL.Query().Get("code"), r.URL.Query().Get("at"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, tr)
}

func (a *API) versions(w http.ResponseWriter, r *http.Request) {
	vs, err := a.svc.Versions(r.Context(), r.PathValue("list"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": vs, "total": len(vs)})
}

// export writes every item valid on a day (or, with at=all, every version
// of every item) as CSV or JSON, for download.
func (a *API) export(w http.ResponseWriter, r *http.Request) {
	list, q := r.PathValue("list"), r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "json" {
		web.WriteError(w, r, fault.Invalidf([]fault.FieldError{{Field: "format", Code: "format.value", Message: "Định dạng tải xuống phải là csv hoặc json", Detail: "format must be csv or json"}}, "bad format"))
		return
	}
	items, at, err := a.svc.Export(r.Context(), list, q.Get("at"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	name := fmt.Sprintf("%s-%s.%s", list, at, format)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if format == "json" {
		web.WriteJSON(w, http.StatusOK, map[string]any{"list": list, "at": at, "total": len(items), "items": items})
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	// A byte-order mark lets spreadsheet programs, which most offices use
	// to open these files, read the Vietnamese text as UTF-8.
	w.Write([]byte("\uFEFF"))
	WriteCSV(w, items)
}

// WriteCSV writes items as CSV with a header row.
func WriteCSV(w http.ResponseWriter, items []Item) {
	cw := csv.NewWriter(w)
	cw.Write([]string{"code", "name", "name_en", "parent", "level", "valid_from", "valid_to", "replaced_by", "attributes"})
	for _, it := range items {
		var repl []string
		for _, s := range it.ReplacedBy {
			repl = append(repl, s.Code+":"+s.Type)
		}
		attrs := ""
		if len(it.Attributes) > 0 {
			b, _ := json.Marshal(it.Attributes)
			attrs = string(b)
		}
		cw.Write([]string{it.Code, it.Name, it.NameEn, it.Parent, it.Level, it.ValidFrom, it.ValidTo, strings.Join(repl, ";"), attrs})
	}
	cw.Flush()
}

// admin wraps a write handler: it requires the catalog-admin role and
// audits refusals.
func (a *API) admin(next func(w http.ResponseWriter, r *http.Request, who audit.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who := audit.Actor{Subject: "anonymous", SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
		p, err := a.authn.Verify(r)
		if err == nil && !p.Has(authn.RoleCatalogAdmin) {
			who.Subject = p.Subject
			err = fault.New(fault.Forbidden, "auth.forbidden", "Tài khoản không có quyền quản trị danh mục", "the caller lacks the catalog-admin role")
		}
		if err != nil {
			audit.Record(r.Context(), a.svc.db, who.Entry("catalog.write", "catalog"+strings.TrimPrefix(r.URL.Path, "/catalog/v1"), audit.Denied, map[string]any{"method": r.Method}))
			web.WriteError(w, r, err)
			return
		}
		who.Subject = p.Subject
		next(w, r, who)
	}
}

const maxBody = 1 << 20

func (a *API) createList(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	var in List
	if err := web.DecodeJSON(r, &in, maxBody); err != nil {
		web.WriteError(w, r, err)
		return
	}
	l, err := a.svc.CreateList(r.Context(), who, in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Location", "/catalog/v1/lists/"+l.Code)
	web.WriteJSON(w, http.StatusCreated, l)
}

func (a *API) stageItem(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	var in Item
	if err := web.DecodeJSON(r, &in, maxBody); err != nil {
		web.WriteError(w, r, err)
		return
	}
	ch, err := a.svc.StageItem(r.Context(), who, r.PathValue("list"), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusAccepted, ch)
}

func (a *API) stageRetire(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	var in Retire
	if err := web.DecodeJSON(r, &in, maxBody); err != nil {
		web.WriteError(w, r, err)
		return
	}
	ch, err := a.svc.StageRetire(r.Context(), who, r.PathValue("list"), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusAccepted, ch)
}

func (a *API) draft(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	d, err := a.svc.Draft(r.Context(), r.PathValue("list"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": d, "total": len(d)})
}

func (a *API) discard(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	if err := a.svc.DiscardDraft(r.Context(), who, r.PathValue("list")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) publish(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	var in struct {
		Note string `json:"note"`
	}
	if r.ContentLength != 0 {
		if err := web.DecodeJSON(r, &in, maxBody); err != nil {
			web.WriteError(w, r, err)
			return
		}
	}
	v, err := a.svc.Publish(r.Context(), who, r.PathValue("list"), in.Note)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, v)
}

// hashTag shortens a string for use inside an ETag.
func hashTag(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return strconv.FormatUint(h.Sum64(), 36)
}
