package dossier

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// TestPayOnlineWaitsForThePayment: an online dossier whose fees are paid
// online waits in status 6, in nobody's queue, its clock stopped; the
// payment moves it to the desk with the appointment moved by the days it
// waited; the payment reported twice counts once; a short one is refused.
func TestPayOnlineWaitsForThePayment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, clk := setup(t, db, at(2026, 3, 2, 9, 0)) // Monday
		d, _, err := s.Create(ctx, CreateRequest{Procedure: "1.001612", Agency: agencyA, Form: householdForm(citizen), ApplicantID: citizen, PayOnline: true})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != StatusPayment || d.Role != "" || d.PausedSince == nil {
			t.Fatalf("created: status %d role %q paused %v", d.Status, d.Role, d.PausedSince)
		}
		due := d.DueAt
		p, err := s.Inbox(ctx, agencyA, RoleReceptionist, FilterAll, 10, 0)
		if err != nil || len(p.Items) != 0 {
			t.Fatalf("a dossier waiting for its fee is in the reception queue: %+v %v", p, err)
		}
		// The documents can still be added while the fee is owed.
		if _, err := s.AddDocuments(ctx, citizen, d.Code, []Upload{{DocCode: "giay-de-nghi", Name: "de-nghi.pdf", Data: pdf}}); err != nil {
			t.Fatal(err)
		}
		_, err = s.Paid(ctx, Payment{ID: "p1", Ref: d.Code, Amount: 50000, PaidAt: at(2026, 3, 3, 9, 0)})
		wantKind(t, err, fault.Conflict, "dossier.payment_short")

		clk.Set(at(2026, 3, 4, 9, 0)) // two working days later
		d, err = s.Paid(ctx, Payment{ID: "p2", Ref: d.Code, Amount: 100000, PaidAt: at(2026, 3, 4, 9, 0), ReceiptNo: "BL-7"})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != StatusNew || d.Role != RoleReceptionist || d.PausedSince != nil || d.PausedDays != 2 || !d.DueAt.Equal(s.cal.AddWorkingDays(due, 2)) {
			t.Fatalf("paid: status %d role %q paused %v days %d due %s (was %s)", d.Status, d.Role, d.PausedSince, d.PausedDays, d.DueAt, due)
		}
		again, err := s.Paid(ctx, Payment{ID: "p2", Ref: d.Code, Amount: 100000, PaidAt: at(2026, 3, 4, 9, 0)})
		if err != nil || again.Version != d.Version {
			t.Fatalf("the same payment again changed the dossier: %v %d → %d", err, d.Version, again.Version)
		}
		got, _ := s.Get(ctx, d.Code)
		if len(got.Fees) != 1 || !got.Fees[0].Paid || !got.Fees[0].Online || got.Fees[0].Ref != "p2" {
			t.Fatalf("fees: %+v", got.Fees)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM dos_event WHERE subject = ? AND type = 'dossier.paid'", d.Code); n != 1 {
			t.Fatalf("%d dossier.paid events", n)
		}
		_, err = s.Paid(ctx, Payment{ID: "p3", Ref: "000.00.92.H26-260302-9999", Amount: 1})
		wantKind(t, err, fault.NotFound, "")
	})
}

// TestRateDeliverAndEventLog: an approved dossier's result delivered
// electronically (9 → 10, its uri kept, once), then rated once; the event
// log holds every event in order with the facts the monitor needs.
func TestRateDeliverAndEventLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, clk := setup(t, db, at(2026, 3, 2, 9, 0))
		d, _, err := s.Create(ctx, CreateRequest{Procedure: "1.001612", Agency: agencyA, Form: householdForm(citizen), ApplicantID: citizen,
			Documents: []DocumentRef{{DocCode: "giay-to-phap-ly-ca-nhan", Source: SourceRegistry, Ref: "population/" + citizen}}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Rate(ctx, citizen, d.Code, RatingSatisfied, "")
		wantKind(t, err, fault.Conflict, "dossier.not_finished")

		d = act(t, s, receptionist, d, ActionAccept, "")
		d = act(t, s, specialist, d, ActionForward, "")
		clk.Set(at(2026, 3, 3, 10, 0))
		d = act(t, s, leader, d, ActionApprove, "")
		_, err = s.DeliverElectronic(ctx, d.Code, "")
		wantKind(t, err, fault.Invalid, "")
		d, err = s.DeliverElectronic(ctx, d.Code, "000.00.92.H26-GCNHKD-1")
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != StatusReturned || d.ReturnedAt == nil || len(d.Results) != 1 || d.Results[0].URI != "000.00.92.H26-GCNHKD-1" {
			t.Fatalf("delivered: status %d results %+v", d.Status, d.Results)
		}
		again, err := s.DeliverElectronic(ctx, d.Code, "000.00.92.H26-GCNHKD-1")
		if err != nil || again.Version != d.Version {
			t.Fatalf("delivering again: %v, version %d → %d", err, d.Version, again.Version)
		}
		_, err = s.DeliverElectronic(ctx, d.Code, "000.00.92.H26-GCNHKD-2")
		wantKind(t, err, fault.Conflict, "dossier.transition_not_allowed")

		_, err = s.Rate(ctx, citizen, d.Code, 7, "")
		wantKind(t, err, fault.Invalid, "")
		_, err = s.Rate(ctx, citizen, d.Code, RatingNotSatisfied, " ")
		wantKind(t, err, fault.Invalid, "")
		_, err = s.Rate(ctx, "001099000001", d.Code, RatingSatisfied, "")
		wantKind(t, err, fault.NotFound, "")
		d, err = s.Rate(ctx, citizen, d.Code, RatingNotSatisfied, "Phải chờ lâu")
		if err != nil || d.Rating != RatingNotSatisfied {
			t.Fatalf("rate: %v %d", err, d.Rating)
		}
		_, err = s.Rate(ctx, citizen, d.Code, RatingSatisfied, "")
		wantKind(t, err, fault.Conflict, "dossier.already_rated")

		var all []string
		var last EventData
		after := int64(0)
		for {
			evs, next, err := s.EventLog(ctx, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) == 0 {
				break
			}
			for _, ev := range evs {
				all = append(all, ev.Type)
				if err := json.Unmarshal(ev.Data, &last); err != nil {
					t.Fatal(err)
				}
			}
			after = next
		}
		want := []string{"dossier.create", "dossier.accept", "dossier.forward", "dossier.approve", "dossier.deliver", "dossier.rate"}
		if len(all) != len(want) {
			t.Fatalf("event log %v, want %v", all, want)
		}
		for i := range want {
			if all[i] != want[i] {
				t.Fatalf("event log %v, want %v", all, want)
			}
		}
		if last.Rating != RatingNotSatisfied || last.RatingReason != "Phải chờ lâu" || last.EResults != 1 || last.ReturnedAt == nil || last.FinishedAt == nil ||
			last.Documents.Total != 1 || last.Documents.FromRegistry != 1 || last.Fees.Amount != 100000 || last.Fees.Paid || last.ToStatus != StatusReturned {
			t.Fatalf("last event facts: %+v", last)
		}
	})
}

// TestCreateWithUploadsIsOneTransaction: files filed with the dossier land
// with it; one bad file files nothing; CheckForm reports the form's errors
// without filing.
func TestCreateWithUploadsIsOneTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := setup(t, db, at(2026, 3, 2, 9, 0))
		in := CreateRequest{Procedure: "1.001612", Agency: agencyA, Form: householdForm(citizen), ApplicantID: citizen, IdempotencyKey: "k1",
			Uploads: []Upload{{DocCode: "giay-de-nghi", Name: "de-nghi.pdf", Data: pdf}, {DocCode: "giay-de-nghi", Name: "../x.pdf", Data: pdf}}}
		_, _, err := s.Create(ctx, in)
		wantKind(t, err, fault.Invalid, "")
		if n := countRows(t, db, "SELECT COUNT(*) FROM dos_dossier"); n != 0 {
			t.Fatalf("%d dossiers after a refused file", n)
		}
		in.Uploads = in.Uploads[:1]
		d, _, err := s.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Documents) != 1 || d.Documents[0].Name != "de-nghi.pdf" || d.Documents[0].Source != SourceUpload {
			t.Fatalf("documents: %+v", d.Documents)
		}
		for _, m := range d.MissingDocuments {
			if m == "giay-de-nghi" {
				t.Fatal("the declaration, which is the e-form, is listed as missing")
			}
		}
		again, replayed, err := s.Create(ctx, in)
		if err != nil || !replayed || again.Code != d.Code || len(again.Documents) != 1 {
			t.Fatalf("replay: %v %v %s %d", err, replayed, again.Code, len(again.Documents))
		}
		if errs := s.CheckForm(ctx, "1.001612", householdForm(citizen)); len(errs) != 0 {
			t.Fatalf("a good form: %+v", errs)
		}
		if errs := s.CheckForm(ctx, "1.001612", []byte(`{"applicant_id":"x"}`)); len(errs) == 0 {
			t.Fatal("a bad form passed")
		}
		if errs := s.CheckForm(ctx, "9.999999", []byte(`{}`)); len(errs) != 1 || errs[0].Code != "procedure.not_found" {
			t.Fatalf("unknown procedure: %+v", errs)
		}
	})
}

// TestSeedDemoHistory: the demo's history is filed through the engine in
// the months before now, with a mix of outcomes, once.
func TestSeedDemoHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := at(2026, 11, 23, 10, 0)
		s, _ := setup(t, db, now)
		n, err := s.SeedDemoHistory(ctx, []string{agencyA, agencyB}, 3, 10, now)
		if err != nil || n < 60 || n > 70 {
			t.Fatalf("seeded %d: %v", n, err)
		}
		if again, err := s.SeedDemoHistory(ctx, []string{agencyA}, 3, 10, now); err != nil || again != 0 {
			t.Fatalf("seeded again: %d %v", again, err)
		}
		if c := countRows(t, db, "SELECT COUNT(*) FROM dos_dossier WHERE received_at >= ? AND agency = ?", micros(at(2026, 11, 1, 0, 0)), agencyA); c != 0 {
			t.Fatalf("%d dossiers in the current month at the demo ward", c)
		}
		if c := countRows(t, db, "SELECT COUNT(*) FROM dos_dossier WHERE received_at >= ?", micros(now)); c != 0 {
			t.Fatalf("%d dossiers filed after now", c)
		}
		for _, st := range []Status{StatusReturned, StatusRejected} {
			if c := countRows(t, db, "SELECT COUNT(*) FROM dos_dossier WHERE status = ?", int(st)); c == 0 {
				t.Errorf("no dossier in status %d", st)
			}
		}
		if c := countRows(t, db, "SELECT COUNT(*) FROM dos_dossier WHERE rating > 0"); c == 0 {
			t.Error("no rating")
		}
		if c := countRows(t, db, "SELECT COUNT(*) FROM dos_dossier WHERE finished_at > due_at"); c == 0 {
			t.Error("no late dossier")
		}
		if c := countRows(t, db, "SELECT COUNT(*) FROM dos_event WHERE at >= ?", micros(now)); c != 0 {
			t.Errorf("%d events at or after now", c)
		}
	})
}
