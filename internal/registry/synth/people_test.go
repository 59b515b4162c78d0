package synth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/vngov/vngov/internal/platform/vnid"
)

// generated is a run of People kept whole for the checks.
type generated struct {
	households []Household
	persons    []Person
	byID       map[string]*Person
	hhByID     map[string]*Household
}

func generate(t testing.TB, seed uint64, n int) *generated {
	t.Helper()
	out := &generated{byID: make(map[string]*Person, n)}
	err := New(seed).People(n, func(h *Household, ps []*Person) error {
		hc := *h
		hc.Members = slices.Clone(h.Members)
		out.households = append(out.households, hc)
		for _, p := range ps {
			out.persons = append(out.persons, *p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range out.persons {
		out.byID[out.persons[i].ID] = &out.persons[i]
	}
	return out
}

var (
	big       *generated
	bigPeople = 200000
)

func bigRun(t *testing.T) *generated {
	if big == nil {
		big = generate(t, 20250701, bigPeople)
	}
	return big
}

func communeCodes() map[string]string {
	w := getWorld()
	m := make(map[string]string, len(w.communes))
	for _, c := range w.communes {
		m[c.code] = w.provs[c.prov].code
	}
	return m
}

func yearOf(date string) int {
	y := 0
	for _, c := range date[:4] {
		y = y*10 + int(c-'0')
	}
	return y
}

func TestPeopleCountsAndIdentifiers(t *testing.T) {
	g := bigRun(t)
	if len(g.persons) != bigPeople {
		t.Fatalf("got %d persons, want %d", len(g.persons), bigPeople)
	}
	if len(g.byID) != len(g.persons) {
		t.Fatalf("personal IDs are not unique: %d distinct of %d", len(g.byID), len(g.persons))
	}
	communes := communeCodes()
	oldToNew := map[string]string{}
	w := getWorld()
	for _, o := range w.olds {
		oldToNew[o.code] = w.provs[o.prov].code
	}
	households := map[string]bool{}
	members := 0
	for _, h := range g.households {
		if households[h.ID] {
			t.Fatalf("household ID %s repeated", h.ID)
		}
		households[h.ID] = true
		if len(h.Members) < 1 || len(h.Members) > 7 {
			t.Errorf("household %s has %d members", h.ID, len(h.Members))
		}
		if !slices.Contains(h.Members, h.HeadID) {
			t.Errorf("household %s: head %s not a member", h.ID, h.HeadID)
		}
		if _, ok := communes[h.Commune]; !ok || !strings.HasPrefix(h.ID, "HK"+h.Commune) || len(h.ID) != 14 {
			t.Errorf("household %s in commune %q", h.ID, h.Commune)
		}
		for _, id := range h.Members {
			p := g.byID[id]
			if p == nil || p.HouseholdID != h.ID || p.Status != Living {
				t.Fatalf("household %s member %s: %+v", h.ID, id, p)
			}
			if p.PermanentCommune != h.Commune || p.PermanentStreet != h.Street {
				t.Errorf("member %s lives at %s %q, household at %s %q", id, p.PermanentCommune, p.PermanentStreet, h.Commune, h.Street)
			}
			if (p.RelationToHead == "chủ hộ") != (id == h.HeadID) {
				t.Errorf("member %s relation %q, head %s", id, p.RelationToHead, h.HeadID)
			}
		}
		members += len(h.Members)
	}
	relations := map[string]bool{"chủ hộ": true, "vợ": true, "chồng": true, "con": true, "con dâu": true, "con rể": true, "bố": true, "mẹ": true, "cháu": true}
	bornAtHome := 0
	for i := range g.persons {
		p := &g.persons[i]
		id, err := vnid.ParsePersonalID("id", p.ID)
		if err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		if fe := id.ConsistentWith("id", yearOf(p.BirthDate), p.Sex); fe != nil {
			t.Fatalf("%s born %s %s: %v", p.ID, p.BirthDate, p.Sex, fe)
		}
		for field, c := range map[string]string{"birth_place": p.BirthPlace, "home_town": p.HomeTown,
			"permanent_commune": p.PermanentCommune, "current_commune": p.CurrentCommune} {
			if _, ok := communes[c]; !ok {
				t.Fatalf("%s: %s %q is not a 2025 commune", p.ID, field, c)
			}
		}
		// The birth was registered in an old province of the new province
		// of the birth place.
		if oldToNew[p.ID[:3]] != communes[p.BirthPlace] {
			t.Fatalf("%s: birth place %s in province %s, ID province %s", p.ID, p.BirthPlace, communes[p.BirthPlace], p.ID[:3])
		}
		if communes[p.BirthPlace] == communes[p.PermanentCommune] {
			bornAtHome++
		}
		if !relations[p.RelationToHead] {
			t.Errorf("%s: relation %q", p.ID, p.RelationToHead)
		}
		if p.Nationality != "VN" || (p.Sex != Male && p.Sex != Female) {
			t.Errorf("%s: nationality %q sex %q", p.ID, p.Nationality, p.Sex)
		}
		switch p.MaritalStatus {
		case Single, Married, Divorced, Widowed:
		default:
			t.Errorf("%s: marital status %q", p.ID, p.MaritalStatus)
		}
		if !w.ethnic[p.Ethnicity] || !w.religion[p.Religion] {
			t.Errorf("%s: ethnicity %q religion %q", p.ID, p.Ethnicity, p.Religion)
		}
		if p.BirthDate > "2025-06-30" {
			t.Errorf("%s born %s, after AsOf", p.ID, p.BirthDate)
		}
		if p.Status == Living && (p.DeathDate != "" || !slices.Contains(g.householdOf(p).Members, p.ID)) {
			t.Errorf("%s: living, death date %q, household %s", p.ID, p.DeathDate, p.HouseholdID)
		}
	}
	t.Logf("%d households, %.1f%% born in their province of residence, %d deceased", len(g.households),
		float64(bornAtHome)*100/float64(len(g.persons)), len(g.persons)-members)
	if share := float64(bornAtHome) / float64(len(g.persons)); share < 0.75 || share > 0.95 {
		t.Errorf("%.1f%% born in their province of residence, want most", share*100)
	}
	if dead := len(g.persons) - members; dead < len(g.persons)/400 || dead > len(g.persons)/100 {
		t.Errorf("%d deceased of %d, want about 0.5%%", dead, len(g.persons))
	}
}

func (g *generated) householdOf(p *Person) *Household {
	if g.hhByID == nil {
		g.hhByID = map[string]*Household{}
		for i := range g.households {
			g.hhByID[g.households[i].ID] = &g.households[i]
		}
	}
	if h := g.hhByID[p.HouseholdID]; h != nil {
		return h
	}
	return &Household{}
}

func TestPeopleDates(t *testing.T) {
	g := bigRun(t)
	elderly, partial := 0, 0
	for i := range g.persons {
		p := &g.persons[i]
		layout := "2006-01-02"
		switch len(p.BirthDate) {
		case 4:
			layout = "2006"
			partial++
		case 7:
			layout = "2006-01"
			partial++
		}
		b, err := time.Parse(layout, p.BirthDate)
		if err != nil {
			t.Fatalf("%s: birth date %q: %v", p.ID, p.BirthDate, err)
		}
		if b.Year() < 1950 {
			elderly++
		} else if layout != "2006-01-02" {
			t.Errorf("%s: partial birth date %q for someone born after 1950", p.ID, p.BirthDate)
		}
		if p.Status == Deceased {
			d, err := time.Parse("2006-01-02", p.DeathDate)
			if err != nil {
				t.Fatalf("%s: death date %q: %v", p.ID, p.DeathDate, err)
			}
			if d.Before(b) || p.DeathDate > "2025-06-30" {
				t.Errorf("%s: born %s, died %s", p.ID, p.BirthDate, p.DeathDate)
			}
		}
	}
	t.Logf("%d of %d born before 1950 have partial birth dates", partial, elderly)
	if share := float64(partial) / float64(elderly); share < 0.01 || share > 0.035 {
		t.Errorf("%d of %d elderly have partial birth dates, want about 2%%", partial, elderly)
	}
}

func TestFamilies(t *testing.T) {
	g := bigRun(t)
	parentLinks, spouses := 0, 0
	for i := range g.persons {
		p := &g.persons[i]
		for _, link := range []struct {
			id, sex, what string
		}{{p.FatherID, Male, "father"}, {p.MotherID, Female, "mother"}} {
			if link.id == "" {
				continue
			}
			parentLinks++
			q := g.byID[link.id]
			if q == nil {
				t.Fatalf("%s: %s %s not generated", p.ID, link.what, link.id)
			}
			if q.Sex != link.sex {
				t.Errorf("%s: %s %s is %s", p.ID, link.what, q.ID, q.Sex)
			}
			if gap := yearOf(p.BirthDate) - yearOf(q.BirthDate); gap < 18 || gap > 45 {
				t.Errorf("%s (born %s): %s %s born %s, %d years older", p.ID, p.BirthDate, link.what, q.ID, q.BirthDate, gap)
			}
			if q.HouseholdID != p.HouseholdID {
				t.Errorf("%s: %s %s in another household", p.ID, link.what, q.ID)
			}
			if link.what == "father" && q.Surname != p.Surname {
				t.Errorf("%s %s: father %s %s", p.ID, p.FullName, q.ID, q.FullName)
			}
			if q.Status == Deceased && q.DeathDate[:4] < p.BirthDate[:4] {
				t.Errorf("%s born %s: %s %s died %s", p.ID, p.BirthDate, link.what, q.ID, q.DeathDate)
			}
		}
		if p.SpouseID != "" {
			spouses++
			q := g.byID[p.SpouseID]
			if q == nil || q.SpouseID != p.ID {
				t.Fatalf("%s: spouse %s does not point back", p.ID, p.SpouseID)
			}
			if q.Sex == p.Sex {
				t.Errorf("%s and %s: same sex", p.ID, q.ID)
			}
			if p.Status == Living && q.Status == Living && (p.MaritalStatus != Married || q.MaritalStatus != Married) {
				t.Errorf("%s and %s: %s, %s", p.ID, q.ID, p.MaritalStatus, q.MaritalStatus)
			}
			if p.Status == Living && q.Status == Deceased && p.MaritalStatus != Widowed {
				t.Errorf("%s: spouse %s died, status %s", p.ID, q.ID, p.MaritalStatus)
			}
			if age := 2025 - yearOf(p.BirthDate); age < 18 {
				t.Errorf("%s married at %d", p.ID, age)
			}
		}
		if p.Status == Deceased && (p.SpouseID == "" || g.byID[p.SpouseID].MaritalStatus != Widowed) {
			t.Errorf("%s: a deceased record without a widowed spouse", p.ID)
		}
	}
	if parentLinks < len(g.persons)/2 || spouses < len(g.persons)/3 {
		t.Errorf("%d parent links and %d spouses among %d people: too few families", parentLinks, spouses, len(g.persons))
	}
}

func TestSurnameFrequencies(t *testing.T) {
	g := bigRun(t)
	counts := map[string]int{}
	for i := range g.persons {
		s := g.persons[i].Surname
		switch s {
		case "Huỳnh":
			s = "Hoàng"
		case "Võ":
			s = "Vũ"
		}
		counts[s]++
	}
	targets := []struct {
		name string
		pct  float64
	}{
		{"Nguyễn", 38}, {"Trần", 11}, {"Lê", 9.5}, {"Phạm", 7}, {"Hoàng", 5}, {"Phan", 4.5}, {"Vũ", 3.9},
		{"Đặng", 2.1}, {"Bùi", 2}, {"Đỗ", 1.4}, {"Hồ", 1.3}, {"Ngô", 1.3}, {"Dương", 1}, {"Lý", 0.5},
	}
	for _, tg := range targets {
		got := float64(counts[tg.name]) * 100 / float64(len(g.persons))
		tol := 0.5
		switch {
		case tg.pct >= 20:
			tol = 2
		case tg.pct >= 4:
			tol = 1
		}
		if math.Abs(got-tg.pct) > tol {
			t.Errorf("%s: %.2f%%, want %.1f%% ± %.1f", tg.name, got, tg.pct, tol)
		}
	}
}

func TestNamesAreNFCVietnamese(t *testing.T) {
	g := bigRun(t)
	seen := map[string]bool{}
	for i := range g.persons {
		p := &g.persons[i]
		if seen[p.FullName] {
			continue
		}
		seen[p.FullName] = true
		want := p.Surname + " " + p.GivenName
		if p.MiddleName != "" {
			want = p.Surname + " " + p.MiddleName + " " + p.GivenName
		}
		if p.FullName != want {
			t.Fatalf("%s: full name %q, parts %q %q %q", p.ID, p.FullName, p.Surname, p.MiddleName, p.GivenName)
		}
		checkVietnamese(t, p.FullName)
	}
	streets := map[string]bool{}
	for i := range g.households {
		streets[g.households[i].Street] = true
	}
	for s := range streets {
		if !norm.NFC.IsNormalString(s) || s == "" {
			t.Errorf("street %q is not NFC", s)
		}
	}
}

// checkVietnamese fails unless s is NFC and made of letters, spaces and
// apostrophes (H'Nga), with no combining marks.
func checkVietnamese(t *testing.T, s string) {
	t.Helper()
	if !norm.NFC.IsNormalString(s) {
		t.Errorf("%q is not NFC", s)
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || r == ' ' || r == '\'') || unicode.Is(unicode.Mn, r) {
			t.Errorf("%q holds %q", s, r)
			return
		}
	}
}

func TestResidenceSpread(t *testing.T) {
	g := bigRun(t)
	communes := communeCodes()
	byProv := map[string]int{}
	byCommune := map[string]int{}
	differ := 0
	for i := range g.persons {
		p := &g.persons[i]
		byProv[communes[p.PermanentCommune]]++
		byCommune[p.PermanentCommune]++
		if p.CurrentCommune != p.PermanentCommune || p.CurrentStreet != p.PermanentStreet {
			differ++
		}
	}
	w := getWorld()
	total := 0.0
	for _, np := range w.provs {
		total += np.pop
	}
	for _, np := range w.provs {
		want := np.pop / total
		got := float64(byProv[np.code]) / float64(len(g.persons))
		if math.Abs(got-want) > 0.1*want+0.002 {
			t.Errorf("province %s %s: %.2f%% of people, population share %.2f%%", np.code, np.name, got*100, want*100)
		}
	}
	if len(byCommune) < len(w.communes)*9/10 {
		t.Errorf("people live in %d of %d communes", len(byCommune), len(w.communes))
	}
	t.Logf("%.1f%% live away from their permanent residence", float64(differ)*100/float64(len(g.persons)))
	if share := float64(differ) / float64(len(g.persons)); share < 0.06 || share > 0.14 {
		t.Errorf("%.1f%% live away from their permanent residence, want about 10%%", share*100)
	}
}

func TestEthnicityAndReligionShares(t *testing.T) {
	g := bigRun(t)
	eth, rel := map[string]int{}, map[string]int{}
	for i := range g.persons {
		eth[g.persons[i].Ethnicity]++
		rel[g.persons[i].Religion]++
	}
	n := float64(len(g.persons))
	check := func(what string, got int, lo, hi float64) {
		if pct := float64(got) * 100 / n; pct < lo || pct > hi {
			t.Errorf("%s: %.2f%%, want %.1f-%.1f%%", what, pct, lo, hi)
		}
	}
	check("Kinh", eth["01"], 83, 88)
	check("Tày", eth["02"], 1, 3)
	check("Khmer", eth["05"], 0.8, 2)
	check("HMông", eth["08"], 1, 2.2)
	check("no religion", rel["00"], 78, 88)
	check("Buddhism", rel["01"], 5, 9)
	check("Catholicism", rel["02"], 4.5, 8)
}

func TestDeterminism(t *testing.T) {
	hash := func(seed uint64) string {
		h := sha256.New()
		err := New(seed).People(10000, func(hh *Household, ps []*Person) error {
			b, _ := json.Marshal(hh)
			h.Write(b)
			for _, p := range ps {
				b, _ := json.Marshal(p)
				h.Write(b)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	a := hash(7)
	prev := runtime.GOMAXPROCS(1)
	b := hash(7)
	runtime.GOMAXPROCS(prev)
	if a != b {
		t.Errorf("seed 7 gave %s, then %s", a, b)
	}
	if c := hash(8); c == a {
		t.Error("seeds 7 and 8 gave the same people")
	}
}

func TestPeopleAcrossCallsAndStop(t *testing.T) {
	gen := New(3)
	ids := map[string]bool{}
	for _, n := range []int{1, 2, 3, 5000, 7} {
		count := 0
		err := gen.People(n, func(h *Household, ps []*Person) error {
			for _, p := range ps {
				if ids[p.ID] {
					t.Fatalf("ID %s repeated across calls", p.ID)
				}
				ids[p.ID] = true
				count++
			}
			return nil
		})
		if err != nil || count != n {
			t.Fatalf("People(%d) made %d: %v", n, count, err)
		}
	}
	stop := errors.New("stop")
	calls := 0
	err := gen.People(1000, func(*Household, []*Person) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("emit's error: got %v after %d calls", err, calls)
	}
}

// When the serials of a province, year and sex run out, births are
// registered in another province of the same new province, then anywhere,
// and IDs stay unique; when all run out, People says so.
func TestIDSerialsExhausted(t *testing.T) {
	gen := New(5)
	s := &gen.people
	for i := range s.idCount {
		s.idCount[i] = 1000000 - 3
	}
	ids := map[string]bool{}
	err := gen.People(5000, func(h *Household, ps []*Person) error {
		for _, p := range ps {
			if ids[p.ID] {
				t.Fatalf("ID %s repeated", p.ID)
			}
			ids[p.ID] = true
			if _, err := vnid.ParsePersonalID("id", p.ID); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.idCount {
		s.idCount[i] = 1000000
	}
	if err := gen.People(10, func(*Household, []*Person) error { return nil }); !errors.Is(err, ErrExhausted) {
		t.Errorf("got %v, want ErrExhausted", err)
	}
}

func TestLivingAdult(t *testing.T) {
	p := &Person{ID: "001206000001", Status: Living}
	if !p.LivingAdult() {
		t.Error("born 2006: an adult on 1 July 2025")
	}
	p.ID = "001307000001"
	if p.LivingAdult() {
		t.Error("born 2007: not surely 18")
	}
	p.ID, p.Status = "001080000001", Deceased
	if p.LivingAdult() {
		t.Error("deceased")
	}
}
