package wallet

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/upload"
	"github.com/vngov/vngov/internal/platform/vnid"
)

// Limits.
const (
	MaxFileSize  = dossier.MaxDocumentSize // bytes per kept file, as for a dossier's documents
	MaxUploaded  = 100                     // kept files per holder
	maxTextRunes = 300
)

// Results gives the files of documents issued to a holder;
// *result.Service satisfies it.
type Results interface {
	HolderPDF(ctx context.Context, holderID, uri string) (name string, data []byte, err error)
}

// Service keeps holders' wallets.
type Service struct {
	db *store.DB
	// Results serves issued documents' files; nil: only kept files can be
	// opened.
	Results Results
	// Tracker reads the registries' access log; nil: "Ai đã xem dữ liệu của
	// tôi" is unavailable.
	Tracker Tracker
	Log     *slog.Logger

	now func() time.Time
}

// New returns the service over db (with Migrations applied).
func New(db *store.DB) *Service { return &Service{db: db, now: time.Now} }

func fe(field, code, msg, detail string) fault.FieldError {
	return fault.FieldError{Field: field, Code: code, Message: msg, Detail: detail}
}

func itemNotFound(id int64) error {
	return fault.NotFoundf("wallet.item_not_found", "Kho dữ liệu của bạn không có giấy tờ này", "the wallet has no item %d", id)
}

var refEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// ---- items ----

const itemColumns = "id, kind, ref, title, file_name, content_type, size, sha256, issuer, issuer_name, doc_type, dossier_code, uri, issued_at, revoked_at, revoke_reason, added_at"

func scanItem(sc interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var issued, revoked sql.NullInt64
	var added int64
	err := sc.Scan(&it.ID, &it.Kind, &it.Ref, &it.Title, &it.FileName, &it.ContentType, &it.Size, &it.SHA256, &it.Issuer, &it.IssuerName,
		&it.DocType, &it.DossierCode, &it.URI, &issued, &revoked, &it.Reason, &added)
	if err != nil {
		return it, err
	}
	it.AddedAt = time.UnixMicro(added)
	if issued.Valid {
		t := time.UnixMicro(issued.Int64)
		it.IssuedAt = &t
	}
	if revoked.Valid {
		t := time.UnixMicro(revoked.Int64)
		it.Revoked, it.RevokedAt = true, &t
	}
	return it, nil
}

// Items returns a holder's documents, newest first.
func (s *Service) Items(ctx context.Context, holderID string) ([]Item, error) {
	rows, err := s.db.Query(ctx, "SELECT "+itemColumns+" FROM wallet_item WHERE holder_id = ? ORDER BY added_at DESC, id DESC LIMIT 500", holderID)
	if err != nil {
		return nil, fault.Wrap(err, "wallet: list items")
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fault.Wrap(err, "wallet: list items")
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// Item returns one of a holder's documents; another holder's does not
// exist.
func (s *Service) Item(ctx context.Context, holderID string, id int64) (Item, error) {
	it, err := scanItem(s.db.QueryRow(ctx, "SELECT "+itemColumns+" FROM wallet_item WHERE holder_id = ? AND id = ?", holderID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return it, itemNotFound(id)
	}
	if err != nil {
		return it, fault.Wrap(err, "wallet: read item")
	}
	return it, nil
}

// ByRef returns the holder's document a dossier references.
func (s *Service) ByRef(ctx context.Context, holderID, ref string) (Item, error) {
	it, err := scanItem(s.db.QueryRow(ctx, "SELECT "+itemColumns+" FROM wallet_item WHERE holder_id = ? AND ref = ?", holderID, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return it, fault.NotFoundf("wallet.item_not_found", "Kho dữ liệu của bạn không có giấy tờ này", "the wallet has no item %q", ref)
	}
	if err != nil {
		return it, fault.Wrap(err, "wallet: read item")
	}
	return it, nil
}

// Content returns one of a holder's documents with its bytes: a kept
// file from the wallet, an issued document's file from the results
// component.
func (s *Service) Content(ctx context.Context, holderID string, id int64) (Item, []byte, error) {
	it, err := s.Item(ctx, holderID, id)
	if err != nil {
		return it, nil, err
	}
	if it.Kind == KindIssued {
		if s.Results == nil {
			return it, nil, fault.New(fault.Unavailable, "wallet.results_unavailable", "Chưa mở được giấy tờ điện tử lúc này, vui lòng thử lại sau", "no results component is connected")
		}
		_, data, err := s.Results.HolderPDF(ctx, holderID, it.URI)
		return it, data, err
	}
	var data []byte
	if err := s.db.QueryRow(ctx, "SELECT data FROM wallet_item WHERE holder_id = ? AND id = ?", holderID, id).Scan(&data); err != nil {
		return it, nil, fault.Wrap(err, "wallet: read content")
	}
	return it, data, nil
}

// CheckFile checks a file to keep: a plain file name, not empty, within
// MaxFileSize, a PDF, JPEG or PNG by its bytes. It returns the name to
// store and the content type.
func CheckFile(name string, data []byte) (string, string, error) {
	if len(data) > MaxFileSize {
		return "", "", &fault.Error{Kind: fault.TooLarge, Code: "wallet.too_large",
			Message: fmt.Sprintf("Tệp “%s” vượt quá dung lượng cho phép (%d MB)", name, MaxFileSize>>20),
			Detail:  fmt.Sprintf("the file is %d bytes, the limit is %d", len(data), MaxFileSize)}
	}
	if len(data) == 0 {
		return "", "", fault.Invalidf([]fault.FieldError{fe("file", "wallet.empty", "Hãy chọn một tệp có nội dung", "no file, or an empty one")}, "empty file")
	}
	ct, ext, ok := upload.Type(data)
	if !ok {
		return "", "", fault.Invalidf([]fault.FieldError{fe("file", "wallet.type", "Chỉ nhận tệp PDF, JPEG hoặc PNG; tệp “"+name+"” không thuộc các loại này", "only PDF, JPEG and PNG files are accepted, got "+ct)}, "file type")
	}
	clean, err := upload.CleanName(name, ext)
	if err != nil {
		return "", "", fault.Invalidf([]fault.FieldError{fe("file", "wallet.name", "Tên tệp không hợp lệ: tên tệp không được chứa đường dẫn (/, \\, ..) hay ký tự điều khiển", err.Error())}, "file name")
	}
	return clean, ct, nil
}

// Keep stores a file the holder chose to keep, to reuse in later
// dossiers. The item and its audit row commit together.
func (s *Service) Keep(ctx context.Context, who audit.Actor, holderID, name string, data []byte) (Item, error) {
	clean, ct, err := CheckFile(name, data)
	if err != nil {
		return Item{}, err
	}
	sum := sha256.Sum256(data)
	var raw [10]byte
	rand.Read(raw[:])
	ref := "wallet-" + strings.ToLower(refEncoding.EncodeToString(raw[:]))
	now := s.now()
	var id int64
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM wallet_item WHERE holder_id = ? AND kind = ?", holderID, KindUploaded).Scan(&n); err != nil {
			return err
		}
		if n >= MaxUploaded {
			return fault.New(fault.Conflict, "wallet.full", fmt.Sprintf("Kho dữ liệu giữ tối đa %d tệp tải lên; hãy xóa bớt tệp không dùng nữa", MaxUploaded), "the wallet is full")
		}
		title := strings.TrimSuffix(clean, path.Ext(clean))
		if err := tx.QueryRow(ctx, `INSERT INTO wallet_item (holder_id, kind, ref, title, file_name, content_type, size, sha256, data, added_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, holderID, KindUploaded, ref, title, clean, ct, len(data), hex.EncodeToString(sum[:]), data, now.UnixMicro()).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Entry("wallet.keep", "wallet/"+holderID+"/"+ref, audit.OK, map[string]any{"name": clean, "size": len(data)}))
	})
	if err != nil {
		if fault.As(err) != nil {
			return Item{}, err
		}
		return Item{}, fault.Wrap(err, "wallet: keep file")
	}
	return s.Item(ctx, holderID, id)
}

// Delete removes a file the holder kept. Documents issued by an agency
// stay: only the agency can revoke them.
func (s *Service) Delete(ctx context.Context, who audit.Actor, holderID string, id int64) error {
	it, err := s.Item(ctx, holderID, id)
	if err != nil {
		return err
	}
	if it.Kind == KindIssued {
		return fault.New(fault.Conflict, "wallet.issued_kept", "Giấy tờ do cơ quan nhà nước cấp không xóa được khỏi kho dữ liệu; chỉ cơ quan cấp mới thu hồi được", "issued documents cannot be deleted")
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM wallet_item WHERE holder_id = ? AND id = ? AND kind = ?", holderID, id, KindUploaded)
		if err != nil {
			return fault.Wrap(err, "wallet: delete")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return itemNotFound(id)
		}
		return audit.Record(ctx, tx, who.Entry("wallet.delete", "wallet/"+holderID+"/"+it.Ref, audit.OK, map[string]any{"name": it.FileName}))
	})
}

// ---- issued documents, from the results' events ----

// Consumer is the durable name of the consumer of result.* events.
const Consumer = "wallet-results"

// Subscribe starts putting issued documents into their holders' wallets
// (result.issued) and marking revoked ones (result.revoked). One consumer
// takes both, in the stream's order.
func (s *Service) Subscribe(ctx context.Context, b *bus.Bus) (*bus.Subscription, error) {
	return b.Subscribe(ctx, Consumer, "result.*", s.Handle)
}

// resultEvent is what the wallet reads of result.issued and
// result.revoked.
type resultEvent struct {
	URI         string    `json:"uri"`
	HolderID    string    `json:"holder_id"`
	Agency      string    `json:"agency"`
	AgencyName  string    `json:"agency_name"`
	DocType     string    `json:"doc_type"`
	Title       string    `json:"title"`
	DossierCode string    `json:"dossier_code"`
	IssuedAt    time.Time `json:"issued_at"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	Reason      string    `json:"reason"`
	RevokedAt   time.Time `json:"revoked_at"`
}

// Handle processes one result.* event, once (bus.Seen): a redelivered
// event changes nothing.
func (s *Service) Handle(ctx context.Context, ev bus.Event) error {
	var e resultEvent
	if err := json.Unmarshal(ev.Data, &e); err != nil || e.URI == "" {
		s.log().Error("wallet: undecodable result event dropped", "event", ev.ID, "type", ev.Type, "err", err)
		return nil
	}
	if _, err := vnid.ParsePersonalID("holder_id", e.HolderID); err != nil {
		s.log().Error("wallet: result event without a valid holder dropped", "event", ev.ID, "uri", e.URI)
		return nil
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if seen, err := bus.Seen(ctx, tx, Consumer, ev.ID); err != nil || seen {
			return err
		}
		switch ev.Type {
		case "result.issued":
			name := e.URI + ".pdf"
			_, err := tx.Exec(ctx, `INSERT INTO wallet_item (holder_id, kind, ref, title, file_name, content_type, size, sha256, issuer, issuer_name, doc_type, dossier_code, uri, issued_at, added_at)
				VALUES (?, ?, ?, ?, ?, 'application/pdf', ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				e.HolderID, KindIssued, e.URI, e.Title, name, e.Size, e.SHA256, e.Agency, e.AgencyName, e.DocType, e.DossierCode, e.URI, e.IssuedAt.UnixMicro(), s.now().UnixMicro())
			return err
		case "result.revoked":
			_, err := tx.Exec(ctx, "UPDATE wallet_item SET revoked_at = ?, revoke_reason = ? WHERE holder_id = ? AND uri = ?", e.RevokedAt.UnixMicro(), e.Reason, e.HolderID, e.URI)
			return err
		}
		return nil
	})
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// ---- consents ----

// Events of consents.
const (
	EventConsentGranted   = "wallet.consent_granted"
	EventConsentWithdrawn = "wallet.consent_withdrawn"
)

func oneLine(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

func checkConsent(c Consent) (Consent, error) {
	var fields []fault.FieldError
	for _, t := range []struct {
		field, name string
		v           *string
		need        bool
	}{
		{"purpose", "Mục đích", &c.Purpose, true},
		{"recipient", "Bên nhận dữ liệu", &c.Recipient, true},
		{"source", "Nguồn dữ liệu", &c.Source, true},
		{"procedure", "Mã thủ tục", &c.Procedure, false},
	} {
		*t.v = strings.TrimSpace(*t.v)
		switch {
		case *t.v == "" && t.need:
			fields = append(fields, fe(t.field, t.field+".required", t.name+" không được để trống", t.field+" is required"))
		case !oneLine(*t.v) || utf8.RuneCountInString(*t.v) > maxTextRunes:
			fields = append(fields, fe(t.field, t.field+".format", t.name+" phải là một dòng chữ, tối đa 300 ký tự", t.field+" must be one line of at most 300 characters"))
		}
	}
	var data []string
	for _, d := range c.Data {
		if d = strings.TrimSpace(d); d != "" {
			data = append(data, d)
		}
	}
	c.Data = data
	switch {
	case len(data) == 0:
		fields = append(fields, fe("data", "data.required", "Hãy nêu dữ liệu nào được chia sẻ", "data names at least one item"))
	case len(data) > 50:
		fields = append(fields, fe("data", "data.too_many", "Tối đa 50 mục dữ liệu", "at most 50 data items"))
	}
	for _, d := range data {
		if !oneLine(d) || utf8.RuneCountInString(d) > 120 {
			fields = append(fields, fe("data", "data.format", "Mỗi mục dữ liệu là một dòng chữ, tối đa 120 ký tự", "each data item is one line of at most 120 characters"))
			break
		}
	}
	if len(fields) > 0 {
		return c, fault.Invalidf(fields, "invalid consent")
	}
	return c, nil
}

const consentColumns = "id, purpose, recipient, data_items, source, procedure_code, granted_at, withdrawn_at"

func scanConsent(sc interface{ Scan(...any) error }) (Consent, error) {
	var c Consent
	var data string
	var granted int64
	var withdrawn sql.NullInt64
	if err := sc.Scan(&c.ID, &c.Purpose, &c.Recipient, &data, &c.Source, &c.Procedure, &granted, &withdrawn); err != nil {
		return c, err
	}
	json.Unmarshal([]byte(data), &c.Data)
	c.GrantedAt = time.UnixMicro(granted)
	if withdrawn.Valid {
		t := time.UnixMicro(withdrawn.Int64)
		c.WithdrawnAt = &t
	}
	return c, nil
}

// consentEvent is the payload of the consent events.
type consentEvent struct {
	ID        int64    `json:"id"`
	HolderID  string   `json:"holder_id"`
	Recipient string   `json:"recipient"`
	Source    string   `json:"source"`
	Data      []string `json:"data"`
	Procedure string   `json:"procedure,omitempty"`
}

// Grant records a consent the holder gave. The same consent given again
// while it holds is the same consent (the first is returned).
func (s *Service) Grant(ctx context.Context, who audit.Actor, holderID string, c Consent) (Consent, error) {
	c, err := checkConsent(c)
	if err != nil {
		return c, err
	}
	data, _ := json.Marshal(c.Data)
	now := s.now()
	var out Consent
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		prev, err := scanConsent(tx.QueryRow(ctx, "SELECT "+consentColumns+` FROM wallet_consent WHERE holder_id = ? AND purpose = ? AND recipient = ? AND data_items = ?
			AND source = ? AND procedure_code = ? AND withdrawn_at IS NULL ORDER BY id LIMIT 1`, holderID, c.Purpose, c.Recipient, string(data), c.Source, c.Procedure))
		if err == nil {
			out = prev
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, "INSERT INTO wallet_consent (holder_id, purpose, recipient, data_items, source, procedure_code, granted_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
			holderID, c.Purpose, c.Recipient, string(data), c.Source, c.Procedure, now.UnixMicro()).Scan(&id); err != nil {
			return err
		}
		ev, _ := json.Marshal(consentEvent{ID: id, HolderID: holderID, Recipient: c.Recipient, Source: c.Source, Data: c.Data, Procedure: c.Procedure})
		if _, err := bus.Emit(ctx, tx, bus.Event{Type: EventConsentGranted, Source: "wallet", Subject: fmt.Sprint(id), Data: ev}); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, who.Entry("wallet.consent.grant", fmt.Sprintf("wallet/%s/consent/%d", holderID, id), audit.OK,
			map[string]any{"recipient": c.Recipient, "source": c.Source, "data": c.Data, "purpose": c.Purpose})); err != nil {
			return err
		}
		out = c
		out.ID, out.GrantedAt = id, time.UnixMicro(now.UnixMicro())
		return nil
	})
	if err != nil {
		return Consent{}, fault.Wrap(err, "wallet: grant consent")
	}
	return out, nil
}

// Consents returns a holder's consents: those that hold first, newest
// first, then the withdrawn ones.
func (s *Service) Consents(ctx context.Context, holderID string) ([]Consent, error) {
	rows, err := s.db.Query(ctx, "SELECT "+consentColumns+" FROM wallet_consent WHERE holder_id = ? ORDER BY CASE WHEN withdrawn_at IS NULL THEN 0 ELSE 1 END, granted_at DESC, id DESC LIMIT 500", holderID)
	if err != nil {
		return nil, fault.Wrap(err, "wallet: list consents")
	}
	defer rows.Close()
	out := []Consent{}
	for rows.Next() {
		c, err := scanConsent(rows)
		if err != nil {
			return nil, fault.Wrap(err, "wallet: list consents")
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Withdraw withdraws one of a holder's consents; another holder's does
// not exist.
func (s *Service) Withdraw(ctx context.Context, who audit.Actor, holderID string, id int64) (Consent, error) {
	var out Consent
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		c, err := scanConsent(tx.QueryRow(ctx, "SELECT "+consentColumns+" FROM wallet_consent WHERE holder_id = ? AND id = ?", holderID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fault.NotFoundf("wallet.consent_not_found", "Không có sự đồng ý này trong kho dữ liệu của bạn", "no consent %d", id)
		}
		if err != nil {
			return err
		}
		if !c.Active() {
			return fault.New(fault.Conflict, "wallet.consent_withdrawn", "Bạn đã rút lại sự đồng ý này từ trước", "the consent was already withdrawn")
		}
		now := s.now()
		if _, err := tx.Exec(ctx, "UPDATE wallet_consent SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL", now.UnixMicro(), id); err != nil {
			return err
		}
		ev, _ := json.Marshal(consentEvent{ID: id, HolderID: holderID, Recipient: c.Recipient, Source: c.Source, Data: c.Data, Procedure: c.Procedure})
		if _, err := bus.Emit(ctx, tx, bus.Event{Type: EventConsentWithdrawn, Source: "wallet", Subject: fmt.Sprint(id), Data: ev}); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, who.Entry("wallet.consent.withdraw", fmt.Sprintf("wallet/%s/consent/%d", holderID, id), audit.OK, map[string]any{"recipient": c.Recipient})); err != nil {
			return err
		}
		t := time.UnixMicro(now.UnixMicro())
		c.WithdrawnAt = &t
		out = c
		return nil
	})
	if err != nil && fault.As(err) == nil {
		return Consent{}, fault.Wrap(err, "wallet: withdraw consent")
	}
	return out, err
}

// ---- who read my data ----

// AccessLog returns a page of the registries' log of reads of the
// holder's data, newest first.
func (s *Service) AccessLog(ctx context.Context, holderID string, limit, offset int) (AccessPage, error) {
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	offset = max(offset, 0)
	if s.Tracker == nil {
		return AccessPage{}, fault.New(fault.Unavailable, "wallet.tracker_unavailable", "Chưa kết nối được nhật ký truy cập của các cơ sở dữ liệu quốc gia, vui lòng thử lại sau", "no access-log source is connected")
	}
	items, err := s.Tracker.AccessLog(ctx, holderID, limit+1, offset)
	if err != nil {
		return AccessPage{}, err
	}
	p := AccessPage{Items: items, Limit: limit, Offset: offset}
	if len(items) > limit {
		p.Items, p.More = items[:limit], true
	}
	return p, nil
}
