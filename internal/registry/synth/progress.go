package synth

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Progress prints how far a long job is, at most once a second:
//
//	people: 250000/1000000 (25%) 412000/s
//
// and a last line from Done. Add is cheap (an atomic add; the clock is
// read only every few thousand units) and safe from several goroutines.
type Progress struct {
	w     io.Writer
	label string
	total int64
	now   func() time.Time

	n    atomic.Int64
	next atomic.Int64 // the count at which Add next looks at the clock

	mu        sync.Mutex
	start     time.Time
	lastPrint time.Time
	lastN     int64
	done      bool
}

// progressCheckEvery is how many units Add lets pass between looks at the
// clock, at first; it adapts to the rate so that the clock is read about
// ten times a second.
const progressCheckEvery = 1024

// NewProgress starts a progress report of total units (0 if unknown) on w.
func NewProgress(w io.Writer, label string, total int) *Progress {
	return newProgress(w, label, total, time.Now)
}

func newProgress(w io.Writer, label string, total int, now func() time.Time) *Progress {
	p := &Progress{w: w, label: label, total: int64(total), now: now}
	p.start = now()
	p.lastPrint = p.start
	p.next.Store(progressCheckEvery)
	return p
}

// Add counts n more units done.
func (p *Progress) Add(n int) {
	if v := p.n.Add(int64(n)); v >= p.next.Load() {
		p.tick(v)
	}
}

func (p *Progress) tick(v int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done || v < p.next.Load() {
		return
	}
	t := p.now()
	elapsed := t.Sub(p.lastPrint)
	// Look again after about a tenth of a second's worth of units.
	step := int64(progressCheckEvery)
	if s := t.Sub(p.start).Seconds(); s > 0 {
		step = max(int64(float64(v)/s/10), 1)
	}
	p.next.Store(v + step)
	if elapsed < time.Second {
		return
	}
	rate := float64(v-p.lastN) / elapsed.Seconds()
	p.lastPrint, p.lastN = t, v
	p.print(v, rate, "")
}

// Done prints the final count, the average rate and the time taken. Later
// calls of Add and Done print nothing.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	v := p.n.Load()
	d := p.now().Sub(p.start)
	rate := 0.0
	if d > 0 {
		rate = float64(v) / d.Seconds()
	}
	p.print(v, rate, " in "+d.Round(time.Millisecond).String())
}

func (p *Progress) print(v int64, rate float64, tail string) {
	if p.total > 0 {
		fmt.Fprintf(p.w, "%s: %d/%d (%d%%) %.0f/s%s\n", p.label, v, p.total, v*100/p.total, rate, tail)
	} else {
		fmt.Fprintf(p.w, "%s: %d %.0f/s%s\n", p.label, v, rate, tail)
	}
}
