// Package portal is the public-service portal (Cổng dịch vụ công): the
// pages where citizens find administrative procedures in plain language,
// sign in with the national identity provider, file dossiers online with
// their e-form prefilled from the population registry (over the exchange,
// after their consent), pay fees, follow their dossiers, answer supplement
// requests, withdraw, rate the service, and look a dossier up by its code.
//
// The portal holds no dossier, procedure or registry data of its own: it
// asks the dossier engine, the procedures database, the citizen's data
// wallet and the payment adapter through the small interfaces declared
// here, and reads registry data over the exchange as the national portal's
// information system, with the purpose of each read. What it keeps is the
// citizen's unfinished filings (drafts: the e-form typed so far and files
// chosen for upload) until they are submitted.
//
// Sign-in is OpenID Connect (code flow with PKCE, state and nonce) with a
// confidential client of the identity provider; a procedure's required
// assurance level is asked for with acr_values, and a session at a lower
// level is stepped up before filing. The session is a signed cookie
// holding the citizen's personal id, name and level.
package portal

import (
	"context"
	"net/http"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/procedure"
)

// Procedures is what the portal reads from the procedures database;
// *procedure.Service satisfies it.
type Procedures interface {
	Search(ctx context.Context, q procedure.Query) ([]procedure.Summary, int, error)
	Get(ctx context.Context, code string) (procedure.Procedure, error)
}

// Dossiers is what the portal asks of the dossier engine for the
// applicant; *dossier.Service satisfies it.
type Dossiers interface {
	Create(ctx context.Context, in dossier.CreateRequest) (dossier.Dossier, bool, error)
	ForApplicant(ctx context.Context, applicantID, code string) (dossier.Dossier, error)
	ListForApplicant(ctx context.Context, applicantID string, limit, offset int) ([]dossier.Summary, int, error)
	Supplement(ctx context.Context, applicantID, code, note string, docs []dossier.Upload) (dossier.Dossier, error)
	Withdraw(ctx context.Context, applicantID, code, note string) (dossier.Dossier, error)
	StatusFor(ctx context.Context, code, applicantID string) (dossier.PublicStatus, error)
	Content(ctx context.Context, code string, id int64) (dossier.Document, []byte, error)
}

// Rater records the applicant's rating of a finished dossier (1 very
// satisfied, 2 satisfied, 3 not satisfied with a reason). The dossier
// engine provides it; without it the portal offers no rating form.
type Rater interface {
	Rate(ctx context.Context, applicantID, code string, rating int, reason string) (dossier.Dossier, error)
}

// Visits counts page visits for the service-usage figures (the monitor
// provides it). page is the page's path, with personal parts (dossier
// codes) replaced by a placeholder: "/", "/thu-tuc/1.001193", "/ho-so/{code}".
type Visits interface {
	Visit(page string)
}

// Citizen is the person signed in to the portal.
type Citizen struct {
	ID    string // the 12-digit personal id (claim vn_personal_id)
	Name  string // full name
	ACR   string // the assurance level of the sign-in: urn:vn:loa:1 or urn:vn:loa:2
	Email string
	Phone string
}

// Level is the assurance level as a number: 1 or 2 (0 when unknown).
func (c Citizen) Level() int { return levelOf(c.ACR) }

// Assurance levels, as the identity provider reports them in acr.
const (
	ACRLevel1 = "urn:vn:loa:1"
	ACRLevel2 = "urn:vn:loa:2"
)

func levelOf(acr string) int {
	switch acr {
	case ACRLevel1:
		return 1
	case ACRLevel2:
		return 2
	}
	return 0
}

func acrOf(level int) string {
	if level >= 2 {
		return ACRLevel2
	}
	return ACRLevel1
}

// Agency is an agency that receives dossiers filed on the portal.
type Agency struct {
	Code    string // electronic identifier code, e.g. 000.00.92.H26
	Name    string
	Level   string // "commune" or "province": the procedures' levels it serves
	Commune string // the commune it serves (commune level), for the default choice
}

// Portal serves the portal's pages. Build it with New; the fields are set
// before Routes and not changed afterwards.
type Portal struct {
	procs    Procedures
	dossiers Dossiers
	drafts   *drafts
	rd       *web.Renderer
	auth     *auth

	// Registry reads the citizen's record from the population registry
	// for prefill and checks the filed identity data (nil: no prefill).
	Registry Registry
	// Wallet records prefill consents and offers the citizen's documents
	// (nil: no wallet).
	Wallet Wallet
	// Payments starts fee payments (nil: fees are paid at the desk).
	Payments Payments
	// Visits counts page visits (nil: not counted).
	Visits Visits
	// Agencies are the agencies that receive online dossiers.
	Agencies []Agency
	// ResultURL returns the public page of a signed result by its URI
	// (default "/xac-thuc/{uri}").
	ResultURL func(uri string) string
	// FormTargets are other origins the portal's forms may lead to (the
	// identity provider's, for sign-out; the payment page's): the pages'
	// Content-Security-Policy allows them as form-action.
	FormTargets []string

	lookups *lookupLimiter
}

// visit counts a page visit when a counter is configured.
func (p *Portal) visit(page string) {
	if p.Visits != nil {
		p.Visits.Visit(page)
	}
}

// Routes mounts the portal's pages on mux. The home page is "GET /{$}":
// the process must not mount another home page on the same site.
func (p *Portal) Routes(mux *http.ServeMux) {
	h := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, p.csp(fn)) }
	h("GET /{$}", p.home)
	h("GET /thu-tuc", p.search)
	h("GET /thu-tuc/{$}", p.search)
	h("GET /thu-tuc/{code}", p.procedurePage)

	h("GET /dang-nhap", p.auth.signin)
	h("GET /dang-nhap/callback", p.auth.callback)
	h("GET /dang-xuat", p.auth.signoutPage)
	h("POST /dang-xuat", p.auth.signout)

	h("GET /thu-tuc/{code}/nop", p.filer(p.consentPage))
	h("POST /thu-tuc/{code}/nop", p.filer(p.consent))
	h("GET /thu-tuc/{code}/nop/to-khai", p.filer(p.formPage))
	h("POST /thu-tuc/{code}/nop/to-khai", p.filer(p.saveForm))
	h("GET /thu-tuc/{code}/nop/giay-to", p.filer(p.documentsPage))
	h("POST /thu-tuc/{code}/nop/giay-to", p.filer(p.saveDocuments))
	h("GET /thu-tuc/{code}/nop/xem-lai", p.filer(p.reviewPage))
	h("POST /thu-tuc/{code}/nop/xem-lai", p.filer(p.submit))
	h("POST /thu-tuc/{code}/nop/huy", p.filer(p.discard))

	h("GET /ho-so", p.citizen(p.myDossiers))
	h("GET /ho-so/{$}", p.citizen(p.myDossiers))
	h("GET /ho-so/{code}", p.citizen(p.dossierPage))
	h("GET /ho-so/{code}/bien-nhan", p.citizen(p.receiptPage))
	h("GET /ho-so/{code}/tep/{id}", p.citizen(p.documentFile))
	h("POST /ho-so/{code}/bo-sung", p.citizen(p.supplement))
	h("POST /ho-so/{code}/rut", p.citizen(p.withdraw))
	h("POST /ho-so/{code}/danh-gia", p.citizen(p.rate))
	h("POST /ho-so/{code}/thanh-toan", p.citizen(p.pay))
	h("GET /ho-so/{code}/thanh-toan/ket-qua", p.citizen(p.paymentReturn))

	h("GET /tra-cuu", p.lookupPage)
	h("POST /tra-cuu", p.lookup)
}
