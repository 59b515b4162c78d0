package enterprise

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/vnid"
	"github.com/vngov/vngov/internal/platform/vntext"
	"github.com/vngov/vngov/internal/registry"
)

// Name is this registry's name in the access log and the change feed.
const Name = "enterprise"

// Roles of a person in an enterprise, as ent_person stores them.
const (
	RoleRepresentative = "representative"
	RoleMember         = "member"
)

// Service is the enterprise registry.
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

func notFound(code string) error {
	return fault.NotFoundf("enterprise.not_found", "Không có doanh nghiệp mã số "+code+" trong cơ sở dữ liệu đăng ký doanh nghiệp", "no enterprise %s in the enterprise registry", code)
}

const selectEnterprise = "SELECT v.data, e.version, v.valid_from FROM ent_enterprise e JOIN ent_enterprise_version v ON v.code = e.code AND v.version = e.version WHERE e.code = ?"

func decode(data string, version int, validFrom string) (Enterprise, error) {
	var e Enterprise
	if err := json.Unmarshal([]byte(data), &e); err != nil {
		return e, fmt.Errorf("enterprise: decode record: %w", err)
	}
	e.Version, e.ValidFrom = version, validFrom
	nonNil(&e)
	return e, nil
}

// nonNil turns absent lists into empty ones, so that records always show
// their lists as [] and compare equal whichever way they were written.
func nonNil(e *Enterprise) {
	for _, l := range []*[]string{&e.Representatives, &e.Members, &e.BusinessLines, &e.Branches} {
		if *l == nil {
			*l = []string{}
		}
	}
}

// get reads the current record without logging the read: for the
// registry's own checks.
func (s *Service) get(ctx context.Context, q store.Querier, code string) (Enterprise, error) {
	code = strings.TrimSpace(code)
	var data, validFrom string
	var version int
	err := q.QueryRow(ctx, selectEnterprise, code).Scan(&data, &version, &validFrom)
	if errors.Is(err, sql.ErrNoRows) {
		return Enterprise{}, notFound(code)
	}
	if err != nil {
		return Enterprise{}, fmt.Errorf("enterprise: read %s: %w", code, err)
	}
	return decode(data, version, validFrom)
}

// people returns the personal IDs an enterprise record discloses, each with
// the fields it appears in.
func people(e Enterprise) (ids []string, fields map[string][]string) {
	fields = map[string][]string{}
	add := func(list []string, field string) {
		for _, id := range list {
			if _, ok := fields[id]; !ok {
				ids = append(ids, id)
			}
			if !slices.Contains(fields[id], field) {
				fields[id] = append(fields[id], field)
			}
		}
	}
	add(e.Representatives, "representatives")
	add(e.Members, "members")
	return ids, fields
}

// recordAccess logs, for each person in ids, that p read the fields of
// enterprise code that concern them. The entry names the enterprise
// ("enterprise:<code>") so that the person sees which record was read.
func recordAccess(ctx context.Context, q store.Querier, code string, ids []string, fields map[string][]string, p registry.Purpose) error {
	for _, id := range ids {
		if err := registry.RecordAccess(ctx, q, Name, id, p, append([]string{"enterprise:" + code}, fields[id]...)); err != nil {
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

// Get returns an enterprise's record for purpose p and logs the read
// against every representative's and member's personal ID.
func (s *Service) Get(ctx context.Context, code string, p registry.Purpose) (Enterprise, error) {
	if err := checkPurpose(p); err != nil {
		return Enterprise{}, err
	}
	e, err := s.get(ctx, s.db, code)
	if err != nil {
		return e, err
	}
	ids, fields := people(e)
	return e, recordAccess(ctx, s.db, e.Code, ids, fields, p)
}

// Representatives returns who may act for the enterprise, for purpose p,
// and logs the read against each representative's personal ID.
func (s *Service) Representatives(ctx context.Context, code string, p registry.Purpose) (Representation, error) {
	if err := checkPurpose(p); err != nil {
		return Representation{}, err
	}
	e, err := s.get(ctx, s.db, code)
	if err != nil {
		return Representation{}, err
	}
	r := Representation{Code: e.Code, Name: e.Name, Status: e.Status, Representatives: e.Representatives, Version: e.Version}
	if r.Representatives == nil {
		r.Representatives = []string{}
	}
	fields := map[string][]string{}
	for _, id := range e.Representatives {
		fields[id] = []string{"representatives"}
	}
	return r, recordAccess(ctx, s.db, e.Code, e.Representatives, fields, p)
}

// OfPerson returns the enterprises in which a person is a representative
// or a member (for the identity provider: "my enterprises"), for purpose
// p, and logs the read against the person.
func (s *Service) OfPerson(ctx context.Context, personID string, p registry.Purpose) ([]Summary, error) {
	if err := checkPurpose(p); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, "SELECT DISTINCT code FROM ent_person WHERE person_id = ? ORDER BY code LIMIT 1000", personID)
	if err != nil {
		return nil, fmt.Errorf("enterprise: of person: %w", err)
	}
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, err
		}
		codes = append(codes, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out, err := s.summaries(ctx, codes)
	if err != nil {
		return nil, err
	}
	return out, registry.RecordAccess(ctx, s.db, Name, personID, p, []string{"representatives", "members"})
}

// Lookup reads a record for a registry clerk (the read is audited).
func (s *Service) Lookup(ctx context.Context, who audit.Actor, code string) (Enterprise, error) {
	e, err := s.get(ctx, s.db, code)
	if err != nil {
		return e, err
	}
	return e, audit.Record(ctx, s.db, who.Entry("enterprise.read", "enterprise/"+e.Code, audit.OK, nil))
}

// History returns every version of an enterprise's record, newest first.
func (s *Service) History(ctx context.Context, code string) ([]Version, error) {
	rows, err := s.db.Query(ctx, "SELECT version, valid_from, reason, author, created_at, data FROM ent_enterprise_version WHERE code = ? ORDER BY version DESC", code)
	if err != nil {
		return nil, fmt.Errorf("enterprise: history: %w", err)
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
		if v.Enterprise, err = decode(data, v.Version, v.ValidFrom); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, notFound(code)
	}
	return out, nil
}

// Count returns how many enterprises the registry holds.
func (s *Service) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM ent_enterprise").Scan(&n)
	return n, err
}

// Create registers a new enterprise (version 1).
func (s *Service) Create(ctx context.Context, who audit.Actor, e Enterprise, reason string) (Enterprise, error) {
	e.Version, e.ValidFrom = 0, ""
	nonNil(&e)
	if e.Status == "" {
		e.Status = StatusActive
	}
	today := s.now()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		fields := validate(ctx, &e, s.codes, today)
		if e.Code != "" {
			if _, err := s.get(ctx, tx, e.Code); err == nil {
				fields = append(fields, fe("code", "code.duplicate", "Mã số doanh nghiệp "+e.Code+" đã có trong cơ sở dữ liệu", "an enterprise with code "+e.Code+" already exists"))
			}
		}
		if len(fields) > 0 {
			return fault.Invalidf(fields, "%d field(s) invalid", len(fields))
		}
		e.Version, e.ValidFrom = 1, today.Format(time.DateOnly)
		if err := insertEnterprises(ctx, tx, []Enterprise{e}, who.Subject, reason, today); err != nil {
			return err
		}
		if err := registry.RecordChange(ctx, tx, Name, "created", e.Code, []string{"*"}, 1); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Entry("enterprise.create", "enterprise/"+e.Code, audit.OK, map[string]any{"reason": reason}))
	})
	if f := fault.As(err); f != nil && f.Kind == fault.Invalid {
		audit.Record(ctx, s.db, who.Entry("enterprise.create", "enterprise/"+e.Code, audit.Invalid, map[string]any{"fields": len(f.Fields)}))
	}
	return e, err
}

// Update stores a new version of an enterprise's record. expected is the
// version the clerk edited; if someone else saved in between, the update
// is refused with a conflict and nothing is lost.
func (s *Service) Update(ctx context.Context, who audit.Actor, e Enterprise, expected int, reason string) (Enterprise, error) {
	today := s.now()
	if strings.TrimSpace(reason) == "" {
		return e, fault.Invalidf([]fault.FieldError{fe("reason", "reason.required", "Hãy ghi lý do thay đổi (căn cứ)", "reason is required for a change")}, "reason required")
	}
	e.Code = strings.TrimSpace(e.Code)
	nonNil(&e)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		old, err := s.get(ctx, tx, e.Code)
		if err != nil {
			return err
		}
		if old.Version != expected {
			return fault.New(fault.Conflict, "enterprise.version_conflict",
				fmt.Sprintf("Hồ sơ doanh nghiệp đã được người khác cập nhật (phiên bản %d, bạn sửa phiên bản %d): hãy tải lại và sửa lại", old.Version, expected),
				fmt.Sprintf("the record is at version %d, the edit was made on version %d: reload and edit again", old.Version, expected))
		}
		if fields := validate(ctx, &e, s.codes, today); len(fields) > 0 {
			return fault.Invalidf(fields, "%d field(s) invalid", len(fields))
		}
		changed := registry.ChangedFields(old, e)
		if len(changed) == 0 {
			return fault.New(fault.Conflict, "enterprise.no_change", "Không có thay đổi nào so với phiên bản hiện tại", "nothing differs from the current version")
		}
		e.Version, e.ValidFrom = old.Version+1, today.Format(time.DateOnly)
		data, err := json.Marshal(stripVersion(e))
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE ent_enterprise SET version = ?, name_folded = ?, type = ?, status = ?, commune = ? WHERE code = ? AND version = ?",
			e.Version, vntext.Fold(e.Name), e.Type, e.Status, e.HeadOffice.Commune, e.Code, expected)
		if err != nil {
			return fmt.Errorf("enterprise: update %s: %w", e.Code, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fault.New(fault.Conflict, "enterprise.version_conflict", "Hồ sơ doanh nghiệp vừa được người khác cập nhật: hãy tải lại", "the record changed concurrently: reload")
		}
		if _, err := tx.Exec(ctx, "INSERT INTO ent_enterprise_version (code, version, valid_from, reason, author, created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
			e.Code, e.Version, e.ValidFrom, reason, who.Subject, today.UnixMicro(), string(data)); err != nil {
			return fmt.Errorf("enterprise: version %s: %w", e.Code, err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM ent_person WHERE code = ?", e.Code); err != nil {
			return fmt.Errorf("enterprise: people of %s: %w", e.Code, err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM ent_name_token WHERE code = ?", e.Code); err != nil {
			return fmt.Errorf("enterprise: names of %s: %w", e.Code, err)
		}
		if err := insertIndexes(ctx, tx, []Enterprise{e}); err != nil {
			return err
		}
		kind := "updated"
		switch {
		case old.Status != e.Status:
			kind = "status-changed"
		case !slices.Equal(old.Representatives, e.Representatives):
			kind = "representatives-changed"
		case old.HeadOffice != e.HeadOffice:
			kind = "head-office-changed"
		}
		if err := registry.RecordChange(ctx, tx, Name, kind, e.Code, changed, e.Version); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Entry("enterprise.update", "enterprise/"+e.Code, audit.OK, map[string]any{"version": e.Version, "fields": changed, "reason": reason}))
	})
	if f := fault.As(err); f != nil && (f.Kind == fault.Invalid || f.Kind == fault.Conflict) {
		audit.Record(ctx, s.db, who.Entry("enterprise.update", "enterprise/"+e.Code, audit.Invalid, map[string]any{"code": f.Code}))
	}
	return e, err
}

func stripVersion(e Enterprise) Enterprise {
	e.Version, e.ValidFrom = 0, ""
	return e
}

// Load writes enterprises in bulk, without validation (the generator
// guarantees consistency): the seeding path.
func (s *Service) Load(ctx context.Context, enterprises []Enterprise, author string) error {
	now := s.now()
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		return insertEnterprises(ctx, tx, enterprises, author, "Dữ liệu ban đầu", now)
	})
}

// insertEnterprises writes current rows, version rows and the search
// indexes in multi-row statements: the bulk path of seeding, used by Create
// too.
func insertEnterprises(ctx context.Context, tx *store.Tx, list []Enterprise, author, reason string, at time.Time) error {
	day := at.Format(time.DateOnly)
	cur := make([][]any, 0, len(list))
	ver := make([][]any, 0, len(list))
	for i := range list {
		e := &list[i]
		if e.Version == 0 {
			e.Version = 1
		}
		if e.ValidFrom == "" {
			e.ValidFrom = day
		}
		data, err := json.Marshal(stripVersion(*e))
		if err != nil {
			return err
		}
		cur = append(cur, []any{e.Code, e.Version, vntext.Fold(e.Name), e.Type, e.Status, e.HeadOffice.Commune})
		ver = append(ver, []any{e.Code, e.Version, e.ValidFrom, reason, author, at.UnixMicro(), string(data)})
	}
	if err := insertRows(ctx, tx, "ent_enterprise (code, version, name_folded, type, status, commune)", cur, ""); err != nil {
		return err
	}
	if err := insertRows(ctx, tx, "ent_enterprise_version (code, version, valid_from, reason, author, created_at, data)", ver, ""); err != nil {
		return err
	}
	return insertIndexes(ctx, tx, list)
}

// insertIndexes writes the people and name words of the current versions.
func insertIndexes(ctx context.Context, tx *store.Tx, list []Enterprise) error {
	var ppl, words [][]any
	for _, e := range list {
		for _, id := range e.Representatives {
			ppl = append(ppl, []any{e.Code, id, RoleRepresentative})
		}
		for _, id := range e.Members {
			ppl = append(ppl, []any{e.Code, id, RoleMember})
		}
		for _, t := range nameTokens(e) {
			words = append(words, []any{t, e.Code})
		}
	}
	if err := insertRows(ctx, tx, "ent_person (code, person_id, role)", ppl, " ON CONFLICT DO NOTHING"); err != nil {
		return err
	}
	return insertRows(ctx, tx, "ent_name_token (token, code)", words, " ON CONFLICT DO NOTHING")
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
			return fmt.Errorf("enterprise: insert into %s: %w", strings.Fields(table)[0], err)
		}
	}
	return nil
}

// legalFormWords are the folded words of legal forms ("công ty trách
// nhiệm hữu hạn một thành viên", "JSC", ...) that nearly every name has:
// they are left out of the word index, whose lists would otherwise hold
// every enterprise. A search made only of them falls back to the name
// prefix.
var legalFormWords = map[string]bool{
	"cong": true, "ty": true, "tnhh": true, "trach": true, "nhiem": true, "huu": true, "han": true, "mtv": true,
	"co": true, "phan": true, "cp": true, "ctcp": true, "doanh": true, "nghiep": true, "dntn": true, "tu": true, "nhan": true,
	"hop": true, "danh": true, "mot": true, "thanh": true, "vien": true, "company": true, "limited": true, "ltd": true,
	"liability": true, "joint": true, "stock": true, "jsc": true, "corporation": true, "corp": true, "llc": true,
	"one": true, "member": true, "the": true, "and": true, "va": true,
}

// nameTokens are the distinct folded words of the names, legal forms left
// out.
func nameTokens(e Enterprise) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range []string{e.Name, e.NameEn, e.ShortName} {
		for _, t := range vntext.Terms(n) {
			if !legalFormWords[t] && !seen[t] && len(t) <= 100 {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// searchCap bounds what a search counts and pages through.
const searchCap = 10000

// Search finds enterprises by name for registry clerks and the search
// service: the exact enterprise code (a branch's code finds its
// enterprise), the folded name by prefix ("cong ty tnhh an" finds "Công ty
// TNHH An Phát"), or every word of the query, legal forms left out, as the
// beginning of a word of the Vietnamese, English or short name ("an phat"
// finds "Công ty TNHH Thương mại An Phát"). Each way reads an index; the
// total is counted up to 10001.
func (s *Service) Search(ctx context.Context, q string, limit, offset int) ([]Summary, int, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	offset = max(0, min(offset, searchCap))
	folded := vntext.Fold(q)
	if folded == "" {
		return []Summary{}, 0, nil
	}
	want := offset + limit

	var parts []string // subqueries giving codes, for the count
	var args []any
	var order []string // codes in result order, for the page
	seen := map[string]bool{}
	add := func(codes []string) {
		for _, c := range codes {
			if !seen[c] {
				seen[c] = true
				order = append(order, c)
			}
		}
	}

	if tc, err := vnid.ParseTaxCode("q", q); err == nil {
		parts = append(parts, "SELECT code FROM ent_enterprise WHERE code = ?")
		args = append(args, tc.Base())
		codes, err := s.codesOf(ctx, "SELECT code FROM ent_enterprise WHERE code = ?", tc.Base())
		if err != nil {
			return nil, 0, err
		}
		add(codes)
	}

	prefix := "SELECT code FROM ent_enterprise WHERE name_folded >= ? AND name_folded < ? ORDER BY name_folded, code"
	parts = append(parts, "SELECT code FROM ("+prefix+" LIMIT 10001) p")
	args = append(args, folded, folded+"\uffff")
	codes, err := s.codesOf(ctx, prefix+" LIMIT ?", folded, folded+"\uffff", want)
	if err != nil {
		return nil, 0, err
	}
	add(codes)

	var terms []string
	for _, t := range vntext.Terms(q) {
		if !legalFormWords[t] && !slices.Contains(terms, t) {
			terms = append(terms, t)
		}
	}
	if len(terms) > 0 {
		// The longest word drives (its range is likely the narrowest); each
		// other word must begin a word of the same enterprise.
		sort.SliceStable(terms, func(i, j int) bool { return len(terms[i]) > len(terms[j]) })
		words := "SELECT t0.code FROM ent_name_token t0"
		var wargs []any
		for i, t := range terms[1:] {
			words += fmt.Sprintf(" JOIN ent_name_token t%d ON t%d.code = t0.code AND t%d.token >= ? AND t%d.token < ?", i+1, i+1, i+1, i+1)
			wargs = append(wargs, t, t+"\uffff")
		}
		words += " WHERE t0.token >= ? AND t0.token < ? ORDER BY t0.token, t0.code"
		wargs = append(wargs, terms[0], terms[0]+"\uffff")
		parts = append(parts, "SELECT code FROM ("+words+" LIMIT 10001) w")
		args = append(args, wargs...)
		codes, err := s.codesOf(ctx, words+" LIMIT ?", append(wargs, want*2)...)
		if err != nil {
			return nil, 0, err
		}
		add(codes)
	}

	var total int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM ("+strings.Join(parts, " UNION ")+") u", args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("enterprise: search count: %w", err)
	}
	total = min(total, searchCap+1)
	if offset >= len(order) {
		return []Summary{}, total, nil
	}
	page, err := s.summaries(ctx, order[offset:min(want, len(order))])
	return page, total, err
}

func (s *Service) codesOf(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("enterprise: search: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// summaries reads the current records of codes, in that order.
func (s *Service) summaries(ctx context.Context, codes []string) ([]Summary, error) {
	out := []Summary{}
	if len(codes) == 0 {
		return out, nil
	}
	args := make([]any, len(codes))
	for i, c := range codes {
		args[i] = c
	}
	rows, err := s.db.Query(ctx, "SELECT v.data, e.version FROM ent_enterprise e JOIN ent_enterprise_version v ON v.code = e.code AND v.version = e.version WHERE e.code IN (?"+strings.Repeat(", ?", len(codes)-1)+")", args...)
	if err != nil {
		return nil, fmt.Errorf("enterprise: summaries: %w", err)
	}
	defer rows.Close()
	byCode := map[string]Summary{}
	for rows.Next() {
		var data string
		var v int
		if err := rows.Scan(&data, &v); err != nil {
			return nil, err
		}
		e, err := decode(data, v, "")
		if err != nil {
			return nil, err
		}
		byCode[e.Code] = Summary{Code: e.Code, Name: e.Name, ShortName: e.ShortName, Type: e.Type, Status: e.Status, Commune: e.HeadOffice.Commune, Version: v}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, c := range codes {
		if sm, ok := byCode[c]; ok {
			out = append(out, sm)
		}
	}
	return out, nil
}
