// Package identity is vngov's OpenID provider (nhà cung cấp định danh):
// accounts of citizens, business representatives and officials, their
// passwords and second factors, assurance levels, consents, the client
// registry, and the OpenID Connect endpoints, built on zitadel/oidc's op
// package over the platform store.
//
// Assurance levels are reported as acr: urn:vn:loa:1 after a password,
// urn:vn:loa:2 after a password and a second factor (TOTP). A client that
// asks for level 2 (acr_values, or its registered minimum) gets a step-up:
// the sign-in asks for the second factor before completing.
//
// Subjects are pairwise: each client's sector (its redirect host) sees a
// different, stable sub for the same account; the personal ID is a claim
// of its own scope, vn_personal_id.
//
// Wiring, for the process that runs the component:
//
//   - c.Svc.Verifier checks sign-ups with the population registry's
//     verify service over the exchange; c.Svc.Notifier sends one-time
//     codes (email, SMS). Both are set before Start.
//   - c.Issuer is the issuer URL when it is not k.Config.PublicURL or
//     http://<listen>; set it before Start.
//   - The server's handler exempts CrossOriginBypass from the
//     cross-origin protection: k.Handler("identity", mux, CrossOriginBypass...).
//   - The administration API and the client registry's pages need the
//     role RoleAdmin ("identity-admin") from k.Admin.
//
// Access tokens are JWTs (RS256, the current signing key): resource
// servers can verify them against the JWKS without a call. Revocation
// still holds where the provider is asked (introspection, userinfo): an
// access token's jti names its grant, and a revoked token or grant is
// refused there.
package identity

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/vngov/vngov/internal/identity/limit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the identity provider's tables (id_*). The limiter's
// table migrates separately, as component "limit" (limit.Migrations).
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// RoleAdmin is the role that administers the client registry through
// /identity/v1/clients. The kernel's static admin token must grant it.
const RoleAdmin = "identity-admin"

// Assurance levels, as acr values.
const (
	ACRLevel1 = "urn:vn:loa:1" // password
	ACRLevel2 = "urn:vn:loa:2" // password and a second factor
)

// acrOf returns the acr of a level.
func acrOf(level int) string {
	if level >= 2 {
		return ACRLevel2
	}
	return ACRLevel1
}

// levelOf returns the level an acr value stands for, 0 for one this
// provider does not know.
func levelOf(acr string) int {
	switch acr {
	case ACRLevel1:
		return 1
	case ACRLevel2:
		return 2
	}
	return 0
}

// Authentication methods (RFC 8176), as amr.
const (
	AMRPassword = "pwd"
	AMROTP      = "otp"
)

// Scopes beyond the standard ones (openid, profile, email, phone, address,
// offline_access).
const (
	ScopePersonalID  = "vn_personal_id" // the 12-digit personal ID
	ScopeEnterprises = "vn_enterprises" // enterprises the person legally represents
	ScopeOfficial    = "vn_official"    // an official's agency and roles
)

// Official roles (vai trò của cán bộ), as the roles claim carries them.
const (
	RoleReceptionist  = "onestop-receptionist" // cán bộ tiếp nhận một cửa
	RoleSpecialist    = "specialist"           // chuyên viên xử lý
	RoleLeader        = "leader"               // lãnh đạo phê duyệt
	RoleRegistryClerk = "registry-clerk"       // cán bộ quản lý cơ sở dữ liệu
	RoleExchangeAdmin = "exchange-admin"       // quản trị trục liên thông
	RoleCatalogAdmin  = "catalog-admin"        // quản trị danh mục dùng chung
	RoleAuditor       = "auditor"              // kiểm toán viên
)

// OfficialRoles are the roles an official account may hold.
var OfficialRoles = []string{RoleReceptionist, RoleSpecialist, RoleLeader, RoleRegistryClerk, RoleExchangeAdmin, RoleCatalogAdmin, RoleAuditor}

// Lifetimes of what the provider issues.
type Lifetimes struct {
	AccessToken  time.Duration // JWT access tokens
	IDToken      time.Duration
	RefreshToken time.Duration // each refresh token; rotation issues a new one
	Grant        time.Duration // a grant (refresh-token family) ends this long after the sign-in
	Session      time.Duration // a browser session at the provider
	AuthRequest  time.Duration // from /authorize to the end of the sign-in
	Code         time.Duration // an authorization code
	KeyRotation  time.Duration // a signing key signs this long before a new one replaces it
}

// DefaultLifetimes are the lifetimes New uses.
var DefaultLifetimes = Lifetimes{
	AccessToken:  15 * time.Minute,
	IDToken:      time.Hour,
	RefreshToken: 14 * 24 * time.Hour,
	Grant:        30 * 24 * time.Hour,
	Session:      8 * time.Hour,
	AuthRequest:  30 * time.Minute,
	Code:         2 * time.Minute,
	KeyRotation:  30 * 24 * time.Hour,
}

// Service is the identity provider's logic over its store. Handlers parse
// and render; the service decides; every change is audited.
type Service struct {
	db    *store.DB
	log   *slog.Logger
	limit *limit.Limiter
	// Verifier checks sign-ups against the population registry; nil
	// refuses every sign-up (the process wires it to the registry's verify
	// service over the exchange).
	Verifier Verifier
	// Notifier sends one-time codes by email or SMS; nil logs that it
	// could not and sends nothing.
	Notifier Notifier
	// Life are the lifetimes of sessions, tokens and keys.
	Life Lifetimes
	// Issuer is the provider's issuer URL (NewProvider sets it).
	Issuer string
	// AppName names the provider in authenticator apps ("VNGov: 0010...").
	AppName string

	now func() time.Time

	initOnce    sync.Once
	initErr     error
	pairwiseKey []byte // HMAC key of pairwise subjects and one-time codes
	sealKey     [32]byte
	keys        keyRing

	ipMu       sync.Mutex
	ipFailures map[string]int

	clients sync.Map // client id -> cachedClient (activeClient)
}

// New returns the service over db; Init must run (Component.Start does it)
// before it issues anything.
func New(db *store.DB, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: db, log: log, limit: limit.New(db), Life: DefaultLifetimes, AppName: "VNGov", now: time.Now, ipFailures: map[string]int{}}
}

// SetClock replaces the service's clock (for tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// DB returns the service's store.
func (s *Service) DB() *store.DB { return s.db }

// Init loads (or creates, the first time) the instance's secrets and
// signing keys. It is safe to call more than once.
func (s *Service) Init(ctx context.Context) error {
	s.initOnce.Do(func() { s.initErr = s.init(ctx) })
	return s.initErr
}

func (s *Service) init(ctx context.Context) error {
	pk, err := s.setting(ctx, "pairwise_key", 32)
	if err != nil {
		return err
	}
	sk, err := s.setting(ctx, "seal_key", 32)
	if err != nil {
		return err
	}
	s.pairwiseKey = pk
	copy(s.sealKey[:], sk)
	return s.LoadKeys(ctx)
}

// setting returns the named random secret of n bytes, creating it once for
// the whole instance: every node reads the row the first one wrote.
func (s *Service) setting(ctx context.Context, name string, n int) ([]byte, error) {
	var v string
	err := s.db.QueryRow(ctx, "SELECT value FROM id_setting WHERE name = ?", name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		b := make([]byte, n)
		rand.Read(b)
		err = s.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO id_setting (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", name, hex.EncodeToString(b))
			if err != nil {
				return err
			}
			return tx.QueryRow(ctx, "SELECT value FROM id_setting WHERE name = ?", name).Scan(&v)
		})
	}
	if err != nil {
		return nil, fault.Wrap(err, "identity: read setting "+name)
	}
	b, err := hex.DecodeString(v)
	if err != nil || len(b) != n {
		return nil, fault.Wrap(fmt.Errorf("setting %s is damaged", name), "identity: read setting")
	}
	return b, nil
}

// ---------------------------------------------------------------- helpers

// newID returns a random identifier with a prefix: "acc_3f9c...".
func newID(prefix string) string {
	b := make([]byte, 16)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// newToken returns a random token of n bytes in base64url.
func newToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is how tokens are kept: their SHA-256, so a copy of the
// database gives no usable token.
func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// mac is an HMAC with the instance's key, for one-time codes.
func (s *Service) mac(parts ...string) string {
	m := hmac.New(sha256.New, s.pairwiseKey)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func parseList(s string) []string {
	var v []string
	json.Unmarshal([]byte(s), &v)
	return v
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
