package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/config"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/loadgen"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/procedure"
	"github.com/vngov/vngov/internal/registry/backend"
	"github.com/vngov/vngov/internal/registry/population"
)

// BenchUsers is how many citizens the benchmark simulates at once.
const BenchUsers = 200

// benchProcedure is the procedure the simulated citizens file: the copy of
// a civil-status extract (no upload needed: identity papers come from the
// population registry).
const benchProcedure = "2.000635"

// Bench measures the portal's targets in one run (issue 7: with 200
// simulated citizens, pages' time to first byte at p95 under 100 ms, and
// at least 300 submissions a second with prefill over the exchange), each
// next to its baseline:
//
//   - static: the shared stylesheet through the same server and middleware
//     (the floor of any page);
//   - pages: procedure pages, searches, the citizen's list of dossiers and
//     one of their dossiers, each citizen with a session of their own;
//   - create: the dossier engine filing the same dossier directly, without
//     the portal or the exchange;
//   - submissions: the whole filing through the portal's pages: the
//     consent (the population registry read over the exchange, from the
//     national portal's gateway to the Ministry's, message-logged at both
//     and access-logged at the registry), the e-form, the submission (the
//     dossier filed, then the filed identity data checked with the
//     registry under the dossier's code, over the exchange again).
//
// The platform runs in this process as the demo does: the hub, the
// gateways (mutual TLS between them), the registries' backend seeded with
// the demo's 10,000 citizens, the procedures database, the dossier engine
// and the portal behind the platform's middleware.
func Bench(ctx context.Context, opt loadgen.Options) (string, error) {
	if opt.Duration <= 0 {
		opt.Duration = 10 * time.Second
	}
	dir, err := os.MkdirTemp("", "vngov-bench-portal-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	base, err := exchange.FreePortBase()
	if err != nil {
		return "", err
	}
	cfg := &config.Config{DataDir: dir, DatabaseURL: opt.DatabaseURL, SQLiteSync: "full", NATSReplicas: 1, Roles: "hub,registry,procedure,dossier,portal",
		LogLevel: "error", Instance: "VN-BENCH", AdminToken: "bench", Listen: "127.0.0.1:0", RegistryAddr: fmt.Sprintf("127.0.0.1:%d", base+21)}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	slog.SetDefault(log)
	k, err := kernel.Open(ctx, cfg, log)
	if err != nil {
		return "", err
	}
	defer k.Close()
	hubMux := http.NewServeMux()
	hub := web.NewServer("hub", "127.0.0.1:0", hubMux, log)
	if err := hub.Start(); err != nil {
		return "", err
	}
	defer hub.Shutdown(context.Background())
	cfg.PublicURL = hub.URL()

	ex, _ := exchange.NewComponent(k)
	reg, _ := backend.NewComponent(k)
	proc, _ := procedure.NewComponent(k)
	dos, err := dossier.NewComponent(k)
	if err != nil {
		return "", err
	}
	dos.UseProcedures(proc.Svc)
	por, _ := NewComponent(k)
	por.Procedures, por.Dossiers = proc.Svc, dos.Svc
	inst := cfg.Instance
	mps := inst + "/GOV/" + exchange.DemoMPS + "/CSDLQGDC/"
	var portalURL string
	por.Configure = func(p *Portal) error {
		p.Registry = ExchangeRegistry{Client: &exchange.Client{Gateway: fmt.Sprintf("http://127.0.0.1:%d", base+30), As: inst + "/GOV/" + exchange.DemoGovOffice + "/CONGDVCQG",
			HTTP: loadgen.Client(BenchUsers)}, PersonService: mps + population.ServicePerson, VerifyService: mps + population.ServiceVerify}
		p.Agencies = []Agency{{Code: dossier.DemoAgency, Name: "Ủy ban nhân dân Phường Ba Đình", Level: "commune", Commune: "00004"},
			{Code: "000.00.00.H26", Name: "Ủy ban nhân dân Thành phố Hà Nội", Level: "province"}}
		return nil
	}
	if err := k.Start(ctx, ex, reg, proc, dos, por); err != nil {
		return "", err
	}
	ex.Routes(hubMux)
	demo, err := ex.RunDemo(k.Context(), exchange.DemoOptions{PortBase: base, Dir: filepath.Join(dir, "gws")})
	if err != nil {
		return "", err
	}
	hn := "http://" + demo.Gateways[inst+"/GOV/"+exchange.DemoHanoi].ClientAddr
	fmt.Println("seeding the registries (10,000 citizens) and opening their services on the exchange…")
	if _, err := reg.DemoSetup(ctx, ex, hn); err != nil {
		return "", err
	}
	p := por.Portal
	mux := http.NewServeMux()
	p.Routes(mux)
	mux.Handle(web.StaticPrefix, web.StaticHandler())
	srv := web.NewServer("portal", "127.0.0.1:0", k.Handler("portal", mux), log)
	if err := srv.Start(); err != nil {
		return "", err
	}
	defer srv.Shutdown(context.Background())
	portalURL = srv.URL()
	p.SetOIDC(OIDC{BaseURL: portalURL})

	users, err := benchUsers(ctx, k, reg, p)
	if err != nil {
		return "", err
	}
	fmt.Printf("store %s, %d citizens with sessions, %s per phase\n", k.DB.Dialect(), len(users), opt.Duration)

	// Each citizen has a few dossiers to look at.
	mine := make([][]string, len(users))
	var wg sync.WaitGroup
	errs := make(chan error, len(users))
	sem := make(chan struct{}, 16)
	for u := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			for j := range 3 {
				d, _, err := dos.Svc.Create(ctx, dossier.CreateRequest{Procedure: benchProcedure, Agency: dossier.DemoAgency, Form: users[u].form(),
					ApplicantID: users[u].id, CreatedBy: users[u].id, IdempotencyKey: fmt.Sprint("bench-seed-", j)})
				if err != nil {
					errs <- err
					return
				}
				mine[u] = append(mine[u], d.Code)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return "", fmt.Errorf("portal bench: seed dossiers: %w", err)
	}

	// The outbox relay publishes the seeded dossiers' events before the
	// measures start, so that they do not share the cores with it.
	for t0 := time.Now(); time.Since(t0) < time.Minute; time.Sleep(20 * time.Millisecond) {
		if n, err := bus.Pending(ctx, k.DB); err != nil || n == 0 {
			break
		}
		k.Relay.Kick()
	}

	httpc := loadgen.Client(BenchUsers)
	httpc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	get := func(ctx context.Context, u *benchUser, path string) (time.Duration, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", portalURL+path, nil)
		req.Header.Set("Accept", "text/html")
		if u != nil {
			req.AddCookie(u.cookie)
		}
		t0 := time.Now()
		resp, err := httpc.Do(req)
		if err != nil {
			return 0, err
		}
		ttfb := time.Since(t0)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("GET %s: %d", path, resp.StatusCode)
		}
		return ttfb, nil
	}

	// 1. Baseline: a static file through the same server.
	asset := web.AssetURL("app.css")
	static := newTTFB(BenchUsers)
	warm := min(opt.Duration/5, 2*time.Second)
	loadgen.Run(ctx, warm, BenchUsers, func(ctx context.Context, w, i int) error { _, err := get(ctx, nil, asset); return err })
	sr := loadgen.Run(ctx, opt.Duration, BenchUsers, func(ctx context.Context, w, i int) error {
		d, err := get(ctx, nil, asset)
		static.add(w, d)
		return err
	})
	fmt.Printf("baseline, the stylesheet (%d clients): %s; time to first byte p95 %.2f ms\n", BenchUsers, sr, loadgen.Ms(static.p(0.95)))

	// 2. Pages: procedures, searches, my dossiers, one of them.
	codes := []string{"1.001193", "1.000894", "2.000635", "1.004222", "1.001612", "9.900006", "1.013225", "3.000333"}
	queries := []string{"khai+sinh", "ket+hon", "thuong+tru", "giay+phep+xay+dung", "ho+kinh+doanh"}
	pages := newTTFB(BenchUsers)
	browse := func(ctx context.Context, w, i int) error {
		u := &users[w%len(users)]
		var path string
		switch i % 4 {
		case 0:
			path = "/thu-tuc/" + codes[(w+i)%len(codes)]
		case 1:
			path = "/thu-tuc?q=" + queries[(w+i)%len(queries)]
		case 2:
			path = "/ho-so"
		default:
			path = "/ho-so/" + url.PathEscape(mine[w%len(users)][i%len(mine[w%len(users)])])
		}
		d, err := get(ctx, u, path)
		pages.add(w, d)
		return err
	}
	loadgen.Run(ctx, warm, BenchUsers, browse)
	// People read a page before they open the next: each citizen waits a
	// think time of 0.5 to 1.5 s between pages. The same citizens without
	// any pause (every one of them clicking as fast as the server answers)
	// measure the pages' capacity.
	pages.reset()
	br := loadgen.Run(ctx, opt.Duration, BenchUsers, func(ctx context.Context, w, i int) error {
		// Reading first: the citizens arrive spread out, not all at once.
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(thinkTime(w, i)):
		}
		return browse(ctx, w, i)
	})
	pageP95 := pages.p(0.95)
	fmt.Printf("pages: procedure, search, my dossiers, a dossier (%d citizens, think time 0.5-1.5 s): %d pages, %.0f/s; time to first byte p50 %.2f ms, p95 %.2f ms, p99 %.2f ms\n",
		BenchUsers, br.Requests, br.RPS, loadgen.Ms(pages.p(0.5)), loadgen.Ms(pageP95), loadgen.Ms(pages.p(0.99)))
	pages.reset()
	bb := loadgen.Run(ctx, opt.Duration, BenchUsers, browse)
	busyP95 := pages.p(0.95)
	fmt.Printf("pages without think time (%d citizens clicking as fast as the pages come): %s; time to first byte p95 %.2f ms\n", BenchUsers, bb, loadgen.Ms(busyP95))

	// 3. Baseline: the engine files the same dossier directly.
	cr := loadgen.Run(ctx, opt.Duration, BenchUsers, func(ctx context.Context, w, i int) error {
		u := &users[w%len(users)]
		_, _, err := dos.Svc.Create(ctx, dossier.CreateRequest{Procedure: benchProcedure, Agency: dossier.DemoAgency, Form: u.form(), ApplicantID: u.id, CreatedBy: u.id,
			IdempotencyKey: fmt.Sprintf("bench-direct-%d-%d", w, i)})
		return err
	})
	fmt.Printf("baseline, the dossier engine's Create alone (%d clients): %s\n", BenchUsers, cr)

	// 4. Submissions through the portal, prefilled over the exchange.
	post := func(ctx context.Context, u *benchUser, path string, form url.Values) (string, error) {
		req, _ := http.NewRequestWithContext(ctx, "POST", portalURL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", portalURL)
		req.Header.Set("Accept", "text/html")
		req.AddCookie(u.cookie)
		resp, err := httpc.Do(req)
		if err != nil {
			return "", err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			return "", fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, firstMessage(string(body)))
		}
		return resp.Header.Get("Location"), nil
	}
	submit := func(ctx context.Context, w, i int) error {
		u := &users[w%len(users)]
		nop := "/thu-tuc/" + benchProcedure + "/nop"
		if _, err := post(ctx, u, nop, url.Values{"decision": {"allow"}}); err != nil {
			return err
		}
		if _, err := post(ctx, u, nop+"/to-khai", u.formValues()); err != nil {
			return err
		}
		loc, err := post(ctx, u, nop+"/xem-lai", url.Values{"declare": {"yes"}, "pay": {"desk"}})
		if err != nil {
			return err
		}
		if !strings.HasSuffix(loc, "/bien-nhan") {
			return fmt.Errorf("submission ended at %q, not at a receipt", loc)
		}
		return nil
	}
	loadgen.Run(ctx, warm, BenchUsers, submit)
	sub := loadgen.Run(ctx, opt.Duration, BenchUsers, submit)
	fmt.Printf("submissions through the portal (consent + registry read over the exchange, e-form, submission + identity check over the exchange; %d citizens): %s\n", BenchUsers, sub)
	var filedOnline int
	k.DB.QueryRow(ctx, "SELECT COUNT(*) FROM dos_dossier WHERE channel = 2").Scan(&filedOnline)
	fmt.Printf("dossiers filed online in all: %d\n", filedOnline)

	if sr.Errors+br.Errors+bb.Errors+cr.Errors+sub.Errors > 0 {
		return "", fmt.Errorf("failures: static %d (%v), pages %d (%v), busy pages %d (%v), create %d (%v), submissions %d (%v)",
			sr.Errors, sr.FirstErr, br.Errors, br.FirstErr, bb.Errors, bb.FirstErr, cr.Errors, cr.FirstErr, sub.Errors, sub.FirstErr)
	}
	return fmt.Sprintf("page_p95_ms=%.2f submit_per_s=%.0f users=%d page_busy_p95_ms=%.2f page_busy_per_s=%.0f static_p95_ms=%.2f create_per_s=%.0f submit_p95_ms=%.1f store=%s",
		loadgen.Ms(pageP95), sub.RPS, len(users), loadgen.Ms(busyP95), bb.RPS, loadgen.Ms(static.p(0.95)), cr.RPS, loadgen.Ms(sub.P95), k.DB.Dialect()), nil
}

// thinkTime is how long citizen w reads page i before the next: 0.5 to
// 1.5 s, spread so that the citizens do not click in step.
func thinkTime(w, i int) time.Duration {
	return 500*time.Millisecond + time.Duration((w*7919+i*104729)%1000)*time.Millisecond
}

// benchUser is a simulated citizen: their registry record and session.
type benchUser struct {
	id, name, birth, commune, street string
	cookie                           *http.Cookie
}

// form is the citizen's e-form of the benchmark's procedure.
func (u *benchUser) form() json.RawMessage {
	b, _ := json.Marshal(map[string]any{"applicant_id": u.id, "applicant_full_name": u.name, "applicant_birth_date": u.birth,
		"applicant_permanent_commune": u.commune, "applicant_permanent_street": u.street, "applicant_relation": "self",
		"subject_full_name": u.name, "subject_birth_date": u.birth, "event_type": "birth", "registration_commune": u.commune, "copies": 1})
	return b
}

// formValues is what the citizen's browser posts on the e-form page: the
// prefilled values as the page shows them, and what the citizen typed.
func (u *benchUser) formValues() url.Values {
	return url.Values{"agency": {dossier.DemoAgency}, "action": {"continue"},
		"form.applicant_id": {u.id}, "form.applicant_full_name": {u.name}, "form.applicant_birth_date": {u.birth},
		"form.applicant_permanent_commune": {u.commune}, "form.applicant_permanent_street": {u.street}, "form.applicant_relation": {"self"},
		"form.subject_full_name": {u.name}, "form.subject_birth_date": {u.birth}, "form.event_type": {"birth"},
		"form.registration_commune": {u.commune}, "form.copies": {"1"}}
}

// benchUsers picks BenchUsers living adults with complete records from the
// population registry and gives each a portal session.
func benchUsers(ctx context.Context, k *kernel.Kernel, reg *backend.Component, p *Portal) ([]benchUser, error) {
	rows, err := k.DB.Query(ctx, "SELECT id FROM pop_person WHERE status = 'living' AND LENGTH(birth_date) = 10 AND birth_date < '2006-01-01' ORDER BY id LIMIT ?", BenchUsers*2)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	var out []benchUser
	for _, id := range ids {
		rec, err := reg.Population.ReadUnlogged(ctx, id)
		if err != nil {
			return nil, err
		}
		if rec.Permanent.Commune == "" || rec.Permanent.Street == "" || rec.FullName == "" {
			continue
		}
		u := benchUser{id: rec.ID, name: rec.FullName, birth: rec.BirthDate, commune: rec.Permanent.Commune, street: rec.Permanent.Street}
		u.cookie = &http.Cookie{Name: sessionCookie, Value: p.auth.sessions.Encode(principal(Citizen{ID: u.id, Name: u.name, ACR: ACRLevel2}, ""), time.Now().Add(24*time.Hour))}
		out = append(out, u)
		if len(out) == BenchUsers {
			break
		}
	}
	if len(out) < BenchUsers {
		return nil, fmt.Errorf("portal bench: only %d suitable citizens in the registry", len(out))
	}
	return out, nil
}

// ttfb keeps times to first byte per worker.
type ttfb struct {
	mu  sync.Mutex
	per [][]time.Duration
}

func newTTFB(workers int) *ttfb { return &ttfb{per: make([][]time.Duration, workers)} }

func (t *ttfb) add(w int, d time.Duration) {
	if d > 0 {
		t.per[w] = append(t.per[w], d)
	}
}

func (t *ttfb) reset() {
	for i := range t.per {
		t.per[i] = t.per[i][:0]
	}
}

func (t *ttfb) p(q float64) time.Duration {
	var all []time.Duration
	for _, x := range t.per {
		all = append(all, x...)
	}
	if len(all) == 0 {
		return 0
	}
	slices.Sort(all)
	return all[min(len(all)-1, int(q*float64(len(all))))]
}

// firstMessage is the first error message of a page, for a failure report.
func firstMessage(page string) string {
	for _, marker := range []string{`class="error-message">`, `role="alert"`, `<p class="lead">`} {
		if i := strings.Index(page, marker); i >= 0 {
			s := page[i+len(marker):]
			if j := strings.Index(s, "</"); j > 0 {
				s = s[:j]
			}
			return strings.Join(strings.Fields(stripTags(s)), " ")
		}
	}
	return ""
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}
