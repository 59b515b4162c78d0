package portal

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// TestBenchFiling runs the benchmark's submission, as its citizens make
// it, once through the pages: what the benchmark posts is a complete
// filing of its procedure, without uploads.
func TestBenchFiling(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		u := benchUser{id: minhID, name: "Nguyễn Văn Minh", birth: "1989-05-12", commune: "00004", street: "Số 8 phố Quán Thánh"}
		if _, _, err := e.dossiers.Create(context.Background(), dossier.CreateRequest{Procedure: benchProcedure, Agency: agencyBD, Form: u.form(), ApplicantID: u.id}); err != nil {
			t.Fatalf("the benchmark's form is refused: %v", err)
		}
		b := newBrowser(t)
		e.signIn(b, Citizen{ID: u.id, Name: u.name, ACR: ACRLevel2})
		nop := e.url + "/thu-tuc/" + benchProcedure + "/nop"
		b.post(nop, url.Values{"decision": {"allow"}})
		b.post(nop+"/to-khai", u.formValues())
		if b.last != nop+"/giay-to" {
			t.Fatalf("the benchmark's e-form: at %s", b.last)
		}
		b.post(nop+"/xem-lai", url.Values{"declare": {"yes"}, "pay": {"desk"}})
		if !strings.HasSuffix(b.last, "/bien-nhan") {
			t.Fatalf("the benchmark's submission: at %s (%d)", b.last, b.status)
		}
	})
}
