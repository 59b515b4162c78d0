// Package dossier is the one-stop desk engine (bộ phận một cửa): dossiers
// (hồ sơ thủ tục hành chính) filed under a procedure of the procedures
// database, their codes, statuses, appointment dates and deadlines in
// working days, documents, fees and results, and a durable workflow driven
// by the procedure version each dossier was filed under.
//
// Codes follow Circular 01/2018/TT-VPCP: <agency code>-YYMMDD-NNNN, the
// receiving agency's electronic identifier, the day the dossier was filed
// (in Vietnam) and that agency's daily number. Statuses carry the national
// portal's codes (1 newly registered to 10 result returned).
//
// The workflow: a dossier starts at the procedure's first step (reception)
// with status 1. The receptionist accepts it (1 → 2, then straight into
// processing, 4, at the next step), or refuses it (3), or asks for more
// documents (5). Officials move it between steps as the procedure's
// transitions allow: forward, return, supplement (the clock stops until
// the applicant answers), refuse (8 once accepted), approve (the leader;
// 9), deliver (10). Every change is one transaction holding the dossier
// row, its history rows and its dossier.<action> outbox event, so a crash
// leaves the dossier in its old or its new state and nothing acknowledged
// is lost. Refused attempts (another agency, a role the step does not
// have, a move the workflow does not allow) are audited with their reason.
package dossier

import (
	"encoding/json"
	"time"
)

// Status is the dossier status as the national public-service portal codes
// it (TrangThaiHoSo).
type Status int

// The statuses.
const (
	StatusNew        Status = 1  // Mới đăng ký
	StatusAccepted   Status = 2  // Được tiếp nhận
	StatusRejected   Status = 3  // Không được tiếp nhận
	StatusProcessing Status = 4  // Đang xử lý
	StatusSupplement Status = 5  // Yêu cầu bổ sung giấy tờ
	StatusPayment    Status = 6  // Yêu cầu thực hiện nghĩa vụ tài chính
	StatusWithdrawn  Status = 7  // Công dân yêu cầu rút hồ sơ
	StatusStopped    Status = 8  // Dừng xử lý
	StatusProcessed  Status = 9  // Đã xử lý xong
	StatusReturned   Status = 10 // Đã trả kết quả
)

var statusNames = map[Status]string{
	StatusNew:        "Mới đăng ký",
	StatusAccepted:   "Được tiếp nhận",
	StatusRejected:   "Không được tiếp nhận",
	StatusProcessing: "Đang xử lý",
	StatusSupplement: "Yêu cầu bổ sung giấy tờ",
	StatusPayment:    "Yêu cầu thực hiện nghĩa vụ tài chính",
	StatusWithdrawn:  "Công dân yêu cầu rút hồ sơ",
	StatusStopped:    "Dừng xử lý",
	StatusProcessed:  "Đã xử lý xong",
	StatusReturned:   "Đã trả kết quả",
}

// Name is the status in Vietnamese, as the portal shows it.
func (s Status) Name() string { return statusNames[s] }

// Final reports whether nothing more happens to a dossier in status s.
func (s Status) Final() bool {
	return s == StatusRejected || s == StatusWithdrawn || s == StatusStopped || s == StatusReturned
}

// Channel is how the dossier was filed (KenhThucHien).
type Channel int

// The channels.
const (
	ChannelInPerson Channel = 1 // trực tiếp
	ChannelOnline   Channel = 2 // trực tuyến
	ChannelPostal   Channel = 3 // qua dịch vụ bưu chính công ích
)

// Valid reports whether c is one of the three channels.
func (c Channel) Valid() bool { return c >= ChannelInPerson && c <= ChannelPostal }

// The actions of the workflow. Officials take the first seven through Act;
// the applicant's answer to a supplement request and a withdrawal have
// their own methods.
const (
	ActionAccept       = "accept"
	ActionForward      = "forward"
	ActionReturn       = "return"
	ActionSupplement   = "supplement"
	ActionRefuse       = "refuse"
	ActionApprove      = "approve"
	ActionDeliver      = "deliver"
	ActionCreate       = "create"
	ActionSupplemented = "supplemented"
	ActionWithdraw     = "withdraw"
	ActionPaid         = "paid" // the fee was paid online (6 → 1)
	ActionRate         = "rate" // the applicant rated the service
)

// Roles of the one-stop desk, as procedures' steps name them.
const (
	RoleReceptionist = "receptionist"
	RoleSpecialist   = "specialist"
	RoleLeader       = "leader"
)

// EventPrefix starts the type of every event of this package: the event of
// an action is EventPrefix + action, e.g. "dossier.accept".
const EventPrefix = "dossier."

// Official is an official acting at the one-stop desk: an account id, the
// agency (electronic identifier code) and roles. Agency AnyAgency acts for
// every agency (the admin credential, for tests and the demo).
type Official struct {
	ID     string   `json:"id"`
	Agency string   `json:"agency"`
	Roles  []string `json:"roles"`
}

// AnyAgency is the Agency of an official who may act for any agency.
const AnyAgency = "*"

// Has reports whether o holds role.
func (o Official) Has(role string) bool {
	for _, r := range o.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// actsFor reports whether o works for agency.
func (o Official) actsFor(agency string) bool { return o.Agency == AnyAgency || o.Agency == agency }

// Applicant is the person who filed the dossier (chủ hồ sơ).
type Applicant struct {
	ID    string `json:"id"` // personal identification number, 12 digits
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

// Dossier is a hồ sơ as the desk and the applicant see it.
type Dossier struct {
	Code             string          `json:"code"`
	Agency           string          `json:"agency"`
	Procedure        string          `json:"procedure"`
	ProcedureVersion int             `json:"procedure_version"`
	ProcedureName    string          `json:"procedure_name"`
	Sector           string          `json:"sector"`
	Channel          Channel         `json:"channel"`
	Status           Status          `json:"status"`
	StatusName       string          `json:"status_name"`
	Applicant        Applicant       `json:"applicant"`
	Form             json.RawMessage `json:"form"`
	Step             string          `json:"step"`
	StepName         string          `json:"step_name"`
	Role             string          `json:"role"`               // whose queue holds it; empty when nobody at the desk has work on it
	Assignee         string          `json:"assignee,omitempty"` // the official who claimed it
	ReceivedAt       time.Time       `json:"received_at"`
	DueAt            time.Time       `json:"due_at"`      // appointment (ngày hẹn trả)
	StepDueAt        time.Time       `json:"step_due_at"` // end of the current step's budget
	PausedSince      *time.Time      `json:"paused_since,omitempty"`
	PausedDays       int             `json:"paused_days"` // working days the clock stood still
	Supplements      int             `json:"supplements"`
	FinishedAt       *time.Time      `json:"finished_at,omitempty"`
	ReturnedAt       *time.Time      `json:"returned_at,omitempty"`
	Overdue          bool            `json:"overdue"` // past the appointment, unfinished or finished late
	Version          int             `json:"version"`
	Rating           int             `json:"rating,omitempty"` // the applicant's rating: 1 very satisfied, 2 satisfied, 3 not satisfied
	RatingReason     string          `json:"rating_reason,omitempty"`
	RatedAt          *time.Time      `json:"rated_at,omitempty"`

	History          []HistoryEntry `json:"history,omitempty"`
	Documents        []Document     `json:"documents,omitempty"`
	Fees             []Fee          `json:"fees,omitempty"`
	Results          []Result       `json:"results,omitempty"`
	MissingDocuments []string       `json:"missing_documents,omitempty"` // required document codes with nothing attached

	createdBy string
}

// HistoryEntry is one row of the processing history.
type HistoryEntry struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Role       string    `json:"role"`
	Action     string    `json:"action"`
	FromStep   string    `json:"from_step"`
	ToStep     string    `json:"to_step"`
	FromStatus Status    `json:"from_status"`
	ToStatus   Status    `json:"to_status"`
	Note       string    `json:"note,omitempty"`
	EventID    string    `json:"event_id"`
}

// Document sources.
const (
	SourceUpload   = "upload"   // a file the applicant or the desk uploaded
	SourceRegistry = "registry" // taken from a national database (once-only)
	SourceWallet   = "wallet"   // reused from the citizen's data wallet
)

// Document is one document of a dossier (the metadata; Content returns the
// bytes).
type Document struct {
	ID          int64     `json:"id"`
	DocCode     string    `json:"doc_code"` // the procedure's document code
	Name        string    `json:"name"`
	ContentType string    `json:"content_type,omitempty"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256,omitempty"`
	Source      string    `json:"source"`
	Ref         string    `json:"ref,omitempty"` // the registry record or wallet item
	Digitised   bool      `json:"digitised"`     // an electronic copy exists (DuocSoHoa)
	Reused      bool      `json:"reused"`        // reused from the wallet (DuocTaiSuDung)
	FromNatDB   bool      `json:"from_registry"` // taken from a national database (DuocLayTuKhoDMQG)
	Supplement  bool      `json:"supplement"`    // added in answer to a supplement request
	UploadedBy  string    `json:"uploaded_by"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

// Fee is a charge owed on a dossier.
type Fee struct {
	N      int        `json:"n"`
	Name   string     `json:"name"`
	Amount int64      `json:"amount"` // VND
	Paid   bool       `json:"paid"`
	PaidAt *time.Time `json:"paid_at,omitempty"`
	Online bool       `json:"online,omitempty"`      // paid through the payment adapter
	Ref    string     `json:"payment_ref,omitempty"` // the payment's id
}

// Result is a result document issued on a dossier.
type Result struct {
	N        int       `json:"n"`
	Name     string    `json:"name"`
	Number   string    `json:"number,omitempty"`
	IssuedAt time.Time `json:"issued_at"`
	IssuedBy string    `json:"issued_by"`
	// URI identifies the signed electronic result
	// (<agency>-<document type>-<id>); its public verification page is
	// /xac-thuc/<URI> on the portal. Empty until it is issued.
	URI string `json:"uri,omitempty"`
}
