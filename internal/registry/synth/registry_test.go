package synth

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/vngov/vngov/internal/platform/vnid"
)

// adultsOf runs People and keeps the living adults' IDs, in order.
func adultsOf(t testing.TB, g *Generator, n int) ([]string, map[string]*Person) {
	t.Helper()
	var adults []string
	all := map[string]*Person{}
	err := g.People(n, func(h *Household, ps []*Person) error {
		for _, p := range ps {
			c := *p
			all[p.ID] = &c
			if p.LivingAdult() {
				adults = append(adults, p.ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return adults, all
}

func TestEnterprises(t *testing.T) {
	g := New(11)
	adults, people := adultsOf(t, g, 30000)
	communes := communeCodes()
	codes, names := map[string]bool{}, map[string]bool{}
	types := map[string]int{}
	const n = 20000
	count := 0
	err := g.Enterprises(n, adults, func(e *Enterprise) error {
		count++
		tc, err := vnid.ParseTaxCode("code", e.Code)
		if err != nil || tc.IsBranch() || tc.String() != e.Code {
			t.Fatalf("%s: %v", e.Code, err)
		}
		if codes[e.Code] || names[e.Name] {
			t.Fatalf("%s %q repeated", e.Code, e.Name)
		}
		codes[e.Code], names[e.Name] = true, true
		types[e.Type]++
		checkVietnamese(t, strings.Trim(strings.NewReplacer(",", "", "-", "", ".", "").Replace(e.Name), " 0123456789"))
		for _, r := range e.NameEn + e.ShortName {
			if r > 127 {
				t.Errorf("%s: English names %q / %q are not ASCII", e.Code, e.NameEn, e.ShortName)
				break
			}
		}
		if _, ok := communes[e.HeadOfficeCommune]; !ok || e.HeadOfficeStreet == "" {
			t.Errorf("%s: head office %q %q", e.Code, e.HeadOfficeCommune, e.HeadOfficeStreet)
		}
		if d, err := time.Parse("2006-01-02", e.RegisteredOn); err != nil || e.RegisteredOn > "2025-06-30" || d.Year() < 1991 {
			t.Errorf("%s: registered on %q", e.Code, e.RegisteredOn)
		}
		switch e.Status {
		case "active", "suspended", "dissolving", "dissolved":
		default:
			t.Errorf("%s: status %q", e.Code, e.Status)
		}
		if e.CharterCapital < 10000000 {
			t.Errorf("%s: capital %d", e.Code, e.CharterCapital)
		}
		if len(e.Representatives) == 0 {
			t.Errorf("%s: no representative", e.Code)
		}
		for _, id := range append(slices.Clone(e.Representatives), e.Members...) {
			if p := people[id]; p == nil || !p.LivingAdult() {
				t.Fatalf("%s: %s is not a generated living adult", e.Code, id)
			}
		}
		m := len(e.Members)
		switch e.Type {
		case SoleProprietorship:
			if m != 1 || e.Representatives[0] != e.Members[0] {
				t.Errorf("%s: sole proprietorship with members %v", e.Code, e.Members)
			}
		case LLCOneMember:
			if m != 1 {
				t.Errorf("%s: one-member LLC with %d members", e.Code, m)
			}
		case LLCMultiMember:
			if m < 2 || m > 50 {
				t.Errorf("%s: multi-member LLC with %d members", e.Code, m)
			}
		case JointStock:
			if m < 3 {
				t.Errorf("%s: joint-stock company with %d founders", e.Code, m)
			}
		case Partnership:
			if m < 2 {
				t.Errorf("%s: partnership with %d partners", e.Code, m)
			}
		default:
			t.Errorf("%s: type %q", e.Code, e.Type)
		}
		if len(e.BusinessLines) == 0 {
			t.Errorf("%s: no business line", e.Code)
		}
		for i, l := range e.BusinessLines {
			if len(l) != 4 || strings.Trim(l, "0123456789") != "" || slices.Contains(e.BusinessLines[:i], l) {
				t.Errorf("%s: business lines %v", e.Code, e.BusinessLines)
			}
		}
		for _, b := range e.Branches {
			bc, err := vnid.ParseTaxCode("branch", b)
			if err != nil || !bc.IsBranch() || bc.Base() != e.Code || bc.String() != b {
				t.Errorf("%s: branch %q: %v", e.Code, b, err)
			}
		}
		return nil
	})
	if err != nil || count != n {
		t.Fatalf("made %d: %v", count, err)
	}
	for _, typ := range []string{SoleProprietorship, LLCOneMember, LLCMultiMember, JointStock, Partnership} {
		if types[typ] == 0 {
			t.Errorf("no %s", typ)
		}
	}
	if types[LLCOneMember]+types[LLCMultiMember] < n/2 {
		t.Errorf("types %v: LLCs should be most", types)
	}
	// More tax codes from the same Generator stay unique.
	err = g.Enterprises(100, adults, func(e *Enterprise) error {
		if codes[e.Code] || names[e.Name] {
			t.Errorf("%s %q repeated in a second call", e.Code, e.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := New(1).Enterprises(1, nil, func(*Enterprise) error { return nil }); err == nil {
		t.Error("no adults: want an error")
	}
	if err := New(1).Enterprises(1, []string{"001310000001"}, func(*Enterprise) error { return nil }); err == nil {
		t.Error("only a child: want an error")
	}
}

var (
	parcelID = regexp.MustCompile(`^(\d{5})-(\d+)-(\d+)$`)
	serialRe = regexp.MustCompile(`^[A-D][A-Z] \d{6}$`)
)

func TestParcels(t *testing.T) {
	g := New(12)
	adults, _ := adultsOf(t, g, 20000)
	var ents []string
	if err := g.Enterprises(500, adults, func(e *Enterprise) error { ents = append(ents, e.Code); return nil }); err != nil {
		t.Fatal(err)
	}
	isAdult := map[string]bool{}
	for _, id := range adults {
		isAdult[id] = true
	}
	isEnt := map[string]bool{}
	for _, c := range ents {
		isEnt[c] = true
	}
	communes := communeCodes()
	ids, serials := map[string]bool{}, map[string]bool{}
	purposes := map[string]int{}
	withEnt, mortgaged := 0, 0
	const n = 30000
	count := 0
	err := g.Parcels(n, adults, ents, func(p *Parcel) error {
		count++
		m := parcelID.FindStringSubmatch(p.ID)
		if m == nil || m[1] != p.Commune || m[2] != itoa(p.MapSheet) || m[3] != itoa(p.ParcelNo) || p.MapSheet < 1 || p.ParcelNo < 1 {
			t.Fatalf("parcel %q: commune %s sheet %d parcel %d", p.ID, p.Commune, p.MapSheet, p.ParcelNo)
		}
		if _, ok := communes[p.Commune]; !ok {
			t.Fatalf("%s: commune %q", p.ID, p.Commune)
		}
		if ids[p.ID] || serials[p.CertificateSerial] {
			t.Fatalf("%s / %s repeated", p.ID, p.CertificateSerial)
		}
		ids[p.ID], serials[p.CertificateSerial] = true, true
		if !serialRe.MatchString(p.CertificateSerial) {
			t.Errorf("%s: certificate serial %q", p.ID, p.CertificateSerial)
		}
		purposes[p.Purpose]++
		if _, ok := parcelArea[p.Purpose]; !ok || p.AreaM2 <= 0 {
			t.Errorf("%s: purpose %q, area %v", p.ID, p.Purpose, p.AreaM2)
		}
		sum := 0.0
		for _, h := range p.Holders {
			sum += h.SharePct
			switch h.Kind {
			case HolderPerson:
				if !isAdult[h.ID] {
					t.Errorf("%s: holder %s is not one of the adults", p.ID, h.ID)
				}
			case HolderEnterprise:
				withEnt++
				if !isEnt[h.ID] {
					t.Errorf("%s: holder %s is not one of the enterprises", p.ID, h.ID)
				}
			default:
				t.Errorf("%s: holder kind %q", p.ID, h.Kind)
			}
		}
		if len(p.Holders) == 0 || sum < 99.999 || sum > 100.001 {
			t.Errorf("%s: holders %v", p.ID, p.Holders)
		}
		if _, err := time.Parse("2006-01-02", p.IssuedOn); err != nil || p.IssuedOn > "2025-06-30" {
			t.Errorf("%s: issued on %q", p.ID, p.IssuedOn)
		}
		if p.Term != "lâu dài" {
			if _, err := time.Parse("2006-01-02", p.Term); err != nil || p.Term <= p.IssuedOn {
				t.Errorf("%s: term %q", p.ID, p.Term)
			}
		}
		if p.Origin == "" || !norm.NFC.IsNormalString(p.Origin+p.Term) {
			t.Errorf("%s: origin %q, term %q", p.ID, p.Origin, p.Term)
		}
		if len(p.Mortgages) > 0 {
			mortgaged++
		}
		for _, mg := range p.Mortgages {
			if mg.Bank == "" || !norm.NFC.IsNormalString(mg.Bank) || mg.Amount <= 0 || mg.RegisteredOn < p.IssuedOn || mg.RegisteredOn > "2025-06-30" {
				t.Errorf("%s: mortgage %+v", p.ID, mg)
			}
		}
		return nil
	})
	if err != nil || count != n {
		t.Fatalf("made %d: %v", count, err)
	}
	if purposes["ODT"] == 0 || purposes["ONT"] == 0 || purposes["LUC"] == 0 || withEnt == 0 || mortgaged < n/20 {
		t.Errorf("purposes %v, %d held by enterprises, %d mortgaged", purposes, withEnt, mortgaged)
	}
	if err := New(1).Parcels(1, nil, nil, func(*Parcel) error { return nil }); err == nil {
		t.Error("no holders: want an error")
	}
	if err := New(1).Parcels(3, nil, ents, func(p *Parcel) error {
		if p.Holders[0].Kind != HolderEnterprise {
			t.Errorf("enterprises only, got %+v", p.Holders)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return string(appendInt(nil, n)) }

// The three generators draw from their own streams: the people of a seed
// do not depend on whether enterprises or parcels were made first.
func TestStreamsIndependent(t *testing.T) {
	first := func(g *Generator) string {
		var b []byte
		if err := g.People(50, func(h *Household, ps []*Person) error {
			for _, p := range ps {
				j, _ := json.Marshal(p)
				b = append(b, j...)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	a := New(9)
	b := New(9)
	if err := b.Enterprises(10, []string{"001080000001", "001180000002", "079085000003"}, func(e *Enterprise) error {
		if len(e.Representatives) == 0 || len(e.Members) == 0 {
			t.Errorf("%s: representatives %v, members %v", e.Code, e.Representatives, e.Members)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if first(a) != first(b) {
		t.Error("enterprises changed the people")
	}
	hash := func() string {
		g := New(4)
		adults, _ := adultsOf(t, g, 2000)
		var out []byte
		var ents []string
		g.Enterprises(200, adults, func(e *Enterprise) error {
			ents = append(ents, e.Code)
			j, _ := json.Marshal(e)
			out = append(out, j...)
			return nil
		})
		g.Parcels(500, adults, ents, func(p *Parcel) error {
			j, _ := json.Marshal(p)
			out = append(out, j...)
			return nil
		})
		return string(out)
	}
	if hash() != hash() {
		t.Error("enterprises and parcels differ between runs of one seed")
	}
}

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	p := newProgress(&buf, "people", 1000000, clock)
	for i := 0; i < 400; i++ { // 0.8 s
		now = now.Add(2 * time.Millisecond) // 500,000 a second
		p.Add(1000)
	}
	if buf.Len() != 0 {
		t.Errorf("printed before a second had passed: %q", buf.String())
	}
	for i := 0; i < 600; i++ { // 1.2 s more
		now = now.Add(2 * time.Millisecond)
		p.Add(1000)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) < 1 || len(lines) > 2 {
		t.Errorf("%d lines in 2 s:\n%s", len(lines), buf.String())
	}
	for _, l := range lines {
		if !regexp.MustCompile(`^people: \d+/1000000 \(\d+%\) 500000/s$`).MatchString(l) {
			t.Errorf("line %q", l)
		}
	}
	buf.Reset()
	p.Done()
	if got := buf.String(); got != "people: 1000000/1000000 (100%) 500000/s in 2s\n" {
		t.Errorf("Done printed %q", got)
	}
	buf.Reset()
	p.Add(5)
	p.Done()
	if buf.Len() != 0 {
		t.Errorf("printed after Done: %q", buf.String())
	}

	// Several goroutines.
	buf.Reset()
	c := NewProgress(&buf, "x", 0)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100000; j++ {
				c.Add(1)
			}
		}()
	}
	wg.Wait()
	c.Done()
	if !strings.HasPrefix(buf.String(), "x: 400000 ") && !strings.Contains(buf.String(), "\nx: 400000 ") {
		t.Errorf("concurrent Add: %q", buf.String())
	}

	// Unknown total.
	buf.Reset()
	q := newProgress(&buf, "parcels", 0, clock)
	q.Add(10)
	now = now.Add(time.Second)
	q.Done()
	if got := buf.String(); got != "parcels: 10 10/s in 1s\n" {
		t.Errorf("Done printed %q", got)
	}
}

// The data files are copies: they must not drift from the catalog's seed,
// and provinces.csv must map the old provinces as merges.json does.
func TestDataCopies(t *testing.T) {
	seed := filepath.Join("..", "..", "catalog", "seed")
	if _, err := os.Stat(seed); err != nil {
		t.Skip("catalog seed not found:", err)
	}
	for _, pair := range [][2]string{
		{"admin-units/units.csv", "units.csv"}, {"admin-units/LICENSE", "LICENSE"},
		{"ethnic-groups.csv", "ethnic-groups.csv"}, {"religions.csv", "religions.csv"},
	} {
		want, err := os.ReadFile(filepath.Join(seed, pair[0]))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("data", pair[1]))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("data/%s differs from the catalog's %s", pair[1], pair[0])
		}
	}
	raw, err := os.ReadFile(filepath.Join(seed, "admin-units", "merges.json"))
	if err != nil {
		t.Fatal(err)
	}
	var merges struct {
		Data []struct {
			ID     string `json:"level1_id"`
			Merges []struct {
				OldID string `json:"old_id"`
			} `json:"merges"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &merges); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, p := range merges.Data {
		for _, m := range p.Merges {
			want["0"+m.OldID] = p.ID
		}
	}
	w := getWorld()
	if len(want) != len(w.olds) {
		t.Errorf("merges.json has %d old provinces, provinces.csv %d", len(want), len(w.olds))
	}
	for _, o := range w.olds {
		if got := w.provs[o.prov].code; want[o.code] != got {
			t.Errorf("old province %s: in %s, merges.json says %s", o.code, got, want[o.code])
		}
		if _, ok := vnid.ProvinceName(o.code); !ok {
			t.Errorf("old province %s is not a vnid province", o.code)
		}
	}
}

func TestPermuter(t *testing.T) {
	for _, n := range []uint64{1, 2, 10, 1000, 1 << 16, 100000} {
		p := newPermuter(n, n*7)
		seen := make([]bool, n)
		for x := uint64(0); x < n; x++ {
			y := p.at(x)
			if y >= n || seen[y] {
				t.Fatalf("n=%d: %d -> %d repeated or out of range", n, x, y)
			}
			seen[y] = true
		}
	}
}

func TestErrorsFromEmit(t *testing.T) {
	stop := errors.New("stop")
	g := New(2)
	adults, _ := adultsOf(t, g, 500)
	if err := g.Enterprises(10, adults, func(*Enterprise) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Enterprises: %v", err)
	}
	if err := g.Parcels(10, adults, nil, func(*Parcel) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Parcels: %v", err)
	}
}
