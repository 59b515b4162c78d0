package population

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/vntext"
	"github.com/vngov/vngov/internal/registry"
)

// Name is this registry's name in the access log and the change feed.
const Name = "population"

// Service is the population registry.
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
	return fault.NotFoundf("population.not_found", "Không có công dân số "+id+" trong cơ sở dữ liệu dân cư", "no person %s in the population registry", id)
}

const selectPerson = "SELECT v.data, p.version, v.valid_from FROM pop_person p JOIN pop_person_version v ON v.id = p.id AND v.version = p.version WHERE p.id = ?"

func scanPerson(row *sql.Row) (Person, error) {
	var data, validFrom string
	var version int
	if err := row.Scan(&data, &version, &validFrom); err != nil {
		return Person{}, err
	}
	var p Person
	if err := json.Unmarshal([]byte(data), &p); err != nil {
		return p, fmt.Errorf("population: decode record: %w", err)
	}
	p.Version, p.ValidFrom = version, validFrom
	return p, nil
}

// get reads the current record without logging the read: for the
// registry's own checks.
func (s *Service) get(ctx context.Context, q store.Querier, id string) (Person, error) {
	p, err := scanPerson(q.QueryRow(ctx, selectPerson, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFound(id)
	}
	if err != nil {
		return p, fmt.Errorf("population: read %s: %w", id, err)
	}
	return p, nil
}

// ReadUnlogged reads a record without a purpose and without logging: for
// the registry's own processes and benchmarks of the store. It is never
// reachable over HTTP.
func (s *Service) ReadUnlogged(ctx context.Context, id string) (Person, error) {
	return s.get(ctx, s.db, id)
}

// Get returns a person's record for purpose p and logs the read.
func (s *Service) Get(ctx context.Context, id string, p registry.Purpose) (Person, error) {
	rec, err := s.get(ctx, s.db, id)
	if err != nil {
		return rec, err
	}
	return rec, registry.RecordAccess(ctx, s.db, Name, id, p, registry.MarshalFields(rec))
}

// Lookup reads a record for a registry clerk (the read is audited).
func (s *Service) Lookup(ctx context.Context, who audit.Actor, id string) (Person, error) {
	rec, err := s.get(ctx, s.db, id)
	if err != nil {
		return rec, err
	}
	return rec, audit.Record(ctx, s.db, who.Entry("population.read", "population/"+id, audit.OK, nil))
}

// VerifyRequest is what a caller claims about a person.
type VerifyRequest struct {
	ID        string `json:"id"`
	FullName  string `json:"full_name,omitempty"`
	BirthDate string `json:"birth_date,omitempty"`
	Sex       string `json:"sex,omitempty"`
	Commune   string `json:"permanent_commune,omitempty"`
	Living    *bool  `json:"living,omitempty"`
}

// VerifyResult says, per claimed field, whether it matches; it discloses no
// data.
type VerifyResult struct {
	ID      string          `json:"id"`
	Found   bool            `json:"found"`
	Matches map[string]bool `json:"matches"`
	Match   bool            `json:"match"` // every claimed field matches
}

// Verify compares claims with the record (minimal disclosure) and logs
// which fields were compared.
func (s *Service) Verify(ctx context.Context, req VerifyRequest, p registry.Purpose) (VerifyResult, error) {
	res := VerifyResult{ID: req.ID, Matches: map[string]bool{}}
	rec, err := s.get(ctx, s.db, req.ID)
	if fault.Is(err, fault.NotFound) {
		return res, registry.RecordAccess(ctx, s.db, Name, req.ID, p, []string{"id"})
	}
	if err != nil {
		return res, err
	}
	res.Found = true
	if req.FullName != "" {
		res.Matches["full_name"] = vntext.Fold(req.FullName) == vntext.Fold(rec.FullName)
	}
	if req.BirthDate != "" {
		res.Matches["birth_date"] = req.BirthDate == rec.BirthDate
	}
	if req.Sex != "" {
		res.Matches["sex"] = req.Sex == rec.Sex
	}
	if req.Commune != "" {
		res.Matches["permanent_commune"] = req.Commune == rec.Permanent.Commune
	}
	if req.Living != nil {
		res.Matches["living"] = *req.Living == (rec.Status == Living)
	}
	res.Match = len(res.Matches) > 0
	fields := []string{"id"}
	for k, ok := range res.Matches {
		res.Match = res.Match && ok
		fields = append(fields, k)
	}
	sort.Strings(fields)
	return res, registry.RecordAccess(ctx, s.db, Name, req.ID, p, fields)
}

// HouseholdOf returns the household of a person, with its members.
func (s *Service) HouseholdOf(ctx context.Context, id string, p registry.Purpose) (Household, error) {
	rec, err := s.get(ctx, s.db, id)
	if err != nil {
		return Household{}, err
	}
	h := Household{ID: rec.HouseholdID, Members: []Member{}}
	err = s.db.QueryRow(ctx, "SELECT head_id, commune, street FROM pop_household WHERE id = ?", rec.HouseholdID).Scan(&h.HeadID, &h.Address.Commune, &h.Address.Street)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("population: household: %w", err)
	}
	members, err := s.members(ctx, "household_id", rec.HouseholdID)
	if err != nil {
		return h, err
	}
	h.Members = members
	ids := []string{id}
	for _, m := range members {
		if m.ID != id {
			ids = append(ids, m.ID)
		}
	}
	for _, m := range ids {
		if err := registry.RecordAccess(ctx, s.db, Name, m, p, []string{"household_id", "full_name", "relation_to_head"}); err != nil {
			return h, err
		}
	}
	return h, nil
}

func (s *Service) members(ctx context.Context, column, value string) ([]Member, error) {
	rows, err := s.db.Query(ctx, "SELECT v.data FROM pop_person p JOIN pop_person_version v ON v.id = p.id AND v.version = p.version WHERE p."+column+" = ? ORDER BY p.birth_date, p.id", value)
	if err != nil {
		return nil, fmt.Errorf("population: members: %w", err)
	}
	defer rows.Close()
	out := []Member{}
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var p Person
		json.Unmarshal([]byte(data), &p)
		out = append(out, Member{ID: p.ID, FullName: p.FullName, RelationToHead: p.RelationToHead})
	}
	return out, rows.Err()
}

// RelationsOf returns a person's parents, spouse and children.
func (s *Service) RelationsOf(ctx context.Context, id string, p registry.Purpose) (Relations, error) {
	rec, err := s.get(ctx, s.db, id)
	if err != nil {
		return Relations{}, err
	}
	rel := Relations{ID: id, Children: []Member{}}
	link := func(rid string) *Member {
		if rid == "" {
			return nil
		}
		r, err := s.get(ctx, s.db, rid)
		if err != nil {
			return &Member{ID: rid}
		}
		return &Member{ID: r.ID, FullName: r.FullName}
	}
	rel.Father, rel.Mother, rel.Spouse = link(rec.FatherID), link(rec.MotherID), link(rec.SpouseID)
	col := "father_id"
	if rec.Sex == Female {
		col = "mother_id"
	}
	kids, err := s.members(ctx, col, id)
	if err != nil {
		return rel, err
	}
	rel.Children = kids
	return rel, registry.RecordAccess(ctx, s.db, Name, id, p, []string{"father_id", "mother_id", "spouse_id", "children"})
}

// AccessLogOf returns who read the person's data. Callers decide who may
// see it (the person themself, or an auditor).
func (s *Service) AccessLogOf(ctx context.Context, id string, limit, offset int) ([]registry.Access, error) {
	if _, err := s.get(ctx, s.db, id); err != nil {
		return nil, err
	}
	return registry.AccessLog(ctx, s.db, id, limit, offset)
}

// Search finds people by name (diacritics ignored, prefix of the full
// name), birth date and commune, for registry clerks.
func (s *Service) Search(ctx context.Context, name, birthDate, commune string, limit, offset int) ([]Summary, int, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	where, args := []string{"1=1"}, []any{}
	if f := vntext.Fold(name); f != "" {
		where = append(where, "p.name_folded >= ? AND p.name_folded < ?")
		args = append(args, f, f+"\uffff")
	}
	if birthDate != "" {
		where = append(where, "p.birth_date = ?")
		args = append(args, birthDate)
	}
	if commune != "" {
		where = append(where, "p.commune = ?")
		args = append(args, commune)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM pop_person p WHERE "+cond+" LIMIT 10001) c", args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("population: search: %w", err)
	}
	rows, err := s.db.Query(ctx, "SELECT v.data, p.version FROM pop_person p JOIN pop_person_version v ON v.id = p.id AND v.version = p.version WHERE "+cond+" ORDER BY p.name_folded, p.id LIMIT ? OFFSET ?", append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("population: search: %w", err)
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		var data string
		var v int
		if err := rows.Scan(&data, &v); err != nil {
			return nil, 0, err
		}
		var p Person
		json.Unmarshal([]byte(data), &p)
		out = append(out, Summary{ID: p.ID, FullName: p.FullName, BirthDate: p.BirthDate, Commune: p.Permanent.Commune, Status: p.Status, Version: v})
	}
	return out, total, rows.Err()
}

// History returns every version of a person's record, newest first.
func (s *Service) History(ctx context.Context, id string) ([]Version, error) {
	rows, err := s.db.Query(ctx, "SELECT version, valid_from, reason, author, created_at, data FROM pop_person_version WHERE id = ? ORDER BY version DESC", id)
	if err != nil {
		return nil, fmt.Errorf("population: history: %w", err)
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
		json.Unmarshal([]byte(data), &v.Person)
		v.Person.Version, v.Person.ValidFrom = v.Version, v.ValidFrom
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, notFound(id)
	}
	return out, rows.Err()
}

func (s *Service) finder(ctx context.Context, q store.Querier) func(string) (*Person, bool) {
	return func(id string) (*Person, bool) {
		p, err := s.get(ctx, q, id)
		if err != nil {
			return nil, false
		}
		return &p, true
	}
}

// Create registers a new person (version 1).
func (s *Service) Create(ctx context.Context, who audit.Actor, p Person, reason string) (Person, error) {
	p.Version, p.ValidFrom = 0, ""
	if p.Nationality == "" {
		p.Nationality = "VN"
	}
	if p.Status == "" {
		p.Status = Living
	}
	if p.Current.Commune == "" {
		p.Current = p.Permanent
	}
	today := s.now()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		fields := validate(ctx, &p, s.codes, today, s.finder(ctx, tx))
		if _, err := s.get(ctx, tx, p.ID); err == nil {
			fields = append(fields, fe("id", "id.duplicate", "Số định danh "+p.ID+" đã có trong cơ sở dữ liệu", "a person with id "+p.ID+" already exists"))
		}
		if len(fields) > 0 {
			return fault.Invalidf(fields, "%d field(s) invalid", len(fields))
		}
		if p.HouseholdID == "" {
			p.HouseholdID = "HGD-" + p.ID
			p.RelationToHead = "chủ hộ"
		}
		p.Version, p.ValidFrom = 1, today.Format(time.DateOnly)
		if err := insertPeople(ctx, tx, []Person{p}, who.Subject, reason, today); err != nil {
			return err
		}
		if err := ensureHousehold(ctx, tx, p); err != nil {
			return err
		}
		if err := registry.RecordChange(ctx, tx, Name, "created", p.ID, []string{"*"}, 1); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Entry("population.create", "population/"+p.ID, audit.OK, map[string]any{"reason": reason}))
	})
	if f := fault.As(err); f != nil && f.Kind == fault.Invalid {
		audit.Record(ctx, s.db, who.Entry("population.create", "population/"+p.ID, audit.Invalid, map[string]any{"fields": len(f.Fields)}))
	}
	return p, err
}

// Update stores a new version of a person's record. expected is the
// version the clerk edited; if someone else saved in between, the update is
// refused with a conflict and nothing is lost.
func (s *Service) Update(ctx context.Context, who audit.Actor, p Person, expected int, reason string) (Person, error) {
	today := s.now()
	if strings.TrimSpace(reason) == "" {
		return p, fault.Invalidf([]fault.FieldError{fe("reason", "reason.required", "Hãy ghi lý do thay đổi (căn cứ)", "reason is required for a change")}, "reason required")
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		old, err := s.get(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if old.Version != expected {
			return fault.New(fault.Conflict, "population.version_conflict",
				fmt.Sprintf("Hồ sơ đã được người khác cập nhật (phiên bản %d, bạn sửa phiên bản %d): hãy tải lại và sửa lại", old.Version, expected),
				fmt.Sprintf("the record is at version %d, the edit was made on version %d: reload and edit again", old.Version, expected))
		}
		if fields := validate(ctx, &p, s.codes, today, s.finder(ctx, tx)); len(fields) > 0 {
			return fault.Invalidf(fields, "%d field(s) invalid", len(fields))
		}
		if p.HouseholdID == "" {
			p.HouseholdID, p.RelationToHead = old.HouseholdID, old.RelationToHead
		}
		changed := registry.ChangedFields(old, p)
		if len(changed) == 0 {
			return fault.New(fault.Conflict, "population.no_change", "Không có thay đổi nào so với phiên bản hiện tại", "nothing differs from the current version")
		}
		p.Version, p.ValidFrom = old.Version+1, today.Format(time.DateOnly)
		data, _ := json.Marshal(stripVersion(p))
		res, err := tx.Exec(ctx, "UPDATE pop_person SET version = ?, name_folded = ?, birth_date = ?, household_id = ?, commune = ?, status = ?, father_id = ?, mother_id = ? WHERE id = ? AND version = ?",
			p.Version, vntext.Fold(p.FullName), p.BirthDate, p.HouseholdID, p.Permanent.Commune, p.Status, p.FatherID, p.MotherID, p.ID, expected)
		if err != nil {
			return fmt.Errorf("population: update %s: %w", p.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fault.New(fault.Conflict, "population.version_conflict", "Hồ sơ vừa được người khác cập nhật: hãy tải lại", "the record changed concurrently: reload")
		}
		if _, err := tx.Exec(ctx, "INSERT INTO pop_person_version (id, version, valid_from, reason, author, created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
			p.ID, p.Version, p.ValidFrom, reason, who.Subject, today.UnixMicro(), string(data)); err != nil {
			return fmt.Errorf("population: version %s: %w", p.ID, err)
		}
		if err := ensureHousehold(ctx, tx, p); err != nil {
			return err
		}
		kind := "updated"
		switch {
		case old.Status != Deceased && p.Status == Deceased:
			kind = "deceased"
		case old.Permanent != p.Permanent || old.Current != p.Current:
			kind = "residence-changed"
		}
		if err := registry.RecordChange(ctx, tx, Name, kind, p.ID, changed, p.Version); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Entry("population.update", "population/"+p.ID, audit.OK, map[string]any{"version": p.Version, "fields": changed, "reason": reason}))
	})
	if f := fault.As(err); f != nil && (f.Kind == fault.Invalid || f.Kind == fault.Conflict) {
		audit.Record(ctx, s.db, who.Entry("population.update", "population/"+p.ID, audit.Invalid, map[string]any{"code": f.Code}))
	}
	return p, err
}

func stripVersion(p Person) Person {
	p.Version, p.ValidFrom = 0, ""
	return p
}

func ensureHousehold(ctx context.Context, tx *store.Tx, p Person) error {
	if p.HouseholdID == "" {
		return nil
	}
	head := ""
	if p.RelationToHead == "chủ hộ" {
		head = p.ID
	}
	_, err := tx.Exec(ctx, "INSERT INTO pop_household (id, head_id, commune, street, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
		p.HouseholdID, head, p.Permanent.Commune, p.Permanent.Street, time.Now().UnixMicro())
	if err != nil {
		return fmt.Errorf("population: household %s: %w", p.HouseholdID, err)
	}
	if head != "" {
		_, err = tx.Exec(ctx, "UPDATE pop_household SET head_id = ?, commune = ?, street = ? WHERE id = ?", head, p.Permanent.Commune, p.Permanent.Street, p.HouseholdID)
	}
	return err
}

// insertPeople writes version rows and current rows in multi-row
// statements: the bulk path of seeding, used by Create too.
func insertPeople(ctx context.Context, tx *store.Tx, people []Person, author, reason string, at time.Time) error {
	const per = 200
	day := at.Format(time.DateOnly)
	for start := 0; start < len(people); start += per {
		chunk := people[start:min(start+per, len(people))]
		var pb, vb strings.Builder
		pb.WriteString("INSERT INTO pop_person (id, version, name_folded, birth_date, household_id, commune, status, father_id, mother_id) VALUES ")
		vb.WriteString("INSERT INTO pop_person_version (id, version, valid_from, reason, author, created_at, data) VALUES ")
		pargs := make([]any, 0, len(chunk)*9)
		vargs := make([]any, 0, len(chunk)*7)
		for i := range chunk {
			p := &chunk[i]
			if i > 0 {
				pb.WriteString(", ")
				vb.WriteString(", ")
			}
			pb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			vb.WriteString("(?, ?, ?, ?, ?, ?, ?)")
			v := p.Version
			if v == 0 {
				v = 1
			}
			vf := p.ValidFrom
			if vf == "" {
				vf = day
			}
			data, err := json.Marshal(stripVersion(*p))
			if err != nil {
				return err
			}
			pargs = append(pargs, p.ID, v, vntext.Fold(p.FullName), p.BirthDate, p.HouseholdID, p.Permanent.Commune, p.Status, p.FatherID, p.MotherID)
			vargs = append(vargs, p.ID, v, vf, reason, author, at.UnixMicro(), string(data))
		}
		if _, err := tx.Exec(ctx, pb.String(), pargs...); err != nil {
			return fmt.Errorf("population: insert people: %w", err)
		}
		if _, err := tx.Exec(ctx, vb.String(), vargs...); err != nil {
			return fmt.Errorf("population: insert versions: %w", err)
		}
	}
	return nil
}

// Load writes people and households in bulk, without validation against
// the registry (the generator guarantees consistency): the seeding path.
func (s *Service) Load(ctx context.Context, people []Person, households []Household, author string) error {
	now := s.now()
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := insertPeople(ctx, tx, people, author, "Dữ liệu ban đầu", now); err != nil {
			return err
		}
		const per = 300
		for start := 0; start < len(households); start += per {
			chunk := households[start:min(start+per, len(households))]
			var b strings.Builder
			b.WriteString("INSERT INTO pop_household (id, head_id, commune, street, updated_at) VALUES ")
			args := make([]any, 0, len(chunk)*5)
			for i, h := range chunk {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?)")
				args = append(args, h.ID, h.HeadID, h.Address.Commune, h.Address.Street, now.UnixMicro())
			}
			if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("population: insert households: %w", err)
			}
		}
		return nil
	})
}

// Count returns how many people the registry holds.
func (s *Service) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM pop_person").Scan(&n)
	return n, err
}
