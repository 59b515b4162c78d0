package monitor

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vngov/vngov/internal/platform/store"
)

// Portal visits (lượt truy cập), an EMC figure: the portal calls Visit for
// each page it serves. Visit only counts in memory; the counts are written
// every few seconds (and when the monitor stops), one row per day and page.

// visitFlushEvery is how often counted visits are written.
const visitFlushEvery = 5 * time.Second

// maxVisitPages bounds the distinct pages counted between two writes; the
// rest are counted under "(khác)", so a crawler inventing addresses cannot
// grow the table without end.
const maxVisitPages = 1000

// otherPages is the page the visits beyond maxVisitPages are counted under.
const otherPages = "(khác)"

type visitKey struct {
	day  int
	page string
}

type visitBatch struct {
	s      *Service
	mu     sync.Mutex
	counts map[visitKey]int64
}

func newVisitBatch(s *Service) *visitBatch {
	return &visitBatch{s: s, counts: map[visitKey]int64{}}
}

// Visit counts one view of a portal page, e.g. "/thu-tuc/1.001193". It
// never blocks on the database.
func (s *Service) Visit(page string) {
	page = strings.TrimSpace(page)
	if page == "" {
		page = "/"
	}
	if len(page) > 200 {
		page = page[:200]
		for !utf8.ValidString(page) {
			page = page[:len(page)-1]
		}
	}
	k := visitKey{dayOf(s.now()), page}
	b := s.visits
	b.mu.Lock()
	if _, ok := b.counts[k]; !ok && len(b.counts) >= maxVisitPages {
		k.page = otherPages
	}
	b.counts[k]++
	b.mu.Unlock()
}

// FlushVisits writes the visits counted so far.
func (s *Service) FlushVisits(ctx context.Context) error {
	b := s.visits
	b.mu.Lock()
	counts := b.counts
	b.counts = map[visitKey]int64{}
	b.mu.Unlock()
	if len(counts) == 0 {
		return nil
	}
	keys := make([]visitKey, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].day != keys[j].day {
			return keys[i].day < keys[j].day
		}
		return keys[i].page < keys[j].page
	})
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		for _, k := range keys {
			if _, err := tx.Exec(ctx, "INSERT INTO mon_visit (day, page, visits) VALUES (?, ?, ?) ON CONFLICT (day, page) DO UPDATE SET visits = mon_visit.visits + excluded.visits",
				k.day, k.page, counts[k]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Keep the counts for the next write.
		b.mu.Lock()
		for k, n := range counts {
			b.counts[k] += n
		}
		b.mu.Unlock()
		return fmt.Errorf("monitor: write visits: %w", err)
	}
	return nil
}

// PageVisits is how often one portal page was viewed.
type PageVisits struct {
	Page   string `json:"page"`
	Visits int64  `json:"visits"`
}

// visitsIn returns the visits of a period, busiest pages first.
func (s *Service) visitsIn(ctx context.Context, p Period) ([]PageVisits, int64, error) {
	rows, err := s.db.Query(ctx, "SELECT page, SUM(visits) FROM mon_visit WHERE day >= ? AND day < ? GROUP BY page ORDER BY SUM(visits) DESC, page", dayOf(p.From), dayOf(p.To))
	if err != nil {
		return nil, 0, fmt.Errorf("monitor: visits: %w", err)
	}
	defer rows.Close()
	out := []PageVisits{}
	var total int64
	for rows.Next() {
		var v PageVisits
		if err := rows.Scan(&v.Page, &v.Visits); err != nil {
			return nil, 0, fmt.Errorf("monitor: visits: %w", err)
		}
		total += v.Visits
		out = append(out, v)
	}
	return out, total, rows.Err()
}
