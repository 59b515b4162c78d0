package msglog_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// sealedLog logs 35 records for gateway: batches 1–3 hold records 1–30,
// and records 31–35 are not sealed yet.
func sealedLog(t *testing.T, db *store.DB, h *hub, gateway string) {
	t.Helper()
	l := h.start(t, db, gateway, msglog.Options{BatchInterval: time.Hour, BatchMax: 10})
	appendN(t, l, 0, 30)
	eventually(t, "three full batches", func() bool { return l.Stats().Sealed == 30 })
	appendN(t, l, 30, 5)
	if rep := verify(t, db, gateway, h.ca.Cert); !rep.OK || rep.Records != 35 || rep.Batches != 3 || rep.Unsealed != 5 {
		t.Fatalf("intact log: %+v", rep)
	}
}

func TestVerifyNamesTheFirstBadRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrate(t, db)
		h := newHub(t)
		exec := func(t *testing.T, q string, args ...any) {
			t.Helper()
			if _, err := db.Exec(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
		batchBytes := func(t *testing.T, gateway string, no int, col string) []byte {
			t.Helper()
			var b []byte
			if err := db.QueryRow(ctx, "SELECT "+col+" FROM msglog_batch WHERE gateway = ? AND batch_no = ?", gateway, no).Scan(&b); err != nil {
				t.Fatal(err)
			}
			return b
		}
		stampDigest := func(t *testing.T, gateway string, no int) []byte {
			t.Helper()
			b := msglog.Batch{Root: string(batchBytes(t, gateway, no, "root")), Signature: batchBytes(t, gateway, no, "signature")}
			return b.StampDigest()
		}
		cases := []struct {
			name   string
			tamper func(t *testing.T, gw string)
			seq    int64
			reason string
		}{
			{"field altered", func(t *testing.T, gw string) {
				exec(t, "UPDATE msglog_record SET user_id = 'someone-else' WHERE gateway = ? AND seq = 17", gw)
			}, 17, "record 17 was altered"},
			{"body altered", func(t *testing.T, gw string) {
				exec(t, "UPDATE msglog_record SET response_body = ? WHERE gateway = ? AND seq = 4", []byte("forged"), gw)
			}, 4, "record 4 was altered"},
			{"record deleted", func(t *testing.T, gw string) {
				exec(t, "DELETE FROM msglog_record WHERE gateway = ? AND seq = 17", gw)
			}, 17, "record 17 is missing"},
			{"last record of a batch deleted", func(t *testing.T, gw string) {
				exec(t, "DELETE FROM msglog_record WHERE gateway = ? AND seq = 20", gw)
			}, 20, "record 20 is missing"},
			{"link altered", func(t *testing.T, gw string) {
				exec(t, "UPDATE msglog_record SET prev_hash = hash WHERE gateway = ? AND seq = 12", gw)
			}, 12, "record 12 does not link"},
			{"unsealed record altered", func(t *testing.T, gw string) {
				exec(t, "UPDATE msglog_record SET status = 500 WHERE gateway = ? AND seq = 33", gw)
			}, 33, "record 33 was altered"},
			{"unsealed record deleted", func(t *testing.T, gw string) {
				exec(t, "DELETE FROM msglog_record WHERE gateway = ? AND seq = 32", gw)
			}, 32, "record 32 is missing"},
			{"batch signature altered", func(t *testing.T, gw string) {
				exec(t, "UPDATE msglog_batch SET signature = ? WHERE gateway = ? AND batch_no = 2", batchBytes(t, gw, 3, "signature"), gw)
			}, 11, "bad batch signature"},
			{"batch range altered", func(t *testing.T, gw string) {
				exec(t, "UPDATE msglog_batch SET last_seq = 19 WHERE gateway = ? AND batch_no = 2", gw)
			}, 11, "bad batch signature"},
			{"batch deleted", func(t *testing.T, gw string) {
				exec(t, "DELETE FROM msglog_batch WHERE gateway = ? AND batch_no = 2", gw)
			}, 11, "batch 2 is missing"},
			{"timestamp forged by another authority", func(t *testing.T, gw string) {
				rogue, _ := pki.NewCA("rogue", time.Hour)
				k, c, _ := rogue.IssueKeyPair("rogue TSA", nil, time.Hour)
				tok, _ := pki.NewTSA(k, c).Stamp(stampDigest(t, gw, 2))
				b, _ := pki.MarshalTimestamp(tok)
				exec(t, "UPDATE msglog_batch SET tsa_token = ? WHERE gateway = ? AND batch_no = 2", string(b), gw)
			}, 11, "bad timestamp"},
			{"timestamp of another digest", func(t *testing.T, gw string) {
				tok, _ := h.tsa.Stamp(ctx, stampDigest(t, gw, 3))
				b, _ := pki.MarshalTimestamp(tok)
				exec(t, "UPDATE msglog_batch SET tsa_token = ? WHERE gateway = ? AND batch_no = 2", string(b), gw)
			}, 11, "bad timestamp"},
			{"timestamp time altered", func(t *testing.T, gw string) {
				tok, _ := pki.UnmarshalTimestamp(batchBytes(t, gw, 3, "tsa_token"))
				tok.Time = tok.Time.Add(-time.Hour)
				b, _ := pki.MarshalTimestamp(tok)
				exec(t, "UPDATE msglog_batch SET tsa_token = ? WHERE gateway = ? AND batch_no = 3", string(b), gw)
			}, 21, "bad timestamp"},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				gw := "gw-" + string(rune('a'+i))
				sealedLog(t, db, h, gw)
				tc.tamper(t, gw)
				rep := verify(t, db, gw, h.ca.Cert)
				if rep.OK || rep.BadSeq != tc.seq || !strings.Contains(rep.Reason, tc.reason) {
					t.Fatalf("got %+v, want record %d named: %q", rep, tc.seq, tc.reason)
				}
			})
		}

		t.Run("another CA", func(t *testing.T) {
			sealedLog(t, db, h, "gw-ca")
			other, _ := pki.NewCA("other", time.Hour)
			rep := verify(t, db, "gw-ca", other.Cert)
			if rep.OK || rep.BadSeq != 1 {
				t.Fatalf("foreign CA: %+v", rep)
			}
		})
	})
}

func TestVerifyWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrate(t, db)
		h := newHub(t)
		l := h.start(t, db, "gw1", msglog.Options{BatchInterval: time.Hour, BatchMax: 10})
		base := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		for i := range 40 {
			r := rec(i)
			r.Started, r.Finished = base.Add(time.Duration(i)*time.Minute), base.Add(time.Duration(i)*time.Minute+time.Second)
			if err := l.Append(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, "four batches", func() bool { return l.Stats().Sealed == 40 })
		appendN(t, l, 40, 3) // unsealed, started now
		// Records 15 to 24 lie in batches 2 and 3: records 11 to 30.
		from, to := base.Add(14*time.Minute), base.Add(24*time.Minute)
		rep, err := msglog.Verify(ctx, db, "gw1", from, to, h.ca.Cert)
		if err != nil || !rep.OK || rep.First != 11 || rep.Last != 30 || rep.Batches != 2 || rep.Unsealed != 0 {
			t.Fatalf("window: %+v %v", rep, err)
		}
		rep, err = msglog.Verify(ctx, db, "gw1", time.Now().Add(-time.Minute), time.Time{}, h.ca.Cert)
		if err != nil || !rep.OK || rep.First != 41 || rep.Records != 3 || rep.Unsealed != 3 {
			t.Fatalf("unsealed window: %+v %v", rep, err)
		}
		rep, _ = msglog.Verify(ctx, db, "gw1", base.Add(-time.Hour), base.Add(-time.Minute), h.ca.Cert)
		if !rep.OK || rep.Records != 0 {
			t.Fatalf("empty window: %+v", rep)
		}
		// A fault outside the window is not the window's business; inside it is.
		db.Exec(ctx, "UPDATE msglog_record SET status = 201 WHERE gateway = 'gw1' AND seq = 35")
		if rep, _ := msglog.Verify(ctx, db, "gw1", from, to, h.ca.Cert); !rep.OK {
			t.Fatalf("window with a fault outside: %+v", rep)
		}
		db.Exec(ctx, "UPDATE msglog_record SET status = 201 WHERE gateway = 'gw1' AND seq = 12")
		if rep, _ := msglog.Verify(ctx, db, "gw1", from, to, h.ca.Cert); rep.OK || rep.BadSeq != 12 {
			t.Fatalf("window with a fault inside its batches: %+v", rep)
		}
	})
}
