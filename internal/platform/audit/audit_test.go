package audit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

func TestChainVerifiesAndNamesTheAlteredRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, "audit", audit.Migrations()); err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Verify(ctx, db)
		if err != nil || !rep.OK || rep.Rows != 0 {
			t.Fatalf("empty trail: %+v %v", rep, err)
		}
		// Concurrent appends still form one chain.
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 10; i++ {
					err := audit.Record(ctx, db, audit.Entry{Actor: fmt.Sprintf("u%d", g), Action: "thing.write", Object: fmt.Sprintf("thing/%d", i), SourceIP: "127.0.0.1", Detail: map[string]any{"i": i}})
					if err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		// An append inside a caller's transaction.
		err = db.Tx(ctx, func(tx *store.Tx) error {
			return audit.Record(ctx, tx, audit.Entry{Actor: "admin", Action: "thing.publish", Object: "thing/x", Result: audit.OK})
		})
		if err != nil {
			t.Fatal(err)
		}
		rep, err = audit.Verify(ctx, db)
		if err != nil || !rep.OK || rep.Rows != 41 {
			t.Fatalf("intact trail: %+v %v", rep, err)
		}

		// Alter one row's contents.
		if _, err := db.Exec(ctx, "UPDATE audit_log SET result = 'ok', actor = 'someone-else' WHERE seq = 17"); err != nil {
			t.Fatal(err)
		}
		rep, _ = audit.Verify(ctx, db)
		if rep.OK || rep.BadSeq != 17 {
			t.Fatalf("altered row: %+v, want row 17 named", rep)
		}
	})
}

func TestDeletedRowIsNamed(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := context.Background()
	db.Migrate(ctx, "audit", audit.Migrations())
	for i := 0; i < 5; i++ {
		audit.Record(ctx, db, audit.Entry{Actor: "a", Action: "x", Object: fmt.Sprint(i)})
	}
	db.Exec(ctx, "DELETE FROM audit_log WHERE seq = 3")
	rep, _ := audit.Verify(ctx, db)
	if rep.OK || rep.BadSeq != 4 {
		t.Fatalf("deleted row: %+v, want row 4 named (it no longer links)", rep)
	}
	list, err := audit.List(ctx, db, audit.Query{Actor: "a", Limit: 2})
	if err != nil || len(list) != 2 || list[0].Object != "4" {
		t.Fatalf("list: %+v %v", list, err)
	}
}
