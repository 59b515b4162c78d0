package msglog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/store"
)

// Batch seals a run of consecutive records: its root is the chain hash of
// its last record, it links to the batch before by prev_root, the gateway
// signs it, and the timestamping authority stamps root and signature.
type Batch struct {
	Gateway  string `json:"gateway"`
	No       int64  `json:"batch_no"`
	FirstSeq int64  `json:"first_seq"`
	LastSeq  int64  `json:"last_seq"`
	PrevRoot string `json:"prev_root"`
	Root     string `json:"root"`
	// At is the latest start time of the batch's records (never earlier than
	// the batch before's); it places the batch in a day for archiving.
	At        time.Time     `json:"at"`
	Signature []byte        `json:"signature"`
	Cert      string        `json:"cert"` // the gateway's certificate, PEM
	Timestamp pki.Timestamp `json:"timestamp"`
}

// SignedBytes is what the gateway signs for b.
func (b *Batch) SignedBytes() []byte {
	return []byte("vngov-msglog-v1|" + b.Gateway + "|" + strconv.FormatInt(b.No, 10) + "|" + strconv.FormatInt(b.FirstSeq, 10) + "|" +
		strconv.FormatInt(b.LastSeq, 10) + "|" + b.PrevRoot + "|" + b.Root)
}

// StampDigest is what the timestamping authority stamps for b:
// SHA-256(root || signature), root as its 32 bytes.
func (b *Batch) StampDigest() []byte {
	root, _ := hex.DecodeString(b.Root)
	h := sha256.New()
	h.Write(root)
	h.Write(b.Signature)
	return h.Sum(nil)
}

const batchColumns = "gateway, batch_no, first_seq, last_seq, prev_root, root, at, signature, cert, tsa_token"

func scanBatch(rows interface{ Scan(...any) error }) (Batch, error) {
	var b Batch
	var at int64
	var tok string
	if err := rows.Scan(&b.Gateway, &b.No, &b.FirstSeq, &b.LastSeq, &b.PrevRoot, &b.Root, &at, &b.Signature, &b.Cert, &tok); err != nil {
		return b, err
	}
	b.At = time.UnixMicro(at)
	var err error
	if b.Timestamp, err = pki.UnmarshalTimestamp([]byte(tok)); err != nil {
		// Left empty, it fails verification, which names the batch.
		b.Timestamp = pki.Timestamp{}
	}
	return b, nil
}

// sealPoint is where sealing stands: the last batch, or the prune point when
// every batch has been pruned, or the start.
type sealPoint struct {
	No, LastSeq int64
	Root        string
	At          time.Time
}

func lastSealed(ctx context.Context, q store.Querier, gateway string) (sealPoint, error) {
	p := sealPoint{Root: genesis}
	var at int64
	err := q.QueryRow(ctx, "SELECT batch_no, last_seq, root, at FROM msglog_batch WHERE gateway = ? ORDER BY batch_no DESC LIMIT 1", gateway).Scan(&p.No, &p.LastSeq, &p.Root, &at)
	if errors.Is(err, sql.ErrNoRows) {
		err = q.QueryRow(ctx, "SELECT batch_no, last_seq, root, at FROM msglog_pruned WHERE gateway = ?", gateway).Scan(&p.No, &p.LastSeq, &p.Root, &at)
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("msglog: read last batch: %w", err)
	}
	if at != 0 {
		p.At = time.UnixMicro(at)
	}
	return p, nil
}

// errSealConflict means another sealer stored the batch first; the next
// pass starts after it.
var errSealConflict = errors.New("msglog: seal: another sealer stored the batch first")

// sealLoop is the sealer goroutine.
func (l *Log) sealLoop(ctx context.Context) {
	tick := time.NewTicker(l.opts.BatchInterval)
	defer tick.Stop()
	for {
		fullOnly := false
		select {
		case <-ctx.Done():
			return
		case <-l.stop:
			return
		case <-tick.C:
		case <-l.kick:
			fullOnly = true
		}
		l.reportSeal(l.seal(ctx, fullOnly, l.stop))
	}
}

// pruneLoop prunes hourly, starting a minute after Start (not while the
// gateway starts up), apart from the sealer because archiving a busy day
// takes a while.
func (l *Log) pruneLoop(ctx context.Context) {
	wait := time.Minute
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if err := l.Prune(ctx, time.Now()); err != nil && ctx.Err() == nil {
			l.log.Error("msglog: prune failed", "gateway", l.gateway, "err", err)
		}
		wait = time.Hour
	}
}

// reportSeal logs a sealing failure when it first happens or changes, not
// once a second while the timestamper is down.
func (l *Log) reportSeal(err error) {
	prev := l.sealErr.Load()
	if err == nil {
		if prev != nil {
			l.sealErr.Store(nil)
			l.log.Info("msglog: sealing works again", "gateway", l.gateway, "sealed", l.sealed.Load())
		}
		return
	}
	msg := err.Error()
	if prev == nil || *prev != msg {
		l.log.Warn("msglog: seal failed; records stay committed and unsealed until it works", "gateway", l.gateway, "err", err)
	}
	l.sealErr.Store(&msg)
}

// Seal seals every committed record that no batch covers yet, in batches of
// at most BatchMax. The sealer calls it every BatchInterval; call it to seal
// at once.
func (l *Log) Seal(ctx context.Context) error { return l.seal(ctx, false, nil) }

// seal seals batches until the records run out or stop is closed; with
// fullOnly, only batches of BatchMax records (the backlog trigger leaves the
// rest for the timer).
func (l *Log) seal(ctx context.Context, fullOnly bool, stop <-chan struct{}) error {
	l.sealMu.Lock()
	defer l.sealMu.Unlock()
	for conflicts := 0; ; {
		select {
		case <-stop:
			return nil
		default:
		}
		n, err := l.sealOne(ctx, fullOnly)
		if errors.Is(err, errSealConflict) && conflicts < 3 {
			conflicts++
			continue
		}
		if err != nil || n < l.opts.BatchMax {
			return err
		}
	}
}

// sealOne makes, signs, timestamps and stores the next batch, and returns
// how many records it covers.
func (l *Log) sealOne(ctx context.Context, fullOnly bool) (int, error) {
	prev, err := lastSealed(ctx, l.db, l.gateway)
	if err != nil {
		return 0, err
	}
	rows, err := l.db.Query(ctx, "SELECT seq, prev_hash, hash, started FROM msglog_record WHERE gateway = ? AND seq > ? ORDER BY seq LIMIT ?", l.gateway, prev.LastSeq, l.opts.BatchMax)
	if err != nil {
		return 0, fmt.Errorf("msglog: seal: read records: %w", err)
	}
	defer rows.Close()
	b := Batch{Gateway: l.gateway, No: prev.No + 1, FirstSeq: prev.LastSeq + 1, PrevRoot: prev.Root, At: prev.At}
	n, link := 0, prev.Root
	for rows.Next() {
		var seq, started int64
		var prevHash, hash string
		if err := rows.Scan(&seq, &prevHash, &hash, &started); err != nil {
			return 0, fmt.Errorf("msglog: seal: read records: %w", err)
		}
		// Signing a broken chain would vouch for it; leave it for Verify to
		// name instead.
		if seq != b.FirstSeq+int64(n) || prevHash != link {
			return 0, fmt.Errorf("msglog: seal: record %d does not follow record %d in the chain; not sealing (run log verify)", b.FirstSeq+int64(n), b.FirstSeq+int64(n)-1)
		}
		if t := time.UnixMicro(started); t.After(b.At) {
			b.At = t
		}
		link = hash
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("msglog: seal: read records: %w", err)
	}
	rows.Close()
	if n == 0 || fullOnly && n < l.opts.BatchMax {
		return 0, nil
	}
	b.LastSeq, b.Root, b.Cert = b.FirstSeq+int64(n)-1, link, l.certPEM
	if b.Signature, err = pki.Sign(l.key, b.SignedBytes()); err != nil {
		return 0, fmt.Errorf("msglog: seal: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	b.Timestamp, err = l.ts.Stamp(sctx, b.StampDigest())
	cancel()
	if err != nil {
		return 0, fmt.Errorf("msglog: seal: timestamp batch %d: %w", b.No, err)
	}
	if !bytes.Equal(b.Timestamp.Digest, b.StampDigest()) {
		return 0, fmt.Errorf("msglog: seal: the timestamper stamped another digest for batch %d", b.No)
	}
	tok, err := pki.MarshalTimestamp(b.Timestamp)
	if err != nil {
		return 0, fmt.Errorf("msglog: seal: %w", err)
	}
	_, err = l.db.Exec(ctx, "INSERT INTO msglog_batch ("+batchColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		b.Gateway, b.No, b.FirstSeq, b.LastSeq, b.PrevRoot, b.Root, b.At.UnixMicro(), b.Signature, b.Cert, string(tok))
	if store.IsUniqueViolation(err) {
		return 0, errSealConflict
	}
	if err != nil {
		return 0, fmt.Errorf("msglog: seal: store batch %d: %w", b.No, err)
	}
	l.sealed.Store(b.LastSeq)
	return n, nil
}
