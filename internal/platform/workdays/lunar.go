package workdays

import (
	"math"
	"time"
)

// The lunar calendar (âm lịch) below is the Vietnamese one, computed by Hồ
// Ngọc Đức's astronomical method: new moons by Meeus's series, the sun's
// longitude by a low-precision series, both reckoned at the meridian of
// UTC+7. A month begins on the day of its new moon; month 11 is the month
// that contains the winter solstice; a year with 13 months between two
// months 11 repeats, as a leap month, the first month that contains no
// principal solar term. Reckoning at UTC+7 rather than UTC+8 is why some
// Vietnamese dates differ from Chinese ones (Tết 1985 fell on 21 January
// in Vietnam and 20 February in China). The series are accurate enough for
// the years 1800 to 2199.

// lunarZone is the offset of the Vietnamese lunar calendar, in hours.
const lunarZone = 7.0

// synodicMonth is the mean length of a lunation in days.
const synodicMonth = 29.530588853

// unixEpochJDN is the Julian day number of 1970-01-01.
const unixEpochJDN = 2440588

// jdn returns the Julian day number of a date of the proleptic Gregorian
// calendar.
func jdn(year int, month time.Month, day int) int {
	return int(time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Unix()/86400) + unixEpochJDN
}

// jdnDate returns the date of a Julian day number.
func jdnDate(n int) (year int, month time.Month, day int) {
	return time.Unix(int64(n-unixEpochJDN)*86400, 0).UTC().Date()
}

// floor is the integer part towards minus infinity.
func floor(x float64) int { return int(math.Floor(x)) }

// newMoon returns the Julian date (UT) of the k-th new moon after the one
// of 1900-01-01.
func newMoon(k int) float64 {
	kf := float64(k)
	t := kf / 1236.85
	t2 := t * t
	t3 := t2 * t
	dr := math.Pi / 180
	jd1 := 2415020.75933 + 29.53058868*kf + 0.0001178*t2 - 0.000000155*t3
	jd1 += 0.00033 * math.Sin((166.56+132.87*t-0.009173*t2)*dr)
	m := 359.2242 + 29.10535608*kf - 0.0000333*t2 - 0.00000347*t3
	mpr := 306.0253 + 385.81691806*kf + 0.0107306*t2 + 0.00001236*t3
	f := 21.2964 + 390.67050646*kf - 0.0016528*t2 - 0.00000239*t3
	c1 := (0.1734-0.000393*t)*math.Sin(m*dr) + 0.0021*math.Sin(2*dr*m)
	c1 = c1 - 0.4068*math.Sin(mpr*dr) + 0.0161*math.Sin(dr*2*mpr)
	c1 -= 0.0004 * math.Sin(dr*3*mpr)
	c1 = c1 + 0.0104*math.Sin(dr*2*f) - 0.0051*math.Sin(dr*(m+mpr))
	c1 = c1 - 0.0074*math.Sin(dr*(m-mpr)) + 0.0004*math.Sin(dr*(2*f+m))
	c1 = c1 - 0.0004*math.Sin(dr*(2*f-m)) - 0.0006*math.Sin(dr*(2*f+mpr))
	c1 = c1 + 0.0010*math.Sin(dr*(2*f-mpr)) + 0.0005*math.Sin(dr*(2*mpr+m))
	var deltaT float64
	if t < -11 {
		deltaT = 0.001 + 0.000839*t + 0.0002261*t2 - 0.00000845*t3 - 0.000000081*t*t3
	} else {
		deltaT = -0.000278 + 0.000265*t + 0.000262*t2
	}
	return jd1 + c1 - deltaT
}

// sunLongitude returns the sun's apparent longitude, in radians from 0 to
// 2π, at Julian date jd.
func sunLongitude(jd float64) float64 {
	t := (jd - 2451545.0) / 36525
	t2 := t * t
	dr := math.Pi / 180
	m := 357.52910 + 35999.05030*t - 0.0001559*t2 - 0.00000048*t*t2
	l0 := 280.46645 + 36000.76983*t + 0.0003032*t2
	dl := (1.914600 - 0.004817*t - 0.000014*t2) * math.Sin(dr*m)
	dl += (0.019993-0.000101*t)*math.Sin(dr*2*m) + 0.000290*math.Sin(dr*3*m)
	l := (l0 + dl) * dr
	return l - 2*math.Pi*math.Floor(l/(2*math.Pi))
}

// newMoonDay returns the day number of the k-th new moon in UTC+7.
func newMoonDay(k int) int {
	return floor(newMoon(k) + 0.5 + lunarZone/24)
}

// sunSector returns which 30° sector, 0 to 11, the sun is in at the start
// of day number n in UTC+7; sector 9 begins at the winter solstice.
func sunSector(n int) int {
	return floor(sunLongitude(float64(n)-0.5-lunarZone/24) / math.Pi * 6)
}

// lunarMonth11 returns the day number on which lunar month 11 begins, the
// month containing the winter solstice of the Gregorian year.
func lunarMonth11(year int) int {
	off := jdn(year, time.December, 31) - 2415021
	k := floor(float64(off) / synodicMonth)
	nm := newMoonDay(k)
	if sunSector(nm) >= 9 {
		nm = newMoonDay(k - 1)
	}
	return nm
}

// leapMonthOffset returns, for a lunar year of 13 months beginning with the
// month 11 that starts on day a11, how many months after that month 11 the
// leap month comes: the first month without a principal solar term.
func leapMonthOffset(a11 int) int {
	k := floor((float64(a11)-2415021.076998695)/synodicMonth + 0.5)
	i := 1
	arc := sunSector(newMoonDay(k + i))
	for {
		last := arc
		i++
		arc = sunSector(newMoonDay(k + i))
		if arc == last || i >= 14 {
			break
		}
	}
	return i - 1
}

// leapMonthNumber converts a leap-month offset from month 11 to the number
// of the month it repeats: offset 1 repeats month 11, 2 month 12, 3 month 1.
func leapMonthNumber(offset int) int {
	return (offset+9)%12 + 1
}

// solarToLunar converts a day number to a lunar date.
func solarToLunar(n int, year int) (day, month, lyear int, leap bool) {
	// The estimate k can be one lunation off near a new moon: step until
	// the month of k starts on or before n and the next one after n.
	k := floor((float64(n) - 2415021.076998695) / synodicMonth)
	monthStart := newMoonDay(k)
	for monthStart > n {
		k--
		monthStart = newMoonDay(k)
	}
	for next := newMoonDay(k + 1); next <= n; next = newMoonDay(k + 1) {
		k++
		monthStart = next
	}
	a11 := lunarMonth11(year)
	b11 := a11
	if a11 >= monthStart {
		lyear = year
		a11 = lunarMonth11(year - 1)
	} else {
		lyear = year + 1
		b11 = lunarMonth11(year + 1)
	}
	day = n - monthStart + 1
	diff := floor(float64(monthStart-a11) / 29)
	month = diff + 11
	if b11-a11 > 365 {
		leapDiff := leapMonthOffset(a11)
		if diff >= leapDiff {
			month = diff + 10
			leap = diff == leapDiff
		}
	}
	if month > 12 {
		month -= 12
	}
	if month >= 11 && diff < 4 {
		lyear--
	}
	return day, month, lyear, leap
}

// lunarMonthStart returns the day number on which a lunar month begins and
// the day number on which the next month begins, or false when the year has
// no such month (a leap month that is not the year's leap month).
func lunarMonthStart(month, year int, leap bool) (start, next int, ok bool) {
	if month < 1 || month > 12 {
		return 0, 0, false
	}
	var a11, b11 int
	if month < 11 {
		a11, b11 = lunarMonth11(year-1), lunarMonth11(year)
	} else {
		a11, b11 = lunarMonth11(year), lunarMonth11(year+1)
	}
	k := floor(0.5 + (float64(a11)-2415021.076998695)/synodicMonth)
	off := month - 11
	if off < 0 {
		off += 12
	}
	if b11-a11 > 365 {
		leapOff := leapMonthOffset(a11)
		if leap && month != leapMonthNumber(leapOff) {
			return 0, 0, false
		}
		if leap || off >= leapOff {
			off++
		}
	} else if leap {
		return 0, 0, false
	}
	return newMoonDay(k + off), newMoonDay(k + off + 1), true
}

// lunarDayNumber returns the day number of a lunar date, or false when the
// date does not exist.
func lunarDayNumber(day, month, year int, leap bool) (int, bool) {
	start, next, ok := lunarMonthStart(month, year, leap)
	if !ok || day < 1 || start+day-1 >= next {
		return 0, false
	}
	return start + day - 1, true
}

// ict is Vietnam's time zone, UTC+7, without a tzdata dependency.
var ict = time.FixedZone("ICT", 7*3600)

// SolarToLunar returns the Vietnamese lunar date (âm lịch) of the day t
// falls on in Vietnam (UTC+7): the day, the month, the lunar year (the
// Gregorian year in which that lunar year begins) and whether the month is
// a leap month (tháng nhuận).
func SolarToLunar(t time.Time) (day, month, year int, leap bool) {
	y, m, d := t.In(ict).Date()
	return solarToLunar(jdn(y, m, d), y)
}

// LunarToSolar returns the Gregorian date, at midnight in UTC+7, of a
// Vietnamese lunar date, leap selecting the leap month of that number. It
// returns the zero time for a date that does not exist: a month out of
// 1..12, a leap month the year lacks, or a day past the month's 29 or 30.
func LunarToSolar(day, month, year int, leap bool) time.Time {
	n, ok := lunarDayNumber(day, month, year, leap)
	if !ok {
		return time.Time{}
	}
	y, m, d := jdnDate(n)
	return time.Date(y, m, d, 0, 0, 0, 0, ict)
}

// LunarNewYear returns the date of Tết Nguyên đán, the first day of the
// first lunar month of the year, at midnight in UTC+7.
func LunarNewYear(year int) time.Time {
	return LunarToSolar(1, 1, year, false)
}

// LunarLeapMonth returns the number of the month a lunar year repeats as
// its leap month, or 0 when the year has none.
func LunarLeapMonth(year int) int {
	for m := 1; m <= 12; m++ {
		if _, _, ok := lunarMonthStart(m, year, true); ok {
			return m
		}
	}
	return 0
}
