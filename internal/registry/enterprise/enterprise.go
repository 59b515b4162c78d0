// Package enterprise is the national enterprise registration database (Cơ
// sở dữ liệu quốc gia về đăng ký doanh nghiệp; provider: the Ministry of
// Finance): enterprises under their enterprise code, which is their tax
// code, every change a new version, served to other agencies over the
// exchange with a purpose for every read. The personal IDs it holds (legal
// representatives and members) make its reads reads of personal data: each
// one is logged against every ID it discloses.
package enterprise

import "time"

// Enterprise is a doanh nghiệp's registration record.
type Enterprise struct {
	Code            string   `json:"code"`                 // mã số doanh nghiệp = mã số thuế, 10 digits
	Name            string   `json:"name"`                 // tên tiếng Việt
	NameEn          string   `json:"name_en"`              // tên bằng tiếng nước ngoài (optional)
	ShortName       string   `json:"short_name"`           // tên viết tắt (optional)
	Type            string   `json:"type"`                 // one of the Type* constants
	RegisteredOn    string   `json:"registered_on"`        // YYYY-MM-DD, first registration
	Status          string   `json:"status"`               // one of the Status* constants
	HeadOffice      Address  `json:"head_office"`          // trụ sở chính
	CharterCapital  int64    `json:"charter_capital"`      // vốn điều lệ (vốn đầu tư for a sole proprietorship), VND
	Representatives []string `json:"representatives"`      // người đại diện theo pháp luật: personal IDs
	Members         []string `json:"members"`              // chủ sở hữu, thành viên, thành viên hợp danh: personal IDs
	BusinessLines   []string `json:"business_lines"`       // ngành, nghề kinh doanh: VSIC level-4 codes
	Branches        []string `json:"branches"`             // đơn vị phụ thuộc: 13-digit tax codes, written 0100109106-001
	Version         int      `json:"version"`              // set by the registry
	ValidFrom       string   `json:"valid_from,omitempty"` // set by the registry
}

// Address is a commune (2025 code) and the street address within it.
type Address struct {
	Commune string `json:"commune"`
	Street  string `json:"street"`
}

// Version is one version of an enterprise's record.
type Version struct {
	Enterprise Enterprise `json:"record"`
	Version    int        `json:"version"`
	ValidFrom  string     `json:"valid_from"`
	Reason     string     `json:"reason"`
	Author     string     `json:"author"`
	Created    time.Time  `json:"created_at"`
}

// Summary is a search hit. It holds no personal data.
type Summary struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	ShortName string `json:"short_name,omitempty"`
	Type      string `json:"type"`
	Status    string `json:"status"`
	Commune   string `json:"commune"`
	Version   int    `json:"version"`
}

// Representation is what the representatives service answers: who may act
// for the enterprise.
type Representation struct {
	Code            string   `json:"code"`
	Name            string   `json:"name"`
	Status          string   `json:"status"`
	Representatives []string `json:"representatives"`
	Version         int      `json:"version"`
}

// Types of enterprise under the Law on Enterprises.
const (
	TypeSoleProprietorship = "sole-proprietorship" // doanh nghiệp tư nhân
	TypeSingleMemberLLC    = "single-member-llc"   // công ty TNHH một thành viên
	TypeMultiMemberLLC     = "multi-member-llc"    // công ty TNHH hai thành viên trở lên
	TypeJointStock         = "joint-stock"         // công ty cổ phần
	TypePartnership        = "partnership"         // công ty hợp danh
)

// Types names each type in Vietnamese.
var Types = map[string]string{
	TypeSoleProprietorship: "Doanh nghiệp tư nhân",
	TypeSingleMemberLLC:    "Công ty trách nhiệm hữu hạn một thành viên",
	TypeMultiMemberLLC:     "Công ty trách nhiệm hữu hạn hai thành viên trở lên",
	TypeJointStock:         "Công ty cổ phần",
	TypePartnership:        "Công ty hợp danh",
}

// Statuses of an enterprise (tình trạng pháp lý).
const (
	StatusActive     = "active"     // đang hoạt động
	StatusSuspended  = "suspended"  // tạm ngừng kinh doanh
	StatusDissolving = "dissolving" // đang làm thủ tục giải thể
	StatusDissolved  = "dissolved"  // đã giải thể
	StatusBankrupt   = "bankrupt"   // phá sản
)

// Statuses names each status in Vietnamese.
var Statuses = map[string]string{
	StatusActive:     "Đang hoạt động",
	StatusSuspended:  "Tạm ngừng kinh doanh",
	StatusDissolving: "Đang làm thủ tục giải thể",
	StatusDissolved:  "Đã giải thể",
	StatusBankrupt:   "Phá sản",
}
