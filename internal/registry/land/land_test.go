package land_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/vngov/vngov/internal/catalog"
	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/platform/vnid"
	"github.com/vngov/vngov/internal/registry"
	"github.com/vngov/vngov/internal/registry/land"
)

func setup(t *testing.T, db *store.DB) *land.Service {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, "bus", bus.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "audit", audit.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "catalog", catalog.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "registry", registry.Migrations()); err != nil {
		t.Fatal(err)
	}
	cat := catalog.New(db, nil)
	if err := cat.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	return land.New(db, registry.CatalogCodes{Catalog: cat})
}

var clerk = audit.Actor{Subject: "clerk-1", SourceIP: "127.0.0.1"}

var purpose = registry.Purpose{Client: "VN-TEST/GOV/000.00.00.H26/MOTCUA", UserID: "VN001080000099", Issue: "000.00.92.H26-261123-0002", Service: land.ServiceParcel}

const (
	husband = "001060012345"
	wife    = "001162000456"
	nobody  = "079185000123"
)

func company(t *testing.T) string {
	tc, err := vnid.NewTaxCode("010010910", 0)
	if err != nil {
		t.Fatal(err)
	}
	return tc.String()
}

func house() land.Parcel {
	return land.Parcel{Commune: "00004", MapSheet: 12, ParcelNo: 345, AreaM2: 120.5, Purpose: "ODT", Term: land.LongTerm, Origin: "recognized",
		Holders:           []land.Holder{{ID: husband, Kind: land.KindPerson, SharePct: 50}, {ID: wife, Kind: land.KindPerson, SharePct: 50}},
		CertificateSerial: "aa 01234567",
		Mortgages:         []land.Mortgage{{Bank: "Ngân hàng TMCP Ngoại thương Việt Nam", RegisteredOn: "2024-05-01", Amount: 2_000_000_000}}}
}

func hasAccess(t *testing.T, db *store.DB, subject, service string) bool {
	t.Helper()
	log, err := registry.AccessLog(context.Background(), db, subject, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range log {
		if a.Registry == land.Name && a.Service == service && a.Issue == purpose.Issue && a.UserID == purpose.UserID {
			return true
		}
	}
	return false
}

func TestCreateReadUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		h, err := s.Create(ctx, clerk, house(), "Đăng ký lần đầu")
		if err != nil {
			t.Fatal(err)
		}
		if h.ID != "00004-12-345" || h.Version != 1 || h.CertificateSerial != "AA 01234567" {
			t.Fatalf("created: %+v", h)
		}
		farm := land.Parcel{Commune: "00008", MapSheet: 3, ParcelNo: 7, AreaM2: 5000, Purpose: "cln", Term: "2064-12-31", Origin: "lease-annual",
			Holders: []land.Holder{{ID: company(t), Kind: land.KindEnterprise, SharePct: 100}}}
		if farm, err = s.Create(ctx, clerk, farm, "Cho thuê đất"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Create(ctx, clerk, house(), ""); err == nil || fault.As(err).Fields[0].Code != "id.duplicate" {
			t.Fatalf("duplicate: %v", err)
		}
		if n, _ := s.Count(ctx); n != 2 {
			t.Fatalf("count %d", n)
		}

		got, err := s.Get(ctx, h.ID, purpose)
		if err != nil || got.AreaM2 != 120.5 || len(got.Holders) != 2 || len(got.Mortgages) != 1 {
			t.Fatalf("get: %+v %v", got, err)
		}
		if !hasAccess(t, db, husband, land.ServiceParcel) || !hasAccess(t, db, wife, land.ServiceParcel) {
			t.Fatal("the read is not in the holders' access logs")
		}
		if _, err := s.Get(ctx, h.ID, registry.Purpose{Client: purpose.Client, UserID: purpose.UserID}); !fault.Is(err, fault.BadRequest) {
			t.Fatalf("a read without purpose: %v", err)
		}
		if _, err := s.ByHolder(ctx, husband, registry.Purpose{}); !fault.Is(err, fault.BadRequest) {
			t.Fatalf("a read without purpose: %v", err)
		}
		if _, err := s.Get(ctx, "00004-1-1", purpose); !fault.Is(err, fault.NotFound) {
			t.Fatalf("unknown: %v", err)
		}

		bp := purpose
		bp.Service = land.ServiceByHolder
		mine, err := s.ByHolder(ctx, husband, bp)
		if err != nil || len(mine) != 1 || mine[0].ID != h.ID {
			t.Fatalf("by holder: %+v %v", mine, err)
		}
		if !hasAccess(t, db, wife, land.ServiceByHolder) {
			t.Fatal("the co-holder disclosed by the read is not logged")
		}
		theirs, err := s.ByHolder(ctx, company(t), bp)
		if err != nil || len(theirs) != 1 || theirs[0].ID != farm.ID || theirs[0].Purpose != "CLN" {
			t.Fatalf("by enterprise holder: %+v %v", theirs, err)
		}
		none, err := s.ByHolder(ctx, nobody, bp)
		if err != nil || len(none) != 0 || !hasAccess(t, db, nobody, land.ServiceByHolder) {
			t.Fatalf("a person holding nothing: %+v %v", none, err)
		}
		if _, err := s.ByHolder(ctx, "12345", bp); !fault.Is(err, fault.Invalid) {
			t.Fatalf("bad holder: %v", err)
		}

		// Two clerks edit version 1; the second is refused, nothing lost.
		x, y := got, got
		x.Holders = []land.Holder{{ID: husband, Kind: land.KindPerson, SharePct: 100}}
		y.Mortgages = nil
		if _, err := s.Update(ctx, clerk, x, 1, "Tặng cho phần quyền"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Update(ctx, clerk, y, 1, "Xóa đăng ký thế chấp"); !fault.Is(err, fault.Conflict) {
			t.Fatalf("concurrent edit: %v", err)
		}
		x.Mortgages = nil
		if _, err := s.Update(ctx, clerk, x, 2, "Xóa đăng ký thế chấp"); err != nil {
			t.Fatal(err)
		}
		moved := x
		moved.MapSheet = 13
		if _, err := s.Update(ctx, clerk, moved, 3, "Sửa số tờ"); err == nil || fault.As(err).Fields[0].Code != "id.mismatch" {
			t.Fatalf("identity change: %v", err)
		}
		hist, err := s.History(ctx, h.ID)
		if err != nil || len(hist) != 3 || len(hist[2].Parcel.Holders) != 2 || len(hist[1].Parcel.Holders) != 1 || len(hist[0].Parcel.Mortgages) != 0 || hist[1].Reason != "Tặng cho phần quyền" {
			t.Fatalf("history: %+v %v", hist, err)
		}
		chs, _ := registry.Changes(ctx, db, land.Name, 0, nil, 10)
		if len(chs) != 4 || chs[2].Kind != "holders-changed" || chs[2].Fields[0] != "holders" || chs[3].Kind != "mortgages-changed" {
			t.Fatalf("changes: %+v", chs)
		}
		if gone, _ := s.ByHolder(ctx, wife, bp); len(gone) != 0 {
			t.Fatalf("the holder index did not follow: %+v", gone)
		}
		if cur, err := s.Lookup(ctx, clerk, h.ID); err != nil || cur.Version != 3 {
			t.Fatalf("lookup: %+v %v", cur, err)
		}
		report, _ := audit.Verify(ctx, db)
		if !report.OK {
			t.Fatalf("audit: %+v", report)
		}
	})
}

func TestValidationOneMessagePerField(t *testing.T) {
	ctx := context.Background()
	s := setup(t, storetest.OpenSQLite(t))
	bad := land.Parcel{Commune: "99999", MapSheet: 0, ParcelNo: -1, AreaM2: 0, Purpose: "XYZ", Term: "forever", Origin: "found",
		Holders: []land.Holder{
			{ID: husband, Kind: land.KindPerson, SharePct: 30},
			{ID: "0100109107", Kind: land.KindEnterprise, SharePct: 30},
			{ID: husband, Kind: land.KindPerson, SharePct: 10},
			{ID: "x", Kind: "trust", SharePct: 10},
		},
		CertificateSerial: "?",
		Mortgages:         []land.Mortgage{{RegisteredOn: "2099-01-01"}}}
	_, err := s.Create(ctx, clerk, bad, "")
	f := fault.As(err)
	if f == nil || f.Kind != fault.Invalid {
		t.Fatalf("%v", err)
	}
	seen := map[string]string{}
	for _, e := range f.Fields {
		if _, dup := seen[e.Field]; dup {
			t.Errorf("two messages for %s", e.Field)
		}
		seen[e.Field] = e.Code
		if e.Message == "" || e.Detail == "" {
			t.Errorf("%s: message or detail missing", e.Field)
		}
	}
	for field, code := range map[string]string{"commune": "commune.unknown", "map_sheet": "map_sheet.positive", "parcel_no": "parcel_no.positive",
		"area_m2": "area_m2.positive", "purpose": "purpose.unknown", "term": "term.format", "origin": "origin.value",
		"holders[1].id": "tax_code.check_digit", "holders[2].id": "holders.duplicate", "holders[3].kind": "holders.kind", "holders": "holders.shares_sum",
		"certificate_serial": "certificate_serial.format", "mortgages[0].bank": "mortgages.bank", "mortgages[0].registered_on": "mortgages.registered_on.future",
		"mortgages[0].amount": "mortgages.amount"} {
		if seen[field] != code {
			t.Errorf("%s: got %q, want %q (all: %v)", field, seen[field], code, f.Fields)
		}
	}
	// A bad personal ID of a person holder; no holders.
	p := house()
	p.Holders[1].ID = "999162000456"
	if _, err := s.Create(ctx, clerk, p, ""); err == nil || fault.As(err).Fields[0].Field != "holders[1].id" {
		t.Fatalf("bad personal ID: %v", err)
	}
	p.Holders = nil
	if _, err := s.Create(ctx, clerk, p, ""); err == nil || fault.As(err).Fields[0].Code != "holders.required" {
		t.Fatalf("no holders: %v", err)
	}
}

func get(t *testing.T, url string, headers bool) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if headers {
		req.Header.Set("X-Road-Client", purpose.Client)
		req.Header.Set("X-Road-UserId", purpose.UserID)
		req.Header.Set("X-Road-Issue", purpose.Issue)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s: %d without a problem document", url, res.StatusCode)
	}
	return res.StatusCode, body
}

func TestAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		h, err := s.Create(ctx, clerk, house(), "Đăng ký lần đầu")
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		land.NewAPI(s).Routes(mux, "/land")
		srv := httptest.NewServer(mux)
		defer srv.Close()
		base := srv.URL + "/land/"

		code, body := get(t, base+"thua-dat/parcel/"+h.ID, false)
		if code != 400 || body["code"] != "registry.purpose_missing" {
			t.Fatalf("no purpose: %d %v", code, body)
		}
		code, body = get(t, base+"thua-dat/parcel/"+h.ID, true)
		if code != 200 || body["id"] != h.ID || len(body["holders"].([]any)) != 2 {
			t.Fatalf("parcel: %d %v", code, body)
		}
		if !hasAccess(t, db, husband, land.ServiceParcel) || !hasAccess(t, db, wife, land.ServiceParcel) {
			t.Fatal("no access logged")
		}
		if code, _ := get(t, base+"thua-dat/parcel/00004-1-1", true); code != 404 {
			t.Fatalf("unknown parcel: %d", code)
		}
		code, body = get(t, base+"thua-dat-theo-chu/parcels?holder="+wife, true)
		if code != 200 || len(body["items"].([]any)) != 1 {
			t.Fatalf("by holder: %d %v", code, body)
		}
		if code, _ := get(t, base+"thua-dat-theo-chu/parcels?holder="+wife, false); code != 400 {
			t.Fatalf("by holder without purpose: %d", code)
		}
		for _, q := range []string{"", "?holder=123"} {
			if code, _ := get(t, base+"thua-dat-theo-chu/parcels"+q, true); code != 422 {
				t.Fatalf("by holder %q: %d", q, code)
			}
		}
		code, body = get(t, base+"bien-dong-dat-dai/changes", true)
		if code != 200 || len(body["changes"].([]any)) != 1 {
			t.Fatalf("changes: %d %v", code, body)
		}
		for _, p := range []string{"thua-dat/parcels?holder=" + wife, "thua-dat-theo-chu/parcel/" + h.ID, "bien-dong-dat-dai/parcel/" + h.ID, "nope"} {
			if code, body := get(t, base+p, true); code != 404 || body["code"] != "route.not_found" {
				t.Errorf("%s: %d %v", p, code, body)
			}
		}
	})
}

func TestOpenAPIDescribesEveryService(t *testing.T) {
	paths := map[string]string{land.ServiceParcel: "/parcel/{id}", land.ServiceByHolder: "/parcels", land.ServiceChanges: "/changes"}
	for _, s := range land.Services() {
		doc := land.OpenAPI(s)
		title, eps, err := exchange.ParseOpenAPI(doc)
		if err != nil || title == "" || len(eps) != 1 || eps[0].Method != "GET" || eps[0].Path != paths[s] {
			t.Fatalf("%s: %q %v %v\n%s", s, title, eps, err, doc)
		}
	}
	if land.OpenAPI("nope") != "" {
		t.Fatal("unknown service described")
	}
}

func TestPurposesAreNamed(t *testing.T) {
	for _, c := range []string{"ONT", "ODT", "LUC", "LUK", "LUN", "BHK", "NHK", "CLN", "RSX", "RPH", "RDD", "NTS", "LMU", "NKH", "TSC", "DGD", "DYT", "DVH", "DTT", "SKC", "SKK", "TMD", "SKS", "DGT", "DTL"} {
		if land.Purposes[c] == "" {
			t.Errorf("%s has no name", c)
		}
	}
}
