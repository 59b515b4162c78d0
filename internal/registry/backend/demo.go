package backend

import (
	"context"
	"strings"

	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/registry/population"
)

// DemoCitizen is the person the demo's examples look up.
var DemoCitizen = population.Person{ID: "001089012345", FullName: "Nguyễn Văn Minh", BirthDate: "1989-05-12", Sex: population.Male, Ethnicity: "01", Religion: "00",
	Nationality: "VN", BirthPlace: "00004", HomeTown: "00004", Permanent: population.Address{Commune: "00004", Street: "Số 8 phố Quán Thánh"},
	MaritalStatus: "single", Status: population.Living}

// DemoSetup registers the registries' services at their agencies'
// gateways (first run), grants the demo's one-stop system and portal what
// they need, creates the demo citizen, and returns the named examples.
func (c *Component) DemoSetup(ctx context.Context, ex *exchange.Component, hanoiClientURL string) (map[string]kernel.Example, error) {
	who := audit.Actor{Subject: "system:demo"}
	inst := c.k.Config.Instance
	if _, err := c.Population.Create(ctx, who, DemoCitizen, "Dữ liệu mẫu"); err != nil && !isDuplicate(err) {
		return nil, err
	}
	provider := inst + "/GOV/" + exchange.DemoMPS + "/CSDLQGDC"
	gw := "GOV/" + exchange.DemoMPS + "/GW-BCA"
	for _, code := range population.Services() {
		svc := exchange.Service{Gateway: gw, Provider: provider, Code: code, BackendURL: c.BackendURL + "/population/" + code, OpenAPI: population.OpenAPI(code), PersonalData: true}
		existing, err := ex.Services.List(ctx, gw)
		if err != nil {
			return nil, err
		}
		have := false
		for _, e := range existing {
			if e.Provider == provider && e.Code == code {
				have = true
			}
		}
		if have {
			if err := ex.Services.SetBackend(ctx, who, provider, code, svc.BackendURL); err != nil {
				return nil, err
			}
			continue
		}
		if _, err := ex.Services.AddService(ctx, who, svc); err != nil {
			return nil, err
		}
		var subjects []string
		switch code {
		case population.ServiceAccessLog:
			subjects = []string{inst + "/GOV/" + exchange.DemoGovOffice + "/CONGDVCQG"}
		case population.ServiceVerify, population.ServicePerson:
			subjects = []string{"group:GOV-ONESTOP"}
		default:
			subjects = []string{inst + "/GOV/" + exchange.DemoHanoi + "/MOTCUA"}
		}
		for _, s := range subjects {
			if err := ex.Services.Grant(ctx, who, exchange.Access{Provider: provider, Service: code, Subject: s}); err != nil {
				return nil, err
			}
		}
	}
	if g := ex.Gateway(gw); g != nil {
		g.Reload(ctx)
	}
	client := inst + "/GOV/" + exchange.DemoHanoi + "/MOTCUA"
	purpose := map[string]string{"X-Road-Client": client, "X-Road-UserId": "VN001080000099", "X-Road-Issue": "000.00.92.H26-261123-0001"}
	base := hanoiClientURL + "/r1/" + inst + "/GOV/" + exchange.DemoMPS + "/CSDLQGDC/"
	post := map[string]string{"Content-Type": "application/json"}
	for k, v := range purpose {
		post[k] = v
	}
	return map[string]kernel.Example{
		"person-lookup": {Method: "GET", URL: base + population.ServicePerson + "/person/" + DemoCitizen.ID, Headers: purpose,
			About: "Hà Nội's one-stop system reads a citizen's record from the population registry, for a dossier, by an official; the read appears in the citizen's access log"},
		"person-verify": {Method: "POST", URL: base + population.ServiceVerify + "/person/verify", Headers: post,
			Body:  map[string]any{"id": DemoCitizen.ID, "full_name": "Nguyen Van Minh", "birth_date": "1989-05-12"},
			About: "minimal disclosure: match or no match per claimed field, no data"},
	}, nil
}

func isDuplicate(err error) bool {
	f := fault.As(err)
	if f == nil {
		return false
	}
	for _, fe := range f.Fields {
		if strings.HasSuffix(fe.Code, ".duplicate") {
			return true
		}
	}
	return false
}
