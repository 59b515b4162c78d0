package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

// The Service is the op.Storage of the provider, with client credentials
// and session termination from the request.
var (
	_ op.Storage                        = (*Service)(nil)
	_ op.ClientCredentialsStorage       = (*Service)(nil)
	_ op.CanSetUserinfoFromRequest      = (*Service)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*Service)(nil)
	_ op.CanTerminateSessionFromRequest = (*Service)(nil)
)

// ---------------------------------------------------------------- clients

// opClient is a registry client as op sees it.
type opClient struct {
	c       Client
	idToken time.Duration
}

var _ op.Client = (*opClient)(nil)

func (o *opClient) GetID() string                    { return o.c.ID }
func (o *opClient) RedirectURIs() []string           { return o.c.RedirectURIs }
func (o *opClient) PostLogoutRedirectURIs() []string { return o.c.PostLogoutRedirectURIs }
func (o *opClient) ApplicationType() op.ApplicationType {
	if o.c.Type == Public {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}
func (o *opClient) AuthMethod() oidc.AuthMethod {
	switch o.c.AuthMethod {
	case AuthPrivateKeyJWT:
		return oidc.AuthMethodPrivateKeyJWT
	case AuthNone:
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}
func (o *opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (o *opClient) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, 0, len(o.c.GrantTypes))
	for _, g := range o.c.GrantTypes {
		out = append(out, oidc.GrantType(g))
	}
	return out
}
func (o *opClient) LoginURL(id string) string            { return "/login?authRequestID=" + url.QueryEscape(id) }
func (o *opClient) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (o *opClient) IDTokenLifetime() time.Duration       { return o.idToken }
func (o *opClient) DevMode() bool                        { return false }
func (o *opClient) IsScopeAllowed(scope string) bool     { return o.c.Allows(scope) }
func (o *opClient) IDTokenUserinfoClaimsAssertion() bool { return true }
func (o *opClient) ClockSkew() time.Duration             { return 0 }
func (o *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (o *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// GetClientByClientID implements op.Storage.
func (s *Service) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.activeClient(ctx, id)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return nil, err
		}
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return &opClient{c: c, idToken: s.Life.IDToken}, nil
}

// AuthorizeClientIDSecret implements op.Storage: client_secret_basic.
func (s *Service) AuthorizeClientIDSecret(ctx context.Context, id, sec string) error {
	c, err := s.activeClient(ctx, id)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return err
		}
		return oidc.ErrServerError().WithParent(err)
	}
	if c.AuthMethod != AuthSecretBasic || !c.checkSecret(sec) {
		s.clientAuthFailed(ctx, id, "wrong client secret or method")
		return errors.New("invalid client credentials")
	}
	return nil
}

func (s *Service) clientAuthFailed(ctx context.Context, id, reason string) {
	audit.Record(ctx, s.db, actorOf(ctx, "client:"+id).Entry("identity.client.auth", "identity/clients/"+id, audit.Denied, map[string]any{"reason": reason}))
}

// ClientCredentials implements op.ClientCredentialsStorage for
// client_secret_basic; private_key_jwt is handled before op sees the
// request (see tokenEndpoint).
func (s *Service) ClientCredentials(ctx context.Context, id, sec string) (op.Client, error) {
	if err := s.AuthorizeClientIDSecret(ctx, id, sec); err != nil {
		return nil, err
	}
	return s.GetClientByClientID(ctx, id)
}

// ccRequest is a client_credentials token request: the client is the
// subject.
type ccRequest struct {
	clientID string
	scopes   []string
}

func (r *ccRequest) GetSubject() string    { return r.clientID }
func (r *ccRequest) GetAudience() []string { return []string{r.clientID} }
func (r *ccRequest) GetScopes() []string   { return r.scopes }

// ClientCredentialsTokenRequest implements op.ClientCredentialsStorage.
// The scopes must be among those the client is allowed; the person-
// related ones mean nothing without a person and are refused.
func (s *Service) ClientCredentialsTokenRequest(ctx context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	c, err := s.activeClient(ctx, clientID)
	if err != nil {
		return nil, oidc.ErrInvalidClient().WithParent(err)
	}
	for _, sc := range scopes {
		if personScope(sc) || !c.Allows(sc) {
			return nil, oidc.ErrInvalidScope().WithDescription("scope %q is not allowed for client_credentials", sc)
		}
	}
	return &ccRequest{clientID: clientID, scopes: scopes}, nil
}

// GetKeyByIDAndClientID implements op.Storage: the public key a client
// registered for private_key_jwt.
func (s *Service) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	c, err := s.activeClient(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if c.AuthMethod != AuthPrivateKeyJWT {
		return nil, errors.New("client " + clientID + " does not authenticate with private_key_jwt")
	}
	return c.publicKey(keyID)
}

// ValidateJWTProfileScopes implements op.Storage. The JWT bearer grant is
// not offered (tokenEndpoint refuses it).
func (s *Service) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnsupportedGrantType()
}

// Health implements op.Storage.
func (s *Service) Health(ctx context.Context) error { return s.db.Ping(ctx) }

// ---------------------------------------------------------------- auth requests

// storedRequest is what is kept of an authorization request.
type storedRequest struct {
	Scopes              []string `json:"scopes"`
	ResponseType        string   `json:"response_type"`
	ResponseMode        string   `json:"response_mode,omitempty"`
	RedirectURI         string   `json:"redirect_uri"`
	State               string   `json:"state,omitempty"`
	Nonce               string   `json:"nonce,omitempty"`
	Prompt              []string `json:"prompt,omitempty"`
	MaxAge              *uint    `json:"max_age,omitempty"`
	LoginHint           string   `json:"login_hint,omitempty"`
	ACRValues           []string `json:"acr_values,omitempty"`
	CodeChallenge       string   `json:"code_challenge,omitempty"`
	CodeChallengeMethod string   `json:"code_challenge_method,omitempty"`
}

// authRequest is an authorization request on its way through the sign-in.
type authRequest struct {
	ID          string
	ClientID    string
	Req         storedRequest
	HintSubject string
	AccountID   string
	SessionID   string
	Subject     string
	ACR         string
	AMR         []string
	AuthTime    time.Time
	IsDone      bool
	Created     time.Time
	Expires     time.Time
}

var _ op.AuthRequest = (*authRequest)(nil)

func (a *authRequest) GetID() string          { return a.ID }
func (a *authRequest) GetACR() string         { return a.ACR }
func (a *authRequest) GetAMR() []string       { return a.AMR }
func (a *authRequest) GetAudience() []string  { return []string{a.ClientID} }
func (a *authRequest) GetAuthTime() time.Time { return a.AuthTime }
func (a *authRequest) GetClientID() string    { return a.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.Req.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.Req.CodeChallenge, Method: oidc.CodeChallengeMethod(a.Req.CodeChallengeMethod)}
}
func (a *authRequest) GetNonce() string       { return a.Req.Nonce }
func (a *authRequest) GetRedirectURI() string { return a.Req.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType {
	return oidc.ResponseType(a.Req.ResponseType)
}
func (a *authRequest) GetResponseMode() oidc.ResponseMode {
	return oidc.ResponseMode(a.Req.ResponseMode)
}
func (a *authRequest) GetScopes() []string { return a.Req.Scopes }
func (a *authRequest) GetState() string    { return a.Req.State }
func (a *authRequest) GetSubject() string  { return a.Subject }
func (a *authRequest) Done() bool          { return a.IsDone }

// requiredLevel is the level the request needs: the client's minimum, or
// the lowest of the acr values it asked for that this provider knows
// (any of them satisfies it), whichever is higher.
func (a *authRequest) requiredLevel(c Client) int {
	lvl := 0
	for _, v := range a.Req.ACRValues {
		if l := levelOf(v); l > 0 && (lvl == 0 || l < lvl) {
			lvl = l
		}
	}
	return max(lvl, c.MinLevel, 1)
}

func (a *authRequest) hasPrompt(p string) bool { return slices.Contains(a.Req.Prompt, p) }

// CreateAuthRequest implements op.Storage.
func (s *Service) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, hintSubject string) (op.AuthRequest, error) {
	now := s.now()
	a := &authRequest{ID: newID("ar_"), ClientID: req.ClientID, HintSubject: hintSubject, Created: now, Expires: now.Add(s.Life.AuthRequest),
		Req: storedRequest{Scopes: req.Scopes, ResponseType: string(req.ResponseType), ResponseMode: string(req.ResponseMode), RedirectURI: req.RedirectURI,
			State: req.State, Nonce: req.Nonce, Prompt: req.Prompt, MaxAge: req.MaxAge, LoginHint: req.LoginHint, ACRValues: req.ACRValues,
			CodeChallenge: req.CodeChallenge, CodeChallengeMethod: string(req.CodeChallengeMethod)}}
	raw, _ := json.Marshal(a.Req)
	_, err := s.db.Exec(ctx, `INSERT INTO id_auth_request (id, client_id, request, hint_subject, account_id, session_id, subject, acr, amr, auth_time, done,
		code, code_expires_at, code_used, created_at, expires_at) VALUES (?, ?, ?, ?, '', '', '', '', '[]', 0, 0, NULL, 0, 0, ?, ?)`,
		a.ID, a.ClientID, string(raw), hintSubject, ms(now), ms(a.Expires))
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return a, nil
}

const authRequestCols = "id, client_id, request, hint_subject, account_id, session_id, subject, acr, amr, auth_time, done, created_at, expires_at"

func scanAuthRequest(row interface{ Scan(...any) error }, extra ...any) (*authRequest, error) {
	a := &authRequest{}
	var raw, amr string
	var at, created, expires int64
	var done int
	dest := append([]any{&a.ID, &a.ClientID, &raw, &a.HintSubject, &a.AccountID, &a.SessionID, &a.Subject, &a.ACR, &amr, &at, &done, &created, &expires}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(raw), &a.Req)
	a.AMR, a.AuthTime, a.IsDone, a.Created, a.Expires = parseList(amr), fromMS(at), done == 1, fromMS(created), fromMS(expires)
	return a, nil
}

var errAuthRequestGone = errors.New("the sign-in request has expired or does not exist")

func (s *Service) authRequest(ctx context.Context, q store.Querier, id string) (*authRequest, error) {
	a, err := scanAuthRequest(q.QueryRow(ctx, "SELECT "+authRequestCols+" FROM id_auth_request WHERE id = ? AND expires_at > ? AND code IS NULL", id, ms(s.now())))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errAuthRequestGone
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return a, nil
}

// AuthRequestByID implements op.Storage: a request still in the sign-in,
// or signed in and waiting for its code.
func (s *Service) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	return s.authRequest(ctx, s.db, id)
}

// SaveAuthCode implements op.Storage. A request gets one code, ever.
func (s *Service) SaveAuthCode(ctx context.Context, id, code string) error {
	res, err := s.db.Exec(ctx, "UPDATE id_auth_request SET code = ?, code_expires_at = ? WHERE id = ? AND done = 1 AND code IS NULL",
		hashToken(code), ms(s.now().Add(s.Life.Code)), id)
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return oidc.ErrInvalidRequest().WithDescription("the authorization request was used already")
	}
	return nil
}

// AuthRequestByCode implements op.Storage. A code works once: the
// exchange takes it (takeCode, with the grant it creates, after op has
// authenticated the client and checked PKCE), and presenting it again
// revokes what the first exchange issued (RFC 6749, 4.1.2).
func (s *Service) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	h := hashToken(code)
	var used int
	var codeExp int64
	a, err := scanAuthRequest(s.db.QueryRow(ctx, "SELECT "+authRequestCols+", code_used, code_expires_at FROM id_auth_request WHERE code = ?", h), &used, &codeExp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errors.New("unknown code")
	}
	if err != nil {
		return nil, err
	}
	if used == 1 {
		n, _ := s.revokeWhere(ctx, "auth_request_id = ?", "authorization code reused", a.ID)
		audit.Record(ctx, s.db, actorOf(ctx, "client:"+a.ClientID).Entry("identity.code.reuse", "identity/clients/"+a.ClientID, audit.Denied,
			map[string]any{"auth_request": a.ID, "grants_revoked": n}))
		return nil, errors.New("the code was used already: what it gave is revoked")
	}
	if s.now().UnixMilli() >= codeExp {
		return nil, errors.New("the code has expired")
	}
	return a, nil
}

// takeCode marks a request's code used, inside the transaction that
// creates its grant: of two concurrent exchanges, one fails here.
func takeCode(ctx context.Context, tx *store.Tx, authRequestID string) error {
	res, err := tx.Exec(ctx, "UPDATE id_auth_request SET code_used = 1 WHERE id = ? AND code_used = 0", authRequestID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return oidc.ErrInvalidGrant().WithDescription("the code was used already")
	}
	return nil
}

// DeleteAuthRequest implements op.Storage. The row stays a little, so
// that a replayed code is recognised (AuthRequestByCode); cleanup deletes
// it.
func (s *Service) DeleteAuthRequest(ctx context.Context, id string) error {
	_, err := s.db.Exec(ctx, "UPDATE id_auth_request SET expires_at = ? WHERE id = ? AND expires_at > ?", ms(s.now().Add(10*time.Minute)), id, ms(s.now().Add(10*time.Minute)))
	return err
}

// completeAuthRequest records who signed in for a request, at which level;
// the callback then issues the code.
func (s *Service) completeAuthRequest(ctx context.Context, a *authRequest, c Client, ss Session) error {
	sub, err := s.subjectFor(ctx, c, ss.AccountID)
	if err != nil {
		return err
	}
	res, err := s.db.Exec(ctx, "UPDATE id_auth_request SET account_id = ?, session_id = ?, subject = ?, acr = ?, amr = ?, auth_time = ?, done = 1 WHERE id = ? AND done = 0",
		ss.AccountID, ss.ID, sub, acrOf(ss.Level), jsonList(ss.AMR), ms(ss.AuthTime), a.ID)
	if err != nil {
		return fault.Wrap(err, "identity: complete auth request")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fault.New(fault.Conflict, "identity.auth_request_done", "Yêu cầu đăng nhập này đã được hoàn tất", "the request is complete already")
	}
	a.AccountID, a.SessionID, a.Subject, a.ACR, a.AMR, a.AuthTime, a.IsDone = ss.AccountID, ss.ID, sub, acrOf(ss.Level), ss.AMR, ss.AuthTime, true
	return nil
}

// ---------------------------------------------------------------- subjects

// pairwise is the sub a sector sees for an account: an HMAC of both with
// the instance's key, so sectors cannot link their users by sub.
func (s *Service) pairwise(sector, accountID string) string {
	m := hmac.New(sha256.New, s.pairwiseKey)
	m.Write([]byte("sub|" + sector + "|" + accountID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// subjectFor returns the client's sub for an account, remembering which
// account it stands for.
func (s *Service) subjectFor(ctx context.Context, c Client, accountID string) (string, error) {
	sub := s.pairwise(c.Sector, accountID)
	if _, err := s.db.Exec(ctx, "INSERT INTO id_subject (subject, account_id, sector) VALUES (?, ?, ?) ON CONFLICT (subject) DO NOTHING", sub, accountID, c.Sector); err != nil {
		return "", fault.Wrap(err, "identity: record subject")
	}
	return sub, nil
}

// accountOfSubject returns the account a pairwise sub stands for.
func (s *Service) accountOfSubject(ctx context.Context, sub string) (string, error) {
	var id string
	err := s.db.QueryRow(ctx, "SELECT account_id FROM id_subject WHERE subject = ?", sub).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errNoAccount
	}
	return id, err
}

// ---------------------------------------------------------------- grants and tokens

// grant is what one sign-in gave one client; its id prefixes the jti of
// every access token issued under it, and its refresh tokens are one
// family.
type grant struct {
	ID, AccountID, ClientID, SessionID, AuthRequestID, Subject string
	Scopes                                                     []string
	ACR                                                        string
	AMR                                                        []string
	AuthTime, Created, Expires, Revoked                        time.Time
	RevokeReason                                               string
}

const grantCols = "id, account_id, client_id, session_id, auth_request_id, subject, scopes, acr, amr, auth_time, created_at, expires_at, revoked_at, revoke_reason"

func scanGrant(row interface{ Scan(...any) error }) (*grant, error) {
	g := &grant{}
	var sc, amr string
	var at, c, e, r int64
	if err := row.Scan(&g.ID, &g.AccountID, &g.ClientID, &g.SessionID, &g.AuthRequestID, &g.Subject, &sc, &g.ACR, &amr, &at, &c, &e, &r, &g.RevokeReason); err != nil {
		return nil, err
	}
	g.Scopes, g.AMR, g.AuthTime, g.Created, g.Expires, g.Revoked = parseList(sc), parseList(amr), fromMS(at), fromMS(c), fromMS(e), fromMS(r)
	return g, nil
}

func (s *Service) grant(ctx context.Context, q store.Querier, id string) (*grant, error) {
	g, err := scanGrant(q.QueryRow(ctx, "SELECT "+grantCols+" FROM id_grant WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errors.New("unknown grant")
	}
	return g, err
}

func (g *grant) live(now time.Time) bool { return g.Revoked.IsZero() && now.Before(g.Expires) }

// grantOfJTI returns the grant id an access token's jti names, or "" for
// a client_credentials token.
func grantOfJTI(jti string) string {
	if !strings.HasPrefix(jti, "g_") {
		return ""
	}
	id, _, _ := strings.Cut(jti, ".")
	return id
}

func (s *Service) newGrant(ctx context.Context, tx *store.Tx, a *authRequest) (*grant, error) {
	if err := takeCode(ctx, tx, a.ID); err != nil {
		return nil, err
	}
	now := s.now()
	g := &grant{ID: newID("g_"), AccountID: a.AccountID, ClientID: a.ClientID, SessionID: a.SessionID, AuthRequestID: a.ID, Subject: a.Subject,
		Scopes: a.Req.Scopes, ACR: a.ACR, AMR: a.AMR, AuthTime: a.AuthTime, Created: now, Expires: now.Add(s.Life.Grant)}
	_, err := tx.Exec(ctx, "INSERT INTO id_grant ("+grantCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '')",
		g.ID, g.AccountID, g.ClientID, g.SessionID, g.AuthRequestID, g.Subject, jsonList(g.Scopes), g.ACR, jsonList(g.AMR), ms(g.AuthTime), ms(now), ms(g.Expires))
	return g, err
}

// refreshRequest is a refresh_token grant on its way.
type refreshRequest struct {
	g         *grant
	tokenHash string
	scopes    []string
}

func (r *refreshRequest) GetAMR() []string             { return r.g.AMR }
func (r *refreshRequest) GetAudience() []string        { return []string{r.g.ClientID} }
func (r *refreshRequest) GetAuthTime() time.Time       { return r.g.AuthTime }
func (r *refreshRequest) GetClientID() string          { return r.g.ClientID }
func (r *refreshRequest) GetScopes() []string          { return r.scopes }
func (r *refreshRequest) GetSubject() string           { return r.g.Subject }
func (r *refreshRequest) SetCurrentScopes(sc []string) { r.scopes = sc }
func (s *Service) accessJTI(g *grant) string           { return g.ID + "." + newToken(9) }
func (s *Service) accessExpiry() time.Time             { return s.now().Add(s.Life.AccessToken) }
func (s *Service) insertRefresh(ctx context.Context, tx *store.Tx, g *grant, scopes []string) (string, error) {
	tok := newToken(32)
	now := s.now()
	exp := min(now.Add(s.Life.RefreshToken).UnixMilli(), ms(g.Expires))
	_, err := tx.Exec(ctx, "INSERT INTO id_refresh_token (id, grant_id, scopes, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, 0)",
		hashToken(tok), g.ID, jsonList(scopes), ms(now), exp)
	return tok, err
}

// CreateAccessToken implements op.Storage: the jti of a JWT access token.
func (s *Service) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	switch r := req.(type) {
	case *authRequest:
		var g *grant
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			g, err = s.newGrant(ctx, tx, r)
			return err
		})
		if err != nil {
			return "", time.Time{}, oidc.DefaultToServerError(err, "create grant")
		}
		s.auditIssue(ctx, g, "authorization_code", false)
		return s.accessJTI(g), s.accessExpiry(), nil
	case *refreshRequest:
		return s.accessJTI(r.g), s.accessExpiry(), nil
	case *ccRequest:
		// A machine's token for its own calls releases nothing about a
		// person and is not written anywhere: issuing it touches no table,
		// so it scales with the CPU (failed client authentications are
		// audited).
		return newID("cc_"), s.accessExpiry(), nil
	}
	return "", time.Time{}, oidc.ErrUnsupportedGrantType()
}

// CreateAccessAndRefreshTokens implements op.Storage: a new grant with its
// first refresh token, or a rotation. A refresh token is used once: the
// first use marks it, a second one finds it marked and revokes the family.
func (s *Service) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	var g *grant
	var tok string
	switch r := req.(type) {
	case *authRequest:
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			if g, err = s.newGrant(ctx, tx, r); err != nil {
				return err
			}
			tok, err = s.insertRefresh(ctx, tx, g, r.Req.Scopes)
			return err
		})
		if err != nil {
			return "", "", time.Time{}, oidc.DefaultToServerError(err, "create grant")
		}
		s.auditIssue(ctx, g, "authorization_code", true)
	case *refreshRequest:
		g = r.g
		reused := false
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, "UPDATE id_refresh_token SET used_at = ? WHERE id = ? AND used_at = 0", ms(s.now()), r.tokenHash)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				reused = true
				return nil
			}
			tok, err = s.insertRefresh(ctx, tx, g, r.scopes)
			return err
		})
		if err != nil {
			return "", "", time.Time{}, oidc.ErrServerError().WithParent(err)
		}
		if reused {
			s.refreshReused(ctx, g)
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("the refresh token was used already; its grant is revoked")
		}
		s.auditIssue(ctx, g, "refresh_token", true)
	default:
		return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	return s.accessJTI(g), tok, s.accessExpiry(), nil
}

func (s *Service) auditIssue(ctx context.Context, g *grant, grantType string, refresh bool) {
	audit.Record(ctx, s.db, actorOf(ctx, "client:"+g.ClientID).Entry("identity.token.issue", accountObject(g.AccountID), audit.OK,
		map[string]any{"client": g.ClientID, "grant": g.ID, "grant_type": grantType, "scopes": g.Scopes, "acr": g.ACR, "refresh_token": refresh}))
}

// refreshReused revokes a grant whose refresh token came back after use:
// someone holds a copy.
func (s *Service) refreshReused(ctx context.Context, g *grant) {
	s.revokeWhere(ctx, "id = ?", "refresh token reused", g.ID)
	audit.Record(ctx, s.db, actorOf(ctx, "client:"+g.ClientID).Entry("identity.refresh.reuse", accountObject(g.AccountID), audit.Denied,
		map[string]any{"client": g.ClientID, "grant": g.ID}))
}

// revokeWhere revokes the live grants that match.
func (s *Service) revokeWhere(ctx context.Context, where, reason string, args ...any) (int64, error) {
	res, err := s.db.Exec(ctx, "UPDATE id_grant SET revoked_at = ?, revoke_reason = ? WHERE revoked_at = 0 AND "+where, append([]any{ms(s.now()), reason}, args...)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// TokenRequestByRefreshToken implements op.Storage.
func (s *Service) TokenRequestByRefreshToken(ctx context.Context, tok string) (op.RefreshTokenRequest, error) {
	h := hashToken(tok)
	var grantID, scopes string
	var expires, used int64
	err := s.db.QueryRow(ctx, "SELECT grant_id, scopes, expires_at, used_at FROM id_refresh_token WHERE id = ?", h).Scan(&grantID, &scopes, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errors.New("unknown refresh token")
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	g, err := s.grant(ctx, s.db, grantID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if used != 0 {
		s.refreshReused(ctx, g)
		return nil, errors.New("refresh token reused: its grant is revoked")
	}
	if !g.live(now) || now.UnixMilli() >= expires {
		return nil, errors.New("refresh token expired or revoked")
	}
	if a, err := s.Account(ctx, g.AccountID); err != nil || a.Status != Active {
		return nil, errors.New("the account is not active")
	}
	return &refreshRequest{g: g, tokenHash: h, scopes: parseList(scopes)}, nil
}

// GetRefreshTokenInfo implements op.Storage, for revocation.
func (s *Service) GetRefreshTokenInfo(ctx context.Context, clientID, tok string) (string, string, error) {
	h := hashToken(tok)
	var grantID string
	if err := s.db.QueryRow(ctx, "SELECT grant_id FROM id_refresh_token WHERE id = ?", h).Scan(&grantID); err != nil {
		return "", "", op.ErrInvalidRefreshToken
	}
	g, err := s.grant(ctx, s.db, grantID)
	if err != nil {
		return "", "", op.ErrInvalidRefreshToken
	}
	return g.Subject, "rt:" + h, nil
}

// RevokeToken implements op.Storage (RFC 7009): a refresh token revokes
// its whole grant, an access token only itself. Tokens of other clients
// are refused; unknown ones are ignored, as the RFC asks.
func (s *Service) RevokeToken(ctx context.Context, tokenOrID, subject, clientID string) *oidc.Error {
	who := actorOf(ctx, "client:"+clientID)
	if h, ok := strings.CutPrefix(tokenOrID, "rt:"); ok {
		var grantID string
		if err := s.db.QueryRow(ctx, "SELECT grant_id FROM id_refresh_token WHERE id = ?", h).Scan(&grantID); err != nil {
			return nil
		}
		g, err := s.grant(ctx, s.db, grantID)
		if err != nil {
			return nil
		}
		if g.ClientID != clientID {
			return oidc.ErrUnauthorizedClient().WithDescription("the token was not issued to this client")
		}
		if _, err := s.revokeWhere(ctx, "id = ?", "revoked by client", g.ID); err != nil {
			return oidc.ErrServerError().WithParent(err)
		}
		audit.Record(ctx, s.db, who.Entry("identity.token.revoke", accountObject(g.AccountID), audit.OK, map[string]any{"client": clientID, "grant": g.ID, "token": "refresh_token"}))
		return nil
	}
	jti := tokenOrID
	owner := subject
	object := "identity/clients/" + clientID
	if gid := grantOfJTI(jti); gid != "" {
		g, err := s.grant(ctx, s.db, gid)
		if err != nil {
			return nil
		}
		owner, object = g.ClientID, accountObject(g.AccountID)
	}
	if jti == "" || owner == "" {
		return nil
	}
	if owner != clientID {
		return oidc.ErrUnauthorizedClient().WithDescription("the token was not issued to this client")
	}
	if _, err := s.db.Exec(ctx, "INSERT INTO id_revoked_token (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING", jti, ms(s.now().Add(s.Life.AccessToken+time.Minute))); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	audit.Record(ctx, s.db, who.Entry("identity.token.revoke", object, audit.OK, map[string]any{"client": clientID, "jti": jti, "token": "access_token"}))
	return nil
}

// activeToken reports whether an access token (by jti) is still good: not
// revoked itself, and its grant (if any) live. It returns the grant.
func (s *Service) activeToken(ctx context.Context, jti string) (*grant, bool) {
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM id_revoked_token WHERE jti = ?", jti).Scan(&n); err != nil || n > 0 {
		return nil, false
	}
	gid := grantOfJTI(jti)
	if gid == "" {
		return nil, true
	}
	g, err := s.grant(ctx, s.db, gid)
	if err != nil || !g.live(s.now()) {
		return nil, false
	}
	return g, true
}

// ---------------------------------------------------------------- claims

// SetUserinfoFromScopes implements op.Storage; SetUserinfoFromRequest does
// the work.
func (s *Service) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest implements op.CanSetUserinfoFromRequest: the
// claims of the ID token.
func (s *Service) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	var accountID, sub, acr string
	switch r := req.(type) {
	case *authRequest:
		accountID, sub = r.AccountID, r.Subject
	case *refreshRequest:
		accountID, sub, acr = r.g.AccountID, r.g.Subject, r.g.ACR
	default:
		return errors.New("identity: no person behind this request")
	}
	a, err := s.Account(ctx, accountID)
	if err != nil {
		return err
	}
	fillUserinfo(info, a, sub, scopes)
	if acr != "" {
		info.AppendClaims("acr", acr)
	}
	return nil
}

// SetUserinfoFromToken implements op.Storage: the userinfo endpoint.
func (s *Service) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	g, ok := s.activeToken(ctx, tokenID)
	if !ok || g == nil || g.Subject != subject {
		return errors.New("the access token is not active or has no person")
	}
	a, err := s.Account(ctx, g.AccountID)
	if err != nil || a.Status != Active {
		return errors.New("the account is not active")
	}
	fillUserinfo(info, a, g.Subject, g.Scopes)
	// A client read a person's attributes: recorded, as every release is.
	return audit.Record(ctx, s.db, actorOf(ctx, "client:"+g.ClientID).Entry("identity.userinfo", accountObject(g.AccountID), audit.OK,
		map[string]any{"client": g.ClientID, "scopes": g.Scopes}))
}

// SetIntrospectionFromToken implements op.Storage. The introspection
// endpoint is introspect (it also answers for refresh tokens and for
// client_credentials tokens); this serves op's own, should it be used.
func (s *Service) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	g, ok := s.activeToken(ctx, tokenID)
	if !ok {
		return errors.New("token not active")
	}
	if g == nil {
		resp.Subject, resp.ClientID = subject, subject
		return nil
	}
	a, err := s.Account(ctx, g.AccountID)
	if err != nil {
		return err
	}
	info := new(oidc.UserInfo)
	fillUserinfo(info, a, g.Subject, g.Scopes)
	resp.SetUserInfo(info)
	resp.Scope, resp.ClientID, resp.Audience = g.Scopes, g.ClientID, []string{g.ClientID}
	return nil
}

// GetPrivateClaimsFromScopes implements op.Storage; GetPrivateClaimsFromRequest does the work.
func (s *Service) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest implements op.CanGetPrivateClaimsFromRequest:
// the claims of JWT access tokens beyond the registered ones: the scope,
// the assurance level, and an official's agency and roles, so that APIs
// can authorise from the token alone.
func (s *Service) GetPrivateClaimsFromRequest(ctx context.Context, req op.TokenRequest, scopes []string) (map[string]any, error) {
	claims := map[string]any{"scope": strings.Join(req.GetScopes(), " ")}
	var accountID, acr string
	var amr []string
	switch r := req.(type) {
	case *authRequest:
		accountID, acr, amr = r.AccountID, r.ACR, r.AMR
	case *refreshRequest:
		accountID, acr, amr = r.g.AccountID, r.g.ACR, r.g.AMR
	default:
		return claims, nil
	}
	claims["acr"], claims["amr"] = acr, amr
	if slices.Contains(req.GetScopes(), ScopeOfficial) {
		if a, err := s.Account(ctx, accountID); err == nil && a.Kind == Official {
			claims["agency"], claims["roles"] = a.Agency, a.Roles
		}
	}
	return claims, nil
}

// fillUserinfo sets the claims the scopes release.
func fillUserinfo(info *oidc.UserInfo, a Account, sub string, scopes []string) {
	info.Subject = sub
	has := func(sc string) bool { return slices.Contains(scopes, sc) }
	if has("profile") {
		info.Name = a.FullName
		if parts := strings.Fields(a.FullName); len(parts) > 1 {
			// Vietnamese names: family name first, given name last.
			info.FamilyName, info.GivenName = parts[0], parts[len(parts)-1]
			if len(parts) > 2 {
				info.MiddleName = strings.Join(parts[1:len(parts)-1], " ")
			}
		}
		info.Birthdate = a.BirthDate
		info.Gender = oidc.Gender(a.Sex)
		info.Locale = oidc.NewLocale(viTag)
		info.UpdatedAt = oidc.FromTime(a.Updated)
		if a.Kind == Official {
			info.PreferredUsername = a.Username
		}
	}
	if has(ScopePersonalID) && a.Kind == Citizen {
		info.AppendClaims("vn_personal_id", a.Username)
	}
	if has("email") && a.Email != "" {
		info.Email, info.EmailVerified = a.Email, oidc.Bool(a.EmailVerified)
	}
	if has("phone") && a.Phone != "" {
		info.PhoneNumber, info.PhoneNumberVerified = e164(a.Phone), oidc.Bool(a.PhoneVerified)
	}
	if has("address") && (a.Address.Street != "" || a.Address.Commune != "") {
		// The standard address claim, with the commune's code from the
		// administrative-units catalog beside the text.
		info.AppendClaims("address", map[string]any{"formatted": a.Address.Street, "street_address": a.Address.Street,
			"country": "VN", "commune_code": a.Address.Commune})
	}
	if has(ScopeEnterprises) && a.Kind == Citizen {
		ents := a.Enterprises
		if ents == nil {
			ents = []string{}
		}
		info.AppendClaims("enterprises", ents)
	}
	if has(ScopeOfficial) && a.Kind == Official {
		info.AppendClaims("agency", a.Agency)
		info.AppendClaims("roles", a.Roles)
	}
}

// e164 writes 0912345678 as +84912345678.
func e164(p string) string {
	if strings.HasPrefix(p, "0") {
		return "+84" + p[1:]
	}
	return p
}

// ---------------------------------------------------------------- sessions

// TerminateSession implements op.Storage; TerminateSessionFromRequest is
// what op calls.
func (s *Service) TerminateSession(ctx context.Context, userID, clientID string) error { return nil }

// TerminateSessionFromRequest implements op.CanTerminateSessionFromRequest
// (RP-initiated logout). With an id_token_hint whose subject is the
// browser's session, the session ends at once; without one, the person is
// asked to confirm (a page on this site), so that no other site can sign
// people out by sending them here.
func (s *Service) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	st := logoutStateOf(ctx)
	if st == nil {
		return req.RedirectURI, nil
	}
	ss, err := s.SessionByToken(ctx, st.cookie)
	if err != nil {
		// Nobody is signed in here: nothing to end.
		return req.RedirectURI, nil
	}
	if req.IDTokenHintClaims != nil && req.UserID != "" {
		if acc, err := s.accountOfSubject(ctx, req.UserID); err == nil && acc == ss.AccountID {
			if err := s.EndSession(ctx, actorOf(ctx, ss.AccountID), ss.ID, ss.AccountID, "logout requested by "+req.ClientID); err != nil {
				return "", err
			}
			st.ended = true
			return req.RedirectURI, nil
		}
	}
	return "/logout?next=" + url.QueryEscape(req.RedirectURI) + "&sig=" + s.mac("logout", req.RedirectURI), nil
}
