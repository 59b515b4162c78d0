package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/vngov/vngov/internal/platform/fault"
)

// ContentSecurityPolicy is the policy every response carries: only this
// origin's scripts, styles, images (and data: images such as QR codes),
// forms and frames. A handler that needs more (an OIDC form_post page, a
// form that posts to another origin) sets its own header after Wrap ran.
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// Options configures Wrap.
type Options struct {
	// Logger receives the access log, panics and internal errors;
	// nil means slog.Default().
	Logger *slog.Logger
	// Component names the component in logs and in the metrics' component label.
	Component string
	// Metrics records request counts and durations; nil records none.
	Metrics *Metrics
	// CrossOrigin turns on protection against cross-site request forgery
	// (http.CrossOriginProtection) for the whole handler. Set it for
	// anything that serves browser forms.
	CrossOrigin bool
	// TrustedOrigins are origins ("https://dichvucong.example.vn") whose
	// cross-origin unsafe requests are allowed. An invalid origin makes
	// Wrap panic, as a bad ServeMux pattern does.
	TrustedOrigins []string
	// CrossOriginBypass are ServeMux patterns exempt from the protection,
	// such as an OIDC form_post callback that another site posts to.
	CrossOriginBypass []string
	// TrustProxy makes ClientIP believe the last X-Forwarded-For address,
	// the one the proxy in front of vngov saw. Set it only behind exactly
	// one such proxy; otherwise any client could choose its own address.
	TrustProxy bool
}

// requestState is what Wrap learns about a request, shared by pointer
// through the context so inner layers can report back (the route pattern).
type requestState struct {
	id    string
	ip    string
	lang  string
	route string
	log   *slog.Logger
}

type stateKey struct{}

func state(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateKey{}).(*requestState)
	return st
}

// RequestID returns the id of the request behind ctx, as echoed in the
// X-Request-Id response header, or "" outside Wrap.
func RequestID(ctx context.Context) string {
	if st := state(ctx); st != nil {
		return st.id
	}
	return ""
}

// ClientIP returns the address of the client: the host of RemoteAddr, or
// under Options.TrustProxy the last valid X-Forwarded-For address.
func ClientIP(r *http.Request) string {
	if st := state(r.Context()); st != nil {
		return st.ip
	}
	return clientIP(r, false)
}

// errPanic stands for a recovered panic, which is logged with its stack
// where it is caught and must not be logged again as an internal error.
var errPanic = errors.New("web: handler panicked")

func logger(r *http.Request) *slog.Logger {
	if st := state(r.Context()); st != nil && st.log != nil {
		return st.log
	}
	return slog.Default()
}

// Wrap returns h behind the vngov middleware, outermost first: panic
// recovery, request id, access log, security headers, cross-origin
// protection (when opts.CrossOrigin) and metrics. The access log and the
// metrics cover every request, also those the cross-origin check refuses.
// Their route label is the ServeMux pattern that matched ("unmatched" when
// none did), so h should be the *http.ServeMux or pass the request to it
// unchanged; a pattern matched by a mux nested behind http.StripPrefix is
// not seen, the outer mux's pattern is.
func Wrap(h http.Handler, opts Options) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	var inner http.Handler = routeCapture{h}
	if opts.CrossOrigin {
		inner = newCrossOrigin(inner, opts)
	}
	return &entry{next: inner, log: log, component: opts.Component, metrics: opts.Metrics, trustProxy: opts.TrustProxy}
}

// routeCapture sits directly around the mux. The mux records the matched
// pattern in r.Pattern of the very request it receives, so reading it back
// after the call (even after a panic) gives the outer layers the route
// without matching twice.
type routeCapture struct{ next http.Handler }

func (c routeCapture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := state(r.Context())
	if st != nil {
		defer func() { st.route = r.Pattern }()
	}
	c.next.ServeHTTP(w, r)
}

// entry is the outermost layer. Recovery, request id, access log, security
// headers and metrics share one context value, one response recorder and
// one clock reading instead of five nested wrappers.
type entry struct {
	next       http.Handler
	log        *slog.Logger
	component  string
	metrics    *Metrics
	trustProxy bool
}

func (e *entry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	st := &requestState{id: incomingRequestID(r), ip: clientIP(r, e.trustProxy)}
	st.log = e.log
	st.lang = resolveLang(r)
	r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))

	h := w.Header()
	h.Set("X-Request-Id", st.id)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if q := queryLang(r); q != "" && cookieLang(r) != q {
		http.SetCookie(w, langCookie(q, isHTTPS(r, e.trustProxy)))
	}

	rec := &recorder{ResponseWriter: w}
	if e.metrics != nil {
		e.metrics.begin(e.component)
	}
	completed := false
	defer func() {
		if completed {
			e.observe(r, st, rec, start)
			return
		}
		// Without a value the handler called runtime.Goexit; let it go on.
		p := recover()
		if p == nil {
			e.observe(r, st, rec, start)
			return
		}
		if p == http.ErrAbortHandler {
			e.observe(r, st, rec, start)
			panic(p)
		}
		e.log.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
			slog.String("component", e.component),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("request_id", st.id),
			slog.String("panic", fmt.Sprint(p)),
			slog.String("stack", string(debug.Stack())))
		if rec.status != 0 {
			// The status line is gone; abort so the client sees a broken
			// response rather than one that looks complete.
			e.observe(r, st, rec, start)
			panic(http.ErrAbortHandler)
		}
		respondError(rec, r, errPanic)
		e.observe(r, st, rec, start)
	}()
	e.next.ServeHTTP(rec, r)
	completed = true
}

func (e *entry) observe(r *http.Request, st *requestState, rec *recorder, start time.Time) {
	d := time.Since(start)
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	route := st.route
	if route == "" {
		route = "unmatched"
	}
	if e.metrics != nil {
		e.metrics.observe(e.component, route, r.Method, status, d)
	}
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case isProbe(route):
		level = slog.LevelDebug
	}
	if !e.log.Enabled(r.Context(), level) {
		return
	}
	e.log.LogAttrs(r.Context(), level, "http request",
		slog.String("component", e.component),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Int64("bytes", rec.bytes),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("request_id", st.id),
		slog.String("remote_ip", st.ip))
}

// isProbe tells the health and metrics scrapes apart, which arrive every few
// seconds and would drown the access log.
func isProbe(route string) bool {
	switch route {
	case "GET /healthz", "GET /readyz", "GET /metrics":
		return true
	}
	return false
}

// incomingRequestID keeps a caller's X-Request-Id when it is a short plain
// token, so one id follows a request across gateways; anything else could
// inject text into logs and is replaced.
func incomingRequestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); validRequestID(id) {
		return id
	}
	if id, err := uuid.NewV7(); err == nil {
		return id.String()
	}
	return uuid.NewString()
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

func clientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if ip := lastForwardedFor(r.Header.Values("X-Forwarded-For")); ip != "" {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().String()
	}
	return host
}

// lastForwardedFor returns the right-most address, the one appended by the
// trusted proxy itself; those to its left were written by the client.
func lastForwardedFor(values []string) string {
	for i := len(values) - 1; i >= 0; i-- {
		parts := strings.Split(values[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			s := strings.TrimSpace(parts[j])
			if s == "" {
				continue
			}
			if a, err := netip.ParseAddr(s); err == nil {
				return a.Unmap().String()
			}
			if ap, err := netip.ParseAddrPort(s); err == nil {
				return ap.Addr().Unmap().String()
			}
			return ""
		}
	}
	return ""
}

func isHTTPS(r *http.Request, trustProxy bool) bool {
	if r.TLS != nil {
		return true
	}
	return trustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// newCrossOrigin refuses unsafe cross-site browser requests. Requests that
// carry a bearer token and no cookie are let through: a browser never adds
// such a header to a forged cross-site request, and a cross-origin API
// client that sends one is the API working as intended.
func newCrossOrigin(next http.Handler, opts Options) http.Handler {
	cop := http.NewCrossOriginProtection()
	for _, o := range opts.TrustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			panic(fmt.Sprintf("web: trusted origin: %v", err))
		}
	}
	for _, p := range opts.CrossOriginBypass {
		cop.AddInsecureBypassPattern(p)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !tokenOnly(r) {
			if err := cop.Check(r); err != nil {
				respondError(w, r, fault.New(fault.Forbidden, "request.cross_origin",
					"Yêu cầu bị từ chối vì được gửi từ một trang web khác",
					"cross-origin request refused: "+err.Error()))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func tokenOnly(r *http.Request) bool {
	if len(r.Header.Values("Cookie")) > 0 {
		return false
	}
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	// Basic and other schemes that browsers resend on their own are ambient
	// credentials, as cookies are.
	return strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "DPoP")
}

// wantsHTML reports whether the client is a browser asking for a page.
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// respondError answers with an error page for browsers and a problem
// document for everything else; used where the middleware itself fails a
// request and cannot know which kind of handler it guards.
func respondError(w http.ResponseWriter, r *http.Request, err error) {
	if wantsHTML(r) {
		RenderError(w, r, err)
		return
	}
	WriteError(w, r, err)
}

// recorder remembers the status and size of a response for the access log
// and the metrics, and keeps Flush, Hijack and ResponseController working.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush sends buffered data to the client, for server-sent events.
func (w *recorder) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection over to the handler.
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap exposes the wrapped writer to http.ResponseController.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
