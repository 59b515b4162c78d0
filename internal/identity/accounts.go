package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/identity/secret"
	"github.com/vngov/vngov/internal/identity/totp"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/vnid"
)

// Kinds of account.
const (
	Citizen  = "citizen"  // công dân: username is the personal ID
	Official = "official" // cán bộ, công chức: username chosen by the agency
)

// Account statuses.
const (
	Active   = "active"
	Disabled = "disabled"
)

// Account is a person's account at the provider. A business representative
// is a citizen with Enterprises: the tax codes of the enterprises the
// enterprise registry lists them as legal representative of.
type Account struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind"`
	Username      string    `json:"username"`
	FullName      string    `json:"full_name"`
	BirthDate     string    `json:"birth_date,omitempty"` // YYYY-MM-DD
	Sex           string    `json:"sex,omitempty"`        // male | female
	Phone         string    `json:"phone,omitempty"`
	PhoneVerified bool      `json:"phone_verified"`
	Email         string    `json:"email,omitempty"`
	EmailVerified bool      `json:"email_verified"`
	Address       Address   `json:"address"`
	Agency        string    `json:"agency,omitempty"` // officials: the agency's electronic identifier code
	Roles         []string  `json:"roles,omitempty"`  // officials
	Enterprises   []string  `json:"enterprises,omitempty"`
	TOTPEnabled   bool      `json:"totp_enabled"`
	Status        string    `json:"status"`
	Created       time.Time `json:"created_at"`
	Updated       time.Time `json:"updated_at"`

	passwordHash string
	totpSecret   string
	totpLastStep int64
}

// Address is a permanent residence: the street part and the commune code
// of the administrative-units catalog.
type Address struct {
	Street  string `json:"street,omitempty"`
	Commune string `json:"commune,omitempty"`
}

// MaxLevel is the highest assurance level the account can reach: 2 with a
// second factor and a verified phone or email, else 1.
func (a Account) MaxLevel() int {
	if a.TOTPEnabled && (a.PhoneVerified || a.EmailVerified) {
		return 2
	}
	return 1
}

// NewAccount is what creating an account takes.
type NewAccount struct {
	Kind        string
	Username    string // official; a citizen's is the PersonalID
	PersonalID  string // citizen
	FullName    string
	BirthDate   string
	Sex         string
	Phone       string
	Email       string
	Address     Address
	Agency      string
	Roles       []string
	Enterprises []string
	Password    string
	// Verified marks the phone and email as verified (seeded accounts,
	// accounts an agency creates after checking them in person).
	Verified bool
}

const accountCols = `id, kind, username, full_name, birth_date, sex, phone, phone_verified, email, email_verified, address_street, address_commune,
	agency, roles, enterprises, password_hash, totp_secret, totp_enabled, totp_last_step, status, created_at, updated_at`

func scanAccount(row interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var pv, ev, te int
	var roles, ents string
	var created, updated int64
	err := row.Scan(&a.ID, &a.Kind, &a.Username, &a.FullName, &a.BirthDate, &a.Sex, &a.Phone, &pv, &a.Email, &ev, &a.Address.Street, &a.Address.Commune,
		&a.Agency, &roles, &ents, &a.passwordHash, &a.totpSecret, &te, &a.totpLastStep, &a.Status, &created, &updated)
	if err != nil {
		return a, err
	}
	a.PhoneVerified, a.EmailVerified, a.TOTPEnabled = pv == 1, ev == 1, te == 1
	a.Roles, a.Enterprises = parseList(roles), parseList(ents)
	a.Created, a.Updated = fromMS(created), fromMS(updated)
	return a, nil
}

var errNoAccount = fault.New(fault.NotFound, "identity.account_not_found", "Không tìm thấy tài khoản", "no such account")

// Account returns the account with id.
func (s *Service) Account(ctx context.Context, id string) (Account, error) {
	return s.accountWhere(ctx, s.db, "id = ?", id)
}

// AccountByUsername returns the account with a username (a citizen's
// personal ID, an official's user name).
func (s *Service) AccountByUsername(ctx context.Context, username string) (Account, error) {
	return s.accountWhere(ctx, s.db, "username = ?", normalizeUsername(username))
}

func (s *Service) accountWhere(ctx context.Context, q store.Querier, where string, args ...any) (Account, error) {
	a, err := scanAccount(q.QueryRow(ctx, "SELECT "+accountCols+" FROM id_account WHERE "+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return a, errNoAccount
	}
	if err != nil {
		return a, fault.Wrap(err, "identity: read account")
	}
	return a, nil
}

// normalizeUsername is how usernames are compared: trimmed, lower case.
func normalizeUsername(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

var (
	officialName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)
	isoDate      = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	phoneRe      = regexp.MustCompile(`^(\+84|0)[0-9]{9,10}$`)
	emailRe      = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

func fieldErr(field, code, vi, en string) fault.FieldError {
	return fault.FieldError{Field: field, Code: code, Message: vi, Detail: en}
}

// normalizePhone writes a Vietnamese mobile number as 0xxxxxxxxx.
func normalizePhone(p string) string {
	p = strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(p))
	if strings.HasPrefix(p, "+84") {
		p = "0" + p[3:]
	}
	return p
}

// validateAccount checks and normalises a new account; the errors name the
// fields of the sign-up form.
func validateAccount(in *NewAccount) []fault.FieldError {
	var errs []fault.FieldError
	in.FullName = strings.Join(strings.Fields(in.FullName), " ")
	in.Phone = normalizePhone(in.Phone)
	in.Email = strings.TrimSpace(strings.ToLower(in.Email))
	switch in.Kind {
	case Citizen:
		id, err := vnid.ParsePersonalID("personal_id", in.PersonalID)
		if f := fault.As(err); f != nil {
			errs = append(errs, f.Fields...)
		} else {
			in.Username = id.String()
			if in.Sex == "" {
				in.Sex = id.Sex()
			}
		}
		if in.FullName == "" {
			errs = append(errs, fieldErr("full_name", "full_name.required", "Hãy nhập họ và tên như trên căn cước", "full name is required"))
		}
		if !isoDate.MatchString(in.BirthDate) {
			errs = append(errs, fieldErr("birth_date", "birth_date.format", "Ngày sinh phải có dạng NN/TT/NNNN, ví dụ 12/05/1989", "birth date must be a date such as 12/05/1989"))
		} else if _, err := time.Parse("2006-01-02", in.BirthDate); err != nil {
			errs = append(errs, fieldErr("birth_date", "birth_date.invalid", "Ngày sinh không phải là một ngày có thật", "birth date is not a real date"))
		}
	case Official:
		in.Username = normalizeUsername(in.Username)
		if !officialName.MatchString(in.Username) {
			errs = append(errs, fieldErr("username", "username.format", "Tên đăng nhập gồm 3 đến 64 chữ cái thường không dấu, chữ số, dấu chấm, gạch ngang hoặc gạch dưới", "username: 3-64 of a-z 0-9 . _ -"))
		}
		if in.FullName == "" {
			errs = append(errs, fieldErr("full_name", "full_name.required", "Hãy nhập họ và tên", "full name is required"))
		}
		if _, err := vnid.ParseAgencyCode("agency", in.Agency); err != nil {
			if f := fault.As(err); f != nil {
				errs = append(errs, f.Fields...)
			}
		}
		for _, r := range in.Roles {
			if !slices.Contains(OfficialRoles, r) {
				errs = append(errs, fieldErr("roles", "roles.unknown", "Vai trò không tồn tại: "+r, "unknown role "+r))
			}
		}
	default:
		errs = append(errs, fieldErr("kind", "kind.unknown", "Loại tài khoản phải là công dân hoặc cán bộ", "kind must be citizen or official"))
	}
	if in.Sex != "" && in.Sex != vnid.Male && in.Sex != vnid.Female {
		errs = append(errs, fieldErr("sex", "sex.invalid", "Giới tính phải là nam hoặc nữ", "sex must be male or female"))
	}
	if in.Phone != "" && !phoneRe.MatchString(in.Phone) {
		errs = append(errs, fieldErr("phone", "phone.format", "Số điện thoại gồm 10 chữ số, ví dụ 0912345678", "phone must be a Vietnamese number such as 0912345678"))
	}
	if in.Email != "" && !emailRe.MatchString(in.Email) {
		errs = append(errs, fieldErr("email", "email.format", "Địa chỉ thư điện tử không hợp lệ, ví dụ ten@example.vn", "email address is not valid"))
	}
	for _, p := range secret.CheckStrength(in.Password) {
		errs = append(errs, fieldErr("password", "password.weak", p, "the password is too weak: "+p))
	}
	return errs
}

// CreateAccount creates an account. Citizens normally come through SignUp,
// which checks them with the population registry first; this is for
// officials, seeding and tests.
func (s *Service) CreateAccount(ctx context.Context, who audit.Actor, in NewAccount) (Account, error) {
	if errs := validateAccount(&in); len(errs) > 0 {
		return Account{}, fault.Invalidf(errs, "account is not valid")
	}
	hash, err := secret.Hash(in.Password)
	if err != nil {
		return Account{}, fault.Wrap(err, "identity: hash password")
	}
	now := s.now()
	a := Account{ID: newID("acc_"), Kind: in.Kind, Username: in.Username, FullName: in.FullName, BirthDate: in.BirthDate, Sex: in.Sex,
		Phone: in.Phone, PhoneVerified: in.Verified && in.Phone != "", Email: in.Email, EmailVerified: in.Verified && in.Email != "",
		Address: in.Address, Agency: in.Agency, Roles: in.Roles, Enterprises: in.Enterprises, Status: Active, Created: now, Updated: now, passwordHash: hash}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO id_account ("+accountCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', 0, 0, ?, ?, ?)",
			a.ID, a.Kind, a.Username, a.FullName, a.BirthDate, a.Sex, a.Phone, boolInt(a.PhoneVerified), a.Email, boolInt(a.EmailVerified),
			a.Address.Street, a.Address.Commune, a.Agency, jsonList(a.Roles), jsonList(a.Enterprises), hash, a.Status, ms(now), ms(now))
		if store.IsUniqueViolation(err) {
			return fault.New(fault.Conflict, "identity.account_exists", "Tài khoản với số định danh hoặc tên đăng nhập này đã tồn tại. Nếu đó là bạn, hãy đăng nhập hoặc dùng chức năng Quên mật khẩu.",
				"an account with this username already exists")
		}
		if err != nil {
			return fault.Wrap(err, "identity: create account")
		}
		return audit.Record(ctx, tx, who.Entry("identity.account.create", "identity/accounts/"+a.ID, audit.OK,
			map[string]any{"kind": a.Kind, "username": a.Username, "agency": a.Agency, "roles": a.Roles}))
	})
	if err != nil {
		return Account{}, err
	}
	return a, nil
}

// LinkEnterprises records the enterprises (tax codes) that the enterprise
// registry lists the account's holder as legal representative of,
// replacing the previous list. The caller is whoever looked them up (the
// registry lookup over the exchange, an official); the change is audited.
func (s *Service) LinkEnterprises(ctx context.Context, who audit.Actor, accountID string, taxCodes []string) (Account, error) {
	var errs []fault.FieldError
	codes := []string{}
	for _, c := range taxCodes {
		tc, err := vnid.ParseTaxCode("enterprises", c)
		if f := fault.As(err); f != nil {
			errs = append(errs, f.Fields...)
			continue
		}
		if !slices.Contains(codes, tc.String()) {
			codes = append(codes, tc.String())
		}
	}
	if len(errs) > 0 {
		return Account{}, fault.Invalidf(errs, "enterprise tax codes are not valid")
	}
	a, err := s.Account(ctx, accountID)
	if err != nil {
		return Account{}, err
	}
	if a.Kind != Citizen {
		return Account{}, fault.New(fault.Conflict, "identity.not_citizen", "Chỉ tài khoản công dân mới có thể là người đại diện theo pháp luật của doanh nghiệp", "only citizen accounts represent enterprises")
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE id_account SET enterprises = ?, updated_at = ? WHERE id = ?", jsonList(codes), ms(s.now()), accountID); err != nil {
			return fault.Wrap(err, "identity: link enterprises")
		}
		return audit.Record(ctx, tx, who.Entry("identity.account.enterprises", "identity/accounts/"+accountID, audit.OK, map[string]any{"enterprises": codes, "before": a.Enterprises}))
	})
	if err != nil {
		return Account{}, err
	}
	a.Enterprises = codes
	return a, nil
}

// SetRoles replaces an official's roles (and agency, when not empty).
func (s *Service) SetRoles(ctx context.Context, who audit.Actor, accountID, agency string, roles []string) error {
	a, err := s.Account(ctx, accountID)
	if err != nil {
		return err
	}
	if a.Kind != Official {
		return fault.New(fault.Conflict, "identity.not_official", "Chỉ tài khoản cán bộ mới có cơ quan và vai trò", "only official accounts have an agency and roles")
	}
	if agency == "" {
		agency = a.Agency
	}
	var errs []fault.FieldError
	if _, err := vnid.ParseAgencyCode("agency", agency); err != nil {
		if f := fault.As(err); f != nil {
			errs = append(errs, f.Fields...)
		}
	}
	for _, r := range roles {
		if !slices.Contains(OfficialRoles, r) {
			errs = append(errs, fieldErr("roles", "roles.unknown", "Vai trò không tồn tại: "+r, "unknown role "+r))
		}
	}
	if len(errs) > 0 {
		return fault.Invalidf(errs, "agency or roles are not valid")
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE id_account SET agency = ?, roles = ?, updated_at = ? WHERE id = ?", agency, jsonList(roles), ms(s.now()), accountID); err != nil {
			return fault.Wrap(err, "identity: set roles")
		}
		return audit.Record(ctx, tx, who.Entry("identity.account.roles", "identity/accounts/"+accountID, audit.OK,
			map[string]any{"agency": agency, "roles": roles, "before": map[string]any{"agency": a.Agency, "roles": a.Roles}}))
	})
}

// SetAddress records the account's permanent residence (from the
// population registry, or an official's check).
func (s *Service) SetAddress(ctx context.Context, who audit.Actor, accountID string, addr Address) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE id_account SET address_street = ?, address_commune = ?, updated_at = ? WHERE id = ?", addr.Street, addr.Commune, ms(s.now()), accountID)
		if err != nil {
			return fault.Wrap(err, "identity: set address")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNoAccount
		}
		return audit.Record(ctx, tx, who.Entry("identity.account.address", "identity/accounts/"+accountID, audit.OK, map[string]any{"commune": addr.Commune}))
	})
}

// ChangePassword changes the password of a signed-in person, who types the
// current one again.
func (s *Service) ChangePassword(ctx context.Context, who audit.Actor, accountID, current, next string) error {
	a, err := s.Account(ctx, accountID)
	if err != nil {
		return err
	}
	if ok, _, _ := secret.Verify(a.passwordHash, current); !ok {
		audit.Record(ctx, s.db, who.Entry("identity.password.change", "identity/accounts/"+accountID, audit.Denied, map[string]any{"reason": "wrong current password"}))
		return fault.Invalidf([]fault.FieldError{fieldErr("current_password", "password.wrong", "Mật khẩu hiện tại không đúng", "the current password is wrong")}, "wrong current password")
	}
	return s.setPassword(ctx, who, accountID, next, "identity.password.change", false)
}

// setPassword stores a new password; with endSessions, every session and
// grant of the account ends (a reset: whoever knew the old one is out).
func (s *Service) setPassword(ctx context.Context, who audit.Actor, accountID, password, action string, endSessions bool) error {
	if probs := secret.CheckStrength(password); len(probs) > 0 {
		var errs []fault.FieldError
		for _, p := range probs {
			errs = append(errs, fieldErr("password", "password.weak", p, "the password is too weak: "+p))
		}
		return fault.Invalidf(errs, "weak password")
	}
	hash, err := secret.Hash(password)
	if err != nil {
		return fault.Wrap(err, "identity: hash password")
	}
	now := ms(s.now())
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE id_account SET password_hash = ?, updated_at = ? WHERE id = ?", hash, now, accountID); err != nil {
			return fault.Wrap(err, "identity: set password")
		}
		if endSessions {
			if _, err := tx.Exec(ctx, "UPDATE id_session SET ended_at = ? WHERE account_id = ? AND ended_at = 0", now, accountID); err != nil {
				return fault.Wrap(err, "identity: end sessions")
			}
			if _, err := tx.Exec(ctx, "UPDATE id_grant SET revoked_at = ?, revoke_reason = 'password reset' WHERE account_id = ? AND revoked_at = 0", now, accountID); err != nil {
				return fault.Wrap(err, "identity: revoke grants")
			}
		}
		return audit.Record(ctx, tx, who.Entry(action, "identity/accounts/"+accountID, audit.OK, map[string]any{"sessions_ended": endSessions}))
	})
}

// rehash replaces a password hash made with older parameters, after a
// successful sign-in with the password.
func (s *Service) rehash(ctx context.Context, accountID, password string) {
	hash, err := secret.Hash(password)
	if err != nil {
		return
	}
	if _, err := s.db.Exec(ctx, "UPDATE id_account SET password_hash = ? WHERE id = ?", hash, accountID); err != nil {
		s.log.Warn("identity: rehash password", "account", accountID, "err", err)
	}
}

// ---------------------------------------------------------------- TOTP

// TOTPEnrolment is a second factor being set up: the secret to type or
// scan into an authenticator app.
type TOTPEnrolment struct {
	Secret string // base32
	URI    string // otpauth://totp/...
}

// BeginTOTP starts setting up an authenticator app: a new secret, kept
// aside until ConfirmTOTP proves the app has it. An account with a
// second factor already replaces it only from a level-2 session (the
// caller checks the session's level).
func (s *Service) BeginTOTP(ctx context.Context, who audit.Actor, accountID string) (TOTPEnrolment, error) {
	a, err := s.Account(ctx, accountID)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if !a.PhoneVerified && !a.EmailVerified {
		return TOTPEnrolment{}, fault.New(fault.Conflict, "identity.totp.no_contact",
			"Trước khi thiết lập xác thực hai lớp, hãy xác minh số điện thoại hoặc thư điện tử của bạn trên trang tài khoản.",
			"verify a phone number or email address before setting up a second factor")
	}
	sec, err := totp.NewSecret()
	if err != nil {
		return TOTPEnrolment{}, fault.Wrap(err, "identity: totp secret")
	}
	// The pending secret waits in an OTP row, not in the account, so the
	// enabled factor keeps working until the new one is confirmed.
	now := s.now()
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM id_otp WHERE account_id = ? AND purpose = 'totp'", accountID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO id_otp (account_id, purpose, channel, target, code, created_at, expires_at, used_at) VALUES (?, 'totp', 'app', '', ?, ?, ?, 0)",
			accountID, sec, ms(now), ms(now.Add(30*time.Minute)))
		return err
	})
	if err != nil {
		return TOTPEnrolment{}, fault.Wrap(err, "identity: begin totp")
	}
	return TOTPEnrolment{Secret: sec, URI: totp.URI(s.AppName, a.Username, sec)}, nil
}

// PendingTOTP returns the enrolment BeginTOTP started and not yet
// confirmed, if any.
func (s *Service) PendingTOTP(ctx context.Context, accountID string) (TOTPEnrolment, bool) {
	a, err := s.Account(ctx, accountID)
	if err != nil {
		return TOTPEnrolment{}, false
	}
	var sec string
	err = s.db.QueryRow(ctx, "SELECT code FROM id_otp WHERE account_id = ? AND purpose = 'totp' AND expires_at > ? ORDER BY id DESC LIMIT 1", accountID, ms(s.now())).Scan(&sec)
	if err != nil {
		return TOTPEnrolment{}, false
	}
	return TOTPEnrolment{Secret: sec, URI: totp.URI(s.AppName, a.Username, sec)}, true
}

// ConfirmTOTP checks a first code from the app against the pending secret
// and, when it matches, makes it the account's second factor.
func (s *Service) ConfirmTOTP(ctx context.Context, who audit.Actor, accountID, code string) error {
	pending, ok := s.PendingTOTP(ctx, accountID)
	if !ok {
		return fault.New(fault.Conflict, "identity.totp.no_enrolment", "Phiên thiết lập đã hết hạn: hãy bắt đầu lại", "no pending enrolment: start again")
	}
	if err := s.checkLimit(ctx, "otp:acct:"+accountID, who.SourceIP); err != nil {
		return err
	}
	step, ok := totp.Verify(pending.Secret, code, s.now(), 0)
	if !ok {
		s.failLimit(ctx, who, "otp:acct:"+accountID, "identity/accounts/"+accountID)
		audit.Record(ctx, s.db, who.Entry("identity.totp.enrol", "identity/accounts/"+accountID, audit.Failed, map[string]any{"reason": "wrong code"}))
		return fault.Invalidf([]fault.FieldError{fieldErr("code", "code.wrong", "Mã không đúng. Hãy nhập mã 6 chữ số đang hiển thị trong ứng dụng xác thực.", "the code is wrong")}, "wrong code")
	}
	s.limit.Succeed(ctx, "otp:acct:"+accountID)
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE id_account SET totp_secret = ?, totp_enabled = 1, totp_last_step = ?, updated_at = ? WHERE id = ?", pending.Secret, step, ms(s.now()), accountID); err != nil {
			return fault.Wrap(err, "identity: enable totp")
		}
		if _, err := tx.Exec(ctx, "DELETE FROM id_otp WHERE account_id = ? AND purpose = 'totp'", accountID); err != nil {
			return fault.Wrap(err, "identity: enable totp")
		}
		return audit.Record(ctx, tx, who.Entry("identity.totp.enrol", "identity/accounts/"+accountID, audit.OK, nil))
	})
}

// setTOTP gives an account a known secret (seeding).
func (s *Service) setTOTP(ctx context.Context, accountID, sec string) error {
	_, err := s.db.Exec(ctx, "UPDATE id_account SET totp_secret = ?, totp_enabled = 1, totp_last_step = 0 WHERE id = ?", sec, accountID)
	return err
}

func accountObject(id string) string { return "identity/accounts/" + id }

func describe(a Account) string { return fmt.Sprintf("%s (%s)", a.FullName, a.Username) }
