package monitor

import (
	"context"

	"github.com/vngov/vngov/internal/platform/store"
)

// tally folds snapshots in memory: what a rebuild computes before writing
// it in one transaction.
type tally struct {
	f    folder
	recs map[string]*record
	open map[openKey]*openCount
	// Events counts the snapshots folded; Applied, those newer than what
	// was there (the rest were repeats or stale).
	Events, Applied int64
}

func newTally(f folder) *tally {
	return &tally{f: f, recs: map[string]*record{}, open: map[openKey]*openCount{}}
}

// apply folds one snapshot.
func (t *tally) apply(s Snapshot) {
	t.Events++
	prev := t.recs[s.Code]
	r, ok := next(prev, s)
	if !ok {
		return
	}
	t.Applied++
	for _, x := range crossings(prev, r.LastAt) {
		c := t.open[x.key]
		if c == nil {
			c = &openCount{}
			t.open[x.key] = c
		}
		c.Open++
		if x.late {
			c.Late++
		}
	}
	if prev != nil {
		*prev = r
		return
	}
	t.recs[s.Code] = &r
}

// buckets sums every record's contributions.
func (t *tally) buckets() map[bucketKey]*counters {
	out := map[bucketKey]*counters{}
	for _, r := range t.recs {
		for _, p := range t.f.contributions(r) {
			c := out[p.key]
			if c == nil {
				c = &counters{}
				out[p.key] = c
			}
			c.add(&p.c, 1)
		}
	}
	return out
}

// applyLive folds one snapshot into the stored tables inside tx: the
// record replaced, the counters moved by the difference between the new
// record's contributions and the old one's, and the month ends crossed
// counted. It reports whether the snapshot was newer than the stored one.
func (f folder) applyLive(ctx context.Context, tx store.Querier, s Snapshot) (bool, error) {
	prev, err := loadRecord(ctx, tx, s.Code)
	if err != nil {
		return false, err
	}
	r, ok := next(prev, s)
	if !ok {
		return false, nil
	}
	deltas := map[bucketKey]*counters{}
	add := func(parts []part, sign int64) {
		for _, p := range parts {
			c := deltas[p.key]
			if c == nil {
				c = &counters{}
				deltas[p.key] = c
			}
			c.add(&p.c, sign)
		}
	}
	if prev != nil {
		add(f.contributions(prev), -1)
	}
	add(f.contributions(&r), 1)
	if err := saveRecord(ctx, tx, prev, &r); err != nil {
		return false, err
	}
	if err := addBuckets(ctx, tx, deltas); err != nil {
		return false, err
	}
	merged := map[openKey]openCount{}
	var keys []openKey
	for _, x := range crossings(prev, r.LastAt) {
		c, seen := merged[x.key]
		if !seen {
			keys = append(keys, x.key)
		}
		c.Open++
		if x.late {
			c.Late++
		}
		merged[x.key] = c
	}
	for _, k := range keys {
		if err := addOpen(ctx, tx, k, merged[k]); err != nil {
			return false, err
		}
	}
	return true, nil
}
