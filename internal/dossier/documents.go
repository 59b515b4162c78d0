package dossier

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/upload"
)

// Limits on uploaded documents.
const (
	MaxDocumentSize = 10 << 20 // bytes per file
	MaxUploadSize   = 32 << 20 // bytes per request
	MaxDocuments    = 50       // files per dossier
)

// Upload is a file for a dossier.
type Upload struct {
	DocCode string // the procedure's document code (thành phần hồ sơ)
	Name    string // the file name as the client sent it
	Data    []byte
}

// checked is an upload that passed the checks.
type checked struct {
	Upload
	name, contentType, sum string
}

// checkUploads checks each file: a document the procedure asks for, not
// empty, within the size limit, a PDF, JPEG or PNG by its bytes, and a
// plain file name.
func checkUploads(pi *procInfo, ups []Upload) ([]checked, error) {
	var fields []fault.FieldError
	var out []checked
	for i, up := range ups {
		field := fmt.Sprintf("documents[%d]", i)
		if up.DocCode != "" {
			field = up.DocCode
		}
		if _, ok := pi.docs[up.DocCode]; !ok {
			fields = append(fields, fe(field, "document.unknown", "Thủ tục không có thành phần hồ sơ mã “"+up.DocCode+"”", "the procedure has no document "+up.DocCode))
			continue
		}
		if len(up.Data) > MaxDocumentSize {
			return nil, &fault.Error{Kind: fault.TooLarge, Code: "document.too_large",
				Message: fmt.Sprintf("Tệp “%s” vượt quá dung lượng cho phép (%d MB)", up.Name, MaxDocumentSize>>20),
				Detail:  fmt.Sprintf("file %q is %d bytes, the limit is %d", up.Name, len(up.Data), MaxDocumentSize)}
		}
		if len(up.Data) == 0 {
			fields = append(fields, fe(field, "document.empty", "Tệp “"+up.Name+"” không có nội dung", "the file is empty"))
			continue
		}
		ct, ext, ok := upload.Type(up.Data)
		if !ok {
			fields = append(fields, fe(field, "document.type", "Chỉ nhận tệp PDF, JPEG hoặc PNG; tệp “"+up.Name+"” không thuộc các loại này", "only PDF, JPEG and PNG files are accepted, got "+ct))
			continue
		}
		name, err := upload.CleanName(up.Name, ext)
		if err != nil {
			fields = append(fields, fe(field, "document.name", "Tên tệp không hợp lệ: tên tệp không được chứa đường dẫn (/, \\, ..) hay ký tự điều khiển", err.Error()))
			continue
		}
		sum := sha256.Sum256(up.Data)
		out = append(out, checked{Upload: up, name: name, contentType: ct, sum: hex.EncodeToString(sum[:])})
	}
	if len(fields) > 0 {
		return nil, fault.Invalidf(fields, "%d document(s) refused", len(fields))
	}
	return out, nil
}

// checkRef checks a referenced document.
func checkRef(pi *procInfo, ref DocumentRef, i int) (fault.FieldError, bool) {
	field := fmt.Sprintf("documents[%d]", i)
	doc, ok := pi.docs[ref.DocCode]
	switch {
	case !ok:
		return fe(field+".doc_code", "document.unknown", "Thủ tục không có thành phần hồ sơ mã “"+ref.DocCode+"”", "the procedure has no document "+ref.DocCode), false
	case strings.TrimSpace(ref.Ref) == "":
		return fe(field+".ref", "document.ref", "Thiếu mã tham chiếu của giấy tờ", "ref is required"), false
	case ref.Source == SourceRegistry && !strings.HasPrefix(doc.ReplacedBy, "registry:"):
		return fe(field+".source", "document.source", "Thành phần hồ sơ này không lấy được từ cơ sở dữ liệu quốc gia", "this document is not replaced by a registry"), false
	case ref.Source != SourceRegistry && ref.Source != SourceWallet:
		return fe(field+".source", "document.source", "Nguồn giấy tờ phải là registry (cơ sở dữ liệu quốc gia) hoặc wallet (kho dữ liệu cá nhân)", "source must be registry or wallet"), false
	}
	return fault.FieldError{}, true
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func insertRef(ctx context.Context, tx store.Querier, pi *procInfo, code string, ref DocumentRef, by string, now time.Time) error {
	name := ref.Name
	if name == "" {
		name = pi.docs[ref.DocCode].Name
	}
	_, err := tx.Exec(ctx, "INSERT INTO dos_document (code, doc_code, name, content_type, size, sha256, data, source, ref, digitised, reused, from_registry, uploaded_by, uploaded_at) VALUES (?, ?, ?, '', 0, '', NULL, ?, ?, 1, ?, ?, ?, ?)",
		code, ref.DocCode, name, ref.Source, ref.Ref, b2i(ref.Source == SourceWallet), b2i(ref.Source == SourceRegistry), by, micros(now))
	if err != nil {
		return fmt.Errorf("dossier: document reference: %w", err)
	}
	return nil
}

func insertUploads(ctx context.Context, tx store.Querier, code string, docs []checked, by string, supplement bool, now time.Time) error {
	var n int
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM dos_document WHERE code = ?", code).Scan(&n); err != nil {
		return err
	}
	if n+len(docs) > MaxDocuments {
		return fault.New(fault.Conflict, "document.too_many", fmt.Sprintf("Mỗi hồ sơ có tối đa %d tệp", MaxDocuments), fmt.Sprintf("a dossier holds at most %d files", MaxDocuments))
	}
	for _, d := range docs {
		_, err := tx.Exec(ctx, "INSERT INTO dos_document (code, doc_code, name, content_type, size, sha256, data, source, digitised, supplement, uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
			code, d.DocCode, d.name, d.contentType, len(d.Data), d.sum, d.Data, SourceUpload, b2i(supplement), by, micros(now))
		if err != nil {
			return fmt.Errorf("dossier: document: %w", err)
		}
	}
	return nil
}

func (s *Service) documents(ctx context.Context, code string) ([]Document, error) {
	rows, err := s.db.Query(ctx, "SELECT id, doc_code, name, content_type, size, sha256, source, ref, digitised, reused, from_registry, supplement, uploaded_by, uploaded_at FROM dos_document WHERE code = ? ORDER BY id", code)
	if err != nil {
		return nil, fmt.Errorf("dossier: documents: %w", err)
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		var d Document
		var dig, reu, reg, sup int
		var at int64
		if err := rows.Scan(&d.ID, &d.DocCode, &d.Name, &d.ContentType, &d.Size, &d.SHA256, &d.Source, &d.Ref, &dig, &reu, &reg, &sup, &d.UploadedBy, &at); err != nil {
			return nil, err
		}
		d.Digitised, d.Reused, d.FromNatDB, d.Supplement = dig != 0, reu != 0, reg != 0, sup != 0
		d.UploadedAt = fromMicros(at, s.cal.Location())
		out = append(out, d)
	}
	return out, rows.Err()
}

// Content returns one uploaded document's bytes. It checks no rights; the
// caller has already been allowed to see the dossier.
func (s *Service) Content(ctx context.Context, code string, id int64) (Document, []byte, error) {
	var d Document
	var data []byte
	err := s.db.QueryRow(ctx, "SELECT id, doc_code, name, content_type, size, sha256, source, data FROM dos_document WHERE code = ? AND id = ?", code, id).
		Scan(&d.ID, &d.DocCode, &d.Name, &d.ContentType, &d.Size, &d.SHA256, &d.Source, &data)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && data == nil) {
		return d, nil, fault.NotFoundf("dossier.document_not_found", "Hồ sơ không có tệp này", "dossier %s has no file %d", code, id)
	}
	if err != nil {
		return d, nil, fmt.Errorf("dossier: document: %w", err)
	}
	return d, data, nil
}

// AddDocuments attaches files the applicant uploads while the dossier
// waits for reception (status 1) or for a supplement (5).
func (s *Service) AddDocuments(ctx context.Context, applicantID, code string, ups []Upload) ([]Document, error) {
	return s.addDocuments(ctx, code, ups, applicantID, func(r *row) error {
		if r.Applicant.ID != applicantID {
			return notFound(code)
		}
		if r.Status != StatusNew && r.Status != StatusSupplement && r.Status != StatusPayment {
			return fault.New(fault.Conflict, "dossier.documents_closed", "Chỉ nộp thêm tệp khi hồ sơ chờ tiếp nhận, chờ nộp phí hoặc đang được yêu cầu bổ sung", "files can be added in status 1, 5 or 6 only")
		}
		return nil
	})
}

// AddDocumentsAsOfficial attaches files the one-stop desk scans (a
// dossier received in person) while the dossier is at reception.
func (s *Service) AddDocumentsAsOfficial(ctx context.Context, who Official, code string, ups []Upload) ([]Document, error) {
	docs, err := s.addDocuments(ctx, code, ups, who.ID, func(r *row) error {
		if !who.actsFor(r.Agency) {
			return errOtherAgency(r.Agency)
		}
		if !who.Has(RoleReceptionist) {
			return fault.New(fault.Forbidden, "dossier.wrong_role", "Chỉ cán bộ tiếp nhận được nộp tệp vào hồ sơ", "only a receptionist adds files")
		}
		if r.Status != StatusNew {
			return fault.New(fault.Conflict, "dossier.documents_closed", "Chỉ bổ sung tệp khi hồ sơ đang chờ tiếp nhận", "the desk adds files in status 1 only")
		}
		return nil
	})
	if f := fault.As(err); f != nil && (f.Kind == fault.Forbidden || f.Kind == fault.Conflict) {
		s.deny(ctx, who.ID, "documents", code, err)
	}
	return docs, err
}

func (s *Service) addDocuments(ctx context.Context, code string, ups []Upload, by string, allow func(*row) error) ([]Document, error) {
	if len(ups) == 0 {
		return nil, fault.Invalidf([]fault.FieldError{fe("documents", "documents.required", "Hãy chọn ít nhất một tệp", "no file")}, "no file")
	}
	r, err := s.load(ctx, s.db, code)
	if err != nil {
		return nil, err
	}
	if err := allow(r); err != nil {
		return nil, err
	}
	pi, err := s.proc(ctx, r.Procedure, r.ProcedureVersion)
	if err != nil {
		return nil, err
	}
	docs, err := checkUploads(pi, ups)
	if err != nil {
		return nil, err
	}
	err = s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		cur, err := s.load(ctx, tx, code)
		if err != nil {
			return err
		}
		if err := allow(cur); err != nil {
			return err
		}
		return insertUploads(ctx, tx, code, docs, by, cur.Status == StatusSupplement, s.now())
	})
	if err != nil {
		return nil, err
	}
	return s.documents(ctx, code)
}
