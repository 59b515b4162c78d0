package procedure

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/vntext"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

//go:embed seed/*.json
var seedFiles embed.FS

// Migrations are the procedures database's tables.
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// EventPublished is emitted when a procedure version is published.
const EventPublished = "procedure.published"

// Service is the procedures database. Reads come from an in-memory copy of
// the published versions (a province has a few thousand procedures),
// replaced on every publish.
type Service struct {
	db *store.DB

	mu      sync.RWMutex
	current map[string]*entry // nil until loaded
}

type entry struct {
	p      Procedure
	search string
}

// New returns the procedures database over db.
func New(db *store.DB) *Service { return &Service{db: db} }

func (s *Service) load(ctx context.Context) (map[string]*entry, error) {
	s.mu.RLock()
	cur := s.current
	s.mu.RUnlock()
	if cur != nil {
		return cur, nil
	}
	rows, err := s.db.Query(ctx, "SELECT v.data, v.version, v.published_at FROM proc_procedure p JOIN proc_version v ON v.code = p.code AND v.version = p.version")
	if err != nil {
		return nil, fmt.Errorf("procedure: load: %w", err)
	}
	defer rows.Close()
	cur = map[string]*entry{}
	for rows.Next() {
		var data string
		var v int
		var at int64
		if err := rows.Scan(&data, &v, &at); err != nil {
			return nil, err
		}
		var p Procedure
		if err := json.Unmarshal([]byte(data), &p); err != nil {
			return nil, fmt.Errorf("procedure: decode: %w", err)
		}
		t := time.UnixMicro(at).UTC()
		p.Version, p.PublishedAt = v, &t
		cur[p.Code] = &entry{p: p, search: vntext.Fold(p.Code + " " + p.Name + " " + p.Sector)}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.current = cur
	s.mu.Unlock()
	return cur, nil
}

func (s *Service) invalidate() {
	s.mu.Lock()
	s.current = nil
	s.mu.Unlock()
}

// Summary is a search hit.
type Summary struct {
	Code        string   `json:"code"`
	Name        string   `json:"name"`
	Sector      string   `json:"sector"`
	Levels      []string `json:"levels"`
	TimeLimit   int      `json:"time_limit_days"`
	OnlineLevel string   `json:"online_level"`
	Version     int      `json:"version"`
}

// Query filters the procedures.
type Query struct {
	Q, Sector, Level string
	Limit, Offset    int
}

// Search finds published procedures: diacritics and case are ignored.
func (s *Service) Search(ctx context.Context, q Query) ([]Summary, int, error) {
	cur, err := s.load(ctx)
	if err != nil {
		return nil, 0, err
	}
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	terms := vntext.Terms(q.Q)
	var hits []Summary
	for _, e := range cur {
		if q.Sector != "" && vntext.Fold(e.p.Sector) != vntext.Fold(q.Sector) {
			continue
		}
		if q.Level != "" && !contains(e.p.Levels, q.Level) {
			continue
		}
		if !vntext.MatchAll(e.search, terms) {
			continue
		}
		hits = append(hits, Summary{Code: e.p.Code, Name: e.p.Name, Sector: e.p.Sector, Levels: e.p.Levels, TimeLimit: e.p.TimeLimit, OnlineLevel: e.p.OnlineLevel, Version: e.p.Version})
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].Code < hits[j].Code })
	total := len(hits)
	if q.Offset >= total {
		return []Summary{}, total, nil
	}
	return hits[q.Offset:min(total, q.Offset+q.Limit)], total, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func notFound(code string) error {
	return fault.NotFoundf("procedure.not_found", "Không có thủ tục mã "+code, "no procedure with code %q", code)
}

// Get returns the published version of a procedure in force now.
func (s *Service) Get(ctx context.Context, code string) (Procedure, error) {
	cur, err := s.load(ctx)
	if err != nil {
		return Procedure{}, err
	}
	e := cur[code]
	if e == nil {
		return Procedure{}, notFound(code)
	}
	return e.p, nil
}

// GetVersion returns one published version: what a dossier was filed under.
func (s *Service) GetVersion(ctx context.Context, code string, version int) (Procedure, error) {
	var data string
	var at int64
	err := s.db.QueryRow(ctx, "SELECT data, published_at FROM proc_version WHERE code = ? AND version = ?", code, version).Scan(&data, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Procedure{}, fault.NotFoundf("procedure.version_not_found", fmt.Sprintf("Thủ tục %s không có phiên bản %d", code, version), "procedure %q has no version %d", code, version)
	}
	if err != nil {
		return Procedure{}, fmt.Errorf("procedure: version: %w", err)
	}
	var p Procedure
	if err := json.Unmarshal([]byte(data), &p); err != nil {
		return p, err
	}
	t := time.UnixMicro(at).UTC()
	p.Version, p.PublishedAt = version, &t
	return p, nil
}

var codeRE = regexp.MustCompile(`^[0-9]{1,2}\.[0-9]{6}$`)

func fe(field, code, msg, detail string) fault.FieldError {
	return fault.FieldError{Field: field, Code: code, Message: msg, Detail: detail}
}

// Validate checks a procedure's structure; one message per problem.
func Validate(p *Procedure) []fault.FieldError {
	var out []fault.FieldError
	if !codeRE.MatchString(p.Code) {
		out = append(out, fe("code", "code.format", "Mã thủ tục có dạng như 1.001193", "code must look like 1.001193"))
	}
	if strings.TrimSpace(p.Name) == "" {
		out = append(out, fe("name", "name.required", "Tên thủ tục không được để trống", "name is required"))
	}
	if strings.TrimSpace(p.Sector) == "" {
		out = append(out, fe("sector", "sector.required", "Hãy ghi lĩnh vực", "sector is required"))
	}
	if p.TimeLimit <= 0 || p.TimeLimit > 365 {
		out = append(out, fe("time_limit_days", "time_limit.range", "Thời hạn giải quyết phải từ 1 đến 365 ngày làm việc", "time_limit_days must be 1 to 365"))
	}
	if p.OnlineLevel != "full" && p.OnlineLevel != "partial" {
		out = append(out, fe("online_level", "online_level.value", "Mức độ trực tuyến phải là full (toàn trình) hoặc partial (một phần)", "online_level must be full or partial"))
	}
	if p.Assurance != "urn:vn:loa:1" && p.Assurance != "urn:vn:loa:2" {
		out = append(out, fe("assurance", "assurance.value", "Mức độ xác thực phải là urn:vn:loa:1 hoặc urn:vn:loa:2", "assurance must be urn:vn:loa:1 or urn:vn:loa:2"))
	}
	var schema map[string]any
	if err := json.Unmarshal(p.Form, &schema); err != nil || schema["type"] != "object" {
		out = append(out, fe("form", "form.schema", "Biểu mẫu điện tử phải là một JSON Schema kiểu object", "form must be a JSON Schema of type object"))
	}
	docs := map[string]bool{}
	for i, d := range p.Documents {
		if d.Code == "" || docs[d.Code] {
			out = append(out, fe(fmt.Sprintf("documents[%d].code", i), "document.code", "Mỗi thành phần hồ sơ cần một mã riêng", "each document needs a unique code"))
		}
		docs[d.Code] = true
	}
	steps := map[string]bool{}
	var budget float64
	for i, st := range p.Workflow.Steps {
		if st.Code == "" || steps[st.Code] {
			out = append(out, fe(fmt.Sprintf("workflow.steps[%d].code", i), "step.code", "Mỗi bước cần một mã riêng", "each step needs a unique code"))
		}
		steps[st.Code] = true
		switch st.Role {
		case "receptionist", "specialist", "leader":
		default:
			out = append(out, fe(fmt.Sprintf("workflow.steps[%d].role", i), "step.role", "Vai trò phải là receptionist, specialist hoặc leader", "role must be receptionist, specialist or leader"))
		}
		budget += st.Budget
	}
	if len(p.Workflow.Steps) == 0 {
		out = append(out, fe("workflow.steps", "workflow.empty", "Quy trình cần ít nhất một bước", "the workflow needs at least one step"))
	}
	if budget > float64(p.TimeLimit)+1e-9 {
		out = append(out, fe("workflow.steps", "workflow.budget", fmt.Sprintf("Tổng thời gian các bước (%.1f ngày) vượt thời hạn giải quyết (%d ngày)", budget, p.TimeLimit), "the steps' budgets exceed the time limit"))
	}
	for i, tr := range p.Workflow.Transitions {
		if !steps[tr.From] || (tr.To != "" && !steps[tr.To]) {
			out = append(out, fe(fmt.Sprintf("workflow.transitions[%d]", i), "transition.step", "Bước chuyển tham chiếu bước không có trong quy trình", "a transition names a step the workflow does not have"))
		}
	}
	return out
}

// Publish validates p and stores it as the procedure's next version, with
// its audit row and one procedure.published event.
func (s *Service) Publish(ctx context.Context, who audit.Actor, p Procedure, note string) (Procedure, error) {
	if fields := Validate(&p); len(fields) > 0 {
		audit.Record(ctx, s.db, who.Entry("procedure.publish", "procedure/"+p.Code, audit.Invalid, map[string]any{"fields": len(fields)}))
		return p, fault.Invalidf(fields, "%d field(s) invalid", len(fields))
	}
	now := time.Now()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var v int
		err := tx.QueryRow(ctx, "SELECT version FROM proc_procedure WHERE code = ?", p.Code).Scan(&v)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		v++
		p.Version, p.PublishedAt = 0, nil
		data, _ := json.Marshal(p)
		if _, err := tx.Exec(ctx, "INSERT INTO proc_version (code, version, data, published_at, published_by, note) VALUES (?, ?, ?, ?, ?, ?)",
			p.Code, v, string(data), now.UnixMicro(), who.Subject, note); err != nil {
			return fmt.Errorf("procedure: publish %s: %w", p.Code, err)
		}
		if v == 1 {
			_, err = tx.Exec(ctx, "INSERT INTO proc_procedure (code, version, published_at) VALUES (?, ?, ?)", p.Code, v, now.UnixMicro())
		} else {
			_, err = tx.Exec(ctx, "UPDATE proc_procedure SET version = ?, published_at = ? WHERE code = ?", v, now.UnixMicro(), p.Code)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM proc_draft WHERE code = ?", p.Code); err != nil {
			return err
		}
		p.Version = v
		if err := audit.Record(ctx, tx, who.Entry("procedure.publish", "procedure/"+p.Code, audit.OK, map[string]any{"version": v, "note": note})); err != nil {
			return err
		}
		payload, _ := json.Marshal(map[string]any{"code": p.Code, "version": v})
		_, err = bus.Emit(ctx, tx, bus.Event{Type: EventPublished, Source: "procedure", Subject: p.Code, Data: payload})
		return err
	})
	if err != nil {
		return p, err
	}
	t := now.UTC()
	p.PublishedAt = &t
	s.invalidate()
	return p, nil
}

// Seed publishes the shipped procedures the database does not have yet.
func (s *Service) Seed(ctx context.Context) error {
	files, err := fs.Glob(seedFiles, "seed/*.json")
	if err != nil {
		return err
	}
	cur, err := s.load(ctx)
	if err != nil {
		return err
	}
	who := audit.Actor{Subject: "system:seed"}
	for _, f := range files {
		b, err := seedFiles.ReadFile(f)
		if err != nil {
			return err
		}
		var p Procedure
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("procedure: seed %s: %w", f, err)
		}
		if cur[p.Code] != nil {
			continue
		}
		if _, err := s.Publish(ctx, who, p, "Dữ liệu ban đầu"); err != nil {
			return fmt.Errorf("procedure: seed %s: %w", f, err)
		}
	}
	return nil
}
