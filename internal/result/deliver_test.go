package result

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/procedure"
)

// fakeDossiers is the engine as delivery sees it: dossiers by code, and
// DeliverElectronic moving 9 to 10 (a second call: 409, as the engine
// answers a move its state does not allow).
type fakeDossiers struct {
	mu        sync.Mutex
	dossiers  map[string]dossier.Dossier
	delivered map[string][]string
}

func (f *fakeDossiers) Get(_ context.Context, code string) (dossier.Dossier, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.dossiers[code]
	if !ok {
		return d, fault.NotFoundf("dossier.not_found", "Không có hồ sơ", "no dossier %s", code)
	}
	return d, nil
}

func (f *fakeDossiers) DeliverElectronic(_ context.Context, code, uri string) (dossier.Dossier, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.dossiers[code]
	if d.Status != dossier.StatusProcessed {
		return d, fault.New(fault.Conflict, "dossier.not_allowed", "Không thể trả kết quả", "not in status 9")
	}
	d.Status = dossier.StatusReturned
	d.Results = append(d.Results, dossier.Result{N: 1, Name: "kết quả", URI: uri})
	f.dossiers[code] = d
	f.delivered[code] = append(f.delivered[code], uri)
	return d, nil
}

type fakeNames map[string]string

func (n fakeNames) Name(_ context.Context, list, code string) (string, bool) {
	v, ok := n[list+"/"+code]
	return v, ok
}

func approval(id, code string, to dossier.Status) bus.Event {
	data, _ := json.Marshal(map[string]any{"code": code, "agency": agency, "procedure": "1.001193", "channel": 2, "to_status": to})
	return bus.Event{ID: id, Type: "dossier.approve", Source: "dossier", Subject: code, Data: data}
}

func TestDeliverOnApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(t, db)
		if err := db.Migrate(ctx, "procedure", procedure.Migrations()); err != nil {
			t.Fatal(err)
		}
		ps := procedure.New(db)
		if err := ps.Seed(ctx); err != nil {
			t.Fatal(err)
		}
		p, err := ps.Get(ctx, "1.001193")
		if err != nil {
			t.Fatal(err)
		}
		form, _ := json.Marshal(map[string]any{
			"applicant_id": citizen, "applicant_full_name": "Nguyễn Văn Minh", "applicant_birth_date": "1989-05-12", "applicant_phone": "0912345678",
			"applicant_relation": "father", "child_full_name": "Nguyễn Thị Bình An", "child_birth_date": "2026-01-20", "child_sex": "female",
			"child_ethnicity": "01", "child_nationality": "VN", "birth_place_commune": "00004", "birth_place_detail": "Bệnh viện Phụ sản Hà Nội",
			"parents_married": true, "copies_requested": 2, "linked_health_insurance": false,
		})
		code := "000.00.92.H26-260302-0007"
		fd := &fakeDossiers{delivered: map[string][]string{}, dossiers: map[string]dossier.Dossier{code: {
			Code: code, Agency: agency, Procedure: p.Code, ProcedureVersion: p.Version, ProcedureName: p.Name, Status: dossier.StatusProcessed,
			Applicant: dossier.Applicant{ID: citizen, Name: "Nguyễn Văn Minh"}, Form: form,
		}}}
		d := &Deliverer{Results: s, Dossiers: fd, Procedures: ps, Names: fakeNames{
			"agencies/" + agency: "Ủy ban nhân dân Phường Ba Đình", "admin-units/00004": "Phường Ba Đình", "ethnic-groups/01": "Kinh", "countries/VN": "Việt Nam"}}

		// Approvals that do not end at 9 are not this consumer's.
		if err := d.Handle(ctx, approval("e0", code, dossier.StatusProcessing)); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM res_document"); n != 0 {
			t.Fatal("issued on a non-final approval")
		}
		// A dossier filed in person gets its result at the desk.
		inPerson := approval("e9", code, dossier.StatusProcessed)
		inPerson.Data = []byte(strings.Replace(string(inPerson.Data), `"channel":2`, `"channel":1`, 1))
		if err := d.Handle(ctx, inPerson); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM res_document"); n != 0 || len(fd.delivered[code]) != 0 {
			t.Fatal("issued and delivered electronically a dossier filed in person")
		}
		// The event, delivered three times.
		for range 3 {
			if err := d.Handle(ctx, approval("e1", code, dossier.StatusProcessed)); err != nil {
				t.Fatal(err)
			}
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM res_document"); n != 1 {
			t.Fatalf("%d documents", n)
		}
		if got := fd.delivered[code]; len(got) != 1 || !strings.HasPrefix(got[0], agency+"-GKS-") {
			t.Fatalf("delivered %v", got)
		}
		doc, err := s.Get(ctx, fd.delivered[code][0])
		if err != nil {
			t.Fatal(err)
		}
		if doc.Title != "Giấy khai sinh" || doc.AgencyName != "Ủy ban nhân dân Phường Ba Đình" || doc.HolderID != citizen || doc.DossierCode != code {
			t.Fatalf("document %+v", doc)
		}
		got := map[string]string{}
		for _, f := range doc.Fields {
			got[f.Label] = f.Value
		}
		want := map[string]string{"Họ, chữ đệm và tên của trẻ": "Nguyễn Thị Bình An", "Ngày, tháng, năm sinh của trẻ": "20/01/2026", "Giới tính": "Nữ",
			"Dân tộc": "Kinh", "Quốc tịch": "Việt Nam", "Nơi sinh: xã, phường, đặc khu": "Phường Ba Đình", "Cha, mẹ đã đăng ký kết hôn": "Có",
			"Số bản sao Giấy khai sinh đề nghị cấp": "2"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("field %q = %q, want %q", k, got[k], v)
			}
		}
		for k := range got {
			if strings.Contains(k, "điện thoại") || k == "Cấp thẻ bảo hiểm y tế cho trẻ dưới 6 tuổi" {
				t.Errorf("field %q should be left out", k)
			}
		}
		if doc.Fields[0].Label != "Họ, chữ đệm và tên của trẻ" {
			t.Errorf("fields not in the form's order: %+v", doc.Fields[:2])
		}

		// A dossier that was issued but not yet delivered (a crash between
		// the two): the redelivered event delivers the same document.
		code2 := "000.00.92.H26-260302-0008"
		fd.dossiers[code2] = dossier.Dossier{Code: code2, Agency: agency, Procedure: p.Code, ProcedureVersion: p.Version, Status: dossier.StatusProcessed,
			Applicant: dossier.Applicant{ID: citizen, Name: "Nguyễn Văn Minh"}, Form: form}
		first, err := s.Issue(ctx, d.Request(ctx, fd.dossiers[code2], p))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Handle(ctx, approval("e2", code2, dossier.StatusProcessed)); err != nil {
			t.Fatal(err)
		}
		if got := fd.delivered[code2]; len(got) != 1 || got[0] != first.URI {
			t.Fatalf("after a crash: delivered %v, issued %s", got, first.URI)
		}
		// An unknown dossier is logged and skipped, not retried forever.
		if err := d.Handle(ctx, approval("e3", "000.00.92.H26-260302-0099", dossier.StatusProcessed)); err != nil {
			t.Fatalf("unknown dossier: %v", err)
		}
	})
}

func TestDocTypeOf(t *testing.T) {
	for _, c := range []struct {
		p           procedure.Procedure
		code, title string
	}{
		{procedure.Procedure{Code: "1.001193"}, "GKS", "Giấy khai sinh"},
		{procedure.Procedure{Code: "9.999999", Result: "Giấy xác nhận tình trạng hôn nhân (bản chính)"}, "GXNTTHN", "Giấy xác nhận tình trạng hôn nhân"},
		{procedure.Procedure{Code: "9.999998"}, "KQGQ", "Kết quả giải quyết thủ tục hành chính"},
	} {
		code, title := DocTypeOf(c.p)
		if code != c.code && !(c.code == "KQGQ" && len(code) >= 2) || title != c.title {
			t.Errorf("%s: %s %q", c.p.Code, code, title)
		}
	}
}
