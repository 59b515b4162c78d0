package synth

import (
	"errors"
	"math"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// industry is a line of business as it appears in enterprise names.
type industry struct {
	vi     string   // in the Vietnamese name: "Thương mại và Dịch vụ"
	en     string   // in the English name: "Trading and Services"
	short  string   // in the short name: "TRADING"
	lines  []string // VSIC 2018 level-4 codes, the main one first
	weight float64
	plant  bool // has a plant: often in an industrial park
}

var industries = []industry{
	{"Thương mại và Dịch vụ", "Trading and Services", "TRADING", []string{"4690", "4649", "8299", "4659"}, 16, false},
	{"Thương mại", "Trading", "TRADING", []string{"4690", "4669", "4649"}, 8, false},
	{"Xây dựng", "Construction", "CONSTRUCTION", []string{"4101", "4102", "4330", "4312", "4321"}, 10, false},
	{"Đầu tư và Xây dựng", "Investment and Construction", "INVESTMENT", []string{"4102", "4299", "6810", "4212"}, 5, false},
	{"Vận tải", "Transport", "TRANSPORT", []string{"4933", "5229", "5210", "4932"}, 4, false},
	{"Công nghệ", "Technology", "TECH", []string{"6201", "6202", "6209", "4651"}, 5, false},
	{"Phần mềm", "Software", "SOFTWARE", []string{"6201", "6209", "6311"}, 2, false},
	{"Du lịch", "Travel", "TRAVEL", []string{"7911", "7912", "5510"}, 3, false},
	{"Thực phẩm", "Food", "FOOD", []string{"1079", "4632", "1030"}, 3, true},
	{"May mặc", "Garment", "GARMENT", []string{"1410", "4641"}, 2, true},
	{"Nội thất", "Furniture", "FURNITURE", []string{"3100", "4649", "4330"}, 2, true},
	{"Xuất nhập khẩu", "Import Export", "IMEX", []string{"4690", "4620", "4659"}, 3, false},
	{"Bất động sản", "Real Estate", "LAND", []string{"6810", "6820"}, 3, false},
	{"Cơ khí", "Mechanical Engineering", "MECHANICAL", []string{"2592", "2511", "3312"}, 2, true},
	{"Kỹ thuật Điện", "Electrical Engineering", "ELECTRIC", []string{"4321", "4659", "3312"}, 2, false},
	{"Nông nghiệp", "Agriculture", "AGRI", []string{"0118", "0145", "4620"}, 2, false},
	{"Thủy sản", "Seafood", "SEAFOOD", []string{"0322", "1020", "4632"}, 1.5, true},
	{"Quảng cáo", "Advertising", "ADVERTISING", []string{"7310", "1811", "7410"}, 2, false},
	{"Tư vấn", "Consulting", "CONSULTING", []string{"7020", "7110", "6920"}, 3, false},
	{"Giáo dục", "Education", "EDUCATION", []string{"8559", "8560"}, 2, false},
	{"Dược phẩm", "Pharmaceutical", "PHARMA", []string{"4649", "4772"}, 1.5, false},
	{"Môi trường", "Environment", "ENVIRONMENT", []string{"3811", "3900", "8130"}, 1, false},
	{"In", "Printing", "PRINTING", []string{"1811", "7310"}, 1, true},
	{"Vật liệu Xây dựng", "Building Materials", "MATERIALS", []string{"4663", "2395"}, 2, true},
	{"Logistics", "Logistics", "LOGISTICS", []string{"5229", "5210", "5224"}, 2, false},
	{"Nhựa", "Plastics", "PLASTICS", []string{"2220", "4669"}, 1, true},
	{"Thiết bị Y tế", "Medical Equipment", "MEDICAL", []string{"4659", "4772"}, 1, false},
	{"Ô tô", "Automobile", "AUTO", []string{"4520", "4511"}, 1, false},
	{"Dịch vụ Ăn uống", "Catering", "CATERING", []string{"5610", "5630"}, 2, false},
	{"Năng lượng", "Energy", "ENERGY", []string{"3511", "4321"}, 1, false},
	{"Kiến trúc", "Architecture", "ARCHITECTURE", []string{"7110", "7410"}, 1, false},
	{"Sản xuất và Thương mại", "Production and Trading", "PRODUCTION", []string{"2599", "4690", "1079"}, 4, true},
}

// extraLines are business lines that many enterprises add to their main
// ones.
var extraLines = []string{"4690", "8299", "4659", "4669", "7490", "8230", "4933", "5229", "6820", "7020", "4773", "4741"}

// Syllables of brand names, with their ASCII forms.
var (
	brandFirst = strings.Fields(`Hoàng Minh Thành Phú An Việt Hưng Tân Đại Kim Thiên Phúc Hải Trường Đông
		Nam Quang Bảo Gia Hòa Thái Vạn Nhật Tiến Đức Hồng Ngọc Sơn Thịnh Lộc Trí Hùng Tâm Sao Long Á`)
	brandSecond = strings.Fields(`Long Phát Đạt Thịnh Khang Tiến Phong Ngân Phúc Lộc Minh Hưng Anh Thành
		Việt Quang An Hà Sơn Hải Nam Bình Gia Huy Vượng Tín Lợi Hòa Mỹ Phú Tâm Dương Kiệt Trung Nguyên Châu`)
	// nameSuffixes tell apart two enterprises that would have the same
	// name.
	nameSuffixes = []string{"Việt Nam", "Sài Gòn", "Hà Nội", "Miền Bắc", "Miền Nam", "Miền Trung", "Tây Nguyên",
		"Đông Dương", "Toàn Cầu", "Quốc tế", "Thủ Đô", "Đồng bằng", "Duyên hải", "Cửu Long", "Hồng Hà"}
	industrialParks = strings.Fields(`Tân Bình Phú Mỹ Hòa Khánh Đình Vũ Quế Võ Yên Phong Nhơn Trạch Mỹ Phước Long Hậu
		Tràng Duệ Thăng Long Đồng Văn Sóng Thần Hiệp Phước Liên Chiểu Điện Nam`)
)

// The types of enterprise: weights and the forms of their names.
var (
	entTypes       = []string{LLCOneMember, LLCMultiMember, JointStock, SoleProprietorship, Partnership}
	entTypeWeights = []float64{45, 30, 19.5, 5, 0.5}
)

type entState struct {
	init      bool
	types     picker
	inds      picker
	taxCount  []uint32 // per old province
	serials   permuter
	names     map[string]struct{}
	ascii     map[string]string
	parkNames []string
}

func (s *entState) setup(w *world, seed uint64) {
	if s.init {
		return
	}
	s.init = true
	s.serials = newPermuter(10000000, seed^0x7a3c)
	s.types = newPicker(entTypeWeights)
	ws := make([]float64, len(industries))
	for i, ind := range industries {
		ws[i] = ind.weight
	}
	s.inds = newPicker(ws)
	s.taxCount = make([]uint32, len(w.olds))
	s.names = map[string]struct{}{}
	s.ascii = map[string]string{}
	for i := 0; i+1 < len(industrialParks); i += 2 {
		s.parkNames = append(s.parkNames, industrialParks[i]+" "+industrialParks[i+1])
	}
}

// toASCII removes the diacritics of Vietnamese text, keeping the case.
func toASCII(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteByte('d')
		case r == 'Đ':
			b.WriteByte('D')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (s *entState) asciiOf(v string) string {
	a, ok := s.ascii[v]
	if !ok {
		a = toASCII(v)
		s.ascii[v] = a
	}
	return a
}

// Enterprises generates n enterprises and calls emit with each; the
// Enterprise is fresh and may be kept. Representatives and members are
// drawn from adults, personal IDs of living people (such as those People
// made, filtered with Person.LivingAdult); IDs whose birth year shows
// someone under 18 on AsOf are passed over. Tax codes are unique within the
// Generator; names are unique among the enterprises it made.
func (g *Generator) Enterprises(n int, adults []string, emit func(*Enterprise) error) error {
	if n <= 0 {
		return nil
	}
	if len(adults) == 0 {
		return errors.New("synth: enterprises need adults to be their representatives and members")
	}
	s, r, w := &g.ents, &g.er, g.w
	s.setup(w, g.seed)
	for i := 0; i < n; i++ {
		e := &Enterprise{Type: entTypes[s.types.pick(r)]}
		ind := &industries[s.inds.pick(r)]

		// Head office: provinces by their share of enterprises, mostly in
		// wards.
		np := &w.provs[w.bizProv.pick(r)]
		ci := np.communes[r.intn(len(np.communes))]
		if len(np.wards) > 0 && r.per1000(800) {
			ci = np.wards[r.intn(len(np.wards))]
		}
		c := &w.communes[ci]
		e.HeadOfficeCommune = c.code
		if ind.plant && r.per1000(350) {
			e.HeadOfficeStreet = "Lô " + string(rune('A'+r.intn(12))) + string(appendInt(nil, r.between(1, 60))) +
				", Khu công nghiệp " + s.parkNames[r.intn(len(s.parkNames))]
		} else {
			e.HeadOfficeStreet = string(appendStreet(nil, r, c.ward, np.region, villageRegional))
		}

		code, err := g.taxCode(np.olds[np.oldPick.pick(r)])
		if err != nil {
			return err
		}
		e.Code = code
		g.nameEnterprise(e, ind)

		// Registered from 1991 on, more in recent years; older ones have
		// more often been dissolved.
		year := asOfYear - int(34*math.Pow(r.float(), 1.3))
		year = max(year, 1991)
		days := 365
		if isLeap(year) {
			days = 366
		}
		if year == asOfYear {
			days = lastBirthDay
		}
		m, d := monthDay(year, r.intn(days))
		e.RegisteredOn = string(appendDate(nil, year, m, d))
		k, old := r.intn(1000), year < 2015
		switch {
		case k < 860 && !old, k < 700 && old:
			e.Status = "active"
		case k < 930 && !old, k < 760 && old:
			e.Status = "suspended"
		case k < 960 && !old, k < 800 && old:
			e.Status = "dissolving"
		default:
			e.Status = "dissolved"
		}

		e.CharterCapital = capital(r, e.Type)
		if err := g.pickPeople(e, adults); err != nil {
			return err
		}
		e.BusinessLines = append([]string(nil), ind.lines[:r.between(1, len(ind.lines))]...)
		for extra := r.intn(4); extra > 0; extra-- {
			l := extraLines[r.intn(len(extraLines))]
			if !contains(e.BusinessLines, l) {
				e.BusinessLines = append(e.BusinessLines, l)
			}
		}
		if e.Type != SoleProprietorship && r.per1000(80) {
			for b := 1; b <= r.between(1, 3); b++ {
				e.Branches = append(e.Branches, e.Code+"-"+string(appendPad(nil, b, 3)))
			}
		}
		if err := emit(e); err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// taxCode returns a fresh tax code issued in an old province: its
// two-digit number, seven digits that are a bijection of the province's
// counter, and the check digit. First nine digits without a check digit are skipped.
func (g *Generator) taxCode(old int) (string, error) {
	s, w := &g.ents, g.w
	prefix := w.olds[old].taxPrefix
	off := mix(g.seed^uint64(old+1)*0xd1b54a32d192ed03) % 10000000
	for s.taxCount[old] < 10000000 {
		c := uint64(s.taxCount[old])
		s.taxCount[old]++
		body := int(s.serials.at((c + off) % 10000000))
		var b [13]byte
		t := append(b[:0], prefix...)
		t = appendPad(t, body, 7)
		sum := 0
		for i, wt := range taxWeights {
			sum += wt * int(t[i]-'0')
		}
		check := 10 - sum%11
		if check == 10 {
			continue
		}
		t = append(t, byte('0'+check))
		return string(t), nil
	}
	return "", ErrExhausted
}

// taxWeights are the weights of the tax-code check digit (see vnid).
var taxWeights = [9]int{31, 29, 23, 19, 17, 13, 7, 5, 3}

// nameEnterprise gives e its names: "Công ty TNHH Thương mại và Dịch vụ
// Hoàng Long", in English "Hoang Long Trading and Services Company
// Limited", short "HOANG LONG TRADING CO., LTD".
func (g *Generator) nameEnterprise(e *Enterprise, ind *industry) {
	s, r := &g.ents, &g.er
	a := brandFirst[r.intn(len(brandFirst))]
	b := brandSecond[r.intn(len(brandSecond))]
	for b == a {
		b = brandSecond[r.intn(len(brandSecond))]
	}
	brand := a + " " + b
	withIndustry := r.per1000(850)
	var form, formEn, formShort string
	switch e.Type {
	case SoleProprietorship:
		form, formEn = "Doanh nghiệp tư nhân ", " Private Enterprise"
	case LLCOneMember:
		form, formEn, formShort = "Công ty TNHH ", " Company Limited", " CO., LTD"
		if r.per1000(200) {
			form = "Công ty TNHH Một thành viên "
			formEn, formShort = " One Member Company Limited", " OMC CO., LTD"
		}
	case LLCMultiMember:
		form, formEn, formShort = "Công ty TNHH ", " Company Limited", " CO., LTD"
	case JointStock:
		form, formEn, formShort = "Công ty Cổ phần ", " Joint Stock Company", " JSC"
	case Partnership:
		form, formEn, formShort = "Công ty Luật Hợp danh ", " Law Partnership", " LAW"
		withIndustry = false
	}
	for attempt := 0; ; attempt++ {
		suffix := ""
		switch {
		case attempt == 0:
		case attempt <= 8:
			suffix = nameSuffixes[r.intn(len(nameSuffixes))]
		default:
			suffix = string(appendInt(nil, attempt-7))
		}
		vi := form
		if withIndustry {
			vi += ind.vi + " "
		}
		vi += brand
		if suffix != "" {
			vi += " " + suffix
		}
		if _, taken := s.names[vi]; taken {
			continue
		}
		s.names[vi] = struct{}{}
		e.Name = vi
		brandEn := s.asciiOf(a) + " " + s.asciiOf(b)
		if suffix != "" {
			brandEn += " " + s.asciiOf(suffix)
		}
		en := brandEn
		short := strings.ToUpper(brandEn)
		if withIndustry {
			en += " " + ind.en
			if r.per1000(500) {
				short += " " + ind.short
			}
		}
		e.NameEn = en + formEn
		if formShort != "" {
			e.ShortName = short + formShort
		}
		return
	}
}

// capital is a round charter capital for the type of enterprise.
func capital(r *rng, typ string) int64 {
	mant := []int64{10, 15, 20, 25, 30, 50, 80}[r.intn(7)]
	var exp int
	switch typ {
	case SoleProprietorship, Partnership:
		exp = r.between(7, 8)
	case LLCOneMember:
		exp = r.between(7, 9)
	case LLCMultiMember:
		exp = r.between(8, 9)
	default:
		exp = r.between(8, 10)
		if r.per1000(20) {
			exp = 11
		}
	}
	v := mant
	for ; exp > 0; exp-- {
		v *= 10
	}
	return v
}

// pickPeople picks the representatives and members of e among adults.
func (g *Generator) pickPeople(e *Enterprise, adults []string) error {
	r := &g.er
	var picked []string
	pick := func() (string, error) {
		for try := 0; try < 200; try++ {
			id := adults[r.intn(len(adults))]
			if y := birthYearOfID(id); y == 0 || y > adultBornBy || y < asOfYear-85 || contains(picked, id) {
				continue
			}
			picked = append(picked, id)
			return id, nil
		}
		return "", errors.New("synth: not enough adults among the IDs given for enterprise representatives")
	}
	// add appends k people to list; with fewer adults to pick from, need
	// of them are enough.
	add := func(list *[]string, k, need int) error {
		for got := 0; got < k; got++ {
			id, err := pick()
			if err != nil {
				if got >= need {
					return nil
				}
				return err
			}
			*list = append(*list, id)
		}
		return nil
	}
	var err error
	switch e.Type {
	case SoleProprietorship:
		err = add(&e.Members, 1, 1)
	case LLCOneMember:
		err = add(&e.Members, 1, 1)
		if err == nil && r.per1000(300) {
			// A hired director rather than the owner.
			err = add(&e.Representatives, 1, 0)
		}
	case LLCMultiMember:
		err = add(&e.Members, []int{2, 2, 2, 3, 3, 4, 5, 2, 3, 6}[r.intn(10)], 2)
	case JointStock:
		err = add(&e.Members, r.between(3, 7), 3)
	case Partnership:
		// Every general partner represents the partnership.
		if err = add(&e.Members, r.between(2, 4), 2); err == nil {
			e.Representatives = append([]string(nil), e.Members...)
		}
	}
	if err != nil {
		return err
	}
	if len(e.Representatives) == 0 {
		e.Representatives = []string{e.Members[r.intn(len(e.Members))]}
		if e.Type == LLCMultiMember {
			e.Representatives[0] = e.Members[0] // the chair of the members' council
		}
	}
	if e.Type != Partnership && e.Type != SoleProprietorship && r.per1000(60) {
		return add(&e.Representatives, 1, 0)
	}
	return nil
}
