// Package land is the national land database (Cơ sở dữ liệu quốc gia về
// đất đai; provider: the Ministry of Agriculture and Environment): land
// parcels (thửa đất) with their use, holders, certificate and registered
// mortgages, every change a new version, served to other agencies over the
// exchange with a purpose for every read. A parcel's person holders make
// its reads reads of personal data: each one is logged against every
// personal ID it discloses.
package land

import "time"

// Parcel is a thửa đất, identified by its commune, cadastral map sheet and
// number on that sheet.
type Parcel struct {
	ID                string     `json:"id"`                 // "<commune>-<map_sheet>-<parcel_no>", set by the registry
	Commune           string     `json:"commune"`            // commune code (2025)
	MapSheet          int        `json:"map_sheet"`          // số tờ bản đồ địa chính
	ParcelNo          int        `json:"parcel_no"`          // số thửa
	AreaM2            float64    `json:"area_m2"`            // diện tích, m²
	Purpose           string     `json:"purpose"`            // mục đích sử dụng: a code of Purposes
	Term              string     `json:"term"`               // thời hạn sử dụng: "long-term" (lâu dài) or the last day, YYYY-MM-DD
	Origin            string     `json:"origin"`             // nguồn gốc sử dụng: a code of Origins
	Holders           []Holder   `json:"holders"`            // người sử dụng đất
	CertificateSerial string     `json:"certificate_serial"` // số phát hành (sê-ri) of the certificate, "" when none is issued
	Mortgages         []Mortgage `json:"mortgages"`          // registered mortgages (đăng ký thế chấp) in force
	Version           int        `json:"version"`
	ValidFrom         string     `json:"valid_from,omitempty"`
}

// Holder is one user of a parcel, with their share of it.
type Holder struct {
	ID       string  `json:"id"`        // personal ID (kind person) or enterprise code (kind enterprise)
	Kind     string  `json:"kind"`      // person, enterprise
	SharePct float64 `json:"share_pct"` // phần quyền, percent; the shares of a parcel sum to 100
}

// Mortgage is a registered mortgage of the land use right.
type Mortgage struct {
	Bank         string `json:"bank"`          // bên nhận thế chấp: the credit institution
	RegisteredOn string `json:"registered_on"` // YYYY-MM-DD
	Amount       int64  `json:"amount"`        // secured amount, VND
}

// Version is one version of a parcel's record.
type Version struct {
	Parcel    Parcel    `json:"record"`
	Version   int       `json:"version"`
	ValidFrom string    `json:"valid_from"`
	Reason    string    `json:"reason"`
	Author    string    `json:"author"`
	Created   time.Time `json:"created_at"`
}

// Holder kinds and the term without end.
const (
	KindPerson     = "person"
	KindEnterprise = "enterprise"
	LongTerm       = "long-term" // sử dụng lâu dài
)

// Purposes are land-use purpose codes (mã loại đất) with their Vietnamese
// names, from the Land Law and the cadastral-records circulars: the common
// subset that registrations use, not the complete list.
var Purposes = map[string]string{
	// Đất nông nghiệp.
	"LUC": "Đất chuyên trồng lúa",
	"LUK": "Đất trồng lúa còn lại",
	"LUN": "Đất lúa nương",
	"BHK": "Đất bằng trồng cây hằng năm khác",
	"NHK": "Đất nương rẫy trồng cây hằng năm khác",
	"CLN": "Đất trồng cây lâu năm",
	"RSX": "Đất rừng sản xuất",
	"RPH": "Đất rừng phòng hộ",
	"RDD": "Đất rừng đặc dụng",
	"NTS": "Đất nuôi trồng thủy sản",
	"LMU": "Đất làm muối",
	"NKH": "Đất nông nghiệp khác",
	// Đất phi nông nghiệp.
	"ONT": "Đất ở tại nông thôn",
	"ODT": "Đất ở tại đô thị",
	"TSC": "Đất xây dựng trụ sở cơ quan",
	"CQP": "Đất quốc phòng",
	"CAN": "Đất an ninh",
	"DGD": "Đất xây dựng cơ sở giáo dục và đào tạo",
	"DYT": "Đất xây dựng cơ sở y tế",
	"DVH": "Đất xây dựng cơ sở văn hóa",
	"DTT": "Đất xây dựng cơ sở thể dục, thể thao",
	"SKK": "Đất khu công nghiệp",
	"SKN": "Đất cụm công nghiệp",
	"SKC": "Đất cơ sở sản xuất phi nông nghiệp",
	"TMD": "Đất thương mại, dịch vụ",
	"SKS": "Đất sử dụng cho hoạt động khoáng sản",
	"DGT": "Đất công trình giao thông",
	"DTL": "Đất công trình thủy lợi",
	"DNL": "Đất công trình năng lượng, chiếu sáng công cộng",
	"DBV": "Đất công trình bưu chính, viễn thông, công nghệ thông tin",
	"DCH": "Đất chợ dân sinh, chợ đầu mối",
	"DKV": "Đất khu vui chơi, giải trí công cộng, sinh hoạt cộng đồng",
	"DRA": "Đất công trình xử lý chất thải",
	"TON": "Đất tôn giáo",
	"TIN": "Đất tín ngưỡng",
	"NTD": "Đất nghĩa trang, nhà tang lễ, cơ sở hỏa táng, cơ sở lưu giữ tro cốt",
	"SON": "Đất có mặt nước dạng sông, ngòi, kênh, rạch, suối",
	"MNC": "Đất có mặt nước chuyên dùng",
	"PNK": "Đất phi nông nghiệp khác",
	// Đất chưa sử dụng.
	"BCS": "Đất bằng chưa sử dụng",
	"DCS": "Đất đồi núi chưa sử dụng",
	"NCS": "Núi đá không có rừng cây",
}

// Origins are the ways a holder came to use a parcel (nguồn gốc sử dụng
// đất), as certificates state them.
var Origins = map[string]string{
	"allocated-with-fee":    "Nhà nước giao đất có thu tiền sử dụng đất",
	"allocated-without-fee": "Nhà nước giao đất không thu tiền sử dụng đất",
	"lease-annual":          "Nhà nước cho thuê đất trả tiền hằng năm",
	"lease-lump-sum":        "Nhà nước cho thuê đất trả tiền một lần cho cả thời gian thuê",
	"recognized":            "Công nhận quyền sử dụng đất",
	"transferred":           "Nhận chuyển quyền sử dụng đất (chuyển nhượng, thừa kế, tặng cho)",
}
