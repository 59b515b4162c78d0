package identity

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

// Client types.
const (
	Confidential = "confidential" // a server that keeps a secret or a private key
	Public       = "public"       // an app that cannot (a native or browser app): PKCE with S256 only
)

// Client authentication methods at the token, introspection and
// revocation endpoints.
const (
	AuthSecretBasic   = "client_secret_basic"
	AuthPrivateKeyJWT = "private_key_jwt"
	AuthNone          = "none"
)

// Grant types a client may be allowed.
const (
	GrantCode              = "authorization_code"
	GrantRefresh           = "refresh_token"
	GrantClientCredentials = "client_credentials"
)

// KnownScopes are the scopes a client may be allowed.
var KnownScopes = []string{"openid", "profile", "email", "phone", "address", "offline_access", ScopePersonalID, ScopeEnterprises, ScopeOfficial}

// Client is a relying party in the client registry.
type Client struct {
	ID                     string          `json:"client_id"`
	Name                   string          `json:"name"`    // shown at consent: "Cổng Dịch vụ công quốc gia"
	Purpose                string          `json:"purpose"` // shown at consent: why it asks for the attributes
	Type                   string          `json:"type"`    // confidential | public
	AuthMethod             string          `json:"token_endpoint_auth_method"`
	RedirectURIs           []string        `json:"redirect_uris"`
	PostLogoutRedirectURIs []string        `json:"post_logout_redirect_uris"`
	GrantTypes             []string        `json:"grant_types"`
	Scopes                 []string        `json:"scopes"`    // what it may ask for
	MinLevel               int             `json:"min_level"` // the assurance level its sign-ins need at least
	JWKS                   json.RawMessage `json:"jwks,omitempty"`
	Sector                 string          `json:"sector"` // pairwise subjects are per sector: the redirect host by default
	Status                 string          `json:"status"`
	Created                time.Time       `json:"created_at"`
	Updated                time.Time       `json:"updated_at"`

	secretHash string
}

// Allows reports whether the client may ask for scope.
func (c Client) Allows(scope string) bool {
	return scope == "openid" || slices.Contains(c.Scopes, scope)
}

// HasGrant reports whether the client may use a grant type.
func (c Client) HasGrant(g string) bool { return slices.Contains(c.GrantTypes, g) }

const clientCols = "id, name, purpose, type, auth_method, secret_hash, jwks, redirect_uris, post_logout_uris, grant_types, scopes, min_level, sector, status, created_at, updated_at"

func scanClient(row interface{ Scan(...any) error }) (Client, error) {
	var c Client
	var jwks, ru, pl, gt, sc string
	var created, updated int64
	err := row.Scan(&c.ID, &c.Name, &c.Purpose, &c.Type, &c.AuthMethod, &c.secretHash, &jwks, &ru, &pl, &gt, &sc, &c.MinLevel, &c.Sector, &c.Status, &created, &updated)
	if err != nil {
		return c, err
	}
	if jwks != "" {
		c.JWKS = json.RawMessage(jwks)
	}
	c.RedirectURIs, c.PostLogoutRedirectURIs, c.GrantTypes, c.Scopes = parseList(ru), parseList(pl), parseList(gt), parseList(sc)
	c.Created, c.Updated = fromMS(created), fromMS(updated)
	return c, nil
}

func errNoClient(id string) error {
	return fault.NotFoundf("identity.client_not_found", "Không tìm thấy ứng dụng (client) "+id, "no client %q", id)
}

// Client returns the client with id, enabled or not.
func (s *Service) Client(ctx context.Context, id string) (Client, error) {
	c, err := scanClient(s.db.QueryRow(ctx, "SELECT "+clientCols+" FROM id_client WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, errNoClient(id)
	}
	if err != nil {
		return c, fault.Wrap(err, "identity: read client")
	}
	return c, nil
}

// clientTTL is how long a node keeps a client registration it read for
// the token and introspection paths, which read it several times a
// request. A change made on this node is seen at once; on other nodes of
// a cluster within clientTTL.
const clientTTL = 2 * time.Second

type cachedClient struct {
	c  Client
	at time.Time
}

// activeClient returns the client with id when it is enabled.
func (s *Service) activeClient(ctx context.Context, id string) (Client, error) {
	now := time.Now()
	if v, ok := s.clients.Load(id); ok {
		if cc := v.(cachedClient); now.Sub(cc.at) < clientTTL {
			return cc.c, nil
		}
	}
	c, err := s.Client(ctx, id)
	if err == nil && c.Status != Active {
		s.clients.Delete(id)
		return Client{}, errNoClient(id)
	}
	if err == nil {
		s.clients.Store(id, cachedClient{c: c, at: now})
	}
	return c, err
}

// forgetClient drops a client from the cache after a change.
func (s *Service) forgetClient(id string) { s.clients.Delete(id) }

// Clients lists the registry.
func (s *Service) Clients(ctx context.Context) ([]Client, error) {
	rows, err := s.db.Query(ctx, "SELECT "+clientCols+" FROM id_client ORDER BY id")
	if err != nil {
		return nil, fault.Wrap(err, "identity: list clients")
	}
	defer rows.Close()
	out := []Client{}
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, fault.Wrap(err, "identity: list clients")
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

var (
	clientIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)
	apiScopeRe = regexp.MustCompile(`^[a-z][a-z0-9_.:-]{1,63}$`)
)

// personScope reports whether a scope releases something about a person
// (and so means nothing in a client_credentials token).
func personScope(sc string) bool { return slices.Contains(KnownScopes, sc) }

// validateClient checks and completes a client's registration.
func validateClient(c *Client) []fault.FieldError {
	var errs []fault.FieldError
	add := func(field, code, vi, en string) { errs = append(errs, fieldErr(field, code, vi, en)) }
	c.Name, c.Purpose = strings.TrimSpace(c.Name), strings.TrimSpace(c.Purpose)
	if !clientIDRe.MatchString(c.ID) {
		add("client_id", "client_id.format", "Mã ứng dụng gồm 3 đến 64 chữ cái thường không dấu, chữ số, dấu chấm, gạch ngang hoặc gạch dưới", "client_id: 3-64 of a-z 0-9 . _ -")
	}
	if c.Name == "" {
		add("name", "name.required", "Hãy nhập tên ứng dụng, như người dân sẽ thấy khi đồng ý cung cấp thông tin", "name is required")
	}
	if c.Purpose == "" {
		add("purpose", "purpose.required", "Hãy nêu mục đích sử dụng thông tin, như người dân sẽ thấy khi đồng ý", "purpose is required")
	}
	if c.Type == "" {
		c.Type = Confidential
	}
	switch c.Type {
	case Confidential:
		if c.AuthMethod == "" {
			c.AuthMethod = AuthSecretBasic
		}
		if c.AuthMethod != AuthSecretBasic && c.AuthMethod != AuthPrivateKeyJWT {
			add("token_endpoint_auth_method", "auth_method.invalid", "Ứng dụng bảo mật xác thực bằng client_secret_basic hoặc private_key_jwt", "a confidential client uses client_secret_basic or private_key_jwt")
		}
	case Public:
		if c.AuthMethod == "" {
			c.AuthMethod = AuthNone
		}
		if c.AuthMethod != AuthNone {
			add("token_endpoint_auth_method", "auth_method.invalid", "Ứng dụng công khai không giữ được bí mật: phương thức xác thực phải là none (dùng PKCE S256)", "a public client uses none (with PKCE S256)")
		}
	default:
		add("type", "type.invalid", "Loại ứng dụng phải là confidential hoặc public", "type must be confidential or public")
	}
	if len(c.GrantTypes) == 0 {
		c.GrantTypes = []string{GrantCode}
	}
	for _, g := range c.GrantTypes {
		switch g {
		case GrantCode, GrantRefresh:
		case GrantClientCredentials:
			if c.Type == Public {
				add("grant_types", "grant_types.public", "Ứng dụng công khai không được dùng client_credentials", "a public client cannot use client_credentials")
			}
		default:
			add("grant_types", "grant_types.unknown", "Loại cấp quyền không được hỗ trợ: "+g, "unsupported grant type "+g)
		}
	}
	if c.HasGrant(GrantRefresh) && !c.HasGrant(GrantCode) {
		add("grant_types", "grant_types.refresh", "refresh_token chỉ dùng cùng authorization_code", "refresh_token needs authorization_code")
	}
	if c.HasGrant(GrantCode) && len(c.RedirectURIs) == 0 {
		add("redirect_uris", "redirect_uris.required", "Hãy đăng ký ít nhất một địa chỉ chuyển hướng (redirect URI)", "authorization_code needs at least one redirect URI")
	}
	for _, u := range c.RedirectURIs {
		if msg := checkRedirectURI(u); msg != "" {
			add("redirect_uris", "redirect_uris.invalid", msg+": "+u, "invalid redirect URI "+u)
		}
	}
	for _, u := range c.PostLogoutRedirectURIs {
		if msg := checkRedirectURI(u); msg != "" {
			add("post_logout_redirect_uris", "post_logout_redirect_uris.invalid", msg+": "+u, "invalid post-logout redirect URI "+u)
		}
	}
	if len(c.Scopes) == 0 {
		c.Scopes = []string{"openid"}
	}
	for _, sc := range c.Scopes {
		switch {
		case slices.Contains(KnownScopes, sc):
		case apiScopeRe.MatchString(sc) && c.HasGrant(GrantClientCredentials):
			// An API scope, for the client's own calls (client_credentials).
		case apiScopeRe.MatchString(sc):
			add("scopes", "scopes.api", "Phạm vi API "+sc+" chỉ dùng với loại cấp quyền client_credentials", "API scope "+sc+" needs the client_credentials grant")
		default:
			add("scopes", "scopes.unknown", "Phạm vi (scope) không hợp lệ: "+sc, "invalid scope "+sc)
		}
	}
	if slices.Contains(c.Scopes, "offline_access") && !c.HasGrant(GrantRefresh) {
		add("scopes", "scopes.offline", "offline_access cần loại cấp quyền refresh_token", "offline_access needs the refresh_token grant")
	}
	if c.MinLevel == 0 {
		c.MinLevel = 1
	}
	if c.MinLevel != 1 && c.MinLevel != 2 {
		add("min_level", "min_level.invalid", "Mức xác thực tối thiểu là 1 hoặc 2", "min_level is 1 or 2")
	}
	if c.AuthMethod == AuthPrivateKeyJWT {
		if msg := checkJWKS(c.JWKS); msg != "" {
			add("jwks", "jwks.invalid", msg, "jwks must hold the client's public keys for private_key_jwt")
		}
	} else if len(c.JWKS) > 0 {
		if msg := checkJWKS(c.JWKS); msg != "" {
			add("jwks", "jwks.invalid", msg, "jwks is not a valid public key set")
		}
	}
	if c.Sector == "" {
		c.Sector = c.ID
		if len(c.RedirectURIs) > 0 {
			if u, err := url.Parse(c.RedirectURIs[0]); err == nil {
				c.Sector = u.Hostname()
			}
		}
	}
	c.Sector = strings.ToLower(c.Sector)
	return errs
}

// checkRedirectURI returns why u cannot be a redirect URI, or "".
func checkRedirectURI(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || !p.IsAbs() {
		return "Địa chỉ chuyển hướng phải là một URL đầy đủ"
	}
	if p.Fragment != "" || strings.Contains(u, "#") {
		return "Địa chỉ chuyển hướng không được có phần #fragment"
	}
	switch p.Scheme {
	case "https":
	case "http":
		host := p.Hostname()
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "Chỉ địa chỉ loopback (127.0.0.1, localhost) mới được dùng http; các địa chỉ khác phải dùng https"
		}
	default:
		return "Địa chỉ chuyển hướng phải dùng https (hoặc http trên máy cục bộ)"
	}
	return ""
}

// checkJWKS returns why raw is not a set of public keys, or "".
func checkJWKS(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "Phương thức private_key_jwt cần bộ khóa công khai (JWKS) của ứng dụng"
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil || len(set.Keys) == 0 {
		return "JWKS không hợp lệ: cần một đối tượng {\"keys\": [...]} chứa ít nhất một khóa"
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || !k.Valid() {
			return "JWKS chỉ được chứa khóa công khai hợp lệ, không bao giờ chứa khóa bí mật"
		}
	}
	return ""
}

// CreateClient registers a client. A client_secret_basic client gets a new
// secret, returned once: only its hash is kept.
func (s *Service) CreateClient(ctx context.Context, who audit.Actor, c Client) (Client, string, error) {
	if errs := validateClient(&c); len(errs) > 0 {
		return Client{}, "", fault.Invalidf(errs, "client registration is not valid")
	}
	var sec string
	if c.AuthMethod == AuthSecretBasic {
		sec = newToken(32)
		c.secretHash = hashToken(sec)
	}
	now := s.now()
	c.Status, c.Created, c.Updated = Active, now, now
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO id_client ("+clientCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			c.ID, c.Name, c.Purpose, c.Type, c.AuthMethod, c.secretHash, string(c.JWKS), jsonList(c.RedirectURIs), jsonList(c.PostLogoutRedirectURIs),
			jsonList(c.GrantTypes), jsonList(c.Scopes), c.MinLevel, c.Sector, c.Status, ms(now), ms(now))
		if store.IsUniqueViolation(err) {
			return fault.New(fault.Conflict, "identity.client_exists", "Mã ứng dụng "+c.ID+" đã được đăng ký", "client "+c.ID+" exists")
		}
		if err != nil {
			return fault.Wrap(err, "identity: create client")
		}
		return audit.Record(ctx, tx, who.Entry("identity.client.create", "identity/clients/"+c.ID, audit.OK, clientDetail(c)))
	})
	s.forgetClient(c.ID)
	if err != nil {
		return Client{}, "", err
	}
	return c, sec, nil
}

// UpdateClient replaces a client's registration (not its secret).
func (s *Service) UpdateClient(ctx context.Context, who audit.Actor, c Client) (Client, error) {
	old, err := s.Client(ctx, c.ID)
	if err != nil {
		return Client{}, err
	}
	if errs := validateClient(&c); len(errs) > 0 {
		return Client{}, fault.Invalidf(errs, "client registration is not valid")
	}
	c.secretHash, c.Created, c.Updated = old.secretHash, old.Created, s.now()
	if c.Status == "" {
		c.Status = old.Status
	}
	if c.Status != Active && c.Status != Disabled {
		return Client{}, fault.Invalidf([]fault.FieldError{fieldErr("status", "status.invalid", "Trạng thái là active hoặc disabled", "status is active or disabled")}, "bad status")
	}
	if c.AuthMethod == AuthSecretBasic && c.secretHash == "" {
		return Client{}, fault.New(fault.Conflict, "identity.client_no_secret", "Ứng dụng chưa có khóa bí mật: hãy cấp khóa mới trước khi chuyển sang client_secret_basic", "rotate a secret first")
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE id_client SET name = ?, purpose = ?, type = ?, auth_method = ?, jwks = ?, redirect_uris = ?, post_logout_uris = ?, grant_types = ?,
			scopes = ?, min_level = ?, sector = ?, status = ?, updated_at = ? WHERE id = ?`,
			c.Name, c.Purpose, c.Type, c.AuthMethod, string(c.JWKS), jsonList(c.RedirectURIs), jsonList(c.PostLogoutRedirectURIs), jsonList(c.GrantTypes),
			jsonList(c.Scopes), c.MinLevel, c.Sector, c.Status, ms(c.Updated), c.ID)
		if err != nil {
			return fault.Wrap(err, "identity: update client")
		}
		if c.Status != Active && old.Status == Active {
			if _, err := tx.Exec(ctx, "UPDATE id_grant SET revoked_at = ?, revoke_reason = 'client disabled' WHERE client_id = ? AND revoked_at = 0", ms(c.Updated), c.ID); err != nil {
				return fault.Wrap(err, "identity: update client")
			}
		}
		return audit.Record(ctx, tx, who.Entry("identity.client.update", "identity/clients/"+c.ID, audit.OK, clientDetail(c)))
	})
	s.forgetClient(c.ID)
	if err != nil {
		return Client{}, err
	}
	return c, nil
}

// RotateClientSecret gives a client a new secret, returned once; the old
// one stops working at once.
func (s *Service) RotateClientSecret(ctx context.Context, who audit.Actor, id string) (string, error) {
	if _, err := s.Client(ctx, id); err != nil {
		return "", err
	}
	sec := newToken(32)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE id_client SET secret_hash = ?, updated_at = ? WHERE id = ?", hashToken(sec), ms(s.now()), id); err != nil {
			return fault.Wrap(err, "identity: rotate client secret")
		}
		return audit.Record(ctx, tx, who.Entry("identity.client.secret", "identity/clients/"+id, audit.OK, nil))
	})
	s.forgetClient(id)
	return sec, err
}

// DisableClient stops a client: no new sign-ins or tokens, and its grants
// are revoked.
func (s *Service) DisableClient(ctx context.Context, who audit.Actor, id string) error {
	c, err := s.Client(ctx, id)
	if err != nil {
		return err
	}
	c.Status = Disabled
	_, err = s.UpdateClient(ctx, who, c)
	return err
}

// checkClientSecret verifies a client_secret_basic secret in constant
// time. Client secrets are 256-bit random values, so a SHA-256 of them is
// as safe to keep as an argon2id hash of a password, and much cheaper to
// check on every client_credentials request.
func (c Client) checkSecret(sec string) bool {
	if c.secretHash == "" || sec == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashToken(sec)), []byte(c.secretHash)) == 1
}

// publicKey returns the client's key with kid (any key, when kid is empty
// and there is one).
func (c Client) publicKey(kid string) (*jose.JSONWebKey, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(c.JWKS, &set); err != nil {
		return nil, err
	}
	if kid != "" {
		if ks := set.Key(kid); len(ks) > 0 {
			return &ks[0], nil
		}
		return nil, errors.New("no key " + kid + " registered for client " + c.ID)
	}
	if len(set.Keys) == 1 {
		return &set.Keys[0], nil
	}
	return nil, errors.New("the assertion names no key and the client has several")
}

func clientDetail(c Client) map[string]any {
	return map[string]any{"name": c.Name, "type": c.Type, "auth_method": c.AuthMethod, "redirect_uris": c.RedirectURIs, "grant_types": c.GrantTypes,
		"scopes": c.Scopes, "min_level": c.MinLevel, "status": c.Status}
}
