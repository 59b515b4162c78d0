// Package msglog is the message log of the data exchange: every request and
// response that passes a gateway is recorded, the records are hash-chained,
// and the chain is cut into batches that the gateway signs and the hub's
// timestamping authority stamps (as X-Road's security servers do). Verify
// proves a stored log complete and untampered and names the first bad
// record; Archive writes a day of it to a zip that VerifyArchive checks
// offline.
//
// Appends are group-committed: many concurrent Appends share one
// transaction, and each returns only once its record is committed, so a
// gateway can hold back the end of a response until its record is durable.
package msglog

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the message log's tables; run them with
// db.Migrate(ctx, "msglog", msglog.Migrations()) before Open.
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// The sides of an exchange a gateway can log.
const (
	SideClient   = "client"   // the gateway of the member that asks
	SideProvider = "provider" // the gateway of the member that serves
)

// ErrClosed is returned by Append once the log is closed or stopped.
var ErrClosed = errors.New("msglog: log is closed")

// genesis is the previous hash of the first record and the previous root of
// the first batch.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Record is one logged request and its response, as one gateway saw it.
type Record struct {
	// Seq is the record's place in its gateway's chain, assigned by Append.
	Seq int64 `json:"seq"`
	// Gateway is the logging gateway, set by Append.
	Gateway string `json:"gateway"`
	// Side is SideClient or SideProvider.
	Side             string `json:"side"`
	MessageID        string `json:"message_id"` // X-Road-Id
	RequestID        string `json:"request_id"`
	Client           string `json:"client"`
	Service          string `json:"service"`
	UserID           string `json:"user_id"`
	Issue            string `json:"issue"`
	RepresentedParty string `json:"represented_party"`
	Method           string `json:"method"`
	// Path is the escaped request path with its query.
	Path      string `json:"path"`
	Status    int    `json:"status"`
	ErrorType string `json:"error_type"`
	// RequestHash is the X-Road-Request-Hash the exchange agreed on.
	RequestHash         string `json:"request_hash"`
	RequestBodyHash     string `json:"request_body_hash"`
	ResponseHeadersHash string `json:"response_headers_hash"`
	ResponseBodyHash    string `json:"response_body_hash"`
	// RequestBody and ResponseBody are kept only for services that ask for
	// their bodies to be logged.
	RequestBody  []byte    `json:"request_body,omitempty"`
	ResponseBody []byte    `json:"response_body,omitempty"`
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished"`
	// PrevHash and Hash link the record into the chain, assigned by Append.
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// Timestamper timestamps a digest; the hub's timestamping service in
// production.
type Timestamper interface {
	Stamp(ctx context.Context, digest []byte) (pki.Timestamp, error)
}

// TSAStamper adapts an in-process authority to Timestamper.
type TSAStamper struct{ *pki.TSA }

// Stamp timestamps digest.
func (s TSAStamper) Stamp(_ context.Context, digest []byte) (pki.Timestamp, error) {
	return s.TSA.Stamp(digest)
}

// Options tune a Log; zero values take the defaults.
type Options struct {
	// BatchInterval is how often committed records are sealed (default 1s).
	BatchInterval time.Duration
	// BatchMax is the most records in one batch, and the backlog that
	// triggers sealing before the interval is up (default 1000).
	BatchMax int
	// CommitWindow is how long the writer waits for more records before
	// committing a group. Default 0: records that arrive while a commit is
	// in progress form the next group anyway, and waiting only adds latency.
	CommitWindow time.Duration
	// Retention is how many days records are kept in the database; older
	// days are archived to ArchiveDir and deleted. 0 keeps everything.
	Retention int
	// ArchiveDir receives daily archives, ArchiveDir/<gateway>/<day>.zip.
	ArchiveDir string
	// CA, when set, is the exchange CA: Prune verifies each archive against
	// it before deleting what the archive holds.
	CA *x509.Certificate
	// Logger receives sealing and pruning failures.
	Logger *slog.Logger
}

// Log is one gateway's message log.
type Log struct {
	db      *store.DB
	gateway string
	key     crypto.Signer
	cert    *x509.Certificate
	certPEM string
	ts      Timestamper
	opts    Options
	log     *slog.Logger

	queue      chan *pending
	mu         sync.RWMutex // held shared while sending on queue, exclusively to close it
	closed     bool
	started    bool
	writerDone chan struct{}
	kick       chan struct{}
	stop       chan struct{}      // closed by Close: the sealer stops between passes
	stopPrune  context.CancelFunc // the pruner stops at once: its work is transactional
	sealerDone chan struct{}
	closeOnce  sync.Once

	// The chain head; owned by the writer goroutine once started.
	headSeq  int64
	headHash []byte
	// shared is set once another writer for the gateway shows itself; the
	// head is then read inside each commit, under the PostgreSQL advisory
	// lock lockKey.
	shared  bool
	lockKey int64

	committed atomic.Int64 // last committed seq
	sealed    atomic.Int64 // last sealed seq
	sealMu    sync.Mutex   // one sealing pass at a time
	pruneMu   sync.Mutex   // one pruning pass at a time
	sealErr   atomic.Pointer[string]
}

type pending struct {
	rec  Record
	done chan error
}

// Open returns the log of gateway in db, resuming its chain from the last
// stored record. key signs the batches; cert is key's certificate, issued by
// the exchange CA, and is stored with each batch so that the log can be
// verified without the gateway. Call Start to run it.
func Open(db *store.DB, gateway string, key crypto.Signer, cert *x509.Certificate, ts Timestamper, opts Options) (*Log, error) {
	if gateway == "" || key == nil || cert == nil || ts == nil {
		return nil, errors.New("msglog: open: gateway, key, certificate and timestamper are required")
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(cert.PublicKey) {
		return nil, errors.New("msglog: open: the key does not match the certificate")
	}
	if opts.BatchInterval <= 0 {
		opts.BatchInterval = time.Second
	}
	if opts.BatchMax <= 0 {
		opts.BatchMax = 1000
	}
	if opts.Retention < 0 {
		opts.Retention = 0
	}
	if opts.Retention > 0 && opts.ArchiveDir == "" {
		return nil, errors.New("msglog: open: retention needs an archive directory: records are only deleted once archived")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	l := &Log{
		db: db, gateway: gateway, key: key, cert: cert, certPEM: string(pki.EncodeCert(cert)), ts: ts, opts: opts, log: opts.Logger,
		queue:      make(chan *pending, 4*opts.BatchMax),
		writerDone: make(chan struct{}),
		kick:       make(chan struct{}, 1),
		sealerDone: make(chan struct{}),
		stop:       make(chan struct{}),
	}
	h := fnv.New64a()
	h.Write([]byte("vngov-msglog|" + gateway))
	l.lockKey = int64(h.Sum64())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.loadHead(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// Gateway is the gateway whose log this is.
func (l *Log) Gateway() string { return l.gateway }

// loadHead sets the in-memory head from the store.
func (l *Log) loadHead(ctx context.Context) error {
	seq, hash, sealed, err := readHead(ctx, l.db, l.gateway)
	if err != nil {
		return err
	}
	l.headSeq, l.headHash = seq, hash
	l.committed.Store(seq)
	l.sealed.Store(sealed)
	return nil
}

// readHead finds where the chain stands: the last record, or the last
// sealed batch or prune point if they reach further (the records after them
// were lost; the chain resumes from the signed root, and Verify reports the
// missing records). It also returns the last sealed seq.
func readHead(ctx context.Context, q store.Querier, gateway string) (int64, []byte, int64, error) {
	seq, hash := int64(0), genesis
	err := q.QueryRow(ctx, "SELECT seq, hash FROM msglog_record WHERE gateway = ? ORDER BY seq DESC LIMIT 1", gateway).Scan(&seq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, 0, fmt.Errorf("msglog: read chain head: %w", err)
	}
	sealed, err := lastSealed(ctx, q, gateway)
	if err != nil {
		return 0, nil, 0, err
	}
	if sealed.LastSeq > seq {
		seq, hash = sealed.LastSeq, sealed.Root
	}
	h, err := hex.DecodeString(hash)
	if err != nil || len(h) != sha256.Size {
		return 0, nil, 0, fmt.Errorf("msglog: chain head %d has a malformed hash %q", seq, hash)
	}
	return seq, h, sealed.LastSeq, nil
}

// Start runs the writer, which commits appended records, the sealer, which
// batches, signs and timestamps them, and, with Retention, the pruner.
// Cancelling ctx stops them at once without flushing, as a crash would;
// Close stops them in order.
func (l *Log) Start(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started || l.closed {
		return
	}
	l.started = true
	pctx, cancel := context.WithCancel(ctx)
	l.stopPrune = cancel
	go l.write(ctx)
	var wg sync.WaitGroup
	// A pass cut short by cancellation could leave a batch whose insert
	// lands after Close's final pass has read the head; so Close asks the
	// sealer to stop between passes instead.
	wg.Go(func() { l.sealLoop(ctx) })
	if l.opts.Retention > 0 {
		wg.Go(func() { l.pruneLoop(pctx) })
	}
	go func() {
		wg.Wait()
		close(l.sealerDone)
	}()
}

// Append records rec and returns once it is committed. Many Appends run
// concurrently and are committed together. If ctx ends first, Append
// returns its error and the record may or may not be committed.
func (l *Log) Append(ctx context.Context, rec Record) error {
	if rec.Side != SideClient && rec.Side != SideProvider {
		return fmt.Errorf("msglog: append: side %q is neither %q nor %q", rec.Side, SideClient, SideProvider)
	}
	p := &pending{rec: rec, done: make(chan error, 1)}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return ErrClosed
	}
	select {
	case l.queue <- p:
	case <-l.writerDone:
		l.mu.RUnlock()
		return ErrClosed
	case <-ctx.Done():
		l.mu.RUnlock()
		return fmt.Errorf("msglog: append: %w", ctx.Err())
	}
	l.mu.RUnlock()
	select {
	case err := <-p.done:
		return err
	case <-l.writerDone:
		// The writer answers what it took before it stops.
		select {
		case err := <-p.done:
			return err
		default:
			return ErrClosed
		}
	case <-ctx.Done():
		return fmt.Errorf("msglog: append: %w", ctx.Err())
	}
}

// Close commits what is queued, seals what is committed (giving the
// timestamper a few seconds), and stops the log.
func (l *Log) Close() error {
	var err error
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		started := l.started
		l.mu.Unlock()
		close(l.queue)
		if !started {
			close(l.writerDone)
			return
		}
		<-l.writerDone
		close(l.stop)
		l.stopPrune()
		<-l.sealerDone
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = l.Seal(ctx)
	})
	return err
}

// Stats is a snapshot of a log's progress, for metrics and readiness.
type Stats struct {
	Committed int64  // last committed seq
	Sealed    int64  // last sealed seq
	SealError string // the last sealing failure, "" once sealing works again
}

// Stats reports the log's progress.
func (l *Log) Stats() Stats {
	s := Stats{Committed: l.committed.Load(), Sealed: l.sealed.Load()}
	if e := l.sealErr.Load(); e != nil {
		s.SealError = *e
	}
	return s
}

// write is the writer goroutine: it takes everything queued, commits it in
// one transaction and answers the callers.
func (l *Log) write(ctx context.Context) {
	defer close(l.writerDone)
	group := make([]*pending, 0, l.opts.BatchMax)
	for {
		group = group[:0]
		select {
		case p, ok := <-l.queue:
			if !ok {
				return
			}
			group = append(group, p)
		case <-ctx.Done():
			return
		}
		open := l.gather(ctx, &group)
		err := l.commit(ctx, group)
		for _, p := range group {
			p.done <- err
		}
		if !open {
			return
		}
	}
}

// gather adds queued records to group, up to BatchMax, waiting at most
// CommitWindow for more. It reports false once the queue is closed.
func (l *Log) gather(ctx context.Context, group *[]*pending) bool {
	var window <-chan time.Time
	if l.opts.CommitWindow > 0 {
		t := time.NewTimer(l.opts.CommitWindow)
		defer t.Stop()
		window = t.C
	}
	for len(*group) < l.opts.BatchMax {
		select {
		case p, ok := <-l.queue:
			if !ok {
				return false
			}
			*group = append(*group, p)
			continue
		default:
		}
		if window == nil {
			return true
		}
		select {
		case p, ok := <-l.queue:
			if !ok {
				return false
			}
			*group = append(*group, p)
		case <-window:
			return true
		case <-ctx.Done():
			return true
		}
	}
	return true
}

// commit chains group onto the head and inserts it in one transaction.
func (l *Log) commit(ctx context.Context, group []*pending) error {
	recs := make([]Record, len(group))
	now := time.Now()
	for i, p := range group {
		r := p.rec
		r.Gateway = l.gateway
		if r.Started.IsZero() {
			r.Started = now
		}
		if r.Finished.IsZero() {
			r.Finished = now
		}
		recs[i] = r
	}
	var buf []byte
	for attempt := 0; ; attempt++ {
		var seq int64
		var prev []byte
		err := l.db.Tx(ctx, func(tx *store.Tx) error {
			seq, prev = l.headSeq, l.headHash
			if l.shared {
				// Take turns with the other writer (SQLite's write lock does
				// this by itself) and read the head it left.
				if tx.Dialect() == store.Postgres {
					if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(?)", l.lockKey); err != nil {
						return err
					}
				}
				var err error
				if seq, prev, _, err = readHead(ctx, tx, l.gateway); err != nil {
					return err
				}
			}
			for i := range recs {
				seq++
				recs[i].Seq = seq
				recs[i].PrevHash = hex.EncodeToString(prev)
				buf = appendCanonical(buf[:0], &recs[i])
				prev = chainHash(prev, buf)
				recs[i].Hash = hex.EncodeToString(prev)
			}
			return insertRecords(ctx, tx, recs)
		})
		if err == nil {
			l.headSeq, l.headHash = seq, prev
			l.committed.Store(seq)
			if seq-l.sealed.Load() >= int64(l.opts.BatchMax) {
				select {
				case l.kick <- struct{}{}:
				default:
				}
			}
			return nil
		}
		// Another writer for this gateway (a second node, or a process that
		// has not quite died) moved the head; the primary key kept the chain
		// from forking. From now on read the head in each transaction rather
		// than trust the one held here. (Every commit could do so, but on
		// PostgreSQL the lock costs a round trip, about a fifth of an
		// Append, for a case that is a misconfiguration.)
		if store.IsUniqueViolation(err) && attempt < 10 {
			if !l.shared {
				l.log.Warn("msglog: another writer is appending to this gateway's log; reading the chain head in each commit", "gateway", l.gateway)
			}
			l.shared = true
			continue
		}
		return fmt.Errorf("msglog: append: %w", err)
	}
}

// chainHash is SHA-256(prev || canonical record).
func chainHash(prev, canonical []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(canonical)
	return h.Sum(nil)
}

// recordHash is the chain hash of r after the hex hash prev, or nil when prev
// is not a hash.
func recordHash(prev string, r *Record) string {
	p, err := hex.DecodeString(prev)
	if err != nil || len(p) != sha256.Size {
		return ""
	}
	return hex.EncodeToString(chainHash(p, appendCanonical(nil, r)))
}

// appendCanonical encodes every hashed field of r in a fixed order, strings
// and bytes length-prefixed, so that no two different records encode alike.
func appendCanonical(b []byte, r *Record) []byte {
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	num := func(n int64) { b = binary.BigEndian.AppendUint64(b, uint64(n)) }
	str("vngov-msglog-record-v1")
	str(r.Gateway)
	num(r.Seq)
	str(r.Side)
	str(r.MessageID)
	str(r.RequestID)
	str(r.Client)
	str(r.Service)
	str(r.UserID)
	str(r.Issue)
	str(r.RepresentedParty)
	str(r.Method)
	str(r.Path)
	num(int64(r.Status))
	str(r.ErrorType)
	str(r.RequestHash)
	str(r.RequestBodyHash)
	str(r.ResponseHeadersHash)
	str(r.ResponseBodyHash)
	str(string(r.RequestBody))
	str(string(r.ResponseBody))
	num(r.Started.UnixMicro())
	num(r.Finished.UnixMicro())
	return b
}

const recordColumns = "gateway, seq, side, message_id, request_id, client, service, user_id, issue, represented_party, method, path, status, error_type, request_hash, request_body_hash, response_headers_hash, response_body_hash, request_body, response_body, started, finished, prev_hash, hash"

const recordArity = 24

// maxChunk is the most rows per INSERT statement. Chunks are powers of two
// so that only a few statement texts exist (the store caches each text it
// rewrites for PostgreSQL), and 256 rows stay far below both engines'
// parameter limits.
const maxChunk = 256

var insertSQL = func() []string {
	var out []string
	row := "(?" + strings.Repeat(", ?", recordArity-1) + ")"
	for n := 1; n <= maxChunk; n *= 2 {
		out = append(out, "INSERT INTO msglog_record ("+recordColumns+") VALUES "+row+strings.Repeat(", "+row, n-1))
	}
	return out
}()

func insertRecords(ctx context.Context, tx *store.Tx, recs []Record) error {
	args := make([]any, 0, recordArity*min(len(recs), maxChunk))
	for len(recs) > 0 {
		k := bits.Len(uint(min(len(recs), maxChunk))) - 1
		n := 1 << k
		args = args[:0]
		for i := range recs[:n] {
			r := &recs[i]
			args = append(args, r.Gateway, r.Seq, r.Side, r.MessageID, r.RequestID, r.Client, r.Service, r.UserID, r.Issue, r.RepresentedParty,
				r.Method, r.Path, r.Status, r.ErrorType, r.RequestHash, r.RequestBodyHash, r.ResponseHeadersHash, r.ResponseBodyHash,
				nullBytes(r.RequestBody), nullBytes(r.ResponseBody), r.Started.UnixMicro(), r.Finished.UnixMicro(), r.PrevHash, r.Hash)
		}
		if _, err := tx.Exec(ctx, insertSQL[k], args...); err != nil {
			return err
		}
		recs = recs[n:]
	}
	return nil
}

// nullBytes stores an absent body as NULL rather than an empty value.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// scanRecord reads a row selected with recordColumns.
func scanRecord(rows *sql.Rows) (Record, error) {
	var r Record
	var started, finished int64
	err := rows.Scan(&r.Gateway, &r.Seq, &r.Side, &r.MessageID, &r.RequestID, &r.Client, &r.Service, &r.UserID, &r.Issue, &r.RepresentedParty,
		&r.Method, &r.Path, &r.Status, &r.ErrorType, &r.RequestHash, &r.RequestBodyHash, &r.ResponseHeadersHash, &r.ResponseBodyHash,
		&r.RequestBody, &r.ResponseBody, &started, &finished, &r.PrevHash, &r.Hash)
	r.Started, r.Finished = time.UnixMicro(started), time.UnixMicro(finished)
	return r, err
}
