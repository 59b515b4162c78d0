package dossier

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// demoHistoryKey prefixes the idempotency keys of the demo's history, so
// that a restart finds it and files nothing again.
const demoHistoryKey = "demo-history-"

// SeedDemoHistory gives a demo months of history: perAgency birth
// registrations a month at each agency, over the months before now and
// the current month up to now (except at the demo ward, DemoAgency, whose
// desk the demo's walkthrough uses),
// filed and handled through this engine (its workflow, calendar and
// events) with its clock set back, by applicants of the synthetic
// population (no contact details, so nobody is notified). Most are
// handled on time; some need a supplement, some are late, a few are
// refused; about half are rated. The outcomes come from a fixed seed. A
// demo that already has its history gets nothing new. It returns how many
// dossiers it filed.
func (s *Service) SeedDemoHistory(ctx context.Context, agencies []string, months, perAgency int, now time.Time) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM dos_dossier WHERE idem_key LIKE ?", demoHistoryKey+"%").Scan(&n); err != nil {
		return 0, fmt.Errorf("dossier: demo history: %w", err)
	}
	if n > 0 {
		return 0, nil
	}
	clk := &demoClock{}
	h := New(s.db, s.procs, s.cal)
	h.now = clk.now
	loc := s.cal.Location()
	rng := rand.New(rand.NewPCG(766, 2022))
	filed := 0
	for m := months; m >= 0; m-- {
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -m, 0)
		days := first.AddDate(0, 1, 0).Sub(first).Hours() / 24
		for ai, agency := range agencies {
			if m == 0 && agency == DemoAgency {
				continue // the demo ward's desk starts the current month with only what people file
			}
			for i := 0; i < perAgency; i++ {
				// A working day of the month, during office hours.
				t := first.AddDate(0, 0, rng.IntN(int(days)))
				for !s.cal.IsWorkingDay(t) {
					t = t.AddDate(0, 0, 1)
				}
				for t.Month() != first.Month() || !s.cal.IsWorkingDay(t) {
					t = t.AddDate(0, 0, -1) // rolled past the month's end: its last working day
				}
				t = t.Add(time.Duration(8*60+rng.IntN(8*60)) * time.Minute)
				if !t.Before(now) {
					continue
				}
				filed++
				applicant := fmt.Sprintf("0010%02d%06d", ai%100, filed%1000000)
				if err := h.demoDossier(ctx, clk, rng, agency, applicant, fmt.Sprintf("%s%d", demoHistoryKey, filed), t, now); err != nil {
					return filed, err
				}
			}
		}
	}
	return filed, nil
}

type demoClock struct{ t time.Time }

func (c *demoClock) now() time.Time { return c.t }

// demoDossier files one dossier at t and takes it as far as its outcome
// allows before end.
func (s *Service) demoDossier(ctx context.Context, clk *demoClock, rng *rand.Rand, agency, applicant, key string, t, end time.Time) error {
	b, _ := json.Marshal(map[string]any{
		"applicant_id": applicant, "applicant_full_name": "Người nộp hồ sơ mẫu", "applicant_birth_date": "1990-01-01",
		"applicant_permanent_commune": "00004", "applicant_permanent_street": "Địa chỉ mẫu",
		"applicant_relation": "mother", "child_full_name": "Trẻ mẫu", "child_birth_date": t.AddDate(0, 0, -20).Format("2006-01-02"), "child_sex": "male",
		"child_ethnicity": "01", "child_nationality": "VN", "birth_place_commune": "00004", "birth_place_detail": "Cơ sở y tế mẫu",
		"parents_married": true, "copies_requested": 1,
	})
	ch := ChannelOnline
	if rng.IntN(3) == 0 {
		ch = ChannelInPerson
	}
	clk.t = t
	d, _, err := s.Create(ctx, CreateRequest{Procedure: demoProcedure, Agency: agency, Channel: ch, Form: b, ApplicantID: applicant, CreatedBy: applicant, IdempotencyKey: key})
	if err != nil {
		return fmt.Errorf("dossier: demo history: file: %w", err)
	}
	who := Official{ID: "demo-history", Agency: agency, Roles: []string{RoleReceptionist, RoleSpecialist, RoleLeader}}
	step := func(after time.Duration, action, note string) error {
		clk.t = clk.t.Add(after)
		if !clk.t.Before(end) {
			return errStop
		}
		d, err = s.Act(ctx, who, d.Code, action, note, d.Version)
		return err
	}
	roll := rng.IntN(100)
	err = func() error {
		if roll < 3 {
			return step(time.Hour, ActionRefuse, "Hồ sơ không thuộc thẩm quyền giải quyết")
		}
		if err := step(time.Duration(10+rng.IntN(120))*time.Minute, ActionAccept, ""); err != nil {
			return err
		}
		if roll < 15 {
			if err := step(2*time.Hour, ActionSupplement, "Bổ sung bản sao giấy chứng sinh rõ nét"); err != nil {
				return err
			}
			clk.t = clk.t.Add(time.Duration(24+rng.IntN(48)) * time.Hour)
			if !clk.t.Before(end) {
				return errStop
			}
			if d, err = s.Supplement(ctx, applicant, d.Code, "Đã bổ sung", nil); err != nil {
				return err
			}
		}
		if err := step(time.Duration(30+rng.IntN(90))*time.Minute, ActionForward, ""); err != nil {
			return err
		}
		wait := time.Duration(30+rng.IntN(120)) * time.Minute
		if roll >= 15 && roll < 25 {
			// Late: approved a day or two after the appointment.
			wait = d.DueAt.Sub(clk.t) + time.Duration(24+rng.IntN(48))*time.Hour
		}
		if err := step(wait, ActionApprove, ""); err != nil {
			return err
		}
		if err := step(time.Duration(1+rng.IntN(4))*time.Hour, ActionDeliver, ""); err != nil {
			return err
		}
		if rng.IntN(2) == 0 {
			return nil
		}
		rating, reason := RatingVerySatisfied, ""
		switch r := rng.IntN(20); {
		case r == 0:
			rating, reason = RatingNotSatisfied, "Phải đi lại nhiều lần"
		case r < 5:
			rating = RatingSatisfied
		}
		clk.t = clk.t.Add(time.Duration(1+rng.IntN(24)) * time.Hour)
		if !clk.t.Before(end) {
			return errStop
		}
		_, err := s.Rate(ctx, applicant, d.Code, rating, reason)
		return err
	}()
	if err != nil && err != errStop {
		return fmt.Errorf("dossier: demo history %s: %w", d.Code, err)
	}
	return nil
}

// errStop ends a demo dossier's history at the present.
var errStop = fmt.Errorf("dossier: demo history reaches the present")
