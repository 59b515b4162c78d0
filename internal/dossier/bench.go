package dossier

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/config"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/loadgen"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/vnid"
	"github.com/vngov/vngov/internal/procedure"
)

// BenchDossiers is how many dossiers the benchmark's inbox queries run
// over.
const BenchDossiers = 100000

// benchAgencies are the agencies the benchmark spreads its dossiers over.
func benchAgencies(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("000.00.%02d.H26", 90+i)
	}
	return out
}

// Bench measures the engine's targets in one run (issue: at least 2,000
// durable transitions a second on SQLite, inbox p95 under 50 ms over
// 100,000 dossiers): dossiers filed through Create (each with its
// sequence number, history row and outbox event), workers driving
// dossiers through accept, forward, approve and deliver (each transition
// its own committed transaction with its history and event, while the
// outbox relay publishes to the embedded NATS as in production), a bulk
// load up to 100,000 dossiers spread over ten agencies, every step and
// status and six weeks of receipts, and inbox queries over them.
func Bench(ctx context.Context, opt loadgen.Options) (string, error) {
	if opt.Duration <= 0 {
		opt.Duration = 10 * time.Second
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 32
	}
	dir, err := os.MkdirTemp("", "vngov-bench-dossier-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	dbURL := opt.DatabaseURL
	if store.IsPostgresURL(dbURL) {
		// A schema of its own, dropped at the end, so runs do not mix.
		u, drop, err := benchSchema(ctx, dbURL)
		if err != nil {
			return "", err
		}
		defer drop()
		dbURL = u
	}
	cfg := &config.Config{DataDir: dir, DatabaseURL: dbURL, SQLiteSync: "full", NATSReplicas: 1, Roles: "procedure,dossier", LogLevel: "error", AdminToken: "bench", Instance: "VN-BENCH"}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	k, err := kernel.Open(ctx, cfg, log)
	if err != nil {
		return "", err
	}
	defer k.Close()
	proc, _ := procedure.NewComponent(k)
	dos, err := NewComponent(k)
	if err != nil {
		return "", err
	}
	dos.UseProcedures(proc.Svc)
	if err := k.Start(ctx, proc, dos); err != nil {
		return "", err
	}
	s := dos.Svc
	agencies := benchAgencies(10)
	fmt.Printf("store %s, %d clients, %s per phase\n", k.DB.Dialect(), opt.Concurrency, opt.Duration)

	// 1. Filing through Create.
	var created sync.Map // worker -> []string
	cr := loadgen.Run(ctx, opt.Duration, opt.Concurrency, func(ctx context.Context, w, i int) error {
		d, _, err := s.Create(ctx, CreateRequest{Procedure: demoProcedure, Agency: agencies[(w+i)%len(agencies)], Form: birthForm(benchApplicant(w, i), "Nguyễn Văn Bình", "Nguyễn Thị Cúc"),
			ApplicantID: benchApplicant(w, i), IdempotencyKey: fmt.Sprintf("bench-%d-%d", w, i)})
		if err != nil {
			return err
		}
		v, _ := created.LoadOrStore(w, &[]string{})
		p := v.(*[]string)
		*p = append(*p, d.Code)
		return nil
	})
	fmt.Println("create (form check, code, appointment, history, event):", cr)
	var pool []string
	created.Range(func(_, v any) bool { pool = append(pool, *v.(*[]string)...); return true })

	// 2. Durable transitions, once the relay has put the filings' events on
	// the bus (it keeps running, publishing the transitions' events).
	drained := waitRelay(ctx, k, 2*time.Minute)
	tr, err := runTransitions(ctx, s, pool, opt.Concurrency, opt.Duration, nil)
	if err != nil {
		return "", err
	}
	pending, _ := bus.Pending(ctx, k.DB)
	fmt.Printf("transitions (accept, forward, approve, deliver; each atomic, durable before acknowledged): %s; relay backlog before %s, after %d events\n", tr, drained, pending)

	// 3. Bulk load up to BenchDossiers.
	have := 0
	k.DB.QueryRow(ctx, "SELECT COUNT(*) FROM dos_dossier").Scan(&have)
	t0 := time.Now()
	n, err := s.bulkLoad(ctx, agencies, BenchDossiers-have, 1)
	if err != nil {
		return "", err
	}
	bulk := time.Since(t0)
	fmt.Printf("bulk load: %d dossiers in %s (%.0f/s)\n", n, bulk.Round(time.Millisecond), float64(n)/bulk.Seconds())
	if _, err := k.DB.Exec(ctx, "ANALYZE dos_dossier"); err != nil {
		return "", err
	}
	var total int
	k.DB.QueryRow(ctx, "SELECT COUNT(*) FROM dos_dossier").Scan(&total)

	// 4. Inbox queries: a random queue and filter, first page, with counts.
	roles := []string{RoleReceptionist, RoleSpecialist, RoleLeader}
	filters := []string{FilterAll, FilterNew, FilterDueToday, FilterOverdue}
	var rows atomic.Int64
	inbox := func(ctx context.Context, w, i int) error {
		p, err := s.Inbox(ctx, agencies[(w*7+i)%len(agencies)], roles[(w+i*5)%len(roles)], filters[(w*3+i)%len(filters)], 50, 0)
		rows.Add(int64(len(p.Items)))
		return err
	}
	loadgen.Run(ctx, min(opt.Duration/5, 2*time.Second), 4, inbox)
	rows.Store(0)
	ib := loadgen.Run(ctx, opt.Duration, 4, inbox)
	fmt.Printf("inbox over %d dossiers (4 clients, 50 a page, counts per filter): %s; %.1f rows a page\n", total, ib, float64(rows.Load())/float64(max(ib.Requests, 1)))
	if cr.Errors+tr.Errors+ib.Errors > 0 {
		return "", fmt.Errorf("failures: create %d (%v), transitions %d (%v), inbox %d (%v)", cr.Errors, cr.FirstErr, tr.Errors, tr.FirstErr, ib.Errors, ib.FirstErr)
	}
	return fmt.Sprintf("transitions_per_s=%.0f inbox_p95_ms=%.2f dossiers=%d store=%s", tr.RPS, loadgen.Ms(ib.P95), total, k.DB.Dialect()), nil
}

// waitRelay waits until the outbox relay has published everything, and
// says how long that took.
func waitRelay(ctx context.Context, k *kernel.Kernel, limit time.Duration) string {
	t0 := time.Now()
	for time.Since(t0) < limit {
		n, err := bus.Pending(ctx, k.DB)
		if err != nil || n == 0 {
			break
		}
		k.Relay.Kick()
		time.Sleep(20 * time.Millisecond)
	}
	return "drained in " + time.Since(t0).Round(time.Millisecond).String()
}

func benchApplicant(w, i int) string { return fmt.Sprintf("0010%02d%06d", w%100, i%1000000) }

// benchSchema makes a fresh schema on a PostgreSQL server and returns a
// URL that uses it and a function that drops it.
func benchSchema(ctx context.Context, base string) (string, func(), error) {
	var b [4]byte
	rand.Read(b[:])
	schema := "bench_dossier_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("bench: create schema: %w", err)
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
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	}, nil
}

// benchStep is one worker's dossier in flight.
type benchStep struct {
	code    string
	version int
	next    int // index in benchActions
}

var benchActions = []string{ActionAccept, ActionForward, ActionApprove, ActionDeliver}

// runTransitions has workers drive dossiers through accept, forward,
// approve and deliver for d, taking dossiers from pool and filing new ones
// when it runs dry. ack, when not nil, is called after each committed
// transition (the kill -9 test prints them).
func runTransitions(ctx context.Context, s *Service, pool []string, workers int, d time.Duration, ack func(code, action string, version int)) (loadgen.Result, error) {
	var mu sync.Mutex
	take := func(w, i int) (string, error) {
		mu.Lock()
		if len(pool) > 0 {
			c := pool[len(pool)-1]
			pool = pool[:len(pool)-1]
			mu.Unlock()
			return c, nil
		}
		mu.Unlock()
		dd, _, err := s.Create(ctx, CreateRequest{Procedure: demoProcedure, Agency: benchAgencies(10)[w%10], Form: birthForm(benchApplicant(w, i+500000), "Nguyễn Văn Bình", "Nguyễn Thị Cúc"),
			ApplicantID: benchApplicant(w, i+500000)})
		return dd.Code, err
	}
	cur := make([]*benchStep, workers)
	op := func(ctx context.Context, w, i int) error {
		st := cur[w]
		if st == nil || st.next == len(benchActions) {
			code, err := take(w, i)
			if err != nil {
				return err
			}
			st = &benchStep{code: code, version: 1}
			cur[w] = st
		}
		agency, _, _ := strings.Cut(st.code, "-")
		who := Official{ID: "bench-" + agency, Agency: agency, Roles: []string{RoleReceptionist, RoleSpecialist, RoleLeader}}
		action := benchActions[st.next]
		dd, err := s.Act(ctx, who, st.code, action, "", st.version)
		if err != nil {
			cur[w] = nil // leave a dossier whose state is unclear
			return err
		}
		st.version, st.next = dd.Version, st.next+1
		if ack != nil {
			ack(st.code, action, dd.Version)
		}
		return nil
	}
	// A short warm-up fills the caches and the connection pools.
	loadgen.Run(ctx, min(d/10, time.Second), workers, op)
	res := loadgen.Run(ctx, d, workers, op)
	return res, nil
}

// bulkLoad writes n dossiers the fast way, as an import of existing
// dossiers would: multi-row inserts in large transactions, codes taken in
// blocks from the daily sequences, a history row each, no events. They are
// spread over the agencies, the seeded procedures, every step and status,
// and receipts over the last six weeks. seed makes the spread repeatable.
func (s *Service) bulkLoad(ctx context.Context, agencies []string, n int, seed uint64) (int, error) {
	if n <= 0 {
		return 0, nil
	}
	var procs []*procInfo
	for _, code := range []string{"1.001193", "1.000894", "2.000635", "1.004222", "1.001612", "9.900006", "1.013225", "3.000333"} {
		pi, err := s.current(ctx, code)
		if err != nil {
			if fault.Is(err, fault.NotFound) {
				continue
			}
			return 0, err
		}
		procs = append(procs, pi)
	}
	if len(procs) == 0 {
		return 0, fmt.Errorf("dossier: bulk load: no procedures")
	}
	rng := mrand.New(mrand.NewPCG(seed, 42))
	now := s.now().In(s.cal.Location())
	form := string(birthForm("001089000000", "Nguyễn Văn Bình", "Nguyễn Thị Cúc"))
	type gen struct {
		r   row
		day string
	}
	rows := make([]gen, n)
	for i := range rows {
		pi := procs[rng.IntN(len(procs))]
		steps := pi.p.Workflow.Steps
		recv := s.cal.ReceiptDay(now.Add(-time.Duration(rng.Int64N(int64(42 * 24 * time.Hour)))))
		recv = recv.Add(7*time.Hour + 30*time.Minute + time.Duration(rng.Int64N(int64(9*time.Hour+30*time.Minute))))
		if recv.After(now) {
			recv = now.Add(-time.Minute)
		}
		r := row{Dossier: Dossier{Agency: agencies[rng.IntN(len(agencies))], Procedure: pi.p.Code, ProcedureVersion: pi.p.Version, Channel: Channel(1 + rng.IntN(3)),
			Applicant: Applicant{ID: fmt.Sprintf("0019%08d", rng.IntN(100000000)), Name: "Nguyễn Văn Bình"}, Form: []byte(form),
			ReceivedAt: recv, DueAt: s.cal.DueDate(recv, pi.p.TimeLimit), Version: 1, createdBy: "import"}}
		stepAt := func(i int) {
			r.Step, r.Role = steps[i].Code, steps[i].Role
			r.StepDueAt = s.stepDue(recv, steps[i].Budget)
		}
		done := func(st Status) {
			stepAt(len(steps) - 1)
			r.Status, r.Role = st, ""
			t := recv.Add(time.Duration(rng.Int64N(int64(5 * 24 * time.Hour))))
			r.FinishedAt = &t
			if st == StatusReturned {
				r.ReturnedAt = &t
			}
		}
		switch x := rng.IntN(100); {
		case x < 35:
			done(StatusReturned)
		case x < 40:
			done(StatusStopped)
		case x < 43:
			done(StatusWithdrawn)
		case x < 58:
			stepAt(0)
			r.Status = StatusNew
		case x < 83:
			stepAt(1 + rng.IntN(max(1, len(steps)-2)))
			r.Status = StatusProcessing
		case x < 93:
			stepAt(len(steps) - 1)
			r.Status = StatusProcessed
			t := recv.Add(time.Hour)
			r.FinishedAt = &t
		default:
			stepAt(1)
			r.Status, r.Role, r.resume = StatusSupplement, "", StatusProcessing
			r.PausedSince = &recv
		}
		if r.Role != "" && rng.IntN(3) == 0 {
			r.Assignee = "chuyenvien-" + fmt.Sprint(rng.IntN(5))
		}
		rows[i] = gen{r: r, day: recv.Format("060102")}
	}
	// Codes: one block of numbers per agency and day.
	groups := map[[2]string][]int{}
	for i, g := range rows {
		key := [2]string{g.r.Agency, g.day}
		groups[key] = append(groups[key], i)
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		for key, idx := range groups {
			var last int
			if err := tx.QueryRow(ctx, "INSERT INTO dos_sequence (agency, day, last) VALUES (?, ?, ?) ON CONFLICT (agency, day) DO UPDATE SET last = dos_sequence.last + ? RETURNING last",
				key[0], key[1], len(idx), len(idx)).Scan(&last); err != nil {
				return fmt.Errorf("dossier: bulk sequence: %w", err)
			}
			for j, i := range idx {
				rows[i].r.Code = vnid.FormatDossierCode(key[0], rows[i].r.ReceivedAt, last-len(idx)+1+j)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	const perStmt, perTx = 200, 5000
	cols := strings.Count(dossierColumns, ",") + 1 + 3 // + idem_key, idem_hash, updated_at
	rowPH := "(" + strings.Repeat("?, ", cols-1) + "?)"
	histPH := "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	for start := 0; start < n; start += perTx {
		end := min(n, start+perTx)
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			for a := start; a < end; a += perStmt {
				b := min(end, a+perStmt)
				args := make([]any, 0, (b-a)*cols)
				hargs := make([]any, 0, (b-a)*11)
				for i := a; i < b; i++ {
					r := &rows[i].r
					args = append(args, r.Code, r.Agency, r.Procedure, r.ProcedureVersion, int(r.Channel), int(r.Status), int(r.resume), r.Applicant.ID, r.Applicant.Name, r.Applicant.Phone, r.Applicant.Email,
						string(r.Form), r.Step, r.Role, r.Assignee, micros(r.ReceivedAt), micros(r.DueAt), micros(r.StepDueAt), nullMicros(r.PausedSince), r.PausedDays, r.Supplements,
						nullMicros(r.FinishedAt), nullMicros(r.ReturnedAt), r.Version, r.createdBy, nil, "", micros(now))
					hargs = append(hargs, r.Code, micros(r.ReceivedAt), "import", "applicant", ActionCreate, "", r.Step, 0, int(r.Status), "Nhập dữ liệu", "")
				}
				if _, err := tx.Exec(ctx, "INSERT INTO dos_dossier ("+dossierColumns+", idem_key, idem_hash, updated_at) VALUES "+strings.TrimSuffix(strings.Repeat(rowPH+", ", b-a), ", "), args...); err != nil {
					return fmt.Errorf("dossier: bulk insert: %w", err)
				}
				if _, err := tx.Exec(ctx, "INSERT INTO dos_history (code, at, actor, role, action, from_step, to_step, from_status, to_status, note, event_id) VALUES "+strings.TrimSuffix(strings.Repeat(histPH+", ", b-a), ", "), hargs...); err != nil {
					return fmt.Errorf("dossier: bulk history: %w", err)
				}
			}
			return nil
		})
		if err != nil {
			return start, err
		}
	}
	return n, nil
}
