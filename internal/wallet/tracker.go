package wallet

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/exchange/xroad"
	"github.com/vngov/vngov/internal/platform/fault"
)

// Tracker reads the log of who read a holder's data in the national
// databases.
type Tracker interface {
	AccessLog(ctx context.Context, holderID string, limit, offset int) ([]Access, error)
}

// Names names codes of the shared catalogs (here: "agencies"); ok is
// false when it cannot.
type Names interface {
	Name(ctx context.Context, list, code string) (name string, ok bool)
}

// ExchangeTracker reads the population registry's access-log service
// (nhat-ky-truy-cap, GET /person/{id}/access-log) over the data exchange,
// as the national portal's system, on behalf of the person themself: the
// registry answers only when X-Road-UserId is the person ("VN" + id). The
// log holds the reads of every registry that discloses the person's data
// (population, enterprise representatives, land holders).
type ExchangeTracker struct {
	Client  *exchange.Client
	Service string // e.g. VN-DEMO/GOV/000.00.00.G91/CSDLQGDC/nhat-ky-truy-cap
	Names   Names  // agency names; nil: codes
}

// trackerPurpose is the X-Road-Issue of the holder's own reads.
const trackerPurpose = "Công dân xem nhật ký truy cập dữ liệu của mình"

// AccessLog implements Tracker.
func (t ExchangeTracker) AccessLog(ctx context.Context, holderID string, limit, offset int) ([]Access, error) {
	if t.Client == nil || t.Service == "" {
		return nil, fault.New(fault.Unavailable, "wallet.tracker_unconfigured", "Chưa cấu hình kết nối tới nhật ký truy cập của Cơ sở dữ liệu quốc gia về dân cư", "the access-log service is not configured")
	}
	var out struct {
		Items []struct {
			Registry string    `json:"registry"`
			At       time.Time `json:"at"`
			Client   string    `json:"client"`
			UserID   string    `json:"user_id"`
			Issue    string    `json:"issue"`
			Service  string    `json:"service"`
			Fields   []string  `json:"fields"`
		} `json:"items"`
	}
	p := "/person/" + url.PathEscape(holderID) + "/access-log?limit=" + strconv.Itoa(limit) + "&offset=" + strconv.Itoa(offset)
	err := t.Client.Call(ctx, http.MethodGet, t.Service, p, exchange.Purpose{UserID: "VN" + holderID, Issue: trackerPurpose}, nil, &out)
	if err != nil {
		var xe *xroad.Error
		if errors.As(err, &xe) {
			return nil, fault.New(fault.Unavailable, "wallet.tracker_exchange", "Nền tảng trao đổi dữ liệu chưa trả lời được: "+xe.Message, "the exchange refused the request: "+xe.Error())
		}
		if strings.Contains(err.Error(), "answered 404") {
			return []Access{}, nil // the registry has no record of this person: nobody read anything
		}
		return nil, fault.New(fault.Unavailable, "wallet.tracker_failed", "Chưa lấy được nhật ký truy cập từ Cơ sở dữ liệu quốc gia về dân cư, vui lòng thử lại sau", err.Error())
	}
	items := make([]Access, 0, len(out.Items))
	for _, e := range out.Items {
		a := Access{At: e.At, Registry: e.Registry, RegistryName: registryNames[e.Registry], Client: e.Client, Official: e.UserID,
			Self: strings.TrimPrefix(e.UserID, "VN") == holderID, Purpose: e.Issue, Service: e.Service}
		if a.RegistryName == "" {
			a.RegistryName = e.Registry
		}
		if parts := strings.Split(e.Client, "/"); len(parts) >= 3 {
			a.Agency = parts[2]
		}
		a.AgencyName = a.Agency
		if t.Names != nil && a.Agency != "" {
			if n, ok := t.Names.Name(ctx, "agencies", a.Agency); ok {
				a.AgencyName = n
			}
		}
		for _, f := range e.Fields {
			if code, ok := strings.CutPrefix(f, "enterprise:"); ok {
				a.Enterprise = code
				continue
			}
			a.Fields = append(a.Fields, f)
		}
		items = append(items, a)
	}
	return items, nil
}

// registryNames are the national databases by the registry names the
// access log uses.
var registryNames = map[string]string{
	"population": "Cơ sở dữ liệu quốc gia về dân cư",
	"enterprise": "Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp",
	"land":       "Cơ sở dữ liệu quốc gia về đất đai",
}

// fieldNames label the registries' field names for people.
var fieldNames = map[string]string{
	"id": "Số định danh cá nhân", "full_name": "Họ, chữ đệm và tên", "birth_date": "Ngày sinh", "sex": "Giới tính",
	"ethnicity": "Dân tộc", "religion": "Tôn giáo", "nationality": "Quốc tịch", "birth_registration_place": "Nơi đăng ký khai sinh",
	"home_town": "Quê quán", "permanent_residence": "Nơi thường trú", "current_residence": "Nơi ở hiện tại",
	"household_id": "Số hộ", "relation_to_head": "Quan hệ với chủ hộ", "father_id": "Cha", "mother_id": "Mẹ", "spouse_id": "Vợ hoặc chồng",
	"children": "Con", "marital_status": "Tình trạng hôn nhân", "status": "Tình trạng (còn sống, đã mất)", "death_date": "Ngày mất",
	"representatives": "Người đại diện theo pháp luật", "members": "Thành viên, chủ sở hữu", "holders": "Người sử dụng đất",
}

// FieldLabel is a registry field's name for people.
func FieldLabel(f string) string {
	if n, ok := fieldNames[f]; ok {
		return n
	}
	return f
}
