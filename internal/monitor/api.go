package monitor

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

// API is the monitor's HTTP API (docs/api/monitor.openapi.yaml). The
// index, the scoreboard and the EMC figures are aggregates without
// personal data, open to anyone; the overdue list names dossiers and needs
// the admin credential.
type API struct {
	svc   *Service
	authn authn.Verifier
}

// NewAPI returns the API over svc; v checks the admin credential.
func NewAPI(svc *Service, v authn.Verifier) *API { return &API{svc: svc, authn: v} }

// Routes mounts the whole API.
func (a *API) Routes(mux *http.ServeMux) {
	a.PublicRoutes(mux)
	mux.HandleFunc("GET /monitor/v1/overdue", a.admin(a.overdue))
}

// PublicRoutes mounts the public part of the API: what the portal serves.
func (a *API) PublicRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /monitor/v1/index766", a.index)
	mux.HandleFunc("GET /monitor/v1/index766/ranking", a.ranking)
	mux.HandleFunc("GET /monitor/v1/index766/agencies", a.agencies)
	mux.HandleFunc("GET /monitor/v1/emc", a.emc)
	mux.Handle("/monitor/v1/", web.APINotFound)
}

// format returns the answer's format, json (default) or csv.
func format(w http.ResponseWriter, r *http.Request) (string, bool) {
	f := r.URL.Query().Get("format")
	switch f {
	case "", "json":
		return "json", true
	case "csv":
		return "csv", true
	}
	web.WriteError(w, r, fault.Invalidf([]fault.FieldError{{Field: "format", Code: "format.value",
		Message: "Định dạng phải là json hoặc csv", Detail: "format must be json or csv"}}, "bad format"))
	return "", false
}

// csvWriter starts a CSV download named name.
func csvWriter(w http.ResponseWriter, name string) *csv.Writer {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	// A byte-order mark lets spreadsheet programs read the Vietnamese text
	// as UTF-8.
	w.Write([]byte("\uFEFF"))
	return csv.NewWriter(w)
}

func fileSafe(s string) string {
	if s == "" {
		return "toan-quoc"
	}
	return strings.NewReplacer(".", "-", "/", "-").Replace(s)
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func total(t *float64) string {
	if t == nil {
		return ""
	}
	return num(*t)
}

func (a *API) index(w http.ResponseWriter, r *http.Request) {
	f, ok := format(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	ix, err := a.svc.IndexOf(r.Context(), q.Get("agency"), q.Get("period"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if f == "json" {
		web.WriteJSON(w, http.StatusOK, ix)
		return
	}
	cw := csvWriter(w, "chi-so-766-"+fileSafe(ix.Agency)+"-"+ix.Period.Code+".csv")
	WriteIndexCSV(cw, ix)
}

// WriteIndexCSV writes an index as CSV: one row per indicator, then one
// per group and the total.
func WriteIndexCSV(cw *csv.Writer, ix Index) {
	cw.Write([]string{"agency", "name", "period", "group", "indicator", "indicator_name", "points", "full_at", "numerator", "denominator", "ratio", "applicable", "score"})
	for _, g := range ix.Groups {
		for _, in := range g.Indicators {
			cw.Write([]string{ix.Agency, ix.Name, ix.Period.Code, g.Code, in.Code, in.Name, num(in.Points), num(in.FullAt),
				strconv.FormatInt(in.Numerator, 10), strconv.FormatInt(in.Denominator, 10), num(in.Ratio), strconv.FormatBool(in.Applicable), num(in.Score)})
		}
	}
	for _, g := range ix.Groups {
		cw.Write([]string{ix.Agency, ix.Name, ix.Period.Code, g.Code, "", g.Name, num(g.Points), "", "", "", "", "", num(g.Score)})
	}
	cw.Write([]string{ix.Agency, ix.Name, ix.Period.Code, "", "", "Tổng điểm", "100", "", "", "", "", "", total(ix.Total)})
	cw.Flush()
}

// writeIndicesCSV writes a list of indices, one row each, ranked.
func writeIndicesCSV(cw *csv.Writer, list []Index) {
	head := []string{"rank", "agency", "name", "province", "period", "total"}
	for _, g := range Groups {
		head = append(head, g.Code)
	}
	head = append(head, "received", "ended", "unfinished", "on_time_rate", "online_rate")
	cw.Write(head)
	for i, ix := range list {
		rank := ""
		if ix.Total != nil {
			rank = strconv.Itoa(i + 1)
		}
		row := []string{rank, ix.Agency, ix.Name, ix.Province, ix.Period.Code, total(ix.Total)}
		for _, g := range ix.Groups {
			row = append(row, num(g.Score))
		}
		rate := func(x float64) string {
			if x < 0 {
				return ""
			}
			return num(x)
		}
		row = append(row, strconv.FormatInt(ix.Facts.Received, 10), strconv.FormatInt(ix.Facts.Ended, 10), strconv.FormatInt(ix.Facts.Unfinished, 10),
			rate(ix.Facts.OnTimeRate()), rate(ix.Facts.OnlineRate()))
		cw.Write(row)
	}
	cw.Flush()
}

func (a *API) ranking(w http.ResponseWriter, r *http.Request) {
	f, ok := format(w, r)
	if !ok {
		return
	}
	rk, err := a.svc.RankingOf(r.Context(), r.URL.Query().Get("period"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if f == "json" {
		web.WriteJSON(w, http.StatusOK, rk)
		return
	}
	cw := csvWriter(w, "chi-so-766-xep-hang-"+rk.Period.Code+".csv")
	writeIndicesCSV(cw, append(append([]Index{}, rk.Provinces...), rk.Ministries...))
}

func (a *API) agencies(w http.ResponseWriter, r *http.Request) {
	f, ok := format(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	p, err := a.svc.periodOrCurrent(q.Get("period"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	list, err := a.svc.AgenciesOf(r.Context(), q.Get("agency"), p.Code)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	sc, _ := ParseScope(q.Get("agency"))
	if f == "json" {
		web.WriteJSON(w, http.StatusOK, map[string]any{"agency": sc.Code, "period": p, "items": list})
		return
	}
	cw := csvWriter(w, "chi-so-766-co-quan-"+fileSafe(sc.Code)+"-"+p.Code+".csv")
	writeIndicesCSV(cw, list)
}

func (a *API) emc(w http.ResponseWriter, r *http.Request) {
	f, ok := format(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	table := q.Get("table")
	if f == "csv" && table == "" {
		table = "agencies"
	}
	if table != "" && table != "agencies" && table != "visits" && table != "exchange" {
		web.WriteError(w, r, fault.Invalidf([]fault.FieldError{{Field: "table", Code: "table.value",
			Message: "Bảng phải là agencies, visits hoặc exchange", Detail: "table must be agencies, visits or exchange"}}, "bad table"))
		return
	}
	e, err := a.svc.EMCOf(r.Context(), q.Get("agency"), q.Get("period"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if f == "json" {
		web.WriteJSON(w, http.StatusOK, e)
		return
	}
	cw := csvWriter(w, "emc-"+table+"-"+fileSafe(e.Agency)+"-"+e.Period.Code+".csv")
	WriteEMCCSV(cw, e, table)
}

// WriteEMCCSV writes one table of the EMC figures as CSV: agencies (online
// services and their use), visits or exchange.
func WriteEMCCSV(cw *csv.Writer, e EMC, table string) {
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	switch table {
	case "visits":
		cw.Write([]string{"period", "page", "visits"})
		for _, v := range e.Visits {
			cw.Write([]string{e.Period.Code, v.Page, i64(v.Visits)})
		}
	case "exchange":
		cw.Write([]string{"period", "service", "calls", "failed"})
		if e.Exchange != nil {
			for _, s := range e.Exchange.Services {
				cw.Write([]string{e.Period.Code, s.Service, i64(s.Calls), i64(s.Failed)})
			}
		}
	default:
		cw.Write([]string{"period", "agency", "name", "procedures", "full_online", "partly_online", "offline", "received", "received_online", "online_rate"})
		for _, s := range append(append([]AgencyServices{}, e.Agencies...), e.Totals) {
			cw.Write([]string{e.Period.Code, s.Agency, s.Name, i64(s.Procedures), i64(s.Full), i64(s.Partial), i64(s.Offline), i64(s.Received), i64(s.Online), num(s.OnlineRate)})
		}
	}
	cw.Flush()
}

// admin wraps a handler that lists dossiers: it needs the admin credential,
// and every read and refusal is audited.
func (a *API) admin(next func(w http.ResponseWriter, r *http.Request, who audit.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who := audit.Actor{Subject: "anonymous", SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
		p, err := a.authn.Verify(r)
		if err != nil {
			audit.Record(r.Context(), a.svc.db, who.Entry("monitor.read", strings.TrimPrefix(r.URL.Path, "/monitor/v1/"), audit.Denied, nil))
			web.WriteError(w, r, err)
			return
		}
		who.Subject = p.Subject
		next(w, r, who)
	}
}

func (a *API) overdue(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	f, ok := format(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	if _, err := ParseScope(q.Get("agency")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	// The read is audited before anything is shown.
	if err := audit.Record(r.Context(), a.svc.db, who.Entry("monitor.read", "overdue", audit.OK, map[string]any{"agency": q.Get("agency"), "via": "api"})); err != nil {
		web.WriteError(w, r, err)
		return
	}
	page, err := a.svc.OverdueOf(r.Context(), q.Get("agency"), limit, offset)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if f == "json" {
		w.Header().Set("Cache-Control", "no-store")
		web.WriteJSON(w, http.StatusOK, page)
		return
	}
	cw := csvWriter(w, "ho-so-qua-han-"+fileSafe(page.Agency)+"-"+time.Now().In(Zone).Format("20060102")+".csv")
	WriteOverdueCSV(cw, page.Items)
}

// WriteOverdueCSV writes overdue dossiers as CSV.
func WriteOverdueCSV(cw *csv.Writer, items []Overdue) {
	cw.Write([]string{"code", "agency", "agency_name", "procedure", "procedure_name", "status", "channel", "received_at", "due_at", "days_late"})
	for _, o := range items {
		cw.Write([]string{o.Code, o.Agency, o.AgencyName, o.Procedure, o.Name, strconv.Itoa(o.Status), strconv.Itoa(o.Channel),
			o.ReceivedAt.Format(time.RFC3339), o.DueAt.Format(time.RFC3339), fmt.Sprint(o.DaysLate)})
	}
	cw.Flush()
}
