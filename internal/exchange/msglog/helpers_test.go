package msglog_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/store"
)

// hub is the exchange CA, a gateway's key and certificate, and the hub's
// timestamping authority.
type hub struct {
	ca   *pki.CA
	key  crypto.Signer
	cert *x509.Certificate
	tsa  *flakyTSA
}

func newHub(t testing.TB) *hub {
	t.Helper()
	ca, err := pki.NewCA("vngov test exchange CA", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	key, cert, err := ca.IssueKeyPair("VN-TEST/GOV/000.00.00.G22/gw1", nil, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tk, tc, err := ca.IssueKeyPair("vngov test TSA", nil, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &hub{ca: ca, key: key, cert: cert, tsa: &flakyTSA{TSAStamper: msglog.TSAStamper{TSA: pki.NewTSA(tk, tc)}}}
}

// flakyTSA is the hub's timestamping service, which a test can take down.
type flakyTSA struct {
	msglog.TSAStamper
	down  atomic.Bool
	calls atomic.Int64
}

func (f *flakyTSA) Stamp(ctx context.Context, digest []byte) (pki.Timestamp, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return pki.Timestamp{}, errors.New("timestamping service unavailable")
	}
	return f.TSAStamper.Stamp(ctx, digest)
}

func migrate(t testing.TB, db *store.DB) {
	t.Helper()
	if err := db.Migrate(context.Background(), "msglog", msglog.Migrations()); err != nil {
		t.Fatal(err)
	}
}

// start opens and starts gateway's log; it is closed when the test ends
// (closing twice is harmless).
func (h *hub) start(t testing.TB, db *store.DB, gateway string, opts msglog.Options) *msglog.Log {
	t.Helper()
	l, err := msglog.Open(db, gateway, h.key, h.cert, h.tsa, opts)
	if err != nil {
		t.Fatal(err)
	}
	l.Start(context.Background())
	t.Cleanup(func() { l.Close() })
	return l
}

// rec is a typical record; i makes it unique.
func rec(i int) msglog.Record {
	now := time.Now()
	return msglog.Record{
		Side: msglog.SideProvider, MessageID: fmt.Sprintf("msg-%06d", i), RequestID: fmt.Sprintf("req-%d", i),
		Client: "VN-TEST/GOV/000.00.00.H29/tax", Service: fmt.Sprintf("VN-TEST/GOV/000.00.00.G22/population/person-v%d", i%3),
		UserID: "079012345678", Issue: "HS-2025-0001", Method: "GET", Path: "/persons/079012345678?fields=name%2Cdob",
		Status: 200, RequestHash: "rq" + fmt.Sprint(i), RequestBodyHash: "e3b0c442", ResponseHeadersHash: "a1b2", ResponseBodyHash: "c3d4",
		Started: now.Add(-2 * time.Millisecond), Finished: now,
	}
}

func appendN(t testing.TB, l *msglog.Log, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := l.Append(context.Background(), rec(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func verify(t testing.TB, db store.Querier, gateway string, ca *x509.Certificate) msglog.Report {
	t.Helper()
	rep, err := msglog.Verify(context.Background(), db, gateway, time.Time{}, time.Time{}, ca)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// eventually polls cond for up to 5 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func count(t testing.TB, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
