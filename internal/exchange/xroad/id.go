package xroad

import (
	"fmt"
	"net/url"
	"strings"
)

// ProtocolVersion is the only protocol version this package speaks: the
// first segment of every service path.
const ProtocolVersion = "r1"

// MaxPartLength is the longest identifier part, in bytes.
const MaxPartLength = 255

// allowedChars is the identifier alphabet, written out for error messages.
const allowedChars = "A-Z a-z 0-9 ' ( ) + , - . = ?"

// ClientID names a client: a member, or a subsystem of a member. Services
// always belong to a subsystem; a client may be a bare member.
type ClientID struct {
	Instance  string // e.g. VN
	Class     string // member class: GOV, COM, ORG
	Member    string // member code, e.g. 000.00.00.G22
	Subsystem string // subsystem code; empty for a bare member
}

// IsSubsystem reports whether c names a subsystem rather than a bare member.
func (c ClientID) IsSubsystem() bool { return c.Subsystem != "" }

// MemberID returns the member that c is, or that c's subsystem belongs to.
func (c ClientID) MemberID() ClientID { c.Subsystem = ""; return c }

// String is the plain form INSTANCE/CLASS/MEMBER[/SUBSYSTEM], used in
// registries, logs and the global configuration.
func (c ClientID) String() string {
	s := c.Instance + "/" + c.Class + "/" + c.Member
	if c.Subsystem != "" {
		s += "/" + c.Subsystem
	}
	return s
}

// Encode is the wire form: each part percent-encoded on its own and joined
// with "/", as the X-Road-Client header and service paths carry it.
func (c ClientID) Encode() string {
	s := url.PathEscape(c.Instance) + "/" + url.PathEscape(c.Class) + "/" + url.PathEscape(c.Member)
	if c.Subsystem != "" {
		s += "/" + url.PathEscape(c.Subsystem)
	}
	return s
}

// Validate checks every part of c against the identifier rules.
func (c ClientID) Validate() error {
	for _, p := range c.parts() {
		if p.value == "" && p.name == "SUBSYSTEM" {
			continue
		}
		if err := checkPart(p.name, p.value); err != nil {
			return NewError(TypeInvalidClientIdentifier, "client %s", err)
		}
	}
	return nil
}

type namedPart struct{ name, value string }

func (c ClientID) parts() []namedPart {
	return []namedPart{{"INSTANCE", c.Instance}, {"CLASS", c.Class}, {"MEMBER", c.Member}, {"SUBSYSTEM", c.Subsystem}}
}

// ServiceID names a service: the provider subsystem and a service code.
type ServiceID struct {
	Client  ClientID // the provider; its Subsystem is required
	Service string   // service code
}

// String is the plain form INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE.
func (s ServiceID) String() string { return s.Client.String() + "/" + s.Service }

// Encode is the wire form with each part percent-encoded, as it follows
// "/r1/" in a service path and as the X-Road-Service header carries it.
func (s ServiceID) Encode() string { return s.Client.Encode() + "/" + url.PathEscape(s.Service) }

// Path is the escaped service path "/r1/" + Encode() that a client calls,
// before any backend path.
func (s ServiceID) Path() string { return "/" + ProtocolVersion + "/" + s.Encode() }

// Validate checks every part of s; the provider subsystem is required.
func (s ServiceID) Validate() error {
	for _, p := range append(s.Client.parts(), namedPart{"SERVICE", s.Service}) {
		if err := checkPart(p.name, p.value); err != nil {
			return NewError(TypeBadRequest, "service %s", err)
		}
	}
	return nil
}

// ParseClientID parses a client identifier in plain or encoded form,
// INSTANCE/CLASS/MEMBER or INSTANCE/CLASS/MEMBER/SUBSYSTEM, decoding each
// part on its own. Errors are *Error of type Client.InvalidClientIdentifier.
func ParseClientID(s string) (ClientID, error) { return parseClient(s, "client identifier") }

// ParseClientHeader reads the client from the X-Road-Client header values
// (r.Header.Values(HeaderClient)). When several came, the last one wins, as
// the protocol says. Errors are *Error of type Client.InvalidClientIdentifier.
func ParseClientHeader(values []string) (ClientID, error) {
	if len(values) == 0 || strings.TrimSpace(values[len(values)-1]) == "" {
		return ClientID{}, NewError(TypeInvalidClientIdentifier,
			"the X-Road-Client header is missing; send X-Road-Client: INSTANCE/CLASS/MEMBER/SUBSYSTEM naming the calling information system")
	}
	return parseClient(strings.TrimSpace(values[len(values)-1]), HeaderClient)
}

func parseClient(s, what string) (ClientID, error) {
	raw := strings.Split(s, "/")
	if len(raw) != 3 && len(raw) != 4 {
		return ClientID{}, NewError(TypeInvalidClientIdentifier,
			"%s must be INSTANCE/CLASS/MEMBER/SUBSYSTEM (or INSTANCE/CLASS/MEMBER for a member), got %q", what, shorten(s))
	}
	v, err := decodeParts(raw)
	if err != nil {
		return ClientID{}, NewError(TypeInvalidClientIdentifier, "%s %q: %s", what, shorten(s), err)
	}
	return ClientID{Instance: v[0], Class: v[1], Member: v[2], Subsystem: v[3]}, nil
}

// ParseServicePath parses the escaped request path (r.URL.EscapedPath())
// /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path], decoding each
// identifier part on its own. rest is the remaining escaped path, "" or
// starting with "/", still to be normalised (NormalizePath) and forwarded.
// Errors are *Error of type Client.BadRequest.
func ParseServicePath(escapedPath string) (id ServiceID, rest string, err error) {
	const form = "/r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path]"
	if !strings.HasPrefix(escapedPath, "/") {
		return ServiceID{}, "", NewError(TypeBadRequest, "the request path must be %s, got %q", form, shorten(escapedPath))
	}
	raw := strings.SplitN(escapedPath[1:], "/", 7)
	if raw[0] != ProtocolVersion {
		if isVersion(raw[0]) {
			return ServiceID{}, "", NewError(TypeBadRequest,
				"protocol version %q is not supported; this gateway speaks %s: %s", shorten(raw[0]), ProtocolVersion, form)
		}
		return ServiceID{}, "", NewError(TypeBadRequest, "the request path must be %s, got %q", form, shorten(escapedPath))
	}
	if len(raw) < 6 {
		return ServiceID{}, "", NewError(TypeBadRequest,
			"the request path must be %s (the provider's SUBSYSTEM is required), got %q", form, shorten(escapedPath))
	}
	v, err := decodeParts(raw[1:6])
	if err != nil {
		return ServiceID{}, "", NewError(TypeBadRequest, "service identifier in %q: %s", shorten(escapedPath), err)
	}
	if len(raw) == 7 {
		rest = "/" + raw[6]
	}
	return ServiceID{Client: ClientID{Instance: v[0], Class: v[1], Member: v[2], Subsystem: v[3]}, Service: v[4]}, rest, nil
}

// ParseServiceID parses a service identifier in plain or encoded form,
// INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE, e.g. an X-Road-Service header.
// Errors are *Error of type Client.BadRequest.
func ParseServiceID(s string) (ServiceID, error) {
	raw := strings.Split(s, "/")
	if len(raw) != 5 {
		return ServiceID{}, NewError(TypeBadRequest, "service identifier must be INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE, got %q", shorten(s))
	}
	v, err := decodeParts(raw)
	if err != nil {
		return ServiceID{}, NewError(TypeBadRequest, "service identifier %q: %s", shorten(s), err)
	}
	return ServiceID{Client: ClientID{Instance: v[0], Class: v[1], Member: v[2], Subsystem: v[3]}, Service: v[4]}, nil
}

// partNames names identifier parts by position, for error messages.
var partNames = [...]string{"INSTANCE", "CLASS", "MEMBER", "SUBSYSTEM", "SERVICE"}

// decodeParts percent-decodes and checks each part; the result always has
// five entries, empty past len(raw).
func decodeParts(raw []string) ([]string, error) {
	out := make([]string, len(partNames))
	for i, r := range raw {
		v, err := url.PathUnescape(r)
		if err != nil {
			return nil, fmt.Errorf("%s %q has an invalid percent-escape; encode each part with UTF-8 percent-encoding", partNames[i], shorten(r))
		}
		if err := checkPart(partNames[i], v); err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func isVersion(s string) bool {
	if len(s) < 2 || (s[0] != 'r' && s[0] != 'v') {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// checkPart applies the identifier rule to one decoded part.
func checkPart(name, v string) error {
	if v == "" {
		return fmt.Errorf("%s is empty", name)
	}
	if v == "." || v == ".." {
		// A URL path treats them as dot segments, so such a part could not be called.
		return fmt.Errorf("%s %q is not allowed: URLs resolve \".\" and \"..\" as path steps", name, v)
	}
	if len(v) > MaxPartLength {
		return fmt.Errorf("%s is %d bytes long; the limit is %d", name, len(v), MaxPartLength)
	}
	for _, r := range v {
		if !partChar(r) {
			return fmt.Errorf("%s %q contains %q; identifier parts may use only %s", name, v, r, allowedChars)
		}
	}
	return nil
}

func partChar(r rune) bool {
	switch {
	case 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z', '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune("'()+,-.=?", r)
}
