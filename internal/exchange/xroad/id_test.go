package xroad

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseClientHeader(t *testing.T) {
	long := strings.Repeat("A", MaxPartLength)
	tests := []struct {
		name    string
		values  []string
		want    ClientID
		errHas  []string // substrings of the error; nil means success
		wantSub bool
	}{
		{name: "subsystem", values: []string{"VN/GOV/000.00.00.G22/DVCQG"},
			want: ClientID{"VN", "GOV", "000.00.00.G22", "DVCQG"}, wantSub: true},
		{name: "member only", values: []string{"VN/COM/0101234567"},
			want: ClientID{"VN", "COM", "0101234567", ""}},
		{name: "last of several wins", values: []string{"VN/GOV/A/ONE", "VN/GOV/B/TWO"},
			want: ClientID{"VN", "GOV", "B", "TWO"}, wantSub: true},
		{name: "last wins even when an earlier one is malformed", values: []string{"garbage", "VN/GOV/B/TWO"},
			want: ClientID{"VN", "GOV", "B", "TWO"}, wantSub: true},
		{name: "surrounding spaces", values: []string{"  VN-TEST/ORG/X/Y  "},
			want: ClientID{"VN-TEST", "ORG", "X", "Y"}, wantSub: true},
		{name: "every allowed punctuation, encoded", values: []string{"VN/GOV/%27%28%29%2B%2C-.%3D%3F/S"},
			want: ClientID{"VN", "GOV", "'()+,-.=?", "S"}, wantSub: true},
		{name: "plus stays a plus", values: []string{"VN/GOV/A+B/S"},
			want: ClientID{"VN", "GOV", "A+B", "S"}, wantSub: true},
		{name: "lower-case escape", values: []string{"VN/GOV/A%3db/S"},
			want: ClientID{"VN", "GOV", "A=b", "S"}, wantSub: true},
		{name: "longest part", values: []string{"VN/GOV/" + long + "/S"},
			want: ClientID{"VN", "GOV", long, "S"}, wantSub: true},

		{name: "no header", values: nil, errHas: []string{"X-Road-Client header is missing"}},
		{name: "empty header", values: []string{""}, errHas: []string{"missing"}},
		{name: "last one empty", values: []string{"VN/GOV/A/S", " "}, errHas: []string{"missing"}},
		{name: "two parts", values: []string{"VN-DEMO/GOV"},
			errHas: []string{`X-Road-Client must be INSTANCE/CLASS/MEMBER/SUBSYSTEM (or INSTANCE/CLASS/MEMBER for a member), got "VN-DEMO/GOV"`}},
		{name: "five parts", values: []string{"VN/GOV/A/S/extra"}, errHas: []string{"must be INSTANCE/CLASS/MEMBER/SUBSYSTEM"}},
		{name: "encoded slash makes a part with a slash", values: []string{"VN/GOV/A%2FB/S"},
			errHas: []string{`MEMBER "A/B" contains '/'`, "may use only A-Z a-z 0-9 ' ( ) + , - . = ?"}},
		{name: "whole id encoded as one part", values: []string{"VN%2FGOV%2FA%2FS"}, errHas: []string{"must be INSTANCE/CLASS/MEMBER/SUBSYSTEM"}},
		{name: "underscore", values: []string{"VN/GOV/A/SUB_1"}, errHas: []string{`SUBSYSTEM "SUB_1" contains '_'`}},
		{name: "space", values: []string{"VN/GOV/A%20B/S"}, errHas: []string{"contains ' '"}},
		{name: "non-ASCII", values: []string{"VN/GOV/B%E1%BB%99/S"}, errHas: []string{"contains 'ộ'"}},
		{name: "invalid UTF-8", values: []string{"VN/GOV/%FF/S"}, errHas: []string{"MEMBER", "may use only"}},
		{name: "NUL", values: []string{"VN/GOV/A%00/S"}, errHas: []string{`'\x00'`}},
		{name: "CRLF injection", values: []string{"VN/GOV/A%0D%0AX-Evil:1/S"}, errHas: []string{`'\r'`}},
		{name: "empty part", values: []string{"VN//A/S"}, errHas: []string{"CLASS is empty"}},
		{name: "empty subsystem", values: []string{"VN/GOV/A/"}, errHas: []string{"SUBSYSTEM is empty"}},
		{name: "bad escape", values: []string{"VN/GOV/A%zz/S"}, errHas: []string{`MEMBER "A%zz" has an invalid percent-escape`}},
		{name: "truncated escape", values: []string{"VN/GOV/A/S%2"}, errHas: []string{"invalid percent-escape"}},
		{name: "too long", values: []string{"VN/GOV/" + long + "A/S"}, errHas: []string{"256 bytes long; the limit is 255"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseClientHeader(tt.values)
			if tt.errHas == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if got != tt.want || got.IsSubsystem() != tt.wantSub {
					t.Fatalf("got %#v, want %#v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %#v, want an error", got)
			}
			var xe *Error
			if !errors.As(err, &xe) || xe.Type != TypeInvalidClientIdentifier || xe.Status != http.StatusBadRequest {
				t.Fatalf("error %#v is not a 400 %s", err, TypeInvalidClientIdentifier)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestClientIDForms(t *testing.T) {
	c := ClientID{"VN", "GOV", "000.00.00.G22", "A?B"}
	if got := c.String(); got != "VN/GOV/000.00.00.G22/A?B" {
		t.Errorf("String = %q", got)
	}
	if got := c.Encode(); got != "VN/GOV/000.00.00.G22/A%3FB" {
		t.Errorf("Encode = %q", got)
	}
	if got := c.MemberID(); got != (ClientID{"VN", "GOV", "000.00.00.G22", ""}) || got.String() != "VN/GOV/000.00.00.G22" {
		t.Errorf("MemberID = %#v", got)
	}
	for _, id := range []ClientID{c, c.MemberID(), {"VN-TEST", "ORG", "'()+,-.=?", "x"}} {
		back, err := ParseClientHeader([]string{id.Encode()})
		if err != nil || back != id {
			t.Errorf("ParseClientHeader(Encode(%v)) = %v, %v", id, back, err)
		}
		back, err = ParseClientID(id.String())
		if err != nil || back != id {
			t.Errorf("ParseClientID(String(%v)) = %v, %v", id, back, err)
		}
		if err := id.Validate(); err != nil {
			t.Errorf("Validate(%v) = %v", id, err)
		}
	}
	if err := (ClientID{"VN", "GOV", "", "S"}).Validate(); err == nil || !strings.Contains(err.Error(), "MEMBER is empty") {
		t.Errorf("Validate without member = %v", err)
	}
	if err := (ClientID{"VN", "GOV", "M", "a/b"}).Validate(); err == nil {
		t.Error("Validate accepted a slash")
	}
}

func TestParseServicePath(t *testing.T) {
	svc := ServiceID{Client: ClientID{"VN", "GOV", "000.00.00.G22", "CSDLQG"}, Service: "citizen"}
	tests := []struct {
		name   string
		path   string
		want   ServiceID
		rest   string
		errHas []string
	}{
		{name: "no backend path", path: "/r1/VN/GOV/000.00.00.G22/CSDLQG/citizen", want: svc},
		{name: "backend path", path: "/r1/VN/GOV/000.00.00.G22/CSDLQG/citizen/v1/people/001", want: svc, rest: "/v1/people/001"},
		{name: "trailing slash", path: "/r1/VN/GOV/000.00.00.G22/CSDLQG/citizen/", want: svc, rest: "/"},
		{name: "rest stays escaped", path: "/r1/VN/GOV/000.00.00.G22/CSDLQG/citizen/a%2Fb/%2e%2e/c", want: svc, rest: "/a%2Fb/%2e%2e/c"},
		{name: "rest with empty segments", path: "/r1/VN/GOV/000.00.00.G22/CSDLQG/citizen//x", want: svc, rest: "//x"},
		{name: "encoded parts", path: "/r1/VN/GOV/000.00.00.G22/%43SDLQG/ci%74izen",
			want: svc},
		{name: "question mark in service", path: "/r1/VN/GOV/M/S/what%3F/x",
			want: ServiceID{ClientID{"VN", "GOV", "M", "S"}, "what?"}, rest: "/x"},

		{name: "r2", path: "/r2/VN/GOV/M/S/svc", errHas: []string{`protocol version "r2" is not supported`, "speaks r1"}},
		{name: "v1 draft form", path: "/v1/VN/GOV/M/S/svc", errHas: []string{`"v1" is not supported`, "r1"}},
		{name: "R1 upper case", path: "/R1/VN/GOV/M/S/svc", errHas: []string{"/r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path]"}},
		{name: "not a service path", path: "/listClients", errHas: []string{"must be /r1/"}},
		{name: "no leading slash", path: "r1/VN/GOV/M/S/svc", errHas: []string{"must be /r1/"}},
		{name: "empty", path: "", errHas: []string{"must be /r1/"}},
		{name: "version only", path: "/r1", errHas: []string{"SUBSYSTEM is required"}},
		{name: "missing subsystem", path: "/r1/VN/GOV/M/svc", errHas: []string{"the provider's SUBSYSTEM is required", `got "/r1/VN/GOV/M/svc"`}},
		{name: "empty part", path: "/r1/VN/GOV//S/svc/x", errHas: []string{"MEMBER is empty"}},
		{name: "empty service", path: "/r1/VN/GOV/M/S//x", errHas: []string{"SERVICE is empty"}},
		{name: "encoded slash in service", path: "/r1/VN/GOV/M/S/a%2Fb", errHas: []string{`SERVICE "a/b" contains '/'`}},
		{name: "dot-dot as a part", path: "/r1/VN/GOV/M/S/../x", errHas: []string{`SERVICE ".." is not allowed`}},
		{name: "encoded dot as a part", path: "/r1/VN/GOV/%2E/S/x", errHas: []string{`MEMBER "." is not allowed`}},
		{name: "bad escape", path: "/r1/VN/GOV/M/S%G1/svc", errHas: []string{"invalid percent-escape"}},
		{name: "NUL", path: "/r1/VN/GOV/M/S/sv%00c", errHas: []string{`'\x00'`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rest, err := ParseServicePath(tt.path)
			if tt.errHas == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if got != tt.want || rest != tt.rest {
					t.Fatalf("got %#v %q, want %#v %q", got, rest, tt.want, tt.rest)
				}
				return
			}
			var xe *Error
			if !errors.As(err, &xe) || xe.Type != TypeBadRequest || xe.Status != http.StatusBadRequest {
				t.Fatalf("error %#v is not a 400 %s", err, TypeBadRequest)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestServiceIDForms(t *testing.T) {
	s := ServiceID{Client: ClientID{"VN", "GOV", "000.00.00.G22", "SUB"}, Service: "a=b?"}
	if got := s.String(); got != "VN/GOV/000.00.00.G22/SUB/a=b?" {
		t.Errorf("String = %q", got)
	}
	if got := s.Encode(); got != "VN/GOV/000.00.00.G22/SUB/a=b%3F" {
		t.Errorf("Encode = %q", got)
	}
	if got := s.Path(); got != "/r1/VN/GOV/000.00.00.G22/SUB/a=b%3F" {
		t.Errorf("Path = %q", got)
	}
	back, rest, err := ParseServicePath(s.Path() + "/x")
	if err != nil || back != s || rest != "/x" {
		t.Errorf("ParseServicePath(Path()) = %v %q %v", back, rest, err)
	}
	for _, in := range []string{s.String(), s.Encode()} {
		if back, err := ParseServiceID(in); err != nil || back != s {
			t.Errorf("ParseServiceID(%q) = %v, %v", in, back, err)
		}
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
	noSub := ServiceID{Client: s.Client.MemberID(), Service: "x"}
	if err := noSub.Validate(); err == nil || !strings.Contains(err.Error(), "SUBSYSTEM is empty") {
		t.Errorf("Validate without subsystem = %v", err)
	}
	for _, bad := range []string{"VN/GOV/M/svc", "VN/GOV/M/S/svc/x", "VN/GOV/M/S/a%2Fb", "VN/GOV/M/S/"} {
		if _, err := ParseServiceID(bad); err == nil {
			t.Errorf("ParseServiceID(%q) accepted", bad)
		}
	}
}

func TestHostileInputIsNotEchoedInFull(t *testing.T) {
	huge := strings.Repeat("ộ", 300000) // 900 kB, under Go's 1 MB header limit
	for _, err := range []error{
		func() error { _, err := ParseClientHeader([]string{"VN/GOV/" + huge + "/S"}); return err }(),
		func() error { _, err := ParseClientHeader([]string{huge}); return err }(),
		func() error { _, _, err := ParseServicePath("/r1/" + huge); return err }(),
		func() error { _, err := NormalizePath("/" + huge + "/%00"); return err }(),
	} {
		if err == nil || len(err.Error()) > 2000 {
			t.Errorf("error is %d bytes long", len(err.Error()))
		}
		if !utf8.ValidString(err.Error()) {
			t.Error("shortened message is not UTF-8")
		}
	}
}
