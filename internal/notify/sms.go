package notify

import (
	"strings"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"
)

// SMS encodings.
const (
	GSM7 = "GSM-7" // the GSM 03.38 alphabet: 160 characters in one part, 153 per part when split
	UCS2 = "UCS-2" // anything else, Vietnamese with its diacritics among it: 70, then 67 per part
)

// gsmBasic is the GSM 03.38 default alphabet; gsmExtended are the
// characters sent with an escape, counting two.
const (
	gsmBasic    = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtended = "^{}\\[~]|€\f"
)

// SMSInfo is how a text message travels: its encoding, its length in the
// encoding's units (septets or UTF-16 code units) and the number of parts
// (concatenated SMS) it takes.
type SMSInfo struct {
	Encoding string `json:"encoding"`
	Units    int    `json:"units"`
	Parts    int    `json:"parts"`
}

// SMSParts measures body as an SMS gateway sends it, after composing it
// to NFC (a decomposed "ệ" would otherwise count three UCS-2 units).
// Vietnamese with diacritics needs UCS-2: 70 characters fit in one part,
// and a longer message is split in parts of 67.
func SMSParts(body string) SMSInfo {
	body = norm.NFC.String(body)
	septets, gsm := 0, true
	for _, r := range body {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			septets++
		case strings.ContainsRune(gsmExtended, r):
			septets += 2
		default:
			gsm = false
		}
		if !gsm {
			break
		}
	}
	if gsm {
		return SMSInfo{Encoding: GSM7, Units: septets, Parts: parts(septets, 160, 153)}
	}
	units := len(utf16.Encode([]rune(body)))
	return SMSInfo{Encoding: UCS2, Units: units, Parts: parts(units, 70, 67)}
}

func parts(n, single, multi int) int {
	switch {
	case n == 0:
		return 0
	case n <= single:
		return 1
	}
	return (n + multi - 1) / multi
}
