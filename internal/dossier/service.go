package dossier

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/vnid"
	"github.com/vngov/vngov/internal/platform/workdays"
	"github.com/vngov/vngov/internal/procedure"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the dossier engine's tables.
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// ProcedureSource is what the engine needs of the procedures database: the
// version a dossier was filed under, and the version in force for new ones.
// *procedure.Service satisfies it.
type ProcedureSource interface {
	Get(ctx context.Context, code string) (procedure.Procedure, error)
	GetVersion(ctx context.Context, code string, version int) (procedure.Procedure, error)
}

// Service is the dossier engine.
type Service struct {
	db    *store.DB
	procs ProcedureSource
	cal   *workdays.Calendar

	// AgencyName names an agency in letters to applicants; by default
	// "cơ quan <code>".
	AgencyName func(code string) string

	now       func() time.Time
	hook      func(stage string) error // test hook inside transactions
	cache     sync.Map                 // "code@version" -> *procInfo
	batch     *store.GroupWriter       // group commit on SQLite
	batchOnce sync.Once
}

// New returns the engine over db, reading procedures from procs and
// counting working days with cal (workdays.New() when nil).
func New(db *store.DB, procs ProcedureSource, cal *workdays.Calendar) *Service {
	if cal == nil {
		cal = workdays.New()
	}
	return &Service{db: db, procs: procs, cal: cal, now: time.Now,
		AgencyName: func(code string) string { return "cơ quan " + code }}
}

// Calendar returns the working-day calendar the engine counts with.
func (s *Service) Calendar() *workdays.Calendar { return s.cal }

// procInfo is a procedure version made ready for the engine. Versions never
// change once published, so they are cached for good.
type procInfo struct {
	p      procedure.Procedure
	schema *schemaNode
	index  map[string]int               // step code -> position
	trans  map[string]map[string]string // from step -> action -> to step ("" when none)
	docs   map[string]procedure.Document
}

func (pi *procInfo) step(code string) procedure.Step {
	if i, ok := pi.index[code]; ok {
		return pi.p.Workflow.Steps[i]
	}
	return procedure.Step{Code: code, Name: code}
}

func (pi *procInfo) first() procedure.Step { return pi.p.Workflow.Steps[0] }

func (pi *procInfo) allows(from, action string) (string, bool) {
	to, ok := pi.trans[from][action]
	return to, ok
}

// remaining returns the budget in working days of the steps from step on.
func (pi *procInfo) remaining(step string) float64 {
	var d float64
	for i := pi.index[step]; i < len(pi.p.Workflow.Steps); i++ {
		d += pi.p.Workflow.Steps[i].Budget
	}
	return d
}

func newProcInfo(p procedure.Procedure) (*procInfo, error) {
	if len(p.Workflow.Steps) == 0 {
		return nil, fmt.Errorf("dossier: procedure %s v%d has no workflow steps", p.Code, p.Version)
	}
	schema, err := compileSchema(p.Form)
	if err != nil {
		return nil, err
	}
	pi := &procInfo{p: p, schema: schema, index: map[string]int{}, trans: map[string]map[string]string{}, docs: map[string]procedure.Document{}}
	for i, st := range p.Workflow.Steps {
		pi.index[st.Code] = i
	}
	for _, t := range p.Workflow.Transitions {
		if pi.trans[t.From] == nil {
			pi.trans[t.From] = map[string]string{}
		}
		pi.trans[t.From][t.Action] = t.To
	}
	for _, d := range p.Documents {
		pi.docs[d.Code] = d
	}
	return pi, nil
}

// proc returns a procedure version, from the cache when it can.
func (s *Service) proc(ctx context.Context, code string, version int) (*procInfo, error) {
	key := code + "@" + strconv.Itoa(version)
	if v, ok := s.cache.Load(key); ok {
		return v.(*procInfo), nil
	}
	p, err := s.procs.GetVersion(ctx, code, version)
	if err != nil {
		return nil, err
	}
	pi, err := newProcInfo(p)
	if err != nil {
		return nil, err
	}
	s.cache.Store(key, pi)
	return pi, nil
}

// current returns the version of a procedure in force now.
func (s *Service) current(ctx context.Context, code string) (*procInfo, error) {
	p, err := s.procs.Get(ctx, code)
	if err != nil {
		return nil, err
	}
	return s.proc(ctx, code, p.Version)
}

// ---- reading ----

const dossierColumns = "code, agency, procedure_code, procedure_version, channel, status, resume_status, applicant_id, applicant_name, applicant_phone, applicant_email, " +
	"form, step, role, assignee, received_at, due_at, step_due_at, paused_since, paused_days, supplements, finished_at, returned_at, version, created_by"

// row is a dossier row with what the engine keeps but does not show.
type row struct {
	Dossier
	resume Status
}

type scanner interface{ Scan(dest ...any) error }

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64, loc *time.Location) time.Time { return time.UnixMicro(v).In(loc) }

func nullTime(v sql.NullInt64, loc *time.Location) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64, loc)
	return &t
}

func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func (s *Service) scanRow(sc scanner) (*row, error) {
	var r row
	var form string
	var recv, due, stepDue int64
	var paused, finished, returned sql.NullInt64
	err := sc.Scan(&r.Code, &r.Agency, &r.Procedure, &r.ProcedureVersion, &r.Channel, &r.Status, &r.resume, &r.Applicant.ID, &r.Applicant.Name,
		&r.Applicant.Phone, &r.Applicant.Email, &form, &r.Step, &r.Role, &r.Assignee, &recv, &due, &stepDue, &paused, &r.PausedDays, &r.Supplements,
		&finished, &returned, &r.Version, &r.createdBy)
	if err != nil {
		return nil, err
	}
	loc := s.cal.Location()
	r.Form = json.RawMessage(form)
	r.ReceivedAt, r.DueAt, r.StepDueAt = fromMicros(recv, loc), fromMicros(due, loc), fromMicros(stepDue, loc)
	r.PausedSince, r.FinishedAt, r.ReturnedAt = nullTime(paused, loc), nullTime(finished, loc), nullTime(returned, loc)
	return &r, nil
}

func notFound(code string) error {
	return fault.NotFoundf("dossier.not_found", "Không có hồ sơ mã "+code, "no dossier with code %q", code)
}

// load reads one dossier row through q (a transaction, or the database).
func (s *Service) load(ctx context.Context, q store.Querier, code string) (*row, error) {
	r, err := s.scanRow(q.QueryRow(ctx, "SELECT "+dossierColumns+" FROM dos_dossier WHERE code = ?", code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(code)
	}
	if err != nil {
		return nil, fmt.Errorf("dossier: read %s: %w", code, err)
	}
	return r, nil
}

// decorate fills the names and flags derived from the procedure and clock.
func (s *Service) decorate(ctx context.Context, d *Dossier) {
	d.StatusName = d.Status.Name()
	if pi, err := s.proc(ctx, d.Procedure, d.ProcedureVersion); err == nil {
		d.ProcedureName, d.Sector = pi.p.Name, pi.p.Sector
		d.StepName = pi.step(d.Step).Name
	}
	d.Overdue = isOverdue(d, s.now())
}

// isOverdue: unfinished past the appointment (the clock stands still while
// the applicant supplements), or finished after it.
func isOverdue(d *Dossier, now time.Time) bool {
	switch {
	case d.FinishedAt != nil:
		return d.FinishedAt.After(d.DueAt)
	case d.Status == StatusSupplement && d.PausedSince != nil:
		return d.PausedSince.After(d.DueAt)
	}
	return now.After(d.DueAt)
}

// Get returns a dossier with its history, documents, fees and results. It
// checks no rights: ForOfficial and ForApplicant do.
func (s *Service) Get(ctx context.Context, code string) (Dossier, error) {
	r, err := s.load(ctx, s.db, code)
	if err != nil {
		return Dossier{}, err
	}
	d := r.Dossier
	s.decorate(ctx, &d)
	if err := s.details(ctx, &d); err != nil {
		return d, err
	}
	return d, nil
}

// ForOfficial returns a dossier to an official of its agency.
func (s *Service) ForOfficial(ctx context.Context, who Official, code string) (Dossier, error) {
	d, err := s.Get(ctx, code)
	if err != nil {
		return d, err
	}
	if !who.actsFor(d.Agency) {
		s.deny(ctx, who.ID, "dossier.read", code, errOtherAgency(d.Agency))
		return Dossier{}, errOtherAgency(d.Agency)
	}
	return d, nil
}

// ForApplicant returns a dossier to the applicant who filed it; to anyone
// else it does not exist.
func (s *Service) ForApplicant(ctx context.Context, applicantID, code string) (Dossier, error) {
	d, err := s.Get(ctx, code)
	if err != nil || d.Applicant.ID != applicantID {
		return Dossier{}, notFound(code)
	}
	return d, nil
}

func (s *Service) details(ctx context.Context, d *Dossier) error {
	h, err := s.History(ctx, d.Code)
	if err != nil {
		return err
	}
	d.History = h
	if d.Documents, err = s.documents(ctx, d.Code); err != nil {
		return err
	}
	loc := s.cal.Location()
	var rated sql.NullInt64
	if err := s.db.QueryRow(ctx, "SELECT rating, rating_reason, rated_at FROM dos_dossier WHERE code = ?", d.Code).Scan(&d.Rating, &d.RatingReason, &rated); err != nil {
		return fmt.Errorf("dossier: rating: %w", err)
	}
	d.RatedAt = nullTime(rated, loc)
	rows, err := s.db.Query(ctx, "SELECT n, name, amount, paid, paid_at, online, payment_ref FROM dos_fee WHERE code = ? ORDER BY n", d.Code)
	if err != nil {
		return fmt.Errorf("dossier: fees: %w", err)
	}
	for rows.Next() {
		var f Fee
		var paid, online int
		var at sql.NullInt64
		if err := rows.Scan(&f.N, &f.Name, &f.Amount, &paid, &at, &online, &f.Ref); err != nil {
			rows.Close()
			return err
		}
		f.Paid, f.PaidAt, f.Online = paid != 0, nullTime(at, loc), online != 0
		d.Fees = append(d.Fees, f)
	}
	rows.Close()
	rows, err = s.db.Query(ctx, "SELECT n, name, number, issued_at, issued_by, uri FROM dos_result WHERE code = ? ORDER BY n", d.Code)
	if err != nil {
		return fmt.Errorf("dossier: results: %w", err)
	}
	for rows.Next() {
		var r Result
		var at int64
		if err := rows.Scan(&r.N, &r.Name, &r.Number, &at, &r.IssuedBy, &r.URI); err != nil {
			rows.Close()
			return err
		}
		r.IssuedAt = fromMicros(at, loc)
		d.Results = append(d.Results, r)
	}
	rows.Close()
	if pi, err := s.proc(ctx, d.Procedure, d.ProcedureVersion); err == nil {
		have := map[string]bool{}
		for _, doc := range d.Documents {
			have[doc.DocCode] = true
		}
		for i, doc := range pi.p.Documents {
			if i == 0 && doc.Template != "" && len(pi.p.Form) > 0 && len(d.Form) > 2 {
				continue // the declaration form (tờ khai) is the dossier's e-form
			}
			if doc.Required && !have[doc.Code] {
				d.MissingDocuments = append(d.MissingDocuments, doc.Code)
			}
		}
	}
	return nil
}

// History returns a dossier's processing history, oldest first.
func (s *Service) History(ctx context.Context, code string) ([]HistoryEntry, error) {
	rows, err := s.db.Query(ctx, "SELECT seq, at, actor, role, action, from_step, to_step, from_status, to_status, note, event_id FROM dos_history WHERE code = ? ORDER BY seq", code)
	if err != nil {
		return nil, fmt.Errorf("dossier: history: %w", err)
	}
	defer rows.Close()
	var out []HistoryEntry
	for rows.Next() {
		var h HistoryEntry
		var at int64
		if err := rows.Scan(&h.Seq, &at, &h.Actor, &h.Role, &h.Action, &h.FromStep, &h.ToStep, &h.FromStatus, &h.ToStatus, &h.Note, &h.EventID); err != nil {
			return nil, err
		}
		h.At = fromMicros(at, s.cal.Location())
		out = append(out, h)
	}
	return out, rows.Err()
}

// ---- creating ----

// DocumentRef attaches a document that exists elsewhere instead of an
// upload: a national database record (once-only) or a wallet item.
type DocumentRef struct {
	DocCode string `json:"doc_code"`
	Source  string `json:"source"` // registry | wallet
	Ref     string `json:"ref"`
	Name    string `json:"name,omitempty"`
}

// CreateRequest files a dossier.
type CreateRequest struct {
	Procedure string          `json:"procedure"`         // procedure code; the version in force is used
	Agency    string          `json:"agency"`            // receiving agency's electronic identifier code
	Channel   Channel         `json:"channel,omitempty"` // default: online
	Form      json.RawMessage `json:"form"`              // the e-form, checked against the procedure's schema
	Documents []DocumentRef   `json:"documents,omitempty"`
	// ApplicantID is the authenticated applicant; when empty (an official
	// receiving a dossier in person) the form's applicant_id is used.
	ApplicantID string `json:"-"`
	// CreatedBy is who files it, for the history: the applicant's id or an
	// official's.
	CreatedBy string `json:"-"`
	// IdempotencyKey makes a repeated request return the dossier the first
	// one created (scoped to the applicant).
	IdempotencyKey string `json:"-"`
	// Uploads are files filed with the dossier, checked like AddDocuments'
	// and written in the same transaction as the dossier.
	Uploads []Upload `json:"-"`
	// PayOnline: the applicant pays the fees online, through the payment
	// adapter, before the desk receives the dossier; an online dossier
	// with fees then waits in status 6 until the payment is reported
	// (Paid). Otherwise fees are paid at the desk.
	PayOnline bool `json:"pay_online,omitempty"`
}

func fe(field, code, msg, detail string) fault.FieldError {
	return fault.FieldError{Field: field, Code: code, Message: msg, Detail: detail}
}

func requestHash(in CreateRequest) string {
	var form bytes.Buffer
	if json.Compact(&form, in.Form) != nil {
		form.Write(in.Form)
	}
	b, _ := json.Marshal(struct {
		P, A string
		C    Channel
		F    string
		D    []DocumentRef
		O    bool
		U    []string
	}{in.Procedure, in.Agency, in.Channel, form.String(), in.Documents, in.PayOnline, uploadSums(in.Uploads)})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Create files a dossier: it checks the form against the procedure's
// schema, gives the dossier its code, computes the appointment date from
// the receipt time and the procedure's working days, and writes the
// dossier, its fees, its referenced documents, its first history row and
// a dossier.create event in one transaction. A request repeated with the
// same idempotency key returns the first dossier and replayed true.
func (s *Service) Create(ctx context.Context, in CreateRequest) (d Dossier, replayed bool, err error) {
	if in.Channel == 0 {
		in.Channel = ChannelOnline
	}
	in.IdempotencyKey = strings.TrimSpace(in.IdempotencyKey)
	var fields []fault.FieldError
	if _, err := vnid.ParseAgencyCode("agency", in.Agency); err != nil {
		if f := fault.As(err); f != nil {
			fields = append(fields, f.Fields...)
		}
	}
	if !in.Channel.Valid() {
		fields = append(fields, fe("channel", "channel.value", "Kênh nộp hồ sơ phải là 1 (trực tiếp), 2 (trực tuyến) hoặc 3 (bưu chính công ích)", "channel must be 1, 2 or 3"))
	}
	if len(in.IdempotencyKey) > 200 {
		fields = append(fields, fe("idempotency_key", "idempotency_key.length", "Khóa chống gửi trùng dài quá 200 ký tự", "the idempotency key takes at most 200 characters"))
	}
	pi, err := s.current(ctx, in.Procedure)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			fields = append(fields, fe("procedure", "procedure.not_found", "Không có thủ tục mã "+in.Procedure, "no procedure "+in.Procedure))
			return d, false, fault.Invalidf(fields, "%d field(s) invalid", len(fields))
		}
		return d, false, err
	}
	form, ferrs := validateForm(pi.schema, in.Form)
	fields = append(fields, ferrs...)
	formID, _ := form["applicant_id"].(string)
	switch {
	case in.ApplicantID == "" && formID == "":
		fields = append(fields, fe("applicant_id", "applicant_id.required", "Thiếu số định danh cá nhân của người nộp hồ sơ", "the applicant's personal id is required"))
	case in.ApplicantID == "":
		in.ApplicantID = formID
	case formID != "" && formID != in.ApplicantID:
		fields = append(fields, fe("form.applicant_id", "applicant_id.mismatch", "Số định danh cá nhân trong tờ khai phải là số của người nộp hồ sơ", "the form's applicant_id must be the authenticated applicant's"))
	}
	for i, ref := range in.Documents {
		if f, ok := checkRef(pi, ref, i); !ok {
			fields = append(fields, f)
		}
	}
	var files []checked
	if len(in.Uploads) > 0 {
		if len(in.Uploads)+len(in.Documents) > MaxDocuments {
			fields = append(fields, fe("documents", "document.too_many", fmt.Sprintf("Mỗi hồ sơ có tối đa %d tệp", MaxDocuments), fmt.Sprintf("a dossier holds at most %d files", MaxDocuments)))
		} else if files, err = checkUploads(pi, in.Uploads); err != nil {
			if f := fault.As(err); f != nil && len(f.Fields) > 0 {
				fields = append(fields, f.Fields...)
			} else {
				return d, false, err
			}
		}
	}
	if len(fields) > 0 {
		return d, false, fault.Invalidf(fields, "%d field(s) invalid", len(fields))
	}
	hash := requestHash(in)
	if in.IdempotencyKey != "" {
		if d, ok, err := s.replay(ctx, in.ApplicantID, in.IdempotencyKey, hash); ok || err != nil {
			return d, ok, err
		}
	}
	applicant := Applicant{ID: in.ApplicantID}
	applicant.Name, _ = form["applicant_full_name"].(string)
	applicant.Phone, _ = form["applicant_phone"].(string)
	applicant.Email, _ = form["applicant_email"].(string)
	if in.CreatedBy == "" {
		in.CreatedBy = in.ApplicantID
	}
	var compact bytes.Buffer
	json.Compact(&compact, in.Form)
	if compact.Len() == 0 {
		compact.WriteString("{}")
	}

	now := s.now().In(s.cal.Location())
	first := pi.first()
	row := &row{Dossier: Dossier{
		Agency: strings.ToUpper(strings.TrimSpace(in.Agency)), Procedure: pi.p.Code, ProcedureVersion: pi.p.Version, Channel: in.Channel,
		Status: StatusNew, Applicant: applicant, Form: compact.Bytes(), Step: first.Code, Role: first.Role,
		ReceivedAt: now, DueAt: s.cal.DueDate(now, pi.p.TimeLimit), StepDueAt: s.stepDue(now, first.Budget), Version: 1, createdBy: in.CreatedBy,
	}}
	if in.PayOnline && in.Channel == ChannelOnline && feesDue(pi, in.Channel) > 0 {
		// Filed online with a fee to pay: the dossier waits for the payment
		// (status 6) in nobody's queue, its clock stopped until the payment
		// adapter reports the fee paid (Paid).
		row.Status, row.Role, row.resume = StatusPayment, "", StatusNew
		row.PausedSince = &now
	}
	var idem any
	if in.IdempotencyKey != "" {
		idem = in.IdempotencyKey
	}
	err = s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		seq, err := nextSeq(ctx, tx, row.Agency, now.Format("060102"))
		if err != nil {
			return err
		}
		row.Code = vnid.FormatDossierCode(row.Agency, now, seq)
		if err := insertDossier(ctx, tx, row, idem, hash, now); err != nil {
			return err
		}
		for i, f := range pi.p.Fees {
			amount := feeAmount(f, in.Channel)
			if _, err := tx.Exec(ctx, "INSERT INTO dos_fee (code, n, name, amount) VALUES (?, ?, ?, ?)", row.Code, i+1, f.Name, amount); err != nil {
				return fmt.Errorf("dossier: fee: %w", err)
			}
		}
		for _, ref := range in.Documents {
			if err := insertRef(ctx, tx, pi, row.Code, ref, in.CreatedBy, now); err != nil {
				return err
			}
		}
		if len(files) > 0 {
			if err := insertUploads(ctx, tx, row.Code, files, in.CreatedBy, false, now); err != nil {
				return err
			}
		}
		role := "applicant"
		if in.CreatedBy != in.ApplicantID {
			role = RoleReceptionist // received in person or by post
		}
		return s.record(ctx, tx, &row.Dossier, []histRow{{actor: in.CreatedBy, role: role, action: ActionCreate, fromStep: "", toStep: first.Code, from: 0, to: row.Status}}, ActionCreate)
	})
	if err != nil {
		if in.IdempotencyKey != "" && store.IsUniqueViolation(err) {
			// The same request won a race with this one: answer with its dossier.
			if d, ok, rerr := s.replay(ctx, in.ApplicantID, in.IdempotencyKey, hash); ok || rerr != nil {
				return d, ok, rerr
			}
		}
		return d, false, err
	}
	d, err = s.Get(ctx, row.Code)
	return d, false, err
}

// uploadSums are the uploads' document codes and content hashes, for the
// idempotency check.
func uploadSums(ups []Upload) []string {
	out := make([]string, len(ups))
	for i, u := range ups {
		sum := sha256.Sum256(u.Data)
		out[i] = u.DocCode + ":" + hex.EncodeToString(sum[:])
	}
	return out
}

// CheckForm checks an e-form against the schema of the procedure version
// in force, field by field, without filing anything: a portal can show
// the errors at the form's step. An unknown procedure is one error.
func (s *Service) CheckForm(ctx context.Context, procedure string, form []byte) []fault.FieldError {
	pi, err := s.current(ctx, procedure)
	if err != nil {
		return []fault.FieldError{fe("procedure", "procedure.not_found", "Không có thủ tục mã "+procedure, "no procedure "+procedure)}
	}
	_, errs := validateForm(pi.schema, form)
	return errs
}

// replay finds the dossier an idempotency key created.
func (s *Service) replay(ctx context.Context, applicant, key, hash string) (Dossier, bool, error) {
	var code, h string
	err := s.db.QueryRow(ctx, "SELECT code, idem_hash FROM dos_dossier WHERE applicant_id = ? AND idem_key = ?", applicant, key).Scan(&code, &h)
	if errors.Is(err, sql.ErrNoRows) {
		return Dossier{}, false, nil
	}
	if err != nil {
		return Dossier{}, false, fmt.Errorf("dossier: idempotency: %w", err)
	}
	if h != hash {
		return Dossier{}, false, fault.New(fault.Conflict, "dossier.idempotency_key_reused",
			"Khóa chống gửi trùng này đã được dùng cho một hồ sơ khác nội dung: hãy dùng khóa mới cho hồ sơ mới",
			"the idempotency key was used for a different request")
	}
	d, err := s.Get(ctx, code)
	return d, err == nil, err
}

// nextSeq takes the agency's next daily number.
func nextSeq(ctx context.Context, tx store.Querier, agency, day string) (int, error) {
	var n int
	err := tx.QueryRow(ctx, "INSERT INTO dos_sequence (agency, day, last) VALUES (?, ?, 1) ON CONFLICT (agency, day) DO UPDATE SET last = dos_sequence.last + 1 RETURNING last", agency, day).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("dossier: sequence: %w", err)
	}
	return n, nil
}

func insertDossier(ctx context.Context, tx store.Querier, r *row, idem any, hash string, now time.Time) error {
	_, err := tx.Exec(ctx, "INSERT INTO dos_dossier ("+dossierColumns+", idem_key, idem_hash, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		r.Code, r.Agency, r.Procedure, r.ProcedureVersion, int(r.Channel), int(r.Status), int(r.resume), r.Applicant.ID, r.Applicant.Name, r.Applicant.Phone, r.Applicant.Email,
		string(r.Form), r.Step, r.Role, r.Assignee, micros(r.ReceivedAt), micros(r.DueAt), micros(r.StepDueAt), nullMicros(r.PausedSince), r.PausedDays, r.Supplements,
		nullMicros(r.FinishedAt), nullMicros(r.ReturnedAt), r.Version, r.createdBy, idem, hash, micros(now))
	if err != nil {
		return fmt.Errorf("dossier: insert %s: %w", r.Code, err)
	}
	return nil
}

// ---- history and events ----

// histRow is a history row to write.
type histRow struct {
	actor, role, action string
	fromStep, toStep    string
	from, to            Status
	note                string
}

// EventData is the payload of every dossier.* event: the change, and a
// snapshot of the dossier's facts after it, so that a consumer (the
// monitoring component) can keep the latest snapshot per dossier, by
// version, without reading the engine's tables. It carries no personal
// data beyond the actor's account id.
type EventData struct {
	Code             string     `json:"code"`
	Agency           string     `json:"agency"`
	Procedure        string     `json:"procedure"`
	ProcedureVersion int        `json:"procedure_version"`
	Channel          Channel    `json:"channel"`
	Action           string     `json:"action"`
	Actor            string     `json:"actor"`
	FromStatus       Status     `json:"from_status"`
	ToStatus         Status     `json:"to_status"`
	FromStep         string     `json:"from_step"`
	ToStep           string     `json:"to_step"`
	DueAt            time.Time  `json:"due_at"` // the appointment, moved by the applicant's pauses
	At               time.Time  `json:"at"`
	Version          int        `json:"version"`
	ReceivedAt       time.Time  `json:"received_at"`
	FinishedAt       *time.Time `json:"finished_at"` // processing ended (processed, refused, stopped, withdrawn)
	ReturnedAt       *time.Time `json:"returned_at"` // result returned
	Supplements      int        `json:"supplements"` // supplement requests so far
	PausedDays       int        `json:"paused_days"`
	Documents        DocFacts   `json:"documents"`
	Fees             FeeFacts   `json:"fees"`
	EResults         int        `json:"e_results"`     // electronic results issued
	Rating           int        `json:"rating"`        // 0 none, 1 very satisfied, 2 satisfied, 3 not satisfied
	RatingReason     string     `json:"rating_reason"` // given with "not satisfied"
}

// DocFacts counts a dossier's documents (the national portal's flags).
type DocFacts struct {
	Total        int `json:"total"`
	Digitised    int `json:"digitised"`
	Reused       int `json:"reused"`
	FromRegistry int `json:"from_registry"`
}

// FeeFacts sums a dossier's fees.
type FeeFacts struct {
	Amount     int64 `json:"amount"` // VND owed in all
	Paid       bool  `json:"paid"`   // nothing left to pay
	PaidOnline bool  `json:"paid_online"`
}

// facts reads the counts an event snapshot carries, in one round trip.
func facts(ctx context.Context, tx store.Querier, ed *EventData) error {
	var unpaid, online int
	var fin, ret sql.NullInt64
	err := tx.QueryRow(ctx, `SELECT d.rating, d.rating_reason, d.finished_at, d.returned_at,
  (SELECT COUNT(*) FROM dos_document x WHERE x.code = d.code),
  (SELECT COALESCE(SUM(x.digitised), 0) FROM dos_document x WHERE x.code = d.code),
  (SELECT COALESCE(SUM(x.reused), 0) FROM dos_document x WHERE x.code = d.code),
  (SELECT COALESCE(SUM(x.from_registry), 0) FROM dos_document x WHERE x.code = d.code),
  (SELECT COALESCE(SUM(f.amount), 0) FROM dos_fee f WHERE f.code = d.code),
  (SELECT COUNT(*) FROM dos_fee f WHERE f.code = d.code AND f.paid = 0 AND f.amount > 0),
  (SELECT COUNT(*) FROM dos_fee f WHERE f.code = d.code AND f.paid = 1 AND f.online = 1),
  (SELECT COUNT(*) FROM dos_result r WHERE r.code = d.code AND r.uri <> '')
FROM dos_dossier d WHERE d.code = ?`, ed.Code).Scan(&ed.Rating, &ed.RatingReason, &fin, &ret,
		&ed.Documents.Total, &ed.Documents.Digitised, &ed.Documents.Reused, &ed.Documents.FromRegistry,
		&ed.Fees.Amount, &unpaid, &online, &ed.EResults)
	if err != nil {
		return fmt.Errorf("dossier: event facts: %w", err)
	}
	ed.Fees.Paid = unpaid == 0
	ed.Fees.PaidOnline = online > 0
	ed.FinishedAt, ed.ReturnedAt = nullTime(fin, time.UTC), nullTime(ret, time.UTC)
	return nil
}

// record writes the history rows of one change and its event inside tx.
// The event goes to the outbox and to the engine's permanent event log.
func (s *Service) record(ctx context.Context, tx store.Querier, d *Dossier, rows []histRow, action string) error {
	first, last := rows[0], rows[len(rows)-1]
	now := s.now()
	ed := EventData{Code: d.Code, Agency: d.Agency, Procedure: d.Procedure, ProcedureVersion: d.ProcedureVersion, Channel: d.Channel,
		Action: action, Actor: first.actor, FromStatus: first.from, ToStatus: last.to, FromStep: first.fromStep, ToStep: last.toStep,
		DueAt: d.DueAt.UTC(), At: now.UTC(), Version: d.Version, ReceivedAt: d.ReceivedAt.UTC(), Supplements: d.Supplements, PausedDays: d.PausedDays}
	if err := facts(ctx, tx, &ed); err != nil {
		return err
	}
	data, _ := json.Marshal(ed)
	ev, err := bus.Emit(ctx, tx, bus.Event{Type: EventPrefix + action, Source: "dossier", Subject: d.Code, Data: data, Time: now.UTC()})
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO dos_event (id, type, subject, data, at) VALUES (?, ?, ?, ?, ?)", ev.ID, ev.Type, ev.Subject, string(ev.Data), micros(ev.Time)); err != nil {
		return fmt.Errorf("dossier: event log: %w", err)
	}
	for _, h := range rows {
		if _, err := tx.Exec(ctx, "INSERT INTO dos_history (code, at, actor, role, action, from_step, to_step, from_status, to_status, note, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			d.Code, micros(now), h.actor, h.role, h.action, h.fromStep, h.toStep, int(h.from), int(h.to), h.note, ev.ID); err != nil {
			return fmt.Errorf("dossier: history: %w", err)
		}
	}
	if s.hook != nil {
		if err := s.hook("after-history"); err != nil {
			return err
		}
	}
	return nil
}

// ---- denials ----

// requestInfo is where a request came from, for audit rows.
type requestInfo struct{ ip, id string }

type requestKey struct{}

// withRequest stores the client address and request id for audit rows.
func withRequest(ctx context.Context, ip, id string) context.Context {
	return context.WithValue(ctx, requestKey{}, requestInfo{ip, id})
}

// deny audits a refused attempt with its reason.
func (s *Service) deny(ctx context.Context, actor, action, code string, err error) {
	f := fault.As(err)
	if f == nil {
		return
	}
	result := audit.Invalid
	if f.Kind == fault.Forbidden || f.Kind == fault.Unauthenticated {
		result = audit.Denied
	}
	ri, _ := ctx.Value(requestKey{}).(requestInfo)
	e := audit.Entry{Actor: actor, Action: "dossier." + action, Object: "dossier/" + code, SourceIP: ri.ip, RequestID: ri.id, Result: result,
		Detail: map[string]any{"reason": f.Code, "message": f.Message}}
	// The request's own context may be ending; the audit row must still land.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	audit.Record(actx, s.db, e)
}
