package dossier

import (
	"context"
	"fmt"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
)

// Inbox filters.
const (
	FilterNew      = "new"       // nobody has claimed it at this step yet
	FilterDueToday = "due-today" // the appointment is later today
	FilterOverdue  = "overdue"   // past the appointment
	FilterAll      = "all"
)

// Summary is a dossier in a list.
type Summary struct {
	Code             string    `json:"code"`
	Agency           string    `json:"agency"`
	Procedure        string    `json:"procedure"`
	ProcedureVersion int       `json:"procedure_version"`
	ProcedureName    string    `json:"procedure_name"`
	Channel          Channel   `json:"channel"`
	Status           Status    `json:"status"`
	StatusName       string    `json:"status_name"`
	ApplicantName    string    `json:"applicant_name"`
	Step             string    `json:"step"`
	StepName         string    `json:"step_name"`
	Role             string    `json:"role"`
	Assignee         string    `json:"assignee,omitempty"`
	ReceivedAt       time.Time `json:"received_at"`
	DueAt            time.Time `json:"due_at"`
	StepDueAt        time.Time `json:"step_due_at"`
	Overdue          bool      `json:"overdue"`      // past the appointment
	StepOverdue      bool      `json:"step_overdue"` // past the current step's budget
	Version          int       `json:"version"`
}

// InboxCounts are the sizes of a queue's filters.
type InboxCounts struct {
	New      int `json:"new"`
	DueToday int `json:"due_today"`
	Overdue  int `json:"overdue"`
	All      int `json:"all"`
}

// InboxPage is one page of a role's queue at an agency.
type InboxPage struct {
	Agency string      `json:"agency"`
	Role   string      `json:"role"`
	Filter string      `json:"filter"`
	Items  []Summary   `json:"items"`
	Counts InboxCounts `json:"counts"`
}

const summaryColumns = "code, agency, procedure_code, procedure_version, channel, status, applicant_name, step, role, assignee, received_at, due_at, step_due_at, paused_since, version"

func (s *Service) scanSummaries(ctx context.Context, query string, args ...any) ([]Summary, error) {
	rows, err := s.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("dossier: list: %w", err)
	}
	defer rows.Close()
	now := s.now()
	loc := s.cal.Location()
	out := []Summary{}
	for rows.Next() {
		var m Summary
		var recv, due, stepDue int64
		var paused *int64
		if err := rows.Scan(&m.Code, &m.Agency, &m.Procedure, &m.ProcedureVersion, &m.Channel, &m.Status, &m.ApplicantName, &m.Step, &m.Role, &m.Assignee,
			&recv, &due, &stepDue, &paused, &m.Version); err != nil {
			return nil, err
		}
		m.ReceivedAt, m.DueAt, m.StepDueAt = fromMicros(recv, loc), fromMicros(due, loc), fromMicros(stepDue, loc)
		m.StatusName = m.Status.Name()
		if pi, err := s.proc(ctx, m.Procedure, m.ProcedureVersion); err == nil {
			m.ProcedureName, m.StepName = pi.p.Name, pi.step(m.Step).Name
		}
		if m.Role != "" {
			m.Overdue, m.StepOverdue = now.After(m.DueAt), now.After(m.StepDueAt)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// endOfDay is midnight after t in the calendar's location.
func (s *Service) endOfDay(t time.Time) time.Time {
	t = t.In(s.cal.Location())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location()).AddDate(0, 0, 1)
}

// Inbox returns a page of the dossiers waiting for role at agency, in the
// order of their appointments, with the size of each filter. Dossiers
// waiting for the applicant (supplements) and finished ones are in no
// queue.
func (s *Service) Inbox(ctx context.Context, agency, role, filter string, limit, offset int) (InboxPage, error) {
	if filter == "" {
		filter = FilterAll
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	offset = max(offset, 0)
	page := InboxPage{Agency: agency, Role: role, Filter: filter}
	if role == "" {
		return page, fault.Invalidf([]fault.FieldError{fe("role", "role.required", "Hãy chọn vai trò (receptionist, specialist, leader)", "role is required")}, "role required")
	}
	now := s.now()
	eod := s.endOfDay(now)
	where := "agency = ? AND role = ?"
	args := []any{agency, role}
	switch filter {
	case FilterAll:
	case FilterNew:
		where += " AND assignee = ''"
	case FilterDueToday:
		where += " AND due_at >= ? AND due_at < ?"
		args = append(args, micros(now), micros(eod))
	case FilterOverdue:
		where += " AND due_at < ?"
		args = append(args, micros(now))
	default:
		return page, fault.Invalidf([]fault.FieldError{fe("filter", "filter.value", "Bộ lọc phải là new, due-today, overdue hoặc all", "filter must be new, due-today, overdue or all")}, "bad filter")
	}
	items, err := s.scanSummaries(ctx, "SELECT "+summaryColumns+" FROM dos_dossier WHERE "+where+" ORDER BY due_at, code LIMIT ? OFFSET ?", append(args, limit, offset)...)
	if err != nil {
		return page, err
	}
	page.Items = items
	err = s.db.QueryRow(ctx, "SELECT COUNT(*), COALESCE(SUM(CASE WHEN assignee = '' THEN 1 ELSE 0 END), 0), "+
		"COALESCE(SUM(CASE WHEN due_at < ? THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN due_at >= ? AND due_at < ? THEN 1 ELSE 0 END), 0) "+
		"FROM dos_dossier WHERE agency = ? AND role = ?", micros(now), micros(now), micros(eod), agency, role).
		Scan(&page.Counts.All, &page.Counts.New, &page.Counts.Overdue, &page.Counts.DueToday)
	if err != nil {
		return page, fmt.Errorf("dossier: inbox counts: %w", err)
	}
	return page, nil
}

// Overdue returns an agency's unfinished dossiers past their appointment
// (the clock stands still for those waiting for a supplement), the most
// overdue first, at most limit (default 200, at most 1000).
func (s *Service) Overdue(ctx context.Context, agency string, limit int) ([]Summary, error) {
	if limit <= 0 {
		limit = 200
	}
	limit = min(limit, 1000)
	return s.scanSummaries(ctx, "SELECT "+summaryColumns+" FROM dos_dossier WHERE agency = ? AND role <> '' AND due_at < ? ORDER BY due_at, code LIMIT ?",
		agency, micros(s.now()), limit)
}

// ListForApplicant returns the applicant's dossiers, newest first, and how
// many there are.
func (s *Service) ListForApplicant(ctx context.Context, applicantID string, limit, offset int) ([]Summary, int, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	items, err := s.scanSummaries(ctx, "SELECT "+summaryColumns+" FROM dos_dossier WHERE applicant_id = ? ORDER BY received_at DESC, code DESC LIMIT ? OFFSET ?", applicantID, limit, max(offset, 0))
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM dos_dossier WHERE applicant_id = ?", applicantID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("dossier: count: %w", err)
	}
	return items, total, nil
}

// PublicStatus is what anyone who knows a dossier's code and its
// applicant's personal id may see: no form, no documents.
type PublicStatus struct {
	Code          string     `json:"code"`
	Agency        string     `json:"agency"`
	Procedure     string     `json:"procedure"`
	ProcedureName string     `json:"procedure_name"`
	Status        Status     `json:"status"`
	StatusName    string     `json:"status_name"`
	StepName      string     `json:"step_name,omitempty"`
	ReceivedAt    time.Time  `json:"received_at"`
	DueAt         time.Time  `json:"due_at"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
	ReturnedAt    *time.Time `json:"returned_at,omitempty"`
	Overdue       bool       `json:"overdue"`
	// Request is what the desk asked for when it requested a supplement
	// or the reason it gave when it refused.
	Request string `json:"request,omitempty"`
}

// StatusFor is the public status lookup: the dossier's code and the
// applicant's personal id. A wrong id answers exactly as a code that does
// not exist, so the lookup reveals nothing about other people's dossiers.
func (s *Service) StatusFor(ctx context.Context, code, applicantID string) (PublicStatus, error) {
	missing := fault.NotFoundf("dossier.status_not_found", "Không tìm thấy hồ sơ có mã và số định danh cá nhân này", "no dossier with this code and applicant id")
	r, err := s.load(ctx, s.db, code)
	if fault.Is(err, fault.NotFound) || (err == nil && r.Applicant.ID != applicantID) {
		return PublicStatus{}, missing
	}
	if err != nil {
		return PublicStatus{}, err
	}
	d := r.Dossier
	s.decorate(ctx, &d)
	ps := PublicStatus{Code: d.Code, Agency: d.Agency, Procedure: d.Procedure, ProcedureName: d.ProcedureName, Status: d.Status, StatusName: d.StatusName,
		ReceivedAt: d.ReceivedAt, DueAt: d.DueAt, FinishedAt: d.FinishedAt, ReturnedAt: d.ReturnedAt, Overdue: d.Overdue}
	if !d.Status.Final() {
		ps.StepName = d.StepName
	}
	if d.Status == StatusSupplement || d.Status == StatusRejected || d.Status == StatusStopped {
		s.db.QueryRow(ctx, "SELECT note FROM dos_history WHERE code = ? AND to_status = ? ORDER BY seq DESC LIMIT 1", code, int(d.Status)).Scan(&ps.Request)
	}
	return ps, nil
}
