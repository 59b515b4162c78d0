package dossier

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/vngov/vngov/internal/platform/config"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/procedure"
)

// TestDemoSetupOnKernel starts the procedures database and the engine on a
// kernel as `vngov demo` would, runs DemoSetup twice (a restart keeps the
// data) and follows the dossier-status example.
func TestDemoSetupOnKernel(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var code string
	for run := 0; run < 2; run++ {
		cfg := &config.Config{DataDir: dir, SQLiteSync: "normal", NATSReplicas: 1, AdminToken: "demo", Instance: "VN-TEST"}
		k, err := kernel.Open(ctx, cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		proc, _ := procedure.NewComponent(k)
		dos, err := NewComponent(k)
		if err != nil {
			t.Fatal(err)
		}
		dos.UseProcedures(proc.Svc)
		if err := k.Start(ctx, proc, dos); err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		proc.Routes(mux)
		dos.Routes(mux)
		srv := httptest.NewServer(k.Handler("console", mux))
		ex, err := dos.DemoSetup(ctx, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		e := ex["dossier-status"]
		resp, err := http.Get(e.URL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var ps PublicStatus
		json.Unmarshal(b, &ps)
		if resp.StatusCode != 200 || ps.Status != StatusProcessing || ps.ProcedureName != "Đăng ký khai sinh" {
			t.Fatalf("run %d: %s %d %s", run, e.URL, resp.StatusCode, b)
		}
		if run == 0 {
			code = ps.Code
		} else if ps.Code != code {
			t.Fatalf("a restart filed another demo dossier: %s then %s", code, ps.Code)
		}
		// The admin token as the demo citizen sees the dossier in their list.
		req, _ := http.NewRequest("GET", srv.URL+"/dossier/v1/dossiers", nil)
		req.Header.Set("Authorization", "Bearer demo")
		req.Header.Set(ApplicantHeader, DemoApplicantID)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var list struct{ Total int }
		json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if list.Total != 1 {
			t.Fatalf("run %d: the demo citizen has %d dossiers", run, list.Total)
		}
		srv.Close()
		k.Close()
	}
}
