package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/vngov/vngov/internal/platform/config"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/loadgen"
	"github.com/vngov/vngov/internal/platform/vntext"
	"github.com/vngov/vngov/internal/platform/web"
)

// Bench measures the catalog's targets (issue: lookup at least half of a
// bare handler's rate; search p99 under 5 ms) in one run: item lookups by
// code through the whole stack (middleware, metrics, access log, ETag,
// snapshot), the same JSON from a bare net/http handler serving it from
// memory, and diacritic-free searches over the communes.
func Bench(ctx context.Context, opt loadgen.Options) (string, error) {
	dir, err := os.MkdirTemp("", "vngov-bench-catalog-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	cfg := &config.Config{DataDir: dir, DatabaseURL: opt.DatabaseURL, SQLiteSync: "full", NATSReplicas: 1, Roles: "catalog", LogLevel: "info"}
	// The access log is formatted as in production, then discarded.
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	k, err := kernel.Open(ctx, cfg, log)
	if err != nil {
		return "", err
	}
	kctx, cancel := context.WithCancel(ctx)
	defer k.Close()
	defer cancel()
	comp, err := NewComponent(k)
	if err != nil {
		return "", err
	}
	if err := k.Start(kctx, comp); err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	comp.Routes(mux)
	srv := web.NewServer("catalog", "127.0.0.1:0", k.Handler("catalog", mux), log)
	if err := srv.Start(); err != nil {
		return "", err
	}
	defer srv.Shutdown(context.Background())

	all, _, err := comp.Svc.Export(ctx, "admin-units", "")
	if err != nil {
		return "", err
	}
	var codes []string
	bodies := map[string][]byte{}
	names := map[string]string{}
	for _, it := range all {
		if it.Level == "commune" {
			codes = append(codes, it.Code)
			names[it.Code] = it.Name
			b, _ := json.Marshal(it)
			bodies[it.Code] = b
		}
	}
	bare := http.NewServeMux()
	bare.HandleFunc("GET /catalog/v1/lists/admin-units/items/{code}", func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[r.PathValue("code")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
	bareSrv := web.NewServer("bare", "127.0.0.1:0", bare, log)
	if err := bareSrv.Start(); err != nil {
		return "", err
	}
	defer bareSrv.Shutdown(context.Background())

	client := loadgen.Client(opt.Concurrency)
	get := func(ctx context.Context, u string) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", u, resp.Status)
		}
		return nil
	}
	lookup := func(base string) func(ctx context.Context, w, i int) error {
		return func(ctx context.Context, w, i int) error {
			return get(ctx, base+"/catalog/v1/lists/admin-units/items/"+codes[(w*7919+i*31)%len(codes)])
		}
	}
	// Warm both servers and their connection pools.
	warm := min(opt.Duration/5, 2e9)
	loadgen.Run(ctx, warm, opt.Concurrency, lookup("http://"+srv.Addr()))
	loadgen.Run(ctx, warm, opt.Concurrency, lookup("http://"+bareSrv.Addr()))

	lk := loadgen.Run(ctx, opt.Duration, opt.Concurrency, lookup("http://"+srv.Addr()))
	fmt.Println("lookup through vngov:", lk)
	bs := loadgen.Run(ctx, opt.Duration, opt.Concurrency, lookup("http://"+bareSrv.Addr()))
	fmt.Println("bare net/http:       ", bs)

	// Searches as people type them: without diacritics, part of a name.
	rng := rand.New(rand.NewPCG(1, 2))
	var queries []string
	for i := 0; i < 500; i++ {
		words := strings.Fields(vntext.Fold(names[codes[rng.IntN(len(codes))]]))
		if len(words) > 2 {
			words = words[1:] // drop "xa"/"phuong" sometimes
		}
		queries = append(queries, strings.Join(words[:min(len(words), 1+rng.IntN(2))], " "))
	}
	searchBase := "http://" + srv.Addr() + "/catalog/v1/lists/admin-units/items?level=commune&limit=20&q="
	sr := loadgen.Run(ctx, opt.Duration, 4, func(ctx context.Context, w, i int) error {
		return get(ctx, searchBase+url.QueryEscape(queries[(w*131+i)%len(queries)]))
	})
	fmt.Println("commune search (4 clients):", sr)
	if lk.Errors+bs.Errors+sr.Errors > 0 {
		return "", fmt.Errorf("requests failed: lookup %d, bare %d, search %d", lk.Errors, bs.Errors, sr.Errors)
	}
	return fmt.Sprintf("lookup_rps=%.0f bare_rps=%.0f ratio=%.2f search_p99_ms=%.2f store=%s",
		lk.RPS, bs.RPS, lk.RPS/bs.RPS, loadgen.Ms(sr.P99), k.DB.Dialect()), nil
}
