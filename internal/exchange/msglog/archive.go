package msglog

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/store"
)

// ict is Vietnam's time zone; archives hold days in it.
var ict = time.FixedZone("ICT", 7*3600)

// dayStart is the start of t's day in UTC+7.
func dayStart(t time.Time) time.Time {
	y, m, d := t.In(ict).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, ict)
}

const archiveFormat = "vngov-msglog-archive-v1"

// manifest says what an archive holds; the gateway signs it, so an archive
// cut short is caught.
type manifest struct {
	Format     string    `json:"format"`
	Gateway    string    `json:"gateway"`
	Day        string    `json:"day"`
	FirstBatch int64     `json:"first_batch"`
	LastBatch  int64     `json:"last_batch"`
	FirstSeq   int64     `json:"first_seq"`
	LastSeq    int64     `json:"last_seq"`
	Batches    int       `json:"batches"`
	Records    int       `json:"records"`
	PrevRoot   string    `json:"prev_root"`
	Root       string    `json:"root"`
	Created    time.Time `json:"created"`
	Cert       string    `json:"cert"`
	Signature  []byte    `json:"signature"`
}

func (m *manifest) signedBytes() []byte {
	return fmt.Appendf(nil, "%s|%s|%s|%d|%d|%d|%d|%d|%d|%s|%s|%d", m.Format, m.Gateway, m.Day, m.FirstBatch, m.LastBatch,
		m.FirstSeq, m.LastSeq, m.Batches, m.Records, m.PrevRoot, m.Root, m.Created.UnixMicro())
}

const archiveReadme = `vngov message log archive

Gateway: %s
Day:     %s (UTC+7)
Holds batches %d to %d, records %d to %d (%d batches, %d records).

records.jsonl  One logged request and response per line, in seq order.
               Each record's hash is SHA-256 of the previous record's hash
               (32 bytes) and a length-prefixed encoding of its fields.
batches.jsonl  One batch per line: the records it covers, its root (the
               hash of its last record), the previous batch's root, the
               gateway's signature over
               "vngov-msglog-v1|gateway|batch_no|first_seq|last_seq|prev_root|root",
               the gateway's certificate (PEM), and a timestamp from the
               hub's timestamping authority over SHA-256(root || signature).
manifest.json  What this archive holds, signed by the gateway.

Check it, with no database, with "vngov exchange log verify" given this file
and the exchange CA certificate. The first batch's prev_root is the root of
the last batch of the archive of the day before: compare them to check that
no batch fell between two archives.
`

// Archive writes the batches of day (a UTC+7 day: the batches whose newest
// record started that day) and their records to w as a zip that
// VerifyArchive checks offline. Records not yet sealed are left for a later
// archive.
func (l *Log) Archive(ctx context.Context, day time.Time, w io.Writer) error {
	_, err := l.archive(ctx, day, w)
	return err
}

func (l *Log) archive(ctx context.Context, day time.Time, w io.Writer) (*manifest, error) {
	start := dayStart(day)
	end := start.AddDate(0, 0, 1)
	m := &manifest{Format: archiveFormat, Gateway: l.gateway, Day: start.Format(time.DateOnly), Cert: l.certPEM}
	zw := zip.NewWriter(w)

	bw, err := zw.Create("batches.jsonl")
	if err != nil {
		return nil, fmt.Errorf("msglog: archive: %w", err)
	}
	benc := json.NewEncoder(bw)
	for after := int64(0); ; {
		rows, err := l.db.Query(ctx, "SELECT "+batchColumns+" FROM msglog_batch WHERE gateway = ? AND at >= ? AND at < ? AND batch_no > ? ORDER BY batch_no LIMIT "+strconv.Itoa(pageSize),
			l.gateway, start.UnixMicro(), end.UnixMicro(), after)
		if err != nil {
			return nil, fmt.Errorf("msglog: archive: read batches: %w", err)
		}
		n := 0
		for rows.Next() {
			b, err := scanBatch(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("msglog: archive: read batches: %w", err)
			}
			if m.Batches == 0 {
				m.FirstBatch, m.FirstSeq, m.PrevRoot = b.No, b.FirstSeq, b.PrevRoot
			}
			m.Batches++
			m.LastBatch, m.LastSeq, m.Root = b.No, b.LastSeq, b.Root
			if err := benc.Encode(b); err != nil {
				rows.Close()
				return nil, fmt.Errorf("msglog: archive: %w", err)
			}
			after = b.No
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("msglog: archive: read batches: %w", err)
		}
		if n < pageSize {
			break
		}
	}

	rw, err := zw.Create("records.jsonl")
	if err != nil {
		return nil, fmt.Errorf("msglog: archive: %w", err)
	}
	renc := json.NewEncoder(rw)
	for after := m.FirstSeq - 1; m.Batches > 0; {
		recs, err := readRecords(ctx, l.db, l.gateway, after, m.LastSeq)
		if err != nil {
			return nil, fmt.Errorf("msglog: archive: %w", err)
		}
		for i := range recs {
			if err := renc.Encode(&recs[i]); err != nil {
				return nil, fmt.Errorf("msglog: archive: %w", err)
			}
		}
		m.Records += len(recs)
		if len(recs) < pageSize {
			break
		}
		after = recs[len(recs)-1].Seq
	}

	m.Created = time.UnixMicro(time.Now().UnixMicro()).UTC()
	if m.Signature, err = pki.Sign(l.key, m.signedBytes()); err != nil {
		return nil, fmt.Errorf("msglog: archive: %w", err)
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("msglog: archive: %w", err)
	}
	for name, body := range map[string][]byte{
		"manifest.json": mb,
		"README.txt":    fmt.Appendf(nil, archiveReadme, m.Gateway, m.Day, m.FirstBatch, m.LastBatch, m.FirstSeq, m.LastSeq, m.Batches, m.Records),
	} {
		f, err := zw.Create(name)
		if err == nil {
			_, err = f.Write(body)
		}
		if err != nil {
			return nil, fmt.Errorf("msglog: archive: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("msglog: archive: %w", err)
	}
	return m, nil
}

// damaged marks an archive that cannot be read as written.
type damaged struct{ err error }

func (d damaged) Error() string { return d.err.Error() }

// VerifyArchive checks an archive written by Archive with no database: the
// manifest's signature, every batch's signature and timestamp against ca,
// and every record's hash and link, from the first batch's signed prev_root
// to the last batch's root. Anchor and Head in the report chain archives of
// consecutive days.
func VerifyArchive(r io.ReaderAt, size int64, ca *x509.Certificate) (Report, error) {
	if ca == nil {
		return Report{}, errors.New("msglog: verify archive: no CA certificate")
	}
	bad := func(reason string, args ...any) (Report, error) {
		return Report{Reason: fmt.Sprintf(reason, args...)}, nil
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return bad("not a message log archive: %v", err)
	}
	m, err := readManifest(zr)
	if err != nil {
		return bad("%v", err)
	}
	c := newChecker(m.Gateway, ca)
	c.seq, c.prev, c.batchNo = m.FirstSeq, m.PrevRoot, m.FirstBatch
	if m.Batches == 0 {
		c.seq, c.prev, c.batchNo = 1, genesis, 1
	}
	c.rep.First, c.rep.Anchor, c.rep.Head = c.seq, c.prev, c.prev
	cert, err := c.certificate(m.Cert)
	if err == nil {
		err = pki.VerifyIssued(ca, cert, m.Created)
	}
	if err == nil {
		err = pki.Verify(cert, m.signedBytes(), m.Signature)
	}
	if err != nil {
		c.fail(m.FirstSeq, "the archive's manifest does not verify: %v", err)
		return c.rep, nil
	}

	bf, err := zr.Open("batches.jsonl")
	if err != nil {
		return bad("archive has no batches.jsonl: %v", err)
	}
	defer bf.Close()
	rf, err := zr.Open("records.jsonl")
	if err != nil {
		return bad("archive has no records.jsonl: %v", err)
	}
	defer rf.Close()
	bdec, rdec := json.NewDecoder(bufio.NewReader(bf)), json.NewDecoder(bufio.NewReader(rf))
	records := func() (*Record, error) {
		var rec Record
		if err := rdec.Decode(&rec); err == io.EOF {
			return nil, nil
		} else if err != nil {
			return nil, damaged{fmt.Errorf("records.jsonl: %w", err)}
		}
		return &rec, nil
	}
	batches := func() (*Batch, error) {
		var b Batch
		if err := bdec.Decode(&b); err == io.EOF {
			return nil, nil
		} else if err != nil {
			return nil, damaged{fmt.Errorf("batches.jsonl: %w", err)}
		}
		return &b, nil
	}
	if err := c.run(records, batches, true); err != nil {
		var d damaged
		if !errors.As(err, &d) {
			return c.rep, fmt.Errorf("msglog: verify archive: %w", err)
		}
		c.fail(c.seq, "the archive is damaged at record %d: %v", c.seq, d.err)
		return c.rep, nil
	}
	if c.rep.OK && (c.rep.Batches != m.Batches || c.rep.Records != m.Records || (m.Batches > 0 && c.rep.Head != m.Root)) {
		c.fail(c.seq, "the archive ends early: its manifest lists batches %d to %d and records %d to %d, but it holds %d batches and %d records",
			m.FirstBatch, m.LastBatch, m.FirstSeq, m.LastSeq, c.rep.Batches, c.rep.Records)
	}
	return c.rep, nil
}

func readManifest(zr *zip.Reader) (*manifest, error) {
	f, err := zr.Open("manifest.json")
	if err != nil {
		return nil, fmt.Errorf("archive has no manifest.json: %w", err)
	}
	defer f.Close()
	var m manifest
	if err := json.NewDecoder(f).Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if m.Format != archiveFormat {
		return nil, fmt.Errorf("manifest.json: format %q is not %q", m.Format, archiveFormat)
	}
	return &m, nil
}

// ArchivePath is where ArchiveDay keeps the archive of day.
func (l *Log) ArchivePath(day time.Time) string {
	dir := url.PathEscape(l.gateway)
	if dir == "." || dir == ".." {
		dir = "_" + dir
	}
	return filepath.Join(l.opts.ArchiveDir, dir, dayStart(day).Format(time.DateOnly)+".zip")
}

// ArchiveDay writes the archive of day to ArchivePath(day), unless an
// archive there already holds all of the day's sealed batches, and returns
// its path. It never overwrites an archive of batches the store no longer
// holds: the rest of such a day goes to <day>-<first batch>.zip.
func (l *Log) ArchiveDay(ctx context.Context, day time.Time) (string, error) {
	path, _, err := l.archiveDay(ctx, day)
	return path, err
}

func (l *Log) archiveDay(ctx context.Context, day time.Time) (string, *manifest, error) {
	if l.opts.ArchiveDir == "" {
		return "", nil, errors.New("msglog: archive: no archive directory")
	}
	path := l.ArchivePath(day)
	start := dayStart(day)
	var first, last int64
	if err := l.db.QueryRow(ctx, "SELECT COALESCE(MIN(batch_no), 0), COALESCE(MAX(batch_no), 0) FROM msglog_batch WHERE gateway = ? AND at >= ? AND at < ?",
		l.gateway, start.UnixMicro(), start.AddDate(0, 0, 1).UnixMicro()).Scan(&first, &last); err != nil {
		return "", nil, fmt.Errorf("msglog: archive: %w", err)
	}
	if m, err := readManifestFile(path); err == nil {
		if m.LastBatch >= last {
			return path, m, nil
		}
		if m.Batches > 0 && first > m.FirstBatch {
			// The file holds batches the store no longer has: keep it, and
			// put the rest of the day beside it.
			path = strings.TrimSuffix(path, ".zip") + "-" + strconv.FormatInt(first, 10) + ".zip"
			if m, err := readManifestFile(path); err == nil && m.LastBatch >= last {
				return path, m, nil
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", nil, fmt.Errorf("msglog: archive: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return "", nil, fmt.Errorf("msglog: archive: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	m, err := l.archive(ctx, day, bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		// The records are deleted once archived: the file must be on disk.
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return "", nil, fmt.Errorf("msglog: archive %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return path, m, nil
}

func readManifestFile(path string) (*manifest, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return readManifest(&zr.Reader)
}

// prunePoint records where the archived and deleted start of a log ended,
// signed by the gateway, so that Verify of the rest starts there and
// catches records deleted before it.
type prunePoint struct {
	Gateway   string
	BatchNo   int64
	LastSeq   int64
	Root      string
	At        time.Time
	Signature []byte
	Cert      string
}

func (p *prunePoint) signedBytes() []byte {
	return fmt.Appendf(nil, "vngov-msglog-pruned-v1|%s|%d|%d|%s|%d", p.Gateway, p.BatchNo, p.LastSeq, p.Root, p.At.UnixMicro())
}

// pruneChunk is how many batches one deleting transaction removes, so that
// pruning a busy day does not hold one huge transaction.
const pruneChunk = 100

// Prune archives, then deletes, every day whose records are all older than
// Retention days at now, oldest first. Only sealed batches and their
// records are deleted, and only once an archive on disk holds them (and,
// with Options.CA, verifies). The sealer runs it hourly.
func (l *Log) Prune(ctx context.Context, now time.Time) error {
	if l.opts.Retention <= 0 {
		return nil
	}
	l.pruneMu.Lock()
	defer l.pruneMu.Unlock()
	cutoff := dayStart(now).AddDate(0, 0, -l.opts.Retention)
	for {
		oldest, err := batchWhere(ctx, l.db, "gateway = ? ORDER BY batch_no LIMIT 1", l.gateway)
		if err != nil {
			return err
		}
		if oldest == nil || !oldest.At.Before(cutoff) {
			return nil
		}
		path, m, err := l.archiveDay(ctx, oldest.At)
		if err != nil {
			return err
		}
		if m.Batches == 0 || m.FirstBatch != oldest.No {
			return fmt.Errorf("msglog: prune: archive %s does not start at batch %d; not deleting", path, oldest.No)
		}
		if l.opts.CA != nil {
			if err := verifyArchiveFile(path, l.opts.CA); err != nil {
				return fmt.Errorf("msglog: prune: %w; not deleting", err)
			}
		}
		for no := oldest.No; no <= m.LastBatch; no += pruneChunk {
			if err := l.deleteThrough(ctx, min(no+pruneChunk-1, m.LastBatch)); err != nil {
				return err
			}
		}
		l.log.Info("msglog: archived and pruned a day", "gateway", l.gateway, "day", m.Day, "archive", path, "records", m.Records)
	}
}

func verifyArchiveFile(path string, ca *x509.Certificate) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	rep, err := VerifyArchive(f, st.Size(), ca)
	if err != nil {
		return err
	}
	if !rep.OK {
		return fmt.Errorf("archive %s does not verify at record %d: %s", path, rep.BadSeq, rep.Reason)
	}
	return nil
}

// deleteThrough deletes batches up to batchNo and their records, and moves
// the prune point there, in one transaction.
func (l *Log) deleteThrough(ctx context.Context, batchNo int64) error {
	return l.db.Tx(ctx, func(tx *store.Tx) error {
		p := prunePoint{Gateway: l.gateway, BatchNo: batchNo, At: time.UnixMicro(time.Now().UnixMicro()), Cert: l.certPEM}
		if err := tx.QueryRow(ctx, "SELECT last_seq, root FROM msglog_batch WHERE gateway = ? AND batch_no = ?", l.gateway, batchNo).Scan(&p.LastSeq, &p.Root); err != nil {
			return fmt.Errorf("msglog: prune: read batch %d: %w", batchNo, err)
		}
		var err error
		if p.Signature, err = pki.Sign(l.key, p.signedBytes()); err != nil {
			return fmt.Errorf("msglog: prune: %w", err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM msglog_record WHERE gateway = ? AND seq <= ?", l.gateway, p.LastSeq); err != nil {
			return fmt.Errorf("msglog: prune: delete records: %w", err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM msglog_batch WHERE gateway = ? AND batch_no <= ?", l.gateway, batchNo); err != nil {
			return fmt.Errorf("msglog: prune: delete batches: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO msglog_pruned (gateway, batch_no, last_seq, root, at, signature, cert) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (gateway) DO UPDATE SET batch_no = excluded.batch_no, last_seq = excluded.last_seq, root = excluded.root, at = excluded.at, signature = excluded.signature, cert = excluded.cert`,
			p.Gateway, p.BatchNo, p.LastSeq, p.Root, p.At.UnixMicro(), p.Signature, p.Cert)
		if err != nil {
			return fmt.Errorf("msglog: prune: move prune point: %w", err)
		}
		return nil
	})
}
