// Package loadgen drives a function from many goroutines for a fixed time
// and reports throughput and latency percentiles. The `vngov bench`
// commands measure with it, each target next to its baseline in one run.
package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Result is what one run measured.
type Result struct {
	Requests int
	Errors   int
	Elapsed  time.Duration
	RPS      float64
	P50      time.Duration
	P95      time.Duration
	P99      time.Duration
	// FirstErr is the first error seen, to tell a person what failed.
	FirstErr error
}

// Ms returns d in milliseconds, for key=value output.
func Ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r Result) String() string {
	s := fmt.Sprintf("%d requests in %s: %.0f/s, p50 %.3f ms, p95 %.3f ms, p99 %.3f ms, %d errors",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.RPS, Ms(r.P50), Ms(r.P95), Ms(r.P99), r.Errors)
	if r.FirstErr != nil {
		s += " (first: " + r.FirstErr.Error() + ")"
	}
	return s
}

// Run calls op from workers goroutines until d has passed or ctx ends.
// op gets the worker number and that worker's call count.
func Run(ctx context.Context, d time.Duration, workers int, op func(ctx context.Context, worker, i int) error) Result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	type local struct {
		lat   []time.Duration
		errs  int
		first error
	}
	locals := make([]local, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := &locals[w]
			l.lat = make([]time.Duration, 0, 4096)
			for i := 0; ctx.Err() == nil; i++ {
				t0 := time.Now()
				err := op(ctx, w, i)
				if ctx.Err() != nil {
					return // a call cut short by the deadline is not counted
				}
				if err != nil {
					l.errs++
					if l.first == nil {
						l.first = err
					}
					continue
				}
				l.lat = append(l.lat, time.Since(t0))
			}
		}()
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start)}
	var all []time.Duration
	for _, l := range locals {
		all = append(all, l.lat...)
		res.Errors += l.errs
		if res.FirstErr == nil {
			res.FirstErr = l.first
		}
	}
	res.Requests = len(all)
	res.RPS = float64(res.Requests) / res.Elapsed.Seconds()
	if len(all) > 0 {
		slices.Sort(all)
		pick := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
		res.P50, res.P95, res.P99 = pick(0.50), pick(0.95), pick(0.99)
	}
	return res
}

// Client returns an HTTP client that keeps up to conns connections open to
// one host, as a load generator should.
func Client(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			DisableCompression:  true,
			IdleConnTimeout:     time.Minute,
		},
		Timeout: 30 * time.Second,
	}
}

// Options are the settings every `vngov bench` area takes.
type Options struct {
	Duration    time.Duration // how long each measured phase runs
	Concurrency int           // concurrent clients
	DatabaseURL string        // PostgreSQL to measure on; empty: SQLite
	Citizens    int           // the registry benchmark's population size
}
