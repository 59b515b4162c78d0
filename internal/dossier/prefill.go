package dossier

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/exchange/xroad"
	"github.com/vngov/vngov/internal/platform/fault"
)

// Purpose says who reads a citizen's record and for which case; the
// registry and the exchange log it.
type Purpose struct {
	Official string // the official's account id
	Issue    string // the case, e.g. "Tiếp nhận hồ sơ trực tiếp: 1.001612"
}

// Prefiller reads a citizen's record from the national population database
// (Cơ sở dữ liệu quốc gia về dân cư) to fill an e-form: the record's JSON
// object (full_name, birth_date, permanent_residence.commune, ...).
type Prefiller interface {
	Person(ctx context.Context, id string, purpose Purpose) (map[string]any, error)
}

// ExchangePrefiller reads the record through the agency's exchange gateway
// from the population registry's full-record service (GET /person/{id}).
type ExchangePrefiller struct {
	Client  *exchange.Client
	Service string // e.g. VN-DEMO/GOV/000.00.00.G91/CSDLQGDC/nguoi-dan
}

// Person calls the registry. A refusal of the exchange and a record not
// found come back as faults with a Vietnamese message and the reason.
func (e ExchangePrefiller) Person(ctx context.Context, id string, purpose Purpose) (map[string]any, error) {
	if e.Client == nil || e.Service == "" {
		return nil, fault.New(fault.Unavailable, "prefill.unconfigured", "Chưa cấu hình kết nối tới Cơ sở dữ liệu quốc gia về dân cư", "the population registry is not configured")
	}
	var out map[string]any
	err := e.Client.Call(ctx, http.MethodGet, e.Service, "/person/"+url.PathEscape(id), exchange.Purpose{UserID: purpose.Official, Issue: purpose.Issue}, nil, &out)
	if err == nil {
		if out == nil {
			out = map[string]any{}
		}
		return out, nil
	}
	var xe *xroad.Error
	if errors.As(err, &xe) {
		return nil, fault.New(fault.Unavailable, "prefill.exchange", "Nền tảng trao đổi dữ liệu từ chối yêu cầu: "+xe.Message, "the exchange refused the request: "+xe.Error())
	}
	if strings.Contains(err.Error(), "answered 404") {
		return nil, fault.NotFoundf("prefill.not_found", "Không tìm thấy công dân có số định danh "+id+" trong Cơ sở dữ liệu quốc gia về dân cư", "no person %s in the population registry", id)
	}
	return nil, fault.New(fault.Unavailable, "prefill.failed", "Không lấy được thông tin từ Cơ sở dữ liệu quốc gia về dân cư: "+err.Error(), err.Error())
}

// recordValue follows a prefill hint ("population.permanent_residence.commune")
// into a record.
func recordValue(rec map[string]any, hint string) (any, bool) {
	path, ok := strings.CutPrefix(hint, "population.")
	if !ok {
		return nil, false
	}
	var cur any = rec
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	if cur == nil {
		return nil, false
	}
	return cur, true
}
