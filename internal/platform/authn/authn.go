// Package authn checks who is calling. Until the identity provider lands,
// administrative APIs accept a static bearer token from configuration; the
// Verifier interface is what components depend on, so the identity
// component can replace it without touching them.
package authn

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	"github.com/vngov/vngov/internal/platform/fault"
)

// Role names used across components.
const (
	RoleCatalogAdmin   = "catalog-admin"
	RoleExchangeAdmin  = "exchange-admin"
	RoleRegistryClerk  = "registry-clerk"
	RoleAuditor        = "auditor"
	RoleProcedureAdmin = "procedure-admin"
	RoleIdentityAdmin  = "identity-admin"
)

// Principal is an authenticated caller.
type Principal struct {
	Subject string   // stable id of the caller, written to the audit trail
	Roles   []string // what the caller may do
}

// Has reports whether p holds role.
func (p *Principal) Has(role string) bool { return p != nil && slices.Contains(p.Roles, role) }

// Verifier authenticates a request.
type Verifier interface {
	// Verify returns the caller, or a fault of kind Unauthenticated.
	Verify(r *http.Request) (*Principal, error)
}

// StaticToken accepts one bearer token taken from configuration
// (VNGOV_ADMIN_TOKEN or VNGOV_ADMIN_TOKEN_FILE). An empty token accepts
// nobody.
type StaticToken struct {
	sum     [32]byte
	set     bool
	subject string
	roles   []string
}

// NewStaticToken returns a verifier for token, granting roles to subject.
func NewStaticToken(token, subject string, roles ...string) *StaticToken {
	return &StaticToken{sum: sha256.Sum256([]byte(token)), set: token != "", subject: subject, roles: roles}
}

// Verify checks the Authorization: Bearer header in constant time.
func (s *StaticToken) Verify(r *http.Request) (*Principal, error) {
	tok := BearerToken(r)
	if tok == "" {
		return nil, fault.New(fault.Unauthenticated, "auth.missing_credential",
			"Thiếu thông tin xác thực: hãy gửi mã truy cập quản trị trong tiêu đề Authorization",
			"missing credential: send the admin token as Authorization: Bearer <token>")
	}
	sum := sha256.Sum256([]byte(tok))
	if !s.set || subtle.ConstantTimeCompare(sum[:], s.sum[:]) != 1 {
		return nil, fault.New(fault.Unauthenticated, "auth.invalid_credential",
			"Mã truy cập không hợp lệ",
			"the bearer token is not valid")
	}
	return &Principal{Subject: s.subject, Roles: s.roles}, nil
}

// BearerToken returns the token in an Authorization: Bearer header, or "".
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
