package dossier

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
)

// Apology is a draft of the letter of apology with a new appointment date
// (phiếu xin lỗi và hẹn lại ngày trả kết quả) that Decree 61/2018/NĐ-CP,
// Article 19, requires when a dossier will not be settled by its
// appointment, and that Circular 01/2018/TT-VPCP gives as form 04. The
// engine drafts it; an official checks, signs and sends it.
type Apology struct {
	Code       string    `json:"code"`
	Applicant  string    `json:"applicant"`
	Agency     string    `json:"agency"`
	ReceivedAt time.Time `json:"received_at"`
	DueAt      time.Time `json:"due_at"`     // the appointment in force
	NewDueAt   time.Time `json:"new_due_at"` // the proposed new appointment
	Overdue    bool      `json:"overdue"`    // the appointment has already passed
	Text       string    `json:"text"`
}

// ApologyDraft drafts the letter for a dossier that is late or will be: the
// new appointment is counted from now with the working days the remaining
// steps are budgeted. reason is the cause the official gives (left as a
// blank to fill when empty). A dossier that is finished, or that the
// remaining steps can still settle on time, gets a conflict.
func (s *Service) ApologyDraft(ctx context.Context, code, reason string) (Apology, error) {
	d, err := s.Get(ctx, code)
	if err != nil {
		return Apology{}, err
	}
	pi, err := s.proc(ctx, d.Procedure, d.ProcedureVersion)
	if err != nil {
		return Apology{}, err
	}
	if d.FinishedAt != nil || d.Status.Final() {
		return Apology{}, fault.New(fault.Conflict, "dossier.finished", "Hồ sơ đã giải quyết xong; không cần thư xin lỗi hẹn lại ngày trả", "the dossier is finished")
	}
	now := s.now().In(s.cal.Location())
	days := int(math.Ceil(pi.remaining(d.Step) - 1e-9))
	newDue := s.cal.DueDate(now, max(days, 1))
	projected := s.stepDue(now, pi.remaining(d.Step))
	overdue := now.After(d.DueAt)
	if !overdue && !projected.After(d.DueAt) {
		return Apology{}, fault.New(fault.Conflict, "dossier.not_late",
			"Hồ sơ vẫn kịp hẹn trả ngày "+viDate(d.DueAt)+"; chưa cần thư xin lỗi",
			"the remaining steps still fit before the appointment")
	}
	if !newDue.After(d.DueAt) {
		newDue = s.cal.DueDate(d.DueAt, 1)
	}
	agency := s.AgencyName(d.Agency)
	reason = strings.TrimSpace(reason)
	if reason == "" {
		reason = "………………………………………………"
	}
	late := fmt.Sprintf("Thời hạn giải quyết hồ sơ theo quy định là ngày %s. Tuy nhiên đến nay, %s chưa giải quyết xong hồ sơ của Ông/Bà.", viDate(d.DueAt), agency)
	if !overdue {
		late = fmt.Sprintf("Thời hạn giải quyết hồ sơ theo quy định là ngày %s. Tuy nhiên, %s không thể giải quyết xong hồ sơ của Ông/Bà đúng thời hạn này.", viDate(d.DueAt), agency)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n\n", strings.ToUpper(agency))
	fmt.Fprintf(&b, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ\n\n")
	fmt.Fprintf(&b, "Kính gửi: Ông/Bà %s\n\n", d.Applicant.Name)
	fmt.Fprintf(&b, "Ngày %s, %s tiếp nhận giải quyết hồ sơ của Ông/Bà đề nghị giải quyết thủ tục hành chính “%s”, mã hồ sơ %s.\n\n",
		viDate(d.ReceivedAt), agency, d.ProcedureName, d.Code)
	fmt.Fprintf(&b, "%s\n\n", late)
	fmt.Fprintf(&b, "Lý do: %s.\n\n", strings.TrimSuffix(reason, "."))
	fmt.Fprintf(&b, "Sự chậm trễ này đã gây phiền hà cho Ông/Bà. %s xin lỗi Ông/Bà và sẽ trả kết quả giải quyết hồ sơ cho Ông/Bà vào ngày %s.\n\n",
		upperFirst(agency), viDate(newDue))
	fmt.Fprintf(&b, "Xin trân trọng cảm ơn sự hợp tác của Ông/Bà./.\n\n")
	fmt.Fprintf(&b, "ĐẠI DIỆN CƠ QUAN\n(Ký, ghi rõ họ tên và đóng dấu)\n")
	return Apology{Code: d.Code, Applicant: d.Applicant.Name, Agency: d.Agency, ReceivedAt: d.ReceivedAt, DueAt: d.DueAt, NewDueAt: newDue, Overdue: overdue, Text: b.String()}, nil
}

// viDate writes a date as Vietnamese documents do: 25/02/2026.
func viDate(t time.Time) string { return t.Format("02/01/2006") }

func upperFirst(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}
