package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"testing"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/procedure"
)

// TestMonitorRebuild files a dossier through the engine and expects
// `vngov monitor rebuild` to read it back from the engine's event log, on
// both databases, twice with the same result.
func TestMonitorRebuild(t *testing.T) {
	storetest.Each(t, func(t *testing.T, _ *store.DB) {
		ctx := context.Background()
		args, _, db := cliStore(t)
		for _, m := range []struct {
			name string
			fsys fs.FS
		}{{"bus", bus.Migrations()}, {"audit", audit.Migrations()}, {"procedure", procedure.Migrations()}, {"dossier", dossier.Migrations()}} {
			if err := db.Migrate(ctx, m.name, m.fsys); err != nil {
				t.Fatal(err)
			}
		}
		procs := procedure.New(db)
		if err := procs.Seed(ctx); err != nil {
			t.Fatal(err)
		}
		form, _ := json.Marshal(map[string]any{
			"applicant_id": "001089012345", "applicant_full_name": "Nguyễn Văn Minh", "applicant_birth_date": "1989-05-12",
			"applicant_permanent_commune": "00004", "applicant_permanent_street": "Số 8 phố Quán Thánh", "applicant_phone": "0912345678",
			"applicant_relation": "father", "child_full_name": "Nguyễn Minh Khang", "child_birth_date": "2026-01-20", "child_sex": "male",
			"child_ethnicity": "01", "child_nationality": "VN", "birth_place_commune": "00004", "birth_place_detail": "Bệnh viện Phụ sản Hà Nội",
			"parents_married": true, "copies_requested": 1,
		})
		svc := dossier.New(db, procs, nil)
		d, _, err := svc.Create(ctx, dossier.CreateRequest{Procedure: "1.001193", Agency: dossier.DemoAgency, Channel: dossier.ChannelInPerson, Form: form, CreatedBy: "test"})
		if err != nil {
			t.Fatal(err)
		}
		desk := dossier.Official{ID: "test", Agency: dossier.DemoAgency, Roles: []string{dossier.RoleReceptionist}}
		if _, err := svc.Act(ctx, desk, d.Code, dossier.ActionAccept, "", d.Version); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			cliOK(t, args, []string{"monitor", "rebuild"}, "2 events, 1 dossiers")
			var status, version int
			if err := db.QueryRow(ctx, "SELECT status, version FROM mon_dossier WHERE code = ?", d.Code).Scan(&status, &version); err != nil {
				t.Fatal(err)
			}
			if status != 4 || version != 2 {
				t.Errorf("after the rebuild: status %d, version %d; want 4, 2", status, version)
			}
		}
	})
}
