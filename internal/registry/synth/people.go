package synth

// Household types.
const (
	hhSingle = iota
	hhCouple
	hhNuclear
	hhSingleParent
	hhThreeGen // a couple, their children and the head's parent(s)
	hhElder    // an elderly head, a married child, grandchildren
)

// How households are made. Chances are per mille.
const (
	maxLiving = 7  // members of a household
	maxDrafts = 10 // living members and the records of late spouses

	// lateSpouse is the chance that a widowed person's late spouse has a
	// record (status deceased) among the generated people; it makes about
	// 0.5% of the records those of deceased people.
	lateSpouse = 110

	hhElsewhere     = 60  // the whole household lives away from its permanent address
	youngElsewhere  = 450 // an unmarried child of 18 to 32 studies or works elsewhere
	localBirthPlace = 600 // born in the home commune, when born in the home province
)

var householdTypeWeights = []float64{
	hhSingle: 12, hhCouple: 12, hhNuclear: 42, hhSingleParent: 6, hhThreeGen: 20, hhElder: 8,
}

// draft is a person while the household is being made; fields that are
// indices refer to world tables or to other drafts (-1: none).
type draft struct {
	sex        int // 0 male, 1 female
	year       int
	month, day int // 0 when the record has only the year (or year and month)
	dead       bool
	dy, dm, dd int
	old        int // old province of birth registration
	birthComm  int
	home       int
	eth        *ethnicity
	surname    string
	middle     string
	given      string
	father     int
	mother     int
	spouse     int
	rel        string
	marital    string
	cur        int // current commune, -1 for the permanent one
	curStreet  bool

	// Spans in the household's text.
	idA, idB, nameA, nameB, bdA, bdB, ddA, ddB, csA, csB int32
}

type peopleState struct {
	w        *world
	idCount  []uint32 // per old province, birth year from 1900 and sex
	hhCount  []uint32 // per commune
	hhType   picker
	serials  permuter
	sexRatio int

	// The household being made.
	d                      [maxDrafts]draft
	n                      int
	head                   int
	resOld                 int // old province where the household lives
	origin                 int // old province the household comes from
	prov                   int
	comm                   int
	eth                    *ethnicity
	relig                  string
	hhCur                  int // commune the whole household lives in, -1 if at home
	slab                   []byte
	persons                [maxDrafts]Person
	ptrs                   [maxDrafts]*Person
	hh                     Household
	members                []string
	streetA                int32
	streetB                int32
	hhCurA                 int32
	hhCurB                 int32
	householdA, householdB int32
}

func (s *peopleState) init(w *world, seed uint64) {
	s.w = w
	s.serials = newPermuter(1000000, seed)
	s.idCount = make([]uint32, len(w.olds)*200*2)
	s.hhCount = make([]uint32, len(w.communes))
	s.hhType = newPicker(householdTypeWeights)
	s.sexRatio = 515 // boys per mille of births
	s.slab = make([]byte, 0, 2048)
	s.members = make([]string, 0, maxDrafts)
	for i := range s.ptrs {
		s.ptrs[i] = &s.persons[i]
	}
}

// People generates n people in whole households and calls emit once per
// household with the household and its people: its living members (those
// in Household.Members) and the records of late spouses who died (Status
// Deceased, not members), parents before their children. Exactly n
// people are emitted; the last households are kept small enough for that.
//
// The Household, the Persons and the slices passed to emit are reused once
// emit returns: copy what you keep (copying a Person value, *p, is enough:
// the strings are never modified; clone Members). An error from emit stops
// the generation and is returned.
func (g *Generator) People(n int, emit func(h *Household, people []*Person) error) error {
	s := &g.people
	for done := 0; done < n; {
		if err := g.household(min(n-done, maxDrafts)); err != nil {
			return err
		}
		if err := emit(&s.hh, s.ptrs[:s.n]); err != nil {
			return err
		}
		done += s.n
	}
	return nil
}

// household makes one household of at most limit records into s.hh and
// s.persons.
func (g *Generator) household(limit int) error {
	s, r, w := &g.people, &g.pr, g.w
	s.resOld = w.national.pick(r)
	s.prov = w.olds[s.resOld].prov
	np := &w.provs[s.prov]
	s.comm = np.communes[r.intn(len(np.communes))]
	s.origin = s.resOld
	if r.per1000(w.olds[s.resOld].migrant) {
		s.origin = w.national.pick(r)
	}
	s.eth = w.olds[s.origin].ethnic.pick(r)
	if rel := s.eth.info.religion; rel != nil {
		s.relig = rel.pick(r)
	} else {
		s.relig = w.olds[s.origin].religion.pick(r)
	}
	for attempt := 0; ; attempt++ {
		s.n, s.head = 0, -1
		t := s.hhType.pick(r)
		if attempt >= 3 {
			t = hhSingle
		}
		g.plan(t, limit)
		if s.n <= limit && s.n > 0 {
			break
		}
	}
	g.residence()
	g.deaths()
	return g.finish()
}

// plan makes the people of a household of type t; limit is the number of
// records wanted at most, which only the late spouses heed (the caller
// tries again when a plan is too big).
func (g *Generator) plan(t, limit int) {
	s, r := &g.people, &g.pr
	switch t {
	case hhSingle:
		k := r.intn(100)
		switch {
		case k < 45:
			sex := 0
			if r.per1000(450) {
				sex = 1
			}
			marital := Single
			if r.per1000(80) {
				marital = Divorced
			}
			s.head = g.newPerson(sex, ageYear(skewLow(r, 20, 48)), s.origin, -1, -1, "chủ hộ", marital)
		case k < 80:
			sex := 1
			if r.per1000(250) {
				sex = 0
			}
			marital := Widowed
			if k := r.intn(100); k < 5 {
				marital = Divorced
			} else if k < 15 {
				marital = Single
			}
			s.head = g.newPerson(sex, ageYear(skewLow(r, 62, 95)), s.origin, -1, -1, "chủ hộ", marital)
			g.maybeLateSpouse(s.head, limit)
		default:
			sex := r.intn(2)
			marital := Divorced
			if k := r.intn(100); k < 30 {
				marital = Single
			} else if k < 50 {
				marital = Widowed
			}
			s.head = g.newPerson(sex, ageYear(r.between(40, 61)), s.origin, -1, -1, "chủ hộ", marital)
			g.maybeLateSpouse(s.head, limit)
		}
	case hhCouple:
		wAge := r.between(20, 32)
		if r.intn(2) == 0 {
			wAge = skewLow(r, 50, 85)
		}
		g.couple(ageYear(wAge), -1, -1, r.per1000(850))
	case hhNuclear:
		wAge := r.between(23, 56)
		if r.intn(2) == 0 {
			wAge = skewLow(r, 22, 56)
		}
		h, w := g.couple(ageYear(wAge), -1, -1, r.per1000(800))
		f, m := parents(&s.d, h, w)
		g.children(f, m, childCount(r), asOfYear-26, asOfYear, "con")
	case hhSingleParent:
		sex := 1
		if r.per1000(200) {
			sex = 0
		}
		marital := Divorced
		if r.per1000(450) {
			marital = Widowed
		}
		s.head = g.newPerson(sex, ageYear(r.between(28, 60)), s.origin, -1, -1, "chủ hộ", marital)
		late := g.maybeLateSpouse(s.head, limit-1)
		f, m := s.head, late
		if sex == 1 {
			f, m = late, s.head
		}
		k := 1 + r.intn(100)/50 // 1 or 2, sometimes 3
		if r.per1000(150) {
			k = 3
		}
		g.children(f, m, k, asOfYear-25, asOfYear, "con")
	case hhThreeGen:
		headMale := r.per1000(750)
		wYear := ageYear(r.between(25, 52))
		hYear := wYear - coupleGap(r)
		headYear := hYear
		if !headMale {
			headYear = wYear
		}
		gm := headYear - r.between(20, 38)
		gf := gm - r.between(0, 6)
		if headYear-gf > 44 {
			gf = headYear - 44
		}
		if headYear-gm > 44 {
			gm = headYear - 44
		}
		gpf, gpm := -1, -1
		k := r.intn(100)
		switch {
		case k < 55:
			gpf = g.newPerson(0, gf, s.origin, -1, -1, "bố", Married)
			gpm = g.newPerson(1, gm, s.origin, -1, -1, "mẹ", Married)
			s.d[gpf].spouse, s.d[gpm].spouse = gpm, gpf
		case k < 87:
			gpm = g.newPerson(1, gm, s.origin, -1, -1, "mẹ", Widowed)
			if r.per1000(lateSpouse) {
				gpf = g.newPerson(0, gf, s.origin, -1, -1, "bố", Married)
				g.markLate(gpf, gpm)
			}
		default:
			gpf = g.newPerson(0, gf, s.origin, -1, -1, "bố", Widowed)
			if r.per1000(lateSpouse) {
				gpm = g.newPerson(1, gm, s.origin, -1, -1, "mẹ", Married)
				g.markLate(gpm, gpf)
			}
		}
		h, w := g.coupleYears(hYear, wYear, gpf, gpm, headMale)
		f, m := parents(&s.d, h, w)
		g.children(f, m, []int{0, 1, 1, 1, 2, 2, 2, 2, 3, 3}[r.intn(10)], asOfYear-28, asOfYear, "con")
	case hhElder:
		wYear := ageYear(skewLow(r, 55, 86))
		var f, m int
		if r.per1000(550) {
			h, w := g.couple(wYear, -1, -1, r.per1000(850))
			f, m = parents(&s.d, h, w)
		} else {
			sex := 1
			year := wYear
			if r.per1000(300) {
				sex = 0
				year = wYear - coupleGap(r)
			}
			s.head = g.newPerson(sex, year, s.origin, -1, -1, "chủ hộ", Widowed)
			late := g.maybeLateSpouse(s.head, limit-3)
			f, m = s.head, late
			if sex == 1 {
				f, m = late, s.head
			}
		}
		first := s.n
		g.children(f, m, 1, asOfYear-50, asOfYear-22, "con")
		if s.n == first {
			return
		}
		child := first
		s.d[child].marital = Married
		cd := &s.d[child]
		var spouse int
		if cd.sex == 0 {
			spouse = g.newPerson(1, min(cd.year+r.between(-1, 6), asOfYear-18), g.spouseOld(), -1, -1, "con dâu", Married)
		} else {
			spouse = g.newPerson(0, min(cd.year-coupleGap(r), asOfYear-20), g.spouseOld(), -1, -1, "con rể", Married)
		}
		s.d[child].spouse, s.d[spouse].spouse = spouse, child
		cf, cm := parents(&s.d, child, spouse)
		g.children(cf, cm, r.intn(4), asOfYear-25, asOfYear, "cháu")
	}
}

// parents orders a couple as (father, mother).
func parents(d *[maxDrafts]draft, a, b int) (int, int) {
	if d[a].sex == 0 {
		return a, b
	}
	return b, a
}

func ageYear(age int) int { return asOfYear - age }

// skewLow draws from lo to hi, low values more often (triangular).
func skewLow(r *rng, lo, hi int) int { return lo + min(r.intn(hi-lo+1), r.intn(hi-lo+1)) }

// coupleGap is how many years older the husband is.
func coupleGap(r *rng) int {
	k := r.intn(100)
	switch {
	case k < 70:
		return r.between(0, 5)
	case k < 85:
		return r.between(6, 10)
	default:
		return -r.between(1, 3)
	}
}

func childCount(r *rng) int {
	k := r.intn(100)
	switch {
	case k < 30:
		return 1
	case k < 75:
		return 2
	case k < 93:
		return 3
	default:
		return 4
	}
}

// couple makes a married couple, the head first, the wife born in wYear.
func (g *Generator) couple(wYear, father, mother int, headMale bool) (int, int) {
	return g.coupleYears(wYear-coupleGap(&g.pr), wYear, father, mother, headMale)
}

// coupleYears makes a married couple, the head first; father and mother
// are the head's parents.
func (g *Generator) coupleYears(hYear, wYear, father, mother int, headMale bool) (int, int) {
	s := &g.people
	hYear = min(hYear, asOfYear-20)
	var h, w int
	if headMale {
		h = g.newPerson(0, hYear, s.origin, father, mother, "chủ hộ", Married)
		w = g.newPerson(1, wYear, g.spouseOld(), -1, -1, "vợ", Married)
	} else {
		w = g.newPerson(1, wYear, s.origin, father, mother, "chủ hộ", Married)
		h = g.newPerson(0, hYear, g.spouseOld(), -1, -1, "chồng", Married)
	}
	s.d[h].spouse, s.d[w].spouse = w, h
	if headMale {
		s.head = h
		return h, w
	}
	s.head = w
	return w, h
}

// spouseOld is where someone who married into the household was born.
func (g *Generator) spouseOld() int {
	s, r := &g.people, &g.pr
	switch k := r.intn(100); {
	case k < 70:
		return s.origin
	case k < 85:
		return s.resOld
	default:
		return g.w.national.pick(r)
	}
}

// maybeLateSpouse adds, sometimes, the record of a widowed person's late
// spouse, and returns its index or -1.
func (g *Generator) maybeLateSpouse(p, limit int) int {
	s, r := &g.people, &g.pr
	if s.d[p].marital != Widowed || s.n >= limit || !r.per1000(lateSpouse) {
		return -1
	}
	d := &s.d[p]
	rel := "chồng"
	year := d.year - coupleGap(r)
	if d.sex == 0 {
		rel = "vợ"
		year = d.year + coupleGap(r)
	}
	year = max(year, 1905)
	late := g.newPerson(1-d.sex, year, g.spouseOld(), -1, -1, rel, Married)
	g.markLate(late, p)
	return late
}

// markLate makes late the deceased spouse of the widowed person p.
func (g *Generator) markLate(late, p int) {
	s := &g.people
	s.d[late].dead = true
	s.d[late].spouse, s.d[p].spouse = p, late
}

// children adds up to k children of father and mother (either may be
// -1), born from minYear to maxYear, each parent 19 to 42 years older.
func (g *Generator) children(father, mother, k, minYear, maxYear int, rel string) {
	s, r := &g.people, &g.pr
	if k <= 0 || (father < 0 && mother < 0) {
		return
	}
	lo, hi := minYear, maxYear
	for _, p := range [2]int{father, mother} {
		if p >= 0 {
			lo = max(lo, s.d[p].year+19)
			hi = min(hi, s.d[p].year+42)
		}
	}
	hi = min(hi, asOfYear)
	if lo > hi {
		return
	}
	y := lo + r.intn(min(9, hi-lo)+1)
	for i := 0; i < k && y <= hi && s.n < maxDrafts && g.living() < maxLiving; i++ {
		sex := 1
		if r.per1000(s.sexRatio) {
			sex = 0
		}
		old := s.resOld
		if r.per1000(100) {
			old = s.origin
		}
		g.newPerson(sex, y, old, father, mother, rel, Single)
		y += r.between(1, 6)
	}
}

func (g *Generator) living() int {
	s := &g.people
	n := 0
	for i := 0; i < s.n; i++ {
		if !s.d[i].dead {
			n++
		}
	}
	return n
}

// newPerson adds a draft and draws its birth date, places and name.
func (g *Generator) newPerson(sex, year, old, father, mother int, rel, marital string) int {
	s, r, w := &g.people, &g.pr, g.w
	if s.n == maxDrafts {
		// Cannot happen with the plans above; keep the household valid.
		return -1
	}
	i := s.n
	s.n++
	year = max(year, 1905)
	d := &s.d[i]
	*d = draft{sex: sex, year: year, old: old, father: father, mother: mother, spouse: -1,
		rel: rel, marital: marital, cur: -1}
	// Birth date: a day of the year; up to 30 June in asOfYear.
	days := 365
	if isLeap(year) {
		days = 366
	}
	if year == asOfYear {
		days = lastBirthDay
	}
	d.month, d.day = monthDay(year, r.intn(days))
	if year < 1950 && r.per1000(20) {
		d.day = 0
		if r.per1000(600) {
			d.month = 0
		}
	}
	// Places: born in the home commune or elsewhere in the province of
	// birth registration; the home town is the father's.
	bp := w.olds[old].prov
	if bp == s.prov && r.per1000(localBirthPlace) {
		d.birthComm = s.comm
	} else {
		cs := w.provs[bp].communes
		d.birthComm = cs[r.intn(len(cs))]
	}
	switch {
	case father >= 0:
		d.home = s.d[father].home
	case r.per1000(500):
		d.home = d.birthComm
	default:
		cs := w.provs[bp].communes
		d.home = cs[r.intn(len(cs))]
	}
	// Ethnicity: the household's; the father's for a child; someone who
	// married in from another province may belong to another group.
	d.eth = s.eth
	switch {
	case father >= 0:
		d.eth = s.d[father].eth
	case mother >= 0:
		d.eth = s.d[mother].eth
	case old != s.origin && r.per1000(400):
		d.eth = w.olds[old].ethnic.pick(r)
	}
	g.name(i)
	return i
}

// name draws a draft's name: the father's surname, else one of the
// group's; middle and given names by sex, and by era for the Kinh.
func (g *Generator) name(i int) {
	s, r, w := &g.people, &g.pr, g.w
	d := &s.d[i]
	st := d.eth.info.style
	if d.father >= 0 {
		d.surname = s.d[d.father].surname
	} else {
		d.surname = st.surname[w.olds[d.old].region].pick(r)
	}
	era := 0
	if d.year >= 1985 {
		era = 1
	}
	middle, given := st.middleM[era], st.givenM
	if d.sex == 1 {
		middle, given = st.middleF[era], st.givenF
	}
	d.middle = middle.pick(r)
	for try := 0; ; try++ {
		d.given = given.pick(r)
		if try == 3 || !g.siblingNamed(i, d.given) {
			break
		}
	}
}

// siblingNamed reports whether a sibling of draft i has the given name.
func (g *Generator) siblingNamed(i int, given string) bool {
	s := &g.people
	d := &s.d[i]
	if d.father < 0 && d.mother < 0 {
		return false
	}
	for j := 0; j < i; j++ {
		o := &s.d[j]
		if o.given == given && ((d.father >= 0 && o.father == d.father) || (d.mother >= 0 && o.mother == d.mother)) {
			return true
		}
	}
	return false
}

// residence decides who lives away from the permanent address.
func (g *Generator) residence() {
	s, r, w := &g.people, &g.pr, g.w
	s.hhCur = -1
	if r.per1000(hhElsewhere) {
		if r.intn(2) == 0 {
			cs := w.provs[s.prov].communes
			s.hhCur = cs[r.intn(len(cs))]
		} else {
			s.hhCur = g.cityCommune(r)
		}
		if s.hhCur == s.comm {
			s.hhCur = -1
		}
	}
	for i := 0; i < s.n; i++ {
		d := &s.d[i]
		if d.dead {
			continue
		}
		if s.hhCur >= 0 {
			d.cur = s.hhCur
			continue
		}
		if age := asOfYear - d.year; (d.rel == "con" || d.rel == "cháu") && d.marital == Single && age >= 18 && age <= 32 && r.per1000(youngElsewhere) {
			if c := g.cityCommune(r); c != s.comm {
				d.cur = c
				d.curStreet = true
			}
		}
	}
}

// cityCommune is a commune where people move to: a ward of a province
// drawn by its economic weight.
func (g *Generator) cityCommune(r *rng) int {
	np := &g.w.provs[g.w.bizProv.pick(r)]
	if len(np.wards) > 0 && r.per1000(850) {
		return np.wards[r.intn(len(np.wards))]
	}
	return np.communes[r.intn(len(np.communes))]
}

// deaths dates the deaths of the late spouses: after their youngest child
// was born, at least 20 years after their own birth, before AsOf.
func (g *Generator) deaths() {
	s, r := &g.people, &g.pr
	for i := 0; i < s.n; i++ {
		d := &s.d[i]
		if !d.dead {
			continue
		}
		lo := d.year + 20
		for j := 0; j < s.n; j++ {
			if s.d[j].father == i || s.d[j].mother == i {
				lo = max(lo, s.d[j].year)
			}
		}
		if sp := d.spouse; sp >= 0 {
			lo = max(lo, s.d[sp].year+18)
		}
		lo = min(lo, asOfYear)
		hi := min(d.year+100, asOfYear)
		hi = max(hi, lo)
		d.dy = r.between(lo, hi)
		days := 365
		if isLeap(d.dy) {
			days = 366
		}
		if d.dy == asOfYear {
			days = lastBirthDay
		}
		d.dm, d.dd = monthDay(d.dy, r.intn(days))
		if d.dy == d.year && (d.dm < d.month || (d.dm == d.month && d.dd < d.day)) {
			d.dm, d.dd = d.month, d.day
		}
	}
}

// finish writes the household's text and the Person records.
func (g *Generator) finish() error {
	s, r, w := &g.people, &g.pr, g.w
	b := s.slab[:0]
	c := &w.communes[s.comm]
	np := &w.provs[s.prov]

	s.householdA = int32(len(b))
	b = append(b, "HK"...)
	b = append(b, c.code...)
	s.hhCount[s.comm]++
	b = appendPad(b, int(s.hhCount[s.comm]%10000000), 7)
	s.householdB = int32(len(b))

	village := villageRegional
	if !s.eth.kinh {
		village = s.eth.info.village
	} else if w.olds[s.origin].mountain && r.per1000(200) {
		village = villageBan
	}
	s.streetA = int32(len(b))
	b = appendStreet(b, r, c.ward, np.region, village)
	s.streetB = int32(len(b))
	s.hhCurA, s.hhCurB = s.streetA, s.streetB
	if s.hhCur >= 0 {
		hc := &w.communes[s.hhCur]
		s.hhCurA = int32(len(b))
		b = appendStreet(b, r, hc.ward, w.provs[hc.prov].region, villageRegional)
		s.hhCurB = int32(len(b))
	}

	for i := 0; i < s.n; i++ {
		d := &s.d[i]
		var err error
		d.idA = int32(len(b))
		if b, err = g.appendID(b, d); err != nil {
			return err
		}
		d.idB = int32(len(b))
		d.nameA = int32(len(b))
		b = append(b, d.surname...)
		if d.middle != "" {
			b = append(b, ' ')
			b = append(b, d.middle...)
		}
		b = append(b, ' ')
		b = append(b, d.given...)
		d.nameB = int32(len(b))
		d.bdA = int32(len(b))
		b = appendDate(b, d.year, d.month, d.day)
		d.bdB = int32(len(b))
		d.ddA, d.ddB = 0, 0
		if d.dead {
			d.ddA = int32(len(b))
			b = appendDate(b, d.dy, d.dm, d.dd)
			d.ddB = int32(len(b))
		}
		d.csA, d.csB = s.hhCurA, s.hhCurB
		if d.curStreet {
			cc := &w.communes[d.cur]
			d.csA = int32(len(b))
			b = appendStreet(b, r, cc.ward, w.provs[cc.prov].region, villageRegional)
			d.csB = int32(len(b))
		}
	}
	s.slab = b
	text := string(b)

	h := &s.hh
	h.ID = text[s.householdA:s.householdB]
	h.Commune = c.code
	h.Street = text[s.streetA:s.streetB]
	h.HeadID = ""
	s.members = s.members[:0]
	for i := 0; i < s.n; i++ {
		d := &s.d[i]
		p := &s.persons[i]
		id := text[d.idA:d.idB]
		full := text[d.nameA:d.nameB]
		*p = Person{
			ID:               id,
			FullName:         full,
			Surname:          full[:len(d.surname)],
			MiddleName:       d.middle,
			GivenName:        full[len(full)-len(d.given):],
			BirthDate:        text[d.bdA:d.bdB],
			Sex:              Male,
			Ethnicity:        d.eth.code,
			Religion:         s.relig,
			Nationality:      "VN",
			BirthPlace:       w.communes[d.birthComm].code,
			HomeTown:         w.communes[d.home].code,
			PermanentCommune: c.code,
			PermanentStreet:  h.Street,
			CurrentCommune:   c.code,
			CurrentStreet:    text[d.csA:d.csB],
			HouseholdID:      h.ID,
			RelationToHead:   d.rel,
			MaritalStatus:    d.marital,
			Status:           Living,
		}
		if d.sex == 1 {
			p.Sex = Female
		}
		if d.cur >= 0 {
			p.CurrentCommune = w.communes[d.cur].code
		}
		if d.dead {
			p.Status = Deceased
			p.DeathDate = text[d.ddA:d.ddB]
			p.CurrentStreet = h.Street
			p.CurrentCommune = c.code
		} else {
			s.members = append(s.members, id)
		}
		if i == s.head {
			h.HeadID = id
		}
	}
	for i := 0; i < s.n; i++ {
		d := &s.d[i]
		p := &s.persons[i]
		if d.father >= 0 {
			p.FatherID = s.persons[d.father].ID
		}
		if d.mother >= 0 {
			p.MotherID = s.persons[d.mother].ID
		}
		if d.spouse >= 0 {
			p.SpouseID = s.persons[d.spouse].ID
		}
	}
	h.Members = s.members
	return nil
}

// appendID writes a fresh personal ID for d: the old province of birth
// registration, century and sex, the year, and a serial that is a
// bijection of a counter of that province, year and sex, so unique and
// scattered.
func (g *Generator) appendID(b []byte, d *draft) ([]byte, error) {
	s, w := &g.people, g.w
	yi := d.year - 1900
	old := d.old
	key := (old*200+yi)*2 + d.sex
	if s.idCount[key] >= 1000000 {
		// Exhausted: register the birth in another province of the same
		// new province, else anywhere.
		found := false
		for _, o := range append(append([]int(nil), w.provs[w.olds[old].prov].olds...), seq(len(w.olds))...) {
			if k := (o*200+yi)*2 + d.sex; s.idCount[k] < 1000000 {
				old, key, found = o, k, true
				break
			}
		}
		if !found {
			return b, ErrExhausted
		}
		d.old = old
	}
	c := uint64(s.idCount[key])
	s.idCount[key]++
	serial := int(s.serials.at((c + mix(g.seed^uint64(key)*0x9e3779b97f4a7c15)) % 1000000))
	b = append(b, w.olds[old].code...)
	b = append(b, byte('0'+yi/100*2+d.sex))
	b = appendPad(b, yi%100, 2)
	return appendPad(b, serial, 6), nil
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

var cumDays = [2][13]int{
	{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365},
	{0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366},
}

// monthDay turns a day of the year from 0 into month and day from 1.
func monthDay(year, doy int) (int, int) {
	t := &cumDays[0]
	if isLeap(year) {
		t = &cumDays[1]
	}
	m := doy / 31 // a lower bound
	for m < 11 && t[m+1] <= doy {
		m++
	}
	return m + 1, doy - t[m] + 1
}

// appendDate writes YYYY-MM-DD, YYYY-MM (day 0) or YYYY (month 0).
func appendDate(b []byte, y, m, d int) []byte {
	b = appendPad(b, y, 4)
	if m == 0 {
		return b
	}
	b = append(b, '-')
	b = appendPad(b, m, 2)
	if d == 0 {
		return b
	}
	b = append(b, '-')
	return appendPad(b, d, 2)
}
