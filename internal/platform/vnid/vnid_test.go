package vnid

import (
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
)

// codesOf checks that err is an Invalid fault whose field errors name field,
// and returns their codes.
func codesOf(t *testing.T, err error, field string) []string {
	t.Helper()
	f := fault.As(err)
	if f == nil {
		t.Fatalf("error %v is not a fault", err)
	}
	if f.Kind != fault.Invalid {
		t.Fatalf("kind = %v, want Invalid", f.Kind)
	}
	var codes []string
	for _, fe := range f.Fields {
		if fe.Field != field {
			t.Errorf("field = %q, want %q", fe.Field, field)
		}
		if fe.Message == "" || fe.Detail == "" {
			t.Errorf("field error %q lacks a message or a detail", fe.Code)
		}
		codes = append(codes, fe.Code)
	}
	return codes
}

func sameCodes(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestProvinces(t *testing.T) {
	list := Provinces()
	if len(list) != 63 {
		t.Fatalf("got %d provinces, want 63", len(list))
	}
	if list[0] != (Province{"001", "Hà Nội"}) || list[62] != (Province{"096", "Cà Mau"}) {
		t.Errorf("first and last = %v, %v", list[0], list[62])
	}
	for _, tc := range []struct {
		code, name string
		ok         bool
	}{
		{"001", "Hà Nội", true},
		{"079", "Thành phố Hồ Chí Minh", true},
		{"046", "Thừa Thiên Huế", true},
		{"003", "", false},
		{"000", "", false},
		{"097", "", false},
	} {
		name, ok := ProvinceName(tc.code)
		if name != tc.name || ok != tc.ok {
			t.Errorf("ProvinceName(%q) = %q, %v; want %q, %v", tc.code, name, ok, tc.name, tc.ok)
		}
	}
}

func TestParsePersonalID(t *testing.T) {
	tests := []struct {
		in       string
		province string
		sex      string
		year     int
	}{
		{"001099012345", "001", Male, 1999},
		{"079303001234", "079", Female, 2003},
		{"038185000001", "038", Female, 1985},
		{"096200999999", "096", Male, 2000},
		{" 001099012345 ", "001", Male, 1999},
		{"001400000001", "001", Male, 2100},
		{"001500000001", "001", Female, 2100},
		{"001650000001", "001", Male, 2250},
		{"001750000001", "001", Female, 2250},
		{"001800000001", "001", Male, 2300},
		{"001999000001", "001", Female, 2399},
	}
	for _, tc := range tests {
		id, err := ParsePersonalID("applicant.id", tc.in)
		if err != nil {
			t.Errorf("ParsePersonalID(%q): %v", tc.in, err)
			continue
		}
		if id.ProvinceCode() != tc.province || id.Sex() != tc.sex || id.BirthYear() != tc.year {
			t.Errorf("ParsePersonalID(%q) = %s %s %d; want %s %s %d", tc.in,
				id.ProvinceCode(), id.Sex(), id.BirthYear(), tc.province, tc.sex, tc.year)
		}
		if id.String() != tc.in && " "+id.String()+" " != tc.in {
			t.Errorf("String() = %q", id.String())
		}
	}
}

func TestParsePersonalIDInvalid(t *testing.T) {
	tests := []struct {
		in    string
		codes []string
	}{
		{"", []string{"personal_id.required"}},
		{"   ", []string{"personal_id.required"}},
		{"00109901234", []string{"personal_id.length"}},
		{"0010990123456", []string{"personal_id.length"}},
		{"0010990123a5", []string{"personal_id.digits"}},
		{"abc", []string{"personal_id.digits", "personal_id.length"}},
		{"001 99012345", []string{"personal_id.digits"}},
		{"00109901234５", []string{"personal_id.digits"}},
		{"003099012345", []string{"personal_id.province"}},
		{"000099012345", []string{"personal_id.province"}},
		{"099099012345", []string{"personal_id.province"}},
	}
	for _, tc := range tests {
		_, err := ParsePersonalID("applicant.id", tc.in)
		if err == nil {
			t.Errorf("ParsePersonalID(%q) succeeded", tc.in)
			continue
		}
		if got := codesOf(t, err, "applicant.id"); !sameCodes(got, tc.codes) {
			t.Errorf("ParsePersonalID(%q) codes = %v, want %v", tc.in, got, tc.codes)
		}
	}
}

func TestPersonalIDLengthMessage(t *testing.T) {
	_, err := ParsePersonalID("applicant.id", "12345")
	f := fault.As(err)
	if f == nil || len(f.Fields) != 1 || f.Fields[0].Message != "Số định danh cá nhân phải gồm 12 chữ số" {
		t.Fatalf("got %#v", f)
	}
}

func TestPersonalIDConsistentWith(t *testing.T) {
	id, err := ParsePersonalID("id", "079303001234") // female, 2003
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		year  int
		sex   string
		codes []string
	}{
		{2003, Female, nil},
		{0, "", nil},
		{2003, "", nil},
		{0, Female, nil},
		{2004, Female, []string{"personal_id.birth_year_mismatch"}},
		{1903, Female, []string{"personal_id.birth_year_mismatch"}},
		{2003, Male, []string{"personal_id.sex_mismatch"}},
		{1990, Male, []string{"personal_id.birth_year_mismatch", "personal_id.sex_mismatch"}},
	}
	for _, tc := range tests {
		var got []string
		for _, fe := range id.ConsistentWith("id", tc.year, tc.sex) {
			if fe.Field != "id" || fe.Message == "" {
				t.Errorf("bad field error %#v", fe)
			}
			got = append(got, fe.Code)
		}
		if !sameCodes(got, tc.codes) {
			t.Errorf("ConsistentWith(%d, %q) = %v, want %v", tc.year, tc.sex, got, tc.codes)
		}
	}
}

func TestNewPersonalIDRoundTrip(t *testing.T) {
	serial := 0
	for _, p := range Provinces() {
		for _, sex := range []string{Male, Female} {
			for _, year := range []int{1900, 1955, 1999, 2000, 2025, 2099, 2100, 2250, 2399} {
				serial = (serial + 7919) % 1000000
				id, err := NewPersonalID(p.Code, sex, year, serial)
				if err != nil {
					t.Fatalf("NewPersonalID(%s, %s, %d, %d): %v", p.Code, sex, year, serial, err)
				}
				back, err := ParsePersonalID("id", id.String())
				if err != nil {
					t.Fatalf("ParsePersonalID(%s): %v", id, err)
				}
				if back != id || back.ProvinceCode() != p.Code || back.Sex() != sex || back.BirthYear() != year ||
					back.ProvinceName() != p.Name || len(back.ConsistentWith("id", year, sex)) != 0 {
					t.Fatalf("round trip of %s/%s/%d gave %s", p.Code, sex, year, back)
				}
			}
		}
	}
	id, _ := NewPersonalID("001", Female, 1985, 42)
	if id.String() != "001185000042" {
		t.Errorf("NewPersonalID = %s, want 001185000042", id)
	}
}

func TestNewPersonalIDInvalid(t *testing.T) {
	tests := []struct {
		province string
		sex      string
		year     int
		serial   int
		fields   []string
	}{
		{"003", Male, 1990, 1, []string{"province_code"}},
		{"001", "nam", 1990, 1, []string{"sex"}},
		{"001", Male, 1899, 1, []string{"birth_year"}},
		{"001", Male, 2400, 1, []string{"birth_year"}},
		{"001", Male, 1990, 1000000, []string{"serial"}},
		{"001", Male, 1990, -1, []string{"serial"}},
		{"1", "", 0, -1, []string{"province_code", "sex", "birth_year", "serial"}},
	}
	for _, tc := range tests {
		_, err := NewPersonalID(tc.province, tc.sex, tc.year, tc.serial)
		f := fault.As(err)
		if f == nil || f.Kind != fault.Invalid {
			t.Errorf("NewPersonalID(%q, %q, %d, %d) error = %v", tc.province, tc.sex, tc.year, tc.serial, err)
			continue
		}
		var got []string
		for _, fe := range f.Fields {
			got = append(got, fe.Field)
		}
		if !sameCodes(got, tc.fields) {
			t.Errorf("NewPersonalID(%q, %q, %d, %d) fields = %v, want %v", tc.province, tc.sex, tc.year, tc.serial, got, tc.fields)
		}
	}
}

// The check digits below are worked by hand with the weights
// 31 29 23 19 17 13 7 5 3:
//
//	0100109106: 0·31 + 1·29 + 0·23 + 0·19 + 1·17 + 0·13 + 9·7 + 1·5 + 0·3
//	            = 29 + 17 + 63 + 5 = 114; 114 mod 11 = 4; 10 - 4 = 6.
//	010123456x: 1·29 + 1·19 + 2·17 + 3·13 + 4·7 + 5·5 + 6·3
//	            = 29 + 19 + 34 + 39 + 28 + 25 + 18 = 192; 192 mod 11 = 5;
//	            10 - 5 = 5, so 0101234565 is valid and 0101234567 is not.
//	100000004x: 1·31 + 4·3 = 43; 43 mod 11 = 10; 10 - 10 = 0: 1000000040.
//	100000008x: 1·31 + 8·3 = 55; 55 mod 11 = 0; 10 - 0 = 10: no code.
func TestTaxCheckDigit(t *testing.T) {
	tests := []struct {
		first9 string
		want   int
		code   string
	}{
		{"010010910", 6, ""},
		{"010123456", 5, ""},
		{"100000004", 0, ""},
		{"100000008", 0, "tax_code.no_check_digit"},
		{"000000000", 0, "tax_code.no_check_digit"},
		{"01001091", 0, "tax_code.first9"},
		{"01001091a", 0, "tax_code.first9"},
	}
	for _, tc := range tests {
		got, err := TaxCheckDigit(tc.first9)
		if tc.code == "" {
			if err != nil || got != tc.want {
				t.Errorf("TaxCheckDigit(%q) = %d, %v; want %d", tc.first9, got, err, tc.want)
			}
			continue
		}
		if codes := codesOf(t, err, "tax_code"); !sameCodes(codes, []string{tc.code}) {
			t.Errorf("TaxCheckDigit(%q) codes = %v, want %s", tc.first9, codes, tc.code)
		}
	}
}

func TestParseTaxCode(t *testing.T) {
	tests := []struct {
		in, canonical, base, branch string
	}{
		{"0100109106", "0100109106", "0100109106", ""},
		{"0101234565", "0101234565", "0101234565", ""},
		{"1000000040", "1000000040", "1000000040", ""},
		{"0101234565-001", "0101234565-001", "0101234565", "001"},
		{"0101234565001", "0101234565-001", "0101234565", "001"},
		{"0100109106-999", "0100109106-999", "0100109106", "999"},
		{" 0100109106-010 ", "0100109106-010", "0100109106", "010"},
	}
	for _, tc := range tests {
		code, err := ParseTaxCode("enterprise.tax_code", tc.in)
		if err != nil {
			t.Errorf("ParseTaxCode(%q): %v", tc.in, err)
			continue
		}
		if code.String() != tc.canonical || code.Base() != tc.base || code.Branch() != tc.branch || code.IsBranch() != (tc.branch != "") {
			t.Errorf("ParseTaxCode(%q) = %q (%q, %q)", tc.in, code, code.Base(), code.Branch())
		}
	}
}

func TestParseTaxCodeInvalid(t *testing.T) {
	tests := []struct {
		in    string
		codes []string
	}{
		{"", []string{"tax_code.required"}},
		{"0101234567", []string{"tax_code.check_digit"}},
		{"0101234567-001", []string{"tax_code.check_digit"}},
		{"1000000080", []string{"tax_code.check_digit"}},
		{"0101234565-000", []string{"tax_code.branch"}},
		{"0101234565000", []string{"tax_code.branch"}},
		{"0101234567000", []string{"tax_code.check_digit", "tax_code.branch"}},
		{"010123456", []string{"tax_code.length"}},
		{"010123456512", []string{"tax_code.length"}},
		{"0101234565-01", []string{"tax_code.length"}},
		{"0101234565-", []string{"tax_code.length"}},
		{"01012345a5", []string{"tax_code.digits"}},
		{"MST0101234565", []string{"tax_code.digits"}},
		{"abc", []string{"tax_code.digits", "tax_code.length"}},
		{"010123456-5001", []string{"tax_code.format"}},
		{"0101234565-001-1", []string{"tax_code.format"}},
		{"0101234565--01", []string{"tax_code.format"}},
	}
	for _, tc := range tests {
		_, err := ParseTaxCode("enterprise.tax_code", tc.in)
		if err == nil {
			t.Errorf("ParseTaxCode(%q) succeeded", tc.in)
			continue
		}
		if got := codesOf(t, err, "enterprise.tax_code"); !sameCodes(got, tc.codes) {
			t.Errorf("ParseTaxCode(%q) codes = %v, want %v", tc.in, got, tc.codes)
		}
	}
}

func TestTaxCodeCheckDigitMessage(t *testing.T) {
	_, err := ParseTaxCode("mst", "0101234567")
	f := fault.As(err)
	if f == nil || len(f.Fields) != 1 {
		t.Fatalf("got %v", err)
	}
	if got := f.Fields[0].Message; got != "Mã số thuế sai chữ số kiểm tra" {
		t.Errorf("message = %q", got)
	}
}

func TestNewTaxCode(t *testing.T) {
	n := 0
	for i := 0; i < 2000; i++ {
		first9 := []byte("010000000")
		for j, k := 8, i; k > 0; j, k = j-1, k/10 {
			first9[j] = byte('0' + k%10)
		}
		for _, branch := range []int{0, 1, 42, 999} {
			code, err := NewTaxCode(string(first9), branch)
			if err != nil {
				if f := fault.As(err); f == nil || f.Fields[0].Code != "tax_code.no_check_digit" {
					t.Fatalf("NewTaxCode(%s, %d): %v", first9, branch, err)
				}
				continue
			}
			n++
			back, err := ParseTaxCode("mst", code.String())
			if err != nil || back != code {
				t.Fatalf("round trip of %s: %v, %v", code, back, err)
			}
		}
	}
	if n == 0 {
		t.Fatal("no code generated")
	}
	if c, err := NewTaxCode("010010910", 0); err != nil || c.String() != "0100109106" {
		t.Errorf("NewTaxCode = %v, %v", c, err)
	}
	if c, err := NewTaxCode("010010910", 7); err != nil || c.String() != "0100109106-007" {
		t.Errorf("NewTaxCode = %v, %v", c, err)
	}
	for _, branch := range []int{-1, 1000} {
		if _, err := NewTaxCode("010010910", branch); !fault.Is(err, fault.Invalid) {
			t.Errorf("NewTaxCode(branch %d) error = %v", branch, err)
		}
	}
}

func TestParseAgencyCode(t *testing.T) {
	tests := []struct {
		in     string
		canon  string
		level  int
		level1 string
		parent string
		parts  [4]string // levels 1 to 4
	}{
		{"000.00.00.G22", "000.00.00.G22", 1, "000.00.00.G22", "", [4]string{"G22", "00", "00", "000"}},
		{"000.00.00.h41", "000.00.00.H41", 1, "000.00.00.H41", "", [4]string{"H41", "00", "00", "000"}},
		{"000.00.04.G14", "000.00.04.G14", 2, "000.00.00.G14", "000.00.00.G14", [4]string{"G14", "04", "00", "000"}},
		{"000.12.04.H41", "000.12.04.H41", 3, "000.00.00.H41", "000.00.04.H41", [4]string{"H41", "04", "12", "000"}},
		{"007.12.04.H41", "007.12.04.H41", 4, "000.00.00.H41", "000.12.04.H41", [4]string{"H41", "04", "12", "007"}},
	}
	for _, tc := range tests {
		a, err := ParseAgencyCode("agency", tc.in)
		if err != nil {
			t.Errorf("ParseAgencyCode(%q): %v", tc.in, err)
			continue
		}
		if a.String() != tc.canon || a.Level() != tc.level || a.Level1().String() != tc.level1 {
			t.Errorf("ParseAgencyCode(%q) = %s level %d level1 %s", tc.in, a, a.Level(), a.Level1())
		}
		p, ok := a.Parent()
		if p.String() != tc.parent || ok != (tc.parent != "") {
			t.Errorf("Parent(%s) = %q, %v; want %q", a, p, ok, tc.parent)
		}
		for level := 1; level <= 4; level++ {
			if a.Part(level) != tc.parts[level-1] {
				t.Errorf("Part(%d) of %s = %q, want %q", level, a, a.Part(level), tc.parts[level-1])
			}
		}
		if a.Part(0) != "" || a.Part(5) != "" {
			t.Errorf("Part out of range is not empty")
		}
	}
}

func TestAgencyParentChain(t *testing.T) {
	a, err := ParseAgencyCode("agency", "001.02.03.G05")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"001.02.03.G05", "000.02.03.G05", "000.00.03.G05", "000.00.00.G05"}
	for i, w := range want {
		if a.String() != w || a.Level() != 4-i {
			t.Fatalf("step %d: %s level %d, want %s", i, a, a.Level(), w)
		}
		var ok bool
		a, ok = a.Parent()
		if ok != (i < 3) {
			t.Fatalf("step %d: ok = %v", i, ok)
		}
	}
}

func TestParseAgencyCodeInvalid(t *testing.T) {
	tests := []struct {
		in    string
		codes []string
	}{
		{"", []string{"agency_code.required"}},
		{"000.00.00", []string{"agency_code.format"}},
		{"000-00-00-G22", []string{"agency_code.format"}},
		{"000.00.00.G22.1", []string{"agency_code.format"}},
		{"00.00.00.G22", []string{"agency_code.level4"}},
		{"000.0a.00.G22", []string{"agency_code.level3"}},
		{"000.00.100.G22", []string{"agency_code.level2"}},
		{"000.00.00.222", []string{"agency_code.level1"}},
		{"000.00.00.G2", []string{"agency_code.level1"}},
		{"000.00.00.GG2", []string{"agency_code.level1"}},
		{"000.00.00.Đ22", []string{"agency_code.level1"}},
		{"1.2.3.4", []string{"agency_code.level4", "agency_code.level3", "agency_code.level2", "agency_code.level1"}},
		{"001.00.00.G22", []string{"agency_code.hierarchy"}},
		{"000.01.00.G22", []string{"agency_code.hierarchy"}},
		{"001.01.00.G22", []string{"agency_code.hierarchy"}},
		{"001.00.01.G22", []string{"agency_code.hierarchy"}},
	}
	for _, tc := range tests {
		_, err := ParseAgencyCode("agency", tc.in)
		if err == nil {
			t.Errorf("ParseAgencyCode(%q) succeeded", tc.in)
			continue
		}
		if got := codesOf(t, err, "agency"); !sameCodes(got, tc.codes) {
			t.Errorf("ParseAgencyCode(%q) codes = %v, want %v", tc.in, got, tc.codes)
		}
	}
}

func TestParseDossierCode(t *testing.T) {
	tests := []struct {
		in     string
		agency string
		date   string
		seq    int
	}{
		{"000.00.00.G22-250115-0001", "000.00.00.G22", "2025-01-15", 1},
		{"000.12.04.H41-240229-0420", "000.12.04.H41", "2024-02-29", 420},
		{"000.00.04.G14-251231-9999", "000.00.04.G14", "2025-12-31", 9999},
		{"000.00.04.G14-000101-10000", "000.00.04.G14", "2000-01-01", 10000},
		{"000.00.04.G14-991231-999999", "000.00.04.G14", "2099-12-31", 999999},
	}
	for _, tc := range tests {
		d, err := ParseDossierCode("dossier", tc.in)
		if err != nil {
			t.Errorf("ParseDossierCode(%q): %v", tc.in, err)
			continue
		}
		if d.Agency().String() != tc.agency || d.Date().Format("2006-01-02") != tc.date || d.Seq() != tc.seq {
			t.Errorf("ParseDossierCode(%q) = %s %s %d", tc.in, d.Agency(), d.Date().Format("2006-01-02"), d.Seq())
		}
		if _, off := d.Date().Zone(); off != 7*3600 || d.Date().Hour() != 0 {
			t.Errorf("Date() = %v, want midnight UTC+7", d.Date())
		}
		if d.String() != tc.in {
			t.Errorf("String() = %q, want %q", d.String(), tc.in)
		}
	}
}

func TestFormatDossierCode(t *testing.T) {
	ict := time.FixedZone("ICT", 7*3600)
	tests := []struct {
		agency string
		date   time.Time
		seq    int
		want   string
	}{
		{"000.00.00.G22", time.Date(2025, 1, 15, 9, 30, 0, 0, ict), 1, "000.00.00.G22-250115-0001"},
		{"000.00.00.G22", time.Date(2025, 1, 15, 0, 0, 0, 0, ict), 12345, "000.00.00.G22-250115-12345"},
		// 18:00 UTC on 14 January is 01:00 on 15 January in Vietnam.
		{"000.00.00.G22", time.Date(2025, 1, 14, 18, 0, 0, 0, time.UTC), 7, "000.00.00.G22-250115-0007"},
	}
	for _, tc := range tests {
		got := FormatDossierCode(tc.agency, tc.date, tc.seq)
		if got != tc.want {
			t.Errorf("FormatDossierCode = %q, want %q", got, tc.want)
			continue
		}
		d, err := ParseDossierCode("dossier", got)
		if err != nil || d.Seq() != tc.seq || d.Agency().String() != tc.agency {
			t.Errorf("ParseDossierCode(%q) = %v, %v", got, d, err)
		}
	}
}

func TestParseDossierCodeInvalid(t *testing.T) {
	tests := []struct {
		in    string
		codes []string
	}{
		{"", []string{"dossier_code.required"}},
		{"000.00.00.G22-250115", []string{"dossier_code.format"}},
		{"000.00.00.G22-250115-0001-1", []string{"dossier_code.format"}},
		{"000.00.00.G22-250230-0001", []string{"dossier_code.date"}},
		{"000.00.00.G22-251301-0001", []string{"dossier_code.date"}},
		{"000.00.00.G22-250229-0001", []string{"dossier_code.date"}},
		{"000.00.00.G22-25011-0001", []string{"dossier_code.date"}},
		{"000.00.00.G22-2501155-0001", []string{"dossier_code.date"}},
		{"000.00.00.G22-250115-001", []string{"dossier_code.sequence"}},
		{"000.00.00.G22-250115-1234567", []string{"dossier_code.sequence"}},
		{"000.00.00.G22-250115-00a1", []string{"dossier_code.sequence"}},
		{"000.00.00.G22-250115-0000", []string{"dossier_code.sequence_zero"}},
		{"000.00.00.G22-250115-00012", []string{"dossier_code.sequence_padding"}},
		{"001.00.00.G22-250115-0001", []string{"agency_code.hierarchy"}},
		{"000.00.00.22-250230-0", []string{"agency_code.level1", "dossier_code.date", "dossier_code.sequence"}},
	}
	for _, tc := range tests {
		_, err := ParseDossierCode("dossier", tc.in)
		if err == nil {
			t.Errorf("ParseDossierCode(%q) succeeded", tc.in)
			continue
		}
		if got := codesOf(t, err, "dossier"); !sameCodes(got, tc.codes) {
			t.Errorf("ParseDossierCode(%q) codes = %v, want %v", tc.in, got, tc.codes)
		}
	}
}

func TestZeroValues(t *testing.T) {
	if !(PersonalID{}).IsZero() || !(TaxCode{}).IsZero() || !(AgencyCode{}).IsZero() || !(DossierCode{}).IsZero() {
		t.Error("zero values are not zero")
	}
	if (PersonalID{}).BirthYear() != 0 || (PersonalID{}).Sex() != "" || (AgencyCode{}).Level() != 0 || (AgencyCode{}).String() != "" {
		t.Error("zero values report data")
	}
	if _, ok := (AgencyCode{}).Parent(); ok {
		t.Error("zero agency has a parent")
	}
}
