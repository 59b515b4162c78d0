package result

import (
	"context"
	"fmt"
	"net/url"

	"github.com/vngov/vngov/internal/platform/kernel"
)

// Demo data: an extract of the demo citizen's own birth registration,
// issued by the Ba Đình ward (Hà Nội) and marked as demo data.
const (
	DemoHolderID    = "001089012345" // Nguyễn Văn Minh, the registries' demo citizen
	demoHolderName  = "Nguyễn Văn Minh"
	demoAgency      = "000.00.92.H26" // Ủy ban nhân dân Phường Ba Đình
	demoAgencyName  = "Ủy ban nhân dân Phường Ba Đình"
	DemoDossierCode = "DEMO-000.00.92.H26-TLKS-001089012345"
)

// DemoRequest is the seeded document.
func DemoRequest() IssueRequest {
	return IssueRequest{Agency: demoAgency, AgencyName: demoAgencyName, DocType: "TLKS", Title: "Trích lục khai sinh (bản sao)",
		HolderID: DemoHolderID, HolderName: demoHolderName, DossierCode: DemoDossierCode, Procedure: "2.000635 Cấp bản sao Trích lục hộ tịch",
		Fields: []Field{
			{Label: "Họ, chữ đệm và tên", Value: demoHolderName},
			{Label: "Ngày, tháng, năm sinh", Value: "12/05/1989"},
			{Label: "Giới tính", Value: "Nam"},
			{Label: "Dân tộc", Value: "Kinh"},
			{Label: "Quốc tịch", Value: "Việt Nam"},
			{Label: "Nơi sinh", Value: "Phường Quán Thánh, Quận Ba Đình, Thành phố Hà Nội (nay là Phường Ba Đình, Thành phố Hà Nội)"},
			{Label: "Quê quán", Value: "Thành phố Hà Nội"},
			{Label: "Số định danh cá nhân", Value: DemoHolderID},
			{Label: "Nơi đăng ký khai sinh", Value: "Ủy ban nhân dân phường Quán Thánh (nay là Phường Ba Đình)"},
			{Label: "Ghi chú", Value: "Giấy tờ mẫu của bản trình diễn vngov"},
		},
		IssuedBy: demoAgencyName, Demo: true}
}

// DemoSetup issues the seeded document (once: Issue is idempotent), with
// its QR code leading to portalURL, and returns the result-verify example.
// The result.issued event puts it in the demo citizen's wallet.
func (c *Component) DemoSetup(ctx context.Context, portalURL string) (map[string]kernel.Example, error) {
	if c.Svc.VerifyBase == "" {
		c.Svc.VerifyBase = portalURL
	}
	iss, err := c.Svc.Issue(ctx, DemoRequest())
	if err != nil {
		return nil, fmt.Errorf("result: demo document: %w", err)
	}
	return map[string]kernel.Example{
		"result-verify": {Method: "GET", URL: portalURL + "/result/v1/verify/" + url.PathEscape(iss.URI), Headers: map[string]string{}, Body: nil,
			About: "verification of the seeded signed result (a birth registration extract of the demo citizen, issued by Ba Đình ward): genuine, not revoked; its page for people is " + iss.VerifyURL},
	}, nil
}
