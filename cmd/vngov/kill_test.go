package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// demoPortBase picks a port base for a test's demo below the kernel's
// ephemeral range (32768 and up on Linux), where outgoing connections of
// other tests take their local ports; the demo uses offsets up to +70.
func demoPortBase() int { return 10000 + 100*rand.IntN(220) }

// startDemo runs `vngov demo` and waits for its endpoints.json.
func startDemo(t *testing.T, dir string, base int) (*exec.Cmd, map[string]any, *bytes.Buffer) {
	t.Helper()
	os.Remove(filepath.Join(dir, "endpoints.json"))
	cmd := exec.Command(bin, "demo", "--data-dir", dir, "--port-base", fmt.Sprint(base))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dir, "endpoints.json")); err == nil {
			var ep map[string]any
			if json.Unmarshal(b, &ep) == nil {
				return cmd, ep, &out
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatalf("demo did not start:\n%s", out.String())
	return nil, nil, nil
}

// TestGatewayKill9 sends calls through two gateways, kills the process
// with SIGKILL in the middle, restarts it, and checks that every call whose
// answer reached its client is in both gateways' message logs and that the
// logs verify.
func TestGatewayKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 test skipped in -short mode")
	}
	dir := t.TempDir()
	base := demoPortBase()
	cmd, ep, out := startDemo(t, dir, base)
	ex := ep["examples"].(map[string]any)["exchange-call"].(map[string]any)
	url := ex["url"].(string)
	hdr := ex["headers"].(map[string]any)

	var mu sync.Mutex
	var acked []string
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprintf("kill9-%d-%d", w, i)
				req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
				for k, v := range hdr {
					req.Header.Set(k, v.(string))
				}
				req.Header.Set("X-Road-Id", id)
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				// Acknowledged: a complete 200 answer reached the client.
				if err == nil && resp.StatusCode == 200 && resp.Header.Get("X-Road-Id") == id && bytes.Contains(body, []byte("birth_year")) {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	cancel()
	wg.Wait()
	if len(acked) < 50 {
		t.Fatalf("only %d calls acknowledged before the kill:\n%s", len(acked), out.String())
	}

	cmd, ep, out = startDemo(t, dir, base)
	defer func() {
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
	}()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "vngov.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, gw := range []string{"GOV/000.00.00.H26/LGSP-HN", "GOV/000.00.00.G91/GW-BCA"} {
		logged := map[string]bool{}
		rows, err := db.Query("SELECT message_id FROM msglog_record WHERE gateway = ? AND status = 200", gw)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			rows.Scan(&id)
			logged[id] = true
		}
		rows.Close()
		var missing []string
		for _, id := range acked {
			if !logged[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s: %d of %d acknowledged calls are not in the message log, e.g. %v", gw, len(missing), len(acked), missing[:min(5, len(missing))])
		}
	}
	// After the restart the logs verify (the leftovers are sealed).
	var acc struct {
		Admin struct{ Token string } `json:"admin"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "demo-accounts.json"))
	json.Unmarshal(b, &acc)
	for _, gw := range []string{"GOV/000.00.00.H26/LGSP-HN", "GOV/000.00.00.G91/GW-BCA"} {
		var rep struct {
			OK       bool
			Records  int
			Unsealed int
			Reason   string
		}
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			req, _ := http.NewRequest("GET", ep["hub"].(string)+"/exchange/v1/log/verify?gateway="+gw, nil)
			req.Header.Set("Authorization", "Bearer "+acc.Admin.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			json.NewDecoder(resp.Body).Decode(&rep)
			resp.Body.Close()
			if rep.OK && rep.Unsealed == 0 {
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
		if !rep.OK || rep.Unsealed != 0 || rep.Records < len(acked) {
			t.Errorf("%s: log after restart: %+v (acked %d)\n%s", gw, rep, len(acked), out.String())
		}
	}
	t.Logf("%d calls acknowledged before SIGKILL; all in both logs", len(acked))
}
