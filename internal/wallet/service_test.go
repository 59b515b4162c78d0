package wallet

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/registry"
	"github.com/vngov/vngov/internal/registry/population"
)

const (
	holder  = "001089012345"
	another = "001090000001"
	uri     = "000.00.92.H26-TLKS-ABCDEFGHIJKLMNOP"
)

var pdf = []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n")

func migrate(t testing.TB, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, "bus", bus.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "audit", audit.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "wallet", Migrations()); err != nil {
		t.Fatal(err)
	}
}

// fakeResults serves one issued document to its holder.
type fakeResults struct{}

func (fakeResults) HolderPDF(_ context.Context, holderID, u string) (string, []byte, error) {
	if holderID != holder || u != uri {
		return "", nil, fault.NotFoundf("result.not_found", "Không có", "no %s", u)
	}
	return u + ".pdf", pdf, nil
}

func issuedEvent(id, holderID, u string) bus.Event {
	data, _ := json.Marshal(map[string]any{"uri": u, "holder_id": holderID, "holder_name": "Nguyễn Văn Minh", "agency": "000.00.92.H26",
		"agency_name": "Ủy ban nhân dân Phường Ba Đình", "doc_type": "TLKS", "title": "Trích lục khai sinh", "dossier_code": "000.00.92.H26-260302-0001",
		"issued_at": time.Now().UTC(), "sha256": "ab", "size": len(pdf)})
	return bus.Event{ID: id, Type: "result.issued", Source: "result", Subject: u, Data: data}
}

func count(t testing.TB, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var me = audit.Actor{Subject: holder, SourceIP: "127.0.0.1"}

func TestIssuedDocumentsArriveOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrate(t, db)
		s := New(db)
		s.Results = fakeResults{}
		// The same event three times, and the same document in another
		// event (a re-emitted copy): one item.
		for _, id := range []string{"e1", "e1", "e1", "e2"} {
			if err := s.Handle(ctx, issuedEvent(id, holder, uri)); err != nil {
				t.Fatal(err)
			}
		}
		items, err := s.Items(ctx, holder)
		if err != nil || len(items) != 1 {
			t.Fatalf("items %+v %v", items, err)
		}
		it := items[0]
		if it.Kind != KindIssued || it.Ref != uri || it.URI != uri || it.Title != "Trích lục khai sinh" || it.IssuerName != "Ủy ban nhân dân Phường Ba Đình" || it.IssuedAt == nil {
			t.Fatalf("item %+v", it)
		}
		_, data, err := s.Content(ctx, holder, it.ID)
		if err != nil || !bytes.Equal(data, pdf) {
			t.Fatalf("content: %v", err)
		}
		// Another holder sees nothing of it.
		if _, err := s.Item(ctx, another, it.ID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("another holder's item: %v", err)
		}
		if _, _, err := s.Content(ctx, another, it.ID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("another holder's content: %v", err)
		}
		if err := s.Delete(ctx, me, another, it.ID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("another holder deletes: %v", err)
		}
		if items, _ := s.Items(ctx, another); len(items) != 0 {
			t.Fatal("another holder lists it")
		}
		// An issued document is not deleted; revocation marks it.
		if err := s.Delete(ctx, me, holder, it.ID); !fault.Is(err, fault.Conflict) {
			t.Fatalf("delete issued: %v", err)
		}
		rev, _ := json.Marshal(map[string]any{"uri": uri, "holder_id": holder, "agency": "000.00.92.H26", "reason": "Cấp nhầm", "revoked_at": time.Now().UTC()})
		for range 2 {
			if err := s.Handle(ctx, bus.Event{ID: "e3", Type: "result.revoked", Data: rev}); err != nil {
				t.Fatal(err)
			}
		}
		it, _ = s.ByRef(ctx, holder, uri)
		if !it.Revoked || it.Reason != "Cấp nhầm" {
			t.Fatalf("revoked item %+v", it)
		}
		// Junk is dropped, not retried.
		if err := s.Handle(ctx, bus.Event{ID: "e4", Type: "result.issued", Data: json.RawMessage(`{"uri":"x","holder_id":"../1"}`)}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM wallet_item"); n != 1 {
			t.Fatalf("%d items", n)
		}
	})
}

func TestKeepUploads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrate(t, db)
		s := New(db)
		png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
		it, err := s.Keep(ctx, me, holder, "Sổ hộ khẩu (cũ).png", png)
		if err != nil {
			t.Fatal(err)
		}
		if it.Kind != KindUploaded || it.FileName != "Sổ hộ khẩu (cũ).png" || it.ContentType != "image/png" || !strings.HasPrefix(it.Ref, "wallet-") || it.Size != int64(len(png)) {
			t.Fatalf("kept %+v", it)
		}
		got, err := s.ByRef(ctx, holder, it.Ref)
		if err != nil || got.ID != it.ID {
			t.Fatalf("by ref: %v", err)
		}
		_, data, err := s.Content(ctx, holder, it.ID)
		if err != nil || !bytes.Equal(data, png) {
			t.Fatalf("content %v", err)
		}
		for name, c := range map[string]struct {
			file string
			data []byte
			kind fault.Kind
		}{
			"path":      {"../../etc/passwd.pdf", pdf, fault.Invalid},
			"separator": {`a\b.pdf`, pdf, fault.Invalid},
			"type":      {"a.pdf", []byte("MZ\x90\x00 an executable"), fault.Invalid},
			"empty":     {"a.pdf", nil, fault.Invalid},
			"too large": {"a.pdf", append(bytes.Clone(pdf), make([]byte, MaxFileSize)...), fault.TooLarge},
		} {
			if _, err := s.Keep(ctx, me, holder, c.file, c.data); !fault.Is(err, c.kind) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM wallet_item"); n != 1 {
			t.Fatalf("refused uploads left %d items", n)
		}
		if err := s.Delete(ctx, me, holder, it.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Item(ctx, holder, it.ID); !fault.Is(err, fault.NotFound) {
			t.Fatal("deleted item still there")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action IN ('wallet.keep', 'wallet.delete')"); n != 2 {
			t.Fatalf("%d audit rows", n)
		}
	})
}

func TestConsents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrate(t, db)
		s := New(db)
		c := Consent{Purpose: "Nộp hồ sơ trực tuyến thủ tục 1.001193 Đăng ký khai sinh", Recipient: "Cổng Dịch vụ công quốc gia",
			Data: []string{"Họ, chữ đệm và tên", "Ngày sinh", "Nơi thường trú"}, Source: "Cơ sở dữ liệu quốc gia về dân cư (Bộ Công an)", Procedure: "1.001193"}
		a, err := s.Grant(ctx, me, holder, c)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Grant(ctx, me, holder, c)
		if err != nil || b.ID != a.ID {
			t.Fatalf("the same consent again: %+v %v", b, err)
		}
		if _, err := s.Grant(ctx, me, holder, Consent{Purpose: " ", Data: nil}); !fault.Is(err, fault.Invalid) {
			t.Fatalf("empty consent: %v", err)
		}
		if _, err := s.Withdraw(ctx, me, another, a.ID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("another holder withdraws: %v", err)
		}
		w, err := s.Withdraw(ctx, me, holder, a.ID)
		if err != nil || w.Active() {
			t.Fatalf("withdraw: %+v %v", w, err)
		}
		if _, err := s.Withdraw(ctx, me, holder, a.ID); !fault.Is(err, fault.Conflict) {
			t.Fatalf("withdraw twice: %v", err)
		}
		// Given again after the withdrawal: a new consent.
		d, err := s.Grant(ctx, me, holder, c)
		if err != nil || d.ID == a.ID {
			t.Fatalf("granted again: %+v %v", d, err)
		}
		cs, err := s.Consents(ctx, holder)
		if err != nil || len(cs) != 2 || !cs[0].Active() || cs[1].Active() || len(cs[0].Data) != 3 {
			t.Fatalf("consents %+v %v", cs, err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM bus_outbox WHERE type LIKE 'wallet.consent_%'"); n != 3 {
			t.Fatalf("%d consent events", n)
		}
		if cs, _ := s.Consents(ctx, another); len(cs) != 0 {
			t.Fatal("another holder sees consents")
		}
	})
}

// anyCode accepts every catalog code.
type anyCode struct{}

func (anyCode) Valid(context.Context, string, string, string) bool { return true }

type names map[string]string

func (n names) Name(_ context.Context, list, code string) (string, bool) {
	v, ok := n[list+"/"+code]
	return v, ok
}

// TestTrackerOverExchange reads the access log from the population
// registry's own handler, mounted where the gateway's client side would
// forward it, so the request the wallet makes (service, path, purpose
// headers) is the one the registry accepts.
func TestTrackerOverExchange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrate(t, db)
		if err := db.Migrate(ctx, "registry", registry.Migrations()); err != nil {
			t.Fatal(err)
		}
		pop := population.New(db, anyCode{})
		minh := population.Person{ID: holder, FullName: "Nguyễn Văn Minh", BirthDate: "1989-05-12", Sex: population.Male, Ethnicity: "01", Religion: "00",
			Nationality: "VN", BirthPlace: "00004", HomeTown: "00004", Permanent: population.Address{Commune: "00004", Street: "Số 8 phố Quán Thánh"},
			MaritalStatus: "single", Status: population.Living}
		if _, err := pop.Create(ctx, audit.Actor{Subject: "test"}, minh, "test"); err != nil {
			t.Fatal(err)
		}
		// Hà Nội's one-stop system reads his record for a dossier.
		if _, err := pop.Get(ctx, holder, registry.Purpose{Client: "VN-TEST/GOV/000.00.00.H26/MOTCUA", UserID: "VN001080000099", Issue: "000.00.92.H26-260302-0001", Service: "nguoi-dan"}); err != nil {
			t.Fatal(err)
		}
		prefix := "/r1/VN-TEST/GOV/000.00.00.G91/CSDLQGDC"
		mux := http.NewServeMux()
		population.NewAPI(pop).Routes(mux, prefix)
		var gotClient, gotUser string
		gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gotClient, gotUser = r.Header.Get("X-Road-Client"), r.Header.Get("X-Road-UserId")
			mux.ServeHTTP(w, r)
		}))
		defer gw.Close()
		s := New(db)
		s.Tracker = ExchangeTracker{Client: &exchange.Client{Gateway: gw.URL, As: "VN-TEST/GOV/000.00.00.G22/CONGDVCQG"},
			Service: "VN-TEST/GOV/000.00.00.G91/CSDLQGDC/nhat-ky-truy-cap", Names: names{"agencies/000.00.00.H26": "Ủy ban nhân dân Thành phố Hà Nội"}}
		var page AccessPage
		var err error
		for range 100 { // the registry's log is group-committed
			if page, err = s.AccessLog(ctx, holder, 10, 0); err != nil || len(page.Items) > 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		if gotClient != "VN-TEST/GOV/000.00.00.G22/CONGDVCQG" || gotUser != "VN"+holder {
			t.Fatalf("called as %q for %q", gotClient, gotUser)
		}
		if len(page.Items) != 1 || page.More {
			t.Fatalf("page %+v", page)
		}
		a := page.Items[0]
		if a.Agency != "000.00.00.H26" || a.AgencyName != "Ủy ban nhân dân Thành phố Hà Nội" || a.Official != "VN001080000099" || a.Purpose != "000.00.92.H26-260302-0001" ||
			a.Self || a.Registry != "population" || a.RegistryName == "" || len(a.Fields) == 0 {
			t.Fatalf("access %+v", a)
		}
		// Nobody read another person: an empty log, not an error.
		if page, err := s.AccessLog(ctx, another, 10, 0); err != nil || len(page.Items) != 0 {
			t.Fatalf("unknown person: %+v %v", page, err)
		}
		// Without a tracker: a clear fault.
		s.Tracker = nil
		if _, err := s.AccessLog(ctx, holder, 10, 0); !fault.Is(err, fault.Unavailable) {
			t.Fatalf("no tracker: %v", err)
		}
	})
}
