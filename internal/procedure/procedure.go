// Package procedure is the administrative procedures database (cơ sở dữ
// liệu thủ tục hành chính, framework component 8): what a procedure asks
// for, what it costs, how long it takes in working days, which e-form the
// applicant fills, and the workflow the one-stop desk follows. Procedures
// are versioned: a dossier keeps the version it was filed under.
package procedure

import (
	"encoding/json"
	"time"
)

// Procedure is a thủ tục hành chính.
type Procedure struct {
	Code        string   `json:"code"`          // national code, e.g. "1.001193"
	Name        string   `json:"name"`          // tên thủ tục
	Sector      string   `json:"sector"`        // lĩnh vực, e.g. "Hộ tịch"
	Levels      []string `json:"levels"`        // "province", "commune" (cấp thực hiện)
	Agencies    []string `json:"agencies"`      // implementing agencies: agency codes or kinds ("commune-committee")
	LegalBasis  []string `json:"legal_basis"`   // căn cứ pháp lý
	WhoCanApply string   `json:"who_can_apply"` // đối tượng thực hiện, in plain language
	// TimeLimit is the time limit in working days (thời hạn giải quyết);
	// variants cover cases with their own limits.
	TimeLimit    int           `json:"time_limit_days"`
	TimeVariants []TimeVariant `json:"time_variants,omitempty"`
	Fees         []Fee         `json:"fees"`      // phí, lệ phí
	Documents    []Document    `json:"documents"` // thành phần hồ sơ
	// Form is the e-form: a JSON Schema (draft 2020-12) with Vietnamese
	// titles, plus UI hints per field.
	Form        json.RawMessage `json:"form"`
	FormUI      json.RawMessage `json:"form_ui,omitempty"`
	OnlineLevel string          `json:"online_level"`    // "full" (toàn trình) or "partial" (một phần), Decree 42/2022
	Assurance   string          `json:"assurance"`       // required level: "urn:vn:loa:1" or "urn:vn:loa:2"
	Workflow    Workflow        `json:"workflow"`        // quy trình
	Result      string          `json:"result_document"` // kết quả: the document type issued
	Demo        bool            `json:"demo,omitempty"`  // content written for the demo where unsure
	Version     int             `json:"version"`         // set by the database
	PublishedAt *time.Time      `json:"published_at,omitempty"`
}

// TimeVariant is a case with its own time limit.
type TimeVariant struct {
	When string `json:"when"` // the case, in plain Vietnamese
	Days int    `json:"days"`
}

// Fee is a fee or charge.
type Fee struct {
	Name   string `json:"name"`
	Amount int64  `json:"amount"` // VND
	// Exempt says who pays nothing, in plain Vietnamese.
	Exempt string `json:"exempt,omitempty"`
	// Online is the amount when filed online, when it differs.
	Online *int64 `json:"online_amount,omitempty"`
}

// Document is one document the applicant provides.
type Document struct {
	Code     string `json:"code"` // stable within the procedure, e.g. "to-khai"
	Name     string `json:"name"`
	Copies   int    `json:"copies"`
	Original bool   `json:"original"`           // bản chính (true) or bản sao
	Template string `json:"template,omitempty"` // mẫu: the form's name, e.g. "Mẫu tờ khai đăng ký khai sinh"
	Required bool   `json:"required"`
	// ReplacedBy says where the data already exists so the applicant need
	// not provide it (once-only): "registry:population", "wallet:<document
	// type>", or empty.
	ReplacedBy string `json:"replaced_by,omitempty"`
}

// Workflow is the procedure's processing steps and the moves between them.
type Workflow struct {
	Steps       []Step       `json:"steps"`
	Transitions []Transition `json:"transitions"`
}

// Step is one stage of processing, done by one role within a time budget.
type Step struct {
	Code   string  `json:"code"` // e.g. "tiep-nhan", "tham-dinh", "phe-duyet", "tra-ket-qua"
	Name   string  `json:"name"`
	Role   string  `json:"role"`        // receptionist, specialist, leader
	Budget float64 `json:"budget_days"` // working days (may be fractional: 0.5)
}

// Transition is an allowed move from one step: forward, return, request a
// supplement, refuse, approve.
type Transition struct {
	From   string `json:"from"`
	Action string `json:"action"` // forward, return, supplement, refuse, approve, pay, deliver
	To     string `json:"to,omitempty"`
}
