package dossier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// pdf is the smallest thing http.DetectContentType calls a PDF.
var pdf = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

// TestHappyPathAroundTet files a 3-working-day dossier on Friday 13
// February 2026 at 16:00, the last working day before the Tết holiday
// (16 to 20 February 2026), and takes it through every step to delivery.
func TestHappyPathAroundTet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, clk := setup(t, db, at(2026, 2, 13, 16, 0))
		for d := 16; d <= 20; d++ {
			if s.cal.IsWorkingDay(at(2026, 2, d, 12, 0)) {
				t.Fatalf("2026-02-%d should be a Tết holiday", d)
			}
		}
		d, _, err := s.Create(ctx, CreateRequest{Procedure: "1.001612", Agency: agencyA, Form: householdForm(citizen), ApplicantID: citizen,
			Documents: []DocumentRef{{DocCode: "giay-to-phap-ly-ca-nhan", Source: SourceRegistry, Ref: "population/" + citizen}}})
		if err != nil {
			t.Fatal(err)
		}
		// Received on Friday before closing: the count starts on the next
		// working day, Monday 23 February after Tết; the third working day
		// is Wednesday 25 February, closing time.
		if want := at(2026, 2, 25, 17, 0); !d.DueAt.Equal(want) {
			t.Fatalf("appointment %s, want %s", d.DueAt, want)
		}
		if !d.DueAt.Equal(s.cal.DueDate(at(2026, 2, 13, 16, 0), 3)) {
			t.Fatal("the appointment is not the calendar's")
		}
		// Half a day of reception: the last hour of Friday, then 3h45 of
		// Monday 23 February.
		if want := at(2026, 2, 23, 11, 15); !d.StepDueAt.Equal(want) {
			t.Fatalf("reception step due %s, want %s", d.StepDueAt, want)
		}
		if d.Code != agencyA+"-260213-0001" || d.Status != StatusNew || d.Step != "tiep-nhan" || d.Role != RoleReceptionist || d.Version != 1 {
			t.Fatalf("created: %+v", d)
		}
		if d.Applicant.Name != "Trần Thị Hoa" || d.Channel != ChannelOnline || len(d.Fees) != 1 || d.Fees[0].Amount != 100000 {
			t.Fatalf("applicant/fees: %+v %+v", d.Applicant, d.Fees)
		}
		if _, err := s.AddDocuments(ctx, citizen, d.Code, []Upload{{DocCode: "giay-de-nghi", Name: "Giấy đề nghị.pdf", Data: pdf}}); err != nil {
			t.Fatal(err)
		}

		clk.Set(at(2026, 2, 23, 8, 0))
		d = act(t, s, receptionist, d, ActionAccept, "Hồ sơ hợp lệ")
		if d.Status != StatusProcessing || d.Step != "tham-dinh" || d.Role != RoleSpecialist || d.Version != 2 {
			t.Fatalf("accepted: %+v", d)
		}
		clk.Set(at(2026, 2, 24, 9, 0))
		d = act(t, s, specialist, d, ActionForward, "")
		if d.Step != "phe-duyet" || d.Role != RoleLeader {
			t.Fatalf("forwarded: %+v", d)
		}
		clk.Set(at(2026, 2, 24, 14, 0))
		d = act(t, s, leader, d, ActionApprove, "Đồng ý cấp")
		if d.Status != StatusProcessed || d.Step != "tra-ket-qua" || d.FinishedAt == nil {
			t.Fatalf("approved: %+v", d)
		}
		clk.Set(at(2026, 2, 25, 10, 0))
		d = act(t, s, receptionist, d, ActionDeliver, "")
		if d.Status != StatusReturned || d.ReturnedAt == nil || d.Role != "" || d.Overdue {
			t.Fatalf("delivered: %+v", d)
		}

		full, err := s.Get(ctx, d.Code)
		if err != nil {
			t.Fatal(err)
		}
		var trail []string
		for _, h := range full.History {
			trail = append(trail, fmt.Sprintf("%s:%d>%d", h.Action, h.FromStatus, h.ToStatus))
			if h.EventID == "" {
				t.Fatalf("history row without event: %+v", h)
			}
		}
		if got := strings.Join(trail, " "); got != "create:0>1 accept:1>2 forward:2>4 forward:4>4 approve:4>9 deliver:9>10" {
			t.Fatalf("history: %s", got)
		}
		if len(full.Results) != 1 || len(full.Documents) != 2 || len(full.MissingDocuments) != 0 {
			t.Fatalf("results %+v documents %+v missing %v", full.Results, full.Documents, full.MissingDocuments)
		}
		// One outbox event per transition, of its action's type, each
		// named by the history rows it announces.
		for typ, want := range map[string]int{"dossier.create": 1, "dossier.accept": 1, "dossier.forward": 1, "dossier.approve": 1, "dossier.deliver": 1} {
			if n := countRows(t, db, "SELECT COUNT(*) FROM bus_outbox WHERE type = ? AND subject = ?", typ, d.Code); n != want {
				t.Errorf("%s events: %d, want %d", typ, n, want)
			}
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM dos_history h WHERE code = ? AND NOT EXISTS (SELECT 1 FROM bus_outbox o WHERE o.id = h.event_id)", d.Code); n != 0 {
			t.Fatalf("%d history rows without their event", n)
		}
		var data string
		db.QueryRow(ctx, "SELECT data FROM bus_outbox WHERE type = 'dossier.accept'").Scan(&data)
		var ev EventData
		if err := json.Unmarshal([]byte(data), &ev); err != nil || ev.FromStatus != StatusNew || ev.ToStatus != StatusProcessing || ev.ToStep != "tham-dinh" || ev.Actor != receptionist.ID {
			t.Fatalf("accept event: %s", data)
		}
	})
}

// TestAfterHoursReceipt: a dossier filed after closing time or on a rest
// day counts as received on the next working day.
func TestAfterHoursReceipt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, clk := setup(t, db, at(2026, 3, 6, 17, 30)) // Friday, after 17:00
		d := createHousehold(t, s, "")
		if want := at(2026, 3, 12, 17, 0); !d.DueAt.Equal(want) { // receipt Monday 9, then Tue, Wed, Thu
			t.Fatalf("after hours: due %s, want %s", d.DueAt, want)
		}
		if want := at(2026, 3, 9, 12, 15); !d.StepDueAt.Equal(want) { // 07:30 + 4h45 on Monday
			t.Fatalf("after hours: step due %s, want %s", d.StepDueAt, want)
		}
		clk.Set(at(2026, 3, 7, 10, 0)) // Saturday: a one-day procedure
		b, _, err := s.Create(context.Background(), CreateRequest{Procedure: "1.001193", Agency: agencyA, Form: birthForm(citizen, "Nguyễn Văn Minh", "Nguyễn Thị An"), ApplicantID: citizen})
		if err != nil {
			t.Fatal(err)
		}
		if want := at(2026, 3, 10, 17, 0); !b.DueAt.Equal(want) {
			t.Fatalf("Saturday: due %s, want %s", b.DueAt, want)
		}
		if b.Code != agencyA+"-260307-0001" {
			t.Fatalf("code %s: the date is the day it was filed", b.Code)
		}
	})
}

// TestSupplementPausesTheClock: the working days the applicant takes to
// answer move the appointment and the step's deadline.
func TestSupplementPausesTheClock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, clk := setup(t, db, at(2026, 3, 2, 9, 0)) // Monday
		d := createHousehold(t, s, "")
		if want := at(2026, 3, 5, 17, 0); !d.DueAt.Equal(want) {
			t.Fatalf("due %s", d.DueAt)
		}
		clk.Set(at(2026, 3, 2, 9, 30))
		d = act(t, s, receptionist, d, ActionAccept, "")
		stepDue := d.StepDueAt
		clk.Set(at(2026, 3, 3, 10, 0)) // Tuesday
		if _, err := s.Act(ctx, specialist, d.Code, ActionSupplement, "", d.Version); !fault.Is(err, fault.Invalid) {
			t.Fatalf("a supplement request needs its note: %v", err)
		}
		d = act(t, s, specialist, d, ActionSupplement, "Bổ sung biên bản họp thành viên hộ gia đình")
		if d.Status != StatusSupplement || d.Role != "" || d.PausedSince == nil || d.Supplements != 1 {
			t.Fatalf("supplement requested: %+v", d)
		}
		// Thursday evening, past the first appointment: the clock stands
		// still, so nothing is overdue.
		clk.Set(at(2026, 3, 5, 18, 0))
		if od, _ := s.Overdue(ctx, agencyA, 0); len(od) != 0 {
			t.Fatalf("overdue while paused: %+v", od)
		}
		ps, err := s.StatusFor(ctx, d.Code, citizen)
		if err != nil || ps.Status != StatusSupplement || ps.Request != "Bổ sung biên bản họp thành viên hộ gia đình" || ps.Overdue {
			t.Fatalf("status while paused: %+v %v", ps, err)
		}
		clk.Set(at(2026, 3, 6, 14, 0)) // Friday: Wed, Thu, Fri = 3 working days
		if _, err := s.Supplement(ctx, "001099000001", d.Code, "", nil); !fault.Is(err, fault.NotFound) {
			t.Fatalf("someone else's answer: %v", err)
		}
		d, err = s.Supplement(ctx, citizen, d.Code, "Đã bổ sung", []Upload{{DocCode: "bien-ban-hop", Name: "bien ban.pdf", Data: pdf}})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != StatusProcessing || d.Role != RoleSpecialist || d.PausedDays != 3 || d.PausedSince != nil {
			t.Fatalf("resumed: %+v", d)
		}
		if want := at(2026, 3, 10, 17, 0); !d.DueAt.Equal(want) {
			t.Fatalf("due after the supplement %s, want %s", d.DueAt, want)
		}
		if want := s.cal.AddWorkingDays(stepDue, 3); !d.StepDueAt.Equal(want) {
			t.Fatalf("step due %s, want %s", d.StepDueAt, want)
		}
		full, _ := s.Get(ctx, d.Code)
		last := full.History[len(full.History)-1]
		if last.Action != ActionSupplemented || last.FromStatus != StatusSupplement || last.ToStatus != StatusProcessing || !full.Documents[len(full.Documents)-1].Supplement {
			t.Fatalf("history/doc: %+v %+v", last, full.Documents)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM bus_outbox WHERE type = 'dossier.supplemented'"); n != 1 {
			t.Fatalf("supplemented events %d", n)
		}
		if _, err := s.Supplement(ctx, citizen, d.Code, "", nil); !fault.Is(err, fault.Conflict) {
			t.Fatalf("answer without a request: %v", err)
		}
	})
}

// TestBadTransitionsAreRefusedAndAudited: approving what is still at
// reception (409), acting on another agency's dossier (403), a specialist
// doing the leader's step (403): each refused with its reason, audited,
// and the dossier unchanged.
func TestBadTransitionsAreRefusedAndAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := setup(t, db, at(2026, 3, 2, 9, 0))
		d := createHousehold(t, s, "")
		_, err := s.Act(ctx, leader, d.Code, ActionApprove, "", d.Version)
		wantKind(t, err, fault.Conflict, "dossier.transition_not_allowed")
		_, err = s.Act(ctx, outsider, d.Code, ActionAccept, "", d.Version)
		wantKind(t, err, fault.Forbidden, "dossier.other_agency")
		_, err = s.Act(ctx, specialist, d.Code, ActionAccept, "", d.Version)
		wantKind(t, err, fault.Forbidden, "dossier.wrong_role")
		_, err = s.Act(ctx, receptionist, d.Code, ActionDeliver, "", d.Version)
		wantKind(t, err, fault.Conflict, "dossier.transition_not_allowed")
		_, err = s.Act(ctx, receptionist, d.Code, "publish", "", d.Version)
		wantKind(t, err, fault.Invalid, "")
		d = act(t, s, receptionist, d, ActionAccept, "")
		d = act(t, s, specialist, d, ActionForward, "")
		_, err = s.Act(ctx, specialist, d.Code, ActionApprove, "", d.Version)
		wantKind(t, err, fault.Forbidden, "dossier.wrong_role")
		if !strings.Contains(fault.As(err).Message, "lãnh đạo") {
			t.Fatalf("the reason should name the leader's role: %s", fault.As(err).Message)
		}
		_, err = s.Act(ctx, leader, d.Code, ActionApprove, "", d.Version-1)
		wantKind(t, err, fault.Conflict, "dossier.version_conflict")
		_, err = s.Act(ctx, receptionist, d.Code, ActionAccept, "", d.Version)
		wantKind(t, err, fault.Conflict, "dossier.transition_not_allowed")

		after, _ := s.Get(ctx, d.Code)
		if after.Version != d.Version || after.Step != "phe-duyet" || after.Status != StatusProcessing {
			t.Fatalf("a refused action changed the dossier: %+v", after)
		}
		entries, err := audit.List(ctx, db, audit.Query{Object: "dossier/" + d.Code})
		if err != nil {
			t.Fatal(err)
		}
		reasons := map[string]int{}
		for _, e := range entries {
			reasons[e.Action+"/"+e.Result+"/"+e.Detail["reason"].(string)]++
		}
		for _, want := range []string{
			"dossier.approve/invalid/dossier.transition_not_allowed",
			"dossier.accept/denied/dossier.other_agency",
			"dossier.accept/denied/dossier.wrong_role",
			"dossier.approve/denied/dossier.wrong_role",
			"dossier.approve/invalid/dossier.version_conflict",
		} {
			if reasons[want] == 0 {
				t.Errorf("no audit row %s; have %v", want, reasons)
			}
		}
		if rep, _ := audit.Verify(ctx, db); !rep.OK {
			t.Fatalf("audit chain: %+v", rep)
		}
		// Only the two transitions that were allowed left events.
		if n := countRows(t, db, "SELECT COUNT(*) FROM bus_outbox WHERE subject = ? AND type <> 'dossier.create'", d.Code); n != 2 {
			t.Fatalf("events %d", n)
		}
	})
}

// TestRefuseAndWithdraw: refusing at reception is status 3, after
// acceptance 8; the applicant withdraws (7); a reason is required.
func TestRefuseAndWithdraw(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := setup(t, db, at(2026, 3, 2, 9, 0))
		a := createHousehold(t, s, "")
		if _, err := s.Act(ctx, receptionist, a.Code, ActionRefuse, " ", a.Version); !fault.Is(err, fault.Invalid) {
			t.Fatalf("refusal without a reason: %v", err)
		}
		a = act(t, s, receptionist, a, ActionRefuse, "Không thuộc thẩm quyền")
		if a.Status != StatusRejected || a.FinishedAt == nil || a.Role != "" {
			t.Fatalf("refused at reception: %+v", a)
		}
		b := createHousehold(t, s, "")
		b = act(t, s, receptionist, b, ActionAccept, "")
		b = act(t, s, specialist, b, ActionRefuse, "Ngành nghề cấm kinh doanh")
		if b.Status != StatusStopped {
			t.Fatalf("refused in processing: %+v", b)
		}
		c := createHousehold(t, s, "")
		if _, err := s.Withdraw(ctx, "001099000001", c.Code, ""); !fault.Is(err, fault.NotFound) {
			t.Fatalf("withdraw by someone else: %v", err)
		}
		c, err := s.Withdraw(ctx, citizen, c.Code, "Nộp nhầm")
		if err != nil || c.Status != StatusWithdrawn {
			t.Fatalf("withdraw: %+v %v", c, err)
		}
		if _, err := s.Withdraw(ctx, citizen, c.Code, ""); !fault.Is(err, fault.Conflict) {
			t.Fatalf("withdraw twice: %v", err)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM bus_outbox WHERE type IN ('dossier.refuse', 'dossier.withdraw')"); n != 3 {
			t.Fatalf("events %d", n)
		}
	})
}

// TestDoubleCreateReturnsTheSameDossier: an idempotency key makes a
// repeated or concurrent create return the first dossier; the key with a
// different request is a conflict.
func TestDoubleCreateReturnsTheSameDossier(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := setup(t, db, at(2026, 3, 2, 9, 0))
		first := createHousehold(t, s, "key-1")
		again, replayed, err := s.Create(ctx, CreateRequest{Procedure: "1.001612", Agency: agencyA, Form: householdForm(citizen), ApplicantID: citizen, IdempotencyKey: "key-1"})
		if err != nil || !replayed || again.Code != first.Code {
			t.Fatalf("replay: %s %v %v", again.Code, replayed, err)
		}
		other := householdForm(citizen)
		other = []byte(strings.Replace(string(other), "Hoa Sen", "Hoa Mai", 1))
		_, _, err = s.Create(ctx, CreateRequest{Procedure: "1.001612", Agency: agencyA, Form: other, ApplicantID: citizen, IdempotencyKey: "key-1"})
		wantKind(t, err, fault.Conflict, "dossier.idempotency_key_reused")

		var wg sync.WaitGroup
		codes := make([]string, 8)
		errs := make([]error, 8)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, _, err := s.Create(ctx, CreateRequest{Procedure: "1.001612", Agency: agencyA, Form: householdForm(citizen), ApplicantID: citizen, IdempotencyKey: "key-2"})
				codes[i], errs[i] = d.Code, err
			}()
		}
		wg.Wait()
		for i := range codes {
			if errs[i] != nil || codes[i] != codes[0] {
				t.Fatalf("concurrent creates: %v %v", codes, errs)
			}
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM dos_dossier"); n != 2 {
			t.Fatalf("dossiers %d, want 2", n)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM bus_outbox WHERE type = 'dossier.create'"); n != 2 {
			t.Fatalf("create events %d, want 2", n)
		}
		// Without a key, two creates are two dossiers with consecutive numbers.
		a, b := createHousehold(t, s, ""), createHousehold(t, s, "")
		if a.Code != agencyA+"-260302-0003" || b.Code != agencyA+"-260302-0004" {
			t.Fatalf("codes %s %s", a.Code, b.Code)
		}
	})
}

// TestConcurrentActOneWins: two officials act on the same version at
// once: one wins, the other gets a conflict, the history holds one move.
func TestConcurrentActOneWins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := setup(t, db, at(2026, 3, 2, 9, 0))
		for round := 0; round < 5; round++ {
			d := createHousehold(t, s, "")
			d = act(t, s, receptionist, d, ActionAccept, "")
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					who := Official{ID: "chuyenvien0" + string(rune('1'+i)), Agency: agencyA, Roles: []string{RoleSpecialist}}
					_, errs[i] = s.Act(ctx, who, d.Code, ActionForward, "", d.Version)
				}()
			}
			wg.Wait()
			ok, conflicts := 0, 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case fault.Is(err, fault.Conflict):
					conflicts++
				default:
					t.Fatalf("unexpected: %v", err)
				}
			}
			if ok != 1 || conflicts != 1 {
				t.Fatalf("ok %d conflicts %d: %v", ok, conflicts, errs)
			}
			if n := countRows(t, db, "SELECT COUNT(*) FROM dos_history WHERE code = ? AND from_step = 'tham-dinh'", d.Code); n != 1 {
				t.Fatalf("moves from tham-dinh in history: %d", n)
			}
			if n := countRows(t, db, "SELECT COUNT(*) FROM bus_outbox WHERE subject = ? AND type = 'dossier.forward'", d.Code); n != 1 {
				t.Fatalf("forward events: %d", n)
			}
			after, _ := s.Get(ctx, d.Code)
			if after.Version != d.Version+1 || after.Step != "phe-duyet" {
				t.Fatalf("after: %+v", after)
			}
		}
	})
}

// TestCrashMidTransitionLeavesNothing: a transition whose transaction
// fails after its history row is written leaves the dossier as it was, no
// history row and no event.
func TestCrashMidTransitionLeavesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := setup(t, db, at(2026, 3, 2, 9, 0))
		d := createHousehold(t, s, "")
		var reached string
		s.hook = func(stage string) error { reached = stage; return errors.New("power cut") }
		if _, err := s.Act(ctx, receptionist, d.Code, ActionAccept, "", d.Version); err == nil || reached != "after-history" {
			t.Fatalf("want the injected failure after the history insert: %v %q", err, reached)
		}
		s.hook = nil
		after, _ := s.Get(ctx, d.Code)
		if after.Status != StatusNew || after.Version != 1 || after.Step != "tiep-nhan" || len(after.History) != 1 {
			t.Fatalf("half a transition: %+v", after)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM bus_outbox WHERE type = 'dossier.accept'"); n != 0 {
			t.Fatalf("event of a failed transition: %d", n)
		}
		// A context closed before the transition starts changes nothing either.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Act(cctx, receptionist, d.Code, ActionAccept, "", d.Version); err == nil {
			t.Fatal("closed context: want an error")
		}
		// And the transition then goes through once.
		act(t, s, receptionist, d, ActionAccept, "")
		if n := countRows(t, db, "SELECT COUNT(*) FROM dos_history WHERE code = ? AND action = 'accept'", d.Code); n != 1 {
			t.Fatalf("accept rows %d", n)
		}
	})
}

// TestFormValidationMessages: one Vietnamese message per field, naming the
// field by its title.
func TestFormValidationMessages(t *testing.T) {
	s, _ := setup(t, storetest.OpenSQLite(t), at(2026, 3, 2, 9, 0))
	var form map[string]any
	json.Unmarshal(householdForm(citizen), &form)
	delete(form, "business_address_street")
	form["business_name"] = "Cửa hàng Hoa Sen"
	form["capital"] = -5
	form["business_lines"] = []string{}
	form["applicant_birth_date"] = "1990-02-30"
	form["employees"] = 1.5
	form["favourite_colour"] = "xanh"
	raw, _ := json.Marshal(form)
	_, _, err := s.Create(context.Background(), CreateRequest{Procedure: "1.001612", Agency: agencyA, Form: raw, ApplicantID: citizen})
	f := fault.As(err)
	if f == nil || f.Kind != fault.Invalid {
		t.Fatalf("want invalid: %v", err)
	}
	got := map[string]string{}
	for _, fe := range f.Fields {
		if _, dup := got[fe.Field]; dup {
			t.Fatalf("two messages for %s", fe.Field)
		}
		got[fe.Field] = fe.Message
	}
	want := map[string]string{
		"form.business_address_street": "Vui lòng nhập “Địa điểm kinh doanh: địa chỉ chi tiết”",
		"form.business_name":           "“Tên hộ kinh doanh” không đúng định dạng",
		"form.capital":                 "“Vốn kinh doanh (đồng)” phải từ 0 trở lên",
		"form.business_lines":          "“Ngành, nghề kinh doanh” cần ít nhất 1 mục",
		"form.applicant_birth_date":    "“Ngày, tháng, năm sinh” phải là một ngày có thật, viết theo dạng năm-tháng-ngày (ví dụ 2026-02-13)",
		"form.employees":               "phải là một số nguyên",
		"form.favourite_colour":        "Trường “favourite_colour” không có trong tờ khai của thủ tục này",
	}
	for field, msg := range want {
		if !strings.Contains(got[field], msg) {
			t.Errorf("%s: %q, want %q", field, got[field], msg)
		}
	}
	if len(got) != len(want) {
		t.Errorf("messages: %v", got)
	}
	// Someone else's personal id in the form is refused.
	_, _, err = s.Create(context.Background(), CreateRequest{Procedure: "1.001612", Agency: agencyA, Form: householdForm("001099000001"), ApplicantID: citizen})
	wantKind(t, err, fault.Invalid, "")
	// The if/then of 9.900006: a person owner needs owner_id.
	sch := compileOrFail(t, s, "9.900006")
	bad := map[string]any{"owner_kind": "person"}
	b, _ := json.Marshal(bad)
	_, errs := validateForm(sch, b)
	found := false
	for _, e := range errs {
		found = found || e.Field == "form.owner_id"
	}
	if !found {
		t.Fatalf("if/then not applied: %+v", errs)
	}
}

func compileOrFail(t *testing.T, s *Service, code string) *schemaNode {
	pi, err := s.current(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return pi.schema
}

// TestSyncExport: the national portal's field names and date format.
func TestSyncExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, clk := setup(t, db, at(2026, 2, 13, 16, 0))
		d, _, err := s.Create(ctx, CreateRequest{Procedure: "1.001612", Agency: agencyA, Form: householdForm(citizen), ApplicantID: citizen,
			Documents: []DocumentRef{{DocCode: "giay-to-phap-ly-ca-nhan", Source: SourceRegistry, Ref: "population/" + citizen},
				{DocCode: "van-ban-uy-quyen", Source: SourceWallet, Ref: "wallet/42"}}})
		if err != nil {
			t.Fatal(err)
		}
		s.AddDocuments(ctx, citizen, d.Code, []Upload{{DocCode: "giay-de-nghi", Name: "de-nghi.pdf", Data: pdf}})
		clk.Set(at(2026, 2, 23, 8, 0))
		d = act(t, s, receptionist, d, ActionAccept, "")
		d = act(t, s, specialist, d, ActionForward, "")
		clk.Set(at(2026, 2, 24, 10, 0))
		d = act(t, s, leader, d, ActionApprove, "")
		clk.Set(at(2026, 2, 24, 15, 30))
		d = act(t, s, receptionist, d, ActionDeliver, "")
		h, err := s.SyncExport(ctx, d.Code)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(h)
		var m map[string]any
		json.Unmarshal(b, &m)
		for _, k := range []string{"MaHoSo", "MaTTHC", "MaLinhVuc", "KenhThucHien", "SoGiayToChuHoSo", "NgayTiepNhan", "NgayHenTra", "TrangThaiHoSo",
			"NgayKetThucXuLy", "NgayTra", "TaiLieuNop", "DanhSachLePhi", "DanhSachGiayToKetQua", "QuaTrinhXuLy"} {
			if _, ok := m[k]; !ok {
				t.Errorf("no %s in %s", k, b)
			}
		}
		want := map[string]string{"MaHoSo": d.Code, "MaTTHC": "1.001612", "KenhThucHien": "2", "SoGiayToChuHoSo": citizen, "TrangThaiHoSo": "10",
			"NgayTiepNhan": "20260213160000", "NgayHenTra": "20260225170000", "NgayKetThucXuLy": "20260224100000", "NgayTra": "20260224153000", "MaLinhVuc": "thanh-lap-va-hoat-dong-cua-ho-kinh-doanh"}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s = %v, want %s", k, m[k], v)
			}
		}
		docs := m["TaiLieuNop"].([]any)
		if len(docs) != 3 {
			t.Fatalf("TaiLieuNop: %v", docs)
		}
		flags := map[string]string{}
		for _, x := range docs {
			doc := x.(map[string]any)
			for _, k := range []string{"DuocSoHoa", "DuocTaiSuDung", "DuocLayTuKhoDMQG", "MaThanhPhanHoSo", "TenTepDinhKem"} {
				if _, ok := doc[k]; !ok {
					t.Fatalf("no %s in %v", k, doc)
				}
			}
			flags[doc["MaThanhPhanHoSo"].(string)] = doc["DuocSoHoa"].(string) + doc["DuocTaiSuDung"].(string) + doc["DuocLayTuKhoDMQG"].(string)
		}
		if flags["giay-to-phap-ly-ca-nhan"] != "101" || flags["van-ban-uy-quyen"] != "110" || flags["giay-de-nghi"] != "100" {
			t.Fatalf("flags: %v", flags)
		}
		fees := m["DanhSachLePhi"].([]any)
		if fee := fees[0].(map[string]any); fee["Gia"] != "100000" || fee["LoaiPhiLePhi"] != "2" {
			t.Fatalf("fees: %v", fees)
		}
		if hist := m["QuaTrinhXuLy"].([]any); len(hist) != 6 || hist[5].(map[string]any)["TrangThai"] != "10" {
			t.Fatalf("history: %v", hist)
		}
	})
}

// TestStatusLookup: the public lookup needs the applicant's id; a wrong id
// answers exactly as a code that does not exist.
func TestStatusLookup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := setup(t, db, at(2026, 3, 2, 9, 0))
		d := createHousehold(t, s, "")
		ps, err := s.StatusFor(ctx, d.Code, citizen)
		if err != nil || ps.Status != StatusNew || ps.StatusName != "Mới đăng ký" || ps.ProcedureName == "" {
			t.Fatalf("lookup: %+v %v", ps, err)
		}
		_, wrong := s.StatusFor(ctx, d.Code, "001099000001")
		_, missing := s.StatusFor(ctx, agencyA+"-260302-0999", citizen)
		fw, fm := fault.As(wrong), fault.As(missing)
		if fw == nil || fw.Kind != fault.NotFound || fm == nil || fw.Code != fm.Code || fw.Message != fm.Message || fw.Detail != fm.Detail {
			t.Fatalf("wrong id %v, missing %v", wrong, missing)
		}
		if _, err := s.ForApplicant(ctx, "001099000001", d.Code); !fault.Is(err, fault.NotFound) {
			t.Fatalf("someone else's dossier: %v", err)
		}
		if list, total, err := s.ListForApplicant(ctx, citizen, 10, 0); err != nil || total != 1 || list[0].Code != d.Code {
			t.Fatalf("list: %+v %d %v", list, total, err)
		}
	})
}

// TestInboxAndOverdue: a role's queue, its filters and counts.
func TestInboxAndOverdue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, clk := setup(t, db, at(2026, 3, 2, 9, 0))
		a := createHousehold(t, s, "") // due Thu 5 March
		clk.Set(at(2026, 3, 4, 9, 0))
		b := createHousehold(t, s, "") // due Mon 9 March
		clk.Set(at(2026, 3, 5, 10, 0))
		c := createHousehold(t, s, "") // due Tue 10 March
		if _, err := s.Claim(ctx, receptionist, c.Code); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Claim(ctx, Official{ID: "tiepnhan02", Agency: agencyA, Roles: []string{RoleReceptionist}}, c.Code); !fault.Is(err, fault.Conflict) {
			t.Fatalf("claim taken: %v", err)
		}
		if _, err := s.Act(ctx, Official{ID: "tiepnhan02", Agency: agencyA, Roles: []string{RoleReceptionist}}, c.Code, ActionAccept, "", 0); !fault.Is(err, fault.Conflict) {
			t.Fatalf("act on a dossier claimed by another: %v", err)
		}
		page, err := s.Inbox(ctx, agencyA, RoleReceptionist, FilterAll, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if page.Counts != (InboxCounts{New: 2, DueToday: 1, Overdue: 0, All: 3}) || len(page.Items) != 3 || page.Items[0].Code != a.Code {
			t.Fatalf("inbox: %+v", page)
		}
		page, _ = s.Inbox(ctx, agencyA, RoleReceptionist, FilterNew, 10, 0)
		if len(page.Items) != 2 || page.Items[1].Code != b.Code {
			t.Fatalf("new: %+v", page.Items)
		}
		page, _ = s.Inbox(ctx, agencyA, RoleReceptionist, FilterDueToday, 10, 0)
		if len(page.Items) != 1 || page.Items[0].Code != a.Code {
			t.Fatalf("due today: %+v", page.Items)
		}
		clk.Set(at(2026, 3, 6, 9, 0))
		page, _ = s.Inbox(ctx, agencyA, RoleReceptionist, FilterOverdue, 10, 0)
		if len(page.Items) != 1 || !page.Items[0].Overdue || page.Counts.Overdue != 1 {
			t.Fatalf("overdue: %+v", page)
		}
		od, _ := s.Overdue(ctx, agencyA, 0)
		if len(od) != 1 || od[0].Code != a.Code {
			t.Fatalf("Overdue: %+v", od)
		}
		if p, _ := s.Inbox(ctx, agencyA, RoleSpecialist, FilterAll, 10, 0); p.Counts.All != 0 {
			t.Fatalf("specialists: %+v", p)
		}
		if p, _ := s.Inbox(ctx, agencyB, RoleReceptionist, FilterAll, 10, 0); p.Counts.All != 0 {
			t.Fatalf("other agency: %+v", p)
		}
		if _, err := s.Release(ctx, receptionist, c.Code); err != nil {
			t.Fatal(err)
		}
		if p, _ := s.Inbox(ctx, agencyA, RoleReceptionist, FilterNew, 10, 0); p.Counts.New != 3 {
			t.Fatalf("after release: %+v", p.Counts)
		}
	})
}

// TestApologyDraft: a dossier that will be late gets a draft letter with a
// new appointment after the old one.
func TestApologyDraft(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, clk := setup(t, db, at(2026, 3, 2, 9, 0))
		s.AgencyName = func(string) string { return "Ủy ban nhân dân Phường Ba Đình" }
		d := createHousehold(t, s, "")
		if _, err := s.ApologyDraft(ctx, d.Code, ""); !fault.Is(err, fault.Conflict) {
			t.Fatalf("on time: %v", err)
		}
		clk.Set(at(2026, 3, 5, 16, 0)) // due today at 17:00 and still at reception
		a, err := s.ApologyDraft(ctx, d.Code, "Cần xác minh địa điểm kinh doanh")
		if err != nil {
			t.Fatal(err)
		}
		if !a.NewDueAt.After(a.DueAt) || a.Overdue {
			t.Fatalf("draft: %+v", a)
		}
		for _, want := range []string{"PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "Kính gửi: Ông/Bà Trần Thị Hoa", d.Code, "Đăng ký thành lập hộ kinh doanh",
			"05/03/2026", "Lý do: Cần xác minh địa điểm kinh doanh.", "vào ngày " + a.NewDueAt.Format("02/01/2006"), "Ủy ban nhân dân Phường Ba Đình xin lỗi"} {
			if !strings.Contains(a.Text, want) {
				t.Errorf("letter lacks %q:\n%s", want, a.Text)
			}
		}
		// Remaining budget 3 days from Thursday 5 March: Fri, Mon, Tue.
		if want := at(2026, 3, 10, 17, 0); !a.NewDueAt.Equal(want) {
			t.Fatalf("new appointment %s, want %s", a.NewDueAt, want)
		}
		clk.Set(at(2026, 3, 6, 9, 0))
		if a, err = s.ApologyDraft(ctx, d.Code, ""); err != nil || !a.Overdue || !strings.Contains(a.Text, "chưa giải quyết xong") {
			t.Fatalf("overdue draft: %+v %v", a, err)
		}
	})
}

// TestUploadChecks: content types by their bytes, sizes, names.
func TestUploadChecks(t *testing.T) {
	ctx := context.Background()
	s, _ := setup(t, storetest.OpenSQLite(t), at(2026, 3, 2, 9, 0))
	d := createHousehold(t, s, "")
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	docs, err := s.AddDocuments(ctx, citizen, d.Code, []Upload{{DocCode: "giay-de-nghi", Name: "Đơn đề nghị (bản 1).PDF", Data: pdf}, {DocCode: "bien-ban-hop", Name: "anh chup.exe", Data: png}})
	if err != nil {
		t.Fatal(err)
	}
	if docs[0].Name != "Đơn đề nghị (bản 1).pdf" || docs[0].ContentType != "application/pdf" || docs[1].Name != "anh chup_exe.png" || docs[1].ContentType != "image/png" {
		t.Fatalf("names: %+v", docs)
	}
	for _, bad := range []Upload{
		{DocCode: "giay-de-nghi", Name: "../../etc/passwd.pdf", Data: pdf},
		{DocCode: "giay-de-nghi", Name: `..\boot.pdf`, Data: pdf},
		{DocCode: "giay-de-nghi", Name: ".hidden.pdf", Data: pdf},
		{DocCode: "giay-de-nghi", Name: "a\x00.pdf", Data: pdf},
		{DocCode: "giay-de-nghi", Name: "script.pdf", Data: []byte("#!/bin/sh\nrm -rf /\n")},
		{DocCode: "giay-de-nghi", Name: "trang.pdf", Data: []byte("<html><script>alert(1)</script></html>")},
		{DocCode: "khong-co", Name: "x.pdf", Data: pdf},
		{DocCode: "giay-de-nghi", Name: "x.pdf", Data: nil},
	} {
		if _, err := s.AddDocuments(ctx, citizen, d.Code, []Upload{bad}); !fault.Is(err, fault.Invalid) {
			t.Errorf("%q accepted: %v", bad.Name, err)
		}
	}
	big := append(append([]byte{}, pdf...), make([]byte, MaxDocumentSize)...)
	if _, err := s.AddDocuments(ctx, citizen, d.Code, []Upload{{DocCode: "giay-de-nghi", Name: "lon.pdf", Data: big}}); !fault.Is(err, fault.TooLarge) {
		t.Fatalf("too large: %v", err)
	}
	_, data, err := s.Content(ctx, d.Code, docs[0].ID)
	if err != nil || string(data) != string(pdf) {
		t.Fatalf("content: %v", err)
	}
	if _, err := s.AddDocuments(ctx, "001099000001", d.Code, []Upload{{DocCode: "giay-de-nghi", Name: "x.pdf", Data: pdf}}); !fault.Is(err, fault.NotFound) {
		t.Fatalf("someone else's dossier: %v", err)
	}
	act(t, s, receptionist, d, ActionAccept, "")
	if _, err := s.AddDocuments(ctx, citizen, d.Code, []Upload{{DocCode: "giay-de-nghi", Name: "x.pdf", Data: pdf}}); !fault.Is(err, fault.Conflict) {
		t.Fatalf("after acceptance: %v", err)
	}
}

// TestProcedureVersionKept: a dossier keeps the workflow of the version it
// was filed under after a new version is published.
func TestProcedureVersionKept(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := context.Background()
	ps := migrate(t, db)
	s := New(db, ps, nil)
	clk := &clock{t: at(2026, 3, 2, 9, 0)}
	s.now = clk.Now
	d := createHousehold(t, s, "")
	p, _ := ps.Get(ctx, "1.001612")
	p.TimeLimit = 5
	p.Workflow.Steps[1].Code = "tham-dinh-moi"
	for i := range p.Workflow.Transitions {
		for _, f := range []*string{&p.Workflow.Transitions[i].From, &p.Workflow.Transitions[i].To} {
			if *f == "tham-dinh" {
				*f = "tham-dinh-moi"
			}
		}
	}
	if _, err := ps.Publish(ctx, audit.Actor{Subject: "admin"}, p, "v2"); err != nil {
		t.Fatal(err)
	}
	d = act(t, s, receptionist, d, ActionAccept, "")
	if d.Step != "tham-dinh" || d.ProcedureVersion != 1 {
		t.Fatalf("old dossier moved by the new version: %+v", d)
	}
	n := createHousehold(t, s, "")
	if n.ProcedureVersion != 2 || !n.DueAt.Equal(at(2026, 3, 9, 17, 0)) {
		t.Fatalf("new dossier: v%d due %s", n.ProcedureVersion, n.DueAt)
	}
	n = act(t, s, receptionist, n, ActionAccept, "")
	if n.Step != "tham-dinh-moi" {
		t.Fatalf("new dossier step %s", n.Step)
	}
}
