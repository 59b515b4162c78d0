// Package vntext folds Vietnamese text for search, so that "ha noi",
// "HA NOI" and "Hà Nội" are the same key.
package vntext

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold lowercases s, removes diacritics (including đ -> d), and collapses
// runs of non-letters and non-digits into single spaces.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		b.WriteRune(r)
		space = false
	}
	return strings.TrimRight(b.String(), " ")
}

// Terms folds q and splits it into search terms.
func Terms(q string) []string { return strings.Fields(Fold(q)) }

// MatchAll reports whether every term occurs in the folded text.
func MatchAll(folded string, terms []string) bool {
	for _, t := range terms {
		if !strings.Contains(folded, t) {
			return false
		}
	}
	return true
}
