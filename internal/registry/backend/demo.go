package backend

import (
	"context"
	"strings"

	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/vnid"
	"github.com/vngov/vngov/internal/registry/enterprise"
	"github.com/vngov/vngov/internal/registry/land"
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
	if n, err := c.Population.Count(ctx); err != nil {
		return nil, err
	} else if n == 0 {
		if _, err := c.Seed(ctx, SeedOptions{Citizens: 10000, Enterprises: 1000, Parcels: 5000, Seed: 1}); err != nil {
			return nil, err
		}
	}
	if _, err := c.Population.Create(ctx, who, DemoCitizen, "Dữ liệu mẫu"); err != nil && !isDuplicate(err) {
		return nil, err
	}
	type registryDemo struct {
		provider, gateway, prefix string
		codes                     []string
		openapi                   func(string) string
		grant                     func(code string) []string
	}
	hanoi := inst + "/GOV/" + exchange.DemoHanoi + "/MOTCUA"
	portal := inst + "/GOV/" + exchange.DemoGovOffice + "/CONGDVCQG"
	regs := []registryDemo{
		{inst + "/GOV/" + exchange.DemoMPS + "/CSDLQGDC", "GOV/" + exchange.DemoMPS + "/GW-BCA", "/population/", population.Services(), population.OpenAPI, func(code string) []string {
			switch code {
			case population.ServiceAccessLog:
				return []string{portal}
			case population.ServiceVerify, population.ServicePerson:
				return []string{"group:GOV-ONESTOP"}
			}
			return []string{hanoi}
		}},
		{inst + "/GOV/" + exchange.DemoFinance + "/DKDN", "GOV/" + exchange.DemoFinance + "/GW-BTC", "/enterprise/", enterprise.Services(), enterprise.OpenAPI, func(string) []string { return []string{"group:GOV-ONESTOP"} }},
		{inst + "/GOV/" + exchange.DemoLand + "/CSDLDD", "GOV/" + exchange.DemoLand + "/GW-BNNMT", "/land/", land.Services(), land.OpenAPI, func(string) []string { return []string{hanoi} }},
	}
	for _, rg := range regs {
		existing, err := ex.Services.List(ctx, rg.gateway)
		if err != nil {
			return nil, err
		}
		for _, code := range rg.codes {
			svc := exchange.Service{Gateway: rg.gateway, Provider: rg.provider, Code: code, BackendURL: c.BackendURL + rg.prefix + code, OpenAPI: rg.openapi(code), PersonalData: true}
			have := false
			for _, e := range existing {
				have = have || (e.Provider == rg.provider && e.Code == code)
			}
			if have {
				if err := ex.Services.SetBackend(ctx, who, rg.provider, code, svc.BackendURL); err != nil {
					return nil, err
				}
				continue
			}
			if _, err := ex.Services.AddService(ctx, who, svc); err != nil {
				return nil, err
			}
			for _, s := range rg.grant(code) {
				if err := ex.Services.Grant(ctx, who, exchange.Access{Provider: rg.provider, Service: code, Subject: s}); err != nil {
					return nil, err
				}
			}
		}
		if g := ex.Gateway(rg.gateway); g != nil {
			g.Reload(ctx)
		}
	}
	tax, err := vnid.NewTaxCode("010898765", 0)
	if err != nil {
		return nil, err
	}
	if _, err := c.Enterprise.Create(ctx, who, enterprise.Enterprise{Code: tax.String(), Name: "Công ty TNHH Dịch vụ Số Minh An", NameEn: "Minh An Digital Services Company Limited", ShortName: "MINH AN DIGITAL",
		Type: enterprise.TypeSingleMemberLLC, RegisteredOn: "2019-03-01", Status: enterprise.StatusActive, HeadOffice: enterprise.Address{Commune: "00004", Street: "Số 8 phố Quán Thánh"},
		CharterCapital: 2000000000, Representatives: []string{DemoCitizen.ID}, Members: []string{DemoCitizen.ID}, BusinessLines: []string{"6201", "6202"}}, "Dữ liệu mẫu"); err != nil && !isDuplicate(err) {
		return nil, err
	}
	if _, err := c.Land.Create(ctx, who, land.Parcel{Commune: "00004", MapSheet: 12, ParcelNo: 345, AreaM2: 68.5, Purpose: "ODT", Term: land.LongTerm, Origin: "recognized",
		Holders: []land.Holder{{ID: DemoCitizen.ID, Kind: land.KindPerson, SharePct: 100}}, CertificateSerial: "DA 123456"}, "Dữ liệu mẫu"); err != nil && !isDuplicate(err) {
		return nil, err
	}
	purpose := map[string]string{"X-Road-Client": hanoi, "X-Road-UserId": "VN001080000099", "X-Road-Issue": "000.00.92.H26-261123-0001"}
	base := hanoiClientURL + "/r1/" + inst + "/GOV/" + exchange.DemoMPS + "/CSDLQGDC/"
	post := map[string]string{"Content-Type": "application/json"}
	for k, v := range purpose {
		post[k] = v
	}
	gwBase := func(member, subsystem string) string {
		return hanoiClientURL + "/r1/" + inst + "/GOV/" + member + "/" + subsystem + "/"
	}
	return map[string]kernel.Example{
		"enterprise-lookup": {Method: "GET", URL: gwBase(exchange.DemoFinance, "DKDN") + enterprise.ServiceEnterprise + "/enterprise/" + tax.String(), Headers: purpose,
			About: "an enterprise's registration from the enterprise registry (Ministry of Finance's gateway); the representatives' access logs record it"},
		"parcels-by-holder": {Method: "GET", URL: gwBase(exchange.DemoLand, "CSDLDD") + land.ServiceByHolder + "/parcels?holder=" + DemoCitizen.ID, Headers: purpose,
			About: "the land parcels a citizen holds, from the land registry (Ministry of Agriculture and Environment's gateway)"},
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
