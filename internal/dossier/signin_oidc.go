package dossier

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/authn/oidcrp"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

// Officials sign in to the desk with their own account at the identity
// provider: the vn_official scope releases their agency (claim "agency")
// and roles (claim "roles"), and the desk acts with exactly those.

// Where the desk's relying party lives on the console.
const (
	DeskOIDCStartPath    = "/motcua/signin/oidc"
	DeskOIDCCallbackPath = "/motcua/signin/callback"
	DeskOIDCCookie       = "vngov_motcua_login" // a sign-in in flight
)

// DeskOIDCScopes are what the desk asks the provider for.
var DeskOIDCScopes = []string{"openid", "profile", "vn_official"}

// deskRoleOf maps the provider's official roles to the desk's.
var deskRoleOf = map[string]string{
	"onestop-receptionist": RoleReceptionist,
	"specialist":           RoleSpecialist,
	"leader":               RoleLeader,
}

// Session roles of an official signed in through the provider; values
// that may hold any character are base64url-encoded. A session without
// sessionViaOIDC is the admin token's stand-in.
const (
	sessionViaOIDC = "via:oidc"
	sessionAgency  = "agency:"
	sessionRole    = "desk:"
	sessionName    = "name:"
	sessionSub     = "sub:"
	sessionIDT     = "idt:"
)

// SetOIDC lets officials sign in to the desk with their own accounts
// through cl (nil: the admin token only). It may be called while the
// pages serve.
func (c *Component) SetOIDC(cl *oidcrp.Client) {
	if c.pages != nil {
		c.pages.oidc.Store(cl)
	}
}

func encField(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decField(s string) string {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return ""
	}
	return string(b)
}

// deskSession is what a desk session holds.
type deskSession struct {
	Official
	Name    string
	Subject string // the provider's subject
	IDToken string // for the sign-out at the provider
	OIDC    bool
}

// readSession returns the official of a session: the provider's account
// with its agency and desk roles, or the admin token's stand-in with
// every desk role at every agency.
func readSession(pr *authn.Principal) deskSession {
	if !slices.Contains(pr.Roles, sessionViaOIDC) {
		return deskSession{Official: Official{ID: pr.Subject, Agency: AnyAgency, Roles: []string{RoleReceptionist, RoleSpecialist, RoleLeader}}}
	}
	s := deskSession{OIDC: true, Official: Official{ID: pr.Subject}}
	for _, r := range pr.Roles {
		switch {
		case strings.HasPrefix(r, sessionAgency):
			s.Agency = r[len(sessionAgency):]
		case strings.HasPrefix(r, sessionRole):
			s.Roles = append(s.Roles, r[len(sessionRole):])
		case strings.HasPrefix(r, sessionName):
			s.Name = decField(r[len(sessionName):])
		case strings.HasPrefix(r, sessionSub):
			s.Subject = decField(r[len(sessionSub):])
		case strings.HasPrefix(r, sessionIDT):
			s.IDToken = r[len(sessionIDT):]
		}
	}
	return s
}

func (s deskSession) principal() *authn.Principal {
	roles := []string{sessionViaOIDC, sessionAgency + s.Agency, sessionName + encField(s.Name), sessionSub + encField(s.Subject)}
	for _, r := range s.Roles {
		roles = append(roles, sessionRole+r)
	}
	if s.IDToken != "" && len(s.IDToken) < 2500 {
		roles = append(roles, sessionIDT+s.IDToken)
	}
	return &authn.Principal{Subject: s.ID, Roles: roles}
}

// oidcStart sends the official to the provider: GET /motcua/signin/oidc?next=.
func (p *Pages) oidcStart(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	cl := p.oidc.Load()
	if cl == nil {
		http.Redirect(w, r, "/motcua/signin", http.StatusSeeOther)
		return
	}
	locale := ""
	if lang := web.Lang(r); lang != web.LangVI {
		locale = lang
	}
	if err := cl.Begin(w, r, deskNext(r.URL.Query().Get("next")), locale); err != nil {
		p.rd.RenderError(w, r, err)
	}
}

var (
	errNotOfficial = fault.New(fault.Forbidden, "motcua.signin.not_official",
		"Tài khoản này không phải tài khoản cán bộ của một cơ quan nên không dùng được trang một cửa. Hãy đăng nhập bằng tài khoản cán bộ do cơ quan cấp.",
		"the account is not an official's account of an agency")
	errNoDeskRole = fault.New(fault.Forbidden, "motcua.signin.no_desk_role",
		"Tài khoản cán bộ này chưa có vai trò nào của bộ phận một cửa (tiếp nhận, xử lý hoặc phê duyệt hồ sơ). Hãy đề nghị người quản trị của cơ quan cấp vai trò rồi đăng nhập lại.",
		"the official holds none of the desk's roles (receptionist, specialist, leader)")
)

// oidcCallback completes the sign-in: GET /motcua/signin/callback.
func (p *Pages) oidcCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ctx := r.Context()
	cl := p.oidc.Load()
	if cl == nil {
		http.Redirect(w, r, "/motcua/signin", http.StatusSeeOther)
		return
	}
	id, next, err := cl.Complete(w, r)
	if err != nil {
		reason := "error"
		if f := fault.As(err); f != nil {
			reason = f.Code
		}
		audit.Record(ctx, p.c.k.DB, deskActor(r, "anonymous").Entry("dossier.signin", "motcua", audit.Denied, map[string]any{"via": "oidc", "reason": reason}))
		p.rd.RenderError(w, r, err)
		return
	}
	s := deskSession{OIDC: true, Name: id.Name, Subject: id.Subject, IDToken: id.IDToken,
		Official: Official{ID: id.Username, Agency: id.String("agency")}}
	if s.ID == "" {
		s.ID = id.Subject
	}
	for _, role := range id.Strings("roles") {
		if d, ok := deskRoleOf[role]; ok && !slices.Contains(s.Roles, d) {
			s.Roles = append(s.Roles, d)
		}
	}
	var refusal *fault.Error
	switch {
	case s.Agency == "" || s.Agency == AnyAgency || strings.ContainsAny(s.Agency, "|,"):
		refusal = errNotOfficial
	case len(s.Roles) == 0:
		refusal = errNoDeskRole
	}
	if refusal != nil {
		audit.Record(ctx, p.c.k.DB, deskActor(r, s.ID).Entry("dossier.signin", "motcua", audit.Denied, map[string]any{"via": "oidc", "reason": refusal.Code}))
		p.rd.RenderError(w, r, refusal)
		return
	}
	if err := audit.Record(ctx, p.c.k.DB, deskActor(r, s.ID).Entry("dossier.signin", "motcua", audit.OK,
		map[string]any{"via": "oidc", "agency": s.Agency, "roles": s.Roles})); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	p.sessions.Issue(w, r, s.principal())
	if next == "" {
		next = "/motcua/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// oidcSigninURL is the sign-in page's link to the provider, or "".
func (p *Pages) oidcSigninURL(next string) string {
	if p.oidc.Load() == nil {
		return ""
	}
	return DeskOIDCStartPath + "?" + url.Values{"next": {next}}.Encode()
}

// allowProviderForms lets the desk's forms lead to the provider: the
// sign-out's redirect to the provider's end-session page follows a form
// post, to which browsers apply form-action.
func (p *Pages) allowProviderForms(w http.ResponseWriter) {
	cl := p.oidc.Load()
	if cl == nil {
		return
	}
	if o := cl.Origin(); o != "" {
		w.Header().Set("Content-Security-Policy", strings.Replace(web.ContentSecurityPolicy, "form-action 'self'", "form-action 'self' "+o, 1))
	}
}

var errInboxOtherAgency = fault.New(fault.Forbidden, "motcua.inbox.other_agency",
	"Bạn chỉ xem được hồ sơ của cơ quan mình. Hãy mở danh sách hồ sơ cần xử lý mà không chọn cơ quan khác.",
	"an official sees only their own agency's dossiers")
