package monitor

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// A rebuild decodes every dossier event ever written; encoding/json
// spends most of a rebuild's time on them. unmarshalSnapshot reads the
// snapshot's known shape directly and gives up, for encoding/json to do
// the work, on anything it does not expect (an escaped string, a number
// that is not an integer, a value of another type), so its result is
// always encoding/json's.

// unmarshalSnapshot decodes data into s as json.Unmarshal would.
func unmarshalSnapshot(data []byte, s *Snapshot) error {
	return unmarshalSnapshotWith(data, s, nil)
}

// unmarshalSnapshotWith is unmarshalSnapshot sharing the strings it
// decodes through intern (when not nil): a rebuild reads the same agency,
// procedure and action codes a million times.
func unmarshalSnapshotWith(data []byte, s *Snapshot, intern map[string]string) error {
	p := jscan{b: data, intern: intern}
	if p.snapshot(s) && p.end() {
		return nil
	}
	*s = Snapshot{}
	return json.Unmarshal(data, s)
}

// jscan reads JSON; ok turns false at the first thing it does not handle.
type jscan struct {
	b      []byte
	i      int
	intern map[string]string
}

func (p *jscan) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jscan) end() bool {
	p.ws()
	return p.i == len(p.b)
}

// byte consumes c after spaces.
func (p *jscan) byte(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// object calls field for each key of an object, which must read the value.
func (p *jscan) object(field func(key []byte) bool) bool {
	if !p.byte('{') {
		return false
	}
	if p.byte('}') {
		return true
	}
	for {
		key, ok := p.rawString()
		if !ok || !p.byte(':') || !field(key) {
			return false
		}
		if p.byte(',') {
			continue
		}
		return p.byte('}')
	}
}

// rawString reads a string without escapes, in valid UTF-8 (encoding/json
// would replace what is not), and returns its bytes.
func (p *jscan) rawString() ([]byte, bool) {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false
	}
	start, high := p.i+1, false
	for j := start; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			if high && !utf8.Valid(p.b[start:j]) {
				return nil, false
			}
			p.i = j + 1
			return p.b[start:j], true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			high = true
		}
	}
	return nil, false
}

func (p *jscan) str(dst *string) bool {
	b, ok := p.rawString()
	if !ok {
		return false
	}
	if p.intern == nil {
		*dst = string(b)
		return true
	}
	if v, seen := p.intern[string(b)]; seen {
		*dst = v
		return true
	}
	v := string(b)
	p.intern[v] = v
	*dst = v
	return true
}

// null consumes a null.
func (p *jscan) null() bool {
	p.ws()
	if len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}

func (p *jscan) int(dst *int64) bool {
	p.ws()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	if p.i-digits > 1 && p.b[digits] == '0' {
		return false // a leading zero is not JSON
	}
	if p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		return false
	}
	n, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 64)
	*dst = n
	return err == nil
}

func (p *jscan) intField(dst *int) bool {
	var n int64
	ok := p.int(&n)
	*dst = int(n)
	return ok && int64(int(n)) == n
}

func (p *jscan) bool(dst *bool) bool {
	p.ws()
	switch {
	case len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "true":
		p.i += 4
		*dst = true
		return true
	case len(p.b)-p.i >= 5 && string(p.b[p.i:p.i+5]) == "false":
		p.i += 5
		*dst = false
		return true
	}
	return false
}

func (p *jscan) time(dst *time.Time) bool {
	if p.null() {
		return true
	}
	p.ws()
	start := p.i
	if _, ok := p.rawString(); !ok {
		return false
	}
	// time.Time's own decoder, quotes included, as encoding/json calls it.
	var t time.Time
	if err := t.UnmarshalJSON(p.b[start:p.i]); err != nil {
		return false
	}
	*dst = t
	return true
}

func (p *jscan) timePtr(dst **time.Time) bool {
	if p.null() {
		*dst = nil
		return true
	}
	var t time.Time
	if !p.time(&t) {
		return false
	}
	*dst = &t
	return true
}

// skip reads any value without escapes in its strings.
func (p *jscan) skip() bool {
	p.ws()
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		_, ok := p.rawString()
		return ok
	case c == '{':
		return p.object(func([]byte) bool { return p.skip() })
	case c == '[':
		p.i++
		if p.byte(']') {
			return true
		}
		for {
			if !p.skip() {
				return false
			}
			if p.byte(',') {
				continue
			}
			return p.byte(']')
		}
	case c == 'n':
		return p.null()
	case c == 't' || c == 'f':
		var b bool
		return p.bool(&b)
	}
	var n int64
	return p.int(&n)
}

// snapshot reads a dossier event's data. Keys match exactly, as
// encoding/json matches the tags first; a key in another case sends the
// data to encoding/json.
func (p *jscan) snapshot(s *Snapshot) bool {
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "code":
			return p.str(&s.Code)
		case "agency":
			return p.str(&s.Agency)
		case "procedure":
			return p.str(&s.Procedure)
		case "procedure_version":
			return p.intField(&s.ProcedureVersion)
		case "channel":
			return p.intField(&s.Channel)
		case "action":
			return p.str(&s.Action)
		case "actor":
			return p.str(&s.Actor)
		case "from_status":
			return p.intField(&s.FromStatus)
		case "to_status":
			return p.intField(&s.ToStatus)
		case "from_step":
			return p.str(&s.FromStep)
		case "to_step":
			return p.str(&s.ToStep)
		case "due_at":
			return p.time(&s.DueAt)
		case "at":
			return p.time(&s.At)
		case "version":
			return p.intField(&s.Version)
		case "received_at":
			return p.time(&s.ReceivedAt)
		case "finished_at":
			return p.timePtr(&s.FinishedAt)
		case "returned_at":
			return p.timePtr(&s.ReturnedAt)
		case "supplements":
			return p.intField(&s.Supplements)
		case "paused_days":
			return p.intField(&s.PausedDays)
		case "e_results":
			return p.intField(&s.EResults)
		case "rating":
			return p.intField(&s.Rating)
		case "rating_reason":
			return p.str(&s.RatingReason)
		case "documents":
			return p.object(func(k []byte) bool {
				switch string(k) {
				case "total":
					return p.intField(&s.Documents.Total)
				case "digitised":
					return p.intField(&s.Documents.Digitised)
				case "reused":
					return p.intField(&s.Documents.Reused)
				case "from_registry":
					return p.intField(&s.Documents.FromRegistry)
				}
				return p.known(k) && p.skip()
			})
		case "fees":
			return p.object(func(k []byte) bool {
				switch string(k) {
				case "amount":
					var n int64
					ok := p.int(&n)
					s.Fees.Amount = n
					return ok
				case "paid":
					return p.bool(&s.Fees.Paid)
				case "paid_online":
					return p.bool(&s.Fees.PaidOnline)
				}
				return p.known(k) && p.skip()
			})
		}
		return p.known(key) && p.skip()
	})
}

// known reports whether an unknown key may be skipped: encoding/json
// matches keys without regard to case, so a key that differs from a field
// only in case is left to it.
func (p *jscan) known(key []byte) bool {
	for _, c := range key {
		if c >= 'A' && c <= 'Z' || c >= 0x80 {
			return false
		}
	}
	return true
}
