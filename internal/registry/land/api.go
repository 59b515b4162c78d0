package land

import (
	"net/http"

	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/registry"
)

// Service codes on the exchange. Each read is its own service so that the
// provider can grant them separately.
const (
	ServiceParcel   = "thua-dat"          // GET /parcel/{id}: a parcel's record
	ServiceByHolder = "thua-dat-theo-chu" // GET /parcels?holder=: the parcels a person or enterprise holds
	ServiceChanges  = "bien-dong-dat-dai" // GET /changes: the change feed
)

// Services lists the registry's exchange service codes.
func Services() []string { return []string{ServiceParcel, ServiceByHolder, ServiceChanges} }

// API is the registry's backend behind its gateway. Each service has its
// own path prefix, so one service's access right cannot reach another's
// paths through the same backend.
type API struct {
	svc *Service
}

// NewAPI returns the backend API of svc.
func NewAPI(svc *Service) *API { return &API{svc: svc} }

// Routes mounts the backend under prefix (e.g. "/land").
func (a *API) Routes(mux *http.ServeMux, prefix string) {
	mux.HandleFunc("GET "+prefix+"/"+ServiceParcel+"/parcel/{id}", a.parcel)
	mux.HandleFunc("GET "+prefix+"/"+ServiceByHolder+"/parcels", a.byHolder)
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

func (a *API) parcel(w http.ResponseWriter, r *http.Request) {
	p, err := registry.PurposeOf(r, ServiceParcel)
	if err != nil {
		reply(w, r, nil, err)
		return
	}
	rec, err := a.svc.Get(r.Context(), r.PathValue("id"), p)
	reply(w, r, rec, err)
}

func (a *API) byHolder(w http.ResponseWriter, r *http.Request) {
	p, err := registry.PurposeOf(r, ServiceByHolder)
	if err != nil {
		reply(w, r, nil, err)
		return
	}
	holder := r.URL.Query().Get("holder")
	if holder == "" {
		reply(w, r, nil, invalidQuery("holder", "holder.required", "Hãy ghi số định danh cá nhân hoặc mã số doanh nghiệp của người sử dụng đất", "holder (a personal ID or an enterprise code) is required"))
		return
	}
	items, err := a.svc.ByHolder(r.Context(), holder, p)
	reply(w, r, map[string]any{"holder": holder, "items": items}, err)
}
