package monitor

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/platform/web"
)

// site serves the monitor's console routes over the golden data, as the
// demo's console does, with the platform middleware.
type site struct {
	srv *httptest.Server
	s   *Service
	c   *http.Client
}

const testToken = "test-admin-token"

func newSite(t *testing.T) *site {
	t.Helper()
	db := storetest.OpenSQLite(t)
	s := newTestService(t, db, goldenNow)
	for _, ev := range readEvents(t, "testdata/golden/events.jsonl") {
		if err := s.Apply(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(context.Background(), "audit", audit.Migrations()); err != nil {
		t.Fatal(err)
	}
	admin := authn.NewStaticToken(testToken, "admin-token")
	pages, err := NewPages(s, admin, false)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	NewAPI(s, admin).Routes(mux)
	pages.Routes(mux)
	srv := httptest.NewServer(web.Wrap(mux, web.Options{Component: "console", CrossOrigin: true, Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &site{srv: srv, s: s, c: &http.Client{Jar: jar}}
}

func (st *site) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	res, err := st.c.Get(st.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (st *site) signIn(t *testing.T) {
	t.Helper()
	res, err := st.c.PostForm(st.srv.URL+"/dieu-hanh/signin", url.Values{"token": {testToken}, "next": {"/dieu-hanh/"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/dieu-hanh/" {
		t.Fatalf("sign-in ended at %s with %d", res.Request.URL, res.StatusCode)
	}
}

func TestDashboardNeedsSignIn(t *testing.T) {
	st := newSite(t)
	st.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, _ := st.get(t, "/dieu-hanh/?agency=000.00.00.H26")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/dieu-hanh/signin?next=") {
		t.Fatalf("signed out: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, _ = st.get(t, "/dieu-hanh/su-kien")
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("event stream signed out: %d", res.StatusCode)
	}
	res, err := st.c.PostForm(st.srv.URL+"/dieu-hanh/signin", url.Values{"token": {"wrong"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), "Mã quản trị không đúng") {
		t.Errorf("wrong token: %d", res.StatusCode)
	}
}

func TestDashboard(t *testing.T) {
	st := newSite(t)
	st.signIn(t)
	res, body := st.get(t, "/dieu-hanh/?agency=000.00.00.H26&period=2026-11")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("dashboard: %d\n%s", res.StatusCode, body)
	}
	for _, want := range []string{
		`<html lang="vi">`,
		`data-figure="index">77,12</span>`, // the hand-computed November index of Hà Nội
		`Thành phố Hà Nội — Tháng 11/2026`,
		`<svg class="chart"`, `role="img"`, `<title id="series-t">`,
		`aria-label="Thành phố Hà Nội: 77,12"`, `aria-label="Tỉnh Quảng Ninh: 80"`,
		`href="/motcua/dossiers/000.00.92.H26-261125-0001"`, // D7, overdue since 02/12
		`Ủy ban nhân dân Phường Ba Đình`,
		`data-live-events="/dieu-hanh/su-kien"`,
		`/dieu-hanh/tai-xuong?agency=000.00.00.H26&amp;bang=chi-so&amp;period=2026-11`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	// D8 waits for supplements since before its appointment: not overdue.
	if strings.Contains(body, "000.00.92.H26-261123-0001") {
		t.Errorf("a dossier paused before its appointment is listed as overdue")
	}
	// The fragment the live updates fetch.
	res, body = st.get(t, "/dieu-hanh/so-lieu?agency=000.00.00.H26&period=2026-11")
	if res.StatusCode != http.StatusOK || strings.Contains(body, "<html") || !strings.Contains(body, `data-figure="index">77,12</span>`) {
		t.Errorf("fragment: %d", res.StatusCode)
	}
	// Bad choices: a plain message, the default figures.
	res, body = st.get(t, "/dieu-hanh/?agency=HANOI&period=2026-13")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Mã cơ quan &#34;HANOI&#34; không hợp lệ") || !strings.Contains(body, "Kỳ &#34;2026-13&#34; không hợp lệ") {
		t.Errorf("bad choice: %d", res.StatusCode)
	}
	// English.
	_, body = st.get(t, "/dieu-hanh/?agency=000.00.00.H26&period=2026-11&lang=en")
	if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, `data-figure="index">77.12</span>`) || !strings.Contains(body, "Thành phố Hà Nội — November 2026") {
		t.Errorf("English dashboard")
	}
}

func TestDashboardDownloads(t *testing.T) {
	st := newSite(t)
	st.signIn(t)
	res, body := st.get(t, "/dieu-hanh/tai-xuong?bang=chi-so&agency=000.00.00.H26&period=2026-11")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("index CSV: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !strings.Contains(body, "000.00.00.H26,Thành phố Hà Nội,2026-11,progress,on_time,Hồ sơ giải quyết đúng hạn,16,1,5,9,0.5556,true,8.89") ||
		!strings.Contains(body, ",Tổng điểm,100,,,,,,77.12") {
		t.Errorf("index CSV:\n%s", body)
	}
	_, body = st.get(t, "/dieu-hanh/tai-xuong?bang=qua-han&agency=000.00.00.H26")
	if !strings.Contains(body, "000.00.92.H26-261125-0001,000.00.92.H26,Ủy ban nhân dân Phường Ba Đình,1.000002") {
		t.Errorf("overdue CSV:\n%s", body)
	}
	_, body = st.get(t, "/dieu-hanh/tai-xuong?bang=xep-hang&period=2026-11")
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "1,000.00.00.H49,") || !strings.HasPrefix(lines[2], "2,000.00.00.H26,") {
		t.Errorf("ranking CSV:\n%s", body)
	}
	res, _ = st.get(t, "/dieu-hanh/tai-xuong?bang=khac")
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("unknown table: %d", res.StatusCode)
	}
}

// TestLiveEvents checks that the event stream says "change" once the
// monitor has applied a dossier change.
func TestLiveEvents(t *testing.T) {
	st := newSite(t)
	st.signIn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", st.srv.URL+"/dieu-hanh/su-kien", nil)
	res, err := st.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", res.Header.Get("Content-Type"))
	}
	rd := bufio.NewReader(res.Body)
	if line, _ := rd.ReadString('\n'); !strings.HasPrefix(line, "retry:") {
		t.Fatalf("first line %q", line)
	}
	// D8 is supplemented and approved.
	snap := map[string]any{}
	evs := readEvents(t, "testdata/golden/events.jsonl")
	for _, ev := range evs {
		if ev.Subject == "000.00.92.H26-261123-0001" {
			json.Unmarshal(ev.Data, &snap)
		}
	}
	snap["version"], snap["action"], snap["to_status"] = 4, "approve", 9
	snap["at"], snap["finished_at"] = "2026-12-15T10:00:00+07:00", "2026-12-15T10:00:00+07:00"
	data, _ := json.Marshal(snap)
	ev := evs[0]
	ev.ID, ev.Type, ev.Data = "ev-live", "dossier.approve", data
	go func() {
		time.Sleep(100 * time.Millisecond)
		st.s.Apply(context.Background(), ev)
	}()
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("no change event: %v", err)
		}
		if strings.HasPrefix(line, "event: change") {
			break
		}
	}
}

func TestOverduePage(t *testing.T) {
	st := newSite(t)
	st.signIn(t)
	res, body := st.get(t, "/dieu-hanh/qua-han?agency=000.00.92.H26")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "1 hồ sơ quá hạn") || !strings.Contains(body, `href="/motcua/dossiers/000.00.92.H26-261125-0001"`) {
		t.Errorf("overdue page: %d\n%s", res.StatusCode, body)
	}
}

func TestScoreboard(t *testing.T) {
	st := newSite(t)
	res, body := st.get(t, "/chi-so-766/?period=2026-11")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("scoreboard: %d", res.StatusCode)
	}
	i, j := strings.Index(body, "Tỉnh Quảng Ninh</a>"), strings.Index(body, "Thành phố Hà Nội</a>")
	if i < 0 || j < 0 || i > j || !strings.Contains(body, "<strong>77,12</strong>") || !strings.Contains(body, `href="/chi-so-766/000.00.00.H26?period=2026-11"`) {
		t.Errorf("scoreboard ranks Quảng Ninh (80) before Hà Nội (77,12)")
	}
	res, body = st.get(t, "/chi-so-766/000.00.00.H26?period=2026-11")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-figure="index">77,12</span>`) || !strings.Contains(body, "Hồ sơ giải quyết đúng hạn") {
		t.Errorf("detail: %d", res.StatusCode)
	}
	res, _ = st.get(t, "/chi-so-766/khong-co")
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown agency: %d", res.StatusCode)
	}
	res, body = st.get(t, "/monitor/static/monitor.css")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, ".mon-figure") {
		t.Errorf("stylesheet: %d", res.StatusCode)
	}
}
