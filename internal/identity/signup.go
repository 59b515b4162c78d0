package identity

import (
	"context"
	"strings"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
)

// Verifier checks a person against the population registry before an
// account exists for them. The process wires it to the registry's verify
// service over the exchange (X-Road), passing purpose as the reason of the
// query (it is logged by the registry and shown to the citizen).
type Verifier interface {
	// VerifyPerson reports whether the registry holds a living person
	// with this personal ID, full name and birth date (YYYY-MM-DD). An
	// error means the registry could not be asked, not a mismatch.
	VerifyPerson(ctx context.Context, id, fullName, birthDate string, purpose string) (match bool, err error)
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(ctx context.Context, id, fullName, birthDate, purpose string) (bool, error)

// VerifyPerson calls f.
func (f VerifierFunc) VerifyPerson(ctx context.Context, id, fullName, birthDate, purpose string) (bool, error) {
	return f(ctx, id, fullName, birthDate, purpose)
}

// SignUpPurpose is the purpose sent with the registry check of a sign-up.
const SignUpPurpose = "Xác minh thông tin công dân khi đăng ký tài khoản định danh điện tử (identity sign-up)"

// SignUp is what a citizen types to open an account.
type SignUp struct {
	PersonalID string
	FullName   string
	BirthDate  string // YYYY-MM-DD
	Email      string
	Phone      string
	Password   string
}

// errSignUpMismatch does not say which of the three fields differs: the
// sign-up form must not become a way to read the registry.
func errSignUpMismatch() error {
	return fault.New(fault.Invalid, "identity.signup_mismatch",
		"Thông tin bạn nhập không khớp với Cơ sở dữ liệu quốc gia về dân cư. Hãy kiểm tra lại số định danh cá nhân, họ và tên (có dấu) và ngày sinh đúng như trên thẻ căn cước, rồi gửi lại.",
		"the personal ID, full name and birth date do not match the population registry")
}

// SignUp opens a citizen's account at level 1, after the population
// registry confirms the personal ID, name and birth date belong together.
// Mismatches count towards a lockout per personal ID and per address, so
// that the form cannot be used to guess registry data.
func (s *Service) SignUp(ctx context.Context, who audit.Actor, in SignUp) (Account, error) {
	na := NewAccount{Kind: Citizen, PersonalID: in.PersonalID, FullName: in.FullName, BirthDate: strings.TrimSpace(in.BirthDate),
		Email: in.Email, Phone: in.Phone, Password: in.Password}
	if errs := validateAccount(&na); len(errs) > 0 {
		return Account{}, fault.Invalidf(errs, "sign-up is not valid")
	}
	key := "signup:" + na.Username
	if err := s.checkLimit(ctx, key, who.SourceIP); err != nil {
		audit.Record(ctx, s.db, who.Entry("identity.signup", "identity/usernames/"+na.Username, audit.Denied, map[string]any{"reason": "locked"}))
		return Account{}, err
	}
	if s.Verifier == nil {
		return Account{}, fault.New(fault.Unavailable, "identity.signup_unavailable",
			"Chưa thể đăng ký lúc này vì hệ thống chưa kết nối với Cơ sở dữ liệu quốc gia về dân cư. Hãy thử lại sau.",
			"no population registry verifier is configured")
	}
	match, err := s.Verifier.VerifyPerson(ctx, na.Username, na.FullName, na.BirthDate, SignUpPurpose)
	if err != nil {
		s.log.Warn("identity: sign-up registry check failed", "err", err)
		audit.Record(ctx, s.db, who.Entry("identity.signup", "identity/usernames/"+na.Username, audit.Failed, map[string]any{"reason": "registry unavailable"}))
		return Account{}, &fault.Error{Kind: fault.Unavailable, Code: "identity.signup_registry_unavailable",
			Message: "Chưa kiểm tra được thông tin với Cơ sở dữ liệu quốc gia về dân cư. Hãy thử lại sau ít phút.",
			Detail:  "the population registry could not be reached", Cause: err}
	}
	if !match {
		audit.Record(ctx, s.db, who.Entry("identity.signup", "identity/usernames/"+na.Username, audit.Denied, map[string]any{"reason": "registry mismatch"}))
		s.failLimit(ctx, who, key, "identity/usernames/"+na.Username)
		return Account{}, errSignUpMismatch()
	}
	s.limit.Succeed(ctx, key)
	who.Subject = "citizen:" + na.Username
	a, err := s.CreateAccount(ctx, who, na)
	if err != nil {
		return Account{}, err
	}
	audit.Record(ctx, s.db, who.Entry("identity.signup", accountObject(a.ID), audit.OK, map[string]any{"registry_checked": true}))
	return a, nil
}
