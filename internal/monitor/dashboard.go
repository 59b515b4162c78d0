package monitor

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

// ---------------------------------------------------------------- dashboard

// bodyView is what the dashboard shows below its choices: the part that
// live updates replace.
type bodyView struct {
	Lang      string
	Agency    string
	Name      string
	Period    Period
	Index     Index
	Overdue   OverduePage
	Agencies  []Index
	Series    []Index
	Tiles     []Tile
	SeriesSVG template.HTML
	BarsSVG   template.HTML
	TilesSVG  template.HTML
	Exchange  *ServiceCalls
	Visits    int64
	Updated   time.Time
	Links     dashLinks
}

type dashLinks struct {
	Self, Overdue, Desk                                   string
	CSVIndex, CSVAgencies, CSVRanking, CSVOverdue, CSVEMC string
}

type dashView struct {
	Who     string
	Errors  []fault.FieldError
	Scopes  []optGroup
	Periods []option
	LiveSrc string
	Body    bodyView
}

// body gathers the dashboard's figures for a scope and period.
func (p *Pages) body(ctx context.Context, lang string, sc Scope, pd Period) (bodyView, error) {
	s := p.svc
	v := bodyView{Lang: lang, Agency: sc.Code, Period: pd, Updated: s.now()}
	var err error
	if v.Index, err = s.IndexOf(ctx, sc.Code, pd.Code); err != nil {
		return v, err
	}
	v.Name = pickLang(lang, v.Index.Name, v.Index.NameEn)
	if v.Overdue, err = s.OverdueOf(ctx, sc.Code, 10, 0); err != nil {
		return v, err
	}
	if v.Agencies, err = s.AgenciesOf(ctx, sc.Code, pd.Code); err != nil {
		return v, err
	}
	if v.Series, err = s.SeriesOf(ctx, sc.Code, 12); err != nil {
		return v, err
	}
	rk, err := s.RankingOf(ctx, pd.Code)
	if err != nil {
		return v, err
	}
	e, err := s.EMCOf(ctx, sc.Code, pd.Code)
	if err != nil {
		return v, err
	}
	v.Exchange, v.Visits = e.Exchange, e.VisitsTotal
	q := func(path string, kv ...string) string {
		kv = append([]string{"agency", sc.Code, "period", pd.Code}, kv...)
		if lang == web.LangEN {
			kv = append(kv, "lang", "en")
		}
		return withQuery(path, kv...)
	}
	v.Links = dashLinks{Self: q(dashPath), Overdue: q("/dieu-hanh/qua-han"),
		CSVIndex: q("/dieu-hanh/tai-xuong", "bang", "chi-so"), CSVAgencies: q("/dieu-hanh/tai-xuong", "bang", "co-quan"),
		CSVRanking: q("/dieu-hanh/tai-xuong", "bang", "xep-hang"), CSVOverdue: q("/dieu-hanh/tai-xuong", "bang", "qua-han"),
		CSVEMC: q("/dieu-hanh/tai-xuong", "bang", "emc")}

	// Monthly index.
	labels, vals, tips := make([]string, len(v.Series)), make([]*float64, len(v.Series)), make([]string, len(v.Series))
	for i, ix := range v.Series {
		labels[i] = fmt.Sprintf("%02d/%02d", int(ix.Period.From.Month()), ix.Period.From.Year()%100)
		vals[i] = ix.Total
		tips[i] = ix.Period.Name(lang) + ": " + fmtTotal(lang, ix.Total)
	}
	v.SeriesSVG = chartBars("series", web.T(lang, "monitor.series.title", v.Name), web.T(lang, "monitor.series.desc"), labels, vals, tips)

	// Agencies.
	var rows []hbar
	for i, ix := range v.Agencies {
		if i == 15 {
			break
		}
		rows = append(rows, hbar{Label: pickLang(lang, ix.Name, ix.NameEn), Value: ix.Total, Text: fmtTotal(lang, ix.Total)})
	}
	v.BarsSVG = chartHBars("agencies", web.T(lang, "monitor.agencies.title", pd.Name(lang)), web.T(lang, "monitor.agencies.desc"), rows)

	// Provinces.
	if v.Tiles, err = p.tiles(ctx, lang, rk, func(code string) string { return q(dashPath, "agency", code) }); err != nil {
		return v, err
	}
	v.TilesSVG = tileGrid("tiles", web.T(lang, "monitor.tiles.title", pd.Name(lang)), web.T(lang, "monitor.tiles.desc"), v.Tiles)
	return v, nil
}

// tiles turns a ranking into the provinces' tiles, each linking where
// href says.
func (p *Pages) tiles(ctx context.Context, lang string, rk Ranking, href func(agency string) string) ([]Tile, error) {
	dir, err := p.svc.directory(ctx)
	if err != nil {
		return nil, err
	}
	var out []Tile
	for _, ix := range rk.Provinces {
		pr, ok := dir.province(ix.Agency)
		if !ok {
			continue
		}
		out = append(out, Tile{Province: pr, Total: ix.Total, Band: ix.Band, Href: href(ix.Agency), Text: fmtTotal(lang, ix.Total)})
	}
	return out, nil
}

func (p *Pages) dashboard(w http.ResponseWriter, r *http.Request, who string) {
	ctx, lang := r.Context(), web.Lang(r)
	sc, pd, errs := p.choice(r)
	v := dashView{Who: who, Errors: errs}
	var err error
	if v.Scopes, err = p.scopeOptions(ctx, lang, sc.Code); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v.Periods = p.periodOptions(lang, pd)
	if v.Body, err = p.body(ctx, lang, sc, pd); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v.LiveSrc = withQuery("/dieu-hanh/so-lieu", "agency", sc.Code, "period", pd.Code, "lang", map[bool]string{true: "en"}[lang == web.LangEN])
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	p.rd.Render(w, r, status, "dashboard.html", p.page(r, web.T(lang, "monitor.dashboard.title"), v))
}

// figures answers the dashboard's body alone, for the live updates.
func (p *Pages) figures(w http.ResponseWriter, r *http.Request, _ string) {
	sc, pd, errs := p.choice(r)
	if len(errs) > 0 {
		web.WriteError(w, r, fault.Invalidf(errs, "invalid choice"))
		return
	}
	v, err := p.body(r.Context(), web.Lang(r), sc, pd)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	p.rd.RenderPartial(w, r, http.StatusOK, "monBody", v)
}

// events is the dashboard's server-sent event stream: a "change" event
// whenever the monitor has applied a dossier change (at most one a
// second), and a comment every 25 seconds to keep proxies from closing it.
func (p *Pages) events(w http.ResponseWriter, r *http.Request, _ string) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 5000\n\n")
	if rc.Flush() != nil {
		return
	}
	ch, stop := p.svc.Watch()
	defer stop()
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	drain := web.Draining(r.Context())
	for {
		select {
		case <-r.Context().Done():
			return
		case <-drain:
			return
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
		case <-ch:
			fmt.Fprintf(w, "event: change\ndata: %s\n\n", p.svc.now().UTC().Format(time.RFC3339))
		}
		if rc.Flush() != nil {
			return
		}
		// Coalesce bursts: a desk acting on many dossiers makes one refresh
		// a second at most.
		select {
		case <-r.Context().Done():
			return
		case <-drain:
			return
		case <-time.After(time.Second):
		}
	}
}

// ---------------------------------------------------------------- overdue

type overdueView struct {
	Who     string
	Errors  []fault.FieldError
	Scopes  []optGroup
	Agency  string
	Name    string
	Page    OverduePage
	Pager   web.Pager
	CSV     string
	DeskURL string
}

const overduePerPage = 50

func (p *Pages) overduePage(w http.ResponseWriter, r *http.Request, who string) {
	ctx, lang := r.Context(), web.Lang(r)
	sc, _, errs := p.choice(r)
	pageNo, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pageNo = max(1, pageNo)
	// Listing dossiers is audited before anything is shown.
	if err := audit.Record(ctx, p.svc.db, actor(r, who).Entry("monitor.read", "overdue", audit.OK, map[string]any{"agency": sc.Code, "via": "page", "page": pageNo})); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v := overdueView{Who: who, Errors: errs, Agency: sc.Code}
	var err error
	if v.Scopes, err = p.scopeOptions(ctx, lang, sc.Code); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	if v.Page, err = p.svc.OverdueOf(ctx, sc.Code, overduePerPage, (pageNo-1)*overduePerPage); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	dir, err := p.svc.directory(ctx)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v.Name = dir.name(sc.Code, lang)
	en := map[bool]string{true: "en"}[lang == web.LangEN]
	pages := (v.Page.Total + overduePerPage - 1) / overduePerPage
	v.Pager = web.Pager{Page: pageNo, Pages: pages}
	if pageNo > 1 {
		v.Pager.PrevURL = withQuery("/dieu-hanh/qua-han", "agency", sc.Code, "page", strconv.Itoa(pageNo-1), "lang", en)
	}
	if pageNo < pages {
		v.Pager.NextURL = withQuery("/dieu-hanh/qua-han", "agency", sc.Code, "page", strconv.Itoa(pageNo+1), "lang", en)
	}
	v.CSV = withQuery("/dieu-hanh/tai-xuong", "bang", "qua-han", "agency", sc.Code)
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	p.rd.Render(w, r, status, "overdue.html", p.page(r, web.T(lang, "monitor.overdue.title"), v))
}

// ---------------------------------------------------------------- downloads

// download answers a CSV file: bang=chi-so (the index), co-quan (the
// agencies' indices), xep-hang (the provinces' ranking), qua-han (the
// overdue dossiers) or emc (online services and their use).
func (p *Pages) download(w http.ResponseWriter, r *http.Request, who string) {
	ctx := r.Context()
	sc, pd, errs := p.choice(r)
	table := r.URL.Query().Get("bang")
	switch table {
	case "chi-so", "co-quan", "xep-hang", "qua-han", "emc":
	default:
		errs = append(errs, fault.FieldError{Field: "bang", Code: "bang.value", Message: "Bảng tải xuống phải là chi-so, co-quan, xep-hang, qua-han hoặc emc",
			Detail: "bang must be chi-so, co-quan, xep-hang, qua-han or emc"})
	}
	if len(errs) > 0 {
		p.rd.RenderError(w, r, fault.Invalidf(errs, "invalid download"))
		return
	}
	name := func(kind string) string {
		return "dieu-hanh-" + kind + "-" + fileSafe(sc.Code) + "-" + pd.Code + ".csv"
	}
	switch table {
	case "chi-so":
		ix, err := p.svc.IndexOf(ctx, sc.Code, pd.Code)
		if err != nil {
			p.rd.RenderError(w, r, err)
			return
		}
		WriteIndexCSV(csvWriter(w, name(table)), ix)
	case "co-quan":
		list, err := p.svc.AgenciesOf(ctx, sc.Code, pd.Code)
		if err != nil {
			p.rd.RenderError(w, r, err)
			return
		}
		writeIndicesCSV(csvWriter(w, name(table)), list)
	case "xep-hang":
		rk, err := p.svc.RankingOf(ctx, pd.Code)
		if err != nil {
			p.rd.RenderError(w, r, err)
			return
		}
		writeIndicesCSV(csvWriter(w, "dieu-hanh-xep-hang-"+pd.Code+".csv"), append(append([]Index{}, rk.Provinces...), rk.Ministries...))
	case "emc":
		e, err := p.svc.EMCOf(ctx, sc.Code, pd.Code)
		if err != nil {
			p.rd.RenderError(w, r, err)
			return
		}
		WriteEMCCSV(csvWriter(w, name(table)), e, "agencies")
	case "qua-han":
		if err := audit.Record(ctx, p.svc.db, actor(r, who).Entry("monitor.read", "overdue", audit.OK, map[string]any{"agency": sc.Code, "via": "csv"})); err != nil {
			p.rd.RenderError(w, r, err)
			return
		}
		page, err := p.svc.OverdueOf(ctx, sc.Code, 500, 0)
		if err != nil {
			p.rd.RenderError(w, r, err)
			return
		}
		WriteOverdueCSV(csvWriter(w, "dieu-hanh-qua-han-"+fileSafe(sc.Code)+".csv"), page.Items)
	}
}

// ---------------------------------------------------------------- scoreboard

type boardView struct {
	Lang     string
	Errors   []fault.FieldError
	Periods  []option
	Period   Period
	Ranking  Ranking
	Tiles    []Tile
	TilesSVG template.HTML
	CSV      string
	JSON     string
}

// scoreboard is the public page of the index: every province ranked, the
// tile grid and the ministries.
func (p *Pages) scoreboard(w http.ResponseWriter, r *http.Request) {
	ctx, lang := r.Context(), web.Lang(r)
	_, pd, errs := p.choice(r)
	v := boardView{Lang: lang, Errors: errs, Period: pd, Periods: p.periodOptions(lang, pd)}
	var err error
	if v.Ranking, err = p.svc.RankingOf(ctx, pd.Code); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	en := map[bool]string{true: "en"}[lang == web.LangEN]
	if v.Tiles, err = p.tiles(ctx, lang, v.Ranking, func(code string) string {
		return withQuery(boardPath+code, "period", pd.Code, "lang", en)
	}); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v.TilesSVG = tileGrid("tiles", web.T(lang, "monitor.tiles.title", pd.Name(lang)), web.T(lang, "monitor.tiles.desc"), v.Tiles)
	v.CSV = withQuery("/monitor/v1/index766/ranking", "period", pd.Code, "format", "csv")
	v.JSON = withQuery("/monitor/v1/index766/ranking", "period", pd.Code)
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	w.Header().Set("Cache-Control", "no-cache")
	p.rd.Render(w, r, status, "scoreboard.html", p.boardPage(r, web.T(lang, "monitor.board.title"), nil, v))
}

type detailView struct {
	Lang    string
	Errors  []fault.FieldError
	Periods []option
	Index   Index
	Name    string
	Back    string
	CSV     string
	JSON    string
}

// scoreDetail is the public page of one province's, ministry's or
// agency's index, indicator by indicator.
func (p *Pages) scoreDetail(w http.ResponseWriter, r *http.Request) {
	ctx, lang := r.Context(), web.Lang(r)
	code := strings.ToUpper(r.PathValue("agency"))
	sc, err := ParseScope(code)
	if err != nil || sc.Code == "" {
		web.PageNotFound.ServeHTTP(w, r)
		return
	}
	_, pd, errs := p.choice(r)
	v := detailView{Lang: lang, Errors: errs, Periods: p.periodOptions(lang, pd)}
	if v.Index, err = p.svc.IndexOf(ctx, sc.Code, pd.Code); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v.Name = pickLang(lang, v.Index.Name, v.Index.NameEn)
	en := map[bool]string{true: "en"}[lang == web.LangEN]
	v.Back = withQuery(boardPath, "period", pd.Code, "lang", en)
	v.CSV = withQuery("/monitor/v1/index766", "agency", sc.Code, "period", pd.Code, "format", "csv")
	v.JSON = withQuery("/monitor/v1/index766", "agency", sc.Code, "period", pd.Code)
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	w.Header().Set("Cache-Control", "no-cache")
	crumbs := []web.Link{{Label: web.T(lang, "monitor.board.title"), Href: v.Back}, {Label: v.Name, Current: true}}
	p.rd.Render(w, r, status, "detail.html", p.boardPage(r, v.Name, crumbs, v))
}

func (p *Pages) boardPage(r *http.Request, title string, crumbs []web.Link, data any) *web.Page {
	lang := web.Lang(r)
	return &web.Page{Title: title, Service: web.T(lang, "monitor.board.service"), Breadcrumbs: crumbs, Data: data}
}
