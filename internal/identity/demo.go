package identity

import (
	"context"
	"fmt"

	"github.com/vngov/vngov/internal/identity/totp"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/vnid"
)

// Demo agencies (electronic identifier codes of the agency catalog).
const (
	DemoAgencyHanoi  = "000.00.00.H26" // UBND Thành phố Hà Nội
	DemoAgencyBaDinh = "000.00.92.H26" // UBND Phường Ba Đình
)

// Demo clients.
const (
	DemoPublicClient       = "demo-public"      // a native app: code + PKCE, redirect http://127.0.0.1:8765/callback
	DemoConfidentialClient = "demo-onestop-api" // a server: client_credentials with client_secret_basic
	DemoPublicRedirect     = "http://127.0.0.1:8765/callback"
)

// DemoAccounts is what Demo created, for demo-accounts.json: who can sign
// in with what.
type DemoAccounts struct {
	Issuer         string         `json:"issuer"`
	Citizens       []DemoCitizen  `json:"citizens"`
	Representative DemoCitizen    `json:"representative"`
	Officials      []DemoOfficial `json:"officials"`
	Clients        []DemoClient   `json:"clients"`
}

// DemoCitizen is a seeded citizen account.
type DemoCitizen struct {
	PersonalID  string   `json:"personal_id"`
	FullName    string   `json:"full_name"`
	BirthDate   string   `json:"birth_date"`
	Password    string   `json:"password"`
	Level       int      `json:"level"`
	TOTPSecret  string   `json:"totp_secret,omitempty"`
	TOTPURI     string   `json:"totp_uri,omitempty"`
	Email       string   `json:"email,omitempty"`
	Phone       string   `json:"phone,omitempty"`
	Enterprises []string `json:"enterprises,omitempty"`
}

// DemoOfficial is a seeded official account.
type DemoOfficial struct {
	Username   string `json:"username"`
	FullName   string `json:"full_name"`
	Agency     string `json:"agency"`
	AgencyName string `json:"agency_name"`
	Role       string `json:"role"`
	Password   string `json:"password"`
}

// DemoClient is a seeded client.
type DemoClient struct {
	ClientID     string   `json:"client_id"`
	Name         string   `json:"name"`
	Type         string   `json:"type"`
	AuthMethod   string   `json:"token_endpoint_auth_method"`
	Secret       string   `json:"client_secret,omitempty"`
	RedirectURIs []string `json:"redirect_uris,omitempty"`
	GrantTypes   []string `json:"grant_types"`
	Scopes       []string `json:"scopes"`
	MinLevel     int      `json:"min_level"`
}

// Demo passwords: long enough and not common, and printed in
// demo-accounts.json, so never for a real deployment.
const (
	demoPasswordMinh     = "sen-hong-ho-tay-89"
	demoPasswordLan      = "mua-thu-ha-noi-95"
	demoPasswordNam      = "song-hong-chay-80"
	demoPasswordOfficial = "phuc-vu-nhan-dan-2025"
)

var demoRoleNames = map[string]struct{ slug, name string }{
	RoleReceptionist:  {"tiepnhan", "Phạm Thu Hà"},
	RoleSpecialist:    {"chuyenvien", "Đỗ Minh Tuấn"},
	RoleLeader:        {"lanhdao", "Vũ Quốc Hùng"},
	RoleRegistryClerk: {"csdl", "Ngô Thị Mai"},
	RoleExchangeAdmin: {"lienthong", "Bùi Đức Long"},
	RoleCatalogAdmin:  {"danhmuc", "Hoàng Thị Yến"},
	RoleAuditor:       {"kiemtoan", "Đặng Văn Khoa"},
}

// Demo creates, the first time, the demo's accounts and clients, and
// returns them with their credentials: citizens at level 1 and level 2
// (the population registry's demo citizen, with his TOTP secret), a
// business representative, an official for each role at the Hà Nội and
// Ba Đình agencies, a public client (code + PKCE) and a confidential one
// (client_credentials). A client's secret cannot be read back, so the
// confidential client gets a new one on every run.
func (s *Service) Demo(ctx context.Context) (DemoAccounts, error) {
	who := audit.Actor{Subject: "system:demo"}
	out := DemoAccounts{Issuer: s.Issuer}

	minh, err := s.demoAccount(ctx, who, NewAccount{Kind: Citizen, PersonalID: "001089012345", FullName: "Nguyễn Văn Minh", BirthDate: "1989-05-12", Sex: vnid.Male,
		Email: "minh.nguyen@example.vn", Phone: "0912345678", Address: Address{Street: "Số 8 phố Quán Thánh", Commune: "00004"}, Password: demoPasswordMinh, Verified: true})
	if err != nil {
		return out, err
	}
	if !minh.TOTPEnabled {
		sec, err := totp.NewSecret()
		if err != nil {
			return out, err
		}
		if err := s.setTOTP(ctx, minh.ID, sec); err != nil {
			return out, fault.Wrap(err, "identity: demo totp")
		}
		audit.Record(ctx, s.db, who.Entry("identity.totp.enrol", accountObject(minh.ID), audit.OK, map[string]any{"via": "demo"}))
		if minh, err = s.Account(ctx, minh.ID); err != nil {
			return out, err
		}
	}
	out.Citizens = append(out.Citizens, DemoCitizen{PersonalID: minh.Username, FullName: minh.FullName, BirthDate: minh.BirthDate, Password: demoPasswordMinh, Level: 2,
		TOTPSecret: minh.totpSecret, TOTPURI: totp.URI(s.AppName, minh.Username, minh.totpSecret), Email: minh.Email, Phone: minh.Phone})

	lanID, _ := vnid.NewPersonalID("001", vnid.Female, 1995, 123456)
	lan, err := s.demoAccount(ctx, who, NewAccount{Kind: Citizen, PersonalID: lanID.String(), FullName: "Trần Thị Lan", BirthDate: "1995-08-20", Sex: vnid.Female,
		Email: "lan.tran@example.vn", Address: Address{Street: "Số 25 phố Đội Cấn", Commune: "00004"}, Password: demoPasswordLan, Verified: true})
	if err != nil {
		return out, err
	}
	out.Citizens = append(out.Citizens, DemoCitizen{PersonalID: lan.Username, FullName: lan.FullName, BirthDate: lan.BirthDate, Password: demoPasswordLan, Level: 1, Email: lan.Email})

	namID, _ := vnid.NewPersonalID("079", vnid.Male, 1980, 45678)
	nam, err := s.demoAccount(ctx, who, NewAccount{Kind: Citizen, PersonalID: namID.String(), FullName: "Lê Hoàng Nam", BirthDate: "1980-03-15", Sex: vnid.Male,
		Phone: "0987654321", Password: demoPasswordNam, Verified: true})
	if err != nil {
		return out, err
	}
	if len(nam.Enterprises) == 0 {
		if nam, err = s.LinkEnterprises(ctx, who, nam.ID, demoTaxCodes()); err != nil {
			return out, err
		}
	}
	out.Representative = DemoCitizen{PersonalID: nam.Username, FullName: nam.FullName, BirthDate: nam.BirthDate, Password: demoPasswordNam, Level: 1, Phone: nam.Phone, Enterprises: nam.Enterprises}

	for _, ag := range []struct{ code, prefix, name string }{{DemoAgencyHanoi, "hanoi", "UBND Thành phố Hà Nội"}, {DemoAgencyBaDinh, "badinh", "UBND Phường Ba Đình"}} {
		for _, role := range OfficialRoles {
			rn := demoRoleNames[role]
			acc, err := s.demoAccount(ctx, who, NewAccount{Kind: Official, Username: ag.prefix + "." + rn.slug, FullName: rn.name, Agency: ag.code, Roles: []string{role},
				Email: ag.prefix + "." + rn.slug + "@example.gov.vn", Password: demoPasswordOfficial, Verified: true})
			if err != nil {
				return out, err
			}
			out.Officials = append(out.Officials, DemoOfficial{Username: acc.Username, FullName: acc.FullName, Agency: ag.code, AgencyName: ag.name, Role: role, Password: demoPasswordOfficial})
		}
	}

	pub := Client{ID: DemoPublicClient, Name: "Ứng dụng mẫu Dịch vụ công (demo)", Purpose: "Nhận biết bạn khi nộp và theo dõi hồ sơ thủ tục hành chính trực tuyến",
		Type: Public, AuthMethod: AuthNone, RedirectURIs: []string{DemoPublicRedirect}, PostLogoutRedirectURIs: []string{"http://127.0.0.1:8765/"},
		GrantTypes: []string{GrantCode, GrantRefresh}, Scopes: []string{"openid", "profile", "email", "phone", "address", "offline_access", ScopePersonalID, ScopeEnterprises, ScopeOfficial},
		MinLevel: 1}
	if _, err := s.Client(ctx, pub.ID); fault.Is(err, fault.NotFound) {
		if _, _, err := s.CreateClient(ctx, who, pub); err != nil {
			return out, err
		}
	} else if err != nil {
		return out, err
	}
	out.Clients = append(out.Clients, DemoClient{ClientID: pub.ID, Name: pub.Name, Type: pub.Type, AuthMethod: pub.AuthMethod, RedirectURIs: pub.RedirectURIs,
		GrantTypes: pub.GrantTypes, Scopes: pub.Scopes, MinLevel: pub.MinLevel})

	conf := Client{ID: DemoConfidentialClient, Name: "Hệ thống một cửa điện tử (demo)", Purpose: "Gọi các API của nền tảng giữa các hệ thống",
		Type: Confidential, AuthMethod: AuthSecretBasic, GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"vngov.api"}, MinLevel: 1}
	var sec string
	if _, err := s.Client(ctx, conf.ID); fault.Is(err, fault.NotFound) {
		if _, sec, err = s.CreateClient(ctx, who, conf); err != nil {
			return out, err
		}
	} else if err != nil {
		return out, err
	} else if sec, err = s.RotateClientSecret(ctx, who, conf.ID); err != nil {
		return out, err
	}
	out.Clients = append(out.Clients, DemoClient{ClientID: conf.ID, Name: conf.Name, Type: conf.Type, AuthMethod: conf.AuthMethod, Secret: sec,
		GrantTypes: conf.GrantTypes, Scopes: conf.Scopes, MinLevel: conf.MinLevel})
	return out, nil
}

// demoAccount returns the account with the username, creating it first.
func (s *Service) demoAccount(ctx context.Context, who audit.Actor, in NewAccount) (Account, error) {
	user := in.Username
	if in.Kind == Citizen {
		user = in.PersonalID
	}
	a, err := s.AccountByUsername(ctx, user)
	if err == nil {
		return a, nil
	}
	if !fault.Is(err, fault.NotFound) {
		return a, err
	}
	a, err = s.CreateAccount(ctx, who, in)
	if err != nil {
		return a, fmt.Errorf("identity: demo account %s: %w", user, err)
	}
	return a, nil
}

// demoTaxCodes are two valid enterprise codes for the representative.
func demoTaxCodes() []string {
	var out []string
	for _, first9 := range []string{"010123456", "010765432", "010234567", "010345678"} {
		if tc, err := vnid.NewTaxCode(first9, 0); err == nil {
			out = append(out, tc.String())
		}
		if len(out) == 2 {
			break
		}
	}
	return out
}
