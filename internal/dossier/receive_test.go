package dossier

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// testPrefiller answers for one citizen and records the purposes asked.
type testPrefiller struct {
	mu       sync.Mutex
	purposes []Purpose
}

func (tp *testPrefiller) Person(ctx context.Context, id string, p Purpose) (map[string]any, error) {
	tp.mu.Lock()
	tp.purposes = append(tp.purposes, p)
	tp.mu.Unlock()
	if id != citizen {
		return nil, fault.NotFoundf("prefill.not_found", "Không tìm thấy công dân có số định danh "+id+" trong Cơ sở dữ liệu quốc gia về dân cư", "no person %s", id)
	}
	return map[string]any{"id": citizen, "full_name": "Nguyễn Văn Bình", "birth_date": "1985-02-03",
		"permanent_residence": map[string]any{"commune": "00004", "street": "Số 9 phố Kim Mã"}}, nil
}

func TestDeskReceive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, c, _ := newDeskServer(t, db)
		b := &deskBrowser{t: t, base: srv.URL, client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		if p := b.do("POST", "/motcua/signin", url.Values{"token": {"tok"}, "next": {"/motcua/"}}); p.status != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", p.status)
		}

		p := b.do("GET", "/motcua/receive", nil)
		if p.status != 200 {
			t.Fatalf("form: %d %s", p.status, p.body)
		}
		has(t, "no prefiller", p, `value="1.001612"`, "Lấy thông tin từ Cơ sở dữ liệu quốc gia về dân cư", "prefill không khả dụng")

		tp := &testPrefiller{}
		c.Prefill = tp
		p = b.do("POST", "/motcua/receive", url.Values{"step": {"prefill"}, "procedure": {"1.001612"}, "applicant": {citizen}})
		if p.status != 200 {
			t.Fatalf("prefill: %d %s", p.status, p.body)
		}
		has(t, "prefilled", p, `value="Nguyễn Văn Bình"`, `value="1985-02-03"`, `value="Số 9 phố Kim Mã"`, "Lấy từ CSDL dân cư", `name="form.business_name"`)
		if len(tp.purposes) != 1 || tp.purposes[0].Issue != "Tiếp nhận hồ sơ trực tiếp: 1.001612" || tp.purposes[0].Official == "" {
			t.Fatalf("purpose: %+v", tp.purposes)
		}

		p = b.do("POST", "/motcua/receive", url.Values{"step": {"prefill"}, "procedure": {"1.001612"}, "applicant": {"001099999999"}})
		if p.status != http.StatusNotFound {
			t.Fatalf("prefill not found: %d", p.status)
		}
		has(t, "prefill error", p, "Không lấy được thông tin từ Cơ sở dữ liệu quốc gia về dân cư", "Không tìm thấy công dân có số định danh 001099999999")

		form := url.Values{"step": {"submit"}, "procedure": {"1.001612"}, "applicant": {citizen}, "prefilled": {"1"},
			"form.applicant_id": {citizen}, "form.applicant_full_name": {"Nguyễn Văn Bình"}, "form.applicant_birth_date": {"1985-02-03"},
			"form.applicant_permanent_commune": {"00004"}, "form.applicant_permanent_street": {"Số 9 phố Kim Mã"}, "form.applicant_email": {"binh@example.vn"},
			"form.business_address_commune": {"00004"}, "form.business_address_street": {"Số 3 phố Đội Cấn"},
			"form.business_lines": {"5610, 4722"}, "form.capital": {"50000000"}}
		p = b.do("POST", "/motcua/receive", form)
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("missing business name: %d %s", p.status, p.body)
		}
		has(t, "invalid", p, `href="#form.business_name"`, `aria-invalid="true"`, `value="Số 9 phố Kim Mã"`)

		form.Set("form.business_name", "Hộ kinh doanh Bình An")
		p = b.do("POST", "/motcua/receive", form)
		loc := p.h.Get("Location")
		if p.status != http.StatusSeeOther || !strings.HasSuffix(loc, "/receipt") {
			t.Fatalf("submit: %d %q %s", p.status, loc, p.body)
		}
		code := strings.TrimSuffix(strings.TrimPrefix(loc, "/motcua/dossiers/"), "/receipt")
		d, err := c.Svc.Get(t.Context(), code)
		if err != nil {
			t.Fatal(err)
		}
		if d.Channel != ChannelInPerson || d.Applicant.ID != citizen || d.Applicant.Name != "Nguyễn Văn Bình" {
			t.Fatalf("dossier: channel %d applicant %+v", d.Channel, d.Applicant)
		}
		p = b.do("GET", loc, nil)
		if p.status != 200 {
			t.Fatalf("receipt: %d %s", p.status, p.body)
		}
		has(t, "receipt", p, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", code, "Nguyễn Văn Bình", "Đăng ký thành lập hộ kinh doanh",
			vnTime(d.ReceivedAt), vnTime(d.DueAt), "data-print")
	})
}
