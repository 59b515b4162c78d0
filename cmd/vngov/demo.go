package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/identity"
	"github.com/vngov/vngov/internal/notify"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/registry/backend"
)

// Demo ports, as offsets from --port-base (ARCHITECTURE section 5).
const (
	portPortal   = 0
	portConsole  = 1
	portIdentity = 2
	portCatalog  = 3
	portHub      = 10
	portRegistry = 21 // the registries' backend, reached only through the gateways
	portMailbox  = 19
)

// Example is the demo contract's named request.
type Example = kernel.Example

// PublicRouter is a component with public pages served on another site
// than its own (the monitor's scoreboard on the portal).
type PublicRouter interface {
	PublicRoutes(mux *http.ServeMux)
}

func runDemo(ctx context.Context, args []string) error {
	fs, cfg, err := flags("demo")
	if err != nil {
		return err
	}
	portBase := fs.Int("port-base", 8080, "first port; the demo's servers use fixed offsets from it")
	if err := parse(fs, cfg, args); err != nil {
		return err
	}
	if *portBase < 1024 || *portBase > 65000 {
		return fmt.Errorf("--port-base must be between 1024 and 65000")
	}
	if cfg.Instance == "VN" {
		cfg.Instance = "VN-DEMO"
	}
	hubURL := fmt.Sprintf("http://127.0.0.1:%d", *portBase+portHub)
	cfg.PublicURL = hubURL
	cfg.RegistryAddr = fmt.Sprintf("127.0.0.1:%d", *portBase+portRegistry)
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return err
	}
	if cfg.AdminToken == "" {
		if cfg.AdminToken, err = demoSecret(cfg.DataDir, "admin-token"); err != nil {
			return err
		}
	}
	log := newLogger(cfg.LogLevel)
	k, err := kernel.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer k.Close()
	cs, err := components(k)
	if err != nil {
		return err
	}
	// The demo's mailbox: every email and SMS the platform sends lands here.
	if err := k.DB.Migrate(ctx, "notify", notify.Migrations()); err != nil {
		return err
	}
	mailbox := notify.New(k.DB, nil)
	for _, c := range cs {
		if idc, ok := c.(*identity.Component); ok {
			idc.Issuer = fmt.Sprintf("http://127.0.0.1:%d", *portBase+portIdentity)
			idc.Svc.Notifier = identity.NotifierFunc(func(ctx context.Context, channel, to, subject, body string) error {
				return mailbox.Send(ctx, notify.Message{Channel: channel, To: to, Subject: subject, Body: body})
			})
			// Sign-up asks the population registry, over the exchange, as the
			// national portal's system (hosted at the hub's own gateway).
			portal := &exchange.Client{Gateway: fmt.Sprintf("http://127.0.0.1:%d", *portBase+30), As: cfg.Instance + "/GOV/" + exchange.DemoGovOffice + "/CONGDVCQG"}
			idc.Svc.Verifier = identity.VerifierFunc(func(ctx context.Context, id, fullName, birthDate, purpose string) (bool, error) {
				var res struct {
					Match bool `json:"match"`
				}
				err := portal.Call(ctx, "POST", cfg.Instance+"/GOV/"+exchange.DemoMPS+"/CSDLQGDC/xac-thuc-thong-tin", "/person/verify",
					exchange.Purpose{UserID: "VN" + id, Issue: purpose}, map[string]any{"id": id, "full_name": fullName, "birth_date": birthDate, "living": true}, &res)
				return res.Match, err
			})
		}
	}
	if err := k.Start(ctx, cs...); err != nil {
		return err
	}

	host := "127.0.0.1"
	// Each demo address serves one or more components (the demo contract's
	// keys); the first named is the address's home page.
	// A component that also has public pages (PublicRouter) mounts them on
	// the sites whose public list names it.
	sites := []struct {
		key    string
		port   int
		roles  []string
		public []string
		bypass []string // paths posted to from other origins (callbacks)
	}{
		{"catalog", portCatalog, []string{"catalog"}, nil, nil},
		{"hub", portHub, []string{"exchange"}, nil, nil},
		{"console", portConsole, []string{"registry", "procedure", "dossier"}, nil, nil},
		{"identity", portIdentity, []string{"identity"}, nil, identity.CrossOriginBypass},
		{"portal", portPortal, []string{"portal"}, nil, nil},
	}
	byName := map[string]kernel.Component{}
	for _, c := range cs {
		byName[c.Name()] = c
	}
	endpoints := map[string]any{"instance": cfg.Instance}
	var servers []*web.Server
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		for _, s := range servers {
			s.Shutdown(sctx)
		}
	}()
	for _, site := range sites {
		mux := http.NewServeMux()
		home := ""
		for _, role := range site.roles {
			if c := byName[role]; c != nil {
				c.Routes(mux)
				if home == "" {
					home = role
				}
			}
		}
		for _, role := range site.public {
			if c, ok := byName[role].(PublicRouter); ok {
				c.PublicRoutes(mux)
				if home == "" {
					home = role
				}
			}
		}
		if home == "" {
			continue
		}
		mountCommon(mux, k, home)
		addr := fmt.Sprintf("%s:%d", host, *portBase+site.port)
		srv := web.NewServer(site.key, addr, k.Handler(site.key, mux, site.bypass...), log)
		if err := srv.Start(); err != nil {
			if errors.Is(err, syscall.EADDRINUSE) {
				return fmt.Errorf("port %d is in use: stop what uses it, or choose other ports with --port-base", *portBase+site.port)
			}
			return err
		}
		servers = append(servers, srv)
		endpoints[site.key] = "http://" + srv.Addr()
	}
	mpages, err := mailbox.Pages()
	if err != nil {
		return err
	}
	mmux := http.NewServeMux()
	mpages.Routes(mmux)
	mountCommon(mmux, k, "mailbox")
	msrv := web.NewServer("mailbox", fmt.Sprintf("%s:%d", host, *portBase+portMailbox), k.Handler("mailbox", mmux), log)
	if err := msrv.Start(); err != nil {
		return fmt.Errorf("mailbox: %w (choose other ports with --port-base)", err)
	}
	servers = append(servers, msrv)
	endpoints["mailbox"] = "http://" + msrv.Addr()
	catalogURL, _ := endpoints["catalog"].(string)
	examples := map[string]Example{}
	for _, c := range cs {
		if ex, ok := c.(*exchange.Component); ok {
			res, err := ex.RunDemo(k.Context(), exchange.DemoOptions{PortBase: *portBase, CatalogURL: catalogURL, Dir: filepath.Join(cfg.DataDir, "exchange", "gateways")})
			if err != nil {
				return err
			}
			gws := map[string]map[string]string{}
			for member, g := range res.Gateways {
				gws[member] = map[string]string{"client": "http://" + g.ClientAddr, "name": res.Names[member]}
			}
			endpoints["gateways"] = gws
			exchangeExamples(examples, cfg.Instance, gws)
			for _, rc := range cs {
				if reg, ok := rc.(*backend.Component); ok {
					rex, err := reg.DemoSetup(k.Context(), ex, gws[cfg.Instance+"/GOV/"+exchange.DemoHanoi]["client"])
					if err != nil {
						return err
					}
					for name, e := range rex {
						examples[name] = e
					}
				}
			}
		}
	}
	if catalogURL != "" {
		examples["catalog-provinces"] = Example{Method: "GET", URL: catalogURL + "/catalog/v1/lists/admin-units/items?level=province&limit=100", Headers: map[string]string{}, About: "the 34 provinces and cities in force today"}
		examples["catalog-search"] = Example{Method: "GET", URL: catalogURL + "/catalog/v1/lists/admin-units/items?q=ha%20noi", Headers: map[string]string{}, About: "search without diacritics: 'ha noi' finds Thành phố Hà Nội"}
		examples["catalog-translate"] = Example{Method: "GET", URL: catalogURL + "/catalog/v1/admin-units/translate?code=00013", Headers: map[string]string{}, About: "the old commune code 00013 (Phường Quán Thánh) translated to today's Phường Ba Đình"}
	}
	if u, ok := endpoints["console"].(string); ok && byName["procedure"] != nil {
		examples["procedures-search"] = Example{Method: "GET", URL: u + "/procedure/v1/procedures?q=khai%20sinh", Headers: map[string]string{},
			About: "the administrative procedures database, searched without diacritics"}
	}
	if d, ok := byName["dossier"].(*dossier.Component); ok {
		// The desk (Ba Đình ward, on Hà Nội's LGSP) prefills from the
		// population registry through Hà Nội's gateway, as its one-stop system.
		if gws, ok := endpoints["gateways"].(map[string]map[string]string); ok {
			if hn := gws[cfg.Instance+"/GOV/"+exchange.DemoHanoi]; hn != nil {
				d.Prefill = dossier.ExchangePrefiller{
					Client:  &exchange.Client{Gateway: hn["client"], As: cfg.Instance + "/GOV/" + exchange.DemoHanoi + "/MOTCUA"},
					Service: cfg.Instance + "/GOV/" + exchange.DemoMPS + "/CSDLQGDC/nguoi-dan",
				}
			}
		}
		if u, ok := endpoints["console"].(string); ok {
			dex, err := d.DemoSetup(k.Context(), u)
			if err != nil {
				return err
			}
			for name, e := range dex {
				examples[name] = e
			}
		}
	}
	endpoints["examples"] = examples
	accounts := map[string]any{
		"admin": map[string]string{
			"token": cfg.AdminToken,
			"use":   "Authorization: Bearer <token> on administrative APIs (catalog writes)",
		},
	}
	if idc, ok := byName["identity"].(*identity.Component); ok {
		ids, err := idc.Svc.Demo(k.Context())
		if err != nil {
			return err
		}
		accounts["identity"] = ids
	}
	if err := writeJSON(filepath.Join(cfg.DataDir, "demo-accounts.json"), accounts, 0o600); err != nil {
		return err
	}
	// endpoints.json is written last: scripts wait for it, so everything
	// it names, and the demo accounts, must be ready when it appears.
	if err := writeJSON(filepath.Join(cfg.DataDir, "endpoints.json"), endpoints, 0o644); err != nil {
		return err
	}
	printDemo(cfg.DataDir, endpoints, examples, k.DB.Dialect())
	<-ctx.Done()
	fmt.Println("\nvngov demo: stopping…")
	return nil
}

// demoSecret returns the demo secret stored under DIR/secrets, creating it
// on first run, so that a restart keeps the same credentials.
func demoSecret(dir, name string) (string, error) {
	p := filepath.Join(dir, "secrets", name)
	if b, err := os.ReadFile(p); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	s := hex.EncodeToString(raw[:])
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", err
	}
	return s, os.WriteFile(p, []byte(s+"\n"), 0o600)
}

// writeJSON writes v to path atomically: readers see the old or the new
// file, never half of one.
func writeJSON(path string, v any, mode os.FileMode) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func printDemo(dir string, endpoints map[string]any, examples map[string]Example, dialect any) {
	fmt.Printf("\nvngov demo is running (store: %s, bus: embedded NATS, data: %s)\n\n", dialect, dir)
	var keys []string
	for k := range endpoints {
		if k != "examples" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if gws, ok := endpoints[k].(map[string]map[string]string); ok {
			fmt.Printf("  %-10s\n", k)
			var ms []string
			for m := range gws {
				ms = append(ms, m)
			}
			sort.Strings(ms)
			for _, m := range ms {
				fmt.Printf("    %-28s %s  %s\n", m, gws[m]["client"], gws[m]["name"])
			}
			continue
		}
		fmt.Printf("  %-10s %v\n", k, endpoints[k])
	}
	if u, ok := endpoints["catalog"].(string); ok {
		fmt.Printf("\n  Catalog pages: %s/catalog/\n", u)
	}
	fmt.Printf("\n  Addresses: %s\n  Credentials: %s\n\nTry:\n", filepath.Join(dir, "endpoints.json"), filepath.Join(dir, "demo-accounts.json"))
	names := make([]string, 0, len(examples))
	for n := range examples {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ex := examples[n]
		fmt.Printf("  # %s: %s\n  curl -s '%s'", n, ex.About, ex.URL)
		if ex.Method != "GET" {
			fmt.Printf(" -X %s", ex.Method)
		}
		for h, v := range ex.Headers {
			fmt.Printf(" -H '%s: %s'", h, v)
		}
		if ex.Body != nil {
			b, _ := json.Marshal(ex.Body)
			fmt.Printf(" -d '%s'", b)
		}
		fmt.Println()
	}
	fmt.Println("\nPress Ctrl-C to stop.")
}

// exchangeExamples adds the exchange's named examples: calls from Hà Nội's
// one-stop system through its gateway.
func exchangeExamples(ex map[string]Example, inst string, gws map[string]map[string]string) {
	hn := gws[inst+"/GOV/"+exchange.DemoHanoi]
	if hn == nil {
		return
	}
	client := inst + "/GOV/" + exchange.DemoHanoi + "/MOTCUA"
	mps := "/r1/" + inst + "/GOV/" + exchange.DemoMPS + "/CSDLQGDC"
	purpose := map[string]string{"X-Road-Client": client, "X-Road-UserId": "VN001089012345", "X-Road-Issue": "000.00.92.H26-261123-0001"}
	ex["exchange-call"] = Example{Method: "GET", URL: hn["client"] + mps + "/xacminh-cccd/personal-ids/001089012345", Headers: purpose,
		About: "Hà Nội's one-stop system asks the Ministry of Public Security, through both gateways (mutual TLS, message log), to check a personal ID number; answers 200 with X-Road-Id and X-Road-Request-Hash"}
	ex["exchange-denied"] = Example{Method: "GET", URL: hn["client"] + mps + "/thong-ke-noi-bo/stats", Headers: map[string]string{"X-Road-Client": client},
		About: "a service the Ministry has not opened to Hà Nội: Server.ServerProxy.AccessDenied"}
	ex["exchange-list-methods"] = Example{Method: "GET", URL: hn["client"] + mps + "/listMethods", Headers: map[string]string{"X-Road-Client": client},
		About: "the metadata service: the Ministry's services on the population registry subsystem"}
	ex["exchange-centralized"] = Example{Method: "GET", URL: hn["client"] + "/r1/" + inst + "/GOV/" + exchange.DemoGovOffice + "/DANHMUC/danhmuc/lists/admin-units/items?level=province&limit=5", Headers: map[string]string{"X-Road-Client": client},
		About: "centralized mode: the shared catalogs, hosted at the national data centre behind the hub's own gateway"}
}
