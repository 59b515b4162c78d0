package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/vngov/vngov/internal/catalog"
	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/identity"
	"github.com/vngov/vngov/internal/monitor"
	"github.com/vngov/vngov/internal/notify"
	"github.com/vngov/vngov/internal/payment"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn/oidcrp"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/portal"
	"github.com/vngov/vngov/internal/registry/backend"
	"github.com/vngov/vngov/internal/result"
	"github.com/vngov/vngov/internal/wallet"
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
	portPayment  = 18 // the demo payment provider (a bank's payment pages)
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
	// The secret the payment adapter shares with the demo provider.
	if cfg.PaymentSecret == "" {
		if cfg.PaymentSecret, err = demoSecret(cfg.DataDir, "payment-secret"); err != nil {
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
	for _, c := range cs {
		if pc, ok := c.(*payment.Component); ok {
			// The demo provider has its own address; it notifies the
			// adapter on the portal's.
			pc.UseDemoProvider(fmt.Sprintf("http://127.0.0.1:%d", *portBase+portPayment), fmt.Sprintf("http://127.0.0.1:%d", *portBase+portPortal))
		}
	}
	wireResultsAndWallet(cs, cfg.Instance, *portBase)
	if err := wirePortal(cs, cfg.Instance, cfg.DataDir, *portBase); err != nil {
		return err
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
		{"console", portConsole, []string{"registry", "procedure", "dossier", "payment", "monitor"}, nil, nil},
		{"identity", portIdentity, []string{"identity"}, nil, identity.CrossOriginBypass},
		{"portal", portPortal, []string{"portal", "payment", "result", "wallet"}, []string{"monitor"}, payment.CrossOriginBypass},
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
	if pc, ok := byName["payment"].(*payment.Component); ok {
		pmux := http.NewServeMux()
		pc.ProviderRoutes(pmux)
		mountCommon(pmux, k, strings.Trim(payment.DemoPrefix, "/"))
		psrv := web.NewServer("payment", fmt.Sprintf("%s:%d", host, *portBase+portPayment), k.Handler("payment", pmux), log)
		if err := psrv.Start(); err != nil {
			return fmt.Errorf("payment provider: %w (choose other ports with --port-base)", err)
		}
		servers = append(servers, psrv)
		endpoints["payment"] = "http://" + psrv.Addr()
	}
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
	if u, ok := endpoints["portal"].(string); ok && byName["monitor"] != nil {
		examples["index766-hanoi"] = Example{Method: "GET", URL: u + "/monitor/v1/index766?agency=000.00.00.H26&period=" + monitor.MonthPeriod(time.Now()).Code, Headers: map[string]string{},
			About: "Hà Nội's Decision 766 service index this month, computed live from the dossier events (public: no personal data); add &format=csv for a spreadsheet"}
	}
	if d, ok := byName["dossier"].(*dossier.Component); ok {
		// Officials sign in to the desk with their own accounts.
		if idc, ok := byName["identity"].(*identity.Component); ok {
			if u, ok := endpoints["console"].(string); ok {
				if err := wireDesk(k.Context(), d, idc, u, fmt.Sprintf("http://127.0.0.1:%d", *portBase+portIdentity), cfg.TrustProxy); err != nil {
					return err
				}
			}
		}
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
		// Six months of history at every province's people's committee and
		// at the demo ward, filed and handled through the engine, for the
		// dashboard and the scoreboard.
		if cc, ok := byName["catalog"].(*catalog.Component); ok {
			agencies := []string{dossier.DemoAgency}
			page, err := cc.Svc.Items(k.Context(), "agencies", catalog.ItemQuery{Level: "province", Limit: 1000})
			if err != nil {
				return err
			}
			for _, it := range page.Items {
				agencies = append(agencies, it.Code)
			}
			t0 := time.Now()
			n, err := d.Svc.SeedDemoHistory(k.Context(), agencies, 6, 2, time.Now())
			if err != nil {
				return err
			}
			if n > 0 {
				log.Info("demo: dossier history filed", "dossiers", n, "agencies", len(agencies), "took", time.Since(t0).Round(time.Millisecond))
			}
		}
	}
	// A signed result seeded for the demo citizen (it reaches his wallet
	// through the result.issued event).
	if rc, ok := byName["result"].(*result.Component); ok {
		if u, ok := endpoints["portal"].(string); ok {
			rex, err := rc.DemoSetup(k.Context(), u)
			if err != nil {
				return err
			}
			for name, e := range rex {
				examples[name] = e
			}
		}
	}
	// Notifications: applicants hear of their dossiers' steps by email and
	// SMS, both landing in the mailbox.
	if d, ok := byName["dossier"].(*dossier.Component); ok {
		n := notify.NewNotifier(mailbox, d.Svc, log)
		n.PortalURL, _ = endpoints["portal"].(string)
		n.AgencyName = func(code string) string { return d.Svc.AgencyName(code) }
		if _, err := n.Subscribe(k.Context(), k.Bus); err != nil {
			return err
		}
		k.Go(func() { n.Run(k.Context()) })
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

// wireResultsAndWallet connects results and the wallet to the demo's
// portal (whose session says who the holder is), catalog (names of
// agencies and codes), identity provider (the services a citizen let use
// the account) and exchange: the wallet reads the population registry's
// access log as the national portal's system, at the hub's own gateway.
func wireResultsAndWallet(cs []kernel.Component, instance string, portBase int) {
	portalURL := fmt.Sprintf("http://127.0.0.1:%d", portBase+portPortal)
	names := &result.CatalogNames{BaseURL: fmt.Sprintf("http://127.0.0.1:%d", portBase+portCatalog)}
	var pc *portal.Component
	var idc *identity.Component
	for _, c := range cs {
		switch x := c.(type) {
		case *portal.Component:
			pc = x
		case *identity.Component:
			idc = x
		}
	}
	citizen := func(r *http.Request) (portal.Citizen, bool) {
		if pc == nil || pc.Portal == nil {
			return portal.Citizen{}, false
		}
		return pc.Portal.Citizen(r)
	}
	for _, c := range cs {
		switch x := c.(type) {
		case *result.Component:
			x.Svc.VerifyBase, x.Deliver.Names = portalURL, names
			x.Holder = func(r *http.Request) (string, bool) { c, ok := citizen(r); return c.ID, ok }
		case *wallet.Component:
			x.Svc.Tracker = wallet.ExchangeTracker{Names: names, Service: instance + "/GOV/" + exchange.DemoMPS + "/CSDLQGDC/nhat-ky-truy-cap",
				Client: &exchange.Client{Gateway: fmt.Sprintf("http://127.0.0.1:%d", portBase+30), As: instance + "/GOV/" + exchange.DemoGovOffice + "/CONGDVCQG"}}
			x.Holder = func(r *http.Request) (wallet.Holder, bool) {
				c, ok := citizen(r)
				return wallet.Holder{ID: c.ID, Name: c.Name}, ok
			}
			x.SignIn = func(next string) string { return "/dang-nhap?next=" + url.QueryEscape(next) }
			if idc != nil {
				x.IdentityAccountURL = fmt.Sprintf("http://127.0.0.1:%d/account", portBase+portIdentity)
				x.ServiceConsents = wallet.ServiceConsentsFunc(func(ctx context.Context, holderID string) ([]wallet.ServiceConsent, error) {
					acc, err := idc.Svc.AccountByUsername(ctx, holderID)
					if err != nil {
						return nil, err
					}
					ics, err := idc.Svc.Consents(ctx, acc.ID)
					out := make([]wallet.ServiceConsent, 0, len(ics))
					for _, ic := range ics {
						out = append(out, wallet.ServiceConsent{Client: ic.ClientID, ClientName: ic.ClientName, Purpose: ic.Purpose, Scopes: ic.Scopes, GrantedAt: ic.Granted})
					}
					return out, err
				})
			}
		}
	}
}

// wirePortal sets up the portal (port-base+0): its confidential client at
// the identity provider (registered on the first run, its addresses and
// secret renewed on every run, since --port-base moves them), the
// population registry read over the exchange as the national portal's
// system (VN-DEMO/GOV/000.00.00.G22/CONGDVCQG at the hub's own gateway),
// the wallet, the payment adapter, the visit counter and the agencies that
// receive online dossiers.
// wireDesk registers the one-stop desk (/motcua/ on the console) as a
// confidential client of the identity provider, with a new secret each
// run, and lets officials sign in to it with their own accounts.
func wireDesk(ctx context.Context, d *dossier.Component, idc *identity.Component, consoleURL, issuer string, trustProxy bool) error {
	who := audit.Actor{Subject: "system:demo"}
	cl := identity.Client{ID: "motcua-console", Name: "Hệ thống một cửa điện tử (trang cán bộ)", Purpose: "Nhận biết cán bộ, cơ quan công tác và vai trò khi xử lý hồ sơ thủ tục hành chính",
		Type: identity.Confidential, AuthMethod: identity.AuthSecretBasic, RedirectURIs: []string{consoleURL + dossier.DeskOIDCCallbackPath},
		PostLogoutRedirectURIs: []string{consoleURL + "/motcua/signin"}, GrantTypes: []string{identity.GrantCode}, Scopes: dossier.DeskOIDCScopes, MinLevel: 1}
	var sec string
	if _, err := idc.Svc.Client(ctx, cl.ID); fault.Is(err, fault.NotFound) {
		if _, sec, err = idc.Svc.CreateClient(ctx, who, cl); err != nil {
			return err
		}
	} else if err != nil {
		return err
	} else {
		if _, err := idc.Svc.UpdateClient(ctx, who, cl); err != nil {
			return err
		}
		if sec, err = idc.Svc.RotateClientSecret(ctx, who, cl.ID); err != nil {
			return err
		}
	}
	// The demo officials have no second factor: level 1 (password).
	rp, err := oidcrp.New(oidcrp.Config{Issuer: issuer, ClientID: cl.ID, ClientSecret: sec, RedirectURL: consoleURL + dossier.DeskOIDCCallbackPath,
		PostLogoutRedirectURL: consoleURL + "/motcua/signin", Scopes: dossier.DeskOIDCScopes, ACR: identity.ACRLevel1,
		Cookie: dossier.DeskOIDCCookie, TrustProxy: trustProxy}, nil)
	if err != nil {
		return err
	}
	d.SetOIDC(rp)
	return nil
}

func wirePortal(cs []kernel.Component, instance, dataDir string, portBase int) error {
	var pc *portal.Component
	for _, c := range cs {
		if x, ok := c.(*portal.Component); ok {
			pc = x
		}
	}
	if pc == nil {
		return nil
	}
	key, err := demoSecret(dataDir, "portal-session-key")
	if err != nil {
		return err
	}
	pc.SessionKey = []byte(key)
	base := fmt.Sprintf("http://127.0.0.1:%d", portBase+portPortal)
	issuer := fmt.Sprintf("http://127.0.0.1:%d", portBase+portIdentity)
	pc.Configure = func(p *portal.Portal) error {
		ctx := context.Background()
		for _, c := range cs {
			switch x := c.(type) {
			case *identity.Component:
				who := audit.Actor{Subject: "system:demo"}
				cl := identity.Client{ID: "cong-dich-vu-cong", Name: "Cổng Dịch vụ công quốc gia", Purpose: "Nhận biết bạn khi nộp, nộp phí và theo dõi hồ sơ thủ tục hành chính",
					Type: identity.Confidential, AuthMethod: identity.AuthSecretBasic, RedirectURIs: []string{base + portal.CallbackPath},
					PostLogoutRedirectURIs: []string{base + "/"}, GrantTypes: []string{identity.GrantCode}, Scopes: portal.Scopes, MinLevel: 1}
				var sec string
				if _, err := x.Svc.Client(ctx, cl.ID); fault.Is(err, fault.NotFound) {
					if _, sec, err = x.Svc.CreateClient(ctx, who, cl); err != nil {
						return err
					}
				} else if err != nil {
					return err
				} else {
					if _, err := x.Svc.UpdateClient(ctx, who, cl); err != nil {
						return err
					}
					if sec, err = x.Svc.RotateClientSecret(ctx, who, cl.ID); err != nil {
						return err
					}
				}
				p.SetOIDC(portal.OIDC{Issuer: issuer, ClientID: cl.ID, ClientSecret: sec, BaseURL: base})
			case *wallet.Component:
				p.Wallet = x.Svc
				if x.Nav == nil {
					x.Nav = p.Nav // the wallet's pages carry the portal's navigation
				}
			case *payment.Component:
				p.Payments = x.Svc
			case *monitor.Component:
				p.Visits = x.Svc
			}
		}
		mps := instance + "/GOV/" + exchange.DemoMPS + "/CSDLQGDC/"
		// Connections to the gateway are kept for reuse: every filing reads
		// the registry twice.
		gw := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}}
		p.Registry = portal.ExchangeRegistry{Client: &exchange.Client{Gateway: fmt.Sprintf("http://127.0.0.1:%d", portBase+30), As: instance + "/GOV/" + exchange.DemoGovOffice + "/CONGDVCQG", HTTP: gw},
			PersonService: mps + "nguoi-dan", VerifyService: mps + "xac-thuc-thong-tin"}
		p.Agencies = []portal.Agency{{Code: dossier.DemoAgency, Name: "Ủy ban nhân dân Phường Ba Đình", Level: "commune", Commune: "00004"},
			{Code: identity.DemoAgencyHanoi, Name: "Ủy ban nhân dân Thành phố Hà Nội", Level: "province"}}
		p.FormTargets = []string{issuer, fmt.Sprintf("http://127.0.0.1:%d", portBase+portPayment)}
		return nil
	}
	return nil
}
