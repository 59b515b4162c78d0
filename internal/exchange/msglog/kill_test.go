package msglog_test

import (
	"bufio"
	"context"
	"crypto"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// TestKill9 runs a log under load in a child process, kills it with
// SIGKILL, and checks that every record whose Append returned is in the
// store and that, once a new log has sealed the leftovers, Verify passes.
// (It opens its databases itself rather than through storetest.Each: the
// child must reach the same database.)
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Run("sqlite", func(t *testing.T) {
		kill9(t, store.Config{Path: filepath.Join(t.TempDir(), "vngov.db"), Synchronous: "normal"})
	})
	t.Run("postgres", func(t *testing.T) {
		if storetest.PostgresURL() == "" {
			t.Skip("PostgreSQL not configured: set VNGOV_TEST_POSTGRES=postgres://... to run")
		}
		u, _ := storetest.SchemaURL(t)
		kill9(t, store.Config{URL: u, MaxConns: 8})
	})
}

func kill9(t *testing.T, cfg store.Config) {
	ctx := context.Background()
	h := newHub(t)
	dir := t.TempDir()
	tk, tc, _ := h.ca.IssueKeyPair("tsa", nil, time.Hour)
	for name, pemText := range map[string][]byte{"gw.crt": pki.EncodeCert(h.cert), "tsa.crt": pki.EncodeCert(tc)} {
		os.WriteFile(filepath.Join(dir, name), pemText, 0o600)
	}
	for name, key := range map[string]crypto.Signer{"gw.key": h.key, "tsa.key": tk} {
		b, err := pki.EncodeKey(key)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o600)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$", "-test.v")
	cmd.Env = append(os.Environ(), "MSGLOG_CHILD_DIR="+dir, "MSGLOG_CHILD_URL="+cfg.URL, "MSGLOG_CHILD_PATH="+cfg.Path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(30 * time.Second)
	for sc.Scan() && len(acked) < 3000 && time.Now().Before(deadline) {
		if id, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			acked[id] = true
		}
	}
	cmd.Process.Kill() // SIGKILL: no deferred function, no Close, no flush
	cmd.Wait()
	if len(acked) < 100 {
		t.Fatalf("the child acknowledged only %d records", len(acked))
	}

	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(ctx, "SELECT message_id FROM msglog_record WHERE gateway = 'gw-kill'")
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		stored[id] = true
	}
	rows.Close()
	for id := range acked {
		if !stored[id] {
			t.Fatalf("record %s was acknowledged but is not in the log", id)
		}
	}
	sealedBefore := verify(t, db, "gw-kill", h.ca.Cert)
	if !sealedBefore.OK {
		t.Fatalf("log after kill -9: %+v", sealedBefore)
	}
	l := h.start(t, db, "gw-kill", msglog.Options{})
	appendN(t, l, 0, 5)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	rep := verify(t, db, "gw-kill", h.ca.Cert)
	if !rep.OK || rep.Unsealed != 0 || rep.Records != len(stored)+5 {
		t.Fatalf("after restart: %+v", rep)
	}
	t.Logf("killed with %d acknowledged, %d committed (%d unsealed); all present, chain verified", len(acked), len(stored), sealedBefore.Unsealed)
}

// TestKill9Child is the child of TestKill9: it appends from 32 goroutines
// until it is killed, printing the id of each acknowledged record.
func TestKill9Child(t *testing.T) {
	dir := os.Getenv("MSGLOG_CHILD_DIR")
	if dir == "" {
		t.Skip("run by TestKill9")
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	gwKey, _ := pki.DecodeKey(read("gw.key"))
	gwCert, _ := pki.DecodeCert(read("gw.crt"))
	tsaKey, _ := pki.DecodeKey(read("tsa.key"))
	tsaCert, _ := pki.DecodeCert(read("tsa.crt"))
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{URL: os.Getenv("MSGLOG_CHILD_URL"), Path: os.Getenv("MSGLOG_CHILD_PATH"), Synchronous: "normal", MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	migrate(t, db)
	l, err := msglog.Open(db, "gw-kill", gwKey, gwCert, msglog.TSAStamper{TSA: pki.NewTSA(tsaKey, tsaCert)}, msglog.Options{BatchInterval: 20 * time.Millisecond, BatchMax: 200})
	if err != nil {
		t.Fatal(err)
	}
	l.Start(ctx)
	var mu sync.Mutex
	for g := range 32 {
		go func() {
			for i := 0; ; i++ {
				r := rec(i)
				r.MessageID = fmt.Sprintf("kill-%d-%d", g, i)
				if err := l.Append(ctx, r); err != nil {
					fmt.Fprintln(os.Stderr, err)
					return
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %s\n", r.MessageID)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Minute) // until killed
	t.Fatal("not killed")
}
