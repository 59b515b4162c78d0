package exchange

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/exchange/xroad"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/config"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/platform/web"
)

const inst = "VN-TEST"

// topo is the demo topology running in the test process: a hub with its
// own gateway, the Ministry of Public Security's gateway and Hà Nội's.
type topo struct {
	k      *kernel.Kernel
	c      *Component
	hub    *web.Server
	res    *DemoResult
	hanoi  string // Hà Nội gateway's client URL
	client string // Hà Nội's one-stop subsystem
	mps    string // /r1/... prefix of the ministry's population subsystem
	dir    string
}

func freeBase(t *testing.T) int {
	base, err := FreePortBase()
	if err != nil {
		t.Fatal(err)
	}
	return base
}

func newTopo(t *testing.T, db *store.DB, validity time.Duration) *topo {
	return newTopoFetch(t, db, validity, 0)
}

func newTopoFetch(t *testing.T, db *store.DB, validity, fetch time.Duration) *topo {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cfg := &config.Config{DataDir: dir, SQLiteSync: "normal", NATSReplicas: 1, Roles: "hub", LogLevel: "error", Instance: inst, AdminToken: "tok", Listen: "127.0.0.1:0"}
	if db.Dialect() == store.Postgres {
		u, _ := storetest.SchemaURL(t)
		cfg.DatabaseURL = u
	}
	log := slog.New(slog.DiscardHandler)
	k, err := kernel.Open(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	mux := http.NewServeMux()
	hub := web.NewServer("hub", "127.0.0.1:0", mux, log)
	if err := hub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hub.Shutdown(context.Background()) })
	cfg.PublicURL = hub.URL()
	c, _ := NewComponent(k)
	if err := k.Start(ctx, c); err != nil {
		t.Fatal(err)
	}
	if validity > 0 {
		c.Hub.Validity = validity
	}
	c.Routes(mux)
	res, err := c.RunDemo(k.Context(), DemoOptions{PortBase: freeBase(t), Dir: filepath.Join(dir, "gws"), ConfInterval: fetch})
	if err != nil {
		t.Fatal(err)
	}
	tp := &topo{k: k, c: c, hub: hub, res: res, dir: dir,
		hanoi:  "http://" + res.Gateways[inst+"/GOV/"+DemoHanoi].ClientAddr,
		client: inst + "/GOV/" + DemoHanoi + "/MOTCUA",
		mps:    "/r1/" + inst + "/GOV/" + DemoMPS + "/CSDLQGDC"}
	return tp
}

type resp struct {
	status int
	h      http.Header
	body   []byte
}

func (tp *topo) call(t *testing.T, method, path string, body io.Reader, hdr ...string) resp {
	t.Helper()
	req, _ := http.NewRequest(method, tp.hanoi+path, body)
	req.Header.Set("X-Road-Client", tp.client)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{r.StatusCode, r.Header, b}
}

func purpose() []string {
	return []string{"X-Road-UserId", "VN001089012345", "X-Road-Issue", "000.00.92.H26-261123-0001"}
}

func wantXRoadError(t *testing.T, r resp, typ string) {
	t.Helper()
	if r.h.Get("X-Road-Error") != typ {
		t.Fatalf("want %s, got status %d X-Road-Error %q body %s", typ, r.status, r.h.Get("X-Road-Error"), r.body)
	}
	var e struct{ Type, Message, Detail string }
	if err := json.Unmarshal(r.body, &e); err != nil || e.Type != typ || e.Message == "" {
		t.Fatalf("error body: %s", r.body)
	}
}

func TestExchange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tp := newTopo(t, db, 0)
		ctx := context.Background()

		t.Run("permitted call", func(t *testing.T) {
			r := tp.call(t, "GET", tp.mps+"/xacminh-cccd/personal-ids/001089012345", nil, purpose()...)
			if r.status != 200 || r.h.Get("X-Road-Id") == "" || r.h.Get("X-Road-Request-Hash") == "" || !bytes.Contains(r.body, []byte(`"birth_year":1989`)) {
				t.Fatalf("%d %v %s", r.status, r.h, r.body)
			}
			if r.h.Get("X-Road-Service") == "" || r.h.Get("X-Road-Client") == "" {
				t.Fatalf("provider headers missing: %v", r.h)
			}
			// The backend's own answer passes through unchanged, errors too.
			r = tp.call(t, "GET", tp.mps+"/xacminh-cccd/personal-ids/12345", nil, purpose()...)
			if r.status != 422 || r.h.Get("X-Road-Error") != "" {
				t.Fatalf("backend error must pass through: %d %v %s", r.status, r.h.Get("X-Road-Error"), r.body)
			}
			// The client's X-Road-Id is kept.
			r = tp.call(t, "GET", tp.mps+"/xacminh-cccd/personal-ids/001089012345", nil, append(purpose(), "X-Road-Id", "my-id-1")...)
			if r.h.Get("X-Road-Id") != "my-id-1" {
				t.Fatalf("X-Road-Id %q", r.h.Get("X-Road-Id"))
			}
		})
		t.Run("gateway health checks key, configuration and store", func(t *testing.T) {
			r, err := http.Get(tp.hanoi + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != 200 || !bytes.Contains(b, []byte("gateway")) {
				t.Fatalf("healthz: %d %s", r.StatusCode, b)
			}
		})
		t.Run("access denied", func(t *testing.T) {
			wantXRoadError(t, tp.call(t, "GET", tp.mps+"/thong-ke-noi-bo/stats", nil), xroad.TypeServerProxyAccessDenied)
		})
		t.Run("path tricks cannot reach what the right does not cover", func(t *testing.T) {
			// Right: GET /personal-ids/{id}. These try to reach /stats of
			// the same backend through the permitted service.
			for _, p := range []string{"/personal-ids/../stats", "/personal-ids/%2e%2e/stats", "//stats", "/personal-ids/x/../../stats"} {
				r := tp.call(t, "GET", tp.mps+"/xacminh-cccd"+p, nil, purpose()...)
				if r.status == 200 {
					t.Errorf("%s reached the backend: %s", p, r.body)
				}
			}
		})
		t.Run("bad client header", func(t *testing.T) {
			wantXRoadError(t, tp.call(t, "GET", tp.mps+"/xacminh-cccd/personal-ids/001089012345", nil, "X-Road-Client", ""), xroad.TypeInvalidClientIdentifier)
			wantXRoadError(t, tp.call(t, "GET", tp.mps+"/xacminh-cccd/personal-ids/001089012345", nil, "X-Road-Client", "VN-TEST/GOV"), xroad.TypeInvalidClientIdentifier)
			// A subsystem that this gateway does not serve.
			r := tp.call(t, "GET", tp.mps+"/xacminh-cccd/personal-ids/001089012345", nil, "X-Road-Client", inst+"/GOV/"+DemoGovOffice+"/CONGDVCQG")
			if r.status != 400 || r.h.Get("X-Road-Error") == "" {
				t.Fatalf("foreign client: %d %s", r.status, r.body)
			}
		})
		t.Run("unknown service and member", func(t *testing.T) {
			wantXRoadError(t, tp.call(t, "GET", tp.mps+"/khong-co/x", nil), xroad.TypeServerProxyUnknownService)
			wantXRoadError(t, tp.call(t, "GET", "/r1/"+inst+"/GOV/000.00.00.X99/ABC/svc", nil), xroad.TypeClientProxyUnknownMember)
			wantXRoadError(t, tp.call(t, "GET", "/r2/"+inst+"/GOV/"+DemoMPS+"/CSDLQGDC/xacminh-cccd", nil), xroad.TypeBadRequest)
		})
		t.Run("purpose binding", func(t *testing.T) {
			wantXRoadError(t, tp.call(t, "GET", tp.mps+"/xacminh-cccd/personal-ids/001089012345", nil), xroad.TypeBadRequest)
			wantXRoadError(t, tp.call(t, "GET", tp.mps+"/xacminh-cccd/personal-ids/001089012345", nil, "X-Road-Issue", "x"), xroad.TypeBadRequest)
		})
		t.Run("metadata", func(t *testing.T) {
			r := tp.call(t, "GET", tp.mps+"/listMethods", nil)
			if r.status != 200 || !bytes.Contains(r.body, []byte("xacminh-cccd")) || !bytes.Contains(r.body, []byte("thong-ke-noi-bo")) {
				t.Fatalf("listMethods: %d %s", r.status, r.body)
			}
			r = tp.call(t, "GET", tp.mps+"/allowedMethods", nil)
			if !bytes.Contains(r.body, []byte("xacminh-cccd")) || bytes.Contains(r.body, []byte("thong-ke-noi-bo")) {
				t.Fatalf("allowedMethods: %s", r.body)
			}
			r = tp.call(t, "GET", tp.mps+"/getOpenAPI?serviceCode=xacminh-cccd", nil)
			if r.status != 200 || !bytes.Contains(r.body, []byte("/personal-ids/{id}")) {
				t.Fatalf("getOpenAPI: %d %s", r.status, r.body)
			}
			wantXRoadError(t, tp.call(t, "GET", tp.mps+"/getOpenAPI?serviceCode=thong-ke-noi-bo", nil), xroad.TypeServerProxyAccessDenied)
			r = tp.call(t, "GET", "/listClients", nil)
			if r.status != 200 || !bytes.Contains(r.body, []byte(`"subsystem_code":"MOTCUA"`)) {
				t.Fatalf("listClients: %d %s", r.status, r.body)
			}
		})
		t.Run("oversized body", func(t *testing.T) {
			// A small limit on a service that takes bodies.
			_, err := tp.c.Services.AddService(ctx, audit.Actor{Subject: "t"}, Service{Gateway: "GOV/" + DemoMPS + "/GW-BCA", Provider: inst + "/GOV/" + DemoMPS + "/CSDLQGDC",
				Code: "nhan", BackendURL: tp.res.Backend + "/v1/cccd", OpenAPI: "openapi: 3.0.0\npaths:\n  /echo:\n    post: {}\n", MaxBody: 1000})
			if err != nil {
				t.Fatal(err)
			}
			tp.c.Services.Grant(ctx, audit.Actor{Subject: "t"}, Access{Provider: inst + "/GOV/" + DemoMPS + "/CSDLQGDC", Service: "nhan", Subject: tp.client})
			tp.c.Gateway("GOV/" + DemoMPS + "/GW-BCA").Reload(ctx)
			wantXRoadError(t, tp.call(t, "POST", tp.mps+"/nhan/echo", strings.NewReader(strings.Repeat("x", 5000))), xroad.TypeServerProxyBodyTooLarge)
		})
		t.Run("backend timeout", func(t *testing.T) {
			slow := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(2 * time.Second) })}
			l, _ := net.Listen("tcp", "127.0.0.1:0")
			go slow.Serve(l)
			defer slow.Close()
			tp.c.Services.AddService(ctx, audit.Actor{Subject: "t"}, Service{Gateway: "GOV/" + DemoMPS + "/GW-BCA", Provider: inst + "/GOV/" + DemoMPS + "/CSDLQGDC",
				Code: "cham", BackendURL: "http://" + l.Addr().String(), OpenAPI: "openapi: 3.0.0\npaths:\n  /x:\n    get: {}\n", Timeout: 200 * time.Millisecond})
			tp.c.Services.Grant(ctx, audit.Actor{Subject: "t"}, Access{Provider: inst + "/GOV/" + DemoMPS + "/CSDLQGDC", Service: "cham", Subject: tp.client})
			tp.c.Gateway("GOV/" + DemoMPS + "/GW-BCA").Reload(ctx)
			wantXRoadError(t, tp.call(t, "GET", tp.mps+"/cham/x", nil), xroad.TypeServerProxyServiceFailed)
		})
		t.Run("a gateway cannot speak for another member", func(t *testing.T) {
			// Hà Nội's gateway certificate, claiming to call for the
			// Government Office's portal, straight at the ministry's provider side.
			hn := tp.c.Gateway("GOV/" + DemoHanoi + "/LGSP-HN")
			mps := tp.c.Gateway("GOV/" + DemoMPS + "/GW-BCA")
			tr := &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{hn.pair}, InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}}
			req, _ := http.NewRequest("GET", "https://"+mps.PeerAddr+tp.mps+"/xacminh-cccd/personal-ids/001089012345", nil)
			req.Header.Set("X-Road-Client", inst+"/GOV/"+DemoGovOffice+"/CONGDVCQG")
			req.Header.Set("X-Road-UserId", "u")
			req.Header.Set("X-Road-Issue", "i")
			r, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			wantXRoadError(t, resp{r.StatusCode, r.Header, b}, xroad.TypeServerProxySslAuthenticationFailed)
			// A certificate the configuration does not list is refused in the handshake.
			ca, _ := pki.NewCA("intruder", time.Hour)
			k, c, _ := ca.IssueKeyPair("x", nil, time.Hour)
			tr2 := &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{pki.KeyPair(k, c)}, InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}}
			if r, err := tr2.RoundTrip(req); err == nil {
				r.Body.Close()
				t.Fatalf("unregistered certificate accepted: %d", r.StatusCode)
			}
		})
		t.Run("message log proves every call", func(t *testing.T) {
			for _, g := range tp.res.Gateways {
				g.Log.Seal(ctx)
			}
			for id := range tp.c.gateways {
				rep, err := msglog.Verify(ctx, tp.k.DB, id, time.Time{}, time.Time{}, tp.c.Hub.CA.Cert)
				if err != nil || !rep.OK {
					t.Fatalf("%s: %+v %v", id, rep, err)
				}
			}
			recs, _ := msglog.List(ctx, tp.k.DB, msglog.Filter{Gateway: "GOV/" + DemoMPS + "/GW-BCA", Limit: 1000})
			var ok, denied int
			for _, r := range recs {
				if r.Status == 200 {
					ok++
				}
				if r.ErrorType == xroad.TypeServerProxyAccessDenied {
					denied++
				}
			}
			if ok < 3 || denied < 1 {
				t.Fatalf("provider log: %d ok, %d denied of %d", ok, denied, len(recs))
			}
			// Alter one record: verify names it.
			var seq int64
			tp.k.DB.QueryRow(ctx, "SELECT MIN(seq) FROM msglog_record WHERE gateway = ? AND status = 200", "GOV/"+DemoMPS+"/GW-BCA").Scan(&seq)
			tp.k.DB.Exec(ctx, "UPDATE msglog_record SET client = 'VN-TEST/GOV/forged/X' WHERE gateway = ? AND seq = ?", "GOV/"+DemoMPS+"/GW-BCA", seq)
			rep, _ := msglog.Verify(ctx, tp.k.DB, "GOV/"+DemoMPS+"/GW-BCA", time.Time{}, time.Time{}, tp.c.Hub.CA.Cert)
			if rep.OK || rep.BadSeq != seq {
				t.Fatalf("altered record %d: %+v", seq, rep)
			}
		})
	})
}

// TestHubAway stops the hub: calls go on from the cached configuration
// until it expires, then fail with OutdatedGlobalConf, and recover when
// the hub is back.
func TestHubAway(t *testing.T) {
	tp := newTopoFetch(t, storetest.OpenSQLite(t), 3*time.Second, 300*time.Millisecond)
	ctx := context.Background()
	call := func() resp {
		return tp.call(t, "GET", tp.mps+"/xacminh-cccd/personal-ids/001089012345", nil, purpose()...)
	}
	tp.c.Hub.Regenerate(ctx)
	time.Sleep(500 * time.Millisecond)
	if r := call(); r.status != 200 {
		t.Fatalf("before: %d %s", r.status, r.body)
	}
	addr := tp.hub.Addr()
	tp.hub.Shutdown(ctx)
	if r := call(); r.status != 200 {
		t.Fatalf("hub just stopped, cached configuration still valid: %d %s", r.status, r.body)
	}
	deadline := time.Now().Add(15 * time.Second)
	var r resp
	for time.Now().Before(deadline) {
		if r = call(); r.h.Get("X-Road-Error") != "" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	wantXRoadError(t, r, xroad.TypeClientProxyOutdatedGlobalConf)

	mux := http.NewServeMux()
	tp.c.Routes(mux)
	back := web.NewServer("hub", addr, mux, slog.New(slog.DiscardHandler))
	if err := back.Start(); err != nil {
		t.Fatal(err)
	}
	defer back.Shutdown(ctx)
	tp.c.Hub.Regenerate(ctx)
	deadline = time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if r = call(); r.status == 200 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("did not recover after the hub returned: %d %s", r.status, r.body)
}

func TestClientCallsThroughTheGateway(t *testing.T) {
	tp := newTopo(t, storetest.OpenSQLite(t), 0)
	c := &Client{Gateway: tp.hanoi, As: tp.client}
	var out map[string]any
	err := c.Call(context.Background(), "GET", inst+"/GOV/"+DemoMPS+"/CSDLQGDC/xacminh-cccd", "/personal-ids/001089012345",
		Purpose{UserID: "VN001080000099", Issue: "test"}, nil, &out)
	if err != nil || out["birth_year"] != float64(1989) {
		t.Fatalf("%v %v", out, err)
	}
	err = c.Call(context.Background(), "GET", inst+"/GOV/"+DemoMPS+"/CSDLQGDC/thong-ke-noi-bo", "/stats", Purpose{}, nil, nil)
	var xe *xroad.Error
	if !errors.As(err, &xe) || xe.Type != xroad.TypeServerProxyAccessDenied {
		t.Fatalf("denied: %v", err)
	}
}
