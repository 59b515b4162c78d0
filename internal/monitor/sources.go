package monitor

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vngov/vngov/internal/catalog"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/procedure"
)

// EventSource is the dossier engine's permanent event log: every
// dossier.* event ever written, in order. *dossier.Service provides it.
type EventSource interface {
	// EventLog returns up to limit events after position after, and the
	// position of the last one returned.
	EventLog(ctx context.Context, after int64, limit int) (events []bus.Event, last int64, err error)
}

// ProcedureSource is what the monitor reads of the procedures database.
// *procedure.Service provides it.
type ProcedureSource interface {
	Search(ctx context.Context, q procedure.Query) ([]procedure.Summary, int, error)
	Get(ctx context.Context, code string) (procedure.Procedure, error)
}

// CatalogSource is what the monitor reads of the shared e-catalogs (the
// agencies and the provinces). *catalog.Service provides it.
type CatalogSource interface {
	Items(ctx context.Context, list string, q catalog.ItemQuery) (catalog.ItemPage, error)
}

// TrafficSource counts the calls made over the data exchange.
type TrafficSource interface {
	// Calls counts the calls served per service in [from, to).
	Calls(ctx context.Context, from, to time.Time) (ServiceCalls, error)
}

// ServiceCalls are the exchange's calls per service.
type ServiceCalls struct {
	Services []ServiceCount `json:"services"`
	// Truncated is true when the source stopped counting before the end of
	// the range (it then counts the most recent calls).
	Truncated bool `json:"truncated"`
}

// ServiceCount is the calls one service served.
type ServiceCount struct {
	Service string `json:"service"` // the X-Road service id, e.g. VN/GOV/000.00.00.G91/CSDLQGDC/nguoi-dan
	Calls   int64  `json:"calls"`
	Failed  int64  `json:"failed"` // an error status or an exchange error
}

// TrafficFunc adapts a function to TrafficSource.
type TrafficFunc func(ctx context.Context, from, to time.Time) (ServiceCalls, error)

// Calls implements TrafficSource.
func (f TrafficFunc) Calls(ctx context.Context, from, to time.Time) (ServiceCalls, error) {
	return f(ctx, from, to)
}

// ---- procedures ----

// procFacts is what the index needs of one procedure.
type procFacts struct {
	Code, Name  string
	Levels      []string
	OnlineLevel string // full, partial
	Complete    bool   // published with every part the public must see
	WithFee     bool   // charges a fee or charge
	PayOnline   bool   // the fee can be paid online (a fully online procedure)
	TimeLimit   int    // working days
}

func factsOf(p procedure.Procedure) procFacts {
	f := procFacts{Code: p.Code, Name: p.Name, Levels: p.Levels, OnlineLevel: p.OnlineLevel, Complete: complete(p), TimeLimit: p.TimeLimit}
	for _, fee := range p.Fees {
		if fee.Amount > 0 || (fee.Online != nil && *fee.Online > 0) {
			f.WithFee = true
		}
	}
	f.PayOnline = payableOnline(f)
	return f
}

// cached keeps a value read from another component for a while.
type cached[T any] struct {
	mu  sync.Mutex
	at  time.Time
	val T
	ttl time.Duration
}

func (c *cached[T]) get(now time.Time, load func() (T, error)) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && now.Sub(c.at) < c.ttl {
		return c.val, nil
	}
	v, err := load()
	if err != nil {
		return c.val, err
	}
	c.val, c.at = v, now
	return v, nil
}

func (c *cached[T]) reset() {
	c.mu.Lock()
	c.at = time.Time{}
	c.mu.Unlock()
}

// procedures returns every published procedure's facts by code.
func (s *Service) procedures(ctx context.Context) (map[string]procFacts, error) {
	if s.procs == nil {
		return map[string]procFacts{}, nil
	}
	return s.procCache.get(s.now(), func() (map[string]procFacts, error) {
		out := map[string]procFacts{}
		for off := 0; ; off += 200 {
			page, total, err := s.procs.Search(ctx, procedure.Query{Limit: 200, Offset: off})
			if err != nil {
				return nil, err
			}
			for _, sum := range page {
				p, err := s.procs.Get(ctx, sum.Code)
				if err != nil {
					return nil, err
				}
				out[p.Code] = factsOf(p)
			}
			if len(page) == 0 || off+len(page) >= total {
				break
			}
		}
		return out, nil
	})
}

// fillProcedures counts the procedures a scope provides: those of the
// levels its agencies carry out (from the catalog: a province's own
// committee and departments carry out the provincial procedures, its
// communes the commune ones), and any procedure it received dossiers for
// in the period. Every procedure counts for the whole country.
func (s *Service) fillProcedures(m *Measures, sc Scope, procs map[string]procFacts, dir *directory) {
	levels := map[string]bool{}
	if dir != nil {
		for code, a := range dir.agencies {
			if sc.Covers(code) {
				for _, l := range levelsOf[a.Kind] {
					levels[l] = true
				}
			}
		}
	}
	chosen := map[string]bool{}
	for code, p := range procs {
		if sc.Code == "" {
			chosen[code] = true
			continue
		}
		for _, l := range p.Levels {
			if levels[l] {
				chosen[code] = true
			}
		}
	}
	for code := range m.byProcedure {
		if _, known := procs[code]; known {
			chosen[code] = true
		}
	}
	for code := range chosen {
		p := procs[code]
		m.Procedures++
		m.ProceduresComplete += b2i(p.Complete)
		m.ProceduresFull += b2i(p.OnlineLevel == "full")
		m.ProceduresPartial += b2i(p.OnlineLevel == "partial")
		m.ProceduresOnline += b2i(p.OnlineLevel == "full" || p.OnlineLevel == "partial")
		m.ProceduresWithFee += b2i(p.WithFee)
		m.ProceduresPayOnline += b2i(p.PayOnline)
	}
	for code, ps := range m.byProcedure {
		p, known := procs[code]
		if !known || ps.Ended == 0 || p.TimeLimit <= 0 {
			continue
		}
		m.ProceduresTimed++
		m.ProceduresWithinLimit += b2i(ps.Days <= int64(p.TimeLimit)*ps.Ended)
	}
}

// ---- the directory of agencies and provinces ----

// agencyInfo is an agency as the catalog lists it.
type agencyInfo struct {
	Code, Name, NameEn, Kind, AdminUnit string
}

// Province is a province or centrally governed city with its level-1
// agency code part.
type Province struct {
	Code      string `json:"code"`       // the administrative unit code, e.g. "01"
	Name      string `json:"name"`       // e.g. "Thành phố Hà Nội"
	ShortName string `json:"short_name"` // e.g. "Hà Nội"
	Agency    string `json:"agency"`     // its people's committee, e.g. 000.00.00.H26
}

// directory is what the catalog says about agencies and provinces.
type directory struct {
	agencies  map[string]agencyInfo
	provinces []Province // in code order
}

func (s *Service) directory(ctx context.Context) (*directory, error) {
	if s.cat == nil {
		return &directory{agencies: map[string]agencyInfo{}}, nil
	}
	return s.dirCache.get(s.now(), func() (*directory, error) {
		d := &directory{agencies: map[string]agencyInfo{}}
		for off := 0; ; off += 1000 {
			page, err := s.cat.Items(ctx, "agencies", catalog.ItemQuery{Limit: 1000, Offset: off})
			if err != nil {
				return nil, err
			}
			for _, it := range page.Items {
				au, _ := it.Attributes["admin_unit"].(string)
				d.agencies[it.Code] = agencyInfo{Code: it.Code, Name: it.Name, NameEn: it.NameEn, Kind: it.Level, AdminUnit: au}
			}
			if off+len(page.Items) >= page.Total || len(page.Items) == 0 {
				break
			}
		}
		page, err := s.cat.Items(ctx, "admin-units", catalog.ItemQuery{Level: "province", Limit: 1000})
		if err != nil {
			return nil, err
		}
		byUnit := map[string]string{}
		for code, a := range d.agencies {
			if a.Kind == "province" && a.AdminUnit != "" {
				byUnit[a.AdminUnit] = code
			}
		}
		for _, it := range page.Items {
			d.provinces = append(d.provinces, Province{Code: it.Code, Name: it.Name, ShortName: shortName(it.Name), Agency: byUnit[it.Code]})
		}
		sort.Slice(d.provinces, func(i, j int) bool { return d.provinces[i].Code < d.provinces[j].Code })
		return d, nil
	})
}

// shortName drops "Tỉnh" or "Thành phố" from a province's name.
func shortName(name string) string {
	for _, p := range []string{"Thành phố ", "Tỉnh "} {
		if strings.HasPrefix(name, p) {
			return strings.TrimPrefix(name, p)
		}
	}
	return name
}

// name returns an agency's name (a level-1 code stands for its whole
// province or ministry), or the code when the catalog does not know it.
func (d *directory) name(code, lang string) string {
	if code == "" {
		if lang == "en" {
			return "All agencies"
		}
		return "Toàn quốc"
	}
	if a, ok := d.agencies[code]; ok {
		if lang == "en" && a.NameEn != "" {
			return a.NameEn
		}
		return a.Name
	}
	return code
}

// province returns the province whose people's committee is agency (a
// level-1 code), if any.
func (d *directory) province(agency string) (Province, bool) {
	for _, p := range d.provinces {
		if p.Agency == agency {
			return p, true
		}
	}
	return Province{}, false
}
