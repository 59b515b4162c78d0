package monitor

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// exactScope is the scope of one agency alone, whatever its level.
func exactScope(code string) Scope { return Scope{Code: code, Level: 4, suffix: code} }

// Ranking is the index of every province (all 34, those without data
// last) and of every ministry with data, in a period: the scoreboard.
type Ranking struct {
	Period     Period  `json:"period"`
	Provinces  []Index `json:"provinces"`
	Ministries []Index `json:"ministries"`
}

// RankingOf computes the scoreboard of a period ("" for the current month).
func (s *Service) RankingOf(ctx context.Context, period string) (Ranking, error) {
	p, err := s.periodOrCurrent(period)
	if err != nil {
		return Ranking{}, err
	}
	all, err := s.indices(ctx, Scope{}, p, byL1)
	if err != nil {
		return Ranking{}, err
	}
	dir, err := s.directory(ctx)
	if err != nil {
		return Ranking{}, err
	}
	out := Ranking{Period: p, Provinces: []Index{}, Ministries: []Index{}}
	have := map[string]bool{}
	for _, ix := range all {
		have[ix.Agency] = true
		if ix.Scope == "province" {
			out.Provinces = append(out.Provinces, ix)
		} else {
			out.Ministries = append(out.Ministries, ix)
		}
	}
	for _, pr := range dir.provinces {
		if pr.Agency == "" || have[pr.Agency] {
			continue
		}
		sc, _ := ParseScope(pr.Agency)
		ix, err := s.finish(ctx, pr.Agency, sc, p, newMeasures())
		if err != nil {
			return Ranking{}, err
		}
		out.Provinces = append(out.Provinces, ix)
	}
	sortIndices(out.Provinces)
	return out, nil
}

// AgenciesOf computes the index of each agency of a scope that had
// dossiers in a period, each agency alone, best first.
func (s *Service) AgenciesOf(ctx context.Context, agency, period string) ([]Index, error) {
	sc, err := ParseScope(agency)
	if err != nil {
		return nil, err
	}
	p, err := s.periodOrCurrent(period)
	if err != nil {
		return nil, err
	}
	ms, err := measure(ctx, s.db, p, sc, byAgency, s.now())
	if err != nil {
		return nil, err
	}
	out := make([]Index, 0, len(ms))
	for code, m := range ms {
		ix, err := s.finish(ctx, code, exactScope(code), p, m)
		if err != nil {
			return nil, err
		}
		out = append(out, ix)
	}
	sortIndices(out)
	return out, nil
}

// SeriesOf computes the index of a scope for each of the months up to the
// current one, oldest first.
func (s *Service) SeriesOf(ctx context.Context, agency string, months int) ([]Index, error) {
	sc, err := ParseScope(agency)
	if err != nil {
		return nil, err
	}
	months = min(max(months, 1), 36)
	p := MonthPeriod(s.now())
	out := make([]Index, months)
	for i := months - 1; i >= 0; i-- {
		ms, err := measure(ctx, s.db, p, sc, byNone, s.now())
		if err != nil {
			return nil, err
		}
		m := ms[""]
		if m == nil {
			m = newMeasures()
		}
		if out[i], err = s.finish(ctx, sc.Code, sc, p, m); err != nil {
			return nil, err
		}
		p = p.Previous()
	}
	return out, nil
}

// ---- EMC ----

// EMC are the figures the EMC system collects: online services per level
// and agency, their use (online and total dossiers), portal visits and
// calls over the data exchange.
type EMC struct {
	Agency   string           `json:"agency"`
	Name     string           `json:"name"`
	NameEn   string           `json:"name_en"`
	Period   Period           `json:"period"`
	Agencies []AgencyServices `json:"agencies"`
	Totals   AgencyServices   `json:"totals"`
	Visits   []PageVisits     `json:"visits"`
	// VisitsTotal counts every portal page view of the period.
	VisitsTotal int64 `json:"visits_total"`
	// Exchange is null when no exchange runs where the monitor does.
	Exchange *ServiceCalls `json:"exchange"`
}

// AgencyServices are one agency's online services and their use.
type AgencyServices struct {
	Agency     string  `json:"agency"`
	Name       string  `json:"name"`
	Procedures int64   `json:"procedures"`
	Full       int64   `json:"full_online"`   // toàn trình
	Partial    int64   `json:"partly_online"` // một phần
	Offline    int64   `json:"offline"`
	Received   int64   `json:"received"`
	Online     int64   `json:"received_online"`
	OnlineRate float64 `json:"online_rate"` // percent of received filed online; 0 when none
}

func servicesOf(ix Index) AgencyServices {
	f := ix.Facts
	a := AgencyServices{Agency: ix.Agency, Name: ix.Name, Procedures: f.Procedures, Full: f.ProceduresFull, Partial: f.ProceduresPartial,
		Offline: f.Procedures - f.ProceduresFull - f.ProceduresPartial, Received: f.Received, Online: f.ReceivedOnline}
	if f.Received > 0 {
		a.OnlineRate = round(100*float64(f.ReceivedOnline)/float64(f.Received), 1)
	}
	return a
}

// EMCOf computes the EMC figures of a scope ("" for every agency) and
// period ("" for the current month).
func (s *Service) EMCOf(ctx context.Context, agency, period string) (EMC, error) {
	sc, err := ParseScope(agency)
	if err != nil {
		return EMC{}, err
	}
	p, err := s.periodOrCurrent(period)
	if err != nil {
		return EMC{}, err
	}
	dir, err := s.directory(ctx)
	if err != nil {
		return EMC{}, err
	}
	whole, err := s.IndexOf(ctx, sc.Code, p.Code)
	if err != nil {
		return EMC{}, err
	}
	e := EMC{Agency: sc.Code, Name: whole.Name, NameEn: whole.NameEn, Period: p, Totals: servicesOf(whole), Agencies: []AgencyServices{}}
	e.Totals.Agency, e.Totals.Name = sc.Code, whole.Name
	ms, err := measure(ctx, s.db, p, sc, byAgency, s.now())
	if err != nil {
		return EMC{}, err
	}
	codes := map[string]bool{}
	for code := range ms {
		codes[code] = true
	}
	for code := range dir.agencies {
		if sc.Covers(code) {
			codes[code] = true
		}
	}
	for code := range codes {
		m := ms[code]
		if m == nil {
			m = newMeasures()
		}
		ix, err := s.finish(ctx, code, exactScope(code), p, m)
		if err != nil {
			return EMC{}, err
		}
		e.Agencies = append(e.Agencies, servicesOf(ix))
	}
	sort.Slice(e.Agencies, func(i, j int) bool {
		a, b := e.Agencies[i], e.Agencies[j]
		if a.Received != b.Received {
			return a.Received > b.Received
		}
		return a.Agency < b.Agency
	})
	if e.Visits, e.VisitsTotal, err = s.visitsIn(ctx, p); err != nil {
		return EMC{}, err
	}
	if s.traffic != nil {
		to := p.To
		if now := s.now(); now.Before(to) {
			to = now
		}
		calls, err := s.traffic.Calls(ctx, p.From, to)
		if err != nil {
			return EMC{}, fmt.Errorf("monitor: exchange calls: %w", err)
		}
		if calls.Services == nil {
			calls.Services = []ServiceCount{}
		}
		e.Exchange = &calls
	}
	return e, nil
}

// ---- overdue dossiers ----

// Overdue is a dossier past its appointment and not yet handled: what the
// dashboard lists, without the applicant's personal data.
type Overdue struct {
	Code       string    `json:"code"`
	Agency     string    `json:"agency"`
	AgencyName string    `json:"agency_name"`
	Procedure  string    `json:"procedure"`
	Name       string    `json:"procedure_name"`
	Status     int       `json:"status"`
	Channel    int       `json:"channel"`
	ReceivedAt time.Time `json:"received_at"`
	DueAt      time.Time `json:"due_at"`
	DaysLate   int       `json:"days_late"` // working days past the appointment
}

// OverduePage is one page of overdue dossiers.
type OverduePage struct {
	Agency string    `json:"agency"`
	Total  int       `json:"total"`
	Items  []Overdue `json:"items"`
}

// OverdueOf lists the dossiers of a scope past their appointment now
// (those whose applicant had the turn before the appointment are not),
// the most overdue first.
func (s *Service) OverdueOf(ctx context.Context, agency string, limit, offset int) (OverduePage, error) {
	sc, err := ParseScope(agency)
	if err != nil {
		return OverduePage{}, err
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	offset = max(offset, 0)
	now := s.now()
	cond, args := sc.where("agency")
	where := "is_open = 1 AND due_at < ? AND NOT (paused_at > 0 AND paused_at <= due_at) AND " + cond
	args = append([]any{now.UnixMicro()}, args...)
	out := OverduePage{Agency: sc.Code, Items: []Overdue{}}
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM mon_dossier WHERE "+where, args...).Scan(&out.Total); err != nil {
		return out, fmt.Errorf("monitor: overdue: %w", err)
	}
	rows, err := s.db.Query(ctx, "SELECT code, agency, procedure_code, status, channel, received_at, due_at FROM mon_dossier WHERE "+where+
		" ORDER BY due_at, code LIMIT ? OFFSET ?", append(args, limit, offset)...)
	if err != nil {
		return out, fmt.Errorf("monitor: overdue: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o Overdue
		var recv, due int64
		if err := rows.Scan(&o.Code, &o.Agency, &o.Procedure, &o.Status, &o.Channel, &recv, &due); err != nil {
			return out, fmt.Errorf("monitor: overdue: %w", err)
		}
		o.ReceivedAt, o.DueAt = time.UnixMicro(recv).In(Zone), time.UnixMicro(due).In(Zone)
		o.DaysLate = max(s.f.cal.WorkingDaysBetween(o.DueAt, now), 0)
		out.Items = append(out.Items, o)
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	procs, err := s.procedures(ctx)
	if err != nil {
		return out, err
	}
	dir, err := s.directory(ctx)
	if err != nil {
		return out, err
	}
	for i := range out.Items {
		out.Items[i].Name = procs[out.Items[i].Procedure].Name
		out.Items[i].AgencyName = dir.name(out.Items[i].Agency, "vi")
	}
	return out, nil
}
