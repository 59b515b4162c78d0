package notify

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Template is a notification template (mẫu thông báo) in the manner of
// GOV.UK Notify: Vietnamese text with ((placeholder)) fields, one version
// per channel, kept in code and checked by Validate.
type Template struct {
	Name        string            `json:"name"`
	Title       string            `json:"title"`  // what it is, in Vietnamese
	Events      []string          `json:"events"` // the events that send it
	Subject     string            `json:"subject"`
	Email       string            `json:"email"`
	SMS         string            `json:"sms"`
	MaxSMSParts int               `json:"max_sms_parts"` // the SMS, rendered with Sample, fits in this many parts
	Sample      map[string]string `json:"sample"`        // a value for every field, for checking and showing the template
}

// Fields returns the template's placeholders, sorted.
func (t Template) Fields() []string {
	var out []string
	for _, s := range []string{t.Subject, t.Email, t.SMS} {
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			if f := strings.TrimSpace(m[1]); !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Rendered is a template filled in for one person.
type Rendered struct {
	Subject string
	Email   string
	SMS     string
}

// Render fills the template with vars; a missing field is an error that
// names it.
func (t Template) Render(vars map[string]string) (Rendered, error) {
	var r Rendered
	var err error
	if r.Subject, err = Render(t.Subject, vars); err != nil {
		return r, fmt.Errorf("%s: subject: %w", t.Name, err)
	}
	if r.Email, err = Render(t.Email, vars); err != nil {
		return r, fmt.Errorf("%s: email: %w", t.Name, err)
	}
	if r.SMS, err = Render(t.SMS, vars); err != nil {
		return r, fmt.Errorf("%s: sms: %w", t.Name, err)
	}
	return r, nil
}

// Validate checks that the template has a one-line subject, both bodies,
// a sample value for each field, and an SMS within MaxSMSParts parts.
func (t Template) Validate() error {
	var errs []string
	if t.Name == "" || strings.TrimSpace(t.Subject) == "" || strings.TrimSpace(t.Email) == "" || strings.TrimSpace(t.SMS) == "" {
		errs = append(errs, "name, subject, email and sms are required")
	}
	if strings.ContainsAny(t.Subject, "\r\n") {
		errs = append(errs, "the subject must be one line")
	}
	r, err := t.Render(t.Sample)
	if err != nil {
		errs = append(errs, err.Error())
	} else if info := SMSParts(r.SMS); t.MaxSMSParts < 1 || info.Parts > t.MaxSMSParts {
		errs = append(errs, fmt.Sprintf("the sample SMS takes %d %s parts (%d units), more than %d", info.Parts, info.Encoding, info.Units, t.MaxSMSParts))
	}
	for k := range t.Sample {
		if !slices.Contains(t.Fields(), k) {
			errs = append(errs, fmt.Sprintf("sample value %q fills no field", k))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("notify: template %s: %s", t.Name, strings.Join(errs, "; "))
	}
	return nil
}

// The templates' names.
const (
	TplDossierReceived  = "dossier_received"
	TplPaymentRequested = "payment_requested"
	TplSupplement       = "supplement_requested"
	TplPaymentReceived  = "payment_received"
	TplPaymentRefunded  = "payment_refunded"
	TplResultReady      = "result_ready"
	TplOverdueApology   = "overdue_apology"
)

const footer = "\n\nĐây là thư gửi tự động từ hệ thống giải quyết thủ tục hành chính; vui lòng không trả lời thư này."

var sampleDossier = map[string]string{
	"ho_ten":   "Nguyễn Văn Minh",
	"ma_ho_so": "000.00.92.H26-260310-0001",
	"thu_tuc":  "Đăng ký thành lập hộ kinh doanh",
	"co_quan":  "Ủy ban nhân dân Phường Ba Đình",
	"tra_cuu":  "http://127.0.0.1:8080",
}

func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func only(m map[string]string, keys ...string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

// templates are the platform's notification templates.
var templates = []Template{
	{
		Name: TplDossierReceived, Title: "Đã nhận hồ sơ", Events: []string{"dossier.create", "dossier.paid"},
		Subject: "Đã nhận hồ sơ ((ma_ho_so))",
		Email: "Kính gửi Ông/Bà ((ho_ten)),\n\n((co_quan)) đã nhận hồ sơ của Ông/Bà.\n\n" +
			"Mã hồ sơ: ((ma_ho_so))\nThủ tục: ((thu_tuc))\nNgày nhận: ((ngay_nhan))\nNgày hẹn trả kết quả: ((ngay_hen_tra))\n\n" +
			"Ông/Bà tra cứu tình trạng hồ sơ bằng mã hồ sơ và số định danh cá nhân tại ((tra_cuu))." + footer,
		SMS:         "Đã nhận hồ sơ ((ma_ho_so)), hẹn trả kết quả ngày ((ngay_hen_tra)). Tra cứu: ((tra_cuu))",
		MaxSMSParts: 2,
		Sample:      with(sampleDossier, "ngay_nhan", "10/03/2026", "ngay_hen_tra", "13/03/2026"),
	},
	{
		Name: TplPaymentRequested, Title: "Đề nghị nộp phí, lệ phí", Events: []string{"dossier.create"},
		Subject: "Hồ sơ ((ma_ho_so)): đề nghị nộp phí, lệ phí",
		Email: "Kính gửi Ông/Bà ((ho_ten)),\n\nHồ sơ ((ma_ho_so)) (thủ tục “((thu_tuc))”) cần nộp phí, lệ phí ((so_tien)) trước khi được chuyển đến ((co_quan)) để giải quyết.\n\n" +
			"Ông/Bà nộp trực tuyến trên Cổng dịch vụ công tại ((tra_cuu)), mục hồ sơ của tôi; biên lai điện tử được gửi ngay khi thanh toán xong." + footer,
		SMS:         "Hồ sơ ((ma_ho_so)) cần nộp ((so_tien)) phí, lệ phí. Nộp trực tuyến tại ((tra_cuu))",
		MaxSMSParts: 2,
		Sample:      with(sampleDossier, "so_tien", "100.000 đồng"),
	},
	{
		Name: TplSupplement, Title: "Đề nghị bổ sung hồ sơ", Events: []string{"dossier.supplement"},
		Subject: "Hồ sơ ((ma_ho_so)) cần bổ sung giấy tờ",
		Email: "Kính gửi Ông/Bà ((ho_ten)),\n\n((co_quan)) đề nghị Ông/Bà bổ sung hồ sơ ((ma_ho_so)) (thủ tục “((thu_tuc))”):\n\n((noi_dung))\n\n" +
			"Thời gian chờ bổ sung không tính vào thời hạn giải quyết. Ông/Bà nộp giấy tờ bổ sung trên Cổng dịch vụ công tại ((tra_cuu)) hoặc tại bộ phận một cửa." + footer,
		SMS:         "Hồ sơ ((ma_ho_so)) cần bổ sung giấy tờ. Xem yêu cầu và nộp bổ sung tại ((tra_cuu))",
		MaxSMSParts: 2,
		Sample:      with(sampleDossier, "noi_dung", "Bản sao hợp đồng thuê địa điểm kinh doanh."),
	},
	{
		Name: TplPaymentReceived, Title: "Đã nhận tiền nộp phí, lệ phí", Events: []string{"payment.paid"},
		Subject: "Đã nhận ((so_tien)) cho hồ sơ ((ma_ho_so)), biên lai số ((so_bien_lai))",
		Email: "Kính gửi Ông/Bà ((ho_ten)),\n\n((co_quan)) đã nhận ((so_tien)) phí, lệ phí của hồ sơ ((ma_ho_so)).\n\n" +
			"Số biên lai điện tử: ((so_bien_lai))\nMã giao dịch: ((ma_giao_dich))\nThời điểm thanh toán: ((thoi_diem))\n\n" +
			"Biên lai có trong mục hồ sơ của tôi trên Cổng dịch vụ công tại ((tra_cuu))." + footer,
		SMS:         "Đã nhận ((so_tien)) cho hồ sơ ((ma_ho_so)). Biên lai số ((so_bien_lai))",
		MaxSMSParts: 2,
		Sample: with(only(sampleDossier, "ho_ten", "ma_ho_so", "co_quan", "tra_cuu"), "so_tien", "100.000 đồng", "so_bien_lai", "000.00.92.H26-BL26-0000001",
			"ma_giao_dich", "DEMO2603101234567890", "thoi_diem", "09:05 10/03/2026"),
	},
	{
		Name: TplPaymentRefunded, Title: "Đã hoàn tiền", Events: []string{"payment.refunded"},
		Subject: "Hoàn trả ((so_tien)) của hồ sơ ((ma_ho_so))",
		Email: "Kính gửi Ông/Bà ((ho_ten)),\n\n((co_quan)) đã hoàn trả ((so_tien)) Ông/Bà đã nộp cho hồ sơ ((ma_ho_so)); biên lai số ((so_bien_lai)) bị hủy.\n\n" +
			"Lý do: ((ly_do))\n\nTiền về tài khoản hoặc ví đã dùng để thanh toán theo thời gian xử lý của ngân hàng." + footer,
		SMS:         "Đã hoàn trả ((so_tien)) của hồ sơ ((ma_ho_so)). Lý do: ((ly_do))",
		MaxSMSParts: 3,
		Sample: with(only(sampleDossier, "ho_ten", "ma_ho_so", "co_quan"), "so_tien", "100.000 đồng", "so_bien_lai", "000.00.92.H26-BL26-0000001",
			"ly_do", "Hồ sơ không được tiếp nhận."),
	},
	{
		Name: TplResultReady, Title: "Đã có kết quả", Events: []string{"dossier.approve", "dossier.deliver"},
		Subject: "Hồ sơ ((ma_ho_so)) đã có kết quả",
		Email: "Kính gửi Ông/Bà ((ho_ten)),\n\nHồ sơ ((ma_ho_so)) (thủ tục “((thu_tuc))”) đã được ((co_quan)) giải quyết xong.\n\n" +
			"Kết quả điện tử có trong kho dữ liệu điện tử của Ông/Bà trên Cổng dịch vụ công tại ((tra_cuu)); nếu Ông/Bà chọn nhận bản giấy, mời Ông/Bà đến bộ phận một cửa." + footer,
		SMS:         "Hồ sơ ((ma_ho_so)) đã có kết quả. Xem tại ((tra_cuu))",
		MaxSMSParts: 2,
		Sample:      sampleDossier,
	},
	{
		Name: TplOverdueApology, Title: "Xin lỗi vì hồ sơ quá hạn", Events: []string{"(quét hồ sơ quá hạn)"},
		Subject: "Xin lỗi: hồ sơ ((ma_ho_so)) chưa có kết quả đúng hẹn",
		Email: "Kính gửi Ông/Bà ((ho_ten)),\n\nHồ sơ ((ma_ho_so)) (thủ tục “((thu_tuc))”) có hẹn trả kết quả ngày ((ngay_hen_tra)), nhưng đến nay ((co_quan)) chưa giải quyết xong.\n\n" +
			"((co_quan)) xin lỗi Ông/Bà vì sự chậm trễ này. Ngày hẹn trả kết quả mới dự kiến là ((ngay_hen_moi)); phiếu xin lỗi và hẹn lại ngày trả kết quả sẽ được gửi đến Ông/Bà." + footer,
		SMS:         "Xin lỗi: hồ sơ ((ma_ho_so)) chưa có kết quả đúng hẹn ((ngay_hen_tra)). Hẹn mới dự kiến ((ngay_hen_moi)).",
		MaxSMSParts: 2,
		Sample:      with(only(sampleDossier, "ho_ten", "ma_ho_so", "thu_tuc", "co_quan"), "ngay_hen_tra", "13/03/2026", "ngay_hen_moi", "18/03/2026"),
	},
}

// Templates returns the notification templates, by name.
func Templates() []Template { return slices.Clone(templates) }

// TemplateNamed returns the template name, and whether there is one.
func TemplateNamed(name string) (Template, bool) {
	for _, t := range templates {
		if t.Name == name {
			return t, true
		}
	}
	return Template{}, false
}

func init() {
	for _, t := range templates {
		if err := t.Validate(); err != nil {
			panic(err)
		}
	}
}
