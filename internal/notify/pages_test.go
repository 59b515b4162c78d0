package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/platform/web"
)

func newServer(t *testing.T, db *store.DB) (*httptest.Server, *Service) {
	t.Helper()
	s := newService(t, db, nil)
	pages, err := s.Pages()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	pages.Routes(mux)
	srv := httptest.NewServer(web.Wrap(mux, web.Options{Component: "notify", CrossOrigin: true}))
	t.Cleanup(srv.Close)
	return srv, s
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func TestMailboxPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, s := newServer(t, db)
		ctx := context.Background()
		code, _, body := get(t, srv.URL+"/mailbox/")
		if code != 200 {
			t.Fatalf("empty mailbox: %d", code)
		}
		mustContain(t, body, "<h1>Hộp thư thử nghiệm</h1>", "chỉ có trong bản trình diễn", "Hệ thống chưa gửi thư hay tin nhắn nào.")

		if err := s.Send(ctx, Message{Channel: Email, To: "nguyen.van.a@example.vn", Subject: "Mã xác thực <đăng nhập>",
			Body: "Xin chào,\nMã của bạn là 123456.\n\n<script>alert(1)</script>", Template: "login-code"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, Message{Channel: SMS, To: "0912345678", Body: "vngov: ma xac thuc 654321, hieu luc 5 phut"}); err != nil {
			t.Fatal(err)
		}

		code, hdr, body := get(t, srv.URL+"/mailbox/")
		if code != 200 || hdr.Get("Cache-Control") != "no-store" {
			t.Fatalf("mailbox: %d %v", code, hdr)
		}
		mustContain(t, body, `<html lang="vi">`, "Mã xác thực &lt;đăng nhập&gt;", "vngov: ma xac thuc 654321", "nguyen.van.a@example.vn",
			`class="table-scroll"`, `<caption id="messages-caption">`, `scope="col"`, "Thư điện tử", "Chỉ lưu tại đây")
		if strings.Index(body, "654321") > strings.Index(body, "Mã xác thực &lt;") {
			t.Error("not newest first")
		}

		// Filtered by recipient.
		_, _, body = get(t, srv.URL+"/mailbox/?to=0912345678")
		mustContain(t, body, "654321", "Đang xem thư và tin nhắn gửi tới 0912345678.")
		if strings.Contains(body, "nguyen.van.a@example.vn") {
			t.Error("filter shows another recipient's message")
		}
		_, _, body = get(t, srv.URL+"/mailbox/?to=ai.do@example.vn")
		mustContain(t, body, "Chưa có thư hay tin nhắn nào gửi tới ai.do@example.vn.")

		// One message, its lines kept and its text escaped.
		ms, _ := s.List(ctx, "nguyen.van.a@example.vn", 1, 0)
		code, _, body = get(t, fmt.Sprintf("%s/mailbox/%d", srv.URL, ms[0].ID))
		if code != 200 {
			t.Fatalf("message: %d", code)
		}
		mustContain(t, body, "<h1>Mã xác thực &lt;đăng nhập&gt;</h1>", "<p>Xin chào,<br>\nMã của bạn là 123456.</p>",
			"<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "<code>login-code</code>", `aria-current="page"`)
		if strings.Contains(body, "<script>alert") {
			t.Error("body not escaped")
		}

		// English.
		_, _, body = get(t, srv.URL+"/mailbox/?lang=en")
		mustContain(t, body, `<html lang="en">`, "<h1>Test mailbox</h1>", "This page exists only in the demo.", "Text message", "654321")
		code, _, body = get(t, fmt.Sprintf("%s/mailbox/%d?lang=en", srv.URL, ms[0].ID+1))
		mustContain(t, body, "<h1>Text message to 0912345678</h1>", "Back to the mailbox")

		for _, path := range []string{"/mailbox/9999", "/mailbox/abc", "/mailbox/-1"} {
			if code, _, _ := get(t, srv.URL+path); code != 404 {
				t.Errorf("%s: %d", path, code)
			}
		}
		resp, err := http.Get(srv.URL + "/mailbox")
		if err != nil || resp.Request.URL.Path != "/mailbox/" {
			t.Fatalf("redirect: %v %v", resp.Request.URL, err)
		}
		resp.Body.Close()
	})
}

func TestMailboxPagination(t *testing.T) {
	srv, s := newServer(t, storetest.OpenSQLite(t))
	ctx := context.Background()
	for i := 1; i <= pageSize+5; i++ {
		if err := s.Send(ctx, Message{Channel: SMS, To: "0987654321", Body: fmt.Sprintf("tin nhan so %03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, _, body := get(t, srv.URL+"/mailbox/?to=0987654321")
	mustContain(t, body, "tin nhan so 025", "tin nhan so 006", `rel="next"`, "page=2")
	if strings.Contains(body, "tin nhan so 005") || strings.Contains(body, `rel="prev"`) {
		t.Error("first page shows too much")
	}
	_, _, body = get(t, srv.URL+"/mailbox/?to=0987654321&page=2")
	mustContain(t, body, "tin nhan so 005", "tin nhan so 001", `rel="prev"`)
	if strings.Contains(body, "tin nhan so 006") || strings.Contains(body, `rel="next"`) {
		t.Error("second page shows too much")
	}
}

func TestMailboxJSON(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, s := newServer(t, db)
		ctx := context.Background()
		s.Send(ctx, Message{Channel: SMS, To: "0912345678", Body: "Ma xac thuc: 111111"})
		s.Send(ctx, Message{Channel: Email, To: "b@example.vn", Subject: "Chào", Body: "b"})
		s.Send(ctx, Message{Channel: SMS, To: "0912345678", Body: "Ma xac thuc: 222222"})

		code, hdr, body := get(t, srv.URL+"/mailbox/v1/messages?to=0912345678")
		if code != 200 || hdr.Get("Content-Type") != "application/json" {
			t.Fatalf("%d %v %s", code, hdr, body)
		}
		var out struct {
			Messages []map[string]any `json:"messages"`
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) != 2 || out.Messages[0]["body"] != "Ma xac thuc: 222222" || out.Messages[0]["channel"] != "sms" ||
			out.Messages[0]["to"] != "0912345678" || out.Messages[0]["id"] == nil || out.Messages[0]["created_at"] == nil {
			t.Fatalf("%s", body)
		}

		_, _, body = get(t, srv.URL+"/mailbox/v1/messages?limit=1&offset=1")
		if err := json.Unmarshal([]byte(body), &out); err != nil || len(out.Messages) != 1 || out.Messages[0]["to"] != "b@example.vn" {
			t.Fatalf("limit/offset: %s", body)
		}
		_, _, body = get(t, srv.URL+"/mailbox/v1/messages?to=nobody@example.vn")
		if strings.TrimSpace(body) != `{"messages":[]}` {
			t.Fatalf("none: %s", body)
		}
		if code, hdr, _ := get(t, srv.URL+"/mailbox/v1/messages?limit=x"); code != 422 || hdr.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("bad limit: %d %v", code, hdr)
		}
	})
}

func TestTemplatePages(t *testing.T) {
	srv, _ := newServer(t, storetest.OpenSQLite(t))
	code, _, body := get(t, srv.URL+"/mailbox/templates")
	if code != 200 {
		t.Fatalf("%d", code)
	}
	mustContain(t, body, "Mẫu thông báo", "((ma_ho_so))", "payment.paid", "Đã nhận tiền nộp phí, lệ phí", "UCS-2")
	code, _, body = get(t, srv.URL+"/mailbox/v1/templates")
	var out struct {
		Templates []TemplateView `json:"templates"`
	}
	if err := json.Unmarshal([]byte(body), &out); code != 200 || err != nil || len(out.Templates) != len(Templates()) || out.Templates[0].SMSInfo.Parts == 0 {
		t.Fatalf("%d %v %s", code, err, body)
	}
	if _, _, body := get(t, srv.URL+"/mailbox/"); !strings.Contains(body, `href="/mailbox/templates"`) {
		t.Fatal("the mailbox does not link to the templates")
	}
}
