package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCheckETag(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		etag        string
		ifNoneMatch []string
		wantTag     string
		wantStatus  int // 0: CheckETag lets the handler answer
	}{
		{"no condition", "GET", "v42", nil, `"v42"`, 0},
		{"match", "GET", "v42", []string{`"v42"`}, `"v42"`, 304},
		{"mismatch", "GET", "v42", []string{`"v41"`}, `"v42"`, 0},
		{"star", "GET", "v42", []string{`*`}, `"v42"`, 304},
		{"list", "GET", "v42", []string{`"v40", "v41" ,"v42"`}, `"v42"`, 304},
		{"list without match", "GET", "v42", []string{`"v40", "v41"`}, `"v42"`, 0},
		{"several header lines", "GET", "v42", []string{`"v40"`, `"v42"`}, `"v42"`, 304},
		{"weak in request", "GET", "v42", []string{`W/"v42"`}, `"v42"`, 304},
		{"weak ours", "GET", `W/"v42"`, []string{`"v42"`}, `W/"v42"`, 304},
		{"already quoted", "GET", `"v42"`, []string{`"v42"`}, `"v42"`, 304},
		{"comma inside tag", "GET", "a,b", []string{`"x", "a,b"`}, `"a,b"`, 304},
		{"head", "HEAD", "v42", []string{`"v42"`}, `"v42"`, 304},
		{"malformed list stops", "GET", "v42", []string{`v42`}, `"v42"`, 0},
		{"unsafe method", "PUT", "v42", []string{`*`}, ``, 412},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/catalog/v1/lists/gender", nil)
			for _, v := range tt.ifNoneMatch {
				req.Header.Add("If-None-Match", v)
			}
			rec := httptest.NewRecorder()
			rec.Header().Set("Content-Type", "application/json")
			stop := CheckETag(rec, req, tt.etag)
			if got := rec.Header().Get("ETag"); got != tt.wantTag {
				t.Errorf("ETag = %q, want %q", got, tt.wantTag)
			}
			if stop != (tt.wantStatus != 0) {
				t.Fatalf("CheckETag = %v, want status %d", stop, tt.wantStatus)
			}
			if stop && rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if rec.Code == http.StatusNotModified && (rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "") {
				t.Errorf("304 carries a body or a type: %q %v", rec.Body.String(), rec.Header())
			}
		})
	}
}

func TestFormatETagInvalidCharacters(t *testing.T) {
	got := formatETag(`has "quotes" and spaces`)
	if tag, rest := scanETag(got); tag != got || rest != "" {
		t.Errorf("formatETag produced an invalid entity tag %q", got)
	}
	if formatETag(`has "quotes" and spaces`) == formatETag(`other`) {
		t.Error("different values share an entity tag")
	}
}
