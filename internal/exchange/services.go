package exchange

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

// Services is a provider gateway's register of services and access rights.
type Services struct {
	db *store.DB
}

// NewServices returns the register over db.
func NewServices(db *store.DB) *Services { return &Services{db: db} }

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// ParseOpenAPI reads the endpoints (method and path of every operation)
// and the title of an OpenAPI 3 description in JSON or YAML.
func ParseOpenAPI(doc string) (title string, eps []Endpoint, err error) {
	var d struct {
		OpenAPI string `yaml:"openapi"`
		Info    struct {
			Title string `yaml:"title"`
		} `yaml:"info"`
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal([]byte(doc), &d); err != nil {
		return "", nil, fmt.Errorf("not JSON or YAML: %w", err)
	}
	if !strings.HasPrefix(d.OpenAPI, "3.") {
		return "", nil, fmt.Errorf("openapi must be 3.x, got %q", d.OpenAPI)
	}
	for p, ops := range d.Paths {
		if !strings.HasPrefix(p, "/") {
			return "", nil, fmt.Errorf("path %q must start with /", p)
		}
		for _, m := range httpMethods {
			if _, ok := ops[m]; ok {
				eps = append(eps, Endpoint{Method: strings.ToUpper(m), Path: p})
			}
		}
	}
	sort.Slice(eps, func(i, j int) bool {
		if eps[i].Path != eps[j].Path {
			return eps[i].Path < eps[j].Path
		}
		return eps[i].Method < eps[j].Method
	})
	return d.Info.Title, eps, nil
}

// AddService registers (or replaces) a service of provider at gateway.
func (s *Services) AddService(ctx context.Context, who audit.Actor, svc Service) (Service, error) {
	var fields []fault.FieldError
	if !validPart(svc.Code) {
		fields = append(fields, partError("service_code", svc.Code))
	}
	if u, err := url.Parse(svc.BackendURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fields = append(fields, fault.FieldError{Field: "backend_url", Code: "url.format", Message: "Địa chỉ dịch vụ phải là URL http:// hoặc https://", Detail: "backend_url must be an http:// or https:// URL"})
	}
	title, eps, err := ParseOpenAPI(svc.OpenAPI)
	if err != nil {
		fields = append(fields, fault.FieldError{Field: "openapi", Code: "openapi.invalid", Message: "Mô tả OpenAPI 3 không hợp lệ: " + err.Error(), Detail: "invalid OpenAPI 3 description: " + err.Error()})
	}
	if len(strings.Split(svc.Provider, "/")) != 4 {
		fields = append(fields, fault.FieldError{Field: "provider", Code: "provider.format", Message: "Hệ thống cung cấp phải có dạng VÙNG/LOẠI/MÃ/HỆ THỐNG", Detail: "provider must be INSTANCE/CLASS/MEMBER/SUBSYSTEM"})
	}
	if len(fields) > 0 {
		return svc, fault.Invalidf(fields, "invalid service")
	}
	if svc.Title == "" {
		svc.Title = title
	}
	if svc.Timeout <= 0 {
		svc.Timeout = 30 * time.Second
	}
	if svc.MaxBody <= 0 {
		svc.MaxBody = 10 << 20
	}
	svc.Endpoints = eps
	now := time.Now().UnixMicro()
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM xr_endpoint WHERE provider = ? AND service_code = ?", svc.Provider, svc.Code); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM xr_service WHERE provider = ? AND service_code = ?", svc.Provider, svc.Code); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO xr_service (gateway_id, provider, service_code, backend_url, openapi, title, personal_data, log_bodies, timeout_ms, max_body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			svc.Gateway, svc.Provider, svc.Code, svc.BackendURL, svc.OpenAPI, svc.Title, boolInt(svc.PersonalData), boolInt(svc.LogBodies), svc.Timeout.Milliseconds(), svc.MaxBody, now, now)
		if err != nil {
			return fmt.Errorf("exchange: add service: %w", err)
		}
		for _, ep := range eps {
			if _, err := tx.Exec(ctx, "INSERT INTO xr_endpoint (provider, service_code, method, path) VALUES (?, ?, ?, ?)", svc.Provider, svc.Code, ep.Method, ep.Path); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, who.Entry("exchange.service.add", "exchange/service/"+svc.Provider+"/"+svc.Code, audit.OK,
			map[string]any{"backend_url": svc.BackendURL, "endpoints": len(eps), "personal_data": svc.PersonalData})); err != nil {
			return err
		}
		return changed(ctx, tx, svc.Gateway)
	})
	return svc, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Grant gives subject (a client subsystem INSTANCE/CLASS/MEMBER/SUBSYSTEM
// or "group:CODE") the right to call an endpoint of a service; method "*"
// and path "**" grant the whole service.
func (s *Services) Grant(ctx context.Context, who audit.Actor, a Access) error {
	if a.Endpoint.Method == "" {
		a.Endpoint.Method = "*"
	}
	if a.Endpoint.Path == "" {
		a.Endpoint.Path = "**"
	}
	a.Endpoint.Method = strings.ToUpper(a.Endpoint.Method)
	if !strings.HasPrefix(a.Subject, "group:") && len(strings.Split(a.Subject, "/")) != 4 {
		return fault.Invalidf([]fault.FieldError{{Field: "subject", Code: "subject.format", Message: "Đối tượng được cấp quyền phải là hệ thống VÙNG/LOẠI/MÃ/HỆ THỐNG hoặc group:MÃ NHÓM", Detail: "subject must be INSTANCE/CLASS/MEMBER/SUBSYSTEM or group:CODE"}}, "bad subject")
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		var n int
		tx.QueryRow(ctx, "SELECT COUNT(*) FROM xr_service WHERE provider = ? AND service_code = ?", a.Provider, a.Service).Scan(&n)
		if n == 0 {
			return fault.NotFoundf("exchange.service_not_found", "Chưa có dịch vụ "+a.Service+" của "+a.Provider, "no service %s/%s", a.Provider, a.Service)
		}
		if a.Endpoint.Path != "**" {
			var e int
			tx.QueryRow(ctx, "SELECT COUNT(*) FROM xr_endpoint WHERE provider = ? AND service_code = ? AND (method = ? OR ? = '*') AND path = ?", a.Provider, a.Service, a.Endpoint.Method, a.Endpoint.Method, a.Endpoint.Path).Scan(&e)
			if e == 0 {
				return fault.NotFoundf("exchange.endpoint_not_found", "Dịch vụ không có điểm cuối "+a.Endpoint.Method+" "+a.Endpoint.Path+" trong mô tả OpenAPI", "the service has no endpoint %s %s in its OpenAPI description", a.Endpoint.Method, a.Endpoint.Path)
			}
		}
		_, err := tx.Exec(ctx, "INSERT INTO xr_access (provider, service_code, method, path, subject, granted_at, granted_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
			a.Provider, a.Service, a.Endpoint.Method, a.Endpoint.Path, a.Subject, time.Now().UnixMicro(), who.Subject)
		if err != nil {
			return fmt.Errorf("exchange: grant: %w", err)
		}
		if err := audit.Record(ctx, tx, who.Entry("exchange.access.grant", "exchange/service/"+a.Provider+"/"+a.Service, audit.OK,
			map[string]any{"subject": a.Subject, "method": a.Endpoint.Method, "path": a.Endpoint.Path})); err != nil {
			return err
		}
		return changedService(ctx, tx, a.Provider, a.Service)
	})
}

// Revoke removes an access right.
func (s *Services) Revoke(ctx context.Context, who audit.Actor, a Access) error {
	if a.Endpoint.Method == "" {
		a.Endpoint.Method = "*"
	}
	if a.Endpoint.Path == "" {
		a.Endpoint.Path = "**"
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM xr_access WHERE provider = ? AND service_code = ? AND method = ? AND path = ? AND subject = ?",
			a.Provider, a.Service, strings.ToUpper(a.Endpoint.Method), a.Endpoint.Path, a.Subject)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.NotFoundf("exchange.access_not_found", "Không có quyền truy cập này để thu hồi", "no such access right")
		}
		if err := audit.Record(ctx, tx, who.Entry("exchange.access.revoke", "exchange/service/"+a.Provider+"/"+a.Service, audit.OK,
			map[string]any{"subject": a.Subject, "method": a.Endpoint.Method, "path": a.Endpoint.Path})); err != nil {
			return err
		}
		return changedService(ctx, tx, a.Provider, a.Service)
	})
}

// serviceIndex is a gateway's services and rights in memory.
type serviceIndex struct {
	byID map[string]*serviceEntry // PROVIDER/SERVICE
}

type serviceEntry struct {
	Service
	access []Access
}

// load reads the services hosted by gateway.
func (s *Services) load(ctx context.Context, gateway string) (*serviceIndex, error) {
	ix := &serviceIndex{byID: map[string]*serviceEntry{}}
	rows, err := s.db.Query(ctx, "SELECT provider, service_code, backend_url, openapi, title, personal_data, log_bodies, timeout_ms, max_body FROM xr_service WHERE gateway_id = ?", gateway)
	if err != nil {
		return nil, fmt.Errorf("exchange: load services: %w", err)
	}
	for rows.Next() {
		var e serviceEntry
		var personal, bodies int
		var timeout int64
		if err := rows.Scan(&e.Provider, &e.Code, &e.BackendURL, &e.OpenAPI, &e.Title, &personal, &bodies, &timeout, &e.MaxBody); err != nil {
			rows.Close()
			return nil, err
		}
		e.Gateway, e.PersonalData, e.LogBodies, e.Timeout = gateway, personal == 1, bodies == 1, time.Duration(timeout)*time.Millisecond
		ix.byID[e.Provider+"/"+e.Code] = &e
	}
	rows.Close()
	rows, err = s.db.Query(ctx, "SELECT e.provider, e.service_code, e.method, e.path FROM xr_endpoint e JOIN xr_service s ON s.provider = e.provider AND s.service_code = e.service_code WHERE s.gateway_id = ? ORDER BY e.path, e.method", gateway)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var p, c string
		var ep Endpoint
		if err := rows.Scan(&p, &c, &ep.Method, &ep.Path); err != nil {
			rows.Close()
			return nil, err
		}
		if e := ix.byID[p+"/"+c]; e != nil {
			e.Endpoints = append(e.Endpoints, ep)
		}
	}
	rows.Close()
	rows, err = s.db.Query(ctx, "SELECT a.provider, a.service_code, a.method, a.path, a.subject, a.granted_at, a.granted_by FROM xr_access a JOIN xr_service s ON s.provider = a.provider AND s.service_code = a.service_code WHERE s.gateway_id = ?", gateway)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a Access
		var at int64
		if err := rows.Scan(&a.Provider, &a.Service, &a.Endpoint.Method, &a.Endpoint.Path, &a.Subject, &at, &a.By); err != nil {
			return nil, err
		}
		a.Granted = time.UnixMicro(at)
		if e := ix.byID[a.Provider+"/"+a.Service]; e != nil {
			e.access = append(e.access, a)
		}
	}
	return ix, rows.Err()
}

// changed emits the event that makes gateway reload its services.
func changed(ctx context.Context, tx *store.Tx, gateway string) error {
	_, err := bus.Emit(ctx, tx, bus.Event{Type: EventServicesChanged, Source: "exchange", Subject: gateway})
	return err
}

func changedService(ctx context.Context, tx *store.Tx, provider, service string) error {
	var gw string
	if err := tx.QueryRow(ctx, "SELECT gateway_id FROM xr_service WHERE provider = ? AND service_code = ?", provider, service).Scan(&gw); err != nil {
		return fmt.Errorf("exchange: service gateway: %w", err)
	}
	return changed(ctx, tx, gw)
}

// List returns the services of a gateway (all gateways when empty).
func (s *Services) List(ctx context.Context, gateway string) ([]Service, error) {
	q := "SELECT gateway_id, provider, service_code, title, backend_url, personal_data, log_bodies, max_body FROM xr_service"
	var args []any
	if gateway != "" {
		q += " WHERE gateway_id = ?"
		args = append(args, gateway)
	}
	rows, err := s.db.Query(ctx, q+" ORDER BY provider, service_code", args...)
	if err != nil {
		return nil, fmt.Errorf("exchange: list services: %w", err)
	}
	defer rows.Close()
	out := []Service{}
	for rows.Next() {
		var v Service
		var p, b int
		if err := rows.Scan(&v.Gateway, &v.Provider, &v.Code, &v.Title, &v.BackendURL, &p, &b, &v.MaxBody); err != nil {
			return nil, err
		}
		v.PersonalData, v.LogBodies = p == 1, b == 1
		out = append(out, v)
	}
	return out, rows.Err()
}

// AccessList returns the access rights of a provider's service.
func (s *Services) AccessList(ctx context.Context, provider, service string) ([]Access, error) {
	rows, err := s.db.Query(ctx, "SELECT method, path, subject, granted_at, granted_by FROM xr_access WHERE provider = ? AND service_code = ? ORDER BY subject, path, method", provider, service)
	if err != nil {
		return nil, fmt.Errorf("exchange: access list: %w", err)
	}
	defer rows.Close()
	out := []Access{}
	for rows.Next() {
		a := Access{Provider: provider, Service: service}
		var at int64
		if err := rows.Scan(&a.Endpoint.Method, &a.Endpoint.Path, &a.Subject, &at, &a.By); err != nil {
			return nil, err
		}
		a.Granted = time.UnixMicro(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetBackend points a service at a new backend base URL.
func (s *Services) SetBackend(ctx context.Context, who audit.Actor, provider, service, backendURL string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		var gw string
		err := tx.QueryRow(ctx, "SELECT gateway_id FROM xr_service WHERE provider = ? AND service_code = ?", provider, service).Scan(&gw)
		if err != nil {
			return nil // no such service to move
		}
		res, err := tx.Exec(ctx, "UPDATE xr_service SET backend_url = ?, updated_at = ? WHERE provider = ? AND service_code = ? AND backend_url <> ?", backendURL, time.Now().UnixMicro(), provider, service, backendURL)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if err := audit.Record(ctx, tx, who.Entry("exchange.service.backend", "exchange/service/"+provider+"/"+service, audit.OK, map[string]any{"backend_url": backendURL})); err != nil {
			return err
		}
		return changed(ctx, tx, gw)
	})
}
