package exchange

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/vnid"
	"github.com/vngov/vngov/internal/platform/web"
)

// Demo identifiers. The agency codes are those of the catalog's agencies
// list (Văn phòng Chính phủ's is real; the Ministry of Public Security's is
// a demo code there).
const (
	DemoGovOffice = "000.00.00.G22" // Văn phòng Chính phủ: runs the hub (NDXP) and the national portal
	DemoMPS       = "000.00.00.G91" // Bộ Công an: the population registry's provider
	DemoHanoi     = "000.00.00.H26" // UBND Thành phố Hà Nội: LGSP and one-stop system
	DemoFinance   = "000.00.00.G12" // Bộ Tài chính: the enterprise registration database
	DemoLand      = "000.00.00.G94" // Bộ Nông nghiệp và Môi trường: the land database
)

// DemoGateway describes one gateway of the demo topology.
type DemoGateway struct {
	Member     string // CLASS/CODE
	Name       string
	ID         string // CLASS/MEMBER/SERVERCODE
	ClientPort int
	PeerPort   int
}

// DemoOptions places the demo on ports and names the services it links.
type DemoOptions struct {
	PortBase   int
	CatalogURL string // the catalog API, offered over the exchange by the Government Office
	Dir        string // where the gateways' keys live
	// ConfInterval overrides how often gateways fetch the configuration.
	ConfInterval time.Duration
}

// DemoGateways are the demo's gateways: the hub's own (centralized mode,
// for systems hosted at the national data centre), the Ministry of Public
// Security's and Hà Nội's (direct mode).
func DemoGateways(portBase int) []DemoGateway {
	return []DemoGateway{
		{Member: "GOV/" + DemoGovOffice, Name: "Văn phòng Chính phủ (NDXP)", ID: "GOV/" + DemoGovOffice + "/NDXP", ClientPort: portBase + 30, PeerPort: portBase + 50},
		{Member: "GOV/" + DemoMPS, Name: "Bộ Công an", ID: "GOV/" + DemoMPS + "/GW-BCA", ClientPort: portBase + 31, PeerPort: portBase + 51},
		{Member: "GOV/" + DemoHanoi, Name: "Ủy ban nhân dân Thành phố Hà Nội (LGSP)", ID: "GOV/" + DemoHanoi + "/LGSP-HN", ClientPort: portBase + 32, PeerPort: portBase + 52},
		{Member: "GOV/" + DemoFinance, Name: "Bộ Tài chính", ID: "GOV/" + DemoFinance + "/GW-BTC", ClientPort: portBase + 33, PeerPort: portBase + 53},
		{Member: "GOV/" + DemoLand, Name: "Bộ Nông nghiệp và Môi trường", ID: "GOV/" + DemoLand + "/GW-BNNMT", ClientPort: portBase + 34, PeerPort: portBase + 54},
	}
}

// DemoResult is what the demo started.
type DemoResult struct {
	Gateways map[string]*RunningGateway // by member "VN-DEMO/GOV/CODE"
	Names    map[string]string
	Backend  string
}

// RunDemo registers the demo topology (once), issues the gateways'
// certificates, and starts the gateways and the demo backend.
func (c *Component) RunDemo(ctx context.Context, opt DemoOptions) (*DemoResult, error) {
	if c.Hub == nil {
		return nil, fmt.Errorf("exchange: demo needs the hub")
	}
	who := audit.Actor{Subject: "system:demo"}
	reg := c.Hub.Registry
	inst := c.k.Config.Instance
	gws := DemoGateways(opt.PortBase)
	first, err := reg.IsEmpty(ctx)
	if err != nil {
		return nil, err
	}
	backend, err := startDemoBackend(ctx, c, fmt.Sprintf("127.0.0.1:%d", opt.PortBase+70))
	if err != nil {
		return nil, err
	}
	type keyed struct {
		DemoGateway
		dir string
	}
	var ks []keyed
	for _, g := range gws {
		dir := filepath.Join(opt.Dir, strings.ReplaceAll(g.ID, "/", "_"))
		_, cert, err := c.IssueGatewayCert(dir, g.ID)
		if err != nil {
			return nil, err
		}
		ks = append(ks, keyed{g, dir})
		parts := strings.Split(g.ID, "/")
		addr := fmt.Sprintf("127.0.0.1:%d", g.PeerPort)
		name := strings.TrimSuffix(strings.TrimSuffix(g.Name, " (NDXP)"), " (LGSP)")
		if err := ignoreConflict(reg.AddMember(ctx, who, Member{Class: parts[0], Code: parts[1], Name: name})); err != nil {
			return nil, err
		}
		if _, err := reg.AddGateway(ctx, who, c.Hub.CA, GatewayRecord{OwnerClass: parts[0], OwnerCode: parts[1], ServerCode: parts[2], Address: addr, CertPEM: string(pki.EncodeCert(cert))}); ignoreConflict(err) != nil {
			return nil, err
		}
		if err := reg.UpdateGateway(ctx, who, g.ID, addr, string(pki.EncodeCert(cert))); err != nil {
			return nil, err
		}
	}
	if first {
		if err := c.seedDemo(ctx, who, inst, backend, opt.CatalogURL); err != nil {
			return nil, err
		}
	} else {
		for _, s := range demoSubsystems() {
			if err := ignoreConflict(reg.AddSubsystem(ctx, who, s)); err != nil {
				return nil, err
			}
		}
		// The demo's backends move with --port-base.
		for code, path := range map[string]string{"xacminh-cccd": "/v1/cccd", "thong-ke-noi-bo": "/internal"} {
			if err := c.Services.SetBackend(ctx, who, inst+"/GOV/"+DemoMPS+"/CSDLQGDC", code, backend+path); err != nil {
				return nil, err
			}
		}
		if opt.CatalogURL != "" {
			if err := c.Services.SetBackend(ctx, who, inst+"/GOV/"+DemoGovOffice+"/DANHMUC", "danhmuc", opt.CatalogURL+"/catalog/v1"); err != nil {
				return nil, err
			}
		}
	}
	if err := c.Hub.Regenerate(ctx); err != nil {
		return nil, err
	}
	res := &DemoResult{Gateways: map[string]*RunningGateway{}, Names: map[string]string{}, Backend: backend}
	for _, g := range ks {
		rg, err := c.StartGateway(ctx, GatewaySpec{ID: g.ID, Name: g.Name, KeyPath: filepath.Join(g.dir, "key.pem"), CertPath: filepath.Join(g.dir, "cert.pem"),
			AnchorPath: filepath.Join(c.k.Config.DataDir, "hub", "trust-anchor.json"),
			ClientAddr: fmt.Sprintf("127.0.0.1:%d", g.ClientPort), PeerAddr: fmt.Sprintf("127.0.0.1:%d", g.PeerPort), Stamper: c.Hub, ConfInterval: opt.ConfInterval})
		if err != nil {
			return nil, err
		}
		res.Gateways[inst+"/"+g.Member] = rg
		res.Names[inst+"/"+g.Member] = g.Name
	}
	return res, nil
}

func (c *Component) seedDemo(ctx context.Context, who audit.Actor, inst, backend, catalogURL string) error {
	reg := c.Hub.Registry
	for _, s := range demoSubsystems() {
		if err := ignoreConflict(reg.AddSubsystem(ctx, who, s)); err != nil {
			return err
		}
	}
	if err := reg.AddGroup(ctx, who, "GOV-ONESTOP", "Hệ thống một cửa và cổng dịch vụ công"); err != nil {
		return err
	}
	for _, m := range []string{inst + "/GOV/" + DemoHanoi + "/MOTCUA", inst + "/GOV/" + DemoGovOffice + "/CONGDVCQG"} {
		if err := reg.AddGroupMember(ctx, who, "GOV-ONESTOP", m); err != nil {
			return err
		}
	}
	mps := inst + "/GOV/" + DemoMPS + "/CSDLQGDC"
	if _, err := c.Services.AddService(ctx, who, Service{Gateway: "GOV/" + DemoMPS + "/GW-BCA", Provider: mps, Code: "xacminh-cccd", BackendURL: backend + "/v1/cccd",
		OpenAPI: demoIDCheckAPI, PersonalData: true}); err != nil {
		return err
	}
	if _, err := c.Services.AddService(ctx, who, Service{Gateway: "GOV/" + DemoMPS + "/GW-BCA", Provider: mps, Code: "thong-ke-noi-bo", BackendURL: backend + "/internal",
		OpenAPI: demoStatsAPI}); err != nil {
		return err
	}
	if err := c.Services.Grant(ctx, who, Access{Provider: mps, Service: "xacminh-cccd", Endpoint: Endpoint{Method: "GET", Path: "/personal-ids/{id}"}, Subject: "group:GOV-ONESTOP"}); err != nil {
		return err
	}
	if catalogURL != "" {
		dm := inst + "/GOV/" + DemoGovOffice + "/DANHMUC"
		if _, err := c.Services.AddService(ctx, who, Service{Gateway: "GOV/" + DemoGovOffice + "/NDXP", Provider: dm, Code: "danhmuc", BackendURL: catalogURL + "/catalog/v1",
			OpenAPI: demoCatalogAPI}); err != nil {
			return err
		}
		if err := c.Services.Grant(ctx, who, Access{Provider: dm, Service: "danhmuc", Endpoint: Endpoint{Method: "GET", Path: "**"}, Subject: "group:GOV-ONESTOP"}); err != nil {
			return err
		}
	}
	return nil
}

const demoIDCheckAPI = `openapi: 3.0.3
info:
  title: Xác minh cấu trúc số định danh cá nhân (CCCD)
  version: "1"
paths:
  /personal-ids/{id}:
    get:
      summary: Kiểm tra số định danh cá nhân 12 chữ số và đọc nơi đăng ký khai sinh, giới tính, năm sinh mã hóa trong số
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^[0-9]{12}$"}}
      responses:
        "200": {description: Kết quả kiểm tra}
        "422": {description: Số không hợp lệ}
`

const demoStatsAPI = `openapi: 3.0.3
info:
  title: Thống kê nội bộ (không cấp quyền cho bên ngoài)
  version: "1"
paths:
  /stats:
    get:
      responses:
        "200": {description: Thống kê}
`

const demoCatalogAPI = `openapi: 3.0.3
info:
  title: Danh mục điện tử dùng chung
  version: "1"
paths:
  /lists:
    get: {responses: {"200": {description: Các danh mục}}}
  /lists/{list}/items:
    get: {responses: {"200": {description: Các mục}}}
  /lists/{list}/items/{code}:
    get: {responses: {"200": {description: Một mục}}}
  /admin-units/translate:
    get: {responses: {"200": {description: Tra mã đơn vị cũ}}}
`

// startDemoBackend serves the Ministry of Public Security's demo services:
// a structural check of a personal ID number (real logic, no personal
// data) and an internal statistics page nobody outside is granted.
func startDemoBackend(ctx context.Context, c *Component, addr string) (string, error) {
	mux := http.NewServeMux()
	var calls atomic.Int64
	mux.HandleFunc("GET /v1/cccd/personal-ids/{id}", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		id, err := vnid.ParsePersonalID("id", r.PathValue("id"))
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		name, _ := vnid.ProvinceName(id.ProvinceCode())
		web.WriteJSON(w, http.StatusOK, map[string]any{"id": id.String(), "valid_structure": true, "birth_registration_province": id.ProvinceCode(),
			"province_name": name, "sex": id.Sex(), "birth_year": id.BirthYear(),
			"checked_for": map[string]string{"issue": r.Header.Get("X-Road-Issue"), "official": r.Header.Get("X-Road-UserId")}})
	})
	mux.HandleFunc("GET /internal/stats", func(w http.ResponseWriter, r *http.Request) {
		web.WriteJSON(w, http.StatusOK, map[string]any{"calls": calls.Load()})
	})
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.WriteError(w, r, fault.NotFoundf("demo.not_found", "Không có tài nguyên này", "no resource at %s", r.URL.Path))
	}))
	srv := web.NewServer("demo-backend", addr, mux, c.k.Log)
	if err := srv.Start(); err != nil {
		return "", err
	}
	c.k.Go(func() { <-ctx.Done(); srv.Shutdown(context.Background()) })
	return "http://" + srv.Addr(), nil
}

// ignoreConflict treats "already registered" as done, so the demo's set-up
// can run again over an older data directory.
func ignoreConflict(err error) error {
	if fault.Is(err, fault.Conflict) {
		return nil
	}
	return err
}

// demoSubsystems are the information systems of the demo's members.
func demoSubsystems() []Subsystem {
	return []Subsystem{
		{Class: "GOV", Code: DemoGovOffice, Subsystem: "CONGDVCQG", Name: "Cổng Dịch vụ công quốc gia", Gateway: "GOV/" + DemoGovOffice + "/NDXP"},
		{Class: "GOV", Code: DemoGovOffice, Subsystem: "DANHMUC", Name: "Hệ thống danh mục điện tử dùng chung", Gateway: "GOV/" + DemoGovOffice + "/NDXP"},
		{Class: "GOV", Code: DemoMPS, Subsystem: "CSDLQGDC", Name: "Cơ sở dữ liệu quốc gia về dân cư", Gateway: "GOV/" + DemoMPS + "/GW-BCA"},
		{Class: "GOV", Code: DemoHanoi, Subsystem: "MOTCUA", Name: "Hệ thống thông tin giải quyết thủ tục hành chính Hà Nội", Gateway: "GOV/" + DemoHanoi + "/LGSP-HN"},
		{Class: "GOV", Code: DemoFinance, Subsystem: "DKDN", Name: "Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp", Gateway: "GOV/" + DemoFinance + "/GW-BTC"},
		{Class: "GOV", Code: DemoLand, Subsystem: "CSDLDD", Name: "Cơ sở dữ liệu quốc gia về đất đai", Gateway: "GOV/" + DemoLand + "/GW-BNNMT"},
	}
}
