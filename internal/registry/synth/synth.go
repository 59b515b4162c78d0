// Package synth generates synthetic data for the base registries:
// people in households, enterprises and land parcels, plausible for
// Vietnam and deterministic for a seed. It feeds `vngov seed registries`
// and the demo.
//
// A Generator holds the state that keeps identifiers unique (the serial
// counters of personal IDs, tax codes, household numbers, parcel numbers
// and certificate serials), so that several calls of People, Enterprises
// and Parcels on one Generator never repeat an identifier. People,
// Enterprises and Parcels each draw from their own random stream: the
// people of a seed are the same whether or not enterprises were generated
// first. Nothing depends on the clock, the map order or GOMAXPROCS: the same
// seed and calls give byte-identical data.
//
// Everything is dated as of AsOf (1 July 2025, the day the 34 provinces and
// 3,321 communes came into force): nobody is born after 30 June 2025.
package synth

import (
	"errors"
	"time"
)

// AsOf returns the reference date of the data: 1 July 2025 (UTC+7). Ages,
// births and deaths are as of that day, and all commune codes are those in
// force from that day.
func AsOf() time.Time {
	return time.Date(asOfYear, time.July, 1, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))
}

const (
	asOfYear = 2025
	// lastBirthDay is the number of days of asOfYear before AsOf: births
	// fall on or before 30 June.
	lastBirthDay = 181
	// adultBornBy is the last birth year of someone surely 18 on AsOf.
	adultBornBy = asOfYear - 19
)

// Sexes, statuses, marital statuses and kinds of holder, as the fields
// hold them.
const (
	Male     = "male"
	Female   = "female"
	Living   = "living"
	Deceased = "deceased"

	Single   = "single"
	Married  = "married"
	Divorced = "divorced"
	Widowed  = "widowed"

	HolderPerson     = "person"
	HolderEnterprise = "enterprise"
)

// Person is a citizen's record in the population registry.
type Person struct {
	ID         string `json:"id"` // số định danh cá nhân, 12 digits
	FullName   string `json:"full_name"`
	Surname    string `json:"surname"`     // họ
	MiddleName string `json:"middle_name"` // chữ đệm, may be empty
	GivenName  string `json:"given_name"`  // tên
	// BirthDate is YYYY-MM-DD; for about 2% of those born before 1950 only
	// YYYY or YYYY-MM, as in real records.
	BirthDate   string `json:"birth_date"`
	Sex         string `json:"sex"`         // Male or Female
	Ethnicity   string `json:"ethnicity"`   // ethnic-groups catalog code, "01" Kinh
	Religion    string `json:"religion"`    // religions catalog code, "00" none
	Nationality string `json:"nationality"` // "VN"
	// BirthPlace is the commune (2025 code) where the birth was
	// registered; its province was formed from the old province whose code
	// begins ID.
	BirthPlace       string `json:"birth_place"`
	HomeTown         string `json:"home_town"` // quê quán, a commune code: the father's, usually
	PermanentCommune string `json:"permanent_commune"`
	PermanentStreet  string `json:"permanent_street"`
	CurrentCommune   string `json:"current_commune"` // the permanent residence for about 90%
	CurrentStreet    string `json:"current_street"`
	HouseholdID      string `json:"household_id"`
	// RelationToHead is "chủ hộ", "vợ", "chồng", "con", "con dâu",
	// "con rể", "bố", "mẹ" or "cháu".
	RelationToHead string `json:"relation_to_head"`
	FatherID       string `json:"father_id,omitempty"`
	MotherID       string `json:"mother_id,omitempty"`
	SpouseID       string `json:"spouse_id,omitempty"`
	MaritalStatus  string `json:"marital_status"` // Single, Married, Divorced or Widowed
	Status         string `json:"status"`         // Living or Deceased
	DeathDate      string `json:"death_date,omitempty"`
}

// LivingAdult reports whether p is alive and born in 2006 or before, so
// surely 18 on AsOf: someone who may represent an enterprise or hold land.
// Enterprises and Parcels apply the same rule to the IDs they are given.
func (p *Person) LivingAdult() bool {
	return p.Status == Living && birthYearOfID(p.ID) <= adultBornBy
}

// Household is a hộ gia đình: the living people registered at one
// permanent address.
type Household struct {
	ID      string   `json:"id"` // "HK", the commune code and 7 digits
	HeadID  string   `json:"head_id"`
	Commune string   `json:"commune"`
	Street  string   `json:"street"`
	Members []string `json:"members"` // personal IDs, the head among them, parents before children
}

// Enterprise is a record in the enterprise registry.
type Enterprise struct {
	Code      string `json:"code"` // mã số doanh nghiệp (the tax code), 10 digits
	Name      string `json:"name"`
	NameEn    string `json:"name_en"`
	ShortName string `json:"short_name"`
	// Type is "sole-proprietorship", "llc-one-member", "llc-multi-member",
	// "joint-stock" or "partnership".
	Type              string `json:"type"`
	RegisteredOn      string `json:"registered_on"` // YYYY-MM-DD
	Status            string `json:"status"`        // "active", "suspended", "dissolving" or "dissolved"
	HeadOfficeCommune string `json:"head_office_commune"`
	HeadOfficeStreet  string `json:"head_office_street"`
	CharterCapital    int64  `json:"charter_capital"` // VND
	// Representatives are the legal representatives, Members the owners,
	// members, founding shareholders or partners: personal IDs.
	Representatives []string `json:"representatives"`
	Members         []string `json:"members"`
	BusinessLines   []string `json:"business_lines"` // VSIC 2018 four-digit codes, the main one first
	// Branches are the tax codes of dependent units, in vnid's canonical
	// form "0312345678-001" (13 digits and a hyphen).
	Branches []string `json:"branches,omitempty"`
}

// The enterprise types.
const (
	SoleProprietorship = "sole-proprietorship"
	LLCOneMember       = "llc-one-member"
	LLCMultiMember     = "llc-multi-member"
	JointStock         = "joint-stock"
	Partnership        = "partnership"
)

// Parcel is a land parcel (thửa đất) in the land registry.
type Parcel struct {
	ID       string  `json:"id"` // "<commune>-<sheet>-<parcel>"
	Commune  string  `json:"commune"`
	MapSheet int     `json:"map_sheet"` // tờ bản đồ số
	ParcelNo int     `json:"parcel_no"` // thửa đất số
	AreaM2   float64 `json:"area_m2"`
	// Purpose is the land-use code: ODT, ONT, LUC, LUK, BHK, CLN, NTS,
	// RSX, SKC or TMD.
	Purpose string `json:"purpose"`
	// Term is "lâu dài" (indefinite) or the end date YYYY-MM-DD.
	Term              string     `json:"term"`
	Origin            string     `json:"origin"` // nguồn gốc sử dụng
	Holders           []Holder   `json:"holders"`
	CertificateSerial string     `json:"certificate_serial"` // "DA 123456"
	IssuedOn          string     `json:"issued_on"`          // date of the certificate
	Mortgages         []Mortgage `json:"mortgages,omitempty"`
}

// Holder is a người sử dụng đất of a parcel.
type Holder struct {
	ID       string  `json:"id"`   // personal ID or enterprise code
	Kind     string  `json:"kind"` // HolderPerson or HolderEnterprise
	SharePct float64 `json:"share_pct"`
}

// Mortgage is a registered mortgage (thế chấp) of a parcel.
type Mortgage struct {
	Bank         string `json:"bank"`
	RegisteredOn string `json:"registered_on"`
	Amount       int64  `json:"amount"` // VND
}

// Generator makes the data of one seed. It is not safe for concurrent use.
type Generator struct {
	seed uint64
	w    *world

	pr, er, lr rng // the random streams of people, enterprises and parcels

	people  peopleState
	ents    entState
	parcels parcelState
}

// New returns a Generator for a seed.
func New(seed uint64) *Generator {
	g := &Generator{seed: seed, w: getWorld()}
	g.pr = newRNG(seed, 1)
	g.er = newRNG(seed, 2)
	g.lr = newRNG(seed, 3)
	g.people.init(g.w, seed)
	return g
}

// ErrExhausted is returned when a Generator has used up the serial numbers
// of an identifier (a million personal IDs per old province, birth year
// and sex, ten million tax codes per province).
var ErrExhausted = errors.New("synth: identifier serials exhausted")

// birthYearOfID reads the birth year encoded in a personal ID, 0 when s is
// not 12 digits.
func birthYearOfID(s string) int {
	if len(s) != 12 {
		return 0
	}
	for i := 3; i < 6; i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
	}
	return 1900 + int(s[3]-'0')/2*100 + int(s[4]-'0')*10 + int(s[5]-'0')
}
