package synth

import (
	"errors"
	"math"
)

// Land-use purposes (mục đích sử dụng đất) by kind of commune, in percent.
const (
	purposeWard     = "ODT:62, TMD:8, SKC:5, CLN:6, BHK:6, LUC:5, NTS:2"
	purposeRural    = "ONT:32, LUC:26, LUK:4, BHK:10, CLN:14, NTS:5, RSX:4, SKC:2, TMD:3"
	purposeMountain = "ONT:25, LUK:10, LUC:8, BHK:18, CLN:15, RSX:20, NTS:2, SKC:1, TMD:1"
	purposeMekong   = "ONT:28, LUC:35, CLN:15, NTS:14, BHK:4, SKC:2, TMD:2"
	purposeHighland = "ONT:25, CLN:35, BHK:15, LUC:5, RSX:12, NTS:2, SKC:3, TMD:3"
)

// Kinds of province for land use (2025 codes).
var (
	mountainNew = map[string]bool{"04": true, "08": true, "11": true, "12": true, "14": true, "15": true, "19": true, "20": true}
	mekongNew   = map[string]bool{"80": true, "82": true, "86": true, "91": true, "92": true, "96": true}
	highlandNew = map[string]bool{"52": true, "66": true, "68": true}
)

// parcelArea is the range of areas, in m², drawn log-uniformly.
var parcelArea = map[string][2]float64{
	"ODT": {30, 250}, "ONT": {100, 1200}, "LUC": {300, 3000}, "LUK": {300, 3000}, "BHK": {200, 3000},
	"CLN": {500, 20000}, "NTS": {1000, 20000}, "RSX": {5000, 100000}, "SKC": {1000, 50000}, "TMD": {100, 10000},
}

// pricePerM2 is a rough land price, VND/m², for mortgage amounts.
var pricePerM2 = map[string]int64{
	"ODT": 40000000, "ONT": 4000000, "LUC": 150000, "LUK": 120000, "BHK": 150000, "CLN": 200000,
	"NTS": 150000, "RSX": 60000, "SKC": 6000000, "TMD": 15000000,
}

// enterpriseShare is the chance, per mille, that an enterprise holds a
// parcel of a purpose; 20 for the purposes not listed.
var enterpriseShare = map[string]int{"SKC": 850, "TMD": 600, "RSX": 100}

// Origins (nguồn gốc sử dụng đất) as certificates state them.
const (
	originAllocPaid   = "Nhà nước giao đất có thu tiền sử dụng đất"
	originAllocFree   = "Nhà nước giao đất không thu tiền sử dụng đất"
	originLeaseYearly = "Nhà nước cho thuê đất trả tiền thuê đất hằng năm"
	originLeaseOnce   = "Nhà nước cho thuê đất trả tiền thuê đất một lần cho cả thời gian thuê"
	originRecogPaid   = "Công nhận quyền sử dụng đất như giao đất có thu tiền sử dụng đất"
	originRecogFree   = "Công nhận quyền sử dụng đất như giao đất không thu tiền sử dụng đất"
	originTransfer    = "Nhận chuyển nhượng quyền sử dụng đất"
	originInherit     = "Nhận thừa kế quyền sử dụng đất"
	originGift        = "Được tặng cho quyền sử dụng đất"
)

var (
	originsResidential = originRecogPaid + ":35, " + originAllocPaid + ":20, " + originTransfer + ":30, " + originInherit + ":10, " + originGift + ":5"
	originsFarm        = originRecogFree + ":40, " + originAllocFree + ":35, " + originTransfer + ":15, " + originInherit + ":10"
	originsEnterprise  = originLeaseYearly + ":45, " + originLeaseOnce + ":30, " + originAllocPaid + ":15, " + originTransfer + ":10"
)

// Banks that take mortgages, Agribank most of all.
const banks = `Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam:22,
	Ngân hàng TMCP Đầu tư và Phát triển Việt Nam:14, Ngân hàng TMCP Công Thương Việt Nam:12,
	Ngân hàng TMCP Ngoại thương Việt Nam:10, Ngân hàng TMCP Kỹ thương Việt Nam:6, Ngân hàng TMCP Quân đội:6,
	Ngân hàng TMCP Á Châu:5, Ngân hàng TMCP Việt Nam Thịnh Vượng:5, Ngân hàng TMCP Sài Gòn Thương Tín:5,
	Ngân hàng TMCP Sài Gòn - Hà Nội:3, Ngân hàng TMCP Phát triển Thành phố Hồ Chí Minh:3,
	Ngân hàng TMCP Tiên Phong:3, Ngân hàng Chính sách xã hội:6`

type sheetState struct {
	sheet, last, perSheet int32
}

type parcelState struct {
	init                                 bool
	ward, rural, mountain, mekong, highl *wlist
	resid, farm, ent                     *wlist
	banks                                *wlist
	sheets                               []sheetState
	certs                                uint64
	serials                              permuter
}

func (s *parcelState) setup(w *world, seed uint64) {
	if s.init {
		return
	}
	s.init = true
	s.serials = newPermuter(certSpace, seed^0x5bd1e995)
	s.ward, s.rural, s.mountain = newWlist(purposeWard), newWlist(purposeRural), newWlist(purposeMountain)
	s.mekong, s.highl = newWlist(purposeMekong), newWlist(purposeHighland)
	s.resid, s.farm, s.ent = newWlist(originsResidential), newWlist(originsFarm), newWlist(originsEnterprise)
	s.banks = newWlist(banks)
	s.sheets = make([]sheetState, len(w.communes))
}

// certSpace is the number of certificate serials: a first letter A to D,
// a second letter A to Z, six digits.
const certSpace = 4 * 26 * 1000000

// Parcels generates n land parcels and calls emit with each; the Parcel is
// fresh and may be kept. Holders are drawn from holders (personal IDs of
// living adults; co-holders are taken as consecutive entries, so that
// passing adults in the order People made them makes most co-holders
// spouses) and from enterprises (enterprise codes), which mostly hold
// commercial and production land. Parcel IDs and certificate serials are
// unique within the Generator.
func (g *Generator) Parcels(n int, holders []string, enterprises []string, emit func(*Parcel) error) error {
	if n <= 0 {
		return nil
	}
	if len(holders) == 0 && len(enterprises) == 0 {
		return errors.New("synth: parcels need holders: personal IDs or enterprise codes")
	}
	s, r, w := &g.parcels, &g.lr, g.w
	s.setup(w, g.seed)
	for i := 0; i < n; i++ {
		np := &w.provs[w.olds[w.national.pick(r)].prov]
		ci := np.communes[r.intn(len(np.communes))]
		c := &w.communes[ci]
		p := &Parcel{Commune: c.code}

		list := s.rural
		switch {
		case c.ward:
			list = s.ward
		case mekongNew[np.code]:
			list = s.mekong
		case highlandNew[np.code]:
			list = s.highl
		case mountainNew[np.code]:
			list = s.mountain
		}
		p.Purpose = list.pick(r)
		rg := parcelArea[p.Purpose]
		p.AreaM2 = math.Round(rg[0]*math.Exp(r.float()*math.Log(rg[1]/rg[0]))*10) / 10

		// Map sheet and parcel numbers rise within the commune, with gaps
		// for the parcels not generated.
		st := &s.sheets[ci]
		if st.perSheet == 0 {
			h := mix(g.seed ^ uint64(ci+1)*0x9e3779b97f4a7c15)
			st.perSheet = int32(80 + h%320)
			st.sheet = int32(1 + (h>>20)%5)
		}
		st.last += int32(1 + r.intn(25))
		if st.last > st.perSheet {
			st.sheet += int32(1 + r.intn(2))
			st.last = int32(1 + r.intn(10))
		}
		p.MapSheet, p.ParcelNo = int(st.sheet), int(st.last)
		id := append([]byte(c.code), '-')
		id = appendInt(id, p.MapSheet)
		id = append(id, '-')
		p.ID = string(appendInt(id, p.ParcelNo))

		// Holders.
		entChance := enterpriseShare[p.Purpose]
		if entChance == 0 {
			entChance = 20
		}
		byEnterprise := len(enterprises) > 0 && (len(holders) == 0 || r.per1000(entChance))
		if byEnterprise {
			p.Holders = []Holder{{ID: enterprises[r.intn(len(enterprises))], Kind: HolderEnterprise, SharePct: 100}}
		} else {
			k := 1
			if x := r.intn(100); x >= 93 {
				k = 3
			} else if x >= 55 {
				k = 2
			}
			k = min(k, len(holders))
			start := r.intn(len(holders) - k + 1)
			for try := 0; try < 8 && k == 1; try++ {
				if y := birthYearOfID(holders[start]); y != 0 && y <= adultBornBy {
					break
				}
				start = r.intn(len(holders))
			}
			shares := [4][]float64{nil, {100}, {50, 50}, {33.33, 33.33, 33.34}}[k]
			for j := 0; j < k; j++ {
				p.Holders = append(p.Holders, Holder{ID: holders[start+j], Kind: HolderPerson, SharePct: shares[j]})
			}
		}

		// The certificate.
		year := r.between(1995, asOfYear)
		days := 365
		if isLeap(year) {
			days = 366
		}
		if year == asOfYear {
			days = lastBirthDay
		}
		m, d := monthDay(year, r.intn(days))
		p.IssuedOn = string(appendDate(nil, year, m, d))
		if s.certs >= certSpace {
			return ErrExhausted
		}
		x := s.serials.at(s.certs)
		s.certs++
		serial := []byte{byte('A' + x/1000000/26), byte('A' + x/1000000%26), ' '}
		p.CertificateSerial = string(appendPad(serial, int(x%1000000), 6))

		// Term and origin.
		residential := p.Purpose == "ODT" || p.Purpose == "ONT"
		switch {
		case residential && !byEnterprise:
			p.Term = "lâu dài"
			p.Origin = s.resid.pick(r)
		case byEnterprise:
			p.Term = string(appendDate(nil, year+50, m, min(d, 28)))
			p.Origin = s.ent.pick(r)
		default:
			if year < 2014 && r.per1000(700) {
				p.Term = "2063-10-15"
			} else {
				p.Term = string(appendDate(nil, year+50, m, min(d, 28)))
			}
			p.Origin = s.farm.pick(r)
		}

		// Mortgages, more on residential land.
		chance := 120
		if residential {
			chance = 220
		}
		if r.per1000(chance) {
			k := 1
			if r.per1000(150) {
				k = 2
			}
			value := int64(p.AreaM2) * pricePerM2[p.Purpose]
			from := max(year, 2005)
			for j := 0; j < k; j++ {
				my := r.between(from, asOfYear)
				mdays := 365
				if isLeap(my) {
					mdays = 366
				}
				if my == asOfYear {
					mdays = lastBirthDay
				}
				mm, md := monthDay(my, r.intn(mdays))
				if my == year && (mm < m || (mm == m && md < d)) {
					mm, md = m, d
				}
				amount := value * int64(30+r.intn(41)) / 100
				amount = max(amount/10000000*10000000, 50000000)
				p.Mortgages = append(p.Mortgages, Mortgage{Bank: s.banks.pick(r), RegisteredOn: string(appendDate(nil, my, mm, md)), Amount: amount})
				from = my
			}
		}
		if err := emit(p); err != nil {
			return err
		}
	}
	return nil
}
