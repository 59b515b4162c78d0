package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/store"
)

// This file holds the catalog's SQL. Nothing else in the package writes SQL.

const itemColumns = "code, name_vi, name_en, parent_code, level, attrs, valid_from, valid_to, replaced_by, version"

func scanItem(sc interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var attrs, replaced string
	var validTo sql.NullString
	if err := sc.Scan(&it.Code, &it.Name, &it.NameEn, &it.Parent, &it.Level, &attrs, &it.ValidFrom, &validTo, &replaced, &it.Version); err != nil {
		return it, err
	}
	it.ValidTo = validTo.String
	if attrs != "" && attrs != "{}" {
		if err := json.Unmarshal([]byte(attrs), &it.Attributes); err != nil {
			return it, fmt.Errorf("catalog: item %s attributes: %w", it.Code, err)
		}
	}
	if replaced != "" && replaced != "[]" {
		if err := json.Unmarshal([]byte(replaced), &it.ReplacedBy); err != nil {
			return it, fmt.Errorf("catalog: item %s replaced_by: %w", it.Code, err)
		}
	}
	return it, nil
}

func loadLists(ctx context.Context, q store.Querier) ([]List, error) {
	rows, err := q.Query(ctx, "SELECT code, name_vi, name_en, owner_agency, description, version, published_at FROM catalog_list ORDER BY code")
	if err != nil {
		return nil, fmt.Errorf("catalog: load lists: %w", err)
	}
	defer rows.Close()
	var out []List
	for rows.Next() {
		var l List
		var pub sql.NullInt64
		if err := rows.Scan(&l.Code, &l.Name, &l.NameEn, &l.Owner, &l.Description, &l.Version, &pub); err != nil {
			return nil, fmt.Errorf("catalog: load lists: %w", err)
		}
		if pub.Valid {
			t := time.UnixMicro(pub.Int64).UTC()
			l.PublishedAt = &t
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

func loadList(ctx context.Context, q store.Querier, code string) (List, bool, error) {
	var l List
	var pub sql.NullInt64
	err := q.QueryRow(ctx, "SELECT code, name_vi, name_en, owner_agency, description, version, published_at FROM catalog_list WHERE code = ?", code).
		Scan(&l.Code, &l.Name, &l.NameEn, &l.Owner, &l.Description, &l.Version, &pub)
	if errors.Is(err, sql.ErrNoRows) {
		return l, false, nil
	}
	if err != nil {
		return l, false, fmt.Errorf("catalog: load list %s: %w", code, err)
	}
	if pub.Valid {
		t := time.UnixMicro(pub.Int64).UTC()
		l.PublishedAt = &t
	}
	return l, true, nil
}

func loadItems(ctx context.Context, q store.Querier, list string) ([]Item, error) {
	rows, err := q.Query(ctx, "SELECT "+itemColumns+" FROM catalog_item WHERE list_code = ? ORDER BY code, valid_from", list)
	if err != nil {
		return nil, fmt.Errorf("catalog: load items of %s: %w", list, err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("catalog: load items of %s: %w", list, err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

func insertList(ctx context.Context, tx *store.Tx, l List) error {
	_, err := tx.Exec(ctx, "INSERT INTO catalog_list (code, name_vi, name_en, owner_agency, description, version, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)",
		l.Code, l.Name, l.NameEn, l.Owner, l.Description, time.Now().UnixMicro())
	return err
}

func encodeItem(it Item) (attrs, replaced string, validTo any) {
	attrs, replaced = "{}", "[]"
	if len(it.Attributes) > 0 {
		b, _ := json.Marshal(it.Attributes)
		attrs = string(b)
	}
	if len(it.ReplacedBy) > 0 {
		b, _ := json.Marshal(it.ReplacedBy)
		replaced = string(b)
	}
	if it.ValidTo != "" {
		validTo = it.ValidTo
	}
	return
}

// insertItems writes item rows in multi-row statements, which matters for
// seeding thousands of rows on PostgreSQL.
func insertItems(ctx context.Context, tx *store.Tx, list string, items []Item) error {
	const per = 100
	for start := 0; start < len(items); start += per {
		chunk := items[start:min(start+per, len(items))]
		var b strings.Builder
		b.WriteString("INSERT INTO catalog_item (list_code, " + itemColumns + ") VALUES ")
		args := make([]any, 0, len(chunk)*11)
		for i, it := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			attrs, replaced, validTo := encodeItem(it)
			args = append(args, list, it.Code, it.Name, it.NameEn, it.Parent, it.Level, attrs, it.ValidFrom, validTo, replaced, it.Version)
		}
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("catalog: insert items of %s: %w", list, err)
		}
	}
	return nil
}

// openVersion returns the row of code that has no end date, if any.
func openVersion(ctx context.Context, tx *store.Tx, list, code string) (Item, bool, error) {
	it, err := scanItem(tx.QueryRow(ctx, "SELECT "+itemColumns+" FROM catalog_item WHERE list_code = ? AND code = ? AND valid_to IS NULL", list, code))
	if errors.Is(err, sql.ErrNoRows) {
		return it, false, nil
	}
	return it, err == nil, err
}

func closeVersion(ctx context.Context, tx *store.Tx, list, code, validFrom, validTo string, replaced []Successor) error {
	r := "[]"
	if len(replaced) > 0 {
		b, _ := json.Marshal(replaced)
		r = string(b)
	}
	_, err := tx.Exec(ctx, "UPDATE catalog_item SET valid_to = ?, replaced_by = ? WHERE list_code = ? AND code = ? AND valid_from = ?", validTo, r, list, code, validFrom)
	return err
}

func replaceVersion(ctx context.Context, tx *store.Tx, list string, it Item) error {
	attrs, replaced, validTo := encodeItem(it)
	_, err := tx.Exec(ctx, "UPDATE catalog_item SET name_vi = ?, name_en = ?, parent_code = ?, level = ?, attrs = ?, valid_to = ?, replaced_by = ?, version = ? WHERE list_code = ? AND code = ? AND valid_from = ?",
		it.Name, it.NameEn, it.Parent, it.Level, attrs, validTo, replaced, it.Version, list, it.Code, it.ValidFrom)
	return err
}

func stageChange(ctx context.Context, tx *store.Tx, list, code string, ch Change) error {
	payload, err := json.Marshal(ch)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "DELETE FROM catalog_draft WHERE list_code = ? AND code = ?", list, code); err != nil {
		return fmt.Errorf("catalog: stage %s/%s: %w", list, code, err)
	}
	_, err = tx.Exec(ctx, "INSERT INTO catalog_draft (list_code, code, op, payload, staged_by, staged_at) VALUES (?, ?, ?, ?, ?, ?)",
		list, code, ch.Op, string(payload), ch.StagedBy, ch.StagedAt.UnixMicro())
	if err != nil {
		return fmt.Errorf("catalog: stage %s/%s: %w", list, code, err)
	}
	return nil
}

func loadDraft(ctx context.Context, q store.Querier, list string) ([]Change, error) {
	rows, err := q.Query(ctx, "SELECT payload FROM catalog_draft WHERE list_code = ? ORDER BY id", list)
	if err != nil {
		return nil, fmt.Errorf("catalog: load draft of %s: %w", list, err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		var ch Change
		if err := json.Unmarshal([]byte(p), &ch); err != nil {
			return nil, fmt.Errorf("catalog: draft of %s: %w", list, err)
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}

func loadVersions(ctx context.Context, q store.Querier, list string) ([]Version, error) {
	rows, err := q.Query(ctx, "SELECT version, published_at, published_by, note, changes FROM catalog_version WHERE list_code = ? ORDER BY version DESC", list)
	if err != nil {
		return nil, fmt.Errorf("catalog: versions of %s: %w", list, err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		v := Version{List: list}
		var at int64
		if err := rows.Scan(&v.Version, &at, &v.PublishedBy, &v.Note, &v.Changes); err != nil {
			return nil, err
		}
		v.PublishedAt = time.UnixMicro(at).UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}

func insertVersion(ctx context.Context, tx *store.Tx, v Version) error {
	if _, err := tx.Exec(ctx, "INSERT INTO catalog_version (list_code, version, published_at, published_by, note, changes) VALUES (?, ?, ?, ?, ?, ?)",
		v.List, v.Version, v.PublishedAt.UnixMicro(), v.PublishedBy, v.Note, v.Changes); err != nil {
		return fmt.Errorf("catalog: record version %s/%d: %w", v.List, v.Version, err)
	}
	_, err := tx.Exec(ctx, "UPDATE catalog_list SET published_at = ? WHERE code = ?", v.PublishedAt.UnixMicro(), v.List)
	return err
}

// bumpVersion increments the list's version and returns the new one; on
// PostgreSQL the row lock it takes serialises publishers of one list.
func bumpVersion(ctx context.Context, tx *store.Tx, list string) (int, error) {
	var v int
	err := tx.QueryRow(ctx, "UPDATE catalog_list SET version = version + 1 WHERE code = ? RETURNING version", list).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("catalog: bump version of %s: %w", list, err)
	}
	return v, nil
}

func listVersions(ctx context.Context, q store.Querier) (map[string]int, error) {
	rows, err := q.Query(ctx, "SELECT code, version FROM catalog_list")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var c string
		var v int
		if err := rows.Scan(&c, &v); err != nil {
			return nil, err
		}
		out[c] = v
	}
	return out, rows.Err()
}
