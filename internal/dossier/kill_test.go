package dossier

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/workdays"
)

const killDirEnv = "VNGOV_DOSSIER_KILL9_DIR"

func openKillStore(t testing.TB, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Path: filepath.Join(dir, "vngov.db"), Synchronous: "full"})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestKill9Child is the process TestKill9DuringTransitions kills: it
// drives dossiers through their transitions with the outbox relay running
// and prints every transition once it has been acknowledged.
func TestKill9Child(t *testing.T) {
	dir := os.Getenv(killDirEnv)
	if dir == "" {
		t.Skip("run by TestKill9DuringTransitions")
	}
	ctx := context.Background()
	db := openKillStore(t, dir)
	ps := migrate(t, db)
	b, err := bus.Open(ctx, bus.Config{Dir: filepath.Join(dir, "nats")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	go bus.NewRelay(db, b, nil).Run(ctx)
	s := New(db, ps, workdays.New())
	var pool []string
	for i := 0; i < 400; i++ {
		d, _, err := s.Create(ctx, CreateRequest{Procedure: demoProcedure, Agency: benchAgencies(4)[i%4], Form: birthForm(benchApplicant(99, i), "Nguyễn Văn Bình", "Nguyễn Thị Cúc"), ApplicantID: benchApplicant(99, i)})
		if err != nil {
			t.Fatal(err)
		}
		pool = append(pool, d.Code)
	}
	var mu sync.Mutex
	fmt.Println("READY")
	runTransitions(ctx, s, pool, 16, time.Minute, func(code, action string, version int) {
		mu.Lock()
		fmt.Printf("ACK %s %s %d\n", code, action, version)
		mu.Unlock()
	})
}

// TestKill9DuringTransitions kills the engine with SIGKILL in the middle of
// the transitions (and of the relay's publishing), restarts the store and
// the bus from disk, and checks that no acknowledged transition is lost or
// applied twice: each is in the history once, with its outbox event, and
// after the relay catches up every event is on the bus exactly once.
func TestKill9DuringTransitions(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 test skipped in -short mode")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$", "-test.count=1")
	cmd.Env = append(os.Environ(), killDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type ackT struct {
		code, action string
		version      int
	}
	var mu sync.Mutex
	var acks []ackT
	ready := make(chan struct{})
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if line == "READY" {
				close(ready)
				continue
			}
			f := strings.Fields(line)
			if len(f) == 4 && f[0] == "ACK" {
				v, _ := strconv.Atoi(f[3])
				mu.Lock()
				acks = append(acks, ackT{f[1], f[2], v})
				mu.Unlock()
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("the child did not start")
	}
	// Let it run until a good number of transitions are through, then kill.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(acks)
		mu.Unlock()
		if n >= 800 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
	<-readDone
	if len(acks) == 0 {
		t.Fatal("no transition was acknowledged before the kill")
	}

	ctx := context.Background()
	db := openKillStore(t, dir)
	defer db.Close()
	b, err := bus.Open(ctx, bus.Config{Dir: filepath.Join(dir, "nats")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// Every acknowledged transition is in the history, once, with its event.
	for _, a := range acks {
		var events int
		db.QueryRow(ctx, "SELECT COUNT(*) FROM bus_outbox WHERE subject = ? AND type = ?", a.code, EventPrefix+a.action).Scan(&events)
		if events != 1 {
			t.Fatalf("acknowledged %s %s: %d events", a.code, a.action, events)
		}
		var rows int
		db.QueryRow(ctx, "SELECT COUNT(*) FROM dos_history h JOIN bus_outbox o ON o.id = h.event_id WHERE h.code = ? AND o.type = ? AND h.action = ?", a.code, EventPrefix+a.action, a.action).Scan(&rows)
		if rows != 1 {
			t.Fatalf("acknowledged %s %s: %d history rows", a.code, a.action, rows)
		}
		var v int
		db.QueryRow(ctx, "SELECT version FROM dos_dossier WHERE code = ?", a.code).Scan(&v)
		if v < a.version {
			t.Fatalf("%s at version %d, acknowledged %d", a.code, v, a.version)
		}
	}
	// Nothing applied twice, and every dossier's version counts its
	// transitions exactly.
	if n := countRows(t, db, "SELECT COUNT(*) FROM (SELECT subject, type FROM bus_outbox GROUP BY subject, type HAVING COUNT(*) > 1) d"); n != 0 {
		t.Fatalf("%d transitions applied twice", n)
	}
	if n := countRows(t, db, "SELECT COUNT(*) FROM dos_dossier d WHERE d.version <> (SELECT COUNT(*) FROM bus_outbox o WHERE o.subject = d.code)"); n != 0 {
		t.Fatalf("%d dossiers whose version does not match their events", n)
	}
	if n := countRows(t, db, "SELECT COUNT(*) FROM dos_history h WHERE NOT EXISTS (SELECT 1 FROM bus_outbox o WHERE o.id = h.event_id)"); n != 0 {
		t.Fatalf("%d history rows without an event", n)
	}
	committed := countRows(t, db, "SELECT COUNT(*) FROM bus_outbox WHERE type <> ?", EventPrefix+ActionCreate)
	pending := countRows(t, db, "SELECT COUNT(*) FROM bus_outbox WHERE published_at IS NULL")
	// The restarted relay publishes what the killed one had not, and the
	// stream holds each event once.
	r := bus.NewRelay(db, b, nil)
	for {
		n, err := r.Once(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	for _, a := range []string{ActionCreate, ActionAccept, ActionForward, ActionApprove, ActionDeliver} {
		want := countRows(t, db, "SELECT COUNT(*) FROM bus_outbox WHERE type = ?", EventPrefix+a)
		var got uint64
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if got, _ = b.Count(ctx, EventPrefix+a); int(got) == want {
				break
			}
		}
		if int(got) != want {
			t.Fatalf("%s: %d on the bus, %d in the outbox", a, got, want)
		}
	}
	t.Logf("%d transitions acknowledged before SIGKILL, %d committed (the rest in flight), %d events not yet published; all in the history once and on the bus once",
		len(acks), committed, pending)
}
