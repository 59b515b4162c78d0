package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHealth(t *testing.T) {
	m := NewMetrics()
	health := NewHealth(m)
	mux := http.NewServeMux()
	health.Mount(mux)
	h := Wrap(mux, Options{Component: "test", Metrics: m})

	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}

	rec := get("/healthz")
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"status":"ok"}` {
		t.Errorf("healthz: %d %s", rec.Code, rec.Body.String())
	}

	rec = get("/readyz")
	if rec.Code != 200 {
		t.Errorf("readyz without checks: %d %s", rec.Code, rec.Body.String())
	}

	health.AddCheck("store", func(ctx context.Context) error { return nil })
	rec = get("/readyz")
	var ready ReadyReport
	if err := json.Unmarshal(rec.Body.Bytes(), &ready); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 200 || ready.Status != "ok" || ready.Checks["store"].Status != "ok" {
		t.Errorf("readyz with a passing check: %d %s", rec.Code, rec.Body.String())
	}

	health.AddCheck("bus", func(ctx context.Context) error { return errors.New("nats: no servers available") })
	rec = get("/readyz")
	ready = ReadyReport{}
	if err := json.Unmarshal(rec.Body.Bytes(), &ready); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 503 || ready.Status != "unavailable" {
		t.Fatalf("readyz with a failing check: %d %s", rec.Code, rec.Body.String())
	}
	if c := ready.Checks["bus"]; c.Status != "fail" || c.Error != "nats: no servers available" {
		t.Errorf("bus = %+v", c)
	}
	if c := ready.Checks["store"]; c.Status != "ok" {
		t.Errorf("store = %+v", c)
	}

	health.AddCheck("bus", func(ctx context.Context) error { return nil })
	if rec = get("/readyz"); rec.Code != 200 {
		t.Errorf("a replaced check still fails: %s", rec.Body.String())
	}

	rec = get("/metrics")
	body := rec.Body.String()
	for _, want := range []string{`vngov_http_requests_total{component="test",method="GET",route="GET /readyz",status="503"} 1`, "go_goroutines", "vngov_http_request_duration_seconds_bucket"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestReadyzTimesOut(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the readiness timeout")
	}
	health := NewHealth(nil)
	block := make(chan struct{})
	defer close(block)
	health.AddCheck("stuck", func(ctx context.Context) error { <-block; return nil })
	health.AddCheck("panics", func(ctx context.Context) error { panic("bug") })
	start := time.Now()
	res := health.Check(context.Background())
	if d := time.Since(start); d < ReadyTimeout || d > ReadyTimeout+time.Second {
		t.Errorf("Check took %v", d)
	}
	if c := res.Checks["stuck"]; res.Status != "unavailable" || c.Status != "fail" || !strings.Contains(c.Error, "timed out") {
		t.Errorf("result = %+v", res)
	}
	if c := res.Checks["panics"]; c.Status != "fail" || !strings.Contains(c.Error, "bug") {
		t.Errorf("panicking check = %+v", c)
	}
}

func TestHealthWithoutMetrics(t *testing.T) {
	mux := http.NewServeMux()
	NewHealth(nil).Mount(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 404 {
		t.Errorf("/metrics without Metrics: %d", rec.Code)
	}
}
