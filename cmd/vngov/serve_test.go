package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeNotifiesApplicants runs `vngov serve` with every role, files a
// dossier through the API as a citizen, and finds the receipt message for
// the applicant in the notify tables: without --smtp-addr messages are
// stored, not sent, and the log says so.
func TestServeNotifiesApplicants(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", demoPortBase())
	cmd := exec.Command(bin, "serve", "--data-dir", dir, "--listen", addr, "--admin-token", "serve-test-token")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
	}()
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		if res, err := http.Get(base + "/readyz"); err == nil && res.StatusCode == 200 {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not become ready:\n%s", out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	form := map[string]any{
		"applicant_id": "001089012345", "applicant_full_name": "Nguyễn Văn Minh", "applicant_birth_date": "1989-05-12",
		"applicant_permanent_commune": "00004", "applicant_permanent_street": "Số 8 phố Quán Thánh", "applicant_email": "minh@example.vn",
		"applicant_relation": "father", "child_full_name": "Nguyễn Thị Bình An", "child_birth_date": "2026-11-02", "child_sex": "female",
		"child_ethnicity": "01", "child_nationality": "VN", "birth_place_commune": "00004", "birth_place_detail": "Bệnh viện Phụ sản Hà Nội",
		"parents_married": true, "copies_requested": 1,
	}
	body, _ := json.Marshal(map[string]any{"procedure": "1.001193", "agency": "000.00.92.H26", "form": form})
	req, _ := http.NewRequest("POST", base+"/dossier/v1/dossiers", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer serve-test-token")
	req.Header.Set("X-Vngov-Applicant", "001089012345")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Code string `json:"code"`
	}
	json.NewDecoder(res.Body).Decode(&d)
	res.Body.Close()
	if res.StatusCode != 201 || d.Code == "" {
		t.Fatalf("create: %d %+v", res.StatusCode, d)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "vngov.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline = time.Now().Add(30 * time.Second)
	for {
		var n int
		db.QueryRow("SELECT COUNT(*) FROM notify_message WHERE recipient = ? AND body LIKE ?", "minh@example.vn", "%"+d.Code+"%").Scan(&n)
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message to the applicant about %s:\n%s", d.Code, out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "stored, not sent") {
		t.Fatalf("the log does not say email is not sent:\n%s", out.String())
	}
}
