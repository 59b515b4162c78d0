package monitor

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/workdays"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the monitor's tables.
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// Service is the monitor: it folds dossier events into its tables and
// answers the index, the EMC figures and the dashboard's questions.
type Service struct {
	db      *store.DB
	f       folder
	log     *slog.Logger
	events  EventSource
	procs   ProcedureSource
	cat     CatalogSource
	traffic TrafficSource

	now func() time.Time

	procCache cached[map[string]procFacts]
	dirCache  cached[*directory]

	visits *visitBatch

	// changed is told, after each applied event, that the figures moved.
	mu       sync.Mutex
	watchers map[chan struct{}]bool
}

// New returns the monitor over db, counting working days with cal
// (workdays.New() when nil).
func New(db *store.DB, cal *workdays.Calendar, log *slog.Logger) *Service {
	if cal == nil {
		cal = workdays.New()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: db, f: folder{cal: cal}, log: log, now: time.Now, watchers: map[chan struct{}]bool{}}
	s.procCache.ttl = time.Minute
	s.dirCache.ttl = 5 * time.Minute
	s.visits = newVisitBatch(s)
	return s
}

// UseEvents sets where Rebuild reads the dossier history from.
func (s *Service) UseEvents(src EventSource) { s.events = src }

// UseProcedures sets where the procedures' facts come from.
func (s *Service) UseProcedures(src ProcedureSource) { s.procs = src; s.procCache.reset() }

// UseCatalog sets where agencies' and provinces' names come from.
func (s *Service) UseCatalog(src CatalogSource) { s.cat = src; s.dirCache.reset() }

// UseTraffic sets where the exchange's call counts come from.
func (s *Service) UseTraffic(src TrafficSource) { s.traffic = src }

// ---- live updates ----

// Apply folds one dossier event into the tables, in its own transaction.
// A repeat or a stale event changes nothing, so delivering an event twice
// is harmless. An event whose data is not a dossier snapshot is skipped.
func (s *Service) Apply(ctx context.Context, ev bus.Event) error {
	if !strings.HasPrefix(ev.Type, EventPrefix) {
		return nil
	}
	snap, err := decode(ev.Data)
	if err != nil {
		s.log.Warn("monitor: event skipped", "event", ev.ID, "type", ev.Type, "err", err)
		return nil
	}
	var applied bool
	for attempt := 0; ; attempt++ {
		err = s.db.Tx(ctx, func(tx *store.Tx) error {
			applied, err = s.f.applyLive(ctx, tx, snap)
			return err
		})
		if !errors.Is(err, errRaced) || attempt == 4 {
			break
		}
	}
	if err != nil {
		return err
	}
	if applied {
		s.notify()
	}
	return nil
}

// Watch returns a channel that receives a value (without blocking the
// monitor; values coalesce) whenever the figures change, until stop.
func (s *Service) Watch() (ch <-chan struct{}, stop func()) {
	c := make(chan struct{}, 1)
	s.mu.Lock()
	s.watchers[c] = true
	s.mu.Unlock()
	return c, func() {
		s.mu.Lock()
		delete(s.watchers, c)
		s.mu.Unlock()
	}
}

func (s *Service) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.watchers {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// ---- rebuild ----

// RebuildResult says what a rebuild read and wrote.
type RebuildResult struct {
	Events   int64         `json:"events"`   // events read
	Dossiers int           `json:"dossiers"` // dossiers written
	Took     time.Duration `json:"took"`
	// Fold is the time spent reading, decoding and folding the log; the
	// rest of Took was spent writing the tables.
	Fold time.Duration `json:"fold"`
}

// rebuildPage is how many events a rebuild reads at a time.
const rebuildPage = 10000

// decodeWorkers decode a rebuild's events side by side.
var decodeWorkers = max(1, runtime.GOMAXPROCS(0))

// Rebuild recomputes the monitor's dossier tables from scratch from the
// event log, then folds the events written meanwhile, so that events the
// live consumer applied during the rebuild are not lost.
func (s *Service) Rebuild(ctx context.Context) (RebuildResult, error) {
	if s.events == nil {
		return RebuildResult{}, fmt.Errorf("monitor: rebuild: no dossier event log is available in this process")
	}
	start := time.Now()
	t := newTally(s.f)
	// The log is read by one goroutine while the pages already read are
	// decoded (on every core) and folded.
	pages := make(chan []bus.Event, 2)
	var last int64
	var readErr error
	rctx, cancel := context.WithCancel(ctx)
	go func() {
		defer close(pages)
		last, readErr = s.readLog(rctx, 0, func(evs []bus.Event) error {
			select {
			case pages <- evs:
				return nil
			case <-rctx.Done():
				return rctx.Err()
			}
		})
	}()
	for evs := range pages {
		for _, snap := range decodeAll(evs, s.log) {
			t.apply(snap)
		}
	}
	cancel()
	if readErr != nil {
		return RebuildResult{}, readErr
	}
	fold := time.Since(start)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := replaceAll(ctx, tx, t); err != nil {
			return err
		}
		if err := setState(ctx, tx, "rebuilt_at", s.now().UTC().Format(time.RFC3339)); err != nil {
			return err
		}
		return setState(ctx, tx, "rebuilt_events", strconv.FormatInt(t.Events, 10))
	})
	if err != nil {
		return RebuildResult{}, fmt.Errorf("monitor: rebuild: %w", err)
	}
	if s.db.Dialect() == store.Postgres {
		// The tables were replaced wholesale: fresh statistics keep the
		// planner's choices right.
		if _, err := s.db.Exec(ctx, "ANALYZE mon_dossier, mon_month, mon_open"); err != nil {
			s.log.Warn("monitor: analyze after rebuild", "err", err)
		}
	}
	// Events written since the log was read: the live consumer may have
	// applied them to the tables just replaced.
	_, err = s.readLog(ctx, last, func(evs []bus.Event) error {
		for _, ev := range evs {
			if err := s.Apply(ctx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return RebuildResult{}, err
	}
	s.notify()
	return RebuildResult{Events: t.Events, Dossiers: len(t.recs), Took: time.Since(start), Fold: fold}, nil
}

// readLog reads the event log after position after, page by page.
func (s *Service) readLog(ctx context.Context, after int64, fn func([]bus.Event) error) (int64, error) {
	for {
		evs, last, err := s.events.EventLog(ctx, after, rebuildPage)
		if err != nil {
			return after, fmt.Errorf("monitor: read the dossier event log: %w", err)
		}
		if len(evs) == 0 {
			return after, nil
		}
		if err := fn(evs); err != nil {
			return after, err
		}
		if last <= after {
			return after, fmt.Errorf("monitor: the dossier event log did not move past %d", after)
		}
		after = last
	}
}

// decodeAll decodes a page of events on every core, keeping their order;
// events that are not dossier snapshots are left out.
func decodeAll(evs []bus.Event, log *slog.Logger) []Snapshot {
	snaps := make([]Snapshot, len(evs))
	ok := make([]bool, len(evs))
	workers := decodeWorkers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			intern := map[string]string{}
			for i := w; i < len(evs); i += workers {
				if !strings.HasPrefix(evs[i].Type, EventPrefix) {
					continue
				}
				s, err := decodeWith(evs[i].Data, intern)
				if err != nil {
					log.Warn("monitor: event skipped", "event", evs[i].ID, "type", evs[i].Type, "err", err)
					continue
				}
				snaps[i], ok[i] = s, true
			}
		}(w)
	}
	wg.Wait()
	out := snaps[:0]
	for i := range snaps {
		if ok[i] {
			out = append(out, snaps[i])
		}
	}
	return out
}

// Empty reports whether the monitor holds no dossier yet.
func (s *Service) Empty(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT code FROM mon_dossier LIMIT 1) d").Scan(&n)
	return n == 0, err
}

// ---- the index ----

// Index is the Decision 766 index of one scope and period.
type Index struct {
	Agency     string       `json:"agency"` // the agency code, "" for the whole country
	Name       string       `json:"name"`
	NameEn     string       `json:"name_en"`
	Scope      string       `json:"scope"`              // "country", "province", "ministry" or "agency"
	Province   string       `json:"province,omitempty"` // the administrative unit code of a province
	Period     Period       `json:"period"`
	MeasuredAt time.Time    `json:"measured_at"` // when the unfinished dossiers were counted
	Total      *float64     `json:"total"`       // out of 100; null without any dossier
	Band       string       `json:"band"`        // a (90+), b (80+), c (70+), d (50+), e, none
	Groups     []GroupScore `json:"groups"`
	Facts      Facts        `json:"facts"`
}

// Facts are the figures behind an index.
type Facts struct {
	Received            int64   `json:"received"`
	ReceivedOnline      int64   `json:"received_online"`
	FeeDossiers         int64   `json:"fee_dossiers"`
	PaidOnline          int64   `json:"paid_online"`
	Digitised           int64   `json:"digitised"`
	Documents           int64   `json:"documents"`
	DocumentsReused     int64   `json:"documents_reused"`
	RegistryUsed        int64   `json:"registry_used"`
	Synced              int64   `json:"synced"`
	Ended               int64   `json:"ended"`
	EndedOnTime         int64   `json:"ended_on_time"`
	WithResult          int64   `json:"with_result"`
	EResults            int64   `json:"e_results"`
	Rated               int64   `json:"rated"`
	NotSatisfied        int64   `json:"not_satisfied"`
	Unfinished          int64   `json:"unfinished"`
	UnfinishedLate      int64   `json:"unfinished_late"`
	AverageDays         float64 `json:"average_days"` // working days the agencies spent per ended dossier
	Procedures          int64   `json:"procedures"`
	ProceduresComplete  int64   `json:"procedures_complete"`
	ProceduresFull      int64   `json:"procedures_full_online"`
	ProceduresPartial   int64   `json:"procedures_partly_online"`
	ProceduresWithFee   int64   `json:"procedures_with_fee"`
	ProceduresPayOnline int64   `json:"procedures_pay_online"`
}

func factsOfMeasures(m *Measures) Facts {
	f := Facts{Received: m.C[cReceived], ReceivedOnline: m.C[cOnline], FeeDossiers: m.C[cFeeDossiers], PaidOnline: m.C[cPaidOnline], Digitised: m.C[cDigitised],
		Documents: m.C[cDocs], DocumentsReused: m.C[cDocsReused], RegistryUsed: m.C[cRegistryUsed], Synced: m.C[cSynced], Ended: m.C[cEnded], EndedOnTime: m.C[cOnTime],
		WithResult: m.C[cWithResult], EResults: m.C[cEResults], Rated: m.C[cRated], NotSatisfied: m.C[cNotSatisfied], Unfinished: m.Unfinished, UnfinishedLate: m.UnfinishedLate,
		Procedures: m.Procedures, ProceduresComplete: m.ProceduresComplete, ProceduresFull: m.ProceduresFull, ProceduresPartial: m.ProceduresPartial,
		ProceduresWithFee: m.ProceduresWithFee, ProceduresPayOnline: m.ProceduresPayOnline}
	if m.C[cEnded] > 0 {
		f.AverageDays = round(float64(m.C[cProcDays])/float64(m.C[cEnded]), 2)
	}
	return f
}

// OnTimeRate is the share of dossiers handled on time, in percent (-1
// when there is none).
func (f Facts) OnTimeRate() float64 {
	den := f.Ended + f.Unfinished
	if den == 0 {
		return -1
	}
	return round(100*float64(f.EndedOnTime+f.Unfinished-f.UnfinishedLate)/float64(den), 1)
}

// OnlineRate is the share of dossiers filed online, in percent (-1 when
// none was received).
func (f Facts) OnlineRate() float64 {
	if f.Received == 0 {
		return -1
	}
	return round(100*float64(f.ReceivedOnline)/float64(f.Received), 1)
}

// periodOrCurrent parses a period, the current month when empty.
func (s *Service) periodOrCurrent(code string) (Period, error) {
	if strings.TrimSpace(code) == "" {
		return MonthPeriod(s.now()), nil
	}
	return ParsePeriod(code)
}

// IndexOf computes the index of an agency code (a level-1 code for a
// whole province or ministry; "" for the whole country) in a period ("" for
// the current month).
func (s *Service) IndexOf(ctx context.Context, agency, period string) (Index, error) {
	sc, err := ParseScope(agency)
	if err != nil {
		return Index{}, err
	}
	p, err := s.periodOrCurrent(period)
	if err != nil {
		return Index{}, err
	}
	out, err := s.indices(ctx, sc, p, byNone)
	if err != nil {
		return Index{}, err
	}
	if len(out) == 0 {
		return s.finish(ctx, sc.Code, sc, p, newMeasures())
	}
	return out[0], nil
}

// indices computes the index of scope in period, as one figure or one per
// agency or level-1 unit (with data), best first.
func (s *Service) indices(ctx context.Context, sc Scope, p Period, g groupBy) ([]Index, error) {
	ms, err := measure(ctx, s.db, p, sc, g, s.now())
	if err != nil {
		return nil, err
	}
	out := make([]Index, 0, len(ms))
	for k, m := range ms {
		code := sc.Code
		ksc := sc
		switch g {
		case byAgency:
			code = k
			ksc, _ = ParseScope(k)
		case byL1:
			code = "000.00.00." + k
			ksc, _ = ParseScope(code)
		}
		ix, err := s.finish(ctx, code, ksc, p, m)
		if err != nil {
			return nil, err
		}
		out = append(out, ix)
	}
	sortIndices(out)
	return out, nil
}

// sortIndices puts the highest totals first, those without data last.
func sortIndices(out []Index) {
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Total, out[j].Total
		switch {
		case a == nil && b == nil:
			return out[i].Agency < out[j].Agency
		case a == nil || b == nil:
			return b == nil
		case *a != *b:
			return *a > *b
		}
		return out[i].Agency < out[j].Agency
	})
}

// finish completes the measures with the procedures' facts and scores them.
func (s *Service) finish(ctx context.Context, code string, sc Scope, p Period, m *Measures) (Index, error) {
	procs, err := s.procedures(ctx)
	if err != nil {
		return Index{}, err
	}
	dir, err := s.directory(ctx)
	if err != nil {
		return Index{}, err
	}
	s.fillProcedures(m, sc, procs, dir)
	ix := Index{Agency: code, Name: dir.name(code, "vi"), NameEn: dir.name(code, "en"), Period: p, MeasuredAt: p.measuredAt(s.now()).UTC(), Facts: factsOfMeasures(m)}
	switch {
	case code == "":
		ix.Scope = "country"
	case sc.Level == 1 && strings.HasPrefix(level1(code), "H"):
		// A province is named as such: the index is Hà Nội's, not only
		// its people's committee's.
		ix.Scope = "province"
		if pr, ok := dir.province(code); ok {
			ix.Province, ix.Name, ix.NameEn = pr.Code, pr.Name, pr.Name
		}
	case sc.Level == 1:
		ix.Scope = "ministry"
	default:
		ix.Scope = "agency"
	}
	ix.Groups, ix.Total = score(m)
	ix.Band = Band(ix.Total)
	return ix, nil
}
