package enterprise

import (
	"net/http"
	"strconv"

	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/registry"
)

// Service codes on the exchange. Each read is its own service so that the
// provider can grant them separately: most callers need only the
// representatives, or the search.
const (
	ServiceEnterprise      = "doanh-nghiep"           // GET /enterprise/{code}: the full record
	ServiceSearch          = "tim-doanh-nghiep"       // GET /enterprises?name=&limit=: search by name or code
	ServiceRepresentatives = "nguoi-dai-dien"         // GET /enterprise/{code}/representatives
	ServiceChanges         = "bien-dong-doanh-nghiep" // GET /changes: the change feed
)

// Services lists the registry's exchange service codes.
func Services() []string {
	return []string{ServiceEnterprise, ServiceSearch, ServiceRepresentatives, ServiceChanges}
}

// API is the registry's backend behind its gateway. Each service has its
// own path prefix, so one service's access right cannot reach another's
// paths through the same backend.
type API struct {
	svc *Service
}

// NewAPI returns the backend API of svc.
func NewAPI(svc *Service) *API { return &API{svc: svc} }

// Routes mounts the backend under prefix (e.g. "/enterprise").
func (a *API) Routes(mux *http.ServeMux, prefix string) {
	mux.HandleFunc("GET "+prefix+"/"+ServiceEnterprise+"/enterprise/{code}", a.enterprise)
	mux.HandleFunc("GET "+prefix+"/"+ServiceSearch+"/enterprises", a.search)
	mux.HandleFunc("GET "+prefix+"/"+ServiceRepresentatives+"/enterprise/{code}/representatives", a.representatives)
	mux.HandleFunc("GET "+prefix+"/"+ServiceChanges+"/changes", registry.ChangesHandler(a.svc.db, Name, ServiceChanges, reply))
	mux.Handle(prefix+"/", web.APINotFound)
}

func reply(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, v)
}

func (a *API) enterprise(w http.ResponseWriter, r *http.Request) {
	p, err := registry.PurposeOf(r, ServiceEnterprise)
	if err != nil {
		reply(w, r, nil, err)
		return
	}
	e, err := a.svc.Get(r.Context(), r.PathValue("code"), p)
	reply(w, r, e, err)
}

func (a *API) search(w http.ResponseWriter, r *http.Request) {
	// A search discloses no personal data, but it is a read of the
	// registry like the others: with a purpose.
	if _, err := registry.PurposeOf(r, ServiceSearch); err != nil {
		reply(w, r, nil, err)
		return
	}
	q := r.URL.Query()
	name := q.Get("name")
	if name == "" {
		reply(w, r, nil, invalidQuery("name", "name.required", "Hãy nhập tên hoặc mã số doanh nghiệp cần tìm", "name is required"))
		return
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	items, total, err := a.svc.Search(r.Context(), name, limit, offset)
	reply(w, r, map[string]any{"items": items, "total": total}, err)
}

func (a *API) representatives(w http.ResponseWriter, r *http.Request) {
	p, err := registry.PurposeOf(r, ServiceRepresentatives)
	if err != nil {
		reply(w, r, nil, err)
		return
	}
	rep, err := a.svc.Representatives(r.Context(), r.PathValue("code"), p)
	reply(w, r, rep, err)
}
