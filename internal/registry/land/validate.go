package land

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/vnid"
)

// Codes checks catalog codes; the registry declares what it needs and the
// process wires the shared e-catalogs to it (registry.CatalogCodes).
type Codes interface {
	// Valid reports whether code is in list on day (YYYY-MM-DD; "" means
	// any day).
	Valid(ctx context.Context, list, code, day string) bool
}

func fe(field, code, msg, detail string) fault.FieldError {
	return fault.FieldError{Field: field, Code: code, Message: msg, Detail: detail}
}

// ParcelID is the identifier of the parcel on map sheet sheet, number no,
// in commune.
func ParcelID(commune string, sheet, no int) string {
	return fmt.Sprintf("%s-%d-%d", commune, sheet, no)
}

// ParseHolder checks a holder ID's structure: a 12-digit personal ID
// (kind person) or a tax code (kind enterprise). It returns the kind and
// the canonical ID.
func ParseHolder(field, id string) (kind, canonical string, err error) {
	id = strings.TrimSpace(id)
	if len(id) == 12 {
		if _, err := vnid.ParsePersonalID(field, id); err != nil {
			return "", "", err
		}
		return KindPerson, id, nil
	}
	tc, err := vnid.ParseTaxCode(field, id)
	if err != nil {
		return "", "", err
	}
	return KindEnterprise, tc.String(), nil
}

// validate checks p on its own and against the catalogs, and writes back
// the parcel ID and canonical codes. It returns one field error per
// problem.
//
// Holders are checked on their structure only: whether a person or an
// enterprise with that ID exists is the population and enterprise
// registries' data, held by other agencies, which this registry does not
// read directly (the registration procedure checks them over the exchange
// with its own purpose).
func validate(ctx context.Context, p *Parcel, codes Codes, today time.Time) []fault.FieldError {
	var out []fault.FieldError
	day := today.Format(time.DateOnly)
	p.Commune = strings.TrimSpace(p.Commune)
	switch {
	case p.Commune == "":
		out = append(out, fe("commune", "commune.required", "Xã, phường nơi có thửa đất không được để trống", "commune is required"))
	case codes != nil && !codes.Valid(ctx, "admin-units", p.Commune, day):
		out = append(out, fe("commune", "commune.unknown", fmt.Sprintf("Mã %s không phải là xã, phường đang có hiệu lực trong danh mục admin-units", p.Commune),
			fmt.Sprintf("%q is not in the admin-units catalog today", p.Commune)))
	}
	if p.MapSheet <= 0 {
		out = append(out, fe("map_sheet", "map_sheet.positive", "Số tờ bản đồ phải là số nguyên dương", "map_sheet must be a positive integer"))
	}
	if p.ParcelNo <= 0 {
		out = append(out, fe("parcel_no", "parcel_no.positive", "Số thửa phải là số nguyên dương", "parcel_no must be a positive integer"))
	}
	if p.Commune != "" && p.MapSheet > 0 && p.ParcelNo > 0 {
		id := ParcelID(p.Commune, p.MapSheet, p.ParcelNo)
		if p.ID != "" && strings.TrimSpace(p.ID) != id {
			out = append(out, fe("id", "id.mismatch", fmt.Sprintf("Mã thửa đất %s không khớp với xã, tờ bản đồ và số thửa (%s)", p.ID, id), fmt.Sprintf("id %q differs from commune-map_sheet-parcel_no %q", p.ID, id)))
		}
		p.ID = id
	}
	switch {
	case math.IsNaN(p.AreaM2) || p.AreaM2 <= 0:
		out = append(out, fe("area_m2", "area_m2.positive", "Diện tích phải lớn hơn 0 (m²)", "area_m2 must be greater than 0"))
	case p.AreaM2 > 1e9:
		out = append(out, fe("area_m2", "area_m2.range", "Diện tích thửa đất không hợp lệ (quá lớn)", "area_m2 is implausibly large"))
	}
	p.Purpose = strings.ToUpper(strings.TrimSpace(p.Purpose))
	if _, ok := Purposes[p.Purpose]; !ok {
		if p.Purpose == "" {
			out = append(out, fe("purpose", "purpose.required", "Mục đích sử dụng đất không được để trống", "purpose is required"))
		} else {
			out = append(out, fe("purpose", "purpose.unknown", fmt.Sprintf("Mã loại đất %s không có trong danh sách (ví dụ ONT, ODT, LUC, CLN)", p.Purpose), fmt.Sprintf("%q is not a land-use purpose code", p.Purpose)))
		}
	}
	if p.Term != LongTerm {
		if _, err := time.Parse(time.DateOnly, p.Term); err != nil {
			out = append(out, fe("term", "term.format", "Thời hạn sử dụng là \"long-term\" (lâu dài) hoặc ngày hết hạn dạng NNNN-TT-NN", "term is \"long-term\" or the last day as YYYY-MM-DD"))
		}
	}
	if _, ok := Origins[p.Origin]; !ok {
		out = append(out, fe("origin", "origin.value", "Nguồn gốc sử dụng phải là allocated-with-fee, allocated-without-fee, lease-annual, lease-lump-sum, recognized hoặc transferred",
			"origin must be allocated-with-fee, allocated-without-fee, lease-annual, lease-lump-sum, recognized or transferred"))
	}

	if len(p.Holders) == 0 {
		out = append(out, fe("holders", "holders.required", "Thửa đất phải có ít nhất một người sử dụng đất", "at least one holder is required"))
	}
	seen := map[string]int{}
	sum, sharesOK := 0.0, true
	for i := range p.Holders {
		h := &p.Holders[i]
		f := fmt.Sprintf("holders[%d]", i)
		switch h.Kind {
		case KindPerson:
			h.ID = strings.TrimSpace(h.ID)
			if _, err := vnid.ParsePersonalID(f+".id", h.ID); err != nil {
				out = append(out, fault.As(err).Fields...)
			}
		case KindEnterprise:
			if tc, err := vnid.ParseTaxCode(f+".id", h.ID); err != nil {
				out = append(out, fault.As(err).Fields...)
			} else {
				h.ID = tc.String()
			}
		default:
			out = append(out, fe(f+".kind", "holders.kind", "Loại người sử dụng đất phải là person (cá nhân) hoặc enterprise (doanh nghiệp)", "holder kind must be person or enterprise"))
		}
		if j, dup := seen[h.ID]; dup && h.ID != "" {
			out = append(out, fe(f+".id", "holders.duplicate", fmt.Sprintf("Người sử dụng đất %s bị lặp (đã có ở vị trí %d)", h.ID, j+1), fmt.Sprintf("%s is listed twice (first at index %d)", h.ID, j)))
		} else {
			seen[h.ID] = i
		}
		if math.IsNaN(h.SharePct) || h.SharePct <= 0 || h.SharePct > 100 {
			out = append(out, fe(f+".share_pct", "holders.share", "Phần quyền phải lớn hơn 0 và không quá 100 (%)", "share_pct must be greater than 0 and at most 100"))
			sharesOK = false
		}
		sum += h.SharePct
	}
	if len(p.Holders) > 0 && sharesOK && math.Abs(sum-100) > 0.001 {
		out = append(out, fe("holders", "holders.shares_sum", fmt.Sprintf("Tổng phần quyền của những người sử dụng đất phải bằng 100%% (đang là %g%%)", sum), fmt.Sprintf("holders' shares sum to %g, not 100", sum)))
	}

	p.CertificateSerial = strings.ToUpper(strings.TrimSpace(p.CertificateSerial))
	if s := p.CertificateSerial; s != "" {
		ok := utf8.RuneCountInString(s) >= 6 && utf8.RuneCountInString(s) <= 20
		for _, r := range s {
			ok = ok && (r == ' ' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r == 'Đ')
		}
		if !ok {
			out = append(out, fe("certificate_serial", "certificate_serial.format", "Số phát hành giấy chứng nhận gồm chữ cái in hoa và chữ số (6 đến 20 ký tự), ví dụ AA 01234567", "certificate_serial is 6 to 20 capital letters, digits and spaces"))
		}
	}

	for i, m := range p.Mortgages {
		f := fmt.Sprintf("mortgages[%d]", i)
		p.Mortgages[i].Bank = strings.TrimSpace(m.Bank)
		if p.Mortgages[i].Bank == "" {
			out = append(out, fe(f+".bank", "mortgages.bank", "Hãy ghi bên nhận thế chấp", "the mortgagee (bank) is required"))
		}
		_, err := time.Parse(time.DateOnly, m.RegisteredOn)
		switch {
		case err != nil:
			out = append(out, fe(f+".registered_on", "mortgages.registered_on.format", "Ngày đăng ký thế chấp phải có dạng NNNN-TT-NN", "registered_on must be YYYY-MM-DD"))
		case m.RegisteredOn > day: // both YYYY-MM-DD, today as it is in Vietnam
			out = append(out, fe(f+".registered_on", "mortgages.registered_on.future", "Ngày đăng ký thế chấp không được sau ngày hôm nay", "registered_on is in the future"))
		}
		if m.Amount <= 0 {
			out = append(out, fe(f+".amount", "mortgages.amount", "Số tiền bảo đảm phải lớn hơn 0 (đồng)", "amount must be greater than 0 VND"))
		}
	}
	return out
}

// invalidQuery is the 422 of one bad query parameter.
func invalidQuery(field, code, msg, detail string) error {
	return fault.Invalidf([]fault.FieldError{fe(field, code, msg, detail)}, "%s", detail)
}
