package monitor

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/loadgen"
	"github.com/vngov/vngov/internal/platform/store"
)

// BenchEvents is how many dossier events the benchmark rebuilds from.
const BenchEvents = 1000000

// Bench measures the monitor's targets in one run (issue 8: rebuild the
// index from 1,000,000 dossier events in under 10 s; live updates under
// 1 ms an event): it writes a million synthetic dossier events (realistic
// snapshots of about 200,000 dossiers over a year, in 34 provinces) to an
// event log table in the store, as the dossier engine keeps them, rebuilds
// the monitor from it (read, decode, fold, write), then applies further
// events one by one through the live consumer's path (one committed
// transaction each) for the duration, and checks that an index can be
// computed over the result.
func Bench(ctx context.Context, opt loadgen.Options) (string, error) {
	if opt.Duration <= 0 {
		opt.Duration = 10 * time.Second
	}
	dir, err := os.MkdirTemp("", "vngov-bench-monitor-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	cfg := store.Config{Path: filepath.Join(dir, "vngov.db"), Synchronous: "full"}
	if store.IsPostgresURL(opt.DatabaseURL) {
		u, drop, err := benchSchema(ctx, opt.DatabaseURL)
		if err != nil {
			return "", err
		}
		defer drop()
		cfg = store.Config{URL: u}
	}
	db, err := store.Open(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if err := db.Migrate(ctx, "monitor", Migrations()); err != nil {
		return "", err
	}
	if _, err := db.Exec(ctx, "CREATE TABLE bench_event (seq BIGINT PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, subject TEXT NOT NULL, data TEXT NOT NULL)"); err != nil {
		return "", err
	}
	gen := newBenchGen(1)
	start := time.Now()
	n, err := gen.fill(ctx, db, BenchEvents)
	if err != nil {
		return "", err
	}
	fmt.Printf("wrote %d synthetic dossier events (%d dossiers) in %.1f s\n", n, gen.dossiers, time.Since(start).Seconds())

	svc := New(db, nil, nil)
	svc.UseEvents(tableLog{db})
	res, err := svc.Rebuild(ctx)
	if err != nil {
		return "", err
	}
	fmt.Printf("rebuild: %d events into %d dossiers in %.2f s (read, decode and fold %.2f s, write %.2f s)\n", res.Events, res.Dossiers, res.Took.Seconds(),
		res.Fold.Seconds(), (res.Took - res.Fold).Seconds())

	// Baseline of the rebuild: reading the same log, nothing decoded or
	// folded (the store's floor).
	t0 := time.Now()
	var scanned int
	for after := int64(0); ; {
		evs, next, err := (tableLog{db}).EventLog(ctx, after, 10000)
		if err != nil {
			return "", err
		}
		if len(evs) == 0 {
			break
		}
		scanned += len(evs)
		after = next
	}
	scan := time.Since(t0)
	fmt.Printf("baseline: read the %d events without decoding them in %.2f s\n", scanned, scan.Seconds())

	// Baseline of a live update: one committed transaction writing one
	// row (the durable commit every applied event pays at least).
	if _, err := db.Exec(ctx, "CREATE TABLE bench_commit (k INTEGER PRIMARY KEY, n BIGINT NOT NULL)"); err != nil {
		return "", err
	}
	if _, err := db.Exec(ctx, "INSERT INTO bench_commit (k, n) VALUES (1, 0)"); err != nil {
		return "", err
	}
	var commits int
	t0 = time.Now()
	for until := t0.Add(opt.Duration / 4); time.Now().Before(until) && ctx.Err() == nil; commits++ {
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "UPDATE bench_commit SET n = n + 1 WHERE k = 1")
			return err
		}); err != nil {
			return "", err
		}
	}
	commitMs := loadgen.Ms(time.Since(t0)) / float64(max(commits, 1))
	fmt.Printf("baseline: %d one-row transactions, %.3f ms each\n", commits, commitMs)

	// Live: further dossiers' events through Apply, one transaction each.
	var live []bus.Event
	deadline := time.Now().Add(opt.Duration)
	var applied int
	var spent time.Duration
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if len(live) == 0 {
			live = gen.events(200)
		}
		ev := live[0]
		live = live[1:]
		t0 := time.Now()
		if err := svc.Apply(ctx, ev); err != nil {
			return "", err
		}
		spent += time.Since(t0)
		applied++
	}
	perEvent := loadgen.Ms(spent) / float64(max(applied, 1))
	fmt.Printf("live: %d events applied one by one, %.3f ms each\n", applied, perEvent)

	t0 = time.Now()
	ix, err := svc.IndexOf(ctx, "000.00.00.H26", gen.lastMonth())
	if err != nil {
		return "", err
	}
	fmt.Printf("index of Hà Nội for %s: %s points, %d dossiers received, computed in %.1f ms\n", ix.Period.Code, fmtTotal("en", ix.Total), ix.Facts.Received, loadgen.Ms(time.Since(t0)))
	return fmt.Sprintf("rebuild_s=%.2f events=%d per_event_ms=%.3f live_events=%d scan_s=%.2f commit_ms=%.3f store=%s",
		res.Took.Seconds(), res.Events, perEvent, applied, scan.Seconds(), commitMs, db.Dialect()), nil
}

// tableLog reads bench_event as the dossier engine's EventLog reads its
// permanent log.
type tableLog struct{ db *store.DB }

func (l tableLog) EventLog(ctx context.Context, after int64, limit int) ([]bus.Event, int64, error) {
	rows, err := l.db.Query(ctx, "SELECT seq, id, type, subject, data FROM bench_event WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
	if err != nil {
		return nil, after, err
	}
	defer rows.Close()
	var out []bus.Event
	last := after
	for rows.Next() {
		var ev bus.Event
		if err := rows.Scan(&last, &ev.ID, &ev.Type, &ev.Subject, (*[]byte)(&ev.Data)); err != nil {
			return nil, after, err
		}
		ev.Source = "dossier"
		out = append(out, ev)
	}
	return out, last, rows.Err()
}

// benchGen makes realistic dossier histories: most dossiers are accepted,
// forwarded, approved and delivered, some with a supplement request, some
// refused, stopped or withdrawn, some still open; online or in person,
// with fees, documents and ratings.
type benchGen struct {
	rng      *rand.Rand
	dossiers int
	seq      int64
	start    time.Time
	agencies []string
	procs    []string
}

func newBenchGen(seed uint64) *benchGen {
	g := &benchGen{rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), start: time.Date(2025, 12, 1, 8, 0, 0, 0, Zone),
		procs: []string{"1.001193", "1.000894", "2.000635", "1.004222", "1.013225", "1.001612", "3.000333", "9.900006"}}
	for _, l1 := range []string{"H26", "H49", "H68", "H69", "H70", "H71", "H72", "H73", "H74", "H75", "H76", "H77", "H78", "H79", "H80", "H81", "H82",
		"H83", "H84", "H85", "H86", "H87", "H88", "H89", "H90", "H91", "H92", "H93", "H94", "H95", "H96", "H97", "H98", "H99"} {
		g.agencies = append(g.agencies, "000.00.00."+l1, "000.00.90."+l1, "000.00.92."+l1)
	}
	return g
}

func (g *benchGen) lastMonth() string { return g.start.AddDate(0, 11, 0).Format("2006-01") }

// dossier returns one dossier's events.
func (g *benchGen) dossier() []Snapshot {
	r := g.rng
	g.dossiers++
	agency := g.agencies[r.IntN(len(g.agencies))]
	received := g.start.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
	limit := []int{1, 3, 5, 7, 10}[r.IntN(5)]
	due := received.AddDate(0, 0, limit+limit/5*2).Truncate(24 * time.Hour).Add(10 * time.Hour)
	s := Snapshot{Code: fmt.Sprintf("%s-%s-%06d", agency, received.Format("060102"), g.dossiers), Agency: agency, Procedure: g.procs[r.IntN(len(g.procs))],
		ProcedureVersion: 1, Channel: []int{1, 2, 2, 2, 3}[r.IntN(5)], ReceivedAt: received.UTC(), DueAt: due.UTC(),
		Documents: Documents{Total: 1 + r.IntN(4)}, Fees: Fees{Amount: []int64{0, 0, 20000, 50000, 100000}[r.IntN(5)]}}
	s.Documents.Digitised = s.Documents.Total - r.IntN(2)
	s.Documents.Reused = r.IntN(2)
	s.Documents.FromRegistry = r.IntN(2)
	at := received
	var out []Snapshot
	step := func(action string, from, to int, gap time.Duration) {
		at = at.Add(gap)
		s.Action, s.FromStatus, s.ToStatus, s.At, s.Version = action, from, to, at.UTC(), s.Version+1
		s.Actor = "bench"
		out = append(out, s)
	}
	step("create", 0, 1, 0)
	if r.IntN(50) == 0 {
		step("refuse", 1, 3, time.Hour)
		return out
	}
	step("accept", 1, 4, time.Duration(r.IntN(120))*time.Minute)
	if r.IntN(6) == 0 {
		s.Supplements++
		step("supplement", 4, 5, time.Duration(r.IntN(48))*time.Hour)
		pause := 1 + r.IntN(5)
		s.PausedDays += pause
		s.DueAt = s.DueAt.AddDate(0, 0, pause)
		step("supplemented", 5, 4, time.Duration(pause)*24*time.Hour)
	}
	if r.IntN(40) == 0 {
		step("withdraw", 4, 7, time.Hour)
		t := s.At
		s.FinishedAt = &t
		out[len(out)-1] = s
		return out
	}
	if at.After(g.start.AddDate(1, 0, -3)) && r.IntN(3) == 0 {
		return out // still open
	}
	step("forward", 4, 4, time.Duration(r.IntN(limit*20+1))*time.Hour)
	if r.IntN(30) == 0 {
		step("refuse", 4, 8, time.Duration(r.IntN(48))*time.Hour)
		return out
	}
	at = at.Add(time.Duration(r.IntN(limit*16+1)) * time.Hour)
	t := at.UTC()
	s.FinishedAt = &t
	s.EResults = r.IntN(2)
	step("approve", 4, 9, 0)
	s.Fees.Paid = true
	s.Fees.PaidOnline = s.Channel == 2 && r.IntN(3) > 0
	t2 := at.Add(time.Duration(r.IntN(72)) * time.Hour).UTC()
	s.ReturnedAt = &t2
	step("deliver", 9, 10, t2.Sub(at))
	if r.IntN(2) == 0 {
		s.Rating = 1 + r.IntN(3)
		step("rate", 10, 10, time.Hour)
	}
	return out
}

// events returns at least n events of new dossiers.
func (g *benchGen) events(n int) []bus.Event {
	var out []bus.Event
	for len(out) < n {
		for _, s := range g.dossier() {
			data, _ := json.Marshal(s)
			g.seq++
			out = append(out, bus.Event{ID: uuid.Must(uuid.NewV7()).String(), Type: EventPrefix + s.Action, Source: "dossier", Subject: s.Code, Time: s.At, Data: data})
		}
	}
	return out
}

// fill writes n events to bench_event.
func (g *benchGen) fill(ctx context.Context, db *store.DB, n int) (int, error) {
	written := 0
	for written < n {
		evs := g.events(min(5000, n-written))
		if written+len(evs) > n {
			evs = evs[:n-written]
		}
		rows := make([][]any, len(evs))
		for i, ev := range evs {
			rows[i] = []any{int64(written + i + 1), ev.ID, ev.Type, ev.Subject, string(ev.Data)}
		}
		err := db.Tx(ctx, func(tx *store.Tx) error {
			return bulkInsert(ctx, tx, "INSERT INTO bench_event (seq, id, type, subject, data)", 5, rows)
		})
		if err != nil {
			return written, err
		}
		written += len(evs)
	}
	return written, nil
}

// benchSchema creates a schema of its own on a PostgreSQL server for one
// run, and drops it after.
func benchSchema(ctx context.Context, base string) (string, func(), error) {
	schema := fmt.Sprintf("bench_monitor_%d", time.Now().UnixNano())
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, err
	}
	u, err := url.Parse(base)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	}, nil
}
