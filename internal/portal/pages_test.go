package portal

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// TestProcedurePages: the home page, the search without diacritics and
// its pages, a procedure in plain language, English, and unknown codes.
func TestProcedurePages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		b := newBrowser(t)
		visits := &countVisits{}
		e.p.Visits = visits

		page := b.get(e.url + "/")
		if b.status != 200 || !strings.Contains(page, `<html lang="vi">`) || !strings.Contains(page, "Cổng Dịch vụ công") || !strings.Contains(page, `action="/thu-tuc"`) {
			t.Fatalf("home: %d\n%s", b.status, page)
		}
		if !strings.Contains(page, "Đăng nhập") || !strings.Contains(page, "Tra cứu hồ sơ") {
			t.Error("the home page has no sign-in or lookup link")
		}

		// Search without diacritics finds the procedure with them.
		page = b.get(e.url + "/thu-tuc?q=khai+sinh")
		if b.status != 200 || !strings.Contains(page, `href="/thu-tuc/1.001193"`) || strings.Contains(page, `href="/thu-tuc/1.000894"`) {
			t.Fatalf("search 'khai sinh':\n%s", page)
		}
		page = b.get(e.url + "/thu-tuc?q=ket+hon")
		if !strings.Contains(page, "Đăng ký kết hôn") {
			t.Fatal("search 'ket hon' does not find Đăng ký kết hôn")
		}
		page = b.get(e.url + "/thu-tuc?q=khong+co+thu+tuc+nay")
		if !strings.Contains(page, "Không tìm thấy thủ tục phù hợp") {
			t.Fatal("a search without results does not say so")
		}
		// Eight procedures, ten a page: one page, no pager; page 2 is empty.
		page = b.get(e.url + "/thu-tuc")
		if strings.Count(page, `<h2 class="result-title">`) != 8 || strings.Contains(page, `rel="next"`) {
			t.Fatalf("the full list:\n%s", page)
		}

		// A procedure in plain language.
		page = b.get(e.url + "/thu-tuc/1.004222")
		for _, want := range []string{"Đăng ký thường trú", "Ai được nộp hồ sơ", "Giấy tờ cần có", "Phí, lệ phí", "10.000 đồng", "20.000 đồng",
			"7 ngày làm việc", "Dịch vụ công trực tuyến toàn trình", "Mức độ 2 (mật khẩu và mã xác thực một lần)",
			"Không cần nộp: cơ quan lấy từ Cơ sở dữ liệu quốc gia về dân cư", `href="/thu-tuc/1.004222/nop"`, "Căn cứ pháp lý"} {
			if !strings.Contains(page, want) {
				t.Errorf("the procedure page does not show %q", want)
			}
		}
		// English.
		page = b.get(e.url + "/thu-tuc/1.004222?lang=en")
		if !strings.Contains(page, `<html lang="en">`) || !strings.Contains(page, "Who can apply") || !strings.Contains(page, "10,000 VND") {
			t.Fatalf("the English procedure page:\n%s", page)
		}
		b.get(e.url + "/?lang=vi")

		for _, bad := range []string{"/thu-tuc/9.999999", "/thu-tuc/..%2f..%2fetc", "/thu-tuc/1.001193x"} {
			page = b.get(e.url + bad)
			if b.status != http.StatusNotFound || !strings.Contains(page, "Không tìm thấy") {
				t.Errorf("%s: %d", bad, b.status)
			}
		}
		if visits.n["/"] == 0 || visits.n["/thu-tuc"] == 0 || visits.n["/thu-tuc/1.004222"] == 0 {
			t.Errorf("visits not counted: %v", visits.n)
		}
	})
}

type countVisits struct{ n map[string]int }

func (c *countVisits) Visit(page string) {
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[page]++
}
