package xroad

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestStatusFor(t *testing.T) {
	for typ, want := range map[string]int{
		TypeBadRequest:                         400,
		TypeInvalidClientIdentifier:            400,
		"Client":                               400,
		TypeClientProxyOutdatedGlobalConf:      500,
		TypeClientProxyUnknownMember:           500,
		TypeClientProxyNetworkError:            500,
		TypeClientProxySslAuthenticationFailed: 500,
		TypeClientProxyInconsistentResponse:    500,
		TypeClientProxyBodyTooLarge:            500,
		TypeClientProxyInternalError:           500,
		TypeServerProxyOutdatedGlobalConf:      500,
		TypeServerProxySslAuthenticationFailed: 500,
		TypeServerProxyUnknownService:          500,
		TypeServerProxyAccessDenied:            500,
		TypeServerProxyServiceFailed:           500,
		TypeServerProxyNetworkError:            500,
		TypeServerProxyBodyTooLarge:            500,
		TypeServerProxyInternalError:           500,
		"ClientX.Thing":                        500,
		"Server.ServerProxy.DatabaseError":     500,
	} {
		if got := StatusFor(typ); got != want {
			t.Errorf("StatusFor(%q) = %d, want %d", typ, got, want)
		}
	}
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Length", "999") // left over from a half-written answer
	WriteError(rec, NewError(TypeServerProxyAccessDenied, "client %s may not call %s", "VN/GOV/A/S", "GET /x").WithDetail("id-1"))
	res := rec.Result()
	if res.StatusCode != 500 {
		t.Errorf("status = %d", res.StatusCode)
	}
	if got := res.Header.Get("X-Road-Error"); got != "Server.ServerProxy.AccessDenied" {
		t.Errorf("X-Road-Error = %q", got)
	}
	if got := res.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if res.Header.Get("Content-Length") != "" {
		t.Error("stale Content-Length kept")
	}
	body, _ := io.ReadAll(res.Body)
	want := `{"type":"Server.ServerProxy.AccessDenied","message":"client VN/GOV/A/S may not call GET /x","detail":"id-1"}` + "\n"
	if string(body) != want {
		t.Errorf("body = %s, want %s", body, want)
	}

	rec = httptest.NewRecorder()
	WriteError(rec, &Error{Type: TypeBadRequest, Message: `bad "quote" <b>`})
	var m map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 400 || m["type"] != TypeBadRequest || m["message"] != `bad "quote" <b>` || len(m) != 3 {
		t.Errorf("got %d %v", rec.Code, m)
	}
	if _, err := uuid.Parse(m["detail"]); err != nil {
		t.Errorf("detail %q is not a UUID", m["detail"])
	}
}

func TestErrorFromResponseRoundTrip(t *testing.T) {
	sent := NewError(TypeClientProxyInconsistentResponse, "X-Road-Request-Hash does not match the request").WithDetail("f92591a3-6bf0-49b1-987b-0dd78c034cc3")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/xroad":
			WriteError(w, sent)
		case "/backend":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"type":"backend","message":"boom"}`)
		case "/garbled":
			w.Header().Set("X-Road-Error", "Server.ServerProxy.InternalError")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "not json")
		}
	}))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/xroad")
	if err != nil {
		t.Fatal(err)
	}
	got := ErrorFromResponse(resp)
	if got == nil || *got != *sent {
		t.Fatalf("got %#v, want %#v", got, sent)
	}
	rest, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(rest), `"detail":"f92591a3-6bf0-49b1-987b-0dd78c034cc3"`) {
		t.Errorf("body not put back: %q", rest)
	}

	resp, err = http.Get(srv.URL + "/backend")
	if err != nil {
		t.Fatal(err)
	}
	if e := ErrorFromResponse(resp); e != nil {
		t.Errorf("backend error taken for an exchange error: %v", e)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `{"type":"backend","message":"boom"}` {
		t.Errorf("backend body consumed: %q", b)
	}

	resp, err = http.Get(srv.URL + "/garbled")
	if err != nil {
		t.Fatal(err)
	}
	e := ErrorFromResponse(resp)
	resp.Body.Close()
	if e == nil || e.Type != TypeServerProxyInternalError || e.Message != "not json" || e.Status != 500 {
		t.Errorf("garbled = %#v", e)
	}
}

func TestErrorWithDetailCopies(t *testing.T) {
	e := NewError(TypeBadRequest, "x")
	d := e.WithDetail("id")
	if e.Detail != "" || d.Detail != "id" || d.Type != e.Type || d.Status != 400 {
		t.Errorf("e=%#v d=%#v", e, d)
	}
	if e.Error() != "Client.BadRequest: x" {
		t.Errorf("Error() = %q", e.Error())
	}
}
