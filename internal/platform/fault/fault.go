// Package fault defines the kinds of error that services return. Services
// decide what went wrong; only the HTTP edge (package web) turns a fault into
// a status code and an application/problem+json body or a page.
package fault

import (
	"errors"
	"fmt"
)

// Kind says what class of failure an error is, independent of transport.
type Kind int

// The kinds of fault. The zero value is Internal.
const (
	Internal        Kind = iota // a bug or an unexpected failure: 500
	Invalid                     // the input is wrong: 422, with per-field messages
	BadRequest                  // the request is malformed: 400
	NotFound                    // the named thing does not exist: 404
	Unauthenticated             // no valid credential: 401
	Forbidden                   // a credential without the right: 403
	Conflict                    // the state does not allow it now: 409
	TooLarge                    // the body is over its limit: 413
	Unavailable                 // a dependency is down: 503
)

// FieldError is one problem with one input field.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"` // Vietnamese, for people
	Detail  string `json:"detail"`  // English, for developers
}

// Error is a fault: a kind, a stable code, a Vietnamese message for people
// and an English detail for developers, with optional field errors and cause.
type Error struct {
	Kind    Kind
	Code    string       // stable, machine-readable, e.g. "catalog.list_not_found"
	Message string       // Vietnamese, shown to people and used as problem title
	Detail  string       // English, the problem detail
	Fields  []FieldError // for Invalid
	Cause   error
}

func (e *Error) Error() string {
	s := e.Code + ": " + e.Detail
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// New returns a fault of the given kind.
func New(kind Kind, code, message, detail string) *Error {
	return &Error{Kind: kind, Code: code, Message: message, Detail: detail}
}

// NotFoundf returns a NotFound fault; detail is formatted with args.
func NotFoundf(code, message, detail string, args ...any) *Error {
	return New(NotFound, code, message, fmt.Sprintf(detail, args...))
}

// Invalidf returns an Invalid fault with the given field errors.
func Invalidf(fields []FieldError, detail string, args ...any) *Error {
	return &Error{Kind: Invalid, Code: "invalid_input", Message: "Dữ liệu không hợp lệ", Detail: fmt.Sprintf(detail, args...), Fields: fields}
}

// Wrap returns an Internal fault that keeps err as its cause.
func Wrap(err error, detail string) *Error {
	return &Error{Kind: Internal, Code: "internal", Message: "Lỗi hệ thống, vui lòng thử lại sau", Detail: detail, Cause: err}
}

// As returns the fault in err's chain, or nil.
func As(err error) *Error {
	var f *Error
	if errors.As(err, &f) {
		return f
	}
	return nil
}

// KindOf returns the kind of err, Internal when err is no fault.
func KindOf(err error) Kind {
	if f := As(err); f != nil {
		return f.Kind
	}
	return Internal
}

// Is reports whether err is a fault of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }
