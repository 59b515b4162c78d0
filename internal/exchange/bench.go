package exchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/config"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/loadgen"
	"github.com/vngov/vngov/internal/platform/web"
)

// FreePortBase finds a port base whose demo offsets are all free.
func FreePortBase() (int, error) {
	for try := 0; try < 100; try++ {
		base := 20000 + rand.IntN(40000)
		ok := true
		for _, off := range []int{30, 31, 32, 33, 34, 50, 51, 52, 53, 54, 70} {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+off))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, errors.New("exchange: no free port range")
}

// Bench measures the exchange against its target in one run: concurrent
// clients through Hà Nội's gateway and the Ministry's gateway (mutual TLS
// between them, message log on at both) to a local echo backend, and the
// same clients straight to the echo backend.
func Bench(ctx context.Context, opt loadgen.Options) (string, error) {
	dir, err := os.MkdirTemp("", "vngov-bench-exchange-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	cfg := &config.Config{DataDir: dir, DatabaseURL: opt.DatabaseURL, SQLiteSync: "full", NATSReplicas: 1, Roles: "hub", LogLevel: "error", Instance: "VN-BENCH", AdminToken: "bench", Listen: "127.0.0.1:0"}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	k, err := kernel.Open(ctx, cfg, log)
	if err != nil {
		return "", err
	}
	defer k.Close()
	mux := http.NewServeMux()
	hubSrv := web.NewServer("hub", "127.0.0.1:0", mux, log)
	if err := hubSrv.Start(); err != nil {
		return "", err
	}
	defer hubSrv.Shutdown(context.Background())
	cfg.PublicURL = hubSrv.URL()
	c, _ := NewComponent(k)
	if err := k.Start(ctx, c); err != nil {
		return "", err
	}
	c.Routes(mux)
	base, err := FreePortBase()
	if err != nil {
		return "", err
	}
	res, err := c.RunDemo(k.Context(), DemoOptions{PortBase: base, Dir: filepath.Join(dir, "gws")})
	if err != nil {
		return "", err
	}

	// The echo backend: a small JSON answer, as most registry calls are.
	payload := []byte(`{"id":"001089012345","valid_structure":true,"sex":"male","birth_year":1989}`)
	echo := web.NewServer("echo", "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(payload)
	}), log)
	if err := echo.Start(); err != nil {
		return "", err
	}
	defer echo.Shutdown(context.Background())
	who := audit.Actor{Subject: "bench"}
	inst := cfg.Instance
	provider := inst + "/GOV/" + DemoMPS + "/CSDLQGDC"
	client := inst + "/GOV/" + DemoHanoi + "/MOTCUA"
	if _, err := c.Services.AddService(ctx, who, Service{Gateway: "GOV/" + DemoMPS + "/GW-BCA", Provider: provider, Code: "echo", BackendURL: echo.URL(),
		OpenAPI: "openapi: 3.0.3\ninfo: {title: echo, version: '1'}\npaths:\n  /echo/{id}:\n    get: {responses: {'200': {description: ok}}}\n"}); err != nil {
		return "", err
	}
	if err := c.Services.Grant(ctx, who, Access{Provider: provider, Service: "echo", Subject: client}); err != nil {
		return "", err
	}
	c.Gateway("GOV/" + DemoMPS + "/GW-BCA").Reload(ctx)

	hn := "http://" + res.Gateways[inst+"/GOV/"+DemoHanoi].ClientAddr
	proxied := hn + "/r1/" + inst + "/GOV/" + DemoMPS + "/CSDLQGDC/echo/echo/"
	direct := echo.URL() + "/echo/"
	httpc := loadgen.Client(opt.Concurrency)
	get := func(url string, hdr bool) func(ctx context.Context, w, i int) error {
		return func(ctx context.Context, w, i int) error {
			req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s%d", url, w*100000+i), nil)
			if hdr {
				req.Header.Set("X-Road-Client", client)
				req.Header.Set("X-Road-UserId", "VN001089012345")
				req.Header.Set("X-Road-Issue", "bench")
			}
			resp, err := httpc.Do(req)
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("status %d, X-Road-Error %q", resp.StatusCode, resp.Header.Get("X-Road-Error"))
			}
			return nil
		}
	}
	warm := min(opt.Duration/5, 2e9)
	loadgen.Run(ctx, warm, opt.Concurrency, get(proxied, true))
	loadgen.Run(ctx, warm, opt.Concurrency, get(direct, false))
	px := loadgen.Run(ctx, opt.Duration, opt.Concurrency, get(proxied, true))
	fmt.Println("through two gateways (mTLS, message log):", px)
	dr := loadgen.Run(ctx, opt.Duration, opt.Concurrency, get(direct, false))
	fmt.Println("straight to the backend:                 ", dr)
	if px.Errors+dr.Errors > 0 {
		return "", fmt.Errorf("requests failed: proxied %d (%v), direct %d (%v)", px.Errors, px.FirstErr, dr.Errors, dr.FirstErr)
	}
	for id, g := range res.Gateways {
		st := g.Log.Stats()
		fmt.Printf("message log %s: %+v\n", id, st)
	}
	return fmt.Sprintf("proxied_rps=%.0f direct_rps=%.0f ratio=%.2f added_p50_ms=%.2f proxied_p99_ms=%.2f store=%s",
		px.RPS, dr.RPS, px.RPS/dr.RPS, loadgen.Ms(px.P50-dr.P50), loadgen.Ms(px.P99), k.DB.Dialect()), nil
}
