package backend

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/platform/config"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/loadgen"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/registry/population"
)

// Bench measures the registry's targets in one run: seeding citizens
// (rate), lookups by id through Hà Nội's gateway and the Ministry's gateway
// (purpose-bound, access-logged), and lookups straight from the store.
func Bench(ctx context.Context, opt loadgen.Options) (string, error) {
	if opt.Citizens <= 0 {
		opt.Citizens = 1000000
	}
	dir, err := os.MkdirTemp("", "vngov-bench-registry-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	base, err := exchange.FreePortBase()
	if err != nil {
		return "", err
	}
	cfg := &config.Config{DataDir: dir, DatabaseURL: opt.DatabaseURL, SQLiteSync: "full", NATSReplicas: 1, Roles: "hub,registry", LogLevel: "error", Instance: "VN-BENCH",
		AdminToken: "bench", Listen: "127.0.0.1:0", RegistryAddr: fmt.Sprintf("127.0.0.1:%d", base+21)}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	k, err := kernel.Open(ctx, cfg, log)
	if err != nil {
		return "", err
	}
	defer k.Close()
	mux := http.NewServeMux()
	hub := web.NewServer("hub", "127.0.0.1:0", mux, log)
	if err := hub.Start(); err != nil {
		return "", err
	}
	defer hub.Shutdown(context.Background())
	cfg.PublicURL = hub.URL()
	ex, _ := exchange.NewComponent(k)
	reg, _ := NewComponent(k)
	if err := k.Start(ctx, ex, reg); err != nil {
		return "", err
	}
	ex.Routes(mux)
	demo, err := ex.RunDemo(k.Context(), exchange.DemoOptions{PortBase: base, Dir: filepath.Join(dir, "gws")})
	if err != nil {
		return "", err
	}
	fmt.Printf("seeding %d citizens, %d enterprises, %d parcels (%s)\n", opt.Citizens, opt.Citizens/100, opt.Citizens/20, k.DB.Dialect())
	res, err := reg.Seed(ctx, SeedOptions{Citizens: opt.Citizens, Enterprises: opt.Citizens / 100, Parcels: opt.Citizens / 20, Seed: 1, Progress: os.Stdout})
	if err != nil {
		return "", err
	}
	seedRate := float64(res.Citizens) / res.CitizensTime.Seconds()
	fmt.Printf("citizens seeded in %s (%.0f/s); everything in %s\n", res.CitizensTime.Round(time.Millisecond), seedRate, res.Elapsed.Round(time.Millisecond))

	hn := "http://" + demo.Gateways[cfg.Instance+"/GOV/"+exchange.DemoHanoi].ClientAddr
	if _, err := reg.DemoSetup(ctx, ex, hn); err != nil {
		return "", err
	}

	var ids []string
	rows, err := k.DB.Query(ctx, "SELECT id FROM pop_person LIMIT 20000")
	if err != nil {
		return "", err
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()

	url := hn + "/r1/" + cfg.Instance + "/GOV/" + exchange.DemoMPS + "/CSDLQGDC/" + population.ServicePerson + "/person/"
	httpc := loadgen.Client(opt.Concurrency)
	call := func(ctx context.Context, w, i int) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", url+ids[(w*7919+i*13)%len(ids)], nil)
		req.Header.Set("X-Road-Client", cfg.Instance+"/GOV/"+exchange.DemoHanoi+"/MOTCUA")
		req.Header.Set("X-Road-UserId", "VN001080000099")
		req.Header.Set("X-Road-Issue", "bench")
		resp, err := httpc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d %s", resp.StatusCode, resp.Header.Get("X-Road-Error"))
		}
		return nil
	}
	loadgen.Run(ctx, min(opt.Duration/5, 2*time.Second), opt.Concurrency, call)
	xr := loadgen.Run(ctx, opt.Duration, opt.Concurrency, call)
	fmt.Println("lookups by id through the exchange:", xr)
	st := loadgen.Run(ctx, opt.Duration, 4, func(ctx context.Context, w, i int) error {
		_, err := reg.Population.ReadUnlogged(ctx, ids[(w*104729+i*31)%len(ids)])
		return err
	})
	fmt.Println("lookups by id in the store (4 readers):", st)
	if xr.Errors+st.Errors > 0 {
		return "", fmt.Errorf("failures: exchange %d (%v), store %d (%v)", xr.Errors, xr.FirstErr, st.Errors, st.FirstErr)
	}
	return fmt.Sprintf("seed_rate_per_s=%.0f exchange_lookup_rps=%.0f store_p99_ms=%.3f citizens=%d store=%s",
		seedRate, xr.RPS, loadgen.Ms(st.P99), res.Citizens, k.DB.Dialect()), nil
}
