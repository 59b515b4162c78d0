package dossier

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/kernel"
)

// Demo data: the Ba Đình ward's people's committee (an agency of the
// catalog's agencies list) and the registries' demo citizen.
const (
	DemoAgency      = "000.00.92.H26" // Ủy ban nhân dân Phường Ba Đình
	DemoApplicantID = "001089012345"  // Nguyễn Văn Minh, the population registry's demo citizen
	demoApplicant   = "Nguyễn Văn Minh"
	demoProcedure   = "1.001193" // Đăng ký khai sinh
)

// birthForm is a complete birth registration e-form (1.001193).
func birthForm(applicantID, applicantName, child string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{
		"applicant_id": applicantID, "applicant_full_name": applicantName, "applicant_birth_date": "1989-05-12",
		"applicant_permanent_commune": "00004", "applicant_permanent_street": "Số 8 phố Quán Thánh", "applicant_phone": "0912345678",
		"applicant_relation": "father", "child_full_name": child, "child_birth_date": "2026-01-20", "child_sex": "female",
		"child_ethnicity": "01", "child_nationality": "VN", "birth_place_commune": "00004", "birth_place_detail": "Bệnh viện Phụ sản Hà Nội",
		"parents_married": true, "copies_requested": 2,
	})
	return b
}

// DemoSetup files the demo citizen's birth registration at the demo ward
// (once: the idempotency key makes a restart find it again), has the desk
// accept it, and returns the dossier-status example for baseURL, the
// address that serves this component.
func (c *Component) DemoSetup(ctx context.Context, baseURL string) (map[string]kernel.Example, error) {
	d, _, err := c.Svc.Create(ctx, CreateRequest{Procedure: demoProcedure, Agency: DemoAgency, Channel: ChannelOnline,
		Form: birthForm(DemoApplicantID, demoApplicant, "Nguyễn Thị Bình An"), ApplicantID: DemoApplicantID, IdempotencyKey: "demo-birth-registration"})
	if err != nil {
		return nil, fmt.Errorf("dossier: demo dossier: %w", err)
	}
	if d.Status == StatusNew {
		desk := Official{ID: "system:demo", Agency: DemoAgency, Roles: []string{RoleReceptionist}}
		if _, err := c.Svc.Act(ctx, desk, d.Code, ActionAccept, "Hồ sơ đầy đủ, hợp lệ", d.Version); err != nil && !fault.Is(err, fault.Conflict) {
			return nil, fmt.Errorf("dossier: demo accept: %w", err)
		}
	}
	return map[string]kernel.Example{
		"dossier-status": {Method: "GET", URL: baseURL + "/dossier/v1/status/" + url.PathEscape(d.Code) + "?applicant_id=" + DemoApplicantID,
			Headers: map[string]string{}, Body: nil,
			About: "public status lookup of the demo citizen's birth registration: its dossier code plus the applicant's personal id (a wrong id answers 404)"},
	}, nil
}
