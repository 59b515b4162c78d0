package monitor

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]string{
		"2026-11": "2026-11-01/2026-12-01 month", "2026-12": "2026-12-01/2027-01-01 month",
		"2026-Q4": "2026-10-01/2027-01-01 quarter", "2026-q1": "2026-01-01/2026-04-01 quarter",
		"2026": "2026-01-01/2027-01-01 year",
	} {
		p, err := ParsePeriod(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := p.From.Format("2006-01-02") + "/" + p.To.Format("2006-01-02") + " " + p.Kind; got != want {
			t.Errorf("%s = %s, want %s", in, got, want)
		}
		if _, off := p.From.Zone(); off != 7*3600 {
			t.Errorf("%s starts at UTC%+d, want UTC+7", in, off/3600)
		}
	}
	for _, bad := range []string{"", "2026-13", "2026-Q5", "26-11", "2026/11", "1999"} {
		if _, err := ParsePeriod(bad); !fault.Is(err, fault.Invalid) {
			t.Errorf("%q: %v, want an invalid-input fault", bad, err)
		}
	}
	if p, _ := ParsePeriod("2026-01"); p.Previous().Code != "2025-12" {
		t.Errorf("before 2026-01: %s", p.Previous().Code)
	}
	if p, _ := ParsePeriod("2026-Q1"); p.Previous().Code != "2025-Q4" {
		t.Errorf("before 2026-Q1: %s", p.Previous().Code)
	}
}

func TestScope(t *testing.T) {
	cases := []struct {
		scope  string
		covers map[string]bool
	}{
		{"000.00.00.H26", map[string]bool{"000.00.00.H26": true, "000.00.92.H26": true, "000.05.92.H26": true, "000.00.00.H49": false, "000.00.00.G26": false}},
		{"000.00.92.H26", map[string]bool{"000.00.92.H26": true, "000.05.92.H26": true, "000.00.00.H26": false, "000.00.192.H26": false}},
		{"000.05.92.h26", map[string]bool{"000.05.92.H26": true, "001.05.92.H26": true, "000.06.92.H26": false}},
		{"001.05.92.H26", map[string]bool{"001.05.92.H26": true, "002.05.92.H26": false}},
		{"", map[string]bool{"000.00.00.G22": true}},
	}
	for _, c := range cases {
		sc, err := ParseScope(c.scope)
		if err != nil {
			t.Fatalf("%s: %v", c.scope, err)
		}
		for agency, want := range c.covers {
			if got := sc.Covers(agency); got != want {
				t.Errorf("%s covers %s = %v, want %v", c.scope, agency, got, want)
			}
		}
	}
	for _, bad := range []string{"H26", "000.00.00", "000.00.00.H2", "'; DROP TABLE mon_month; --"} {
		if _, err := ParseScope(bad); !fault.Is(err, fault.Invalid) {
			t.Errorf("%q: %v, want an invalid-input fault", bad, err)
		}
	}
}

// TestScopeSQL checks that the SQL conditions select what Covers says.
func TestScopeSQL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newTestService(t, db, goldenNow)
		for _, ev := range readEvents(t, "testdata/golden/events.jsonl") {
			if err := s.Apply(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		for _, code := range []string{"", "000.00.00.H26", "000.00.92.H26", "000.00.90.H26", "000.00.00.H49", "000.00.00.G22"} {
			sc, _ := ParseScope(code)
			cond, args := sc.where("agency")
			rows, err := db.Query(ctx, "SELECT agency FROM mon_dossier WHERE "+cond, args...)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var a string
				rows.Scan(&a)
				if !sc.Covers(a) {
					t.Errorf("%s selects %s", code, a)
				}
				n++
			}
			rows.Close()
			want := map[string]int{"": 12, "000.00.00.H26": 11, "000.00.92.H26": 10, "000.00.90.H26": 1, "000.00.00.H49": 1, "000.00.00.G22": 0}[code]
			if n != want {
				t.Errorf("%q selects %d dossiers, want %d", code, n, want)
			}
		}
	})
}

func TestVisits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newTestService(t, db, goldenNow)
		for range 3 {
			s.Visit("/thu-tuc/1.001193")
		}
		s.Visit("")
		s.Visit(strings.Repeat("ă", 300))
		if err := s.FlushVisits(ctx); err != nil {
			t.Fatal(err)
		}
		s.Visit("/thu-tuc/1.001193")
		if err := s.FlushVisits(ctx); err != nil {
			t.Fatal(err)
		}
		p, _ := ParsePeriod("2026-12")
		visits, total, err := s.visitsIn(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if total != 6 || visits[0].Page != "/thu-tuc/1.001193" || visits[0].Visits != 4 {
			t.Errorf("visits %+v, total %d", visits, total)
		}
		for _, v := range visits {
			if len(v.Page) > 200 {
				t.Errorf("a page name of %d bytes was kept", len(v.Page))
			}
		}
	})
}

// TestAPI checks the public reads, the CSV form, the overdue list's
// credential, and the EMC figures with exchange traffic.
func TestAPI(t *testing.T) {
	st := newSite(t)
	st.s.UseTraffic(TrafficFunc(func(ctx context.Context, from, to time.Time) (ServiceCalls, error) {
		if !from.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, Zone)) {
			t.Errorf("traffic asked from %s", from)
		}
		return ServiceCalls{Services: []ServiceCount{{Service: "VN-TEST/GOV/000.00.00.G91/CSDLQGDC/nguoi-dan", Calls: 7, Failed: 1}}}, nil
	}))
	res, body := st.get(t, "/monitor/v1/index766?agency=000.00.00.H26&period=2026-11")
	var ix Index
	if res.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &ix) != nil || ix.Total == nil || *ix.Total != 77.12 || ix.Scope != "province" || ix.Province != "01" {
		t.Errorf("index: %d %s", res.StatusCode, body)
	}
	res, body = st.get(t, "/monitor/v1/index766?agency=HN&period=2026-11")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Header.Get("Content-Type"), "problem+json") || !strings.Contains(body, "Mã cơ quan") {
		t.Errorf("bad agency: %d %s", res.StatusCode, body)
	}
	res, body = st.get(t, "/monitor/v1/index766/ranking?period=2026-11&format=csv")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(body, "\uFEFFrank,agency,name,province,period,total") {
		t.Errorf("ranking CSV: %d %q", res.StatusCode, body[:min(len(body), 80)])
	}
	var rk Ranking
	_, body = st.get(t, "/monitor/v1/index766/ranking?period=2026-11")
	if json.Unmarshal([]byte(body), &rk) != nil || len(rk.Provinces) != 2 || rk.Provinces[0].Agency != "000.00.00.H49" {
		t.Errorf("ranking: %s", body)
	}
	var ag struct{ Items []Index }
	_, body = st.get(t, "/monitor/v1/index766/agencies?agency=000.00.00.H26&period=2026-11")
	if json.Unmarshal([]byte(body), &ag) != nil || len(ag.Items) != 2 || ag.Items[0].Agency != "000.00.90.H26" {
		t.Errorf("agencies: %s", body)
	}
	var e EMC
	_, body = st.get(t, "/monitor/v1/emc?agency=000.00.00.H26&period=2026-11")
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatal(err)
	}
	if e.Totals.Procedures != 4 || e.Totals.Full != 2 || e.Totals.Partial != 2 || e.Totals.Received != 10 || e.Totals.Online != 8 || e.Totals.OnlineRate != 80 {
		t.Errorf("EMC totals %+v", e.Totals)
	}
	if e.Exchange == nil || len(e.Exchange.Services) != 1 || e.Exchange.Services[0].Calls != 7 {
		t.Errorf("EMC exchange %+v", e.Exchange)
	}
	res, _ = st.get(t, "/monitor/v1/emc?format=csv&table=other")
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("EMC bad table: %d", res.StatusCode)
	}
	// The overdue list needs the token.
	res, _ = st.get(t, "/monitor/v1/overdue")
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("overdue without a token: %d", res.StatusCode)
	}
	req, _ := http.NewRequest("GET", st.srv.URL+"/monitor/v1/overdue?agency=000.00.00.H26", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	r, err := st.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page OverduePage
	json.NewDecoder(r.Body).Decode(&page)
	r.Body.Close()
	if r.StatusCode != http.StatusOK || page.Total != 1 || page.Items[0].Code != "000.00.92.H26-261125-0001" || page.Items[0].DaysLate != 9 {
		t.Errorf("overdue: %d %+v", r.StatusCode, page)
	}
	res, _ = st.get(t, "/monitor/v1/nothing")
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown path: %d", res.StatusCode)
	}
}
