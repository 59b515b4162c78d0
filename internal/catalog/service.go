package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/vntext"
)

// EventChanged is emitted once per published version of a list.
const EventChanged = "catalog.changed"

// Service is the catalog's API. Reads are served from an in-memory
// snapshot of each list (catalogs are small and read all day); a publish
// replaces the snapshot, and other nodes hear of it through the
// catalog.changed event.
type Service struct {
	db  *store.DB
	log *slog.Logger
	now func() time.Time

	mu    sync.RWMutex
	snaps map[string]*snapshot
	lists []List // in code order; nil until loaded
	// OnPublish, when set, is called after a publish commits (the relay's
	// Kick, so the event leaves at once).
	OnPublish func()
}

// snapshot is one list's items, all versions, ready to filter.
type snapshot struct {
	list   List
	items  []*Item // by code, then valid_from
	byCode map[string][]*Item
}

// New returns the catalog service over db.
func New(db *store.DB, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, log: log, now: time.Now, snaps: map[string]*snapshot{}}
}

// Today is the current day in Vietnam's time zone.
func (s *Service) Today() string { return s.now().In(vnZone).Format(time.DateOnly) }

var vnZone = time.FixedZone("ICT", 7*3600)

// Invalidate drops cached data of a list ("" for all), so the next read
// loads it from the store.
func (s *Service) Invalidate(list string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists = nil
	if list == "" {
		s.snaps = map[string]*snapshot{}
		return
	}
	delete(s.snaps, list)
}

// Refresh compares cached versions with the store's and drops stale ones; a
// safety net for a node that missed a catalog.changed event.
func (s *Service) Refresh(ctx context.Context) error {
	vs, err := listVersions(ctx, s.db)
	if err != nil {
		return fmt.Errorf("catalog: refresh: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for code, sn := range s.snaps {
		if vs[code] != sn.list.Version {
			delete(s.snaps, code)
			s.lists = nil
		}
	}
	if len(vs) != len(s.lists) {
		s.lists = nil
	}
	return nil
}

func (s *Service) snapshot(ctx context.Context, list string) (*snapshot, error) {
	s.mu.RLock()
	sn := s.snaps[list]
	s.mu.RUnlock()
	if sn != nil {
		return sn, nil
	}
	l, ok, err := loadList(ctx, s.db, list)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errListNotFound(list)
	}
	rows, err := loadItems(ctx, s.db, list)
	if err != nil {
		return nil, err
	}
	sn = &snapshot{list: l, items: make([]*Item, len(rows)), byCode: make(map[string][]*Item, len(rows))}
	for i := range rows {
		it := &rows[i]
		it.search = searchText(it)
		it.folded = vntext.Fold(it.Name)
		sn.items[i] = it
		sn.byCode[it.Code] = append(sn.byCode[it.Code], it)
	}
	today := s.Today()
	for _, it := range sn.items {
		if it.ValidAt(today) {
			sn.list.Items++
		}
	}
	s.mu.Lock()
	s.snaps[list] = sn
	s.mu.Unlock()
	return sn, nil
}

// searchText is what a query is matched against: the code, the names and
// any other names, folded.
func searchText(it *Item) string {
	parts := []string{it.Code, it.Name, it.NameEn}
	if on, ok := it.Attributes["other_names"]; ok {
		switch v := on.(type) {
		case []any:
			for _, x := range v {
				parts = append(parts, fmt.Sprint(x))
			}
		case string:
			parts = append(parts, v)
		}
	}
	return vntext.Fold(strings.Join(parts, " | "))
}

func errListNotFound(list string) error {
	return fault.NotFoundf("catalog.list_not_found", "Không tìm thấy danh mục "+list, "no catalog list with code %q", list)
}

func errItemNotFound(list, code, at string) error {
	msg := fmt.Sprintf("Không tìm thấy mã %s trong danh mục %s", code, list)
	detail := fmt.Sprintf("no item with code %q in list %q", code, list)
	if at != "" {
		msg += " vào ngày " + at
		detail += " valid on " + at
	}
	return fault.New(fault.NotFound, "catalog.item_not_found", msg, detail)
}

// Lists returns every list with its version and today's item count.
func (s *Service) Lists(ctx context.Context) ([]List, error) {
	s.mu.RLock()
	cached := s.lists
	s.mu.RUnlock()
	if cached != nil {
		return cached, nil
	}
	ls, err := loadLists(ctx, s.db)
	if err != nil {
		return nil, err
	}
	for i := range ls {
		sn, err := s.snapshot(ctx, ls[i].Code)
		if err != nil {
			return nil, err
		}
		ls[i] = sn.list
	}
	if ls == nil {
		ls = []List{}
	}
	s.mu.Lock()
	s.lists = ls
	s.mu.Unlock()
	return ls, nil
}

// List returns one list.
func (s *Service) List(ctx context.Context, code string) (List, error) {
	sn, err := s.snapshot(ctx, code)
	if err != nil {
		return List{}, err
	}
	return sn.list, nil
}

var dayRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// checkDay validates a YYYY-MM-DD field value.
func checkDay(field, v string) *fault.FieldError {
	if v == "" {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil || !dayRE.MatchString(v) {
		return &fault.FieldError{Field: field, Code: "date.format",
			Message: fmt.Sprintf("Ngày %q không hợp lệ: dùng dạng NNNN-TT-NN, ví dụ 2025-07-01", v),
			Detail:  fmt.Sprintf("%q is not a valid date: use YYYY-MM-DD", v)}
	}
	return nil
}

// Items returns the items of a list that match q, as valid on q.At.
func (s *Service) Items(ctx context.Context, list string, q ItemQuery) (ItemPage, error) {
	var fields []fault.FieldError
	if fe := checkDay("at", q.At); fe != nil {
		fields = append(fields, *fe)
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	if q.Limit < 1 || q.Limit > 1000 {
		fields = append(fields, fault.FieldError{Field: "limit", Code: "limit.range", Message: "Số dòng mỗi trang phải từ 1 đến 1000", Detail: "limit must be between 1 and 1000"})
	}
	if q.Offset < 0 {
		fields = append(fields, fault.FieldError{Field: "offset", Code: "offset.range", Message: "Vị trí bắt đầu không được âm", Detail: "offset must not be negative"})
	}
	if len(fields) > 0 {
		return ItemPage{}, fault.Invalidf(fields, "invalid item query")
	}
	sn, err := s.snapshot(ctx, list)
	if err != nil {
		return ItemPage{}, err
	}
	at := q.At
	if at == "" {
		at = s.Today()
	}
	matches := sn.filter(at, q.Parent, q.Level, q.Q)
	page := ItemPage{List: list, Version: sn.list.Version, At: at, Total: len(matches), Limit: q.Limit, Offset: q.Offset, Items: []Item{}}
	for i := q.Offset; i < len(matches) && i < q.Offset+q.Limit; i++ {
		page.Items = append(page.Items, *matches[i])
	}
	return page, nil
}

// filter returns the items valid on day that match, best matches first
// when there is a search, else in code order.
func (sn *snapshot) filter(day, parent, level, q string) []*Item {
	terms := vntext.Terms(q)
	folded := strings.Join(terms, " ")
	type hit struct {
		it    *Item
		score int
	}
	var hits []hit
	for _, it := range sn.items {
		if !it.ValidAt(day) || (parent != "" && it.Parent != parent) || (level != "" && it.Level != level) {
			continue
		}
		if len(terms) == 0 {
			hits = append(hits, hit{it, 0})
			continue
		}
		if !vntext.MatchAll(it.search, terms) {
			continue
		}
		hits = append(hits, hit{it, rank(it, q, folded)})
	}
	if len(terms) > 0 {
		sort.SliceStable(hits, func(i, j int) bool { return hits[i].score < hits[j].score })
	}
	out := make([]*Item, len(hits))
	for i, h := range hits {
		out[i] = h.it
	}
	return out
}

// rank orders search hits: the exact code, then names equal to the query,
// then names ending with it ("ha noi" finds "Thành phố Hà Nội" before
// "Phường Hà Nội Mới"), then names containing it, then the rest.
func rank(it *Item, q, folded string) int {
	name := it.folded
	switch {
	case strings.EqualFold(it.Code, strings.TrimSpace(q)):
		return 0
	case name == folded:
		return 1
	case strings.HasSuffix(name, " "+folded):
		return 2
	case strings.Contains(name, folded):
		return 3
	default:
		return 4
	}
}

// Item returns the version of code valid on day at (today when empty).
func (s *Service) Item(ctx context.Context, list, code, at string) (Item, error) {
	if fe := checkDay("at", at); fe != nil {
		return Item{}, fault.Invalidf([]fault.FieldError{*fe}, "invalid date")
	}
	sn, err := s.snapshot(ctx, list)
	if err != nil {
		return Item{}, err
	}
	if at == "" {
		at = s.Today()
	}
	for _, it := range sn.byCode[code] {
		if it.ValidAt(at) {
			return *it, nil
		}
	}
	return Item{}, errItemNotFound(list, code, at)
}

// History returns every version of code, oldest first.
func (s *Service) History(ctx context.Context, list, code string) ([]Item, error) {
	sn, err := s.snapshot(ctx, list)
	if err != nil {
		return nil, err
	}
	vs := sn.byCode[code]
	if len(vs) == 0 {
		return nil, errItemNotFound(list, code, "")
	}
	out := make([]Item, len(vs))
	for i, it := range vs {
		out[i] = *it
	}
	return out, nil
}

// Children returns the items valid on day whose parent is code.
func (s *Service) Children(ctx context.Context, list, code, day string) ([]Item, error) {
	page, err := s.Items(ctx, list, ItemQuery{Parent: code, At: day, Limit: 1000})
	return page.Items, err
}

// Translate maps code (typically a retired one, e.g. a commune code from
// before the 2025 merger) to the items valid on day at, following
// replaced-by links through any number of changes.
func (s *Service) Translate(ctx context.Context, list, code, at string) (Translation, error) {
	if fe := checkDay("at", at); fe != nil {
		return Translation{}, fault.Invalidf([]fault.FieldError{*fe}, "invalid date")
	}
	if strings.TrimSpace(code) == "" {
		return Translation{}, fault.Invalidf([]fault.FieldError{{Field: "code", Code: "code.required", Message: "Hãy nhập mã cần tra cứu", Detail: "code is required"}}, "code is required")
	}
	sn, err := s.snapshot(ctx, list)
	if err != nil {
		return Translation{}, err
	}
	if at == "" {
		at = s.Today()
	}
	vs := sn.byCode[code]
	if len(vs) == 0 {
		return Translation{}, errItemNotFound(list, code, "")
	}
	tr := Translation{Code: code, At: at, To: []Target{}}
	// The version in force on the day wins only when nothing retired that
	// code before; a reused code (an old commune whose code the new one kept)
	// is translated from its retired version, which is what an old record
	// means.
	var retired *Item
	for _, it := range vs {
		if it.ValidTo != "" && it.ValidTo < at && len(it.ReplacedBy) > 0 {
			retired = it
		}
	}
	if retired == nil {
		for _, it := range vs {
			if it.ValidAt(at) {
				tr.Current, tr.From = true, *it
				tr.To = append(tr.To, Target{Item: *it, Type: "same"})
				return tr, nil
			}
		}
		return tr, fault.New(fault.NotFound, "catalog.no_successor",
			fmt.Sprintf("Mã %s không còn hiệu lực vào ngày %s và không có mã thay thế", code, at),
			fmt.Sprintf("code %q is not valid on %s and has no successor", code, at))
	}
	tr.From = *retired
	seen := map[string]bool{}
	var walk func(it *Item, typ string, depth int)
	walk = func(it *Item, typ string, depth int) {
		for _, succ := range it.ReplacedBy {
			t := typ
			if succ.Type == "partial" {
				t = "partial"
			}
			// A successor in force on the day ends the walk; only when none
			// is does a later retirement of the successor lead further.
			var next, retiredNext *Item
			for _, cand := range sn.byCode[succ.Code] {
				switch {
				case cand.ValidAt(at):
					next = cand
				case cand != it && cand.ValidTo != "" && cand.ValidTo < at && len(cand.ReplacedBy) > 0 && cand.ValidFrom >= it.ValidFrom:
					retiredNext = cand
				}
			}
			switch {
			case next != nil && !seen[next.Code]:
				seen[next.Code] = true
				tr.To = append(tr.To, Target{Item: *next, Type: t})
			case next == nil && retiredNext != nil && depth < 10:
				walk(retiredNext, t, depth+1)
			}
		}
	}
	walk(retired, "full", 0)
	return tr, nil
}

// Versions returns the published versions of a list, newest first.
func (s *Service) Versions(ctx context.Context, list string) ([]Version, error) {
	if _, err := s.snapshot(ctx, list); err != nil {
		return nil, err
	}
	vs, err := loadVersions(ctx, s.db, list)
	if vs == nil {
		vs = []Version{}
	}
	return vs, err
}

// Search finds items valid today in every list, up to limit per list.
func (s *Service) Search(ctx context.Context, q string, limit int) (map[string][]Item, error) {
	ls, err := s.Lists(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]Item{}
	if len(vntext.Terms(q)) == 0 {
		return out, nil
	}
	for _, l := range ls {
		page, err := s.Items(ctx, l.Code, ItemQuery{Q: q, Limit: limit})
		if err != nil {
			return nil, err
		}
		if page.Total > 0 {
			out[l.Code] = page.Items
		}
	}
	return out, nil
}

// publishEvent is the catalog.changed payload.
type publishEvent struct {
	List    string   `json:"list"`
	Version int      `json:"version"`
	Changes int      `json:"changes"`
	Upserts []string `json:"upserted,omitempty"`
	Retired []string `json:"retired,omitempty"`
}

// emitChanged writes the catalog.changed event for a published version.
func emitChanged(ctx context.Context, tx *store.Tx, ev publishEvent) error {
	if len(ev.Upserts) > 1000 {
		ev.Upserts = nil // too many to list: readers reload the list
	}
	if len(ev.Retired) > 1000 {
		ev.Retired = nil
	}
	data, err := jsonRaw(ev)
	if err != nil {
		return err
	}
	_, err = bus.Emit(ctx, tx, bus.Event{Type: EventChanged, Source: "catalog", Subject: ev.List, Data: data})
	return err
}

// recordAudit writes the audit row of a catalog action.
func recordAudit(ctx context.Context, q store.Querier, who audit.Actor, action, object, result string, detail map[string]any) error {
	return audit.Record(ctx, q, who.Entry(action, object, result, detail))
}

// Export returns the items valid on day at (today when empty), or every
// version of every item when at is "all", with the day it used.
func (s *Service) Export(ctx context.Context, list, at string) ([]Item, string, error) {
	sn, err := s.snapshot(ctx, list)
	if err != nil {
		return nil, "", err
	}
	if at == "all" {
		out := make([]Item, len(sn.items))
		for i, it := range sn.items {
			out[i] = *it
		}
		return out, at, nil
	}
	if fe := checkDay("at", at); fe != nil {
		return nil, "", fault.Invalidf([]fault.FieldError{*fe}, "invalid date")
	}
	if at == "" {
		at = s.Today()
	}
	var out []Item
	for _, it := range sn.items {
		if it.ValidAt(at) {
			out = append(out, *it)
		}
	}
	return out, at, nil
}
