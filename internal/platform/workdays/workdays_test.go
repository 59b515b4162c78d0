package workdays

import (
	"strings"
	"testing"
	"time"
)

// day returns midnight of a date in Vietnam.
func day(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, ict)
	if err != nil {
		panic(err)
	}
	return t
}

// at returns a date and clock time in Vietnam.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, ict)
	if err != nil {
		panic(err)
	}
	return t
}

func TestLunarNewYear(t *testing.T) {
	tests := []struct {
		year int
		want string
	}{
		{1985, "1985-01-21"}, // 20 February in the Chinese calendar
		{2007, "2007-02-17"}, // 18 February in the Chinese calendar
		{2023, "2023-01-22"},
		{2024, "2024-02-10"},
		{2025, "2025-01-29"},
		{2026, "2026-02-17"},
		{2027, "2027-02-06"},
	}
	for _, tc := range tests {
		got := LunarNewYear(tc.year)
		if got.Format("2006-01-02") != tc.want {
			t.Errorf("LunarNewYear(%d) = %s, want %s", tc.year, got.Format("2006-01-02"), tc.want)
		}
		if _, off := got.Zone(); off != 7*3600 || got.Hour() != 0 {
			t.Errorf("LunarNewYear(%d) = %v, want midnight UTC+7", tc.year, got)
		}
	}
}

func TestLunarToSolar(t *testing.T) {
	tests := []struct {
		day, month, year int
		leap             bool
		want             string
	}{
		{10, 3, 2025, false, "2025-04-07"}, // Giỗ Tổ Hùng Vương
		{10, 3, 2026, false, "2026-04-26"},
		{10, 3, 2023, false, "2023-04-29"},
		{15, 8, 2025, false, "2025-10-06"}, // Tết Trung thu
		{1, 6, 2025, true, "2025-07-25"},   // 2025 repeats month 6
		{1, 2, 2023, true, "2023-03-22"},   // 2023 repeats month 2
		{29, 12, 2024, false, "2025-01-28"},
		{29, 12, 2025, false, "2026-02-16"},
		{30, 12, 2022, false, "2023-01-21"},
	}
	for _, tc := range tests {
		got := LunarToSolar(tc.day, tc.month, tc.year, tc.leap)
		if got.Format("2006-01-02") != tc.want {
			t.Errorf("LunarToSolar(%d, %d, %d, %v) = %s, want %s", tc.day, tc.month, tc.year, tc.leap, got.Format("2006-01-02"), tc.want)
		}
	}
}

func TestLunarToSolarNoSuchDate(t *testing.T) {
	tests := []struct {
		day, month, year int
		leap             bool
	}{
		{1, 3, 2025, true},    // 2025 repeats month 6, not 3
		{1, 1, 2024, true},    // 2024 has no leap month
		{30, 12, 2024, false}, // month 12 of 2024 has 29 days
		{30, 12, 2025, false}, // and so has that of 2025
		{0, 1, 2025, false},
		{31, 1, 2025, false},
		{1, 13, 2025, false},
		{1, 0, 2025, false},
	}
	for _, tc := range tests {
		if got := LunarToSolar(tc.day, tc.month, tc.year, tc.leap); !got.IsZero() {
			t.Errorf("LunarToSolar(%d, %d, %d, %v) = %v, want zero", tc.day, tc.month, tc.year, tc.leap, got)
		}
	}
}

func TestLunarLeapMonth(t *testing.T) {
	for year, want := range map[int]int{2020: 4, 2023: 2, 2024: 0, 2025: 6, 2026: 0, 2028: 5} {
		if got := LunarLeapMonth(year); got != want {
			t.Errorf("LunarLeapMonth(%d) = %d, want %d", year, got, want)
		}
	}
}

func TestSolarToLunar(t *testing.T) {
	tests := []struct {
		in               time.Time
		day, month, year int
		leap             bool
	}{
		{day("2025-01-29"), 1, 1, 2025, false},
		{day("2025-01-28"), 29, 12, 2024, false},
		{day("2026-02-16"), 29, 12, 2025, false},
		{day("2023-01-21"), 30, 12, 2022, false},
		{day("2025-07-25"), 1, 6, 2025, true},
		{day("2025-06-25"), 1, 6, 2025, false},
		{day("1985-01-21"), 1, 1, 1985, false},
		// 20:00 UTC on 28 January is already 29 January in Vietnam.
		{time.Date(2025, 1, 28, 20, 0, 0, 0, time.UTC), 1, 1, 2025, false},
	}
	for _, tc := range tests {
		d, m, y, leap := SolarToLunar(tc.in)
		if d != tc.day || m != tc.month || y != tc.year || leap != tc.leap {
			t.Errorf("SolarToLunar(%v) = %d/%d/%d %v, want %d/%d/%d %v", tc.in, d, m, y, leap, tc.day, tc.month, tc.year, tc.leap)
		}
	}
}

func TestLunarRoundTrip(t *testing.T) {
	for n := jdn(1900, 1, 1); n <= jdn(2100, 12, 31); n += 3 {
		y, m, d := jdnDate(n)
		solar := time.Date(y, m, d, 0, 0, 0, 0, ict)
		ld, lm, ly, leap := SolarToLunar(solar)
		if back := LunarToSolar(ld, lm, ly, leap); !back.Equal(solar) {
			t.Fatalf("%s -> %d/%d/%d %v -> %s", solar.Format("2006-01-02"), ld, lm, ly, leap, back.Format("2006-01-02"))
		}
	}
}

func TestLunarYearShape(t *testing.T) {
	for year := 1900; year <= 2100; year++ {
		tet := LunarNewYear(year)
		if tet.Before(day(fmtDate(year, 1, 21))) || tet.After(day(fmtDate(year, 2, 20))) {
			t.Errorf("LunarNewYear(%d) = %s, outside 21 January - 20 February", year, tet.Format("2006-01-02"))
		}
		if d, m, y, leap := SolarToLunar(tet); d != 1 || m != 1 || y != year || leap {
			t.Errorf("SolarToLunar(LunarNewYear(%d)) = %d/%d/%d %v", year, d, m, y, leap)
		}
		months := 12
		if LunarLeapMonth(year) != 0 {
			months = 13
		}
		length := int(LunarNewYear(year+1).Sub(tet).Hours()/24 + 0.5)
		if length < months*29 || length > months*30 {
			t.Errorf("lunar year %d has %d days for %d months", year, length, months)
		}
	}
}

// fmtDate writes a date as YYYY-MM-DD.
func fmtDate(year, month, d int) string {
	return time.Date(year, time.Month(month), d, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
}

func TestHolidays2026(t *testing.T) {
	c := New()
	want := []struct {
		date string
		name string
		kind HolidayKind
	}{
		{"2026-01-01", "Tết Dương lịch", Statutory},
		{"2026-02-16", "Tết Nguyên đán", Statutory},
		{"2026-02-17", "Tết Nguyên đán", Statutory},
		{"2026-02-18", "Tết Nguyên đán", Statutory},
		{"2026-02-19", "Tết Nguyên đán", Statutory},
		{"2026-02-20", "Tết Nguyên đán", Statutory},
		{"2026-04-26", "Giỗ Tổ Hùng Vương", Statutory}, // a Sunday
		{"2026-04-27", "Nghỉ bù Giỗ Tổ Hùng Vương", Compensatory},
		{"2026-04-30", "Ngày Chiến thắng", Statutory},
		{"2026-05-01", "Ngày Quốc tế Lao động", Statutory},
		{"2026-09-01", "Quốc khánh", Statutory},
		{"2026-09-02", "Quốc khánh", Statutory},
	}
	got := c.Holidays(2026)
	if len(got) != len(want) {
		t.Fatalf("Holidays(2026) has %d days, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Date.Format("2006-01-02") != w.date || g.Name != w.name || g.Kind != w.kind {
			t.Errorf("holiday %d = %s %q %d, want %s %q %d", i, g.Date.Format("2006-01-02"), g.Name, g.Kind, w.date, w.name, w.kind)
		}
	}
}

func TestCompensatoryDays(t *testing.T) {
	tests := []struct {
		year int
		comp []string // dates of the compensatory days of the year
	}{
		// 1 January 2022 is a Saturday; 30 April and 1 May a Saturday and
		// a Sunday; Hùng Kings (10 April) a Sunday.
		{2022, []string{"2022-01-03", "2022-04-11", "2022-05-02", "2022-05-03"}},
		// 1 January 2023 is a Sunday; Tết runs from Saturday 21 to
		// Wednesday 25 January; Hùng Kings (29 April) is a Saturday and 30
		// April a Sunday, with 1 May a Monday; 2 September is a Saturday.
		{2023, []string{"2023-01-02", "2023-01-26", "2023-01-27", "2023-05-02", "2023-05-03", "2023-09-04"}},
		// Tết 2027: Friday 5 to Tuesday 9 February; Saturday 6 and Sunday 7
		// move to Wednesday 10 and Thursday 11.
		{2027, []string{"2027-02-10", "2027-02-11", "2027-05-03"}},
		// Tết 2025 runs from Tuesday 28 January to Saturday 1 February.
		{2025, []string{"2025-02-03"}},
		{2026, []string{"2026-04-27"}},
	}
	for _, tc := range tests {
		var got []string
		for _, h := range New().Holidays(tc.year) {
			if h.Kind == Compensatory {
				got = append(got, h.Date.Format("2006-01-02"))
			}
		}
		if strings.Join(got, " ") != strings.Join(tc.comp, " ") {
			t.Errorf("compensatory days of %d = %v, want %v", tc.year, got, tc.comp)
		}
	}
}

func TestHolidayAndIsWorkingDay(t *testing.T) {
	c := New()
	tests := []struct {
		date    string
		name    string
		working bool
	}{
		{"2025-01-27", "", true},
		{"2025-01-28", "Tết Nguyên đán", false},
		{"2025-02-01", "Tết Nguyên đán", false}, // Saturday, lunar 1/4
		{"2025-02-03", "Nghỉ bù Tết Nguyên đán", false},
		{"2025-02-04", "", true},
		{"2025-04-07", "Giỗ Tổ Hùng Vương", false},
		{"2025-05-03", "", false}, // a plain Saturday
		{"2025-09-01", "Quốc khánh", false},
		{"2025-09-03", "", true},
	}
	for _, tc := range tests {
		name, ok := c.Holiday(day(tc.date))
		if name != tc.name || ok != (tc.name != "") {
			t.Errorf("Holiday(%s) = %q, %v; want %q", tc.date, name, ok, tc.name)
		}
		if got := c.IsWorkingDay(day(tc.date)); got != tc.working {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", tc.date, got, tc.working)
		}
	}
}

func TestNationalDayAdjacent(t *testing.T) {
	c := New(WithNationalDayAdjacent(3), WithNationalDayAdjacentIn(2025, 1))
	tests := []struct {
		date    string
		working bool
	}{
		{"2025-09-01", false},
		{"2025-09-03", true},
		{"2026-09-01", true},
		{"2026-09-03", false},
	}
	for _, tc := range tests {
		if got := c.IsWorkingDay(day(tc.date)); got != tc.working {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", tc.date, got, tc.working)
		}
	}
}

func TestOverrides(t *testing.T) {
	c := New()
	c.AddOverride(day("2025-05-02"), true, "Nghỉ hoán đổi")
	c.AddOverride(day("2025-04-26"), false, "Làm bù")
	c.AddOverride(day("2025-04-30"), false, "")
	c.AddOverride(day("2025-01-01"), true, "ghi chú thừa")
	tests := []struct {
		date    string
		name    string
		working bool
	}{
		{"2025-05-02", "Nghỉ hoán đổi", false},
		{"2025-04-26", "", true},
		{"2025-04-30", "", true},
		{"2025-01-01", "Tết Dương lịch", false},
	}
	for _, tc := range tests {
		name, _ := c.Holiday(day(tc.date))
		if name != tc.name || c.IsWorkingDay(day(tc.date)) != tc.working {
			t.Errorf("%s: Holiday %q, working %v; want %q, %v", tc.date, name, c.IsWorkingDay(day(tc.date)), tc.name, tc.working)
		}
	}
	var decreed int
	for _, h := range c.Holidays(2025) {
		if h.Kind == Decreed {
			decreed++
		}
	}
	if decreed != 1 {
		t.Errorf("Holidays(2025) has %d decreed days, want 1", decreed)
	}
	// One working day after Thursday 1 May: Friday 2 is off by override
	// and the weekend follows, so Monday 5.
	if got := c.AddWorkingDays(day("2025-05-01"), 1); got.Format("2006-01-02") != "2025-05-05" {
		t.Errorf("AddWorkingDays = %s", got.Format("2006-01-02"))
	}
}

func TestLoadOverrides(t *testing.T) {
	c := New()
	err := c.LoadOverrides(strings.NewReader(`[
		{"date": "2025-05-02", "off": true, "note": "Nghỉ hoán đổi"},
		{"date": "2025-04-26", "off": false}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	if c.IsWorkingDay(day("2025-05-02")) || !c.IsWorkingDay(day("2025-04-26")) {
		t.Error("overrides not applied")
	}

	bad := []string{
		`{"date": "2025-05-02", "off": true}`,
		`[{"date": "2025-5-2", "off": true}]`,
		`[{"date": "2025-02-30", "off": true}]`,
		`[{"date": "2025-05-02"}]`,
		`[{"date": "2025-05-02", "of": true}]`,
		`[{"date": "2025-06-02", "off": true}, {"date": "2025-06-02", "off": false}]`,
		`[{"date": "2025-06-03", "off": true}, {"date": "bad", "off": true}]`,
	}
	for _, in := range bad {
		c := New()
		if err := c.LoadOverrides(strings.NewReader(in)); err == nil {
			t.Errorf("LoadOverrides(%s) succeeded", in)
		}
		if !c.IsWorkingDay(day("2025-06-03")) {
			t.Errorf("LoadOverrides(%s) applied part of a bad file", in)
		}
	}
}

func TestAddWorkingDays(t *testing.T) {
	c := New()
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2025-03-03 10:00", 0, "2025-03-03 10:00"},
		{"2025-03-03 10:00", 1, "2025-03-04 10:00"},
		{"2025-03-07 10:00", 1, "2025-03-10 10:00"}, // Friday to Monday
		{"2025-03-08 10:00", 1, "2025-03-10 10:00"}, // from a Saturday
		{"2025-03-07 10:00", 5, "2025-03-14 10:00"},
		{"2025-03-10 10:00", -1, "2025-03-07 10:00"},
		// Across Tết 2026 (16-20 February) and two weekends.
		{"2026-02-13 09:00", 1, "2026-02-23 09:00"},
		{"2026-02-12 09:00", 3, "2026-02-24 09:00"},
		{"2026-02-24 09:00", -2, "2026-02-13 09:00"},
		// Across Tết 2025 (28 January - 1 February, compensatory 3 February).
		{"2025-01-24 16:00", 1, "2025-01-27 16:00"},
		{"2025-01-27 16:00", 1, "2025-02-04 16:00"},
		// Across 30 April, 1 May and a weekend.
		{"2025-04-29 08:00", 1, "2025-05-02 08:00"},
	}
	for _, tc := range tests {
		got := c.AddWorkingDays(at(tc.from), tc.n)
		if got.Format("2006-01-02 15:04") != tc.want {
			t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tc.from, tc.n, got.Format("2006-01-02 15:04"), tc.want)
		}
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := New()
	tests := []struct {
		a, b string
		want int
	}{
		{"2025-03-03", "2025-03-03", 0},
		{"2025-03-03", "2025-03-04", 1},
		{"2025-03-07", "2025-03-10", 1},
		{"2025-03-07", "2025-03-09", 0},
		{"2025-03-08", "2025-03-09", 0},
		{"2025-03-03", "2025-03-31", 20},
		{"2026-02-13", "2026-02-23", 1},
		// 261 weekdays, less 1 January and the 10 weekdays off of 2026.
		{"2026-01-01", "2026-12-31", 250},
	}
	for _, tc := range tests {
		a, b := day(tc.a), day(tc.b)
		if got := c.WorkingDaysBetween(a, b); got != tc.want {
			t.Errorf("WorkingDaysBetween(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := c.WorkingDaysBetween(b, a); got != -tc.want {
			t.Errorf("WorkingDaysBetween(%s, %s) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
	start := at("2025-12-20 11:00")
	for n := 0; n <= 60; n++ {
		if got := c.WorkingDaysBetween(start, c.AddWorkingDays(start, n)); got != n {
			t.Fatalf("WorkingDaysBetween(start, AddWorkingDays(start, %d)) = %d", n, got)
		}
	}
}

func TestReceiptDayAndDueDate(t *testing.T) {
	c := New()
	tests := []struct {
		received string
		days     int
		receipt  string
		due      string
	}{
		{"2025-03-07 10:00", 1, "2025-03-07", "2025-03-10 17:00"}, // Friday morning
		{"2025-03-07 16:59", 1, "2025-03-07", "2025-03-10 17:00"},
		{"2025-03-07 17:00", 1, "2025-03-10", "2025-03-11 17:00"}, // Friday at closing time
		{"2025-03-07 18:30", 1, "2025-03-10", "2025-03-11 17:00"}, // Friday evening: from Monday
		{"2025-03-08 09:00", 1, "2025-03-10", "2025-03-11 17:00"}, // Saturday
		{"2025-03-10 06:00", 0, "2025-03-10", "2025-03-10 17:00"}, // before opening
		{"2025-03-10 09:00", 3, "2025-03-10", "2025-03-13 17:00"},
		{"2026-02-13 18:00", 2, "2026-02-23", "2026-02-25 17:00"}, // evening before Tết
		{"2026-02-17 09:00", 1, "2026-02-23", "2026-02-24 17:00"}, // during Tết
		{"2026-02-12 10:00", 5, "2026-02-12", "2026-02-26 17:00"},
		{"2025-03-10 09:00", -4, "2025-03-10", "2025-03-10 17:00"},
	}
	for _, tc := range tests {
		r := at(tc.received)
		if got := c.ReceiptDay(r); got.Format("2006-01-02 15:04") != tc.receipt+" 00:00" {
			t.Errorf("ReceiptDay(%s) = %s, want %s", tc.received, got.Format("2006-01-02 15:04"), tc.receipt)
		}
		if got := c.DueDate(r, tc.days); got.Format("2006-01-02 15:04") != tc.due {
			t.Errorf("DueDate(%s, %d) = %s, want %s", tc.received, tc.days, got.Format("2006-01-02 15:04"), tc.due)
		}
	}
	// The same instant given in UTC: 11:30 UTC is 18:30 in Vietnam.
	if got := c.ReceiptDay(time.Date(2025, 3, 7, 11, 30, 0, 0, time.UTC)); got.Format("2006-01-02") != "2025-03-10" {
		t.Errorf("ReceiptDay(UTC) = %s", got.Format("2006-01-02"))
	}
}

func TestIsOpen(t *testing.T) {
	c := New()
	tests := []struct {
		at   string
		open bool
	}{
		{"2025-03-07 07:29", false},
		{"2025-03-07 07:30", true},
		{"2025-03-07 12:00", true},
		{"2025-03-07 17:00", false},
		{"2025-03-08 10:00", false},
		{"2025-04-30 10:00", false},
	}
	for _, tc := range tests {
		if got := c.IsOpen(at(tc.at)); got != tc.open {
			t.Errorf("IsOpen(%s) = %v, want %v", tc.at, got, tc.open)
		}
	}
}

func TestOptions(t *testing.T) {
	c := New(
		WithWeekend(time.Sunday),
		WithOfficeHours(OfficeHours{Open: 8 * time.Hour, Close: 16*time.Hour + 30*time.Minute}),
	)
	if !c.IsWorkingDay(day("2025-03-08")) || c.IsWorkingDay(day("2025-03-09")) {
		t.Error("Saturday should be working and Sunday off")
	}
	// With a six-day week, 1 May 2022 (Sunday) moves to Monday 2 May but 30
	// April (Saturday) stays a plain holiday.
	var comp []string
	for _, h := range c.Holidays(2022) {
		if h.Kind == Compensatory && h.Date.Month() == time.May {
			comp = append(comp, h.Date.Format("2006-01-02"))
		}
	}
	if strings.Join(comp, " ") != "2022-05-02" {
		t.Errorf("compensatory days = %v", comp)
	}
	if got := c.DueDate(at("2025-03-07 16:45"), 1); got.Format("2006-01-02 15:04") != "2025-03-10 16:30" {
		t.Errorf("DueDate = %s", got.Format("2006-01-02 15:04"))
	}
	if c.OfficeHours().Close != 16*time.Hour+30*time.Minute || c.Location() != ict {
		t.Error("accessors")
	}

	for name, f := range map[string]func(){
		"all week off":    func() { WithWeekend(0, 1, 2, 3, 4, 5, 6) },
		"nil location":    func() { WithLocation(nil) },
		"bad weekday":     func() { WithWeekend(7) },
		"hours reversed":  func() { WithOfficeHours(OfficeHours{Open: 17 * time.Hour, Close: 8 * time.Hour}) },
		"national day 4":  func() { WithNationalDayAdjacent(4) },
		"national day in": func() { WithNationalDayAdjacentIn(2025, 2) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestLocation(t *testing.T) {
	utc := New(WithLocation(time.UTC))
	// 20:00 UTC on Tuesday 27 January 2025 is Tết (28 January) in Vietnam
	// but still 27 January for a calendar kept in UTC.
	instant := time.Date(2025, 1, 27, 20, 0, 0, 0, time.UTC)
	if New().IsWorkingDay(instant) {
		t.Error("Vietnamese calendar: want Tết")
	}
	if !utc.IsWorkingDay(instant) {
		t.Error("UTC calendar: want a working day")
	}
}
