package result

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

func TestIssueVerifyTamperRevoke(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(t, db)
		iss, err := s.Issue(ctx, birthExtract("000.00.92.H26-260302-0001"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(iss.URI, agency+"-TLKS-") || !ValidURI(iss.URI) || iss.Replayed {
			t.Fatalf("issued %+v", iss)
		}
		if iss.VerifyURL != "http://portal.test/xac-thuc/"+iss.URI {
			t.Fatalf("verify url %s", iss.VerifyURL)
		}
		d, pdf, err := s.ForHolder(ctx, citizen, iss.URI)
		if err != nil {
			t.Fatal(err)
		}
		if os.Getenv("RESULT_PDF_OUT") != "" {
			os.WriteFile(os.Getenv("RESULT_PDF_OUT"), pdf, 0o644)
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) || d.Size != len(pdf) {
			t.Fatalf("file: %q… size %d/%d", pdf[:8], d.Size, len(pdf))
		}
		sum := sha256.Sum256(pdf)
		if hex.EncodeToString(sum[:]) != iss.SHA256 || d.SHA256 != iss.SHA256 {
			t.Fatal("sha256 of the file differs from the issued one")
		}
		// Another holder does not see it.
		if _, _, err := s.ForHolder(ctx, "001090000001", iss.URI); !fault.Is(err, fault.NotFound) {
			t.Fatalf("another holder: %v", err)
		}

		// By URI: genuine.
		v, err := s.Verify(ctx, iss.URI, nil)
		if err != nil || v.Status != StatusGenuine || !v.Genuine || v.Unaltered != nil || v.Holder != "Nguyễn V*** M***" || v.IssuerName == "" {
			t.Fatalf("verify by uri: %+v %v", v, err)
		}
		// The file as issued: genuine and unaltered, found by its own proof.
		v, err = s.Verify(ctx, "", pdf)
		if err != nil || v.Status != StatusGenuine || v.Unaltered == nil || !*v.Unaltered || v.URI != iss.URI {
			t.Fatalf("verify file: %+v %v", v, err)
		}
		// The proof is in the file, and holds offline: the signature over
		// the signed revision, by a certificate of the CA.
		p, ok := extractProof(pdf)
		if !ok || p.URI != iss.URI {
			t.Fatalf("proof %+v %v", p, ok)
		}
		cert, err := pki.DecodeCert(pki.EncodeCert(mustParse(t, p.Certificate)))
		if err != nil {
			t.Fatal(err)
		}
		if err := pki.Verify(cert, pdf[:p.SignedLength], p.Signature); err != nil {
			t.Fatalf("offline signature check: %v", err)
		}
		caPEM, _ := s.CACertificate(ctx)
		ca, _ := pki.DecodeCert(caPEM)
		if err := chains(ca, cert, d.IssuedAt); err != nil {
			t.Fatal(err)
		}
		// One byte changed anywhere: altered.
		for _, at := range []int{len(pdf) / 3, p.SignedLength + 40, len(pdf) - 30} {
			bad := bytes.Clone(pdf)
			bad[at] ^= 0x01
			v, err = s.Verify(ctx, "", bad)
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != StatusAltered && v.Status != StatusNotIssued {
				t.Fatalf("byte %d changed: %+v", at, v)
			}
			if at == len(pdf)/3 && (v.Status != StatusAltered || v.Unaltered == nil || *v.Unaltered) {
				t.Fatalf("byte in the signed revision changed: %+v", v)
			}
		}
		// The signed revision alone (the proof's update taken off) is what
		// was signed: genuine and unaltered. Cut anywhere else, it is not
		// found.
		v, _ = s.Verify(ctx, "", pdf[:p.SignedLength])
		if v.Status != StatusGenuine || v.URI != iss.URI || !*v.Unaltered {
			t.Fatalf("signed revision alone: %+v", v)
		}
		v, _ = s.Verify(ctx, "", pdf[:p.SignedLength-100])
		if v.Status != StatusNotIssued {
			t.Fatalf("truncated: %+v", v)
		}
		// A file given with another document's URI.
		other, err := s.Issue(ctx, birthExtract("000.00.92.H26-260302-0002"))
		if err != nil {
			t.Fatal(err)
		}
		v, _ = s.Verify(ctx, other.URI, pdf)
		if v.Status != StatusAltered || v.URI != other.URI {
			t.Fatalf("file of another document: %+v", v)
		}
		// A PDF from elsewhere; an unknown URI.
		v, _ = s.Verify(ctx, "", []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<</Root 1 0 R>>\n%%EOF\n"))
		if v.Status != StatusNotIssued || v.Genuine {
			t.Fatalf("foreign pdf: %+v", v)
		}
		v, _ = s.Verify(ctx, agency+"-TLKS-AAAAAAAAAAAAAAAA", nil)
		if v.Status != StatusNotIssued {
			t.Fatalf("unknown uri: %+v", v)
		}

		// Revoke: needs a reason; then revoked, once, with its event and
		// audit row.
		admin := audit.Actor{Subject: "admin-token", SourceIP: "127.0.0.1"}
		if _, err := s.Revoke(ctx, admin, iss.URI, " "); !fault.Is(err, fault.Invalid) {
			t.Fatalf("revoke without reason: %v", err)
		}
		rd, err := s.Revoke(ctx, admin, iss.URI, "Cấp nhầm thông tin ngày sinh")
		if err != nil || !rd.Revoked {
			t.Fatalf("revoke: %+v %v", rd, err)
		}
		if _, err := s.Revoke(ctx, admin, iss.URI, "lần hai"); !fault.Is(err, fault.Conflict) {
			t.Fatalf("revoke twice: %v", err)
		}
		v, _ = s.Verify(ctx, iss.URI, nil)
		if v.Status != StatusRevoked || !v.Revoked || !v.Genuine || v.RevokeReason != "Cấp nhầm thông tin ngày sinh" {
			t.Fatalf("revoked: %+v", v)
		}
		v, _ = s.Verify(ctx, "", pdf)
		if v.Status != StatusRevoked || !*v.Unaltered {
			t.Fatalf("revoked file: %+v", v)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM bus_outbox WHERE type = ?", EventRevoked); n != 1 {
			t.Fatalf("%d revoked events", n)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'result.revoke' AND result = 'ok'"); n != 1 {
			t.Fatalf("%d revoke audit rows", n)
		}
	})
}

func TestIssueIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(t, db)
		a, err := s.Issue(ctx, birthExtract("000.00.92.H26-260302-0003"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Issue(ctx, birthExtract("000.00.92.H26-260302-0003"))
		if err != nil || b.URI != a.URI || !b.Replayed || b.SHA256 != a.SHA256 {
			t.Fatalf("second issue %+v %v", b, err)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM res_document"); n != 1 {
			t.Fatalf("%d documents", n)
		}
		var data string
		db.QueryRow(ctx, "SELECT data FROM bus_outbox WHERE type = ?", EventIssued).Scan(&data)
		var ev issuedEvent
		if err := json.Unmarshal([]byte(data), &ev); err != nil || ev.URI != a.URI || ev.HolderID != citizen || ev.SHA256 != a.SHA256 || ev.DossierCode != "000.00.92.H26-260302-0003" {
			t.Fatalf("event %s", data)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM bus_outbox WHERE type = ?", EventIssued); n != 1 {
			t.Fatalf("%d issued events", n)
		}
		// The agency keeps one key across documents and restarts.
		s2 := New(db, "http://portal.test")
		c, err := s2.Issue(ctx, birthExtract("000.00.92.H26-260302-0004"))
		if err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM res_signer"); n != 1 {
			t.Fatalf("%d signers", n)
		}
		v1, _ := s.Verify(ctx, a.URI, nil)
		v2, _ := s2.Verify(ctx, c.URI, nil)
		if v1.Signer.Fingerprint != v2.Signer.Fingerprint || !v2.Genuine {
			t.Fatalf("signers differ: %+v %+v", v1.Signer, v2.Signer)
		}
	})
}

func TestIssueRefusesBadInput(t *testing.T) {
	db := storetest.OpenSQLite(t)
	s, _ := newService(t, db)
	in := birthExtract("x")
	in.Agency, in.HolderID, in.DocType, in.Title, in.DossierCode = "bad", "123", "tl ks", "", "../etc"
	_, err := s.Issue(context.Background(), in)
	f := fault.As(err)
	if f == nil || f.Kind != fault.Invalid || len(f.Fields) < 5 {
		t.Fatalf("bad input: %v", err)
	}
	if n := countRows(t, db, "SELECT COUNT(*) FROM res_document"); n != 0 {
		t.Fatal("a document was stored")
	}
	s.VerifyBase = ""
	if _, err := s.Issue(context.Background(), birthExtract("000.00.92.H26-260302-0009")); !fault.Is(err, fault.Unavailable) {
		t.Fatalf("no verify base: %v", err)
	}
}

func TestCheckUpload(t *testing.T) {
	pdf := []byte("%PDF-1.7\n...")
	for name, c := range map[string]struct {
		file string
		data []byte
		kind fault.Kind
	}{
		"ok":        {"giay-to.pdf", pdf, -1},
		"path":      {"../../etc/passwd.pdf", pdf, fault.Invalid},
		"backslash": {`C:\x\a.pdf`, pdf, fault.Invalid},
		"dot":       {".hidden.pdf", pdf, fault.Invalid},
		"control":   {"a\x00.pdf", pdf, fault.Invalid},
		"empty":     {"a.pdf", nil, fault.Invalid},
		"type":      {"a.pdf", []byte("\x89PNG\r\n\x1a\n0000"), fault.Invalid},
		"too large": {"a.pdf", append(bytes.Clone(pdf), make([]byte, MaxVerifySize)...), fault.TooLarge},
	} {
		err := CheckUpload(c.file, c.data)
		if c.kind < 0 {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if !fault.Is(err, c.kind) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{"Nguyễn Văn Minh": "Nguyễn V*** M***", "Lê Ánh": "Lê Á***", "Minh": "Minh", "": ""} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}
