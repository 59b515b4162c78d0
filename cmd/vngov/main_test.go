package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

var bin string

// TestMain builds the real binary once; the tests run it as a user would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vngov-cmd-test-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "vngov")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build vngov: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), code
}

// TestAuditVerifyNamesTheAlteredRow writes an audit trail, alters one row,
// and expects `vngov audit verify` to name it, on both databases.
func TestAuditVerifyNamesTheAlteredRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, _ *store.DB) {
		ctx := context.Background()
		var args []string
		var db *store.DB
		var err error
		if strings.HasSuffix(t.Name(), "postgres") {
			u, _ := storetest.SchemaURL(t)
			args = []string{"--database-url", u}
			db, err = store.Open(ctx, store.Config{URL: u})
		} else {
			dir := t.TempDir()
			args = []string{"--data-dir", dir}
			db, err = store.Open(ctx, store.Config{Path: filepath.Join(dir, "vngov.db")})
		}
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Migrate(ctx, "audit", audit.Migrations()); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			audit.Record(ctx, db, audit.Entry{Actor: "clerk", Action: "catalog.publish", Object: fmt.Sprintf("catalog/x%d", i)})
		}
		out, code := run(t, append([]string{"audit", "verify"}, args...)...)
		if code != 0 || !strings.Contains(out, "intact: 5 rows") {
			t.Fatalf("intact trail: exit %d: %s", code, out)
		}
		if _, err := db.Exec(ctx, "UPDATE audit_log SET object = 'catalog/forged' WHERE seq = 3"); err != nil {
			t.Fatal(err)
		}
		out, code = run(t, append([]string{"audit", "verify"}, args...)...)
		if code != 3 || !strings.Contains(out, "BROKEN at row 3") {
			t.Fatalf("altered trail: exit %d: %s", code, out)
		}
	})
}

func TestUsageErrors(t *testing.T) {
	if out, code := run(t, "frobnicate"); code != 2 || !strings.Contains(out, "unknown command") {
		t.Fatalf("unknown command: %d %s", code, out)
	}
	if out, code := run(t, "serve", "--database-url", "mysql://x"); code != 1 || !strings.Contains(out, "postgres://") {
		t.Fatalf("bad database url: %d %s", code, out)
	}
	out, code := run(t, "help", "config")
	if code != 0 || !strings.Contains(out, "VNGOV_DATABASE_URL") {
		t.Fatalf("help config: %d %s", code, out)
	}
	// The README's configuration table is this output: a new setting
	// shows up in both.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), strings.TrimSpace(out)) {
		t.Fatal("README.md's configuration table differs from `vngov help config`: paste the command's output into the Configuration section")
	}
}

// TestDemoContract starts `vngov demo`, runs every example it writes to
// endpoints.json, stops it with Ctrl-C, and starts it again on the same
// data: same endpoints, data kept, nothing seeded twice.
func TestDemoContract(t *testing.T) {
	dir := t.TempDir()
	base := demoPortBase()
	start := func() (*exec.Cmd, map[string]any) {
		cmd := exec.Command(bin, "demo", "--data-dir", dir, "--port-base", fmt.Sprint(base))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		os.Remove(filepath.Join(dir, "endpoints.json"))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			b, err := os.ReadFile(filepath.Join(dir, "endpoints.json"))
			if err == nil {
				var ep map[string]any
				if json.Unmarshal(b, &ep) == nil {
					return cmd, ep
				}
			}
			if cmd.ProcessState != nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		cmd.Process.Kill()
		t.Fatalf("demo did not write endpoints.json:\n%s", out.String())
		return nil, nil
	}
	stop := func(cmd *exec.Cmd) {
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("demo did not stop cleanly: %v", err)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatal("demo did not stop within 30s of Ctrl-C")
		}
	}

	cmd, ep := start()
	if ep["instance"] != "VN-DEMO" || ep["catalog"] != fmt.Sprintf("http://127.0.0.1:%d", base+3) {
		stop(cmd)
		t.Fatalf("endpoints: %v", ep)
	}
	examples := ep["examples"].(map[string]any)
	for _, name := range []string{"catalog-provinces", "catalog-search", "catalog-translate", "exchange-call", "exchange-denied", "exchange-list-methods",
		"exchange-centralized", "person-lookup", "person-verify", "enterprise-lookup", "parcels-by-holder"} {
		if _, ok := examples[name]; !ok {
			t.Errorf("example %s missing from endpoints.json", name)
		}
	}
	// Every example runs as written, and does what it says.
	for name, raw := range examples {
		ex := raw.(map[string]any)
		var body io.Reader
		if ex["body"] != nil {
			b, _ := json.Marshal(ex["body"])
			body = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(ex["method"].(string), ex["url"].(string), body)
		for k, v := range ex["headers"].(map[string]any) {
			req.Header.Set(k, v.(string))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := map[string]string{
			"catalog-provinces": `"total":34`, "catalog-search": "Thành phố Hà Nội", "catalog-translate": `"code":"00004"`,
			"exchange-call": `"birth_year":1989`, "exchange-denied": "Server.ServerProxy.AccessDenied", "exchange-list-methods": `"service_code":"xacminh-cccd"`,
			"exchange-centralized": `"total":34`, "person-lookup": "Nguyễn Văn Minh", "person-verify": `"match":true`,
			"enterprise-lookup": "Minh An", "parcels-by-holder": `"00004-12-345"`, "procedures-search": `"code":"1.001193"`, "dossier-status": `"procedure":"1.001193"`,
		}[name]
		wantStatus := 200
		if name == "exchange-denied" {
			wantStatus = 500
		}
		if resp.StatusCode != wantStatus || !strings.Contains(string(b), want) {
			t.Errorf("example %s: %d %.300s (want %d with %q)", name, resp.StatusCode, b, wantStatus, want)
		}
		if strings.HasPrefix(name, "exchange-call") && (resp.Header.Get("X-Road-Id") == "" || resp.Header.Get("X-Road-Request-Hash") == "") {
			t.Errorf("%s: no X-Road-Id or X-Road-Request-Hash", name)
		}
	}
	var acc struct {
		Admin struct{ Token string } `json:"admin"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "demo-accounts.json"))
	json.Unmarshal(b, &acc)
	token := acc.Admin.Token
	req, _ := http.NewRequest("POST", ep["catalog"].(string)+"/catalog/v1/lists", strings.NewReader(`{"code":"demo-list","name":"Danh mục thử","owner_agency":"000.00.00.G22"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("admin write with the demo token: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	stop(cmd)

	cmd, ep2 := start()
	defer stop(cmd)
	if fmt.Sprint(ep2) != fmt.Sprint(ep) {
		t.Errorf("endpoints changed across restart:\n%v\n%v", ep, ep2)
	}
	resp, err = http.Get(ep2["catalog"].(string) + "/catalog/v1/lists/demo-list")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("data written before the restart is gone: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, _ = http.Get(ep2["catalog"].(string) + "/catalog/v1/lists/admin-units/versions")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"total":1`) {
		t.Errorf("seeded twice: %s", body)
	}
	resp, _ = http.Get(ep2["catalog"].(string) + "/readyz")
	if resp.StatusCode != 200 {
		t.Errorf("readyz: %d", resp.StatusCode)
	}
	resp.Body.Close()
}
