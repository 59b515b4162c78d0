package portal

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the portal's tables (drafts of filings).
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// draft is a filing in progress.
type draft struct {
	ID          string
	Applicant   string
	Procedure   string
	Agency      string
	Values      map[string]string // input name -> text
	Sources     map[string]string // field -> prefill source
	Wallet      map[string]string // document code -> wallet item id
	Consent     string            // "allow" (prefilled with consent), "deny" (typed), "" (not asked yet)
	PrefillNote string            // why prefill did not happen, when it did not
	PayOnline   bool
	IdemKey     string
	DossierCode string
	Files       []draftFile
	UpdatedAt   time.Time
}

// draftFile is an uploaded file waiting in a draft (without its bytes).
type draftFile struct {
	ID          int64
	DocCode     string
	Name        string
	ContentType string
	Size        int64
}

// drafts keeps drafts in the portal's tables.
type drafts struct {
	db  *store.DB
	now func() time.Time

	batch     *store.GroupWriter // group commit on SQLite
	batchOnce sync.Once
}

// How long drafts live: an open one from its last change, a filed one
// (kept so that a repeated submission finds its dossier) from filing.
const (
	draftTTL      = 30 * 24 * time.Hour
	filedDraftTTL = 24 * time.Hour
)

const draftCols = "id, applicant_id, procedure_code, agency, form_values, sources, wallet, consent, prefill_note, pay_online, idem_key, dossier_code, updated_at"

func (s *drafts) scan(row interface{ Scan(...any) error }) (*draft, error) {
	d := &draft{}
	var vals, srcs, wal string
	var pay int
	var upd int64
	if err := row.Scan(&d.ID, &d.Applicant, &d.Procedure, &d.Agency, &vals, &srcs, &wal, &d.Consent, &d.PrefillNote, &pay, &d.IdemKey, &d.DossierCode, &upd); err != nil {
		return nil, err
	}
	d.Values, d.Sources, d.Wallet = map[string]string{}, map[string]string{}, map[string]string{}
	json.Unmarshal([]byte(vals), &d.Values)
	json.Unmarshal([]byte(srcs), &d.Sources)
	json.Unmarshal([]byte(wal), &d.Wallet)
	d.PayOnline, d.UpdatedAt = pay != 0, time.UnixMicro(upd)
	return d, nil
}

// open returns the citizen's open draft of a procedure, with its files'
// metadata, or nil when there is none.
func (s *drafts) open(ctx context.Context, applicant, proc string) (*draft, error) {
	d, err := s.scan(s.db.QueryRow(ctx, "SELECT "+draftCols+" FROM portal_draft WHERE applicant_id = ? AND procedure_code = ? AND dossier_code = ''", applicant, proc))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("portal: read draft: %w", err)
	}
	if d.Files, err = s.files(ctx, d.ID); err != nil {
		return nil, err
	}
	return d, nil
}

// filed returns the dossier code the draft of id was filed as, or "".
func (s *drafts) filedAs(ctx context.Context, applicant, id string) (string, error) {
	var code string
	err := s.db.QueryRow(ctx, "SELECT dossier_code FROM portal_draft WHERE id = ? AND applicant_id = ?", id, applicant).Scan(&code)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return code, err
}

func (s *drafts) files(ctx context.Context, id string) ([]draftFile, error) {
	rows, err := s.db.Query(ctx, "SELECT id, doc_code, name, content_type, size FROM portal_draft_file WHERE draft_id = ? ORDER BY id", id)
	if err != nil {
		return nil, fmt.Errorf("portal: draft files: %w", err)
	}
	defer rows.Close()
	var out []draftFile
	for rows.Next() {
		var f draftFile
		if err := rows.Scan(&f.ID, &f.DocCode, &f.Name, &f.ContentType, &f.Size); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// fileData returns the bytes of a draft's files, in upload order.
func (s *drafts) fileData(ctx context.Context, id string) ([]draftFile, [][]byte, error) {
	rows, err := s.db.Query(ctx, "SELECT id, doc_code, name, content_type, size, data FROM portal_draft_file WHERE draft_id = ? ORDER BY id", id)
	if err != nil {
		return nil, nil, fmt.Errorf("portal: draft files: %w", err)
	}
	defer rows.Close()
	var fs []draftFile
	var data [][]byte
	for rows.Next() {
		var f draftFile
		var b []byte
		if err := rows.Scan(&f.ID, &f.DocCode, &f.Name, &f.ContentType, &f.Size, &b); err != nil {
			return nil, nil, err
		}
		fs, data = append(fs, f), append(data, b)
	}
	return fs, data, rows.Err()
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// create starts a draft, or returns the open one a concurrent request
// started.
func (s *drafts) create(ctx context.Context, d *draft) (*draft, error) {
	now := s.now().UnixMicro()
	d.ID, d.IdemKey = randomToken(), "portal-"+randomToken()
	err := s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO portal_draft ("+draftCols+", created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)",
			d.ID, d.Applicant, d.Procedure, d.Agency, jsonText(d.Values), jsonText(d.Sources), jsonText(d.Wallet), d.Consent, d.PrefillNote, b2i(d.PayOnline), d.IdemKey, now, now)
		return err
	})
	if store.IsUniqueViolation(err) {
		return s.open(ctx, d.Applicant, d.Procedure)
	}
	if err != nil {
		return nil, fmt.Errorf("portal: create draft: %w", err)
	}
	return d, nil
}

// save writes a draft's values, sources, wallet choices, agency and
// consent; a filed draft is left alone.
func (s *drafts) save(ctx context.Context, d *draft) error {
	return s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE portal_draft SET agency = ?, form_values = ?, sources = ?, wallet = ?, consent = ?, prefill_note = ?, pay_online = ?, updated_at = ? WHERE id = ? AND dossier_code = ''",
			d.Agency, jsonText(d.Values), jsonText(d.Sources), jsonText(d.Wallet), d.Consent, d.PrefillNote, b2i(d.PayOnline), s.now().UnixMicro(), d.ID)
		if err != nil {
			return fmt.Errorf("portal: save draft: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errDraftGone
		}
		return nil
	})
}

var errDraftGone = fault.New(fault.Conflict, "portal.draft_gone",
	"Hồ sơ đang soạn này đã được nộp hoặc đã hủy. Xem lại trong mục “Hồ sơ của tôi”.", "the draft was filed or discarded")

// addFile keeps a checked upload in a draft, replacing the file of the
// same document.
func (s *drafts) addFile(ctx context.Context, id, docCode, name, contentType string, data []byte) error {
	sum := sha256.Sum256(data)
	return s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		var open int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM portal_draft WHERE id = ? AND dossier_code = ''", id).Scan(&open); err != nil {
			return err
		}
		if open == 0 {
			return errDraftGone
		}
		if _, err := tx.Exec(ctx, "DELETE FROM portal_draft_file WHERE draft_id = ? AND doc_code = ?", id, docCode); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO portal_draft_file (draft_id, doc_code, name, content_type, size, sha256, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			id, docCode, name, contentType, len(data), hex.EncodeToString(sum[:]), data, s.now().UnixMicro())
		if err != nil {
			return fmt.Errorf("portal: keep file: %w", err)
		}
		_, err = tx.Exec(ctx, "UPDATE portal_draft SET updated_at = ? WHERE id = ?", s.now().UnixMicro(), id)
		return err
	})
}

// removeFile drops an uploaded file of a document from a draft.
func (s *drafts) removeFile(ctx context.Context, id, docCode string) error {
	return s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM portal_draft_file WHERE draft_id = ? AND doc_code = ?", id, docCode)
		return err
	})
}

// claimTTL is how long a submission holds its draft; a submission that
// died holding it is taken over after that.
const claimTTL = time.Minute

// claim takes the open draft d for one submission, saving its payment
// choice; it reports false when another submission holds it (or it is
// filed).
func (s *drafts) claim(ctx context.Context, d *draft) (bool, error) {
	now := s.now()
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE portal_draft SET submitting = ?, pay_online = ?, updated_at = ? WHERE id = ? AND dossier_code = '' AND submitting < ?",
			now.UnixMicro(), b2i(d.PayOnline), now.UnixMicro(), d.ID, now.Add(-claimTTL).UnixMicro())
		if err != nil {
			return fmt.Errorf("portal: claim draft: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n == 1, err
}

// release gives a draft back after a submission that did not file it.
func (s *drafts) release(ctx context.Context, id string) error {
	return s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, "UPDATE portal_draft SET submitting = 0 WHERE id = ? AND dossier_code = ''", id)
		return err
	})
}

// filed marks a draft as filed as dossier code and drops its files: the
// dossier holds them now.
func (s *drafts) filed(ctx context.Context, id, code string) error {
	return s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE portal_draft SET dossier_code = ?, submitting = 0, updated_at = ? WHERE id = ? AND dossier_code = ''", code, s.now().UnixMicro(), id); err != nil {
			return fmt.Errorf("portal: draft filed: %w", err)
		}
		_, err := tx.Exec(ctx, "DELETE FROM portal_draft_file WHERE draft_id = ?", id)
		return err
	})
}

// discard deletes an open draft and its files.
func (s *drafts) discard(ctx context.Context, applicant, id string) error {
	return s.write(ctx, func(ctx context.Context, tx *store.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM portal_draft WHERE id = ? AND applicant_id = ? AND dossier_code = ''", id, applicant)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, "DELETE FROM portal_draft_file WHERE draft_id = ?", id)
		return err
	})
}

// prune deletes drafts past their time.
func (s *drafts) prune(ctx context.Context) error {
	now := s.now()
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		old := "SELECT id FROM portal_draft WHERE (dossier_code = '' AND updated_at < ?) OR (dossier_code <> '' AND updated_at < ?)"
		args := []any{now.Add(-draftTTL).UnixMicro(), now.Add(-filedDraftTTL).UnixMicro()}
		if _, err := tx.Exec(ctx, "DELETE FROM portal_draft_file WHERE draft_id IN ("+old+")", args...); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM portal_draft WHERE (dossier_code = '' AND updated_at < ?) OR (dossier_code <> '' AND updated_at < ?)", args...)
		return err
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
