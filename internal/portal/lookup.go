package portal

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/identity/limit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/web"
)

// The public status lookup (tra cứu hồ sơ): a dossier's code and the
// applicant's personal id show where the dossier stands, without signing
// in. A code with someone else's id gets the same answer as a code that
// does not exist, and guessing is slowed down: every address may ask
// perLookupWindow times a minute, and after limit.Threshold answers of
// "not found" in a row it waits, twice as long after each further miss
// (the counts are kept in the database, shared by every node).

// lookupsPerMinute is how many lookups an address may make a minute.
const lookupsPerMinute = 30

type lookupLimiter struct {
	misses *limit.Limiter // nil: no database-backed lockout

	mu     sync.Mutex
	window int64
	counts map[string]int
	now    func() time.Time
}

func newLookupLimiter(db *store.DB) *lookupLimiter {
	l := &lookupLimiter{counts: map[string]int{}, now: time.Now}
	if db != nil {
		l.misses = limit.New(db)
	}
	return l
}

// allow counts one lookup from ip and reports whether it may go ahead.
func (l *lookupLimiter) allow(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.now().Unix() / 60
	if w != l.window {
		l.window, l.counts = w, map[string]int{}
	}
	l.counts[ip]++
	return l.counts[ip] <= lookupsPerMinute
}

func lookupKey(ip string) string { return "portal.lookup:" + ip }

var (
	personalIDRE  = regexp.MustCompile(`^[0-9]{12}$`)
	dossierCodeRE = regexp.MustCompile(`^[0-9A-Za-z.]{5,20}-[0-9]{6}-[0-9]{4,6}$`)
)

type lookupView struct {
	Code      string
	Errors    []fault.FieldError
	Status    *dossier.PublicStatus
	Tag       string
	Agency    string
	NotFound  bool
	Wait      string // how long the address must wait
	Applicant bool   // the signed-in citizen is the applicant: link to the dossier
}

func (p *Portal) renderLookup(w http.ResponseWriter, r *http.Request, status int, v lookupView) {
	lang := web.Lang(r)
	title := web.T(lang, "portal.lookup.title")
	w.Header().Set("Cache-Control", "no-store")
	p.rd.Render(w, r, status, "lookup.html", p.page(r, title, []web.Link{{Label: title, Href: "/tra-cuu"}}, v))
}

func (p *Portal) lookupPage(w http.ResponseWriter, r *http.Request) {
	p.visit("/tra-cuu")
	p.renderLookup(w, r, http.StatusOK, lookupView{Code: strings.TrimSpace(r.URL.Query().Get("ma"))})
}

// lookup answers the form. The personal id travels in the body of a POST,
// never in an address that logs and histories keep.
func (p *Portal) lookup(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		p.rd.RenderError(w, r, fault.New(fault.BadRequest, "portal.form", "Không đọc được dữ liệu gửi lên", "the form could not be read"))
		return
	}
	lang := web.Lang(r)
	v := lookupView{Code: strings.ToUpper(strings.TrimSpace(r.PostFormValue("code")))}
	id := strings.TrimSpace(r.PostFormValue("applicant_id"))
	if !dossierCodeRE.MatchString(v.Code) {
		v.Errors = append(v.Errors, fault.FieldError{Field: "code", Code: "code.format", Message: "Mã hồ sơ có dạng như 000.00.92.H26-260301-0001 (in trên giấy tiếp nhận)", Detail: "a dossier code looks like 000.00.92.H26-260301-0001"})
	}
	if !personalIDRE.MatchString(id) {
		v.Errors = append(v.Errors, fault.FieldError{Field: "applicant_id", Code: "applicant_id.format", Message: "Số định danh cá nhân gồm 12 chữ số", Detail: "the personal id has 12 digits"})
	}
	if len(v.Errors) > 0 {
		p.renderLookup(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	ip := web.ClientIP(r)
	ctx := r.Context()
	if !p.lookups.allow(ip) {
		v.Wait = waitText(lang, time.Minute)
		w.Header().Set("Retry-After", "60")
		p.renderLookup(w, r, http.StatusTooManyRequests, v)
		return
	}
	if p.lookups.misses != nil {
		if wait, err := p.lookups.misses.Check(ctx, lookupKey(ip)); err == nil && wait > 0 {
			v.Wait = waitText(lang, wait)
			w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds()+1)))
			p.renderLookup(w, r, http.StatusTooManyRequests, v)
			return
		}
	}
	st, err := p.dossiers.StatusFor(ctx, v.Code, id)
	if fault.Is(err, fault.NotFound) {
		if p.lookups.misses != nil {
			if _, err := p.lookups.misses.Fail(context.WithoutCancel(ctx), lookupKey(ip)); err != nil {
				slog.Default().Warn("portal: count lookup miss", "err", err)
			}
		}
		v.NotFound = true
		p.renderLookup(w, r, http.StatusNotFound, v)
		return
	}
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	if p.lookups.misses != nil {
		p.lookups.misses.Succeed(ctx, lookupKey(ip))
	}
	v.Status, v.Tag, v.Agency = &st, statusTag(st.Status), p.agencyName(st.Agency)
	if c, ok := p.Citizen(r); ok && c.ID == id {
		v.Applicant = true
	}
	p.renderLookup(w, r, http.StatusOK, v)
}

// waitText says how long to wait, in minutes (at least one).
func waitText(lang string, d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	return web.T(lang, "portal.lookup.wait_minutes", max(m, 1))
}
