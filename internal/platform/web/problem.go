package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/vngov/vngov/internal/platform/fault"
)

// ProblemTypeBase prefixes the stable fault code to form a problem's type URI.
const ProblemTypeBase = "https://vngov.dev/problems/"

// DefaultMaxBody is the body limit DecodeJSON applies when given none.
const DefaultMaxBody = 1 << 20

// Problem is an RFC 9457 problem document as vngov writes it, with the
// fault's stable code, the request id and per-field errors as extensions.
type Problem struct {
	Type      string             `json:"type"`
	Title     string             `json:"title"`
	Status    int                `json:"status"`
	Detail    string             `json:"detail,omitempty"`
	Instance  string             `json:"instance,omitempty"`
	Code      string             `json:"code"`
	RequestID string             `json:"request_id,omitempty"`
	Errors    []fault.FieldError `json:"errors,omitempty"`
}

// The problem of an internal error says nothing of its cause; the request
// id in it finds the cause in the log.
const (
	internalTitle  = "Lỗi hệ thống, vui lòng thử lại sau"
	internalDetail = "An unexpected error occurred; quote the request id when reporting it."
)

// StatusOf returns the HTTP status for err: the status of its fault kind,
// 500 for errors that are no fault.
func StatusOf(err error) int {
	switch fault.KindOf(err) {
	case fault.Invalid:
		return http.StatusUnprocessableEntity
	case fault.BadRequest:
		return http.StatusBadRequest
	case fault.NotFound:
		return http.StatusNotFound
	case fault.Unauthenticated:
		return http.StatusUnauthorized
	case fault.Forbidden:
		return http.StatusForbidden
	case fault.Conflict:
		return http.StatusConflict
	case fault.TooLarge:
		return http.StatusRequestEntityTooLarge
	case fault.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ProblemOf returns the problem document for err as WriteError would write
// it for r, without writing or logging anything.
func ProblemOf(r *http.Request, err error) Problem {
	status := StatusOf(err)
	p := Problem{Status: status, Instance: r.URL.Path, RequestID: RequestID(r.Context())}
	f := fault.As(err)
	if f == nil || status == http.StatusInternalServerError {
		p.Type, p.Title, p.Detail, p.Code = "about:blank", internalTitle, internalDetail, "internal"
		return p
	}
	p.Type, p.Title, p.Detail, p.Code, p.Errors = ProblemTypeBase+f.Code, f.Message, f.Detail, f.Code, f.Fields
	if f.Code == "" {
		p.Type, p.Code = "about:blank", kindSlug(status)
	}
	if p.Title == "" {
		p.Title = T(DefaultLang, "error."+kindSlug(status)+".title")
	}
	return p
}

// WriteError answers r with err as application/problem+json: the status of
// its fault kind, the Vietnamese message as title, the English detail, the
// stable code, the request id and the field errors. Anything that is not a
// fault, and every Internal fault, becomes a 500 that hides its cause; the
// cause is logged with the request id.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	logFault(r, err)
	p := ProblemOf(r, err)
	if p.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	writeProblem(w, p)
}

// logFault logs what the client will not see: the cause of internal errors
// and of unavailable dependencies.
func logFault(r *http.Request, err error) {
	if errors.Is(err, errPanic) {
		return
	}
	status := StatusOf(err)
	level := slog.LevelError
	switch {
	case status == http.StatusServiceUnavailable:
		level = slog.LevelWarn
	case status < 500:
		return
	}
	code := "internal"
	if f := fault.As(err); f != nil && f.Code != "" {
		code = f.Code
	}
	logger(r).LogAttrs(r.Context(), level, "request failed",
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("request_id", RequestID(r.Context())),
		slog.Int("status", status),
		slog.String("code", code),
		slog.String("error", err.Error()))
}

func writeProblem(w http.ResponseWriter, p Problem) {
	h := w.Header()
	// Headers a handler set for the answer it meant to give must not
	// describe the error instead.
	for _, k := range []string{"Content-Length", "Content-Encoding", "ETag", "Last-Modified", "Content-Disposition"} {
		h.Del(k)
	}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	body, err := marshal(p)
	if err != nil {
		body = []byte(`{"type":"about:blank","title":"` + internalTitle + `","status":500,"code":"internal"}`)
	}
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// WriteJSON answers with v as application/json and the given status. A
// value that cannot be encoded is a bug: it is logged and answered with a
// bare 500 problem.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	if status == http.StatusNoContent || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	body, err := marshal(v)
	if err != nil {
		slog.Error("web: encode JSON response", slog.Any("error", err))
		writeProblem(w, Problem{Type: "about:blank", Title: internalTitle, Status: http.StatusInternalServerError, Detail: internalDetail, Code: "internal"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// marshal encodes without escaping <, > and &: the responses are served as
// JSON with nosniff, never embedded in HTML.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeJSON reads r's body, at most maxBytes (DefaultMaxBody when not
// positive), as exactly one JSON value into v, refusing unknown fields. Its
// errors are BadRequest or TooLarge faults with Vietnamese messages, ready
// for WriteError.
func DecodeJSON(r *http.Request, v any, maxBytes int64) error {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBody
	}
	if r.Body == nil || r.Body == http.NoBody {
		return decodeFault(io.EOF, maxBytes)
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeFault(err, maxBytes)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errTrailing
		}
		return decodeFault(err, maxBytes)
	}
	return nil
}

var errTrailing = errors.New("data after the JSON value")

func decodeFault(err error, maxBytes int64) error {
	var (
		tooLarge *http.MaxBytesError
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
		invalid  *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &tooLarge):
		return &fault.Error{Kind: fault.TooLarge, Code: "request.too_large",
			Message: fmt.Sprintf("Dữ liệu gửi lên vượt quá giới hạn cho phép (%s)", sizeVI(maxBytes)),
			Detail:  fmt.Sprintf("request body exceeds %d bytes", maxBytes), Cause: err}
	case errors.Is(err, io.EOF):
		return &fault.Error{Kind: fault.BadRequest, Code: "request.empty_body",
			Message: "Yêu cầu không có dữ liệu", Detail: "request body is empty; a JSON value is expected"}
	case errors.As(err, &syntax):
		return &fault.Error{Kind: fault.BadRequest, Code: "request.malformed_json",
			Message: "Dữ liệu gửi lên không phải JSON hợp lệ",
			Detail:  fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax), Cause: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &fault.Error{Kind: fault.BadRequest, Code: "request.malformed_json",
			Message: "Dữ liệu gửi lên không phải JSON hợp lệ", Detail: "malformed JSON: unexpected end of body", Cause: err}
	case errors.Is(err, errTrailing):
		return &fault.Error{Kind: fault.BadRequest, Code: "request.malformed_json",
			Message: "Dữ liệu gửi lên không phải JSON hợp lệ", Detail: "the body must hold a single JSON value", Cause: err}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		msg := fmt.Sprintf("Trường %q có kiểu dữ liệu không đúng", field)
		detail := fmt.Sprintf("field %q: expected %s, got JSON %s", field, typ.Type, typ.Value)
		return &fault.Error{Kind: fault.BadRequest, Code: "request.wrong_type", Message: msg, Detail: detail, Cause: err,
			Fields: []fault.FieldError{{Field: field, Code: "wrong_type", Message: msg, Detail: detail}}}
	case errors.As(err, &invalid):
		return fault.Wrap(err, "decode JSON into a non-pointer")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field, uerr := strconv.Unquote(name)
		if uerr != nil {
			field = name
		}
		msg := fmt.Sprintf("Trường %q không được hỗ trợ", field)
		detail := fmt.Sprintf("unknown field %q", field)
		return &fault.Error{Kind: fault.BadRequest, Code: "request.unknown_field", Message: msg, Detail: detail, Cause: err,
			Fields: []fault.FieldError{{Field: field, Code: "unknown_field", Message: msg, Detail: detail}}}
	}
	return &fault.Error{Kind: fault.BadRequest, Code: "request.unreadable",
		Message: "Không đọc được dữ liệu gửi lên", Detail: "reading the request body failed: " + err.Error(), Cause: err}
}

func sizeVI(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d byte", n)
}

// APINotFound answers with a 404 problem. Mount it as the fallback of an
// API subtree so unknown paths get a problem instead of the mux's plain
// text: mux.Handle("/catalog/v1/", web.APINotFound). It also fits HandleFunc.
var APINotFound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	WriteError(w, r, fault.New(fault.NotFound, "route.not_found",
		"Không tìm thấy tài nguyên được yêu cầu", "no resource at "+r.URL.Path))
})

// NotFoundHandler returns APINotFound as an http.Handler.
func NotFoundHandler() http.Handler { return APINotFound }

// MethodNotAllowed returns a handler answering 405 with an Allow header and
// a problem. Register it on the method-less form of a path whose methods
// are registered separately, so other methods get a problem instead of the
// mux's plain text:
//
//	mux.HandleFunc("GET /catalog/v1/lists/{id}", h.getList)
//	mux.Handle("/catalog/v1/lists/{id}", web.MethodNotAllowed("GET", "HEAD"))
func MethodNotAllowed(allow ...string) http.Handler {
	list := strings.Join(allow, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", list)
		writeProblem(w, Problem{
			Type:      ProblemTypeBase + "route.method_not_allowed",
			Title:     "Phương thức không được hỗ trợ cho địa chỉ này",
			Status:    http.StatusMethodNotAllowed,
			Detail:    fmt.Sprintf("method %s is not allowed here; allowed: %s", r.Method, list),
			Instance:  r.URL.Path,
			Code:      "route.method_not_allowed",
			RequestID: RequestID(r.Context()),
		})
	})
}
