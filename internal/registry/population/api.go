package population

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/registry"
)

// Service codes on the exchange. Each read is its own service so that the
// provider can grant them separately: most callers need only verify.
const (
	ServicePerson    = "nguoi-dan"          // GET /person/{id}: the full record
	ServiceVerify    = "xac-thuc-thong-tin" // POST /person/verify: match or no match per field
	ServiceHousehold = "ho-gia-dinh"        // GET /person/{id}/household
	ServiceRelations = "quan-he-nhan-than"  // GET /person/{id}/relations
	ServiceAccessLog = "nhat-ky-truy-cap"   // GET /person/{id}/access-log
	ServiceChanges   = "bien-dong"          // GET /changes: the change feed
)

// API is the registry's backend behind its gateway. Each service has its
// own path prefix, so one service's access right cannot reach another's
// paths through the same backend.
type API struct {
	svc *Service
	// MayReadAccessLog decides who may read a person's access log: the
	// person themself (through the portal's wallet, which signed them in)
	// or an auditor. The default allows the person only.
	MayReadAccessLog func(p registry.Purpose, id string) bool
}

// NewAPI returns the backend API of svc.
func NewAPI(svc *Service) *API {
	return &API{svc: svc, MayReadAccessLog: func(p registry.Purpose, id string) bool { return IsSelf(p.UserID, id) }}
}

// IsSelf reports whether userID (as X-Road-UserId carries it, with or
// without the "VN" country prefix) is the person id.
func IsSelf(userID, id string) bool { return strings.TrimPrefix(userID, "VN") == id }

// Routes mounts the backend under prefix (e.g. "/population").
func (a *API) Routes(mux *http.ServeMux, prefix string) {
	mux.HandleFunc("GET "+prefix+"/"+ServicePerson+"/person/{id}", a.person)
	mux.HandleFunc("POST "+prefix+"/"+ServiceVerify+"/person/verify", a.verify)
	mux.HandleFunc("GET "+prefix+"/"+ServiceHousehold+"/person/{id}/household", a.household)
	mux.HandleFunc("GET "+prefix+"/"+ServiceRelations+"/person/{id}/relations", a.relations)
	mux.HandleFunc("GET "+prefix+"/"+ServiceAccessLog+"/person/{id}/access-log", a.accessLog)
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

func (a *API) person(w http.ResponseWriter, r *http.Request) {
	p, err := registry.PurposeOf(r, ServicePerson)
	if err != nil {
		reply(w, r, nil, err)
		return
	}
	rec, err := a.svc.Get(r.Context(), r.PathValue("id"), p)
	reply(w, r, rec, err)
}

func (a *API) verify(w http.ResponseWriter, r *http.Request) {
	p, err := registry.PurposeOf(r, ServiceVerify)
	if err != nil {
		reply(w, r, nil, err)
		return
	}
	var req VerifyRequest
	if err := web.DecodeJSON(r, &req, 1<<16); err != nil {
		reply(w, r, nil, err)
		return
	}
	if req.ID == "" {
		reply(w, r, nil, fault.Invalidf([]fault.FieldError{fe("id", "id.required", "Hãy gửi số định danh cần xác thực", "id is required")}, "id required"))
		return
	}
	res, err := a.svc.Verify(r.Context(), req, p)
	reply(w, r, res, err)
}

func (a *API) household(w http.ResponseWriter, r *http.Request) {
	p, err := registry.PurposeOf(r, ServiceHousehold)
	if err != nil {
		reply(w, r, nil, err)
		return
	}
	h, err := a.svc.HouseholdOf(r.Context(), r.PathValue("id"), p)
	reply(w, r, h, err)
}

func (a *API) relations(w http.ResponseWriter, r *http.Request) {
	p, err := registry.PurposeOf(r, ServiceRelations)
	if err != nil {
		reply(w, r, nil, err)
		return
	}
	rel, err := a.svc.RelationsOf(r.Context(), r.PathValue("id"), p)
	reply(w, r, rel, err)
}

func (a *API) accessLog(w http.ResponseWriter, r *http.Request) {
	p, err := registry.PurposeOf(r, ServiceAccessLog)
	if err != nil {
		reply(w, r, nil, err)
		return
	}
	id := r.PathValue("id")
	if !a.MayReadAccessLog(p, id) {
		reply(w, r, nil, fault.New(fault.Forbidden, "population.access_log_forbidden",
			"Nhật ký truy cập chỉ được xem bởi chính công dân hoặc cơ quan kiểm tra",
			"the access log is shown only to the person themself or to an auditor"))
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	log, err := a.svc.AccessLogOf(r.Context(), id, limit, offset)
	reply(w, r, map[string]any{"id": id, "items": log}, err)
}
