// Package exchange is the data exchange platform (nền tảng tích hợp, chia sẻ
// dữ liệu: NDXP nationally, LGSP in a ministry or province; framework
// components 6 and 7). It speaks the X-Road message protocol for REST: a
// hub keeps the registry of members, subsystems, gateways and groups and
// publishes a signed global configuration; each agency's gateway carries
// its information systems' calls to other gateways over mutual TLS, checks
// access rights on the provider side, and records every message in a
// signed, timestamped log.
package exchange

import (
	"embed"
	"io/fs"
	"regexp"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the exchange's tables.
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// Member classes.
const (
	ClassGOV = "GOV" // state bodies
	ClassCOM = "COM" // enterprises
	ClassORG = "ORG" // other organisations
)

// Member is a thành viên: an agency, enterprise or organisation that takes
// part in the exchange.
type Member struct {
	Class string `json:"class"`
	Code  string `json:"code"`
	Name  string `json:"name"`
}

// Subsystem is one information system of a member (hệ thống thông tin).
type Subsystem struct {
	Class     string `json:"class"`
	Code      string `json:"code"`
	Subsystem string `json:"subsystem"`
	Name      string `json:"name"`
	// Gateway is the id of the gateway that serves it, or empty.
	Gateway string `json:"gateway,omitempty"`
}

// GatewayRecord is a registered gateway (security server): an owner, an address
// where other gateways reach its provider side, and its TLS certificate.
type GatewayRecord struct {
	ID          string `json:"id"` // CLASS/MEMBER/SERVERCODE
	OwnerClass  string `json:"owner_class"`
	OwnerCode   string `json:"owner_code"`
	ServerCode  string `json:"server_code"`
	Address     string `json:"address"` // host:port of the mutual-TLS listener
	CertPEM     string `json:"cert_pem"`
	Fingerprint string `json:"fingerprint"`
}

// Group is a global group of subsystems, used in access rights.
type Group struct {
	Code        string   `json:"code"`
	Description string   `json:"description"`
	Members     []string `json:"members"` // INSTANCE/CLASS/MEMBER/SUBSYSTEM
}

// Service is a provider's service registered at its gateway.
type Service struct {
	Gateway      string        `json:"gateway"`
	Provider     string        `json:"provider"` // INSTANCE/CLASS/MEMBER/SUBSYSTEM
	Code         string        `json:"service_code"`
	Title        string        `json:"title"`
	BackendURL   string        `json:"backend_url"`
	OpenAPI      string        `json:"-"`
	PersonalData bool          `json:"personal_data"`
	LogBodies    bool          `json:"log_bodies"`
	Timeout      time.Duration `json:"-"`
	MaxBody      int64         `json:"max_body"`
	Endpoints    []Endpoint    `json:"endpoints"`
}

// Endpoint is one method and path of a service, the unit of access rights.
// Path "**" with method "*" stands for the whole service.
type Endpoint struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

// Access is an access right: subject (a client subsystem or "group:CODE")
// may call an endpoint of a service.
type Access struct {
	Provider string    `json:"provider"`
	Service  string    `json:"service_code"`
	Endpoint Endpoint  `json:"endpoint"`
	Subject  string    `json:"subject"`
	Granted  time.Time `json:"granted_at"`
	By       string    `json:"granted_by"`
}

var partRE = regexp.MustCompile(`^[A-Za-z0-9'()+,\-.=?]{1,255}$`)

// validPart reports whether s may be an identifier part.
func validPart(s string) bool { return partRE.MatchString(s) }
