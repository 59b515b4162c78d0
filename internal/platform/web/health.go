package web

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// ReadyTimeout bounds one run of the readiness checks.
const ReadyTimeout = 2 * time.Second

// Health answers the liveness and readiness probes from the checks
// components register (database reachable, bus connected, global
// configuration fresh...), and mounts the metrics endpoint.
type Health struct {
	metrics *Metrics

	mu     sync.RWMutex
	names  []string
	checks map[string]func(context.Context) error
}

// NewHealth returns a Health whose Mount also serves m at /metrics; m may be
// nil for no metrics endpoint. The zero Health is ready to use, without it.
func NewHealth(m *Metrics) *Health {
	return &Health{metrics: m, checks: map[string]func(context.Context) error{}}
}

// AddCheck registers a readiness check. fn must honour ctx's deadline;
// one still running when it passes is reported as timed out. A name
// registered again replaces its check.
func (h *Health) AddCheck(name string, fn func(ctx context.Context) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.checks == nil {
		h.checks = map[string]func(context.Context) error{}
	}
	if _, ok := h.checks[name]; !ok {
		h.names = append(h.names, name)
	}
	h.checks[name] = fn
}

// Mount registers GET /healthz, GET /readyz and, with metrics, GET /metrics.
func (h *Health) Mount(mux *http.ServeMux) {
	mux.Handle("GET /healthz", h.Liveness())
	mux.Handle("GET /readyz", h.Readiness())
	if h.metrics != nil {
		mux.Handle("GET /metrics", h.metrics.Handler())
	}
}

// Liveness answers 200 {"status":"ok"} while the process can serve at all.
func (h *Health) Liveness() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// CheckResult is the outcome of one readiness check.
type CheckResult struct {
	Status     string  `json:"status"` // "ok" or "fail"
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// ReadyReport is the document /readyz answers with.
type ReadyReport struct {
	Status string                 `json:"status"` // "ok" or "unavailable"
	Checks map[string]CheckResult `json:"checks"`
}

// Readiness runs every check at once within ReadyTimeout and answers 200
// when all pass, 503 otherwise, naming each check's status and error.
func (h *Health) Readiness() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res := h.Check(r.Context())
		status := http.StatusOK
		if res.Status != "ok" {
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Cache-Control", "no-store")
		WriteJSON(w, status, res)
	})
}

// Check runs the readiness checks and returns their results.
func (h *Health) Check(ctx context.Context) ReadyReport {
	h.mu.RLock()
	names := append([]string(nil), h.names...)
	fns := make([]func(context.Context) error, len(names))
	for i, n := range names {
		fns[i] = h.checks[n]
	}
	h.mu.RUnlock()

	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	results := make([]CheckResult, len(names))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { results[i] = runCheck(ctx, fn) })
	}
	wg.Wait()

	out := ReadyReport{Status: "ok", Checks: make(map[string]CheckResult, len(names))}
	for i, n := range names {
		out.Checks[n] = results[i]
		if results[i].Status != "ok" {
			out.Status = "unavailable"
		}
	}
	return out
}

// runCheck waits for fn no longer than ctx allows, so one stuck check
// cannot hold the probe; the check's goroutine ends whenever fn returns.
func runCheck(ctx context.Context, fn func(context.Context) error) CheckResult {
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("check panicked: %v", p)
			}
		}()
		done <- fn(ctx)
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = fmt.Errorf("timed out after %s", ReadyTimeout)
	}
	res := CheckResult{Status: "ok", DurationMS: float64(time.Since(start).Microseconds()) / 1000}
	if err != nil {
		res.Status, res.Error = "fail", err.Error()
	}
	return res
}
