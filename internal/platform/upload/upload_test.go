package upload

import (
	"strings"
	"testing"
)

func TestType(t *testing.T) {
	for _, c := range []struct {
		data string
		ct   string
		ok   bool
	}{
		{"%PDF-1.4\n%%EOF\n", "application/pdf", true},
		{"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png", true},
		{"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg", true},
		{"<html><script>alert(1)</script></html>", "text/html", false},
		{"MZ\x90\x00", "application/octet-stream", false},
	} {
		ct, _, ok := Type([]byte(c.data))
		if ct != c.ct || ok != c.ok {
			t.Errorf("%q: %s %v, want %s %v", c.data[:4], ct, ok, c.ct, c.ok)
		}
	}
}

func TestCleanName(t *testing.T) {
	for _, bad := range []string{"../../etc/passwd.pdf", `..\x.pdf`, "a/b.pdf", ".hidden.pdf", "a\x00b.pdf", "x..pdf", "\xff.pdf"} {
		if n, err := CleanName(bad, ".pdf"); err == nil {
			t.Errorf("%q accepted as %q", bad, n)
		}
	}
	for in, want := range map[string]string{
		"Giấy chứng sinh.pdf":    "Giấy chứng sinh.pdf",
		"ảnh chụp.PNG":           "ảnh chụp.pdf", // the extension is the content's
		"hồ sơ (bản 2).exe.pdf":  "hồ sơ (bản 2)_exe.pdf",
		"  ":                     "tep-dinh-kem.pdf",
		strings.Repeat("a", 300): strings.Repeat("a", MaxNameRunes) + ".pdf",
		"tờ khai; rm -rf.pdf":    "tờ khai_ rm -rf.pdf",
	} {
		if got, err := CleanName(in, ".pdf"); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
}
