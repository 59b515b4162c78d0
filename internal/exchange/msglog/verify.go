package msglog

import (
	"context"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/store"
)

// Report is the outcome of Verify or VerifyArchive.
type Report struct {
	Records int // records checked
	Batches int // batches checked
	// Unsealed counts checked records at the end of the log that no batch
	// covers yet: not tampering, but not yet signed and timestamped.
	Unsealed int
	OK       bool   // everything checked holds
	BadSeq   int64  // the first record that does not hold, when !OK
	Reason   string // what is wrong with it, when !OK
	// First and Last are the seq range checked.
	First, Last int64
	// Anchor is the hash the checked stretch starts from (genesis, a prune
	// point, or the prev_root of its first batch), and Head the hash of the
	// last record checked: an archive's Head is the next day's Anchor.
	Anchor, Head string
}

// pageSize is how many rows Verify reads per query, so that a log of any
// size is checked in bounded memory.
const pageSize = 500

// Verify checks gateway's log in q: every record is present (consecutive
// seqs), unaltered (its hash recomputes) and linked to the one before; every
// batch is signed by a gateway certificate that ca issued and valid at the
// batch's timestamp, timestamped by an authority that ca certifies, links
// to the batch before, and covers the records up to the next batch. Records
// after the last batch are checked and counted as Unsealed.
//
// With from or to set, it checks the batches holding the records started
// in [from, to), from the first such batch's signed prev_root; zero means
// everything, from the start of the log or its last prune point.
func Verify(ctx context.Context, q store.Querier, gateway string, from, to time.Time, ca *x509.Certificate) (Report, error) {
	if ca == nil {
		return Report{}, errors.New("msglog: verify: no CA certificate")
	}
	c := newChecker(gateway, ca)
	var endSeq int64
	if from.IsZero() && to.IsZero() {
		if err := c.startAtPrunePoint(ctx, q); err != nil || !c.rep.OK {
			return c.rep, err
		}
		// The walk ends at the head as it stands now, so that it ends on a
		// busy log; batches, and so records missing under them, count too.
		var sealed int64
		err := q.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0), (SELECT COALESCE(MAX(last_seq), 0) FROM msglog_batch WHERE gateway = ?) FROM msglog_record WHERE gateway = ?", gateway, gateway).
			Scan(&endSeq, &sealed)
		if err != nil {
			return c.rep, fmt.Errorf("msglog: verify: find head: %w", err)
		}
		endSeq = max(endSeq, sealed)
	} else {
		found, err := c.startAtWindow(ctx, q, from, to, &endSeq)
		if err != nil || !found || !c.rep.OK {
			return c.rep, err
		}
	}
	recs := &pager[Record]{fetch: func(after int64) ([]Record, error) { return readRecords(ctx, q, gateway, after, endSeq) }, after: c.seq - 1}
	bats := &pager[Batch]{fetch: func(after int64) ([]Batch, error) { return readBatches(ctx, q, gateway, after, endSeq) }, after: c.batchNo - 1}
	batches := func() (*Batch, error) {
		b, err := bats.next()
		if b != nil && b.LastSeq > endSeq {
			// Sealed while the walk ran: its records are committed.
			endSeq = b.LastSeq
		}
		return b, err
	}
	err := c.run(recs.next, batches, false)
	return c.rep, err
}

// startAtPrunePoint starts the walk at the prune point, if the log's start
// was archived and deleted, or at the genesis.
func (c *checker) startAtPrunePoint(ctx context.Context, q store.Querier) error {
	var p prunePoint
	var at int64
	err := q.QueryRow(ctx, "SELECT batch_no, last_seq, root, at, signature, cert FROM msglog_pruned WHERE gateway = ?", c.gateway).
		Scan(&p.BatchNo, &p.LastSeq, &p.Root, &at, &p.Signature, &p.Cert)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("msglog: verify: read prune point: %w", err)
	}
	p.Gateway, p.At = c.gateway, time.UnixMicro(at)
	c.seq, c.prev, c.batchNo = p.LastSeq+1, p.Root, p.BatchNo+1
	c.rep.First, c.rep.Anchor = c.seq, c.prev
	cert, err := c.certificate(p.Cert)
	if err == nil {
		err = pki.VerifyIssued(c.ca, cert, p.At)
	}
	if err == nil {
		err = pki.Verify(cert, p.signedBytes(), p.Signature)
	}
	if err != nil {
		c.fail(c.seq, "the prune point (records up to %d were archived and deleted) does not verify: %v", p.LastSeq, err)
	}
	return nil
}

// startAtWindow finds the batches holding the records started in [from,
// to) and starts the walk at the first of them. It reports false when no
// record started in the window.
func (c *checker) startAtWindow(ctx context.Context, q store.Querier, from, to time.Time, endSeq *int64) (bool, error) {
	cond, args := "gateway = ?", []any{c.gateway}
	if !from.IsZero() {
		cond += " AND started >= ?"
		args = append(args, from.UnixMicro())
	}
	if !to.IsZero() {
		cond += " AND started < ?"
		args = append(args, to.UnixMicro())
	}
	var lo, hi sql.NullInt64
	if err := q.QueryRow(ctx, "SELECT MIN(seq), MAX(seq) FROM msglog_record WHERE "+cond, args...).Scan(&lo, &hi); err != nil {
		return false, fmt.Errorf("msglog: verify: find window: %w", err)
	}
	if !lo.Valid {
		return false, nil
	}
	first, err := batchWhere(ctx, q, "gateway = ? AND last_seq >= ? ORDER BY last_seq LIMIT 1", c.gateway, lo.Int64)
	if err != nil {
		return false, err
	}
	if first != nil && first.FirstSeq <= lo.Int64 {
		c.seq, c.prev, c.batchNo = first.FirstSeq, first.PrevRoot, first.No
		c.rep.First, c.rep.Anchor = c.seq, c.prev
	} else {
		// The window starts among records no batch covers: start after the
		// batch before them.
		before, err := batchWhere(ctx, q, "gateway = ? AND last_seq < ? ORDER BY last_seq DESC LIMIT 1", c.gateway, lo.Int64)
		if err != nil {
			return false, err
		}
		if before != nil {
			c.seq, c.prev, c.batchNo = before.LastSeq+1, before.Root, before.No+1
			c.rep.First, c.rep.Anchor = c.seq, c.prev
		} else if err := c.startAtPrunePoint(ctx, q); err != nil || !c.rep.OK {
			return true, err
		}
	}
	*endSeq = hi.Int64
	last, err := batchWhere(ctx, q, "gateway = ? AND first_seq <= ? AND last_seq >= ? ORDER BY batch_no LIMIT 1", c.gateway, hi.Int64, hi.Int64)
	if err != nil {
		return false, err
	}
	if last != nil {
		*endSeq = last.LastSeq
	}
	return true, nil
}

func batchWhere(ctx context.Context, q store.Querier, where string, args ...any) (*Batch, error) {
	b, err := scanBatch(q.QueryRow(ctx, "SELECT "+batchColumns+" FROM msglog_batch WHERE "+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("msglog: read batch: %w", err)
	}
	return &b, nil
}

// readRecords reads the page of records after seq after, up to end.
func readRecords(ctx context.Context, q store.Querier, gateway string, after, end int64) ([]Record, error) {
	rows, err := q.Query(ctx, "SELECT "+recordColumns+" FROM msglog_record WHERE gateway = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT "+strconv.Itoa(pageSize), gateway, after, end)
	if err != nil {
		return nil, fmt.Errorf("msglog: read records: %w", err)
	}
	defer rows.Close()
	out := make([]Record, 0, pageSize)
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("msglog: read records: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("msglog: read records: %w", err)
	}
	return out, nil
}

// readBatches reads the page of batches after batch number after, starting
// at or before seq end.
func readBatches(ctx context.Context, q store.Querier, gateway string, after, end int64) ([]Batch, error) {
	rows, err := q.Query(ctx, "SELECT "+batchColumns+" FROM msglog_batch WHERE gateway = ? AND batch_no > ? AND first_seq <= ? ORDER BY batch_no LIMIT "+strconv.Itoa(pageSize), gateway, after, end)
	if err != nil {
		return nil, fmt.Errorf("msglog: read batches: %w", err)
	}
	defer rows.Close()
	var out []Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, fmt.Errorf("msglog: read batches: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("msglog: read batches: %w", err)
	}
	return out, nil
}

// keyed is what a pager needs of its rows: the key the next page starts
// after.
type keyed interface{ key() int64 }

func (r Record) key() int64 { return r.Seq }
func (b Batch) key() int64  { return b.No }

// pager yields rows one at a time, fetching a page at a time, so that only
// one query is open at once (a transaction on PostgreSQL allows no more).
// A short page does not end it: on a live log, a batch read later may
// cover records committed after the last page was read.
type pager[T keyed] struct {
	fetch func(after int64) ([]T, error)
	after int64
	buf   []T
	i     int
}

func (p *pager[T]) next() (*T, error) {
	if p.i == len(p.buf) {
		buf, err := p.fetch(p.after)
		if err != nil {
			return nil, err
		}
		p.buf, p.i = buf, 0
		if len(buf) == 0 {
			return nil, nil
		}
		p.after = buf[len(buf)-1].key()
	}
	p.i++
	return &p.buf[p.i-1], nil
}

// checker walks records and batches in order and stops at the first fault.
type checker struct {
	gateway string
	ca      *x509.Certificate
	certs   map[string]*x509.Certificate
	rep     Report
	seq     int64  // the next record expected
	prev    string // the hash it must link to
	batchNo int64  // the next batch expected
}

func newChecker(gateway string, ca *x509.Certificate) *checker {
	return &checker{gateway: gateway, ca: ca, certs: map[string]*x509.Certificate{},
		rep: Report{OK: true, First: 1, Anchor: genesis, Head: genesis}, seq: 1, prev: genesis, batchNo: 1}
}

func (c *checker) fail(seq int64, format string, args ...any) {
	c.rep.OK, c.rep.BadSeq, c.rep.Reason = false, seq, fmt.Sprintf(format, args...)
}

// run checks each batch and the records it covers, then the records after
// the last batch; with sealedOnly, such records are a fault.
func (c *checker) run(records func() (*Record, error), batches func() (*Batch, error), sealedOnly bool) error {
	c.rep.Head = c.prev
	for {
		b, err := batches()
		if err != nil {
			return err
		}
		if b == nil {
			break
		}
		if !c.checkBatch(b) {
			return nil
		}
		for c.seq <= b.LastSeq {
			r, err := records()
			if err != nil {
				return err
			}
			if !c.checkRecord(r) {
				return nil
			}
		}
		if c.prev != b.Root {
			c.fail(b.FirstSeq, "records %d to %d do not match the signed root of batch %d: one of them was altered and the chain recomputed after it", b.FirstSeq, b.LastSeq, b.No)
			return nil
		}
		c.rep.Batches++
	}
	for {
		r, err := records()
		if err != nil {
			return err
		}
		if r == nil {
			break
		}
		if sealedOnly {
			c.fail(r.Seq, "record %d is not covered by any batch", r.Seq)
			return nil
		}
		if !c.checkRecord(r) {
			return nil
		}
		c.rep.Unsealed++
	}
	return nil
}

// checkRecord checks that r is the next record, links to the one before and
// is unaltered. A nil r is a missing record.
func (c *checker) checkRecord(r *Record) bool {
	switch {
	case r == nil || r.Seq > c.seq:
		c.fail(c.seq, "record %d is missing", c.seq)
		return false
	case r.Seq < c.seq:
		c.fail(r.Seq, "record %d appears again out of order", r.Seq)
		return false
	case r.PrevHash != c.prev:
		c.fail(r.Seq, "record %d does not link to record %d: a record before it was removed, replaced or reordered, or its link was altered", r.Seq, r.Seq-1)
		return false
	case recordHash(c.prev, r) != r.Hash:
		c.fail(r.Seq, "record %d was altered: its contents do not match its hash", r.Seq)
		return false
	}
	c.prev, c.rep.Head, c.rep.Last = r.Hash, r.Hash, r.Seq
	c.seq++
	c.rep.Records++
	return true
}

// checkBatch checks that b is the next batch, starts where the records
// stand and links to the batch before, and that its signature and timestamp
// verify.
func (c *checker) checkBatch(b *Batch) bool {
	switch {
	case b.No > c.batchNo:
		c.fail(c.seq, "batch %d is missing: record %d and those after it are not covered by a signed batch", c.batchNo, c.seq)
		return false
	case b.No < c.batchNo:
		c.fail(b.FirstSeq, "batch %d appears again out of order", b.No)
		return false
	case b.Gateway != c.gateway:
		c.fail(b.FirstSeq, "batch %d names gateway %q, not %q", b.No, b.Gateway, c.gateway)
		return false
	case b.FirstSeq > c.seq:
		c.fail(c.seq, "record %d is not covered by any batch: batch %d starts at record %d", c.seq, b.No, b.FirstSeq)
		return false
	case b.FirstSeq < c.seq || b.LastSeq < b.FirstSeq:
		c.fail(b.FirstSeq, "batch %d (records %d to %d) overlaps the batch before it", b.No, b.FirstSeq, b.LastSeq)
		return false
	case b.PrevRoot != c.prev:
		c.fail(b.FirstSeq, "batch %d does not link to the batch before it (its prev_root is not that batch's root)", b.No)
		return false
	}
	what := fmt.Sprintf("batch %d (records %d to %d)", b.No, b.FirstSeq, b.LastSeq)
	cert, err := c.certificate(b.Cert)
	if err != nil {
		c.fail(b.FirstSeq, "%s: gateway certificate: %v", what, err)
		return false
	}
	if err := pki.Verify(cert, b.SignedBytes(), b.Signature); err != nil {
		c.fail(b.FirstSeq, "%s: bad batch signature: %v", what, err)
		return false
	}
	at, err := pki.VerifyTimestamp(b.Timestamp, b.StampDigest(), c.ca)
	if err != nil {
		c.fail(b.FirstSeq, "%s: bad timestamp: %v", what, err)
		return false
	}
	if err := pki.VerifyIssued(c.ca, cert, at); err != nil {
		c.fail(b.FirstSeq, "%s: gateway certificate at the time of the timestamp: %v", what, err)
		return false
	}
	c.batchNo++
	return true
}

// certificate parses a PEM certificate once per walk.
func (c *checker) certificate(pemText string) (*x509.Certificate, error) {
	if cert, ok := c.certs[pemText]; ok {
		return cert, nil
	}
	cert, err := pki.DecodeCert([]byte(pemText))
	if err != nil {
		return nil, err
	}
	c.certs[pemText] = cert
	return cert, nil
}
