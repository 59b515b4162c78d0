package dossier

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

var actionNames = map[string]string{
	ActionAccept:       "tiếp nhận",
	ActionForward:      "chuyển bước tiếp theo",
	ActionReturn:       "trả lại bước trước",
	ActionSupplement:   "yêu cầu bổ sung",
	ActionRefuse:       "từ chối",
	ActionApprove:      "phê duyệt",
	ActionDeliver:      "trả kết quả",
	ActionCreate:       "nộp hồ sơ",
	ActionSupplemented: "bổ sung hồ sơ",
	ActionWithdraw:     "rút hồ sơ",
}

var roleNames = map[string]string{
	RoleReceptionist: "cán bộ tiếp nhận và trả kết quả",
	RoleSpecialist:   "chuyên viên xử lý",
	RoleLeader:       "lãnh đạo phê duyệt",
}

func roleName(r string) string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return r
}

func errOtherAgency(agency string) error {
	return fault.New(fault.Forbidden, "dossier.other_agency",
		"Hồ sơ thuộc cơ quan khác ("+agency+"); bạn không có quyền xử lý hồ sơ này",
		"the dossier belongs to agency "+agency)
}

func errVersion(cur, expected int) error {
	return fault.New(fault.Conflict, "dossier.version_conflict",
		fmt.Sprintf("Hồ sơ vừa được người khác xử lý (phiên bản %d, bạn thao tác trên phiên bản %d): hãy tải lại hồ sơ", cur, expected),
		fmt.Sprintf("the dossier is at version %d, the action was taken on version %d", cur, expected))
}

func errNotAllowed(action, stepName string, st Status, detail string) error {
	return fault.New(fault.Conflict, "dossier.transition_not_allowed",
		fmt.Sprintf("Không thể %s: hồ sơ đang ở bước “%s”, trạng thái “%s”", actionNames[action], stepName, st.Name()),
		detail)
}

func errNoteRequired(action string) error {
	return fault.Invalidf([]fault.FieldError{fe("note", "note.required", "Hãy ghi rõ lý do "+actionNames[action], "a note (the reason) is required for "+action)}, "note required")
}

// stepDue returns the end of a step's budget started at t: the budget in
// working days is counted in office hours, so half a day is half of the
// office day; time outside office hours does not count.
func (s *Service) stepDue(t time.Time, days float64) time.Time {
	h := s.cal.OfficeHours()
	loc := s.cal.Location()
	left := time.Duration(days * float64(h.Close-h.Open))
	t = t.In(loc)
	for i := 0; i < 3700; i++ { // ten years of days at most
		midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		if s.cal.IsWorkingDay(midnight) {
			open, close := midnight.Add(h.Open), midnight.Add(h.Close)
			if t.Before(open) {
				t = open
			}
			if t.Before(close) {
				if avail := close.Sub(t); left <= avail {
					return t.Add(left)
				} else {
					left -= avail
				}
			}
		}
		t = midnight.AddDate(0, 0, 1)
	}
	return t
}

// change is one planned transition: the new row and its history rows.
type change struct {
	next   Dossier
	resume Status
	rows   []histRow
	result bool // issue the procedure's result document (approve)
}

// plan checks an official's action against the procedure version's
// workflow, the dossier's status and the official's roles, and returns
// the change. Conflicts (409) come before rights (403): an action the
// workflow does not allow is refused whoever asks.
func (s *Service) plan(r *row, pi *procInfo, who Official, action, note string, now time.Time) (*change, error) {
	d := r.Dossier
	step := pi.step(d.Step)
	c := &change{next: d, resume: r.resume}
	n := &c.next
	role := step.Role
	var to string
	var ok bool
	switch action {
	case ActionAccept:
		if d.Status != StatusNew || d.Step != pi.first().Code {
			return nil, errNotAllowed(action, step.Name, d.Status, "accept needs status 1 at the first step")
		}
		if to, ok = pi.allows(d.Step, ActionForward); !ok || to == "" {
			return nil, errNotAllowed(action, step.Name, d.Status, "the workflow has no forward move from its first step")
		}
	case ActionForward, ActionApprove:
		if d.Status != StatusProcessing {
			return nil, errNotAllowed(action, step.Name, d.Status, action+" needs status 4 (processing)")
		}
		if to, ok = pi.allows(d.Step, action); !ok || to == "" {
			return nil, errNotAllowed(action, step.Name, d.Status, fmt.Sprintf("the workflow has no %s move from step %s", action, d.Step))
		}
	case ActionReturn:
		if d.Status != StatusProcessing && d.Status != StatusProcessed {
			return nil, errNotAllowed(action, step.Name, d.Status, "return needs status 4 or 9")
		}
		if to, ok = pi.allows(d.Step, action); !ok || to == "" {
			return nil, errNotAllowed(action, step.Name, d.Status, "the workflow has no return move from step "+d.Step)
		}
	case ActionSupplement:
		if d.Status != StatusNew && d.Status != StatusProcessing {
			return nil, errNotAllowed(action, step.Name, d.Status, "a supplement can be requested in status 1 or 4")
		}
		if _, ok = pi.allows(d.Step, action); !ok {
			return nil, errNotAllowed(action, step.Name, d.Status, "the workflow allows no supplement request at step "+d.Step)
		}
	case ActionRefuse:
		if d.Status.Final() || d.Status == StatusAccepted {
			return nil, errNotAllowed(action, step.Name, d.Status, "the dossier is finished")
		}
		if _, ok = pi.allows(d.Step, action); !ok {
			return nil, errNotAllowed(action, step.Name, d.Status, "the workflow allows no refusal at step "+d.Step)
		}
	case ActionDeliver:
		if d.Status != StatusProcessed {
			return nil, errNotAllowed(action, step.Name, d.Status, "deliver needs status 9 (processed)")
		}
		if _, ok = pi.allows(d.Step, action); !ok {
			return nil, errNotAllowed(action, step.Name, d.Status, "the workflow allows no delivery at step "+d.Step)
		}
	default:
		return nil, fault.Invalidf([]fault.FieldError{fe("action", "action.unknown",
			"Thao tác không hợp lệ; các thao tác: accept, forward, return, supplement, refuse, approve, deliver", "unknown action "+action)}, "unknown action")
	}
	if !who.Has(role) {
		return nil, fault.New(fault.Forbidden, "dossier.wrong_role",
			fmt.Sprintf("Bước “%s” do %s thực hiện; tài khoản của bạn không có vai trò này", step.Name, roleName(role)),
			fmt.Sprintf("step %s is done by role %s", d.Step, role))
	}
	if d.Assignee != "" && d.Assignee != who.ID {
		return nil, fault.New(fault.Conflict, "dossier.claimed",
			"Hồ sơ đang do cán bộ "+d.Assignee+" xử lý", "the dossier is claimed by "+d.Assignee)
	}
	note = strings.TrimSpace(note)
	if (action == ActionRefuse || action == ActionSupplement || action == ActionReturn) && note == "" {
		return nil, errNoteRequired(action)
	}
	h := histRow{actor: who.ID, role: role, action: action, fromStep: d.Step, toStep: d.Step, from: d.Status, note: note}
	enter := func(stepCode string) {
		st := pi.step(stepCode)
		n.Step, n.Role, n.Assignee = st.Code, st.Role, ""
		n.StepDueAt = s.stepDue(now, st.Budget)
	}
	switch action {
	case ActionAccept:
		// Accepted (2), and at once into processing (4) at the next step.
		h.to = StatusAccepted
		enter(to)
		n.Status = StatusProcessing
		c.rows = []histRow{h, {actor: who.ID, role: role, action: ActionForward, fromStep: d.Step, toStep: to, from: StatusAccepted, to: StatusProcessing, note: "Chuyển xử lý sau khi tiếp nhận"}}
		return c, nil
	case ActionForward, ActionReturn:
		enter(to)
		n.Status = StatusProcessing
	case ActionApprove:
		enter(to)
		n.Status = StatusProcessed
		n.FinishedAt = &now
		c.result = true
	case ActionSupplement:
		c.resume = d.Status
		n.Status, n.Role, n.Assignee = StatusSupplement, "", ""
		n.PausedSince = &now
		n.Supplements++
	case ActionRefuse:
		was := d.Status
		if was == StatusSupplement {
			was = r.resume
		}
		n.Status = StatusStopped
		if was == StatusNew {
			n.Status = StatusRejected
		}
		n.Role, n.Assignee = "", ""
		n.FinishedAt = &now
	case ActionDeliver:
		n.Status, n.Role, n.Assignee = StatusReturned, "", ""
		n.ReturnedAt = &now
		if n.FinishedAt == nil {
			n.FinishedAt = &now
		}
	}
	h.toStep, h.to = n.Step, n.Status
	c.rows = []histRow{h}
	return c, nil
}

// Act takes an official's action on a dossier: accept, forward, return,
// supplement, refuse, approve or deliver. expectedVersion, when not 0, is
// the version the official saw: if the dossier moved since, the action is
// refused with a conflict. The action is checked against the workflow of
// the procedure version the dossier was filed under, the dossier's status
// and agency and the official's roles; refusals are audited with their
// reason. The change, its history rows and its dossier.<action> event are
// one transaction.
func (s *Service) Act(ctx context.Context, who Official, code, action, note string, expectedVersion int) (Dossier, error) {
	d, err := s.act(ctx, who, code, action, note, expectedVersion)
	if err != nil {
		if k := fault.KindOf(err); k == fault.Forbidden || k == fault.Conflict || k == fault.Invalid {
			s.deny(ctx, who.ID, action, code, err)
		}
	}
	return d, err
}

func (s *Service) act(ctx context.Context, who Official, code, action, note string, expectedVersion int) (Dossier, error) {
	var out Dossier
	err := s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := s.load(ctx, tx, code)
		if err != nil {
			return err
		}
		if !who.actsFor(r.Agency) {
			return errOtherAgency(r.Agency)
		}
		if expectedVersion != 0 && r.Version != expectedVersion {
			return errVersion(r.Version, expectedVersion)
		}
		pi, err := s.proc(ctx, r.Procedure, r.ProcedureVersion)
		if err != nil {
			return err
		}
		now := s.now().In(s.cal.Location())
		c, err := s.plan(r, pi, who, action, note, now)
		if err != nil {
			return err
		}
		if err := s.apply(ctx, tx, r, c, action, now); err != nil {
			return err
		}
		if c.result {
			if _, err := tx.Exec(ctx, "INSERT INTO dos_result (code, n, name, issued_at, issued_by) VALUES (?, (SELECT COUNT(*) + 1 FROM dos_result WHERE code = ?), ?, ?, ?)",
				code, code, pi.p.Result, micros(now), who.ID); err != nil {
				return fmt.Errorf("dossier: result: %w", err)
			}
		}
		out = c.next
		return nil
	})
	if err != nil {
		return Dossier{}, err
	}
	s.decorate(ctx, &out)
	return out, nil
}

// apply writes a planned change: the row (only if nobody changed it since
// it was read), the history and the event.
func (s *Service) apply(ctx context.Context, tx store.Querier, r *row, c *change, action string, now time.Time) error {
	n := &c.next
	n.Version = r.Version + 1
	res, err := tx.Exec(ctx, "UPDATE dos_dossier SET status = ?, resume_status = ?, step = ?, role = ?, assignee = ?, due_at = ?, step_due_at = ?, paused_since = ?, paused_days = ?, "+
		"supplements = ?, finished_at = ?, returned_at = ?, version = ?, updated_at = ? WHERE code = ? AND version = ?",
		int(n.Status), int(c.resume), n.Step, n.Role, n.Assignee, micros(n.DueAt), micros(n.StepDueAt), nullMicros(n.PausedSince), n.PausedDays,
		n.Supplements, nullMicros(n.FinishedAt), nullMicros(n.ReturnedAt), n.Version, micros(now), r.Code, r.Version)
	if err != nil {
		return fmt.Errorf("dossier: update %s: %w", r.Code, err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return errVersion(r.Version+1, r.Version)
	}
	return s.record(ctx, tx, n, c.rows, action)
}

// Supplement is the applicant's answer to a supplement request: the files
// asked for (checked like uploads) and a note. The clock starts again and
// the appointment moves by the working days it stood still.
func (s *Service) Supplement(ctx context.Context, applicantID, code, note string, docs []Upload) (Dossier, error) {
	r, err := s.load(ctx, s.db, code)
	if err != nil {
		return Dossier{}, err
	}
	if r.Applicant.ID != applicantID {
		return Dossier{}, notFound(code)
	}
	pi, err := s.proc(ctx, r.Procedure, r.ProcedureVersion)
	if err != nil {
		return Dossier{}, err
	}
	files, err := checkUploads(pi, docs)
	if err != nil {
		return Dossier{}, err
	}
	var out Dossier
	err = s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := s.load(ctx, tx, code)
		if err != nil {
			return err
		}
		if r.Status != StatusSupplement || r.PausedSince == nil {
			return fault.New(fault.Conflict, "dossier.no_supplement_request", "Hồ sơ không có yêu cầu bổ sung nào đang chờ", "the dossier is not waiting for a supplement")
		}
		now := s.now().In(s.cal.Location())
		c := &change{next: r.Dossier}
		n := &c.next
		paused := max(0, s.cal.WorkingDaysBetween(*r.PausedSince, now))
		n.DueAt = s.cal.AddWorkingDays(r.DueAt, paused)
		n.StepDueAt = s.cal.AddWorkingDays(r.StepDueAt, paused)
		n.PausedDays += paused
		n.PausedSince = nil
		n.Status = r.resume
		if n.Status == 0 {
			n.Status = StatusProcessing
		}
		n.Role = pi.step(r.Step).Role
		c.rows = []histRow{{actor: applicantID, role: "applicant", action: ActionSupplemented, fromStep: r.Step, toStep: r.Step, from: StatusSupplement, to: n.Status,
			note: strings.TrimSpace(note)}}
		if err := insertUploads(ctx, tx, code, files, applicantID, true, now); err != nil {
			return err
		}
		if err := s.apply(ctx, tx, r, c, ActionSupplemented, now); err != nil {
			return err
		}
		out = c.next
		return nil
	})
	if err != nil {
		return Dossier{}, err
	}
	s.decorate(ctx, &out)
	return out, nil
}

// Withdraw is the applicant withdrawing the dossier (status 7) before it
// is processed.
func (s *Service) Withdraw(ctx context.Context, applicantID, code, note string) (Dossier, error) {
	var out Dossier
	err := s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := s.load(ctx, tx, code)
		if err != nil {
			return err
		}
		if r.Applicant.ID != applicantID {
			return notFound(code)
		}
		switch r.Status {
		case StatusNew, StatusAccepted, StatusProcessing, StatusSupplement, StatusPayment:
		default:
			return fault.New(fault.Conflict, "dossier.cannot_withdraw",
				"Hồ sơ ở trạng thái “"+r.Status.Name()+"” không rút được nữa", "a dossier in status "+fmt.Sprint(int(r.Status))+" cannot be withdrawn")
		}
		now := s.now().In(s.cal.Location())
		c := &change{next: r.Dossier, resume: r.resume}
		n := &c.next
		n.Status, n.Role, n.Assignee = StatusWithdrawn, "", ""
		n.FinishedAt = &now
		c.rows = []histRow{{actor: applicantID, role: "applicant", action: ActionWithdraw, fromStep: r.Step, toStep: r.Step, from: r.Status, to: StatusWithdrawn, note: strings.TrimSpace(note)}}
		if err := s.apply(ctx, tx, r, c, ActionWithdraw, now); err != nil {
			return err
		}
		out = c.next
		return nil
	})
	if err != nil {
		return Dossier{}, err
	}
	s.decorate(ctx, &out)
	return out, nil
}

// Claim makes the official the assignee of the dossier's current step: the
// others of the role see it taken. Claiming is not a transition: it writes
// no history and leaves the version alone.
func (s *Service) Claim(ctx context.Context, who Official, code string) (Dossier, error) {
	return s.assign(ctx, who, code, true)
}

// Release gives a claimed dossier back to the role's queue.
func (s *Service) Release(ctx context.Context, who Official, code string) (Dossier, error) {
	return s.assign(ctx, who, code, false)
}

func (s *Service) assign(ctx context.Context, who Official, code string, claim bool) (Dossier, error) {
	action := "claim"
	if !claim {
		action = "release"
	}
	var out *row
	err := s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := s.load(ctx, tx, code)
		if err != nil {
			return err
		}
		if !who.actsFor(r.Agency) {
			return errOtherAgency(r.Agency)
		}
		if r.Role == "" {
			return fault.New(fault.Conflict, "dossier.not_in_queue", "Hồ sơ không chờ cán bộ xử lý (trạng thái “"+r.Status.Name()+"”)", "nobody at the desk has work on the dossier now")
		}
		if !who.Has(r.Role) {
			return fault.New(fault.Forbidden, "dossier.wrong_role", "Bước hiện tại do "+roleName(r.Role)+" thực hiện; tài khoản của bạn không có vai trò này", "the current step is done by role "+r.Role)
		}
		want, set := "", who.ID
		if !claim {
			want, set = who.ID, ""
		}
		if r.Assignee == set {
			out = r
			return nil
		}
		if r.Assignee != want {
			return fault.New(fault.Conflict, "dossier.claimed", "Hồ sơ đang do cán bộ "+r.Assignee+" xử lý", "the dossier is claimed by "+r.Assignee)
		}
		res, err := tx.Exec(ctx, "UPDATE dos_dossier SET assignee = ? WHERE code = ? AND assignee = ?", set, code, want)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return fault.New(fault.Conflict, "dossier.claimed", "Hồ sơ vừa được cán bộ khác nhận xử lý", "the dossier was claimed concurrently")
		}
		r.Assignee = set
		out = r
		return nil
	})
	if err != nil {
		if k := fault.KindOf(err); k == fault.Forbidden || k == fault.Conflict {
			s.deny(ctx, who.ID, action, code, err)
		}
		return Dossier{}, err
	}
	d := out.Dossier
	s.decorate(ctx, &d)
	return d, nil
}
