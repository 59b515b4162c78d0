package portal

import (
	"context"
	"errors"
	"net/http"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/exchange/xroad"
	"github.com/vngov/vngov/internal/platform/fault"
)

// Registry is the population registry as the portal reaches it: the
// citizen's record for prefill, and a check of the identity data a filed
// dossier carries. issue is the purpose recorded with the read (what it is
// for: a procedure's filing, a dossier code).
type Registry interface {
	Person(ctx context.Context, id, issue string) (map[string]any, error)
	Verify(ctx context.Context, claim IdentityClaim, issue string) (bool, error)
}

// IdentityClaim is the identity data of a dossier checked with the
// registry (minimal disclosure: it answers match or no match).
type IdentityClaim struct {
	ID        string `json:"id"`
	FullName  string `json:"full_name,omitempty"`
	BirthDate string `json:"birth_date,omitempty"`
	Commune   string `json:"permanent_commune,omitempty"`
}

// ExchangeRegistry reads the population registry over the exchange as the
// national portal's information system (e.g.
// VN/GOV/000.00.00.G22/CONGDVCQG), through its gateway. The citizen reads
// their own record, so the exchange's user id is "VN" + the personal id.
type ExchangeRegistry struct {
	Client *exchange.Client
	// PersonService is the full-record service, e.g.
	// VN/GOV/000.00.00.G91/CSDLQGDC/nguoi-dan; VerifyService the
	// minimal-disclosure check, .../CSDLQGDC/xac-thuc-thong-tin.
	PersonService string
	VerifyService string
}

// Person implements Registry with the dossier engine's exchange prefiller
// (GET /person/{id}).
func (e ExchangeRegistry) Person(ctx context.Context, id, issue string) (map[string]any, error) {
	return dossier.ExchangePrefiller{Client: e.Client, Service: e.PersonService}.Person(ctx, id, dossier.Purpose{Official: "VN" + id, Issue: issue})
}

// Verify implements Registry (POST /person/verify).
func (e ExchangeRegistry) Verify(ctx context.Context, c IdentityClaim, issue string) (bool, error) {
	if e.Client == nil || e.VerifyService == "" {
		return false, fault.New(fault.Unavailable, "portal.registry_unconfigured", "Chưa cấu hình kết nối tới Cơ sở dữ liệu quốc gia về dân cư", "the population registry is not configured")
	}
	var res struct {
		Match bool `json:"match"`
	}
	err := e.Client.Call(ctx, http.MethodPost, e.VerifyService, "/person/verify", exchange.Purpose{UserID: "VN" + c.ID, Issue: issue}, c, &res)
	var xe *xroad.Error
	if errors.As(err, &xe) {
		return false, fault.New(fault.Unavailable, "portal.exchange", "Nền tảng trao đổi dữ liệu từ chối yêu cầu: "+xe.Message, "the exchange refused the request: "+xe.Error())
	}
	return res.Match, err
}
