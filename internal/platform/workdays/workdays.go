// Package workdays is the Vietnamese working-day calendar (lịch làm việc):
// weekly rest days, the public holidays of the Labour Code, compensatory
// days off, per-year decisions that move days, office hours, and the
// appointment date of a dossier counted in working days.
//
// The holidays are those of Article 112(1) of the Labour Code 2019
// (Bộ luật Lao động số 45/2019/QH14):
//
//   - Tết Dương lịch: 1 January;
//   - Tết Nguyên đán: five days; the Prime Minister fixes them each year
//     (Article 112(3)), and this package uses the usual arrangement, the
//     last day of the lunar year and lunar 1 to 4 of month 1;
//   - Giỗ Tổ Hùng Vương: the 10th day of the 3rd lunar month;
//   - Ngày Chiến thắng: 30 April;
//   - Ngày Quốc tế Lao động: 1 May;
//   - Quốc khánh: 2 September and one adjacent day, which the Prime
//     Minister also fixes each year; this package uses 1 September unless
//     configured otherwise.
//
// When one of these days falls on a weekly rest day, the next working day
// is a compensatory day off (nghỉ bù, Article 111(3)); several such days
// take the following working days in turn.
//
// The decisions that swap or add days off each year are data, loaded with
// AddOverride or LoadOverrides; none is built in. An overrides file is a
// JSON array of days, each with its date, whether it is off, and an
// optional Vietnamese note; every entry needs "off", and unknown keys and
// a date given twice are errors:
//
//	[{"date": "2025-05-02", "off": true, "note": "Nghỉ hoán đổi"},
//	 {"date": "2025-04-26", "off": false, "note": "Làm bù"}]
//
// An override that makes a day working wins over any holiday; one that
// makes it off keeps the name of a holiday already on that day.
// Compensatory days are computed without regard to overrides.
//
// A Calendar reads every time in its location, UTC+7 by default, and
// returns dates at midnight in it.
package workdays

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// Holiday names, in Vietnamese.
const (
	nameNewYear      = "Tết Dương lịch"
	nameTet          = "Tết Nguyên đán"
	nameHungKings    = "Giỗ Tổ Hùng Vương"
	nameVictory      = "Ngày Chiến thắng"
	nameLabour       = "Ngày Quốc tế Lao động"
	nameNationalDay  = "Quốc khánh"
	compensatoryName = "Nghỉ bù "
	decreedName      = "Ngày nghỉ theo quyết định"
)

// HolidayKind says why a day is a day off.
type HolidayKind int

// The kinds of holiday.
const (
	// Statutory is a public holiday (ngày nghỉ lễ, tết) of the Labour Code.
	Statutory HolidayKind = iota + 1
	// Compensatory is a compensatory day off (ngày nghỉ bù) for a public
	// holiday that fell on a weekly rest day.
	Compensatory
	// Decreed is a day off set by an override, such as a bridge day.
	Decreed
)

// Holiday is a ngày nghỉ: a day off other than a weekly rest day.
type Holiday struct {
	Date time.Time // midnight in the calendar's location
	Name string    // Vietnamese, e.g. "Tết Nguyên đán" or "Nghỉ bù Quốc khánh"
	Kind HolidayKind
}

// OfficeHours are the giờ làm việc of an office, as offsets from midnight.
// The lunch break is not modelled: a dossier received during it is received
// that day.
type OfficeHours struct {
	Open  time.Duration // e.g. 7h30m
	Close time.Duration // e.g. 17h
}

// Calendar is a working-day calendar. It is safe for concurrent use.
type Calendar struct {
	loc           *time.Location
	weekend       [7]bool
	hours         OfficeHours
	nationalDay   int         // the day of September adjacent to the 2nd
	nationalDayIn map[int]int // the same, per year

	mu        sync.Mutex
	overrides map[int]override        // by Julian day number
	years     map[int]map[int]Holiday // statutory and compensatory, by year then day number
}

// override is a day made off or working by decision.
type override struct {
	off  bool
	note string
}

// Option configures a Calendar.
type Option func(*Calendar)

// WithLocation sets the time zone in which times are read and dates are
// returned, Vietnam's (UTC+7) by default. It panics on a nil location.
func WithLocation(loc *time.Location) Option {
	if loc == nil {
		panic("workdays: nil location")
	}
	return func(c *Calendar) { c.loc = loc }
}

// WithWeekend sets the weekly rest days, Saturday and Sunday by default. It
// panics on a value that is no weekday, or when given all seven days.
func WithWeekend(days ...time.Weekday) Option {
	var w [7]bool
	n := 0
	for _, d := range days {
		if d < time.Sunday || d > time.Saturday {
			panic(fmt.Sprintf("workdays: invalid weekday %d", d))
		}
		if !w[d] {
			w[d] = true
			n++
		}
	}
	if n == 7 {
		panic("workdays: a week needs at least one working day")
	}
	return func(c *Calendar) { c.weekend = w }
}

// WithOfficeHours sets the office hours, 07:30 to 17:00 by default. It
// panics unless 0 <= Open < Close <= 24h.
func WithOfficeHours(h OfficeHours) Option {
	if h.Open < 0 || h.Close <= h.Open || h.Close > 24*time.Hour {
		panic(fmt.Sprintf("workdays: invalid office hours %v-%v", h.Open, h.Close))
	}
	return func(c *Calendar) { c.hours = h }
}

// WithNationalDayAdjacent sets which day of September, 1 or 3, is the day
// off next to Quốc khánh on 2 September in every year not set by
// WithNationalDayAdjacentIn; the default is 1. It panics on other days.
func WithNationalDayAdjacent(day int) Option {
	checkNationalDay(day)
	return func(c *Calendar) { c.nationalDay = day }
}

// WithNationalDayAdjacentIn sets which day of September, 1 or 3, is the day
// off next to Quốc khánh in one year. It panics on other days.
func WithNationalDayAdjacentIn(year, day int) Option {
	checkNationalDay(day)
	return func(c *Calendar) { c.nationalDayIn[year] = day }
}

func checkNationalDay(day int) {
	if day != 1 && day != 3 {
		panic(fmt.Sprintf("workdays: the day adjacent to 2 September must be 1 or 3, got %d", day))
	}
}

// New returns the Vietnamese working-day calendar: UTC+7, Saturday and
// Sunday off, office hours 07:30 to 17:00, 1 September as the day next to
// Quốc khánh, and no overrides.
func New(opts ...Option) *Calendar {
	c := &Calendar{
		loc:           ict,
		hours:         OfficeHours{Open: 7*time.Hour + 30*time.Minute, Close: 17 * time.Hour},
		nationalDay:   1,
		nationalDayIn: make(map[int]int),
		overrides:     make(map[int]override),
		years:         make(map[int]map[int]Holiday),
	}
	c.weekend[time.Saturday] = true
	c.weekend[time.Sunday] = true
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// Location returns the time zone of the calendar.
func (c *Calendar) Location() *time.Location { return c.loc }

// OfficeHours returns the office hours of the calendar.
func (c *Calendar) OfficeHours() OfficeHours { return c.hours }

// AddOverride makes the day date falls on a day off (off true, e.g. a bridge
// day named by note, such as "Nghỉ hoán đổi") or a working day (off false,
// e.g. the Saturday worked in exchange), replacing any earlier override.
func (c *Calendar) AddOverride(date time.Time, off bool, note string) {
	n := c.dayNumber(date)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.overrides[n] = override{off: off, note: note}
}

// overrideRecord is one entry of an overrides file.
type overrideRecord struct {
	Date string `json:"date"`
	Off  *bool  `json:"off"`
	Note string `json:"note"`
}

// LoadOverrides reads overrides in the JSON format of the package
// documentation and adds them all, or none when one entry is wrong.
func (c *Calendar) LoadOverrides(r io.Reader) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var records []overrideRecord
	if err := dec.Decode(&records); err != nil {
		return fmt.Errorf("workdays: reading overrides: %w", err)
	}
	parsed := make(map[int]override, len(records))
	for i, rec := range records {
		d, err := time.ParseInLocation("2006-01-02", rec.Date, c.loc)
		if err != nil {
			return fmt.Errorf("workdays: override %d: date %q is not YYYY-MM-DD", i, rec.Date)
		}
		if rec.Off == nil {
			return fmt.Errorf("workdays: override %d (%s): \"off\" is missing", i, rec.Date)
		}
		n := c.dayNumber(d)
		if _, dup := parsed[n]; dup {
			return fmt.Errorf("workdays: override %d: date %s is given twice", i, rec.Date)
		}
		parsed[n] = override{off: *rec.Off, note: rec.Note}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for n, o := range parsed {
		c.overrides[n] = o
	}
	return nil
}

// IsWorkingDay reports whether the day t falls on is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	_, off := c.day(c.dayNumber(t))
	return !off
}

// Holiday returns the name of the public holiday, compensatory day off or
// day off by override that t falls on. A plain weekly rest day is no
// holiday, and neither is a holiday an override made a working day.
func (c *Calendar) Holiday(t time.Time) (name string, ok bool) {
	h, _ := c.day(c.dayNumber(t))
	return h.Name, h.Kind != 0
}

// Holidays returns the holidays of a year in date order, as Holiday reports
// them day by day.
func (c *Calendar) Holidays(year int) []Holiday {
	var list []Holiday
	for n, end := jdn(year, time.January, 1), jdn(year, time.December, 31); n <= end; n++ {
		if h, _ := c.day(n); h.Kind != 0 {
			list = append(list, h)
		}
	}
	return list
}

// AddWorkingDays returns the n-th working day after the day t falls on, at
// the same clock time: the day of t itself is not counted, whether or not it
// is a working day, so AddWorkingDays(friday, 1) is the next Monday when
// that is a working day. A negative n counts back to the n-th working day
// before; n = 0 returns t in the calendar's location.
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	lt := t.In(c.loc)
	d := c.advance(c.dayNumber(lt), n)
	y, m, dd := jdnDate(d)
	return time.Date(y, m, dd, lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), c.loc)
}

// WorkingDaysBetween returns the number of working days after the day of a
// up to and including the day of b, negated when b is before a; so
// WorkingDaysBetween(a, b) == -WorkingDaysBetween(b, a), and
// WorkingDaysBetween(a, AddWorkingDays(a, n)) == n for n >= 0.
func (c *Calendar) WorkingDaysBetween(a, b time.Time) int {
	na, nb := c.dayNumber(a), c.dayNumber(b)
	sign := 1
	if nb < na {
		na, nb, sign = nb, na, -1
	}
	count := 0
	for d := na + 1; d <= nb; d++ {
		if _, off := c.day(d); !off {
			count++
		}
	}
	return sign * count
}

// IsOpen reports whether t is within office hours on a working day.
func (c *Calendar) IsOpen(t time.Time) bool {
	lt := t.In(c.loc)
	clock := clockOf(lt)
	return c.IsWorkingDay(lt) && clock >= c.hours.Open && clock < c.hours.Close
}

// ReceiptDay returns the day, at midnight in the calendar's location, on
// which a dossier received at t counts as received: the day of t when it is
// a working day and t is before closing time, otherwise the next working
// day. A dossier received before opening time on a working day counts that
// day.
func (c *Calendar) ReceiptDay(t time.Time) time.Time {
	lt := t.In(c.loc)
	n := c.dayNumber(lt)
	if _, off := c.day(n); off || clockOf(lt) >= c.hours.Close {
		n = c.advance(n, 1)
	}
	y, m, d := jdnDate(n)
	return time.Date(y, m, d, 0, 0, 0, 0, c.loc)
}

// DueDate returns the appointment date (ngày hẹn trả kết quả) of a dossier
// received at received and settled in workingDays working days: the count
// starts on the working day after the receipt day (see ReceiptDay), and the
// result is closing time on the last day counted. With workingDays 0, or
// less, it is closing time on the receipt day.
func (c *Calendar) DueDate(received time.Time, workingDays int) time.Time {
	n := c.dayNumber(c.ReceiptDay(received))
	if workingDays > 0 {
		n = c.advance(n, workingDays)
	}
	y, m, d := jdnDate(n)
	return time.Date(y, m, d, 0, 0, 0, int(c.hours.Close), c.loc)
}

// clockOf returns the wall-clock time of t as an offset from midnight.
func clockOf(t time.Time) time.Duration {
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
}

// dayNumber returns the Julian day number of the day t falls on in the
// calendar's location.
func (c *Calendar) dayNumber(t time.Time) int {
	y, m, d := t.In(c.loc).Date()
	return jdn(y, m, d)
}

// advance returns the n-th working day after day number d, or before it
// when n is negative.
func (c *Calendar) advance(d, n int) int {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d += step
		if _, off := c.day(d); !off {
			n--
		}
	}
	return d
}

// weekday returns the day of the week of a Julian day number.
func weekday(n int) time.Weekday {
	return time.Weekday(((n+1)%7 + 7) % 7)
}

// day returns the holiday on day number n, if any, and whether n is a day
// off. An override that makes the day working wins over everything; one
// that makes it off keeps the name of a public holiday or compensatory day
// already there.
func (c *Calendar) day(n int) (Holiday, bool) {
	y, _, _ := jdnDate(n)
	c.mu.Lock()
	o, hasOverride := c.overrides[n]
	h, hasHoliday := c.yearHolidays(y)[n]
	c.mu.Unlock()
	switch {
	case hasOverride && !o.off:
		return Holiday{}, false
	case hasHoliday:
		return h, true
	case hasOverride:
		name := o.note
		if name == "" {
			name = decreedName
		}
		return Holiday{Date: c.date(n), Name: name, Kind: Decreed}, true
	}
	return Holiday{}, c.weekend[weekday(n)]
}

// date returns midnight of day number n in the calendar's location.
func (c *Calendar) date(n int) time.Time {
	y, m, d := jdnDate(n)
	return time.Date(y, m, d, 0, 0, 0, 0, c.loc)
}

// yearHolidays returns the public holidays and compensatory days off of a
// year by day number, computing them once. The caller holds c.mu.
func (c *Calendar) yearHolidays(year int) map[int]Holiday {
	if hs, ok := c.years[year]; ok {
		return hs
	}
	hs := make(map[int]Holiday)
	add := func(n int, name string) {
		if h, ok := hs[n]; ok {
			// Two holidays on one day: the day is off once.
			h.Name += ", " + name
			hs[n] = h
			return
		}
		hs[n] = Holiday{Date: c.date(n), Name: name, Kind: Statutory}
	}
	add(jdn(year, time.January, 1), nameNewYear)
	if tet, ok := lunarDayNumber(1, 1, year, false); ok {
		for n := tet - 1; n <= tet+3; n++ {
			add(n, nameTet)
		}
	}
	if n, ok := lunarDayNumber(10, 3, year, false); ok {
		add(n, nameHungKings)
	}
	add(jdn(year, time.April, 30), nameVictory)
	add(jdn(year, time.May, 1), nameLabour)
	adjacent, ok := c.nationalDayIn[year]
	if !ok {
		adjacent = c.nationalDay
	}
	add(jdn(year, time.September, 2), nameNationalDay)
	add(jdn(year, time.September, adjacent), nameNationalDay)

	days := make([]int, 0, len(hs))
	for n := range hs {
		days = append(days, n)
	}
	sort.Ints(days)
	for _, n := range days {
		if !c.weekend[weekday(n)] {
			continue
		}
		comp := n + 1
		for {
			if _, taken := hs[comp]; !taken && !c.weekend[weekday(comp)] {
				break
			}
			comp++
		}
		hs[comp] = Holiday{Date: c.date(comp), Name: compensatoryName + hs[n].Name, Kind: Compensatory}
	}
	c.years[year] = hs
	return hs
}
