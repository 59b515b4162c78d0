package dossier

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"

	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/platform/web"
)

// tokenAuth is an Authenticator as the identity provider will be one:
// bearer tokens that are officials or citizens.
type tokenAuth struct {
	officials  map[string]Official
	applicants map[string]string
}

func (a tokenAuth) Official(r *http.Request) (Official, error) {
	if o, ok := a.officials[authn.BearerToken(r)]; ok {
		return o, nil
	}
	return Official{}, fault.New(fault.Unauthenticated, "auth.invalid_credential", "Mã truy cập không hợp lệ", "bad token")
}

func (a tokenAuth) Applicant(r *http.Request) (string, error) {
	tok := authn.BearerToken(r)
	if id, ok := a.applicants[tok]; ok {
		return id, nil
	}
	if _, ok := a.officials[tok]; ok {
		return "", ErrNotApplicant
	}
	return "", fault.New(fault.Unauthenticated, "auth.invalid_credential", "Mã truy cập không hợp lệ", "bad token")
}

type apiClient struct {
	t   *testing.T
	url string
}

func (c apiClient) do(method, path, token string, body io.Reader, hdr map[string]string) (int, http.Header, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.url+path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil && hdr["Content-Type"] == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &out)
	return resp.StatusCode, resp.Header, out
}

func jsonBody(v any) io.Reader { b, _ := json.Marshal(v); return bytes.NewReader(b) }

// multipartBody builds a form with files (field = document code) whose
// file names are written raw into the header.
func multipartBody(files map[string][2]string, note string) (io.Reader, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for field, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+field+`"; filename="`+f[0]+`"`)
		h.Set("Content-Type", "application/octet-stream")
		p, _ := w.CreatePart(h)
		p.Write([]byte(f[1]))
	}
	if note != "" {
		w.WriteField("note", note)
	}
	w.Close()
	return &buf, w.FormDataContentType()
}

func TestAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := setup(t, db, at(2026, 3, 2, 9, 0))
		auth := tokenAuth{
			officials:  map[string]Official{"desk": receptionist, "spec": specialist, "boss": leader, "other": outsider},
			applicants: map[string]string{"citizen": citizen, "stranger": "001099000001"},
		}
		c := &Component{Svc: s, Auth: auth}
		mux := http.NewServeMux()
		c.Routes(mux)
		srv := httptest.NewServer(web.Wrap(mux, web.Options{Component: "dossier"}))
		defer srv.Close()
		api := apiClient{t, srv.URL}

		create := map[string]any{"procedure": "1.001612", "agency": agencyA, "form": json.RawMessage(householdForm(citizen))}
		st, _, _ := api.do("POST", "/dossier/v1/dossiers", "", jsonBody(create), nil)
		if st != 401 {
			t.Fatalf("no credential: %d", st)
		}
		st, hdr, d := api.do("POST", "/dossier/v1/dossiers", "citizen", jsonBody(create), map[string]string{"Idempotency-Key": "k1"})
		if st != 201 || hdr.Get("Location") == "" || d["status"].(float64) != 1 || d["channel"].(float64) != 2 {
			t.Fatalf("create: %d %v", st, d)
		}
		code := d["code"].(string)
		st, hdr, again := api.do("POST", "/dossier/v1/dossiers", "citizen", jsonBody(create), map[string]string{"Idempotency-Key": "k1"})
		if st != 200 || hdr.Get("Idempotent-Replayed") != "true" || again["code"] != code {
			t.Fatalf("double submit: %d %v", st, again)
		}
		bad := map[string]any{"procedure": "1.001612", "agency": agencyA, "form": map[string]any{"applicant_id": citizen}}
		st, _, p := api.do("POST", "/dossier/v1/dossiers", "citizen", jsonBody(bad), nil)
		if st != 422 || len(p["errors"].([]any)) < 5 {
			t.Fatalf("bad form: %d %v", st, p)
		}
		// An official files a dossier received in person.
		st, _, inPerson := api.do("POST", "/dossier/v1/dossiers", "desk", jsonBody(create), nil)
		if st != 201 || inPerson["channel"].(float64) != 1 || inPerson["applicant"].(map[string]any)["id"] != citizen {
			t.Fatalf("in person: %d %v", st, inPerson)
		}
		st, _, _ = api.do("POST", "/dossier/v1/dossiers", "other", jsonBody(create), nil)
		if st != 403 {
			t.Fatalf("filing at another agency: %d", st)
		}

		// Uploads.
		body, ct := multipartBody(map[string][2]string{"giay-de-nghi": {"đơn.pdf", string(pdf)}}, "")
		st, _, up := api.do("POST", "/dossier/v1/dossiers/"+code+"/documents", "citizen", body, map[string]string{"Content-Type": ct})
		if st != 201 || len(up["documents"].([]any)) != 1 {
			t.Fatalf("upload: %d %v", st, up)
		}
		docID := up["documents"].([]any)[0].(map[string]any)["id"].(float64)
		for name, f := range map[string][2]string{
			"path":  {"../../../etc/passwd.pdf", string(pdf)},
			"exe":   {"setup.exe", "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"},
			"html":  {"x.pdf", "<html><body>hi</body></html>"},
			"wrong": {"x.pdf", string(pdf)},
		} {
			field := "giay-de-nghi"
			if name == "wrong" {
				field = "khong-co-ma-nay"
			}
			body, ct := multipartBody(map[string][2]string{field: f}, "")
			if st, _, p := api.do("POST", "/dossier/v1/dossiers/"+code+"/documents", "citizen", body, map[string]string{"Content-Type": ct}); st != 422 {
				t.Fatalf("%s upload: %d %v", name, st, p)
			}
		}
		body, ct = multipartBody(map[string][2]string{"giay-de-nghi": {"lon.pdf", string(pdf) + strings.Repeat("x", MaxDocumentSize)}}, "")
		if st, _, _ := api.do("POST", "/dossier/v1/dossiers/"+code+"/documents", "citizen", body, map[string]string{"Content-Type": ct}); st != 413 {
			t.Fatalf("too large: %d", st)
		}
		body, ct = multipartBody(map[string][2]string{"giay-de-nghi": {"x.pdf", string(pdf)}}, "")
		if st, _, _ := api.do("POST", "/dossier/v1/dossiers/"+code+"/documents", "stranger", body, map[string]string{"Content-Type": ct}); st != 404 {
			t.Fatalf("upload to someone else's dossier: %d", st)
		}
		req, _ := http.NewRequest("GET", srv.URL+"/dossier/v1/dossiers/"+code+"/documents/"+jsonNum(docID), nil)
		req.Header.Set("Authorization", "Bearer spec")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(got, pdf) || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("download: %d %s", resp.StatusCode, resp.Header)
		}

		// Reading.
		if st, _, _ := api.do("GET", "/dossier/v1/dossiers/"+code, "stranger", nil, nil); st != 404 {
			t.Fatalf("stranger reads: %d", st)
		}
		if st, _, _ := api.do("GET", "/dossier/v1/dossiers/"+code, "other", nil, nil); st != 403 {
			t.Fatalf("other agency reads: %d", st)
		}
		if st, _, list := api.do("GET", "/dossier/v1/dossiers", "citizen", nil, nil); st != 200 || list["total"].(float64) != 2 {
			t.Fatalf("my list: %d %v", st, list)
		}
		if st, _, ps := api.do("GET", "/dossier/v1/status/"+code+"?applicant_id="+citizen, "", nil, nil); st != 200 || ps["status_name"] != "Mới đăng ký" {
			t.Fatalf("status: %d %v", st, ps)
		}
		st, _, p1 := api.do("GET", "/dossier/v1/status/"+code+"?applicant_id=001099000001", "", nil, nil)
		st2, _, p2 := api.do("GET", "/dossier/v1/status/"+agencyA+"-260302-0999?applicant_id="+citizen, "", nil, nil)
		if st != 404 || st2 != 404 || p1["code"] != p2["code"] || p1["title"] != p2["title"] {
			t.Fatalf("status with a wrong id: %d %v / %d %v", st, p1, st2, p2)
		}

		// Actions.
		act := func(token, action, note string, version float64) (int, map[string]any) {
			st, _, out := api.do("POST", "/dossier/v1/dossiers/"+code+"/actions", token, jsonBody(map[string]any{"action": action, "note": note, "version": version}), nil)
			return st, out
		}
		if st, p := act("boss", "approve", "", 1); st != 409 || p["code"] != "dossier.transition_not_allowed" {
			t.Fatalf("approve at reception: %d %v", st, p)
		}
		if st, p := act("other", "accept", "", 1); st != 403 || p["code"] != "dossier.other_agency" {
			t.Fatalf("other agency: %d %v", st, p)
		}
		if st, _, _ := api.do("POST", "/dossier/v1/dossiers/"+code+"/claim", "desk", nil, nil); st != 200 {
			t.Fatalf("claim: %d", st)
		}
		st, out := act("desk", "accept", "Hợp lệ", 1)
		if st != 200 || out["status"].(float64) != 4 {
			t.Fatalf("accept: %d %v", st, out)
		}
		if st, p := act("spec", "forward", "", 1); st != 409 || p["code"] != "dossier.version_conflict" {
			t.Fatalf("stale version: %d %v", st, p)
		}
		if st, p := act("spec", "approve", "", 2); st != 409 {
			t.Fatalf("specialist approves at the specialist step: %d %v", st, p)
		}
		st, out = act("spec", "forward", "", 2)
		if st != 200 || out["step"] != "phe-duyet" {
			t.Fatalf("forward: %d %v", st, out)
		}
		if st, p := act("spec", "approve", "", 3); st != 403 || p["code"] != "dossier.wrong_role" {
			t.Fatalf("specialist doing the leader's step: %d %v", st, p)
		}
		st, _, inbox := api.do("GET", "/dossier/v1/inbox?role=leader&filter=all", "boss", nil, nil)
		if st != 200 || inbox["counts"].(map[string]any)["all"].(float64) != 1 {
			t.Fatalf("inbox: %d %v", st, inbox)
		}
		if st, _, _ := api.do("GET", "/dossier/v1/inbox?role=leader", "spec", nil, nil); st != 403 {
			t.Fatalf("inbox of a role one lacks: %d", st)
		}
		if st, _, _ := api.do("GET", "/dossier/v1/inbox?agency="+agencyB, "boss", nil, nil); st != 403 {
			t.Fatalf("inbox of another agency: %d", st)
		}
		act("boss", "approve", "", 3)
		st, out = act("desk", "deliver", "", 4)
		if st != 200 || out["status"].(float64) != 10 {
			t.Fatalf("deliver: %d %v", st, out)
		}
		st, _, h := api.do("GET", "/dossier/v1/dossiers/"+code+"/sync", "desk", nil, nil)
		if st != 200 || h["MaHoSo"] != code || h["TrangThaiHoSo"] != "10" {
			t.Fatalf("sync: %d %v", st, h)
		}
		if st, _, _ := api.do("GET", "/dossier/v1/dossiers/"+code+"/apology", "desk", nil, nil); st != 409 {
			t.Fatalf("apology for a finished dossier: %d", st)
		}
		if st, _, p := api.do("GET", "/dossier/v1/nothing", "desk", nil, nil); st != 404 || p["code"] != "route.not_found" {
			t.Fatalf("unknown route: %d %v", st, p)
		}
		// Withdraw and supplement by the applicant.
		other := inPerson["code"].(string)
		if st, _, w := api.do("POST", "/dossier/v1/dossiers/"+other+"/withdraw", "citizen", jsonBody(map[string]any{"note": "Nộp nhầm"}), nil); st != 200 || w["status"].(float64) != 7 {
			t.Fatalf("withdraw: %d %v", st, w)
		}
		n := countRows(t, db, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'dossier.%' AND result IN ('denied', 'invalid')")
		if n < 5 {
			t.Fatalf("refusals audited: %d", n)
		}
	})
}

func jsonNum(f float64) string { b, _ := json.Marshal(f); return string(b) }

// TestAdminAuth: the stand-in over the admin token.
func TestAdminAuth(t *testing.T) {
	a := AdminAuth{Verifier: authn.NewStaticToken("secret", "admin-token")}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer secret")
	o, err := a.Official(r)
	if err != nil || o.Agency != AnyAgency || !o.Has(RoleLeader) || !o.Has(RoleReceptionist) {
		t.Fatalf("official: %+v %v", o, err)
	}
	if _, err := a.Applicant(r); err != ErrNotApplicant {
		t.Fatalf("without the header the admin is no applicant: %v", err)
	}
	r.Header.Set(ApplicantHeader, citizen)
	if id, err := a.Applicant(r); err != nil || id != citizen {
		t.Fatalf("applicant: %s %v", id, err)
	}
	r.Header.Set("Authorization", "Bearer wrong")
	if _, err := a.Applicant(r); !fault.Is(err, fault.Unauthenticated) || err == ErrNotApplicant {
		t.Fatalf("bad token as applicant: %v", err)
	}
}
