// Package result issues electronic results of administrative procedures
// (kết quả giải quyết thủ tục hành chính điện tử): the document a dossier
// ends with (an extract, a certificate, a licence) rendered to PDF with a
// QR code, signed with the issuing agency's key, and given a URI
// <issuer agency code>-<document type>-<id> in the manner of DigiLocker's
// issued documents. Anyone can check a document on the portal's public
// verification page (/xac-thuc/<URI>, the QR code's target): whether it was
// issued here and the signature holds (genuine), whether a given file is
// the file as issued (unaltered), and whether the agency has revoked it.
//
// A consumer of dossier.approve events issues the procedure's result when
// a leader approves a dossier and has the dossier engine deliver it
// electronically (status 9 → 10); the result.issued event puts it in the
// holder's data wallet.
package result

import (
	"embed"
	"io/fs"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the component's tables: res_ca, res_signer, res_document.
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// Events this package emits.
const (
	EventIssued  = "result.issued"
	EventRevoked = "result.revoked"
)

// Field is one line of a document: a label and its value.
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// IssueRequest asks for a document to be issued. Issue is idempotent per
// (DossierCode, DocType): the same request again returns the first
// document.
type IssueRequest struct {
	Agency      string  `json:"agency"`       // issuing agency's electronic identifier code
	AgencyName  string  `json:"agency_name"`  // its name, as printed
	DocType     string  `json:"doc_type"`     // short code of the document type, e.g. "TLKS" (trích lục khai sinh)
	Title       string  `json:"title"`        // e.g. "Trích lục khai sinh"
	HolderID    string  `json:"holder_id"`    // the holder's personal identification number, 12 digits
	HolderName  string  `json:"holder_name"`  // the holder's full name
	DossierCode string  `json:"dossier_code"` // the dossier the document ends
	Procedure   string  `json:"procedure"`    // the procedure, code and name
	Fields      []Field `json:"fields"`       // the document's content
	IssuedBy    string  `json:"issued_by"`    // who signs, e.g. "Chủ tịch Ủy ban nhân dân Phường Ba Đình"
	Demo        bool    `json:"demo"`         // printed as demo data, without legal value
}

// Issued is an issued document's identity.
type Issued struct {
	URI       string    `json:"uri"`
	SHA256    string    `json:"sha256"` // of the file as issued (what the holder downloads)
	IssuedAt  time.Time `json:"issued_at"`
	VerifyURL string    `json:"verify_url"` // the public verification page, the QR code's target
	Replayed  bool      `json:"replayed"`   // an earlier Issue made it
}

// Document is an issued document's record (without the file).
type Document struct {
	URI          string     `json:"uri"`
	Agency       string     `json:"agency"`
	AgencyName   string     `json:"agency_name"`
	DocType      string     `json:"doc_type"`
	Title        string     `json:"title"`
	HolderID     string     `json:"holder_id"`
	HolderName   string     `json:"holder_name"`
	DossierCode  string     `json:"dossier_code"`
	Procedure    string     `json:"procedure"`
	Fields       []Field    `json:"fields"`
	IssuedBy     string     `json:"issued_by"`
	IssuedAt     time.Time  `json:"issued_at"`
	SHA256       string     `json:"sha256"`
	Size         int        `json:"size"`
	Revoked      bool       `json:"revoked"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	RevokeReason string     `json:"revoke_reason,omitempty"`
	Demo         bool       `json:"demo"`
	VerifyURL    string     `json:"verify_url"`
}

// The statuses of a verification.
const (
	StatusGenuine   = "genuine" // issued here, signature valid, (the file unaltered,) not revoked
	StatusAltered   = "altered" // the file is not the file as issued
	StatusNotIssued = "not_issued"
	StatusRevoked   = "revoked"
	StatusBadSig    = "signature_invalid" // the record's signature does not hold: the store was tampered with
)

// Verification is the answer of the verification page and API.
type Verification struct {
	Status       string     `json:"status"`
	Genuine      bool       `json:"genuine"`             // issued by this platform, the signature holds, the certificate chains to the CA
	Unaltered    *bool      `json:"unaltered,omitempty"` // when a file was checked: it is the file as issued
	Revoked      bool       `json:"revoked"`
	Message      string     `json:"message"`    // what it means, in plain Vietnamese
	MessageEn    string     `json:"message_en"` // the same in English
	URI          string     `json:"uri,omitempty"`
	Issuer       string     `json:"issuer,omitempty"` // the agency's code
	IssuerName   string     `json:"issuer_name,omitempty"`
	DocType      string     `json:"doc_type,omitempty"`
	Title        string     `json:"title,omitempty"`
	IssuedAt     *time.Time `json:"issued_at,omitempty"`
	Holder       string     `json:"holder,omitempty"` // the holder's name, partly masked
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	RevokeReason string     `json:"revoke_reason,omitempty"`
	SHA256       string     `json:"sha256,omitempty"` // of the file as issued
	Demo         bool       `json:"demo,omitempty"`
	Signer       *Signer    `json:"signer,omitempty"`
}

// Signer describes the certificate a document was signed with.
type Signer struct {
	Subject     string    `json:"subject"`
	Agency      string    `json:"agency"` // the certificate's serialNumber: the agency's code
	Serial      string    `json:"serial"` // hexadecimal
	Fingerprint string    `json:"fingerprint"`
	Issuer      string    `json:"issuer"`
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
}
