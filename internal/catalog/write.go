package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

var codeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func fieldErr(field, code, msg, detail string) fault.FieldError {
	return fault.FieldError{Field: field, Code: code, Message: msg, Detail: detail}
}

func checkCode(field, v string) *fault.FieldError {
	if !codeRE.MatchString(v) {
		fe := fieldErr(field, "code.format", "Mã chỉ gồm chữ không dấu, chữ số và các dấu . _ -, dài tối đa 64 ký tự", "code must be 1-64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit")
		return &fe
	}
	return nil
}

func checkName(field, v string, required bool) *fault.FieldError {
	switch {
	case required && strings.TrimSpace(v) == "":
		fe := fieldErr(field, "name.required", "Tên không được để trống", "name is required")
		return &fe
	case utf8.RuneCountInString(v) > 500 || !utf8.ValidString(v):
		fe := fieldErr(field, "name.length", "Tên dài tối đa 500 ký tự", "name must be valid UTF-8 of at most 500 characters")
		return &fe
	}
	return nil
}

func invalidIf(fields []fault.FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return fault.Invalidf(fields, "%d field(s) invalid", len(fields))
}

func appendFE(fields []fault.FieldError, fe *fault.FieldError) []fault.FieldError {
	if fe != nil {
		fields = append(fields, *fe)
	}
	return fields
}

// CreateList creates an empty list (version 0) for items to be staged and
// published into.
func (s *Service) CreateList(ctx context.Context, who audit.Actor, l List) (List, error) {
	var fields []fault.FieldError
	fields = appendFE(fields, checkCode("code", l.Code))
	fields = appendFE(fields, checkName("name", l.Name, true))
	fields = appendFE(fields, checkName("name_en", l.NameEn, false))
	if strings.TrimSpace(l.Owner) == "" {
		fields = append(fields, fieldErr("owner_agency", "owner.required", "Hãy ghi mã định danh của cơ quan chủ quản danh mục", "owner_agency (the owning agency's code) is required"))
	}
	if err := invalidIf(fields); err != nil {
		recordAudit(ctx, s.db, who, "catalog.list.create", "catalog/"+l.Code, audit.Invalid, nil)
		return List{}, err
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := insertList(ctx, tx, l); err != nil {
			if store.IsUniqueViolation(err) {
				return fault.New(fault.Conflict, "catalog.list_exists", "Danh mục "+l.Code+" đã tồn tại", fmt.Sprintf("list %q already exists", l.Code))
			}
			return fmt.Errorf("catalog: create list %s: %w", l.Code, err)
		}
		return recordAudit(ctx, tx, who, "catalog.list.create", "catalog/"+l.Code, audit.OK, map[string]any{"name": l.Name})
	})
	if err != nil {
		return List{}, err
	}
	s.Invalidate(l.Code)
	return s.List(ctx, l.Code)
}

// StageItem stages a new item, or a new version of an existing one, for
// the list's next version. Staging the same code again replaces the staged
// change.
func (s *Service) StageItem(ctx context.Context, who audit.Actor, list string, it Item) (Change, error) {
	sn, err := s.snapshot(ctx, list)
	if err != nil {
		return Change{}, err
	}
	var fields []fault.FieldError
	fields = appendFE(fields, checkCode("code", it.Code))
	fields = appendFE(fields, checkName("name", it.Name, true))
	fields = appendFE(fields, checkName("name_en", it.NameEn, false))
	fields = appendFE(fields, checkDay("valid_from", it.ValidFrom))
	if len(it.Level) > 50 {
		fields = append(fields, fieldErr("level", "level.length", "Cấp dài tối đa 50 ký tự", "level must be at most 50 characters"))
	}
	if it.ValidFrom == "" {
		it.ValidFrom = s.Today()
	}
	if it.Parent != "" && len(fields) == 0 {
		ok := false
		for _, p := range sn.byCode[it.Parent] {
			ok = ok || p.ValidAt(it.ValidFrom)
		}
		if !ok && !s.staged(ctx, list, it.Parent) {
			fields = append(fields, fieldErr("parent", "parent.unknown",
				fmt.Sprintf("Mã cấp trên %s không có trong danh mục vào ngày %s", it.Parent, it.ValidFrom),
				fmt.Sprintf("parent %q is not in the list on %s", it.Parent, it.ValidFrom)))
		}
	}
	if b, _ := json.Marshal(it.Attributes); len(b) > 16<<10 {
		fields = append(fields, fieldErr("attributes", "attributes.size", "Thuộc tính quá lớn (tối đa 16 KB)", "attributes must encode to at most 16 KiB"))
	}
	if err := invalidIf(fields); err != nil {
		recordAudit(ctx, s.db, who, "catalog.item.stage", "catalog/"+list+"/"+it.Code, audit.Invalid, nil)
		return Change{}, err
	}
	it.ValidTo, it.ReplacedBy, it.Version = "", nil, 0
	ch := Change{Op: "upsert", Item: &it, StagedBy: who.Subject, StagedAt: time.Now().UTC()}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := stageChange(ctx, tx, list, it.Code, ch); err != nil {
			return err
		}
		return recordAudit(ctx, tx, who, "catalog.item.stage", "catalog/"+list+"/"+it.Code, audit.OK, map[string]any{"name": it.Name, "valid_from": it.ValidFrom})
	})
	return ch, err
}

// StageRetire stages the end of an item's validity.
func (s *Service) StageRetire(ctx context.Context, who audit.Actor, list string, r Retire) (Change, error) {
	sn, err := s.snapshot(ctx, list)
	if err != nil {
		return Change{}, err
	}
	var fields []fault.FieldError
	fields = appendFE(fields, checkCode("code", r.Code))
	if r.ValidTo == "" {
		fields = append(fields, fieldErr("valid_to", "valid_to.required", "Hãy ghi ngày cuối cùng mã còn hiệu lực", "valid_to is required"))
	}
	fields = appendFE(fields, checkDay("valid_to", r.ValidTo))
	if len(fields) == 0 {
		var open *Item
		for _, it := range sn.byCode[r.Code] {
			if it.ValidTo == "" {
				open = it
			}
		}
		switch {
		case open == nil:
			fields = append(fields, fieldErr("code", "code.not_current", "Mã "+r.Code+" không có phiên bản đang hiệu lực để chấm dứt", fmt.Sprintf("code %q has no open version to retire", r.Code)))
		case open.ValidFrom > r.ValidTo:
			fields = append(fields, fieldErr("valid_to", "valid_to.before_start", "Ngày chấm dứt không được trước ngày bắt đầu hiệu lực "+open.ValidFrom, "valid_to is before the item's valid_from "+open.ValidFrom))
		}
		for i, succ := range r.ReplacedBy {
			if len(sn.byCode[succ.Code]) == 0 && !s.staged(ctx, list, succ.Code) {
				fields = append(fields, fieldErr(fmt.Sprintf("replaced_by[%d].code", i), "successor.unknown", "Mã thay thế "+succ.Code+" không có trong danh mục", fmt.Sprintf("successor %q is not in the list", succ.Code)))
			}
			if succ.Type != "full" && succ.Type != "partial" {
				fields = append(fields, fieldErr(fmt.Sprintf("replaced_by[%d].type", i), "successor.type", "Kiểu thay thế phải là full (toàn bộ) hoặc partial (một phần)", `type must be "full" or "partial"`))
			}
		}
	}
	if err := invalidIf(fields); err != nil {
		recordAudit(ctx, s.db, who, "catalog.item.retire", "catalog/"+list+"/"+r.Code, audit.Invalid, nil)
		return Change{}, err
	}
	ch := Change{Op: "retire", Retire: &r, StagedBy: who.Subject, StagedAt: time.Now().UTC()}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := stageChange(ctx, tx, list, r.Code, ch); err != nil {
			return err
		}
		return recordAudit(ctx, tx, who, "catalog.item.retire", "catalog/"+list+"/"+r.Code, audit.OK, map[string]any{"valid_to": r.ValidTo})
	})
	return ch, err
}

func (s *Service) staged(ctx context.Context, list, code string) bool {
	var n int
	s.db.QueryRow(ctx, "SELECT COUNT(*) FROM catalog_draft WHERE list_code = ? AND code = ? AND op = 'upsert'", list, code).Scan(&n)
	return n > 0
}

// Draft returns the changes staged for a list's next version.
func (s *Service) Draft(ctx context.Context, list string) ([]Change, error) {
	if _, err := s.snapshot(ctx, list); err != nil {
		return nil, err
	}
	d, err := loadDraft(ctx, s.db, list)
	if d == nil {
		d = []Change{}
	}
	return d, err
}

// DiscardDraft drops every staged change of a list.
func (s *Service) DiscardDraft(ctx context.Context, who audit.Actor, list string) error {
	if _, err := s.snapshot(ctx, list); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM catalog_draft WHERE list_code = ?", list); err != nil {
			return fmt.Errorf("catalog: discard draft: %w", err)
		}
		return recordAudit(ctx, tx, who, "catalog.draft.discard", "catalog/"+list, audit.OK, nil)
	})
}

// Publish applies the list's staged changes as its next version, in one
// transaction with its audit row and its one catalog.changed event.
func (s *Service) Publish(ctx context.Context, who audit.Actor, list, note string) (Version, error) {
	if _, err := s.snapshot(ctx, list); err != nil {
		return Version{}, err
	}
	if utf8.RuneCountInString(note) > 2000 {
		return Version{}, fault.Invalidf([]fault.FieldError{fieldErr("note", "note.length", "Ghi chú dài tối đa 2000 ký tự", "note must be at most 2000 characters")}, "note too long")
	}
	var v Version
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		version, err := bumpVersion(ctx, tx, list)
		if err != nil {
			return err
		}
		changes, err := loadDraft(ctx, tx, list)
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			return fault.New(fault.Conflict, "catalog.draft_empty", "Chưa có thay đổi nào để công bố: hãy thêm hoặc chấm dứt mục trước", "the draft is empty: stage items or retirements first")
		}
		ev := publishEvent{List: list, Version: version, Changes: len(changes)}
		for _, ch := range changes {
			switch ch.Op {
			case "upsert":
				if err := applyUpsert(ctx, tx, list, version, *ch.Item); err != nil {
					return err
				}
				ev.Upserts = append(ev.Upserts, ch.Item.Code)
			case "retire":
				if err := applyRetire(ctx, tx, list, *ch.Retire); err != nil {
					return err
				}
				ev.Retired = append(ev.Retired, ch.Retire.Code)
			}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM catalog_draft WHERE list_code = ?", list); err != nil {
			return err
		}
		v = Version{List: list, Version: version, PublishedAt: time.Now().UTC(), PublishedBy: who.Subject, Note: note, Changes: len(changes)}
		if err := insertVersion(ctx, tx, v); err != nil {
			return err
		}
		if err := recordAudit(ctx, tx, who, "catalog.publish", "catalog/"+list, audit.OK, map[string]any{"version": version, "changes": len(changes)}); err != nil {
			return err
		}
		return emitChanged(ctx, tx, ev)
	})
	if err != nil {
		if fault.Is(err, fault.Conflict) {
			recordAudit(ctx, s.db, who, "catalog.publish", "catalog/"+list, audit.Invalid, nil)
		}
		return Version{}, err
	}
	s.Invalidate(list)
	if s.OnPublish != nil {
		s.OnPublish()
	}
	return v, nil
}

func applyUpsert(ctx context.Context, tx *store.Tx, list string, version int, it Item) error {
	it.Version = version
	open, ok, err := openVersion(ctx, tx, list, it.Code)
	if err != nil {
		return fmt.Errorf("catalog: publish %s/%s: %w", list, it.Code, err)
	}
	switch {
	case ok && open.ValidFrom == it.ValidFrom:
		// A correction of the version in force: overwrite it.
		return replaceVersion(ctx, tx, list, it)
	case ok && open.ValidFrom > it.ValidFrom:
		return fault.Invalidf([]fault.FieldError{fieldErr("valid_from", "valid_from.before_current",
			fmt.Sprintf("Mã %s đã có phiên bản hiệu lực từ %s; phiên bản mới phải bắt đầu sau ngày đó", it.Code, open.ValidFrom),
			fmt.Sprintf("%s already has a version valid from %s; a new version must start later", it.Code, open.ValidFrom))}, "staged item starts before the current version")
	case ok:
		end, _ := time.Parse(time.DateOnly, it.ValidFrom)
		if err := closeVersion(ctx, tx, list, it.Code, open.ValidFrom, end.AddDate(0, 0, -1).Format(time.DateOnly), []Successor{{Code: it.Code, Type: "full"}}); err != nil {
			return fmt.Errorf("catalog: publish %s/%s: %w", list, it.Code, err)
		}
	}
	return insertItems(ctx, tx, list, []Item{it})
}

func applyRetire(ctx context.Context, tx *store.Tx, list string, r Retire) error {
	open, ok, err := openVersion(ctx, tx, list, r.Code)
	if err != nil {
		return fmt.Errorf("catalog: publish %s/%s: %w", list, r.Code, err)
	}
	if !ok {
		return fault.New(fault.Conflict, "catalog.retire_not_current", "Mã "+r.Code+" không còn phiên bản hiệu lực để chấm dứt", fmt.Sprintf("code %q has no open version to retire", r.Code))
	}
	return closeVersion(ctx, tx, list, r.Code, open.ValidFrom, r.ValidTo, r.ReplacedBy)
}

func jsonRaw(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	return json.RawMessage(b), err
}
