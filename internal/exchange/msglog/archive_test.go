package msglog_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

var ict = time.FixedZone("ICT", 7*3600)

// noonOn is noon, UTC+7, days days from now.
func noonOn(days int) time.Time {
	y, m, d := time.Now().In(ict).AddDate(0, 0, days).Date()
	return time.Date(y, m, d, 12, 0, 0, 0, ict)
}

// appendAt appends n records started at t and seals them into one batch.
func appendAt(t *testing.T, l *msglog.Log, from, n int, at time.Time) {
	t.Helper()
	for i := from; i < from+n; i++ {
		r := rec(i)
		r.Started, r.Finished = at.Add(time.Duration(i)*time.Second), at.Add(time.Duration(i)*time.Second+time.Millisecond)
		if err := l.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Seal(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func verifyZip(t *testing.T, b []byte, h *hub) msglog.Report {
	t.Helper()
	rep, err := msglog.VerifyArchive(bytes.NewReader(b), int64(len(b)), h.ca.Cert)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// rewriteZip copies an archive, passing each line of file through edit
// (which may drop it by returning nil).
func rewriteZip(t *testing.T, b []byte, file string, edit func(line []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		w, _ := zw.Create(f.Name)
		rc, _ := f.Open()
		if f.Name != file {
			io.Copy(w, rc)
		} else {
			sc := bufio.NewScanner(rc)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				if line := edit(sc.Bytes()); line != nil {
					w.Write(append(line, '\n'))
				}
			}
		}
		rc.Close()
	}
	zw.Close()
	return out.Bytes()
}

func editRecord(seq int64, edit func(r map[string]any)) func([]byte) []byte {
	return func(line []byte) []byte {
		var r map[string]any
		json.Unmarshal(line, &r)
		if int64(r["seq"].(float64)) != seq {
			return line
		}
		if edit == nil {
			return nil
		}
		edit(r)
		b, _ := json.Marshal(r)
		return b
	}
}

func TestArchiveRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrate(t, db)
		h := newHub(t)
		l := h.start(t, db, "VN-TEST/GOV/000.00.00.G22/gw1", msglog.Options{BatchInterval: time.Hour})
		appendAt(t, l, 0, 3, noonOn(-3))
		appendAt(t, l, 3, 4, noonOn(-3).Add(time.Hour))
		appendAt(t, l, 7, 5, noonOn(-2))
		appendN(t, l, 12, 2) // today, unsealed

		var day1, day2 bytes.Buffer
		if err := l.Archive(ctx, noonOn(-3), &day1); err != nil {
			t.Fatal(err)
		}
		if err := l.Archive(ctx, noonOn(-2), &day2); err != nil {
			t.Fatal(err)
		}
		r1, r2 := verifyZip(t, day1.Bytes(), h), verifyZip(t, day2.Bytes(), h)
		if !r1.OK || r1.Records != 7 || r1.Batches != 2 || r1.First != 1 || r1.Last != 7 {
			t.Fatalf("day 1: %+v", r1)
		}
		if !r2.OK || r2.Records != 5 || r2.Batches != 1 || r2.First != 8 || r2.Anchor != r1.Head {
			t.Fatalf("day 2 (must start where day 1 ends): %+v", r2)
		}
		zr, _ := zip.NewReader(bytes.NewReader(day1.Bytes()), int64(day1.Len()))
		names := map[string]bool{}
		for _, f := range zr.File {
			names[f.Name] = true
		}
		if !names["records.jsonl"] || !names["batches.jsonl"] || !names["README.txt"] || !names["manifest.json"] {
			t.Fatalf("archive files: %v", names)
		}

		cases := []struct {
			name   string
			zip    []byte
			seq    int64
			reason string
		}{
			{"record altered", rewriteZip(t, day1.Bytes(), "records.jsonl", editRecord(3, func(r map[string]any) { r["user_id"] = "someone-else" })), 3, "record 3 was altered"},
			{"record removed", rewriteZip(t, day1.Bytes(), "records.jsonl", editRecord(5, nil)), 5, "record 5 is missing"},
			{"last record removed", rewriteZip(t, day1.Bytes(), "records.jsonl", editRecord(7, nil)), 7, "record 7 is missing"},
			{"last batch removed", rewriteZip(t, day1.Bytes(), "batches.jsonl", func(line []byte) []byte {
				if strings.Contains(string(line), `"batch_no":2,`) {
					return nil
				}
				return line
			}), 4, "record 4 is not covered"},
			{"batch signature altered", rewriteZip(t, day1.Bytes(), "batches.jsonl", func(line []byte) []byte {
				if !strings.Contains(string(line), `"batch_no":2,`) {
					return line
				}
				var b map[string]any
				dec := json.NewDecoder(bytes.NewReader(line))
				dec.UseNumber()
				dec.Decode(&b)
				b["signature"] = "MEUCIQDn1qQ3pA3tWm5zq5l1H9H0l3F9sWc3J1bDzwq7j1X2OwIgH3vS2n1lH5rQ2x1uZ9yQm6bq5l1H9H0l3F9sWc3J1bA="
				out, _ := json.Marshal(b)
				return out
			}), 4, "bad batch signature"},
			{"manifest removed", rewriteZip(t, day1.Bytes(), "manifest.json", func([]byte) []byte { return nil }), 0, "manifest"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				rep := verifyZip(t, tc.zip, h)
				if rep.OK || rep.BadSeq != tc.seq || !strings.Contains(rep.Reason, tc.reason) {
					t.Fatalf("got %+v, want record %d named: %q", rep, tc.seq, tc.reason)
				}
			})
		}
		t.Run("damaged bytes", func(t *testing.T) {
			b := bytes.Clone(day1.Bytes())
			b[len(b)/3] ^= 0xff
			if rep := verifyZip(t, b, h); rep.OK {
				t.Fatalf("damaged archive accepted: %+v", rep)
			}
		})
	})
}

func TestRetentionArchivesThenPrunes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrate(t, db)
		h := newHub(t)
		dir := t.TempDir()
		opts := msglog.Options{BatchInterval: time.Hour, Retention: 2, ArchiveDir: dir, CA: h.ca.Cert}
		l := h.start(t, db, "gw1", opts)
		appendAt(t, l, 0, 3, noonOn(-10))
		appendAt(t, l, 3, 2, noonOn(-10).Add(time.Hour))
		appendAt(t, l, 5, 4, noonOn(-5))
		appendAt(t, l, 9, 3, noonOn(-1))
		appendN(t, l, 12, 2) // today, unsealed

		if err := l.Prune(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := l.Prune(ctx, time.Now()); err != nil {
			t.Fatal("pruning again:", err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM msglog_record WHERE gateway = 'gw1'"); n != 5 {
			t.Fatalf("%d records left, want 5 (yesterday's and today's)", n)
		}
		readZip := func(day int) msglog.Report {
			b, err := os.ReadFile(l.ArchivePath(noonOn(day)))
			if err != nil {
				t.Fatal(err)
			}
			return verifyZip(t, b, h)
		}
		a10, a5 := readZip(-10), readZip(-5)
		if !a10.OK || a10.Records != 5 || !a5.OK || a5.Records != 4 || a5.Anchor != a10.Head {
			t.Fatalf("archives: %+v %+v", a10, a5)
		}
		if _, err := os.Stat(l.ArchivePath(noonOn(-1))); !os.IsNotExist(err) {
			t.Fatalf("yesterday was archived too early: %v", err)
		}
		rep := verify(t, db, "gw1", h.ca.Cert)
		if !rep.OK || rep.First != 10 || rep.Records != 5 || rep.Unsealed != 2 || rep.Anchor != a5.Head {
			t.Fatalf("the rest after pruning: %+v", rep)
		}

		// Prune everything; a new log resumes from the prune point.
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if err := l.Prune(ctx, time.Now().AddDate(0, 0, 10)); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM msglog_record WHERE gateway = 'gw1'"); n != 0 {
			t.Fatalf("%d records left", n)
		}
		l2 := h.start(t, db, "gw1", opts)
		if s := l2.Stats(); s.Committed != 14 || s.Sealed != 14 {
			t.Fatalf("resumed at %+v, want 14", s)
		}
		appendN(t, l2, 100, 3)
		if err := l2.Seal(ctx); err != nil {
			t.Fatal(err)
		}
		appendN(t, l2, 103, 3)
		if err := l2.Seal(ctx); err != nil {
			t.Fatal(err)
		}
		rep = verify(t, db, "gw1", h.ca.Cert)
		if !rep.OK || rep.First != 15 || rep.Records != 6 || rep.Batches != 2 {
			t.Fatalf("after pruning everything: %+v", rep)
		}

		// Deleting the oldest remaining batch and its records is caught: the
		// signed prune point says where the log must start.
		db.Exec(ctx, "DELETE FROM msglog_record WHERE gateway = 'gw1' AND seq <= 17")
		db.Exec(ctx, "DELETE FROM msglog_batch WHERE gateway = 'gw1' AND first_seq = 15")
		if rep := verify(t, db, "gw1", h.ca.Cert); rep.OK || rep.BadSeq != 15 {
			t.Fatalf("prefix deletion: %+v", rep)
		}
		db.Exec(ctx, "UPDATE msglog_pruned SET last_seq = 17 WHERE gateway = 'gw1'")
		if rep := verify(t, db, "gw1", h.ca.Cert); rep.OK || !strings.Contains(rep.Reason, "prune point") {
			t.Fatalf("moved prune point: %+v", rep)
		}
	})
}

// TestPruneKeepsEarlierArchivesOfADay prunes a day, then (the clock having
// been wrong, say) sees more batches for it: they go to a second archive
// beside the first, which is not overwritten.
func TestPruneKeepsEarlierArchivesOfADay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrate(t, db)
		h := newHub(t)
		l := h.start(t, db, "gw1", msglog.Options{BatchInterval: time.Hour, Retention: 1, ArchiveDir: t.TempDir(), CA: h.ca.Cert})
		appendAt(t, l, 0, 3, noonOn(0))
		later := time.Now().AddDate(0, 0, 5)
		if err := l.Prune(ctx, later); err != nil {
			t.Fatal(err)
		}
		first, err := os.ReadFile(l.ArchivePath(noonOn(0)))
		if err != nil {
			t.Fatal(err)
		}
		appendAt(t, l, 3, 2, noonOn(0))
		if err := l.Prune(ctx, later); err != nil {
			t.Fatal(err)
		}
		again, _ := os.ReadFile(l.ArchivePath(noonOn(0)))
		if !bytes.Equal(first, again) {
			t.Fatal("the day's first archive was overwritten")
		}
		second, err := os.ReadFile(strings.TrimSuffix(l.ArchivePath(noonOn(0)), ".zip") + "-2.zip")
		if err != nil {
			t.Fatal(err)
		}
		r1, r2 := verifyZip(t, first, h), verifyZip(t, second, h)
		if !r1.OK || r1.Records != 3 || !r2.OK || r2.Records != 2 || r2.Anchor != r1.Head {
			t.Fatalf("archives: %+v %+v", r1, r2)
		}
	})
}
