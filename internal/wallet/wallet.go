// Package wallet is the citizen's and the business's data wallet (kho dữ
// liệu điện tử của tổ chức, cá nhân): the documents issued to the holder
// (electronic results, reusable in later dossiers so that nothing is
// uploaded twice), the files the holder chose to keep, the consents the
// holder gave (to services, and for prefilling e-forms from the national
// databases) with their withdrawal, and "Ai đã xem dữ liệu của tôi": the
// registries' log of who read the holder's data, for what, and when,
// fetched over the data exchange as the holder themself.
package wallet

import (
	"embed"
	"io/fs"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the component's tables: wallet_item, wallet_consent.
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// Holder is the person whose wallet it is, as the portal signed them in.
type Holder struct {
	ID          string   // the 12-digit personal identification number
	Name        string   // full name
	Enterprises []string // the enterprises they represent (tax codes), when known
}

// Kinds of item.
const (
	KindIssued   = "issued"   // an electronic result issued to the holder
	KindUploaded = "uploaded" // a file the holder chose to keep
)

// Item is a document in the wallet (without its content).
type Item struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	Ref         string     `json:"ref"` // what a dossier references (source "wallet"): an issued document's URI, or "wallet-…"
	Title       string     `json:"title"`
	FileName    string     `json:"file_name"`
	ContentType string     `json:"content_type"`
	Size        int64      `json:"size"`
	SHA256      string     `json:"sha256"`
	Issuer      string     `json:"issuer,omitempty"` // issuing agency's code
	IssuerName  string     `json:"issuer_name,omitempty"`
	DocType     string     `json:"doc_type,omitempty"`
	DossierCode string     `json:"dossier_code,omitempty"`
	URI         string     `json:"uri,omitempty"`
	IssuedAt    *time.Time `json:"issued_at,omitempty"`
	Revoked     bool       `json:"revoked"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	Reason      string     `json:"revoke_reason,omitempty"`
	AddedAt     time.Time  `json:"added_at"`
}

// Consent is what the holder agreed to: which data (Data), from where
// (Source, e.g. the population registry), given to whom (Recipient, an
// agency or service), for what (Purpose, and the procedure when it is for
// one).
type Consent struct {
	ID          int64      `json:"id"`
	Purpose     string     `json:"purpose"`
	Recipient   string     `json:"recipient"`
	Data        []string   `json:"data"`
	Source      string     `json:"source"`
	Procedure   string     `json:"procedure,omitempty"`
	GrantedAt   time.Time  `json:"granted_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at,omitempty"`
}

// Active reports whether the consent still holds.
func (c Consent) Active() bool { return c.WithdrawnAt == nil }

// Access is one read of the holder's data in a national database.
type Access struct {
	At           time.Time `json:"at"`
	Registry     string    `json:"registry"` // population | enterprise | land
	RegistryName string    `json:"registry_name"`
	Client       string    `json:"client"` // the system that read: INSTANCE/CLASS/MEMBER/SUBSYSTEM
	Agency       string    `json:"agency"` // its agency's code
	AgencyName   string    `json:"agency_name"`
	Official     string    `json:"official"` // who read (X-Road-UserId)
	Self         bool      `json:"self"`     // the holder themself
	Purpose      string    `json:"purpose"`  // the case, usually a dossier code
	Service      string    `json:"service"`
	Fields       []string  `json:"fields"`
	Enterprise   string    `json:"enterprise,omitempty"` // the enterprise whose record was read (the holder represents it)
}

// AccessPage is a page of the access log.
type AccessPage struct {
	Items  []Access `json:"items"`
	Limit  int      `json:"limit"`
	Offset int      `json:"offset"`
	More   bool     `json:"more"` // there are older entries
}
