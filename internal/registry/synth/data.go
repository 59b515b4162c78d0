package synth

import (
	"embed"
	"encoding/csv"
	"strconv"
	"strings"
	"sync"
)

// The data files are copies (see README.md): units.csv and LICENSE from the
// catalog's admin-units seed, ethnic-groups.csv and religions.csv from the
// catalog's seed, provinces.csv derived from merges.json plus population
// estimates.
//
//go:embed data/units.csv data/provinces.csv data/ethnic-groups.csv data/religions.csv
var dataFiles embed.FS

// Regions, for surname variants (Hoàng/Huỳnh, Vũ/Võ) and address styles.
const (
	regionNorth   = iota // the Red River delta and the northern mountains
	regionCentral        // Thanh Hóa to Huế
	regionSouth          // Đà Nẵng southwards, the Central Highlands, the South
)

// commune is a commune-level unit of 1 July 2025.
type commune struct {
	code string
	name string
	prov int  // index in world.provs
	ward bool // phường (urban); xã and đặc khu are rural
}

// newProv is one of the 34 provinces of 1 July 2025.
type newProv struct {
	code     string
	name     string
	olds     []int // indices in world.olds
	oldPick  picker
	communes []int // indices in world.communes
	wards    []int
	pop      float64
	region   int
}

// oldProv is one of the 63 provinces before 1 July 2025, the unit of birth
// registration in the personal ID.
type oldProv struct {
	code      string // three digits, e.g. "001"
	prov      int    // index of the new province it is part of
	pop       float64
	region    int
	mountain  bool // northern mountains: bản, minorities
	ethnic    ethPicker
	religion  wlist // for the Kinh and the groups without a profile of their own
	taxPrefix string
	migrant   int // per mille of households that came from elsewhere
}

// world is the parsed reference data, shared by every Generator.
type world struct {
	communes []commune
	provs    []newProv
	olds     []oldProv
	provIdx  map[string]int // "01" -> index
	national picker         // an old province by population
	bizProv  picker         // a new province by number of enterprises
	ethnic   map[string]bool
	religion map[string]bool
	ethStyle map[string]*ethInfo
	eths     map[string]*ethnicity
}

// ethnicity is an ethnic group with what the generator needs of it.
type ethnicity struct {
	code string
	kinh bool
	info *ethInfo // never nil: groups without a style of their own name like the Kinh
}

// ethPicker draws an ethnic group with fixed weights.
type ethPicker struct {
	vals []*ethnicity
	p    picker
}

func (e *ethPicker) pick(r *rng) *ethnicity { return e.vals[e.p.pick(r)] }

var (
	worldOnce sync.Once
	theWorld  *world
)

func getWorld() *world {
	worldOnce.Do(func() { theWorld = loadWorld() })
	return theWorld
}

func readCSV(name string) [][]string {
	f, err := dataFiles.Open("data/" + name)
	if err != nil {
		panic("synth: " + err.Error())
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		panic("synth: " + name + ": " + err.Error())
	}
	return rows[1:] // the header
}

func regionOf(oldCode string) int {
	n, _ := strconv.Atoi(oldCode)
	switch {
	case n < 38:
		return regionNorth
	case n <= 46:
		return regionCentral
	default:
		return regionSouth
	}
}

func loadWorld() *world {
	w := &world{provIdx: map[string]int{}, ethnic: map[string]bool{}, religion: map[string]bool{}}
	for _, r := range readCSV("ethnic-groups.csv") {
		w.ethnic[r[0]] = true
	}
	for _, r := range readCSV("religions.csv") {
		w.religion[r[0]] = true
	}
	for _, r := range readCSV("units.csv") {
		switch r[2] {
		case "province":
			w.provIdx[r[0]] = len(w.provs)
			w.provs = append(w.provs, newProv{code: r[0], name: r[1]})
		case "commune":
			p, ok := w.provIdx[r[3]]
			if !ok {
				panic("synth: commune " + r[0] + " of unknown province " + r[3])
			}
			c := commune{code: r[0], name: r[1], prov: p, ward: strings.HasPrefix(r[1], "Phường ")}
			np := &w.provs[p]
			np.communes = append(np.communes, len(w.communes))
			if c.ward {
				np.wards = append(np.wards, len(w.communes))
			}
			w.communes = append(w.communes, c)
		}
	}
	w.ethStyle = buildEthnicStyles()
	w.eths = map[string]*ethnicity{}
	for code := range w.ethnic {
		info := w.ethStyle[code]
		if info == nil {
			info = &ethInfo{style: w.ethStyle["01"].style}
		}
		w.eths[code] = &ethnicity{code: code, kinh: code == "01", info: info}
	}
	var nat []float64
	for _, r := range readCSV("provinces.csv") {
		p, ok := w.provIdx[r[2]]
		if !ok {
			panic("synth: old province " + r[0] + " in unknown province " + r[2])
		}
		pop, err := strconv.ParseFloat(r[3], 64)
		if err != nil {
			panic("synth: bad population for " + r[0])
		}
		o := oldProv{code: r[0], prov: p, pop: pop, region: regionOf(r[0]),
			mountain: mountainProvinces[r[0]], taxPrefix: taxPrefixes[r[0]], migrant: 40}
		if m, ok := migrantShare[r[0]]; ok {
			o.migrant = m
		}
		if o.taxPrefix == "" {
			panic("synth: no tax prefix for " + r[0])
		}
		ew := withRest("01", ethnicProfiles[r[0]])
		o.ethnic.p = ew.p
		for _, c := range ew.vals {
			e, ok := w.eths[c]
			if !ok {
				panic("synth: unknown ethnic code " + c)
			}
			o.ethnic.vals = append(o.ethnic.vals, e)
		}
		relig := religionProfiles[r[0]]
		if relig == "" {
			relig = religionDefault
		}
		o.religion = *withRest("00", relig)
		w.provs[p].olds = append(w.provs[p].olds, len(w.olds))
		w.provs[p].pop += pop
		w.olds = append(w.olds, o)
		nat = append(nat, pop)
	}
	if len(w.olds) != 63 || len(w.provs) != 34 {
		panic("synth: expected 63 old and 34 new provinces")
	}
	w.national = newPicker(nat)
	var biz []float64
	for i := range w.provs {
		np := &w.provs[i]
		if len(np.communes) == 0 || len(np.olds) == 0 {
			panic("synth: province " + np.code + " has no communes or no old provinces")
		}
		var ws []float64
		for _, o := range np.olds {
			ws = append(ws, w.olds[o].pop)
		}
		np.oldPick = newPicker(ws)
		np.region = w.olds[np.olds[len(np.olds)-1]].region
		// The region of the province that gave the new one its name.
		for _, o := range np.olds {
			if w.olds[o].code[1:] == np.code {
				np.region = w.olds[o].region
			}
		}
		f := bizFactor[np.code]
		if f == 0 {
			f = 0.5
		}
		biz = append(biz, np.pop*f)
	}
	w.bizProv = newPicker(biz)

	// Every code the tables use must be in the copied catalogs.
	for _, o := range w.olds {
		for _, c := range o.religion.vals {
			if !w.religion[c] {
				panic("synth: unknown religion code " + c)
			}
		}
	}
	for code, e := range w.ethStyle {
		if !w.ethnic[code] {
			panic("synth: unknown ethnic code " + code)
		}
		if e.religion != nil {
			for _, c := range e.religion.vals {
				if !w.religion[c] {
					panic("synth: unknown religion code " + c)
				}
			}
		}
	}
	return w
}

// withRest builds a list from a profile "code:percent, ..." whose
// remainder to 100% goes to rest (Kinh, or no religion).
func withRest(rest, profile string) *wlist {
	names, ws := parseWeights(profile)
	sum := 0.0
	for _, w := range ws {
		sum += w
	}
	if sum >= 100 {
		panic("synth: profile over 100%: " + profile)
	}
	names = append(names, rest)
	ws = append(ws, 100-sum)
	return &wlist{vals: names, p: newPicker(ws)}
}

// mountainProvinces are the old provinces of the northern mountains, where
// villages are bản.
var mountainProvinces = map[string]bool{
	"002": true, "004": true, "006": true, "008": true, "010": true, "011": true, "012": true,
	"014": true, "015": true, "017": true, "020": true,
}

// migrantShare is the share, per mille, of households whose members were
// born (and registered) in another province: high where people move to.
// The others get 40.
var migrantShare = map[string]int{
	"079": 320, "074": 420, "075": 250, "077": 180, "001": 200, "027": 180, "048": 150,
	"031": 90, "056": 80, "092": 80, "068": 120, "066": 100, "067": 150, "070": 200, "064": 80, "062": 80,
}

// bizFactor scales a new province's population into its share of
// enterprises: they concentrate in the two big cities. Others get 0.5.
var bizFactor = map[string]float64{
	"79": 3.4, "01": 2.8, "48": 1.6, "31": 1.2, "24": 1.1, "75": 1.1, "92": 0.9, "56": 1.0, "22": 1.1,
}

// ethnicProfiles give the share, in percent, of each ethnic group other
// than the Kinh among the people born in an old province; the rest are
// Kinh. Rounded from the 2019 census; an empty profile means (almost) all
// Kinh.
var ethnicProfiles = map[string]string{
	"001": "06:0.5, 02:0.3, 04:0.1, 03:0.1",
	"002": "08:33, 02:23, 09:15, 07:9, 25:2.3, 38:1.7, 40:0.5, 15:0.5, 43:0.3",
	"004": "02:41, 07:31, 08:10.5, 09:10, 15:1",
	"006": "02:52, 09:17, 07:10, 08:6",
	"008": "02:25, 09:11.5, 15:8, 08:5, 07:2, 18:1.4",
	"010": "08:25, 02:15, 09:14, 25:4.5, 07:4, 40:1.5, 35:0.7",
	"011": "03:36, 08:38, 29:3, 35:1, 09:1, 37:1",
	"012": "08:33, 03:30, 09:13, 35:3.5, 25:1.5, 41:2, 42:1, 48:0.5, 50:0.2, 29:0.6",
	"014": "03:53, 08:16, 06:8, 09:2, 29:1.5, 33:1, 34:1.6, 39:0.8, 37:0.3",
	"015": "02:20, 09:11, 08:11, 03:6, 07:1, 25:0.4, 40:0.3",
	"017": "06:63, 03:4, 09:2, 02:1.5, 08:0.5",
	"019": "02:11, 07:6, 18:4, 15:2.5, 09:2, 08:0.5, 04:0.3",
	"020": "07:42, 02:35, 09:3.5, 04:0.3, 08:0.3, 18:0.3",
	"022": "09:5, 02:3, 18:2, 15:1.2, 04:0.5, 07:0.5",
	"024": "07:4.5, 02:3, 15:1.7, 18:1.6, 04:0.6, 09:0.3",
	"025": "06:13.5, 09:1, 15:0.5, 02:0.2",
	"026": "18:3, 15:0.4",
	"027": "04:0.1, 02:0.1",
	"031": "04:0.2, 02:0.1",
	"037": "06:2",
	"038": "06:9, 03:6, 24:0.4, 08:0.3, 09:0.2, 29:0.1",
	"040": "03:10, 24:2.5, 29:1.3, 08:1, 06:0.2",
	"044": "23:1.6, 44:0.5",
	"045": "23:11, 31:3",
	"046": "31:3, 26:1.3, 23:0.3",
	"048": "26:0.2, 04:0.1",
	"049": "26:3.5, 14:3, 27:1.5, 30:0.4",
	"051": "19:10, 30:2.5, 14:1.8",
	"052": "13:1.5, 19:0.3, 17:0.2",
	"054": "12:2.7, 17:2.6, 13:0.6, 04:0.1",
	"056": "21:4, 04:0.3, 16:0.3, 12:0.1",
	"058": "17:12, 21:11, 04:0.5, 16:0.4",
	"060": "17:3.1, 04:1.3, 21:1.2, 16:0.3",
	"062": "14:26, 13:12, 27:7, 10:4, 07:0.5, 02:0.5, 52:0.1, 54:0.1",
	"064": "10:33, 13:14, 07:1, 02:0.8, 06:0.5",
	"066": "12:18, 07:4, 02:3, 20:2.3, 08:1.6, 09:1.3, 10:0.9, 06:0.9, 03:0.8",
	"067": "20:10, 07:6, 02:5, 08:5, 09:3, 12:0.7",
	"068": "16:12.5, 28:2.6, 02:1.9, 07:1.6, 36:1.6, 04:0.6, 08:0.4",
	"070": "22:9, 07:2.4, 02:2, 05:1.5, 20:1, 04:0.8, 03:0.3",
	"072": "05:0.6, 04:0.3, 17:0.3",
	"074": "04:0.8, 05:0.7, 02:0.3, 07:0.3, 06:0.3",
	"075": "04:2.8, 07:1.6, 02:1, 32:0.6, 22:0.2, 05:0.1",
	"077": "32:2, 04:1",
	"079": "04:4.2, 05:0.5, 02:0.1, 17:0.1, 07:0.1",
	"084": "05:31.5, 04:0.3",
	"086": "05:2, 04:0.3",
	"089": "05:4.3, 17:0.6, 04:0.3",
	"091": "05:12.5, 04:1.9",
	"092": "05:1.8, 04:0.9",
	"093": "05:2.8, 04:0.3",
	"094": "05:30, 04:5",
	"095": "05:8, 04:2.5",
	"096": "05:2.5, 04:0.7",
}

// religionDefault is the religion profile (percent; the rest "00", none)
// of the Kinh born in a province not in religionProfiles. Codes are those of
// religions.csv: 01 Buddhism, 02 Catholicism, 03 Protestantism, 04 Cao Đài,
// 05 Hòa Hảo, ...
const religionDefault = "01:4.5, 02:3.5, 03:0.3"

// religionProfiles are rough shares of the religions among the Kinh born in
// an old province: Catholics around Nam Định, Ninh Bình, Đồng Nai and in the
// highlands, Buddhists in the South and Huế, Cao Đài in Tây Ninh, Hòa Hảo in
// An Giang and the western Mekong delta.
var religionProfiles = map[string]string{
	"001": "01:5, 02:2, 03:0.3, 14:0.005",
	"031": "01:5, 02:3",
	"034": "01:4, 02:8",
	"035": "01:4, 02:6",
	"036": "01:4, 02:25, 03:0.2",
	"037": "01:4, 02:15",
	"038": "01:3, 02:5",
	"040": "01:2, 02:7",
	"042": "01:2, 02:9",
	"044": "01:3, 02:8",
	"045": "01:8, 02:6, 04:0.2",
	"046": "01:28, 02:5, 03:0.5",
	"048": "01:12, 02:4, 03:1, 04:1",
	"049": "01:8, 02:1, 04:1, 03:0.5",
	"051": "01:5, 02:1, 04:0.5",
	"052": "01:8, 02:2, 04:0.5",
	"054": "01:10, 02:3, 04:1",
	"056": "01:15, 02:8, 03:1, 04:1",
	"058": "01:10, 02:8",
	"060": "01:15, 02:5, 04:1",
	"062": "01:10, 02:15, 03:2",
	"064": "01:10, 02:10, 03:3",
	"066": "01:10, 02:10, 03:4, 04:1",
	"067": "01:8, 02:10, 03:6",
	"068": "01:12, 02:25, 03:5",
	"070": "01:10, 02:8, 03:2, 04:1",
	"072": "01:10, 02:2, 04:25, 08:0.3",
	"074": "01:7, 02:5, 04:2, 03:1",
	"075": "01:9, 02:30, 03:2, 04:1",
	"077": "01:9, 02:20, 03:1, 04:1",
	"079": "01:12, 02:8, 03:2, 04:1, 05:0.3, 08:0.3, 09:0.1, 07:0.05, 12:0.03, 11:0.03, 14:0.01",
	"080": "01:7, 02:1, 04:6, 05:0.5, 08:0.3",
	"082": "01:9, 02:2, 04:4, 05:1, 08:0.3",
	"083": "01:7, 02:4, 04:8",
	"084": "01:7, 02:2, 04:2",
	"086": "01:9, 02:3, 04:3, 05:5",
	"087": "01:7, 02:2, 04:2, 05:12, 13:0.2",
	"089": "01:9, 02:1, 04:1, 05:35, 10:0.6, 13:0.3, 15:0.1, 06:0.2",
	"091": "01:9, 02:3, 04:2, 05:6, 10:0.1",
	"092": "01:9, 02:2, 04:2, 05:12",
	"093": "01:7, 02:2, 04:2, 05:10",
	"094": "01:9, 02:2, 05:1",
	"095": "01:9, 02:3, 04:2",
	"096": "01:7, 02:2, 04:2",
}

// taxPrefixes are the two-digit province numbers that begin the tax codes
// issued in each old province (01 Hà Nội, 03 Thành phố Hồ Chí Minh, ...),
// as far as we know the tax authority's numbering; vnid does not check
// them.
var taxPrefixes = map[string]string{
	"001": "01", "031": "02", "079": "03", "048": "04", "036": "06", "035": "07", "030": "08", "033": "09",
	"034": "10", "080": "11", "082": "12", "083": "13", "087": "14", "086": "15", "089": "16", "091": "17",
	"092": "18", "095": "19", "096": "20", "084": "21", "094": "22", "027": "23", "024": "24", "026": "25",
	"025": "26", "037": "27", "038": "28", "040": "29", "042": "30", "044": "31", "045": "32", "046": "33",
	"060": "34", "077": "35", "075": "36", "074": "37", "070": "38", "072": "39", "049": "40", "052": "41",
	"056": "42", "051": "43", "054": "44", "058": "45", "019": "46", "006": "47", "004": "48", "020": "49",
	"008": "50", "002": "51", "015": "52", "010": "53", "017": "54", "014": "55", "011": "56", "022": "57",
	"068": "58", "064": "59", "066": "60", "062": "61", "012": "62", "093": "63", "067": "64",
}
