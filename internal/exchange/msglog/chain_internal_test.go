package msglog

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// TestRehashedChainIsCaughtByTheSignedRoot alters a sealed record and
// recomputes every hash after it, as an attacker with the database but not
// the gateway's key would: each record checks, but the batch's signed root
// no longer matches.
func TestRehashedChainIsCaughtByTheSignedRoot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, "msglog", Migrations()); err != nil {
			t.Fatal(err)
		}
		ca, _ := pki.NewCA("ca", time.Hour)
		key, cert, _ := ca.IssueKeyPair("gw1", nil, time.Hour)
		tk, tc, _ := ca.IssueKeyPair("tsa", nil, time.Hour)
		l, err := Open(db, "gw1", key, cert, TSAStamper{pki.NewTSA(tk, tc)}, Options{BatchInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		l.Start(ctx)
		for i := range 10 {
			if err := l.Append(ctx, Record{Side: SideClient, MessageID: string(rune('a' + i)), UserID: "u1", Status: 200}); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		recs, err := readRecords(ctx, db, "gw1", 0, 100)
		if err != nil || len(recs) != 10 {
			t.Fatal(len(recs), err)
		}
		recs[4].UserID = "someone-else"
		prev := recs[3].Hash
		for i := 4; i < len(recs); i++ {
			recs[i].PrevHash = prev
			recs[i].Hash = recordHash(prev, &recs[i])
			prev = recs[i].Hash
			if _, err := db.Exec(ctx, "UPDATE msglog_record SET user_id = ?, prev_hash = ?, hash = ? WHERE gateway = 'gw1' AND seq = ?", recs[i].UserID, recs[i].PrevHash, recs[i].Hash, recs[i].Seq); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := Verify(ctx, db, "gw1", time.Time{}, time.Time{}, ca.Cert)
		if err != nil || rep.OK || rep.BadSeq != 1 || !strings.Contains(rep.Reason, "signed root of batch 1") {
			t.Fatalf("rehashed chain: %+v %v", rep, err)
		}
	})
}
