package monitor

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/catalog"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/procedure"
)

// fakeProcedures is a procedures database of four procedures: two of
// communes (fully and partly online), two of provinces (one incomplete:
// no legal basis).
type fakeProcedures map[string]procedure.Procedure

func testProcedures() fakeProcedures {
	pub := time.Date(2026, 1, 5, 9, 0, 0, 0, Zone)
	p := func(code, level, online string, fee int64, days int, legal bool) procedure.Procedure {
		pr := procedure.Procedure{Code: code, Name: "Thủ tục " + code, Sector: "Hộ tịch", Levels: []string{level}, WhoCanApply: "Công dân Việt Nam",
			TimeLimit: days, Documents: []procedure.Document{{Code: "to-khai", Name: "Tờ khai", Copies: 1, Required: true}},
			Form: json.RawMessage(`{"type":"object"}`), OnlineLevel: online, Assurance: "urn:vn:loa:2", Result: "Giấy chứng nhận",
			Workflow: procedure.Workflow{Steps: []procedure.Step{{Code: "tiep-nhan", Name: "Tiếp nhận", Role: "receptionist", Budget: 1}}},
			Version:  1, PublishedAt: &pub}
		if legal {
			pr.LegalBasis = []string{"Luật Hộ tịch 2014"}
		}
		if fee > 0 {
			pr.Fees = []procedure.Fee{{Name: "Lệ phí", Amount: fee}}
		}
		return pr
	}
	return fakeProcedures{
		"1.000001": p("1.000001", "commune", "full", 0, 3, true),
		"1.000002": p("1.000002", "commune", "partial", 50000, 5, true),
		"2.000003": p("2.000003", "province", "full", 100000, 10, false),
		"3.000004": p("3.000004", "province", "partial", 0, 7, true),
	}
}

func (f fakeProcedures) Search(_ context.Context, q procedure.Query) ([]procedure.Summary, int, error) {
	var out []procedure.Summary
	for _, p := range f {
		out = append(out, procedure.Summary{Code: p.Code, Name: p.Name, Levels: p.Levels, OnlineLevel: p.OnlineLevel, TimeLimit: p.TimeLimit, Version: p.Version})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	total := len(out)
	if q.Offset >= total {
		return nil, total, nil
	}
	return out[q.Offset:min(total, q.Offset+q.Limit)], total, nil
}

func (f fakeProcedures) Get(_ context.Context, code string) (procedure.Procedure, error) {
	p, ok := f[code]
	if !ok {
		return p, fmt.Errorf("no procedure %s", code)
	}
	return p, nil
}

// fakeCatalog holds Hà Nội (with its Department of Justice and the Ba Đình
// ward) and Quảng Ninh.
type fakeCatalog struct{}

func (fakeCatalog) Items(_ context.Context, list string, q catalog.ItemQuery) (catalog.ItemPage, error) {
	var items []catalog.Item
	switch list {
	case "agencies":
		items = []catalog.Item{
			{Code: "000.00.00.H26", Name: "Ủy ban nhân dân Thành phố Hà Nội", NameEn: "Hanoi People's Committee", Level: "province", Attributes: map[string]any{"admin_unit": "01"}},
			{Code: "000.00.00.H49", Name: "Ủy ban nhân dân Tỉnh Quảng Ninh", NameEn: "Quang Ninh Provincial People's Committee", Level: "province", Attributes: map[string]any{"admin_unit": "22"}},
			{Code: "000.00.90.H26", Name: "Sở Tư pháp Thành phố Hà Nội", NameEn: "Hanoi Department of Justice", Parent: "000.00.00.H26", Level: "department", Attributes: map[string]any{"admin_unit": "01"}},
			{Code: "000.00.92.H26", Name: "Ủy ban nhân dân Phường Ba Đình", NameEn: "Ba Dinh Ward People's Committee", Parent: "000.00.00.H26", Level: "commune", Attributes: map[string]any{"admin_unit": "00004"}},
		}
	case "admin-units":
		items = []catalog.Item{{Code: "01", Name: "Thành phố Hà Nội", Level: "province"}, {Code: "22", Name: "Tỉnh Quảng Ninh", Level: "province"}}
	}
	var out []catalog.Item
	for _, it := range items {
		if q.Level == "" || it.Level == q.Level {
			out = append(out, it)
		}
	}
	return catalog.ItemPage{List: list, Total: len(out), Limit: q.Limit, Offset: q.Offset, Items: out[min(q.Offset, len(out)):]}, nil
}

// logSource is an event log held in memory.
type logSource struct{ evs []bus.Event }

func (l *logSource) EventLog(_ context.Context, after int64, limit int) ([]bus.Event, int64, error) {
	if after >= int64(len(l.evs)) {
		return nil, after, nil
	}
	end := min(int64(len(l.evs)), after+int64(limit))
	return l.evs[after:end], end, nil
}

// readEvents reads a JSON-lines file of dossier snapshots as events.
func readEvents(t testing.TB, path string) []bus.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []bus.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var head struct {
			Code, Action string
			Version      int
			At           time.Time
		}
		if err := json.Unmarshal([]byte(line), &head); err != nil {
			t.Fatal(err)
		}
		out = append(out, bus.Event{ID: fmt.Sprintf("ev-%d", len(out)+1), Type: EventPrefix + head.Action, Source: "dossier", Subject: head.Code,
			Time: head.At, Data: json.RawMessage(line)})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// newTestService returns a migrated monitor over db with the fakes, its
// clock at now.
func newTestService(t testing.TB, db *store.DB, now time.Time) *Service {
	t.Helper()
	if err := db.Migrate(context.Background(), "monitor", Migrations()); err != nil {
		t.Fatal(err)
	}
	s := New(db, nil, nil)
	s.now = func() time.Time { return now }
	s.UseProcedures(testProcedures())
	s.UseCatalog(fakeCatalog{})
	return s
}

// tableRows returns the rows of a monitor table as sorted strings, leaving
// out counter rows that are all zero.
func tableRows(t testing.TB, db *store.DB, table, cols string) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), "SELECT "+cols+" FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := len(strings.Split(cols, ","))
	var out []string
	for rows.Next() {
		vals := make([]any, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var parts []string
		allZero := true
		for i, v := range vals {
			s := fmt.Sprint(v)
			if b, ok := v.([]byte); ok {
				s = string(b)
			}
			if i >= 4 && s != "0" {
				allZero = false
			}
			parts = append(parts, s)
		}
		if table == "mon_month" && allZero {
			continue
		}
		out = append(out, strings.Join(parts, "|"))
	}
	sort.Strings(out)
	return out
}
