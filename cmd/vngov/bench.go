package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
	"time"

	"github.com/vngov/vngov/internal/catalog"
	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/identity"
	"github.com/vngov/vngov/internal/monitor"
	"github.com/vngov/vngov/internal/platform/loadgen"
	"github.com/vngov/vngov/internal/portal"
	"github.com/vngov/vngov/internal/registry/backend"
)

// benchArea runs one area's benchmark and returns its key=value line.
type benchArea func(ctx context.Context, opt loadgen.Options) (string, error)

var benches = map[string]benchArea{
	"catalog":  catalog.Bench,
	"exchange": exchange.Bench,
	"identity": identity.Bench,
	"registry": backend.Bench,
	"dossier":  dossier.Bench,
	"monitor":  monitor.Bench,
	"portal":   portal.Bench,
}

func benchAreas() []string {
	var out []string
	for k := range benches {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func runBench(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: vngov bench <area|all> [--duration D] [--concurrency N]; areas: %v", benchAreas())
	}
	area := args[0]
	fs := flag.NewFlagSet("vngov bench "+area, flag.ContinueOnError)
	var opt loadgen.Options
	fs.DurationVar(&opt.Duration, "duration", 10*time.Second, "how long each measured phase runs")
	fs.IntVar(&opt.Concurrency, "concurrency", 32, "concurrent clients")
	fs.IntVar(&opt.Citizens, "citizens", 1000000, "registry: citizens to seed")
	fs.StringVar(&opt.DatabaseURL, "database-url", os.Getenv("VNGOV_DATABASE_URL"), "PostgreSQL URL to measure on (empty: SQLite)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	names := []string{area}
	if area == "all" {
		names = benchAreas()
	}
	for _, n := range names {
		b, ok := benches[n]
		if !ok {
			return fmt.Errorf("unknown area %q; areas: %v", n, benchAreas())
		}
		fmt.Printf("== vngov bench %s (duration %s per phase, %d clients)\n", n, opt.Duration, opt.Concurrency)
		line, err := b(ctx, opt)
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		fmt.Println(line)
	}
	return nil
}
