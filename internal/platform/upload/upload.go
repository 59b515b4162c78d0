// Package upload checks the files people send (dossier documents, files
// kept in the data wallet): what a file is comes from its bytes, not from
// its name or the type the browser claims, and a name that tries to be a
// path is refused rather than cleaned.
package upload

import (
	"errors"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameRunes is the longest stored file name, extension excepted.
const MaxNameRunes = 120

// types are the content types accepted, with the extension stored names get.
var types = map[string]string{
	"application/pdf": ".pdf",
	"image/jpeg":      ".jpg",
	"image/png":       ".png",
}

// Type returns what data is, by its bytes, and the extension a stored
// name gets; ok is false unless it is a PDF, JPEG or PNG.
func Type(data []byte) (contentType, ext string, ok bool) {
	ct := http.DetectContentType(data)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ext, ok = types[ct]
	return ct, ext, ok
}

// CleanName returns a name safe to store and to send back in a
// Content-Disposition header. A name that tries to be a path (separators,
// "..", control characters, a leading dot) is refused outright; other
// unusual characters (and inner dots) become "_"; the extension is ext,
// the one of the content type.
func CleanName(name, ext string) (string, error) {
	if !utf8.ValidString(name) {
		return "", errors.New("the file name is not valid UTF-8")
	}
	name = strings.TrimSpace(name)
	switch {
	case strings.ContainsAny(name, `/\`):
		return "", errors.New("the file name contains a path separator")
	case strings.Contains(name, ".."):
		return "", errors.New("the file name contains ..")
	case strings.HasPrefix(name, "."):
		return "", errors.New("the file name starts with a dot")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", errors.New("the file name contains a control character")
		}
	}
	base := name
	switch strings.ToLower(path.Ext(name)) {
	case ".pdf", ".png", ".jpg", ".jpeg":
		base = strings.TrimSuffix(name, path.Ext(name))
	}
	var b strings.Builder
	for _, r := range base {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == ' ' || r == '(' || r == ')' || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	base = strings.TrimSpace(b.String())
	if utf8.RuneCountInString(base) > MaxNameRunes {
		base = string([]rune(base)[:MaxNameRunes])
	}
	if base == "" {
		base = "tep-dinh-kem"
	}
	return base + ext, nil
}
