package notify

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

func newService(t *testing.T, db *store.DB, smtp *SMTPConfig) *Service {
	t.Helper()
	if err := db.Migrate(context.Background(), "notify", Migrations()); err != nil {
		t.Fatal(err)
	}
	s := New(db, smtp)
	at := time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	s.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		at = at.Add(time.Second)
		return at
	}
	return s
}

func TestRender(t *testing.T) {
	got, err := Render("Mã xác thực của ((ho_ten)) là ((code)). Mã có hiệu lực (( minutes )) phút. ((code))", map[string]string{
		"ho_ten": "Nguyễn Văn A", "code": "123456", "minutes": "5", "unused": "x",
	})
	if want := "Mã xác thực của Nguyễn Văn A là 123456. Mã có hiệu lực 5 phút. 123456"; err != nil || got != want {
		t.Fatalf("got %q, %v", got, err)
	}
	// Values are not rendered again; brackets that are no placeholder stay.
	got, err = Render("(((a))) ((b (c))) ((x", map[string]string{"a": "((b))"})
	if want := "(((b))) ((b (c))) ((x"; err != nil || got != want {
		t.Fatalf("got %q, want %q, %v", got, want, err)
	}
	_, err = Render("Xin chào ((ho_ten)), mã của bạn là ((code)); ((code))", map[string]string{})
	if err == nil || !strings.Contains(err.Error(), `"ho_ten"`) || !strings.Contains(err.Error(), `"code"`) || strings.Count(err.Error(), "code") != 1 {
		t.Fatalf("missing variables: %v", err)
	}
	_, err = Render("Mã: ((code))", nil)
	if err == nil || err.Error() != `notify: template variable "code" is missing` {
		t.Fatalf("missing variable: %v", err)
	}
}

func TestSendStoresAndLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db, nil)
		send := func(m Message) {
			t.Helper()
			if err := s.Send(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		send(Message{Channel: Email, To: "Nguyen.Van.A@example.vn", Subject: "Xác nhận địa chỉ thư", Body: "Mã: 111111\nHiệu lực 10 phút.", Template: "verify-email"})
		send(Message{Channel: SMS, To: "0912 345 678", Body: "Ma xac thuc vngov: 222222"})
		send(Message{Channel: Email, To: "tran.thi.b@example.vn", Subject: "Chào mừng", Body: "Xin chào"})
		send(Message{Channel: SMS, To: "0912.345.678", Body: "Ma xac thuc vngov: 333333"})

		all, err := s.List(ctx, "", 0, 0)
		if err != nil || len(all) != 4 {
			t.Fatalf("List: %d, %v", len(all), err)
		}
		if !strings.Contains(all[0].Body, "333333") || !strings.Contains(all[3].Body, "111111") {
			t.Fatalf("not newest first: %+v", all)
		}
		if all[0].ID <= all[1].ID || !all[0].CreatedAt.After(all[1].CreatedAt) {
			t.Fatalf("ids or times out of order: %+v", all[:2])
		}
		first := all[3]
		if first.To != "Nguyen.Van.A@example.vn" || first.Template != "verify-email" || first.Subject != "Xác nhận địa chỉ thư" ||
			first.Body != "Mã: 111111\nHiệu lực 10 phút." || first.SentAt != nil || first.Error != "" {
			t.Fatalf("stored %+v", first)
		}

		// A phone number however written; an address in any case.
		sms, _ := s.List(ctx, " 0912-345-678 ", 10, 0)
		if len(sms) != 2 || sms[0].To != "0912345678" || !strings.Contains(sms[0].Body, "333333") {
			t.Fatalf("by phone: %+v", sms)
		}
		mail, _ := s.List(ctx, "nguyen.van.a@EXAMPLE.vn", 10, 0)
		if len(mail) != 1 || mail[0].ID != first.ID {
			t.Fatalf("by address: %+v", mail)
		}
		if none, err := s.List(ctx, "nobody@example.vn", 10, 0); err != nil || none == nil || len(none) != 0 {
			t.Fatalf("nobody: %#v, %v", none, err)
		}

		page, _ := s.List(ctx, "", 2, 1)
		if len(page) != 2 || page[0].ID != all[1].ID || page[1].ID != all[2].ID {
			t.Fatalf("limit and offset: %+v", page)
		}

		got, err := s.Get(ctx, first.ID)
		if err != nil || got.Body != first.Body || !got.CreatedAt.Equal(first.CreatedAt) {
			t.Fatalf("Get: %+v, %v", got, err)
		}
		if _, err := s.Get(ctx, 9999); !fault.Is(err, fault.NotFound) {
			t.Fatalf("Get missing: %v", err)
		}
	})
}

func TestSendRefusesBadMessages(t *testing.T) {
	s := newService(t, storetest.OpenSQLite(t), nil)
	ctx := context.Background()
	for _, c := range []struct {
		m     Message
		field string
	}{
		{Message{Channel: "fax", To: "0912345678", Body: "x"}, "channel"},
		{Message{Channel: Email, To: "not an address", Subject: "s", Body: "x"}, "to"},
		{Message{Channel: Email, To: "A <a@example.vn>", Subject: "s", Body: "x"}, "to"},
		{Message{Channel: Email, To: "a@example.vn", Body: "x"}, "subject"},
		{Message{Channel: Email, To: "a@example.vn", Subject: "s\r\nBcc: victim@example.vn", Body: "x"}, "subject"},
		{Message{Channel: Email, To: "a@example.vn", Subject: "s", Body: "  \n"}, "body"},
		{Message{Channel: Email, To: "a@example.vn", Subject: "s", Body: strings.Repeat("x", MaxBody+1)}, "body"},
		{Message{Channel: SMS, To: "gọi tôi", Body: "x"}, "to"},
		{Message{Channel: SMS, To: "", Body: "x"}, "to"},
	} {
		err := s.Send(ctx, c.m)
		f := fault.As(err)
		if f == nil || f.Kind != fault.Invalid || len(f.Fields) == 0 || f.Fields[0].Field != c.field {
			t.Errorf("%s %q to %q: %v", c.m.Channel, c.field, c.m.To, err)
		}
	}
	if all, _ := s.List(ctx, "", 0, 0); len(all) != 0 {
		t.Fatalf("refused messages were stored: %+v", all)
	}
}

type fakeGateway struct {
	got []Message
	err error
}

func (g *fakeGateway) Send(_ context.Context, m Message) error {
	g.got = append(g.got, m)
	return g.err
}

// An SMS provider's adapter plugs in behind Sender; the outcome is kept.
func TestGateway(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db, nil)
		g := &fakeGateway{}
		s.SetGateway(SMS, g)
		if err := s.Send(ctx, Message{Channel: SMS, To: "+84 912 345 678", Body: "Ma: 444444"}); err != nil {
			t.Fatal(err)
		}
		if len(g.got) != 1 || g.got[0].To != "+84912345678" {
			t.Fatalf("gateway got %+v", g.got)
		}
		g.err = errors.New("provider: quota exceeded")
		err := s.Send(ctx, Message{Channel: SMS, To: "+84912345678", Body: "Ma: 555555"})
		if !fault.Is(err, fault.Unavailable) || !strings.Contains(err.Error(), "quota exceeded") {
			t.Fatalf("failed delivery: %v", err)
		}
		// Email has no gateway here: stored only.
		if err := s.Send(ctx, Message{Channel: Email, To: "a@example.vn", Subject: "s", Body: "b"}); err != nil || len(g.got) != 2 {
			t.Fatalf("email went to the SMS gateway: %v, %d", err, len(g.got))
		}
		ms, _ := s.List(ctx, "+84912345678", 0, 0)
		if len(ms) != 2 || ms[0].SentAt != nil || ms[0].Error != "provider: quota exceeded" || ms[1].SentAt == nil || ms[1].Error != "" {
			t.Fatalf("outcomes: %+v", ms)
		}
		s.SetGateway(SMS, nil)
		if err := s.Send(ctx, Message{Channel: SMS, To: "+84912345678", Body: "Ma: 666666"}); err != nil || len(g.got) != 2 {
			t.Fatalf("removed gateway: %v, %d", err, len(g.got))
		}
	})
}
