package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/exchange/xroad"
	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// cliStore gives a test a fresh data directory and store: SQLite in the
// directory, or a fresh PostgreSQL schema for the "postgres" subtest. args
// point the binary at both.
func cliStore(t *testing.T) (args []string, dir string, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	dir = t.TempDir()
	args = []string{"--data-dir", dir, "--instance", "VN-TEST"}
	var err error
	if strings.HasSuffix(t.Name(), "postgres") {
		u, _ := storetest.SchemaURL(t)
		args = append(args, "--database-url", u)
		db, err = store.Open(ctx, store.Config{URL: u})
	} else {
		db, err = store.Open(ctx, store.Config{Path: filepath.Join(dir, "vngov.db")})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return args, dir, db
}

// cliOK runs the binary, expects exit 0 and every want in the output.
func cliOK(t *testing.T, common []string, args []string, want ...string) string {
	t.Helper()
	out, code := run(t, append(args, common...)...)
	if code != 0 {
		t.Fatalf("vngov %s: exit %d:\n%s", strings.Join(args, " "), code, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("vngov %s: output lacks %q:\n%s", strings.Join(args, " "), w, out)
		}
	}
	return out
}

// cliRefused runs the binary, expects a non-zero exit and every want in the
// output.
func cliRefused(t *testing.T, common []string, args []string, want ...string) string {
	t.Helper()
	out, code := run(t, append(args, common...)...)
	if code == 0 {
		t.Fatalf("vngov %s: exit 0, want a refusal:\n%s", strings.Join(args, " "), out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("vngov %s: exit %d, output lacks %q:\n%s", strings.Join(args, " "), code, w, out)
		}
	}
	return out
}

var fingerprintRE = regexp.MustCompile(`fingerprint\s+([0-9a-f]{64})`)

func readHubCA(t *testing.T, dir string) *pki.CA {
	t.Helper()
	ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "hub", "ca"), "unused")
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func writeTestFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const testOpenAPI = `openapi: 3.0.3
info:
  title: Danh mục dùng chung
  version: "1"
paths:
  /lists:
    get: {}
  /lists/{code}:
    get: {}
    put: {}
`

// TestExchangeCLIRegistryServicesAccess runs the hub operator's and a
// provider's commands on a fresh data directory: the CA, a gateway's
// certificate, the registry, a service and its access rights, and the
// refusals, each with a message that says what to fix.
func TestExchangeCLIRegistryServicesAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, _ *store.DB) {
		ctx := context.Background()
		c, dir, db := cliStore(t)
		gwDir := filepath.Join(dir, "gateway")

		// The CA: created once, the same on a second run.
		out := cliOK(t, c, []string{"pki", "init", "--public-url", "https://hub.example.vn"}, "created", filepath.Join(dir, "hub", "trust-anchor.json"))
		m := fingerprintRE.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("pki init prints no fingerprint:\n%s", out)
		}
		out = cliOK(t, c, []string{"pki", "init"}, "already present", m[1], "https://hub.example.vn")
		ca := readHubCA(t, dir)
		if pki.Fingerprint(ca.Cert) != m[1] {
			t.Fatalf("printed fingerprint %s is not the CA's %s", m[1], pki.Fingerprint(ca.Cert))
		}
		var anchor struct{ Instance, HubURL string }
		b, _ := os.ReadFile(filepath.Join(dir, "hub", "trust-anchor.json"))
		if err := json.Unmarshal(b, &anchor); err != nil || anchor.Instance != "VN-TEST" {
			t.Fatalf("trust anchor: %v %s", err, b)
		}

		// A gateway's key and request, and the hub's certificate for it.
		cliOK(t, c, []string{"pki", "csr", "--id", "GOV/000.00.00.G22/GW1", "--host", "gw1.example.vn"}, "created, mode 0600", filepath.Join(gwDir, "request.csr"))
		if st, err := os.Stat(filepath.Join(gwDir, "key.pem")); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("gateway key: %v %v", st, err)
		}
		certPath := filepath.Join(gwDir, "cert.pem")
		out = cliOK(t, c, []string{"pki", "issue", "--csr", filepath.Join(gwDir, "request.csr"), "--out", certPath}, "VN-TEST/GOV/000.00.00.G22/GW1")
		b, _ = os.ReadFile(certPath)
		cert, err := pki.DecodeCert(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := pki.VerifyIssued(ca.Cert, cert, time.Now()); err != nil {
			t.Fatalf("issued certificate does not verify against the CA: %v", err)
		}
		if m := fingerprintRE.FindStringSubmatch(out); m == nil || m[1] != pki.Fingerprint(cert) {
			t.Fatalf("pki issue prints the wrong fingerprint:\n%s", out)
		}
		if cert.DNSNames[0] != "gw1.example.vn" {
			t.Fatalf("hosts: %v", cert.DNSNames)
		}
		cliOK(t, c, []string{"pki", "issue", "--csr", filepath.Join(gwDir, "request.csr")}, "-----BEGIN CERTIFICATE-----")
		cliOK(t, c, []string{"pki", "csr", "--id", "GOV/000.00.00.G22/GW1"}, "existing, reused")
		cliRefused(t, c, []string{"pki", "issue", "--csr", writeTestFile(t, filepath.Join(dir, "junk.csr"), "not a request")}, "not a valid certificate request", "vngov pki csr")
		cliRefused(t, []string{"--data-dir", t.TempDir()}, []string{"pki", "issue", "--csr", filepath.Join(gwDir, "request.csr")}, "vngov pki init")
		cliRefused(t, c, []string{"pki", "csr", "--id", "GOV/000.00.00.G22"}, "CLASS/MEMBER/SERVERCODE")

		// Members.
		cliOK(t, c, []string{"exchange", "member", "add", "--class", "GOV", "--code", "000.00.00.G22", "--name", "Văn phòng Chính phủ"}, "registered", "the hub publishes it within 60 s")
		cliOK(t, c, []string{"exchange", "member", "add", "--class", "GOV", "--code", "000.00.00.H26", "--name", "UBND Thành phố Hà Nội"})
		cliRefused(t, c, []string{"exchange", "member", "add", "--class", "GOVT", "--code", "X1", "--name", "x"}, "--class", "GOV", "COM", "ORG")
		cliRefused(t, c, []string{"exchange", "member", "add", "--class", "GOV", "--code", "000.00.00.G22", "--name", "again"}, "GOV/000.00.00.G22 is already registered")
		cliRefused(t, c, []string{"exchange", "member", "add", "--class", "GOV", "--code", "Bộ Y tế", "--name", "x"}, "--code", "not a valid identifier part")
		cliRefused(t, c, []string{"exchange", "member", "add", "--class", "GOV", "--code", "X2"}, "missing --name")

		// Gateways: only with a certificate from this CA, only for a member.
		other, err := pki.NewCA("another CA", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		_, foreign, err := other.IssueKeyPair("VN-TEST/GOV/000.00.00.G22/GW1", nil, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		foreignPath := writeTestFile(t, filepath.Join(dir, "foreign.pem"), string(pki.EncodeCert(foreign)))
		cliRefused(t, c, []string{"exchange", "gateway", "add", "--id", "GOV/000.00.00.G22/GW1", "--address", "10.0.0.5:8443", "--cert", foreignPath}, "--cert", "not issued by the hub's CA")
		cliRefused(t, c, []string{"exchange", "gateway", "add", "--id", "GOV/000.00.00.G99/GW1", "--address", "10.0.0.5:8443", "--cert", certPath}, "no member GOV/000.00.00.G99", "add the member first")
		cliRefused(t, c, []string{"exchange", "gateway", "add", "--id", "GOV/000.00.00.G22/GW 1", "--address", "10.0.0.5:8443", "--cert", certPath}, "--id", "not a valid identifier part")
		cliRefused(t, c, []string{"exchange", "gateway", "add", "--id", "GOV/000.00.00.G22/GW1", "--address", "10.0.0.5", "--cert", certPath}, "--address", "HOST:PORT")
		cliOK(t, c, []string{"exchange", "gateway", "add", "--id", "GOV/000.00.00.G22/GW1", "--address", "10.0.0.5:8443", "--cert", certPath}, pki.Fingerprint(cert), "within 60 s")
		cliOK(t, c, []string{"exchange", "gateways"}, "GOV/000.00.00.G22/GW1", "10.0.0.5:8443", pki.Fingerprint(cert))

		// Subsystems.
		cliOK(t, c, []string{"exchange", "subsystem", "add", "--class", "GOV", "--code", "000.00.00.G22", "--subsystem", "DANHMUC", "--name", "Danh mục dùng chung", "--gateway", "GOV/000.00.00.G22/GW1"}, "VN-TEST/GOV/000.00.00.G22/DANHMUC", "within 60 s")
		cliOK(t, c, []string{"exchange", "subsystem", "add", "--class", "GOV", "--code", "000.00.00.H26", "--subsystem", "MOTCUA", "--name", "Một cửa"})
		cliOK(t, c, []string{"exchange", "subsystem", "assign", "--class", "GOV", "--code", "000.00.00.H26", "--subsystem", "MOTCUA", "--gateway", "GOV/000.00.00.G22/GW1"}, "served by gateway GOV/000.00.00.G22/GW1")
		cliRefused(t, c, []string{"exchange", "subsystem", "add", "--class", "GOV", "--code", "000.00.00.G99", "--subsystem", "X", "--name", "x"}, "no member GOV/000.00.00.G99", "add the member first")
		cliRefused(t, c, []string{"exchange", "subsystem", "add", "--class", "GOV", "--code", "000.00.00.G22", "--subsystem", "danh/muc", "--name", "x"}, "--subsystem", "not a valid identifier part")
		cliRefused(t, c, []string{"exchange", "subsystem", "add", "--class", "GOV", "--code", "000.00.00.G22", "--subsystem", "X", "--name", "x", "--gateway", "GOV/000.00.00.G22/NOPE"}, "no gateway")

		// Groups: every member checked before anything is written.
		cliRefused(t, c, []string{"exchange", "group", "add", "--code", "tinh", "--description", "Tỉnh", "--member", "VN-TEST/GOV/000.00.00.H26/MOTCUA", "--member", "VN-TEST/GOV/000.00.00.H26/NOPE"}, "--member VN-TEST/GOV/000.00.00.H26/NOPE", "no such subsystem")
		cliRefused(t, c, []string{"exchange", "group", "add", "--code", "tinh", "--description", "Tỉnh", "--member", "VN/GOV/000.00.00.H26/MOTCUA"}, "instance is VN-TEST")
		if out := cliOK(t, c, []string{"exchange", "groups"}); strings.Contains(out, "tinh") {
			t.Fatalf("a refused group was created:\n%s", out)
		}
		cliOK(t, c, []string{"exchange", "group", "add", "--code", "tinh", "--description", "Tỉnh, thành phố", "--member", "VN-TEST/GOV/000.00.00.H26/MOTCUA", "--member", "VN-TEST/GOV/000.00.00.G22/DANHMUC"}, "2 member(s)", "group:tinh")
		cliOK(t, c, []string{"exchange", "groups"}, "tinh", "VN-TEST/GOV/000.00.00.G22/DANHMUC VN-TEST/GOV/000.00.00.H26/MOTCUA")

		out = cliOK(t, c, []string{"exchange", "members", "--json"})
		var listed struct {
			Members    []struct{ Class, Code, Name string }
			Subsystems []struct{ Subsystem, Gateway string }
		}
		if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed.Members) != 2 || len(listed.Subsystems) != 2 || listed.Subsystems[0].Gateway != "GOV/000.00.00.G22/GW1" {
			t.Fatalf("members --json: %v\n%s", err, out)
		}
		cliOK(t, c, []string{"exchange", "members"}, "Văn phòng Chính phủ", "VN-TEST/GOV/000.00.00.H26/MOTCUA")

		// A service and its access rights.
		api := writeTestFile(t, filepath.Join(dir, "danhmuc.yaml"), testOpenAPI)
		provider := "VN-TEST/GOV/000.00.00.G22/DANHMUC"
		cliOK(t, c, []string{"exchange", "service", "add", "--gateway", "GOV/000.00.00.G22/GW1", "--provider", provider, "--code", "danhmuc",
			"--url", "http://127.0.0.1:9/catalog/v1", "--openapi", api, "--timeout", "5s"}, "Danh mục dùng chung", "3 endpoint(s)", "GET     /lists/{code}", "reload their services")
		cliRefused(t, c, []string{"exchange", "service", "add", "--gateway", "GOV/000.00.00.G22/GW1", "--provider", provider, "--code", "x",
			"--url", "ftp://x", "--openapi", writeTestFile(t, filepath.Join(dir, "bad.yaml"), "openapi: 2.0\n")}, "--url", "--openapi", "3.x")
		cliRefused(t, c, []string{"exchange", "service", "add", "--gateway", "GOV/000.00.00.G22/GW1", "--provider", "VN-TEST/GOV/DANHMUC", "--code", "x", "--url", "http://x", "--openapi", api}, "--provider", "INSTANCE/CLASS/MEMBER/SUBSYSTEM")
		cliOK(t, c, []string{"exchange", "services", "--gateway", "GOV/000.00.00.G22/GW1"}, provider+"/danhmuc", "http://127.0.0.1:9/catalog/v1")

		access := []string{"--provider", provider, "--service", "danhmuc"}
		client := "VN-TEST/GOV/000.00.00.H26/MOTCUA"
		cliOK(t, c, append([]string{"exchange", "access", "grant", "--subject", client, "--method", "get", "--path", "/lists/{code}"}, access...), "granted "+client+": GET /lists/{code}")
		cliOK(t, c, append([]string{"exchange", "access", "grant", "--subject", "group:tinh"}, access...), "the whole service")
		cliOK(t, c, append([]string{"exchange", "access", "list"}, access...), client, "/lists/{code}", "group:tinh", "cli:")
		cliRefused(t, c, append([]string{"exchange", "access", "grant", "--subject", client, "--path", "/nowhere"}, access...), "no endpoint")
		cliRefused(t, c, append([]string{"exchange", "access", "grant", "--subject", "VN-TEST/GOV/000.00.00.H26/MỘT CỬA"}, access...), "--subject", "not a valid identifier part")
		cliRefused(t, c, []string{"exchange", "access", "grant", "--provider", provider, "--service", "nope", "--subject", client}, "no service")
		cliOK(t, c, append([]string{"exchange", "access", "revoke", "--subject", client, "--method", "GET", "--path", "/lists/{code}"}, access...), "revoked")
		if out := cliOK(t, c, append([]string{"exchange", "access", "list"}, access...)); strings.Contains(out, client) {
			t.Fatalf("revoked right still listed:\n%s", out)
		}
		cliRefused(t, c, append([]string{"exchange", "access", "revoke", "--subject", client, "--method", "GET", "--path", "/lists/{code}"}, access...), "no such access right")

		// Every write is in the audit trail, by the command line's user.
		cliOK(t, c, []string{"audit", "verify"}, "intact")
		rows, err := db.Query(ctx, "SELECT actor, action FROM audit_log ORDER BY seq")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		actions := map[string]bool{}
		for rows.Next() {
			var actor, action string
			if err := rows.Scan(&actor, &action); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(actor, "cli:") {
				t.Errorf("audit row %s by %q, want cli:<user>", action, actor)
			}
			actions[action] = true
		}
		for _, a := range []string{"exchange.ca.create", "exchange.certificate.issue", "exchange.member.add", "exchange.gateway.add", "exchange.subsystem.add",
			"exchange.subsystem.assign", "exchange.group.add", "exchange.group.member.add", "exchange.service.add", "exchange.access.grant", "exchange.access.revoke"} {
			if !actions[a] {
				t.Errorf("no audit row for %s (have %v)", a, actions)
			}
		}
	})
}

func TestExchangeCLIUsage(t *testing.T) {
	if out, code := run(t, "exchange"); code != 2 || !strings.Contains(out, "member add") {
		t.Fatalf("exchange: %d %s", code, out)
	}
	if out, code := run(t, "exchange", "frobnicate"); code != 2 || !strings.Contains(out, `unknown command "frobnicate"`) {
		t.Fatalf("unknown: %d %s", code, out)
	}
	if out, code := run(t, "exchange", "access", "grant", "-h"); code != 0 || !strings.Contains(out, "-subject") || strings.Contains(out, "-nats-url") {
		t.Fatalf("-h: %d %s", code, out)
	}
	if out, code := run(t, "pki", "--help"); code != 0 || !strings.Contains(out, "issue") {
		t.Fatalf("pki --help: %d %s", code, out)
	}
	if out, code := run(t, "exchange", "members", "--data-dir", t.TempDir()); code != 1 || !strings.Contains(out, "no database at") {
		t.Fatalf("members on an empty data dir: %d %s", code, out)
	}
}

// TestExchangeLogVerifyAndArchive logs messages as a gateway would, with a
// certificate and timestamps from the hub's CA, then checks the log with
// `exchange log verify`, archives a day and checks the archive offline,
// and alters a record and an archived record to see them named.
func TestExchangeLogVerifyAndArchive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, _ *store.DB) {
		ctx := context.Background()
		c, dir, db := cliStore(t)
		cliOK(t, c, []string{"pki", "init"})
		ca := readHubCA(t, dir)
		const gw = "GOV/000.00.00.G22/GW1"
		key, cert, err := ca.IssueKeyPair("VN-TEST/"+gw, nil, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		tk, tc, err := ca.IssueKeyPair("VN-TEST hub tsa", nil, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		kp, _ := pki.EncodeKey(key)
		if err := pki.WriteFile(filepath.Join(dir, "gateway", "key.pem"), kp, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := pki.WriteFile(filepath.Join(dir, "gateway", "cert.pem"), pki.EncodeCert(cert), 0o644); err != nil {
			t.Fatal(err)
		}

		// Yesterday noon (UTC+7), so that the day is the same however late the test runs.
		y, mo, d := time.Now().In(ict).AddDate(0, 0, -1).Date()
		noon := time.Date(y, mo, d, 12, 0, 0, 0, ict)
		day := noon.Format(time.DateOnly)
		l, err := msglog.Open(db, gw, key, cert, msglog.TSAStamper{TSA: pki.NewTSA(tk, tc)}, msglog.Options{BatchInterval: time.Hour, BatchMax: 5})
		if err != nil {
			t.Fatal(err)
		}
		l.Start(ctx)
		for i := 0; i < 12; i++ {
			at := noon.Add(time.Duration(i) * time.Second)
			if err := l.Append(ctx, msglog.Record{Side: msglog.SideProvider, MessageID: fmt.Sprintf("msg-%d", i), RequestID: fmt.Sprintf("req-%d", i),
				Client: "VN-TEST/GOV/000.00.00.H26/MOTCUA", Service: "VN-TEST/GOV/000.00.00.G22/DANHMUC/danhmuc", UserID: "VN001089012345", Issue: "HS-1",
				Method: "GET", Path: fmt.Sprintf("/lists/%d", i), Status: 200, RequestHash: "rq", Started: at, Finished: at.Add(3 * time.Millisecond)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}

		cliOK(t, c, []string{"exchange", "log", "verify", "--gateway", gw}, "intact: 12 records", "0 unsealed")
		cliOK(t, c, []string{"exchange", "log", "verify", "--gateway", gw, "--from", day, "--to", day}, "intact: 12 records")
		out := cliOK(t, c, []string{"exchange", "log", "list", "--gateway", gw, "--limit", "5"}, "/lists/11", "VN-TEST/GOV/000.00.00.H26/MOTCUA")
		if n := strings.Count(out, "\n"); n != 6 {
			t.Fatalf("log list --limit 5: %d lines:\n%s", n, out)
		}
		cliRefused(t, c, []string{"exchange", "log", "verify", "--gateway", gw, "--from", "yesterday"}, "--from", "YYYY-MM-DD")

		// A day's archive, checked with no database.
		zipPath := filepath.Join(dir, day+".zip")
		cliOK(t, c, []string{"exchange", "log", "archive", "--gateway", gw, "--day", day, "--out", zipPath}, "records 1 to 12", "checked against the CA")
		caPath := filepath.Join(dir, "hub", "ca", "ca.pem")
		offline := t.TempDir()
		cliOK(t, []string{"--data-dir", offline}, []string{"exchange", "log", "verify", "--archive", zipPath, "--ca", caPath}, "intact: 12 records")
		if _, err := os.Stat(filepath.Join(offline, "vngov.db")); err == nil {
			t.Fatal("verifying an archive opened a database")
		}
		forged := filepath.Join(dir, "forged.zip")
		alterArchivedRecord(t, zipPath, forged, 3)
		out = cliRefused(t, []string{"--data-dir", offline}, []string{"exchange", "log", "verify", "--archive", forged, "--ca", caPath}, "BROKEN at record 3")
		if _, code := run(t, "exchange", "log", "verify", "--archive", forged, "--ca", caPath, "--data-dir", offline); code != 3 {
			t.Fatalf("altered archive: exit %d, want 3:\n%s", code, out)
		}
		cliRefused(t, []string{"--data-dir", offline}, []string{"exchange", "log", "verify", "--archive", zipPath, "--ca", writeForeignCA(t, dir)}, "BROKEN")

		// A record altered in the database.
		if _, err := db.Exec(ctx, "UPDATE msglog_record SET user_id = 'VN000000000000' WHERE gateway = ? AND seq = 7", gw); err != nil {
			t.Fatal(err)
		}
		out, code := run(t, append([]string{"exchange", "log", "verify", "--gateway", gw}, c...)...)
		if code != 3 || !strings.Contains(out, "BROKEN at record 7") || !strings.Contains(out, "altered") {
			t.Fatalf("altered log: exit %d:\n%s", code, out)
		}
		// The archive made before stays intact.
		cliOK(t, []string{"--data-dir", offline}, []string{"exchange", "log", "verify", "--archive", zipPath, "--ca", caPath}, "intact")
	})
}

// writeForeignCA writes a CA certificate that issued none of the log's.
func writeForeignCA(t *testing.T, dir string) string {
	t.Helper()
	other, err := pki.NewCA("another CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return writeTestFile(t, filepath.Join(dir, "other-ca.pem"), string(pki.EncodeCert(other.Cert)))
}

// alterArchivedRecord copies an archive, changing the user of record seq.
func alterArchivedRecord(t *testing.T, from, to string, seq int64) {
	t.Helper()
	zr, err := zip.OpenReader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "records.jsonl" {
			var lines []string
			for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
				var r map[string]any
				if err := json.Unmarshal([]byte(line), &r); err != nil {
					t.Fatal(err)
				}
				if r["seq"] == float64(seq) {
					r["user_id"] = "VN000000000000"
					b, _ := json.Marshal(r)
					line = string(b)
				}
				lines = append(lines, line)
			}
			body = []byte(strings.Join(lines, "\n") + "\n")
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExchangeCall runs `exchange call` against a stand-in for a gateway's
// client side: what it sends, what it prints, and its exit status.
func TestExchangeCall(t *testing.T) {
	type seen struct {
		uri, method, body string
		h                 http.Header
	}
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.RequestURI, r.Method, string(body), r.Header.Clone()})
		mu.Unlock()
		switch {
		case strings.Contains(r.URL.Path, "/denied"):
			xroad.WriteError(w, xroad.NewError(xroad.TypeServerProxyAccessDenied, "the client has no access right to GET /denied").WithDetail("msg-42"))
		case strings.Contains(r.URL.Path, "/missing"):
			http.Error(w, `{"error":"no such list"}`, http.StatusNotFound)
		default:
			w.Header().Set("X-Road-Request-Hash", "abc")
			w.Write([]byte(`{"ok":true}`))
		}
	}))
	defer srv.Close()
	last := func() seen {
		mu.Lock()
		defer mu.Unlock()
		if len(got) == 0 {
			t.Fatal("no request reached the gateway")
		}
		return got[len(got)-1]
	}
	dir := t.TempDir()
	c := []string{"--data-dir", dir}

	// Identifier parts percent-encoded one by one; path and query kept.
	cliOK(t, c, []string{"exchange", "call", "--gateway", srv.URL, "--client", "VN-TEST/GOV/000.00.00.H26/MOT,CUA", "--user", "VN001089012345", "--issue", "HS-1",
		"VN-TEST/GOV/000.00.00.G22/DANH(MUC)/danhmuc/lists/ha noi?level=province&q=a"}, `{"ok":true}`)
	r := last()
	if want := "/r1/VN-TEST/GOV/000.00.00.G22/DANH%28MUC%29/danhmuc/lists/ha%20noi?level=province&q=a"; r.uri != want || r.method != "GET" {
		t.Fatalf("sent %s %s, want GET %s", r.method, r.uri, want)
	}
	if r.h.Get("X-Road-Client") != "VN-TEST/GOV/000.00.00.H26/MOT%2CCUA" || r.h.Get("X-Road-UserId") != "VN001089012345" || r.h.Get("X-Road-Issue") != "HS-1" {
		t.Fatalf("headers: %v", r.h)
	}

	// A "?" inside an identifier part is written %3F.
	cliOK(t, c, []string{"exchange", "call", "--gateway", srv.URL, "--client", "VN-TEST/GOV/000.00.00.H26/MOTCUA", "VN-TEST/GOV/000.00.00.G22/DANHMUC/what%3F/lists/ha noi?level=province"})
	if r := last(); r.uri != "/r1/VN-TEST/GOV/000.00.00.G22/DANHMUC/what%3F/lists/ha%20noi?level=province" {
		t.Fatalf("sent %s", r.uri)
	}

	// A full /r1/ path, POST with a body from a file, extra headers, -i.
	body := writeTestFile(t, filepath.Join(dir, "body.json"), `{"code":"x"}`)
	cliOK(t, c, []string{"exchange", "call", "--gateway", srv.URL, "--client", "VN-TEST/GOV/000.00.00.H26/MOTCUA", "-d", "@" + body, "-H", "X-Trace: 7", "-i",
		"/r1/VN-TEST/GOV/000.00.00.G22/DANHMUC/danhmuc/lists"}, "HTTP/1.1 200 OK", "X-Road-Request-Hash: abc", `{"ok":true}`)
	if r := last(); r.method != "POST" || r.body != `{"code":"x"}` || r.h.Get("Content-Type") != "application/json" || r.h.Get("X-Trace") != "7" || r.uri != "/r1/VN-TEST/GOV/000.00.00.G22/DANHMUC/danhmuc/lists" {
		t.Fatalf("sent %+v", r)
	}

	// An exchange error, and a backend's error status: exit 1.
	out, code := run(t, "exchange", "call", "--gateway", srv.URL, "--client", "VN-TEST/GOV/000.00.00.H26/MOTCUA", "VN-TEST/GOV/000.00.00.G22/DANHMUC/danhmuc/denied")
	if code != 1 || !strings.Contains(out, "X-Road-Error: Server.ServerProxy.AccessDenied: the client has no access right to GET /denied") {
		t.Fatalf("exchange error: exit %d:\n%s", code, out)
	}
	out, code = run(t, "exchange", "call", "--gateway", srv.URL, "--client", "VN-TEST/GOV/000.00.00.H26/MOTCUA", "-X", "delete", "VN-TEST/GOV/000.00.00.G22/DANHMUC/danhmuc/missing")
	if code != 1 || !strings.Contains(out, "no such list") || !strings.Contains(out, "404") || last().method != "DELETE" {
		t.Fatalf("backend 404: exit %d:\n%s", code, out)
	}

	// --from reads the gateways of endpoints.json.
	writeTestFile(t, filepath.Join(dir, "endpoints.json"), fmt.Sprintf(`{"gateways": {"VN-TEST/GOV/000.00.00.H26": {"client": %q, "name": "Hà Nội"}}}`, srv.URL))
	cliOK(t, c, []string{"exchange", "call", "--from", "GOV/000.00.00.H26", "--client", "VN-TEST/GOV/000.00.00.H26/MOTCUA", "VN-TEST/GOV/000.00.00.G22/DANHMUC/danhmuc/lists"}, `{"ok":true}`)
	cliRefused(t, c, []string{"exchange", "call", "--from", "000.00.00.G91", "--client", "VN-TEST/GOV/000.00.00.H26/MOTCUA", "VN-TEST/GOV/000.00.00.G22/DANHMUC/danhmuc/lists"}, "no gateway", "VN-TEST/GOV/000.00.00.H26")

	// Refused before anything is sent.
	mu.Lock()
	n := len(got)
	mu.Unlock()
	cliRefused(t, c, []string{"exchange", "call", "--gateway", srv.URL, "--client", "VN-TEST/GOV/000.00.00.H26/MOTCUA", "VN-TEST/GOV/Bộ Y tế/DANHMUC/danhmuc"}, "MEMBER", "contains")
	cliRefused(t, c, []string{"exchange", "call", "--gateway", srv.URL, "--client", "VN-TEST/GOV/000.00.00.H26", "VN-TEST/GOV/000.00.00.G22/DANHMUC/danhmuc"}, "--client", "SUBSYSTEM")
	cliRefused(t, c, []string{"exchange", "call", "--gateway", srv.URL, "--client", "VN-TEST/GOV/000.00.00.H26/MOTCUA", "VN-TEST/GOV/000.00.00.G22/danhmuc"}, "INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE")
	cliRefused(t, c, []string{"exchange", "call", "--gateway", srv.URL, "--client", "VN-TEST/GOV/000.00.00.H26/MOTCUA"}, "missing SERVICE_PATH")
	mu.Lock()
	defer mu.Unlock()
	if len(got) != n {
		t.Fatalf("a refused call reached the gateway: %+v", got[n:])
	}
}
