// Package catalog is the shared e-catalogs system (hệ thống danh mục điện
// tử dùng chung, framework component 15): versioned code lists such as
// administrative units, ethnic groups, religions, countries and agencies,
// which every other component validates its codes against.
//
// Lists change by publishing versions. Each item keeps its history: a
// retired or renamed item keeps its old row with the date it stopped being
// valid and the items that replaced it, so a code on an old record can be
// read as it was and translated to today's codes.
package catalog

import (
	"embed"
	"io/fs"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the catalog's tables.
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// List is a danh mục: a named code list owned by one agency.
type List struct {
	Code        string     `json:"code"`
	Name        string     `json:"name"`
	NameEn      string     `json:"name_en"`
	Owner       string     `json:"owner_agency"`
	Description string     `json:"description"`
	Version     int        `json:"version"`
	PublishedAt *time.Time `json:"published_at"`
	// Items is the number of items valid today.
	Items int `json:"item_count"`
}

// Item is one version of one entry of a list.
type Item struct {
	Code       string         `json:"code"`
	Name       string         `json:"name"`
	NameEn     string         `json:"name_en,omitempty"`
	Parent     string         `json:"parent,omitempty"`
	Level      string         `json:"level,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
	ValidFrom  string         `json:"valid_from,omitempty"` // YYYY-MM-DD; empty: since before records
	ValidTo    string         `json:"valid_to,omitempty"`   // YYYY-MM-DD, inclusive; empty: still valid
	ReplacedBy []Successor    `json:"replaced_by,omitempty"`
	Version    int            `json:"version"` // the list version that introduced this row

	search string // folded name, other names and code, for search
	folded string // folded name, for ranking
}

// Successor is an item that took over (all or part of) a retired item.
type Successor struct {
	Code string `json:"code"`
	// Type is "full" when the whole retired item went into this one,
	// "partial" when only part of it did.
	Type string `json:"type"`
}

// ValidAt reports whether the item is valid on day (YYYY-MM-DD).
func (it *Item) ValidAt(day string) bool {
	return (it.ValidFrom == "" || it.ValidFrom <= day) && (it.ValidTo == "" || day <= it.ValidTo)
}

// Version is one published version of a list.
type Version struct {
	List        string    `json:"list"`
	Version     int       `json:"version"`
	PublishedAt time.Time `json:"published_at"`
	PublishedBy string    `json:"published_by"`
	Note        string    `json:"note"`
	Changes     int       `json:"changes"`
}

// Change is one staged change in a list's draft.
type Change struct {
	Op       string    `json:"op"` // "upsert" or "retire"
	Item     *Item     `json:"item,omitempty"`
	Retire   *Retire   `json:"retire,omitempty"`
	StagedBy string    `json:"staged_by"`
	StagedAt time.Time `json:"staged_at"`
}

// Retire asks to end an item's validity, naming what replaced it.
type Retire struct {
	Code       string      `json:"code"`
	ValidTo    string      `json:"valid_to"`
	ReplacedBy []Successor `json:"replaced_by,omitempty"`
}

// ItemQuery filters a list's items.
type ItemQuery struct {
	Parent string // items whose parent code is this
	Level  string // items of this level
	Q      string // search: diacritic- and case-insensitive, on name, other names and code
	At     string // the day to view (YYYY-MM-DD); empty means today
	Limit  int    // page size, 1..1000 (default 50)
	Offset int
}

// ItemPage is one page of a query's items.
type ItemPage struct {
	List    string `json:"list"`
	Version int    `json:"version"`
	At      string `json:"at"`
	Total   int    `json:"total"`
	Limit   int    `json:"limit"`
	Offset  int    `json:"offset"`
	Items   []Item `json:"items"`
	// Next is the URL of the next page, when there is one (set by the API).
	Next string `json:"next,omitempty"`
}

// Translation maps a code, possibly retired, to the items valid on a day.
type Translation struct {
	Code string `json:"code"`
	At   string `json:"at"`
	// Current is true when the code itself is valid on that day.
	Current bool `json:"current"`
	// From is the version of the code that was replaced (or the current one).
	From Item `json:"from"`
	// To are the items valid on the day that took over the code.
	To []Target `json:"to"`
}

// Target is an item a translated code leads to.
type Target struct {
	Item
	Type string `json:"type"` // "full", "partial" or "same"
}
