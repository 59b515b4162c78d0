package catalog

import (
	"context"
	"embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/store"
)

//go:embed seed
var seedFiles embed.FS

// The lists the platform ships, with their owners (agency codes from the
// agencies list).
var seedLists = []struct {
	List
	load func() ([]Item, error)
}{
	{List{Code: "admin-units", Name: "Đơn vị hành chính", NameEn: "Administrative units", Owner: "000.00.00.G12",
		Description: "Tỉnh, thành phố và xã, phường, đặc khu từ ngày 01/7/2025 (mã của Cục Thống kê), cùng các đơn vị trước sắp xếp với liên kết sang đơn vị mới."}, loadAdminUnits},
	{List{Code: "ethnic-groups", Name: "Dân tộc", NameEn: "Ethnic groups", Owner: "000.00.00.G12",
		Description: "54 dân tộc Việt Nam theo mã của Tổng cục Thống kê (Quyết định 121-TCTK/PPCĐ), kèm tên gọi khác."}, loadEthnicGroups},
	{List{Code: "religions", Name: "Tôn giáo", NameEn: "Religions", Owner: "000.00.00.G99",
		Description: "Các tôn giáo được công nhận tại Việt Nam. Mã là mã tạm của dự án, chờ danh mục chính thức."}, loadReligions},
	{List{Code: "countries", Name: "Quốc gia và quốc tịch", NameEn: "Countries and nationalities", Owner: "000.00.00.G92",
		Description: "Quốc gia và vùng lãnh thổ theo ISO 3166-1 (mã alpha-2, alpha-3, số), tên tiếng Việt và tiếng Anh."}, loadCountries},
	{List{Code: "agencies", Name: "Cơ quan nhà nước", NameEn: "Government agencies", Owner: "000.00.00.G96",
		Description: "Mã định danh điện tử của cơ quan, tổ chức theo Quyết định 20/2020/QĐ-TTg. Các mã có thuộc tính demo=true là mã minh họa, sẽ thay bằng danh mục chính thức."}, loadAgencies},
}

// Seed loads the shipped lists that the store does not have yet, each as
// its version 1 with one catalog.changed event. It is safe to run on every
// start.
func (s *Service) Seed(ctx context.Context) error {
	existing, err := loadLists(ctx, s.db)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, l := range existing {
		have[l.Code] = true
	}
	who := audit.Actor{Subject: "system:seed"}
	for _, sl := range seedLists {
		if have[sl.Code] {
			continue
		}
		items, err := sl.load()
		if err != nil {
			return fmt.Errorf("catalog: seed %s: %w", sl.Code, err)
		}
		for i := range items {
			items[i].Version = 1
		}
		err = s.db.Tx(ctx, func(tx *store.Tx) error {
			if err := insertList(ctx, tx, sl.List); err != nil {
				return err
			}
			if _, err := bumpVersion(ctx, tx, sl.Code); err != nil {
				return err
			}
			if err := insertItems(ctx, tx, sl.Code, items); err != nil {
				return err
			}
			v := Version{List: sl.Code, Version: 1, PublishedAt: time.Now().UTC(), PublishedBy: who.Subject, Note: "Dữ liệu ban đầu", Changes: len(items)}
			if err := insertVersion(ctx, tx, v); err != nil {
				return err
			}
			if err := recordAudit(ctx, tx, who, "catalog.publish", "catalog/"+sl.Code, audit.OK, map[string]any{"version": 1, "changes": len(items)}); err != nil {
				return err
			}
			return emitChanged(ctx, tx, publishEvent{List: sl.Code, Version: 1, Changes: len(items)})
		})
		if err != nil {
			return fmt.Errorf("catalog: seed %s: %w", sl.Code, err)
		}
		s.log.Info("catalog: seeded list", "list", sl.Code, "items", len(items))
	}
	s.Invalidate("")
	return nil
}

// readCSV reads a seed CSV into maps keyed by header names.
func readCSV(name string) ([]map[string]string, error) {
	f, err := seedFiles.Open("seed/" + name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var out []map[string]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		row := map[string]string{}
		for i, h := range header {
			row[h] = strings.TrimSpace(rec[i])
		}
		out = append(out, row)
	}
}

func loadEthnicGroups() ([]Item, error) {
	rows, err := readCSV("ethnic-groups.csv")
	if err != nil {
		return nil, err
	}
	items := make([]Item, 0, len(rows))
	for _, r := range rows {
		it := Item{Code: r["code"], Name: r["name"], NameEn: r["name_en"]}
		if r["other_names"] != "" {
			var names []any
			for _, n := range strings.Split(r["other_names"], ";") {
				if n = strings.TrimSpace(n); n != "" {
					names = append(names, n)
				}
			}
			it.Attributes = map[string]any{"other_names": names}
		}
		if it.Code == "NN" || it.Code == "KXD" {
			it.Attributes = map[string]any{"note": "Mã bổ sung của dự án, không thuộc danh mục 54 dân tộc"}
		}
		items = append(items, it)
	}
	return items, nil
}

func loadReligions() ([]Item, error) {
	rows, err := readCSV("religions.csv")
	if err != nil {
		return nil, err
	}
	items := make([]Item, 0, len(rows))
	for _, r := range rows {
		it := Item{Code: r["code"], Name: r["name"], NameEn: r["name_en"]}
		if r["note"] != "" {
			it.Attributes = map[string]any{"note": r["note"], "other_names": []any{r["note"]}}
		}
		items = append(items, it)
	}
	return items, nil
}

func loadCountries() ([]Item, error) {
	rows, err := readCSV("countries.csv")
	if err != nil {
		return nil, err
	}
	items := make([]Item, 0, len(rows))
	for _, r := range rows {
		items = append(items, Item{Code: r["alpha2"], Name: r["name"], NameEn: r["name_en"], Attributes: map[string]any{
			"alpha3": r["alpha3"], "numeric": r["numeric"], "nationality": r["nationality"],
			"other_names": []any{r["alpha3"], r["numeric"]},
		}})
	}
	return items, nil
}

func loadAgencies() ([]Item, error) {
	rows, err := readCSV("agencies.csv")
	if err != nil {
		return nil, err
	}
	items := make([]Item, 0, len(rows))
	for _, r := range rows {
		attrs := map[string]any{"demo": r["demo"] == "true"}
		if r["admin_unit"] != "" {
			attrs["admin_unit"] = r["admin_unit"]
		}
		items = append(items, Item{Code: r["code"], Name: r["name"], NameEn: r["name_en"], Parent: r["parent_code"], Level: r["kind"], Attributes: attrs})
	}
	return items, nil
}

// The day the two-level local government took effect.
const (
	mergeDay    = "2025-07-01"
	lastOldDay  = "2025-06-30"
	provinceLvl = "province"
	communeLvl  = "commune"
)

type mergeFile struct {
	Data []struct {
		ID     string      `json:"level1_id"`
		Name   string      `json:"name"`
		Merges []mergeFrom `json:"merges"`
		Level2 []struct {
			ID     string      `json:"level2_id"`
			Name   string      `json:"name"`
			Merges []mergeFrom `json:"merges"`
		} `json:"level2s"`
	} `json:"data"`
}

type mergeFrom struct {
	OldID string `json:"old_id"`
	Name  string `json:"name"`
	Type  string `json:"type"`
}

// loadAdminUnits builds the 2025 units (valid from 1 July 2025) and the
// units they replaced (valid until 30 June 2025, with replaced-by links).
// The source has no districts, so an old commune's parent is its old
// province only where that is certain: where its new province was formed
// from one old province.
func loadAdminUnits() ([]Item, error) {
	rows, err := readCSV("admin-units/units.csv")
	if err != nil {
		return nil, err
	}
	var items []Item
	for _, r := range rows {
		items = append(items, Item{Code: r["code"], Name: r["name"], Parent: r["province_code"], Level: r["level"], ValidFrom: mergeDay})
	}
	b, err := seedFiles.ReadFile("seed/admin-units/merges.json")
	if err != nil {
		return nil, err
	}
	var mf mergeFile
	if err := json.Unmarshal(b, &mf); err != nil {
		return nil, fmt.Errorf("merges.json: %w", err)
	}
	type old struct {
		name      string
		succ      []Successor
		provinces map[string]bool // old provinces it may have belonged to
		newProv   string
	}
	oldProv := map[string]*old{}
	oldComm := map[string]*old{}
	for _, p := range mf.Data {
		for _, m := range p.Merges {
			o := oldProv[m.OldID]
			if o == nil {
				o = &old{name: m.Name}
				oldProv[m.OldID] = o
			}
			o.succ = append(o.succ, Successor{Code: p.ID, Type: m.Type})
		}
		for _, c := range p.Level2 {
			for _, m := range c.Merges {
				o := oldComm[m.OldID]
				if o == nil {
					o = &old{name: m.Name, provinces: map[string]bool{}, newProv: p.ID}
					oldComm[m.OldID] = o
				}
				o.succ = append(o.succ, Successor{Code: c.ID, Type: m.Type})
				for _, pm := range p.Merges {
					o.provinces[pm.OldID] = true
				}
			}
		}
	}
	for code, o := range oldProv {
		items = append(items, Item{Code: code, Name: o.name, Level: provinceLvl, ValidTo: lastOldDay, ReplacedBy: o.succ})
	}
	for code, o := range oldComm {
		it := Item{Code: code, Name: o.name, Level: communeLvl, ValidTo: lastOldDay, ReplacedBy: o.succ,
			Attributes: map[string]any{"new_province": o.newProv}}
		if len(o.provinces) == 1 {
			for p := range o.provinces {
				it.Parent = p
			}
		}
		items = append(items, it)
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].Code != items[j].Code {
			return items[i].Code < items[j].Code
		}
		return items[i].ValidFrom < items[j].ValidFrom
	})
	return items, nil
}
