package result

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/vnid"
)

// MaxVerifySize is the largest file the verification page accepts.
const MaxVerifySize = 10 << 20

// Limits on a document's content.
const (
	maxFields     = 40
	maxLabelRunes = 120
	maxValueRunes = 1000
	maxTextRunes  = 300
)

// Service issues, verifies and revokes electronic results.
type Service struct {
	db *store.DB
	// VerifyBase is the public address of the portal, whose /xac-thuc/
	// pages verify documents: the QR code of every document leads there.
	VerifyBase string

	now     func() time.Time
	mu      sync.Mutex
	ca      *pki.CA
	signers sync.Map // agency -> *signer
}

// New returns the service over db (with Migrations applied); verifyBase
// is the portal's public address.
func New(db *store.DB, verifyBase string) *Service {
	return &Service{db: db, VerifyBase: verifyBase, now: time.Now}
}

// VerifyURL is the public verification page of uri.
func (s *Service) VerifyURL(uri string) string {
	return strings.TrimRight(s.VerifyBase, "/") + "/xac-thuc/" + url.PathEscape(uri)
}

var (
	docTypeRE = regexp.MustCompile(`^[A-Z0-9]{2,10}$`)
	// uriRE is <agency code>-<document type>-<id>.
	uriRE      = regexp.MustCompile(`^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}-[A-Z0-9]{2,10}-[A-Z2-7]{16}$`)
	dossierRE  = regexp.MustCompile(`^[A-Za-z0-9.\-]{1,64}$`)
	idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)
)

// ValidURI reports whether s has the form of a document URI.
func ValidURI(s string) bool { return uriRE.MatchString(s) }

func fe(field, code, msg, detail string) fault.FieldError {
	return fault.FieldError{Field: field, Code: code, Message: msg, Detail: detail}
}

// plain reports whether s is printable one-line text.
func plain(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// check validates and normalises an IssueRequest.
func check(in IssueRequest) (IssueRequest, error) {
	var fields []fault.FieldError
	in.Agency = strings.ToUpper(strings.TrimSpace(in.Agency))
	if _, err := vnid.ParseAgencyCode("agency", in.Agency); err != nil {
		if f := fault.As(err); f != nil {
			fields = append(fields, f.Fields...)
		}
	}
	in.DocType = strings.ToUpper(strings.TrimSpace(in.DocType))
	if !docTypeRE.MatchString(in.DocType) {
		fields = append(fields, fe("doc_type", "doc_type.format", "Mã loại giấy tờ gồm 2 đến 10 chữ cái in hoa hoặc chữ số, ví dụ TLKS", "doc_type must be 2 to 10 upper-case letters or digits"))
	}
	if _, err := vnid.ParsePersonalID("holder_id", in.HolderID); err != nil {
		if f := fault.As(err); f != nil {
			fields = append(fields, f.Fields...)
		}
	}
	if !dossierRE.MatchString(in.DossierCode) {
		fields = append(fields, fe("dossier_code", "dossier_code.format", "Thiếu mã hồ sơ hoặc mã hồ sơ không hợp lệ", "dossier_code must be 1 to 64 letters, digits, dots or hyphens"))
	}
	for _, t := range []struct {
		field, name string
		v           *string
		need        bool
	}{
		{"agency_name", "Tên cơ quan cấp", &in.AgencyName, true},
		{"title", "Tên giấy tờ", &in.Title, true},
		{"holder_name", "Họ tên người được cấp", &in.HolderName, true},
		{"issued_by", "Người ký", &in.IssuedBy, true},
		{"procedure", "Tên thủ tục", &in.Procedure, false},
	} {
		*t.v = strings.TrimSpace(*t.v)
		switch {
		case *t.v == "" && t.need:
			fields = append(fields, fe(t.field, t.field+".required", t.name+" không được để trống", t.field+" is required"))
		case !plain(*t.v) || utf8.RuneCountInString(*t.v) > maxTextRunes:
			fields = append(fields, fe(t.field, t.field+".format", t.name+" phải là một dòng chữ, tối đa 300 ký tự", t.field+" must be one line of at most 300 characters"))
		}
	}
	if len(in.Fields) > maxFields {
		fields = append(fields, fe("fields", "fields.too_many", "Giấy tờ có tối đa 40 dòng nội dung", "at most 40 fields"))
	}
	for i, f := range in.Fields {
		in.Fields[i].Label, in.Fields[i].Value = strings.TrimSpace(f.Label), strings.TrimSpace(f.Value)
		if in.Fields[i].Label == "" || !plain(f.Label) || utf8.RuneCountInString(f.Label) > maxLabelRunes ||
			!utf8.ValidString(f.Value) || utf8.RuneCountInString(f.Value) > maxValueRunes {
			fields = append(fields, fe(fmt.Sprintf("fields[%d]", i), "field.format", "Mỗi dòng nội dung cần tên (tối đa 120 ký tự) và giá trị (tối đa 1.000 ký tự)", "a field needs a label of at most 120 characters and a value of at most 1,000"))
		}
	}
	if len(fields) > 0 {
		return in, fault.Invalidf(fields, "invalid issue request")
	}
	return in, nil
}

func newID() string {
	var b [10]byte
	rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}

// issuedEvent is the payload of result.issued.
type issuedEvent struct {
	URI         string    `json:"uri"`
	HolderID    string    `json:"holder_id"`
	HolderName  string    `json:"holder_name"`
	Agency      string    `json:"agency"`
	AgencyName  string    `json:"agency_name"`
	DocType     string    `json:"doc_type"`
	Title       string    `json:"title"`
	DossierCode string    `json:"dossier_code"`
	IssuedAt    time.Time `json:"issued_at"`
	SHA256      string    `json:"sha256"`
	Size        int       `json:"size"`
}

// Issue renders, signs and stores a document and announces it
// (result.issued), in one transaction with its audit row. Asked again for
// the same dossier and document type, it returns the first document with
// Replayed set.
func (s *Service) Issue(ctx context.Context, in IssueRequest) (Issued, error) {
	in, err := check(in)
	if err != nil {
		return Issued{}, err
	}
	if prev, err := s.byDossier(ctx, in.DossierCode, in.DocType); err == nil {
		return prev, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return Issued{}, fault.Wrap(err, "result: look up earlier document")
	}
	if s.VerifyBase == "" {
		return Issued{}, fault.New(fault.Unavailable, "result.unconfigured", "Chưa cấu hình địa chỉ trang kiểm tra giấy tờ, chưa cấp được giấy tờ điện tử", "the portal's address (VerifyBase) is not set")
	}
	sg, err := s.signerFor(ctx, in.Agency, in.AgencyName)
	if err != nil {
		return Issued{}, fault.Wrap(err, "result: signer")
	}
	now := s.now().Truncate(time.Second)
	uri := in.Agency + "-" + in.DocType + "-" + newID()
	l := layout{URI: uri, VerifyURL: s.VerifyURL(uri), Agency: in.Agency, AgencyName: in.AgencyName, Title: in.Title, DocType: in.DocType,
		HolderID: in.HolderID, HolderName: in.HolderName, DossierCode: in.DossierCode, Procedure: in.Procedure, IssuedBy: in.IssuedBy,
		IssuedAt: now, Fields: in.Fields, Demo: in.Demo, SignerSubject: sg.cert.Subject.CommonName, SignerSerialHex: strings.ToUpper(sg.cert.SerialNumber.Text(16))}
	signed, err := render(l)
	if err != nil {
		return Issued{}, fault.Wrap(err, "result: render")
	}
	sig, err := pki.Sign(sg.key, signed)
	if err != nil {
		return Issued{}, fault.Wrap(err, "result: sign")
	}
	file, err := appendProof(signed, proof{URI: uri, SignedLength: len(signed), Signature: sig, Certificate: sg.cert.Raw, SignedAt: now}, l)
	if err != nil {
		return Issued{}, fault.Wrap(err, "result: proof")
	}
	signedSum, fileSum := sha256.Sum256(signed), sha256.Sum256(file)
	out := Issued{URI: uri, SHA256: hex.EncodeToString(fileSum[:]), IssuedAt: now, VerifyURL: l.VerifyURL}
	fieldsJSON, _ := json.Marshal(in.Fields)
	data, _ := json.Marshal(issuedEvent{URI: uri, HolderID: in.HolderID, HolderName: in.HolderName, Agency: in.Agency, AgencyName: in.AgencyName,
		DocType: in.DocType, Title: in.Title, DossierCode: in.DossierCode, IssuedAt: now.UTC(), SHA256: out.SHA256, Size: len(file)})
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO res_document (uri, agency, agency_name, doc_type, title, holder_id, holder_name, dossier_code, procedure_name, fields,
			issued_by, issued_at, demo, signed_length, signed_sha256, file_sha256, signature, cert_pem, pdf)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			uri, in.Agency, in.AgencyName, in.DocType, in.Title, in.HolderID, in.HolderName, in.DossierCode, in.Procedure, string(fieldsJSON),
			in.IssuedBy, now.UnixMicro(), b2i(in.Demo), len(signed), hex.EncodeToString(signedSum[:]), out.SHA256, sig, string(pki.EncodeCert(sg.cert)), file)
		if err != nil {
			return err
		}
		if _, err := bus.Emit(ctx, tx, bus.Event{Type: EventIssued, Source: "result", Subject: uri, Data: data, Time: now.UTC()}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: in.IssuedBy, Action: "result.issue", Object: "result/" + uri, Result: audit.OK,
			Detail: map[string]any{"dossier": in.DossierCode, "doc_type": in.DocType, "holder": in.HolderID, "sha256": out.SHA256}})
	})
	if err != nil {
		if store.IsUniqueViolation(err) {
			// Issued meanwhile by another delivery of the same request.
			if prev, perr := s.byDossier(ctx, in.DossierCode, in.DocType); perr == nil {
				return prev, nil
			}
		}
		return Issued{}, fault.Wrap(err, "result: store document")
	}
	return out, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// byDossier returns the document issued for a dossier and document type,
// as a replay, or sql.ErrNoRows.
func (s *Service) byDossier(ctx context.Context, dossierCode, docType string) (Issued, error) {
	var out Issued
	var at int64
	err := s.db.QueryRow(ctx, "SELECT uri, file_sha256, issued_at FROM res_document WHERE dossier_code = ? AND doc_type = ?", dossierCode, docType).Scan(&out.URI, &out.SHA256, &at)
	if err != nil {
		return out, err
	}
	out.IssuedAt, out.VerifyURL, out.Replayed = time.UnixMicro(at).In(vnZone), s.VerifyURL(out.URI), true
	return out, nil
}

// record is a res_document row.
type record struct {
	Document
	signedLength int
	signedSHA256 string
	signature    []byte
	certPEM      string
	revokedBy    string
}

const docColumns = "uri, agency, agency_name, doc_type, title, holder_id, holder_name, dossier_code, procedure_name, fields, issued_by, issued_at, demo, " +
	"signed_length, signed_sha256, file_sha256, signature, cert_pem, revoked_at, revoke_reason, revoked_by, LENGTH(pdf)"

func (s *Service) load(ctx context.Context, q store.Querier, uri string) (*record, error) {
	var r record
	var fields string
	var at int64
	var demo int
	var revoked sql.NullInt64
	err := q.QueryRow(ctx, "SELECT "+docColumns+" FROM res_document WHERE uri = ?", uri).Scan(&r.URI, &r.Agency, &r.AgencyName, &r.DocType, &r.Title,
		&r.HolderID, &r.HolderName, &r.DossierCode, &r.Procedure, &fields, &r.IssuedBy, &at, &demo, &r.signedLength, &r.signedSHA256, &r.SHA256,
		&r.signature, &r.certPEM, &revoked, &r.RevokeReason, &r.revokedBy, &r.Size)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(uri)
	}
	if err != nil {
		return nil, fault.Wrap(err, "result: read document")
	}
	if err := json.Unmarshal([]byte(fields), &r.Fields); err != nil {
		return nil, fault.Wrap(err, "result: read document fields")
	}
	r.IssuedAt, r.Demo, r.VerifyURL = time.UnixMicro(at).In(vnZone), demo != 0, s.VerifyURL(r.URI)
	if revoked.Valid {
		t := time.UnixMicro(revoked.Int64).In(vnZone)
		r.Revoked, r.RevokedAt = true, &t
	}
	return &r, nil
}

func notFound(uri string) error {
	return fault.NotFoundf("result.not_found", "Không có giấy tờ điện tử nào mang mã này", "no document %q was issued here", uri)
}

// Get returns a document's record. It checks no rights: the holder's and
// the administrators' handlers do.
func (s *Service) Get(ctx context.Context, uri string) (Document, error) {
	if !ValidURI(uri) {
		return Document{}, notFound(uri)
	}
	r, err := s.load(ctx, s.db, uri)
	if err != nil {
		return Document{}, err
	}
	return r.Document, nil
}

// File returns a document's record and its file as issued. It checks no
// rights.
func (s *Service) File(ctx context.Context, uri string) (Document, []byte, error) {
	d, err := s.Get(ctx, uri)
	if err != nil {
		return d, nil, err
	}
	var pdf []byte
	if err := s.db.QueryRow(ctx, "SELECT pdf FROM res_document WHERE uri = ?", uri).Scan(&pdf); err != nil {
		return d, nil, fault.Wrap(err, "result: read file")
	}
	return d, pdf, nil
}

// ForHolder returns a document and its file to its holder; to anyone else
// it does not exist.
func (s *Service) ForHolder(ctx context.Context, holderID, uri string) (Document, []byte, error) {
	d, pdf, err := s.File(ctx, uri)
	if err != nil {
		return Document{}, nil, err
	}
	if d.HolderID != holderID {
		return Document{}, nil, notFound(uri)
	}
	return d, pdf, nil
}

// HolderPDF returns a holder's document as a file name and its bytes
// (the data wallet opens issued documents through it).
func (s *Service) HolderPDF(ctx context.Context, holderID, uri string) (string, []byte, error) {
	d, pdf, err := s.ForHolder(ctx, holderID, uri)
	if err != nil {
		return "", nil, err
	}
	return d.URI + ".pdf", pdf, nil
}

// OfHolder returns the documents issued to a holder, newest first.
func (s *Service) OfHolder(ctx context.Context, holderID string, limit, offset int) ([]Document, error) {
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	rows, err := s.db.Query(ctx, "SELECT uri FROM res_document WHERE holder_id = ? ORDER BY issued_at DESC, uri LIMIT ? OFFSET ?", holderID, limit, max(offset, 0))
	if err != nil {
		return nil, fault.Wrap(err, "result: list documents")
	}
	var uris []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return nil, fault.Wrap(err, "result: list documents")
		}
		uris = append(uris, u)
	}
	rows.Close()
	out := []Document{}
	for _, u := range uris {
		d, err := s.Get(ctx, u)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// CheckUpload checks a file given to the verification page: a plain file
// name, not empty, within MaxVerifySize, a PDF by its bytes.
func CheckUpload(name string, data []byte) error {
	if err := checkFileName(name); err != nil {
		return fault.Invalidf([]fault.FieldError{fe("file", "file.name", "Tên tệp không hợp lệ: tên tệp không được chứa đường dẫn (/, \\, ..) hay ký tự điều khiển", err.Error())}, "bad file name")
	}
	if len(data) > MaxVerifySize {
		return &fault.Error{Kind: fault.TooLarge, Code: "file.too_large", Message: fmt.Sprintf("Tệp quá lớn: chỉ kiểm tra được tệp tối đa %d MB", MaxVerifySize>>20),
			Detail: fmt.Sprintf("the file is over %d bytes", MaxVerifySize)}
	}
	if len(data) == 0 {
		return fault.Invalidf([]fault.FieldError{fe("file", "file.empty", "Hãy chọn tệp PDF của giấy tờ cần kiểm tra", "no file, or an empty one")}, "empty file")
	}
	if ct := http.DetectContentType(data); !strings.HasPrefix(ct, "application/pdf") {
		return fault.Invalidf([]fault.FieldError{fe("file", "file.type", "Chỉ kiểm tra được tệp PDF; tệp bạn chọn không phải tệp PDF", "only PDF files can be verified, got "+ct)}, "not a pdf")
	}
	return nil
}

func checkFileName(name string) error {
	switch {
	case !utf8.ValidString(name):
		return errors.New("the file name is not valid UTF-8")
	case strings.ContainsAny(name, `/\`):
		return errors.New("the file name contains a path separator")
	case strings.Contains(name, ".."):
		return errors.New("the file name contains ..")
	case strings.HasPrefix(strings.TrimSpace(name), "."):
		return errors.New("the file name starts with a dot")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return errors.New("the file name contains a control character")
		}
	}
	return nil
}

// Verify checks a document: by its URI alone (uri set, file nil), or a
// file (file set; uri, when also set, must be the file's). The answer
// says whether it was issued here with a valid signature from a
// certificate of the platform's CA (genuine), whether the file is the file
// as issued (unaltered), and whether it was revoked. Only bad arguments
// and failures are errors: a document not issued here is a Verification.
func (s *Service) Verify(ctx context.Context, uri string, file []byte) (Verification, error) {
	uri = strings.TrimSpace(uri)
	var p proof
	var haveProof bool
	if file != nil {
		p, haveProof = extractProof(file)
		if !haveProof {
			// A file without the proof may still be exactly the signed
			// revision (the proof's update taken off): match it by the
			// signed hash.
			sum := sha256.Sum256(file)
			var u string
			err := s.db.QueryRow(ctx, "SELECT uri FROM res_document WHERE signed_sha256 = ?", hex.EncodeToString(sum[:])).Scan(&u)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return Verification{}, fault.Wrap(err, "result: match file")
			}
			if u == "" {
				return notIssued(), nil
			}
			p.URI = u
		}
		if uri != "" && uri != p.URI {
			v, err := s.Verify(ctx, uri, nil)
			if err != nil {
				return v, err
			}
			if v.Status == StatusNotIssued {
				return v, nil
			}
			no := false
			v.Status, v.Unaltered = StatusAltered, &no
			v.Message, v.MessageEn = "Tệp này không phải là giấy tờ mang mã "+uri+".", "This file is not the document "+uri+"."
			return v, nil
		}
		uri = p.URI
	}
	if !ValidURI(uri) {
		return notIssued(), nil
	}
	r, err := s.load(ctx, s.db, uri)
	if fault.Is(err, fault.NotFound) {
		return notIssued(), nil
	}
	if err != nil {
		return Verification{}, err
	}
	v := Verification{URI: r.URI, Issuer: r.Agency, IssuerName: r.AgencyName, DocType: r.DocType, Title: r.Title, Holder: MaskName(r.HolderName),
		Revoked: r.Revoked, RevokedAt: r.RevokedAt, RevokeReason: r.RevokeReason, SHA256: r.SHA256, Demo: r.Demo}
	issued := r.IssuedAt
	v.IssuedAt = &issued

	cert, cerr := pki.DecodeCert([]byte(r.certPEM))
	if cerr == nil {
		v.Signer = signerInfo(cert)
	}
	ca, err := s.caCert(ctx)
	if err != nil {
		return Verification{}, fault.Wrap(err, "result: CA")
	}
	sum, _ := hex.DecodeString(r.signedSHA256)
	switch {
	case cerr != nil, chains(ca, cert, r.IssuedAt) != nil, verifyDigest(cert, sum, r.signature) != nil:
		v.Status = StatusBadSig
	default:
		v.Genuine = true
	}
	if file != nil && v.Genuine {
		// Unaltered: the file as issued (its signed revision and the proof
		// after it), or exactly the signed revision.
		whole := sha256.Sum256(file)
		ok := hex.EncodeToString(whole[:]) == r.SHA256 || hex.EncodeToString(whole[:]) == r.signedSHA256
		if ok && haveProof {
			prefix := sha256.Sum256(file[:min(p.SignedLength, len(file))])
			ok = p.SignedLength == r.signedLength && hex.EncodeToString(prefix[:]) == r.signedSHA256
		}
		v.Unaltered = &ok
		if !ok {
			v.Status = StatusAltered
		}
	}
	if v.Status == "" {
		v.Status = StatusGenuine
		if v.Revoked {
			v.Status = StatusRevoked
		}
	}
	v.Message, v.MessageEn = messages(v)
	return v, nil
}

// verifyDigest checks an ECDSA signature made by pki.Sign over data whose
// SHA-256 is digest.
func verifyDigest(cert *x509.Certificate, digest, sig []byte) error {
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return errors.New("result: certificate key is not ECDSA")
	}
	if len(digest) != sha256.Size || !ecdsa.VerifyASN1(pub, digest, sig) {
		return errors.New("result: signature does not verify")
	}
	return nil
}

func notIssued() Verification {
	v := Verification{Status: StatusNotIssued}
	v.Message, v.MessageEn = messages(v)
	return v
}

// messages says what a verification means, in Vietnamese and English.
func messages(v Verification) (string, string) {
	switch v.Status {
	case StatusNotIssued:
		return "Giấy tờ này không do hệ thống này cấp: không tìm thấy giấy tờ điện tử nào tương ứng. Đừng tin vào nội dung của nó nếu chưa hỏi cơ quan cấp.",
			"This document was not issued by this platform: no electronic document matches it. Do not rely on it before asking the issuing agency."
	case StatusBadSig:
		return "Chữ ký số của giấy tờ này không hợp lệ. Đừng tin vào nội dung của nó; hãy liên hệ cơ quan cấp.",
			"The document's digital signature does not hold. Do not rely on it; contact the issuing agency."
	case StatusAltered:
		msg := "Tệp này đã bị sửa đổi: nó khác với giấy tờ " + v.Title + " do " + v.IssuerName + " cấp. Đừng tin vào nội dung của tệp; hãy xin bản gốc từ người được cấp hoặc tải từ kho dữ liệu của họ."
		en := "This file has been altered: it differs from the " + v.Title + " issued by " + v.IssuerName + ". Do not rely on its content; ask the holder for the original."
		if v.Revoked {
			msg += " Giấy tờ này cũng đã bị thu hồi."
			en += " The document has also been revoked."
		}
		return msg, en
	case StatusRevoked:
		return "Giấy tờ này do " + v.IssuerName + " cấp nhưng đã bị thu hồi, không còn giá trị sử dụng.",
			"This document was issued by " + v.IssuerName + " but has been revoked: it is no longer valid."
	}
	if v.Unaltered != nil {
		return "Giấy tờ này là thật và chưa bị sửa đổi: tệp đúng là tệp do " + v.IssuerName + " cấp và ký số, và giấy tờ chưa bị thu hồi.",
			"This document is genuine and unaltered: the file is exactly the one " + v.IssuerName + " issued and signed, and it has not been revoked."
	}
	return "Giấy tờ này là thật: do " + v.IssuerName + " cấp và ký số, chưa bị thu hồi. Để biết một tệp cụ thể có bị sửa không, hãy tải tệp đó lên để kiểm tra.",
		"This document is genuine: issued and signed by " + v.IssuerName + ", not revoked. To check that a given file is unaltered, upload it."
}

func signerInfo(c *x509.Certificate) *Signer {
	return &Signer{Subject: c.Subject.CommonName, Agency: c.Subject.SerialNumber, Serial: strings.ToUpper(c.SerialNumber.Text(16)),
		Fingerprint: pki.Fingerprint(c), Issuer: c.Issuer.CommonName, NotBefore: c.NotBefore, NotAfter: c.NotAfter}
}

// MaskName shows a name partly: the family name in full, then the first
// letter of each other word: "Nguyễn Văn Minh" → "Nguyễn V*** M***".
func MaskName(name string) string {
	words := strings.Fields(name)
	for i := 1; i < len(words); i++ {
		r, _ := utf8.DecodeRuneInString(words[i])
		words[i] = string(r) + "***"
	}
	return strings.Join(words, " ")
}

// revokedEvent is the payload of result.revoked.
type revokedEvent struct {
	URI       string    `json:"uri"`
	HolderID  string    `json:"holder_id"`
	Agency    string    `json:"agency"`
	Reason    string    `json:"reason"`
	RevokedAt time.Time `json:"revoked_at"`
}

// Revoke withdraws a document (thu hồi): it stays verifiable, and its
// verification says it was revoked, when and why. The change, its
// result.revoked event and its audit row commit together.
func (s *Service) Revoke(ctx context.Context, who audit.Actor, uri, reason string) (Document, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || !plain(reason) || utf8.RuneCountInString(reason) > 500 {
		err := fault.Invalidf([]fault.FieldError{fe("reason", "reason.required", "Hãy ghi lý do thu hồi (một dòng, tối đa 500 ký tự)", "a reason of at most 500 characters is required")}, "reason")
		audit.Record(context.WithoutCancel(ctx), s.db, who.Entry("result.revoke", "result/"+uri, audit.Invalid, map[string]any{"reason": "reason.required"}))
		return Document{}, err
	}
	if !ValidURI(uri) {
		return Document{}, notFound(uri)
	}
	now := s.now()
	var out Document
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		r, err := s.load(ctx, tx, uri)
		if err != nil {
			return err
		}
		if r.Revoked {
			return fault.New(fault.Conflict, "result.already_revoked", "Giấy tờ này đã bị thu hồi từ trước", "the document was already revoked")
		}
		if _, err := tx.Exec(ctx, "UPDATE res_document SET revoked_at = ?, revoke_reason = ?, revoked_by = ? WHERE uri = ? AND revoked_at IS NULL",
			now.UnixMicro(), reason, who.Subject, uri); err != nil {
			return err
		}
		data, _ := json.Marshal(revokedEvent{URI: uri, HolderID: r.HolderID, Agency: r.Agency, Reason: reason, RevokedAt: now.UTC()})
		if _, err := bus.Emit(ctx, tx, bus.Event{Type: EventRevoked, Source: "result", Subject: uri, Data: data, Time: now.UTC()}); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, who.Entry("result.revoke", "result/"+uri, audit.OK, map[string]any{"reason": reason, "holder": r.HolderID})); err != nil {
			return err
		}
		t := now.In(vnZone)
		r.Revoked, r.RevokedAt, r.RevokeReason = true, &t, reason
		out = r.Document
		return nil
	})
	if err != nil {
		if f := fault.As(err); f != nil {
			if f.Kind == fault.Conflict {
				audit.Record(context.WithoutCancel(ctx), s.db, who.Entry("result.revoke", "result/"+uri, audit.Invalid, map[string]any{"reason": f.Code}))
			}
			return Document{}, err
		}
		return Document{}, fault.Wrap(err, "result: revoke")
	}
	return out, nil
}

// CACertificate returns the PEM certificate of the CA that certifies the
// agencies' signing keys, for checking documents offline.
func (s *Service) CACertificate(ctx context.Context) ([]byte, error) {
	c, err := s.caCert(ctx)
	if err != nil {
		return nil, fault.Wrap(err, "result: CA")
	}
	return pki.EncodeCert(c), nil
}
