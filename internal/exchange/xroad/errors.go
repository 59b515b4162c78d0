package xroad

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Error types raised inside the exchange. The prefix says where the error
// happened (PR-REST 4.6): "Client" is the caller's fault, "Server.ClientProxy"
// the client gateway, "Server.ServerProxy" the provider gateway. The codes
// after the prefix are X-Road's own (ErrorCodes.java) wherever X-Road has one.
const (
	// TypeBadRequest: the request does not follow the protocol (bad path,
	// wrong protocol version, missing purpose headers, ...).
	TypeBadRequest = "Client.BadRequest"
	// TypeInvalidClientIdentifier: X-Road-Client is missing or malformed.
	TypeInvalidClientIdentifier = "Client.InvalidClientIdentifier"

	// TypeClientProxyOutdatedGlobalConf: the client gateway's copy of the global
	// configuration has expired.
	TypeClientProxyOutdatedGlobalConf = "Server.ClientProxy.OutdatedGlobalConf"
	// TypeClientProxyUnknownMember: the client, or the provider named in the
	// service identifier, is not in the global configuration or not served
	// by this gateway.
	TypeClientProxyUnknownMember = "Server.ClientProxy.UnknownMember"
	// TypeClientProxyNetworkError: the provider gateway could not be reached.
	TypeClientProxyNetworkError = "Server.ClientProxy.NetworkError"
	// TypeClientProxySslAuthenticationFailed: the provider gateway's TLS
	// certificate is not the one registered for it.
	TypeClientProxySslAuthenticationFailed = "Server.ClientProxy.SslAuthenticationFailed"
	// TypeClientProxyInconsistentResponse: the answer does not belong to the
	// request (its X-Road-Request-Hash or X-Road-Id differs from ours).
	TypeClientProxyInconsistentResponse = "Server.ClientProxy.InconsistentResponse"
	// TypeClientProxyBodyTooLarge: the request body is larger than the client
	// gateway accepts. X-Road has no code for this (PR-REST 3.1 leaves the
	// maximum message size to the implementation); the name follows its
	// pattern.
	TypeClientProxyBodyTooLarge = "Server.ClientProxy.BodyTooLarge"
	// TypeClientProxyInternalError: any other failure inside the client gateway.
	TypeClientProxyInternalError = "Server.ClientProxy.InternalError"

	// TypeServerProxyOutdatedGlobalConf: the provider gateway's copy of the global
	// configuration has expired.
	TypeServerProxyOutdatedGlobalConf = "Server.ServerProxy.OutdatedGlobalConf"
	// TypeServerProxySslAuthenticationFailed: the calling gateway's TLS
	// certificate does not belong to the member it claims to speak for.
	TypeServerProxySslAuthenticationFailed = "Server.ServerProxy.SslAuthenticationFailed"
	// TypeServerProxyUnknownService: no such service at this provider gateway.
	TypeServerProxyUnknownService = "Server.ServerProxy.UnknownService"
	// TypeServerProxyAccessDenied: the client has no access right to the endpoint.
	TypeServerProxyAccessDenied = "Server.ServerProxy.AccessDenied"
	// TypeServerProxyServiceFailed: the backend did not answer in time or broke
	// off its answer.
	TypeServerProxyServiceFailed = "Server.ServerProxy.ServiceFailed"
	// TypeServerProxyNetworkError: the backend could not be reached.
	TypeServerProxyNetworkError = "Server.ServerProxy.NetworkError"
	// TypeServerProxyBodyTooLarge: the request body is larger than the service
	// accepts. Not an X-Road code (see TypeClientProxyBodyTooLarge).
	TypeServerProxyBodyTooLarge = "Server.ServerProxy.BodyTooLarge"
	// TypeServerProxyInternalError: any other failure inside the provider gateway.
	TypeServerProxyInternalError = "Server.ServerProxy.InternalError"
)

// Error is an error raised inside the exchange, as sent to the caller: the
// X-Road-Error header plus a JSON body {"type", "message", "detail"}.
// Errors from a backend are not Errors; they pass through unchanged.
type Error struct {
	// Type is one of the Type constants, e.g. "Server.ServerProxy.AccessDenied".
	Type string `json:"type"`
	// Message says what went wrong and, for Client errors, what to fix.
	Message string `json:"message"`
	// Detail identifies the event in the gateway's logs (the X-Road-Id of
	// the message, or a fresh UUID), never internal details.
	Detail string `json:"detail"`
	// Status is the HTTP status: 400 for Client errors, 500 otherwise.
	Status int `json:"-"`
}

// NewError returns an Error of the given type with a formatted message and
// the status the protocol prescribes for that type.
func NewError(typ, format string, args ...any) *Error {
	return &Error{Type: typ, Message: fmt.Sprintf(format, args...), Status: StatusFor(typ)}
}

// Error implements error.
func (e *Error) Error() string { return e.Type + ": " + e.Message }

// WithDetail returns a copy of e whose Detail is detail.
func (e *Error) WithDetail(detail string) *Error {
	c := *e
	c.Detail = detail
	return &c
}

// StatusFor is the HTTP status for an error type: PR-REST 4.6 uses only 400
// (the caller's request is wrong) and 500 (anything else).
func StatusFor(typ string) int {
	if typ == "Client" || strings.HasPrefix(typ, "Client.") {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// WriteError answers with e: X-Road-Error, a JSON body and e's status (or
// the status for its type when Status is zero). When e.Detail is empty a
// fresh UUID is used; set Detail to the X-Road-Id first so the answer and
// the log name the same event.
func WriteError(w http.ResponseWriter, e *Error) {
	body := *e
	if body.Detail == "" {
		body.Detail = uuid.NewString()
	}
	if body.Status == 0 {
		body.Status = StatusFor(body.Type)
	}
	b, _ := json.Marshal(&body) // a struct of strings always marshals
	h := w.Header()
	h.Del("Content-Length")
	h.Set(HeaderError, body.Type)
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(body.Status)
	w.Write(append(b, '\n'))
}

// maxErrorBody bounds how much of an error answer ErrorFromResponse reads.
const maxErrorBody = 64 << 10

// ErrorFromResponse returns the exchange error carried by resp, or nil when
// resp has no X-Road-Error header (the answer then comes from the backend
// and must be passed on as it is). It reads at most 64 KiB of the body and
// puts back what it read, so resp.Body can still be passed on afterwards.
func ErrorFromResponse(resp *http.Response) *Error {
	typ := strings.TrimSpace(resp.Header.Get(HeaderError))
	if typ == "" {
		return nil
	}
	e := &Error{Type: typ, Status: resp.StatusCode}
	if resp.Body == nil {
		return e
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body = readCloser{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	var body Error
	if err := json.Unmarshal(b, &body); err != nil {
		e.Message = strings.TrimSpace(string(b))
		return e
	}
	e.Message, e.Detail = body.Message, body.Detail
	if body.Type != "" {
		e.Type = body.Type
	}
	return e
}

type readCloser struct {
	io.Reader
	io.Closer
}

// shorten bounds how much of a caller's input an error message repeats.
func shorten(s string) string {
	const max = 300
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
