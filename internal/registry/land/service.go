package land

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/registry"
)

// Name is this registry's name in the access log and the change feed.
const Name = "land"

// Service is the land registry.
type Service struct {
	db    *store.DB
	codes Codes
	now   func() time.Time
}

// New returns the registry over db, checking codes against codes.
func New(db *store.DB, codes Codes) *Service {
	return &Service{db: db, codes: codes, now: func() time.Time { return time.Now().In(vnZone) }}
}

var vnZone = time.FixedZone("ICT", 7*3600)

func notFound(id string) error {
	return fault.NotFoundf("land.not_found", "Không có thửa đất "+id+" trong cơ sở dữ liệu đất đai", "no parcel %s in the land registry", id)
}

const selectParcel = "SELECT v.data, p.version, v.valid_from FROM land_parcel p JOIN land_parcel_version v ON v.id = p.id AND v.version = p.version"

func decode(data string, version int, validFrom string) (Parcel, error) {
	var p Parcel
	if err := json.Unmarshal([]byte(data), &p); err != nil {
		return p, fmt.Errorf("land: decode record: %w", err)
	}
	p.Version, p.ValidFrom = version, validFrom
	nonNil(&p)
	return p, nil
}

// nonNil turns absent lists into empty ones, so that records always show
// their lists as [] and compare equal whichever way they were written.
func nonNil(p *Parcel) {
	if p.Holders == nil {
		p.Holders = []Holder{}
	}
	if p.Mortgages == nil {
		p.Mortgages = []Mortgage{}
	}
}

// get reads the current record without logging the read: for the
// registry's own checks.
func (s *Service) get(ctx context.Context, q store.Querier, id string) (Parcel, error) {
	id = strings.TrimSpace(id)
	var data, validFrom string
	var version int
	err := q.QueryRow(ctx, selectParcel+" WHERE p.id = ?", id).Scan(&data, &version, &validFrom)
	if errors.Is(err, sql.ErrNoRows) {
		return Parcel{}, notFound(id)
	}
	if err != nil {
		return Parcel{}, fmt.Errorf("land: read %s: %w", id, err)
	}
	return decode(data, version, validFrom)
}

// access collects, per person, the parcels of a read that disclose them,
// and logs them: one access-log entry per person and read, naming the
// parcels ("parcel:<id>").
type access struct {
	ids    []string
	fields map[string][]string
}

func (a *access) add(id string, fields ...string) {
	if a.fields == nil {
		a.fields = map[string][]string{}
	}
	if _, ok := a.fields[id]; !ok {
		a.ids = append(a.ids, id)
		a.fields[id] = []string{"holders"}
	}
	for _, f := range fields {
		if !slices.Contains(a.fields[id], f) {
			a.fields[id] = append(a.fields[id], f)
		}
	}
}

func (a *access) parcel(p Parcel) {
	for _, h := range p.Holders {
		if h.Kind == KindPerson {
			a.add(h.ID, "parcel:"+p.ID)
		}
	}
}

func (a *access) record(ctx context.Context, q store.Querier, p registry.Purpose) error {
	for _, id := range a.ids {
		if err := registry.RecordAccess(ctx, q, Name, id, p, a.fields[id]); err != nil {
			return err
		}
	}
	return nil
}

// checkPurpose refuses a read of personal data without who reads and why;
// the API refuses it first (registry.PurposeOf), this guards other callers.
func checkPurpose(p registry.Purpose) error {
	if p.Client == "" || p.UserID == "" || p.Issue == "" {
		return fault.New(fault.BadRequest, "registry.purpose_missing", "Đọc dữ liệu cá nhân cần ghi rõ ai đọc và vì mục đích gì", "personal data is read only with a purpose: client, user and issue")
	}
	return nil
}

// Get returns a parcel's record for purpose p and logs the read against
// every person holder's personal ID.
func (s *Service) Get(ctx context.Context, id string, p registry.Purpose) (Parcel, error) {
	if err := checkPurpose(p); err != nil {
		return Parcel{}, err
	}
	rec, err := s.get(ctx, s.db, id)
	if err != nil {
		return rec, err
	}
	var a access
	a.parcel(rec)
	return rec, a.record(ctx, s.db, p)
}

// maxByHolder bounds the parcels one ByHolder answer lists.
const maxByHolder = 1000

// ByHolder returns the parcels a person or an enterprise holds (at most
// 1000, by ID), for purpose p. The read is logged against every person
// holder of those parcels, and against holder itself when it is a person,
// even when it holds nothing.
func (s *Service) ByHolder(ctx context.Context, holder string, p registry.Purpose) ([]Parcel, error) {
	if err := checkPurpose(p); err != nil {
		return nil, err
	}
	kind, id, err := ParseHolder("holder", holder)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, selectParcel+" WHERE p.id IN (SELECT parcel_id FROM land_holder WHERE holder_id = ?) ORDER BY p.id LIMIT ?", id, maxByHolder)
	if err != nil {
		return nil, fmt.Errorf("land: by holder: %w", err)
	}
	defer rows.Close()
	out := []Parcel{}
	var a access
	if kind == KindPerson {
		a.add(id)
	}
	for rows.Next() {
		var data, validFrom string
		var version int
		if err := rows.Scan(&data, &version, &validFrom); err != nil {
			return nil, err
		}
		rec, err := decode(data, version, validFrom)
		if err != nil {
			return nil, err
		}
		a.parcel(rec)
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return out, a.record(ctx, s.db, p)
}

// Lookup reads a record for a registry clerk (the read is audited).
func (s *Service) Lookup(ctx context.Context, who audit.Actor, id string) (Parcel, error) {
	rec, err := s.get(ctx, s.db, id)
	if err != nil {
		return rec, err
	}
	return rec, audit.Record(ctx, s.db, who.Entry("land.read", "land/"+rec.ID, audit.OK, nil))
}

// History returns every version of a parcel's record, newest first.
func (s *Service) History(ctx context.Context, id string) ([]Version, error) {
	rows, err := s.db.Query(ctx, "SELECT version, valid_from, reason, author, created_at, data FROM land_parcel_version WHERE id = ? ORDER BY version DESC", id)
	if err != nil {
		return nil, fmt.Errorf("land: history: %w", err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		var at int64
		var data string
		if err := rows.Scan(&v.Version, &v.ValidFrom, &v.Reason, &v.Author, &at, &data); err != nil {
			return nil, err
		}
		v.Created = time.UnixMicro(at).UTC()
		if v.Parcel, err = decode(data, v.Version, v.ValidFrom); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, notFound(id)
	}
	return out, nil
}

// Count returns how many parcels the registry holds.
func (s *Service) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM land_parcel").Scan(&n)
	return n, err
}

// Create registers a new parcel (version 1).
func (s *Service) Create(ctx context.Context, who audit.Actor, p Parcel, reason string) (Parcel, error) {
	p.Version, p.ValidFrom = 0, ""
	nonNil(&p)
	today := s.now()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		fields := validate(ctx, &p, s.codes, today)
		if p.ID != "" && len(fields) == 0 {
			if _, err := s.get(ctx, tx, p.ID); err == nil {
				fields = append(fields, fe("id", "id.duplicate", "Thửa đất "+p.ID+" (xã, tờ bản đồ, số thửa) đã có trong cơ sở dữ liệu", "a parcel "+p.ID+" already exists"))
			}
		}
		if len(fields) > 0 {
			return fault.Invalidf(fields, "%d field(s) invalid", len(fields))
		}
		p.Version, p.ValidFrom = 1, today.Format(time.DateOnly)
		if err := insertParcels(ctx, tx, []Parcel{p}, who.Subject, reason, today); err != nil {
			return err
		}
		if err := registry.RecordChange(ctx, tx, Name, "created", p.ID, []string{"*"}, 1); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Entry("land.create", "land/"+p.ID, audit.OK, map[string]any{"reason": reason}))
	})
	if f := fault.As(err); f != nil && f.Kind == fault.Invalid {
		audit.Record(ctx, s.db, who.Entry("land.create", "land/"+p.ID, audit.Invalid, map[string]any{"fields": len(f.Fields)}))
	}
	return p, err
}

// Update stores a new version of a parcel's record. expected is the
// version the clerk edited; if someone else saved in between, the update is
// refused with a conflict and nothing is lost. The parcel's identity
// (commune, map sheet, number) cannot change: a split or merge retires
// parcels and creates new ones.
func (s *Service) Update(ctx context.Context, who audit.Actor, p Parcel, expected int, reason string) (Parcel, error) {
	today := s.now()
	if strings.TrimSpace(reason) == "" {
		return p, fault.Invalidf([]fault.FieldError{fe("reason", "reason.required", "Hãy ghi lý do thay đổi (căn cứ)", "reason is required for a change")}, "reason required")
	}
	p.ID = strings.TrimSpace(p.ID)
	nonNil(&p)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		old, err := s.get(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if old.Version != expected {
			return fault.New(fault.Conflict, "land.version_conflict",
				fmt.Sprintf("Hồ sơ thửa đất đã được người khác cập nhật (phiên bản %d, bạn sửa phiên bản %d): hãy tải lại và sửa lại", old.Version, expected),
				fmt.Sprintf("the record is at version %d, the edit was made on version %d: reload and edit again", old.Version, expected))
		}
		if fields := validate(ctx, &p, s.codes, today); len(fields) > 0 {
			return fault.Invalidf(fields, "%d field(s) invalid", len(fields))
		}
		changed := registry.ChangedFields(old, p)
		if len(changed) == 0 {
			return fault.New(fault.Conflict, "land.no_change", "Không có thay đổi nào so với phiên bản hiện tại", "nothing differs from the current version")
		}
		p.Version, p.ValidFrom = old.Version+1, today.Format(time.DateOnly)
		data, err := json.Marshal(stripVersion(p))
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE land_parcel SET version = ?, purpose = ?, certificate_serial = ? WHERE id = ? AND version = ?",
			p.Version, p.Purpose, p.CertificateSerial, p.ID, expected)
		if err != nil {
			return fmt.Errorf("land: update %s: %w", p.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fault.New(fault.Conflict, "land.version_conflict", "Hồ sơ thửa đất vừa được người khác cập nhật: hãy tải lại", "the record changed concurrently: reload")
		}
		if _, err := tx.Exec(ctx, "INSERT INTO land_parcel_version (id, version, valid_from, reason, author, created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
			p.ID, p.Version, p.ValidFrom, reason, who.Subject, today.UnixMicro(), string(data)); err != nil {
			return fmt.Errorf("land: version %s: %w", p.ID, err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM land_holder WHERE parcel_id = ?", p.ID); err != nil {
			return fmt.Errorf("land: holders of %s: %w", p.ID, err)
		}
		if err := insertHolders(ctx, tx, []Parcel{p}); err != nil {
			return err
		}
		kind := "updated"
		switch {
		case !reflect.DeepEqual(old.Holders, p.Holders):
			kind = "holders-changed"
		case !reflect.DeepEqual(old.Mortgages, p.Mortgages):
			kind = "mortgages-changed"
		case old.Purpose != p.Purpose:
			kind = "purpose-changed"
		}
		if err := registry.RecordChange(ctx, tx, Name, kind, p.ID, changed, p.Version); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Entry("land.update", "land/"+p.ID, audit.OK, map[string]any{"version": p.Version, "fields": changed, "reason": reason}))
	})
	if f := fault.As(err); f != nil && (f.Kind == fault.Invalid || f.Kind == fault.Conflict) {
		audit.Record(ctx, s.db, who.Entry("land.update", "land/"+p.ID, audit.Invalid, map[string]any{"code": f.Code}))
	}
	return p, err
}

func stripVersion(p Parcel) Parcel {
	p.Version, p.ValidFrom = 0, ""
	return p
}

// Load writes parcels in bulk, without validation (the generator
// guarantees consistency; each parcel's ID must be set): the seeding path.
func (s *Service) Load(ctx context.Context, parcels []Parcel, author string) error {
	now := s.now()
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		return insertParcels(ctx, tx, parcels, author, "Dữ liệu ban đầu", now)
	})
}

// insertParcels writes current rows, version rows and holder rows in
// multi-row statements: the bulk path of seeding, used by Create too.
func insertParcels(ctx context.Context, tx *store.Tx, list []Parcel, author, reason string, at time.Time) error {
	day := at.Format(time.DateOnly)
	cur := make([][]any, 0, len(list))
	ver := make([][]any, 0, len(list))
	for i := range list {
		p := &list[i]
		if p.ID == "" {
			p.ID = ParcelID(p.Commune, p.MapSheet, p.ParcelNo)
		}
		if p.Version == 0 {
			p.Version = 1
		}
		if p.ValidFrom == "" {
			p.ValidFrom = day
		}
		nonNil(p)
		data, err := json.Marshal(stripVersion(*p))
		if err != nil {
			return err
		}
		cur = append(cur, []any{p.ID, p.Version, p.Commune, p.MapSheet, p.ParcelNo, p.Purpose, p.CertificateSerial})
		ver = append(ver, []any{p.ID, p.Version, p.ValidFrom, reason, author, at.UnixMicro(), string(data)})
	}
	if err := insertRows(ctx, tx, "land_parcel (id, version, commune, map_sheet, parcel_no, purpose, certificate_serial)", cur, ""); err != nil {
		return err
	}
	if err := insertRows(ctx, tx, "land_parcel_version (id, version, valid_from, reason, author, created_at, data)", ver, ""); err != nil {
		return err
	}
	return insertHolders(ctx, tx, list)
}

func insertHolders(ctx context.Context, tx *store.Tx, list []Parcel) error {
	var rows [][]any
	for _, p := range list {
		for _, h := range p.Holders {
			rows = append(rows, []any{p.ID, h.ID, h.Kind, h.SharePct})
		}
	}
	return insertRows(ctx, tx, "land_holder (parcel_id, holder_id, kind, share)", rows, " ON CONFLICT DO NOTHING")
}

// insertRows inserts rows into table ("name (col, ...)") in multi-row
// statements of at most a few thousand parameters.
func insertRows(ctx context.Context, tx *store.Tx, table string, rows [][]any, suffix string) error {
	if len(rows) == 0 {
		return nil
	}
	cols := len(rows[0])
	per := max(1, 4000/cols)
	tuple := "(?" + strings.Repeat(", ?", cols-1) + ")"
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " VALUES ")
		args := make([]any, 0, len(chunk)*cols)
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(tuple)
			args = append(args, r...)
		}
		b.WriteString(suffix)
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("land: insert into %s: %w", strings.Fields(table)[0], err)
		}
	}
	return nil
}
