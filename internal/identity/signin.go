package identity

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/vngov/vngov/internal/identity/secret"
	"github.com/vngov/vngov/internal/identity/totp"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
)

// ipWeight is how many failures from one address count as one failure of
// the address's key: a whole office behind one NAT address should not be
// locked out by a few typos, while a guesser trying many accounts from one
// address still is, after limit.Threshold*ipWeight failures. The count is
// kept per node.
const ipWeight = 4

// Sign-in refusals. An unknown account, a wrong password, a disabled
// account and a locked one all get the same answer, so that the sign-in
// form tells nobody which accounts exist.
func errSignIn() error {
	return fault.New(fault.Unauthenticated, "identity.signin_failed",
		"Số định danh (hoặc tên đăng nhập) hoặc mật khẩu không đúng. Hãy kiểm tra và nhập lại; nếu quên mật khẩu, hãy dùng chức năng Quên mật khẩu.",
		"wrong username or password")
}

func errLocked(wait time.Duration) error {
	mins := int(math.Ceil(wait.Minutes()))
	return fault.New(fault.Unauthenticated, "identity.signin_locked",
		fmt.Sprintf("Đăng nhập tạm thời bị khóa do nhập sai nhiều lần. Hãy thử lại sau %d phút, hoặc dùng chức năng Quên mật khẩu.", mins),
		fmt.Sprintf("too many failed attempts: try again in %d minutes, or reset the password", mins))
}

func errCodeLocked(wait time.Duration) error {
	mins := int(math.Ceil(wait.Minutes()))
	return fault.New(fault.Unauthenticated, "identity.code_locked",
		fmt.Sprintf("Bạn đã nhập sai mã nhiều lần. Hãy thử lại sau %d phút.", mins),
		fmt.Sprintf("too many wrong codes: try again in %d minutes", mins))
}

// checkLimit refuses when key or the address is locked.
func (s *Service) checkLimit(ctx context.Context, key, ip string) error {
	wait, err := s.limit.Check(ctx, key)
	if err != nil {
		return err
	}
	if ip != "" {
		w2, err := s.limit.Check(ctx, "ip:"+ip)
		if err != nil {
			return err
		}
		wait = max(wait, w2)
	}
	if wait > 0 {
		return errCodeLocked(wait)
	}
	return nil
}

// failLimit counts a failure of key and of the actor's address, audits a
// lockout when one starts, and returns the wait now imposed on key.
func (s *Service) failLimit(ctx context.Context, who audit.Actor, key, object string) time.Duration {
	wait, err := s.limit.Fail(ctx, key)
	if err != nil {
		s.log.Warn("identity: count failure", "key", key, "err", err)
	}
	if wait > 0 {
		audit.Record(ctx, s.db, who.Entry("identity.lockout", object, audit.Denied, map[string]any{"key": key, "seconds": int(wait.Seconds())}))
	}
	if who.SourceIP != "" {
		s.ipMu.Lock()
		s.ipFailures[who.SourceIP]++
		n := s.ipFailures[who.SourceIP]
		if n >= ipWeight {
			delete(s.ipFailures, who.SourceIP)
		}
		s.ipMu.Unlock()
		if n >= ipWeight {
			if w, err := s.limit.Fail(ctx, "ip:"+who.SourceIP); err == nil && w > 0 {
				audit.Record(ctx, s.db, who.Entry("identity.lockout", "identity/ip/"+who.SourceIP, audit.Denied, map[string]any{"key": "ip:" + who.SourceIP, "seconds": int(w.Seconds())}))
			}
		}
	}
	return wait
}

// Authenticate checks a username (a personal ID or an official's user
// name) and password. Failures and lockouts are counted per username
// (existing or not) and per address, audited, and answered alike: the
// same message and, with secret.Dummy, the same time, whether the account
// exists or not.
func (s *Service) Authenticate(ctx context.Context, who audit.Actor, username, password string) (Account, error) {
	user := normalizeUsername(username)
	key := "pwd:" + user
	object := "identity/usernames/" + user
	wait, err := s.limit.Check(ctx, key)
	if err != nil {
		return Account{}, err
	}
	if who.SourceIP != "" {
		w2, err := s.limit.Check(ctx, "ip:"+who.SourceIP)
		if err != nil {
			return Account{}, err
		}
		wait = max(wait, w2)
	}
	a, aerr := s.AccountByUsername(ctx, user)
	if aerr == nil {
		object = accountObject(a.ID)
	}
	if wait > 0 {
		// Spend the time a check would take, so a lock does not answer
		// faster for some accounts than for others.
		secret.Dummy(password)
		audit.Record(ctx, s.db, who.Entry("identity.signin", object, audit.Denied, map[string]any{"username": user, "reason": "locked", "seconds": int(wait.Seconds())}))
		return Account{}, errLocked(wait)
	}
	if user == "" || password == "" {
		secret.Dummy(password)
		return Account{}, errSignIn()
	}
	ok, rehash := false, false
	switch {
	case aerr != nil && fault.Is(aerr, fault.NotFound):
		secret.Dummy(password)
	case aerr != nil:
		return Account{}, aerr
	default:
		ok, rehash, err = secret.Verify(a.passwordHash, password)
		if err != nil {
			s.log.Error("identity: password hash unreadable", "account", a.ID, "err", err)
			ok = false
		}
	}
	if ok && a.Status != Active {
		audit.Record(ctx, s.db, who.Entry("identity.signin", object, audit.Denied, map[string]any{"username": user, "reason": "account disabled"}))
		return Account{}, errSignIn()
	}
	if !ok {
		reason := "wrong password"
		if aerr != nil {
			reason = "unknown account"
		}
		audit.Record(ctx, s.db, who.Entry("identity.signin", object, audit.Failed, map[string]any{"username": user, "reason": reason}))
		if w := s.failLimit(ctx, who, key, object); w > 0 {
			return Account{}, errLocked(w)
		}
		return Account{}, errSignIn()
	}
	if err := s.limit.Succeed(ctx, key); err != nil {
		return Account{}, err
	}
	if rehash {
		s.rehash(ctx, a.ID, password)
	}
	if err := audit.Record(ctx, s.db, who.Entry("identity.signin", object, audit.OK, map[string]any{"username": user, "amr": AMRPassword})); err != nil {
		return Account{}, err
	}
	return a, nil
}

// VerifyTOTP checks a code from the account's authenticator app; a code
// is accepted once (the step is stored), wrong codes count towards the
// lockout like wrong passwords.
func (s *Service) VerifyTOTP(ctx context.Context, who audit.Actor, accountID, code string) error {
	key := "otp:acct:" + accountID
	object := accountObject(accountID)
	if err := s.checkLimit(ctx, key, who.SourceIP); err != nil {
		audit.Record(ctx, s.db, who.Entry("identity.signin.otp", object, audit.Denied, map[string]any{"reason": "locked"}))
		return err
	}
	a, err := s.Account(ctx, accountID)
	if err != nil {
		return err
	}
	if !a.TOTPEnabled {
		return fault.New(fault.Conflict, "identity.totp.not_enabled", "Tài khoản chưa thiết lập ứng dụng xác thực", "the account has no authenticator app")
	}
	step, ok := totp.Verify(a.totpSecret, code, s.now(), a.totpLastStep)
	if ok {
		// The step moves forward only: of two concurrent uses of one code,
		// one wins.
		res, err := s.db.Exec(ctx, "UPDATE id_account SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", step, accountID, step)
		if err != nil {
			return fault.Wrap(err, "identity: store totp step")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			ok = false
		}
	}
	if !ok {
		audit.Record(ctx, s.db, who.Entry("identity.signin.otp", object, audit.Failed, map[string]any{"reason": "wrong code"}))
		if w := s.failLimit(ctx, who, key, object); w > 0 {
			return errCodeLocked(w)
		}
		return fault.Invalidf([]fault.FieldError{fieldErr("code", "code.wrong",
			"Mã xác thực không đúng hoặc đã được dùng. Hãy nhập mã 6 chữ số mới nhất trong ứng dụng xác thực.",
			"the code is wrong or was used already")}, "wrong code")
	}
	s.limit.Succeed(ctx, key)
	return audit.Record(ctx, s.db, who.Entry("identity.signin.otp", object, audit.OK, map[string]any{"amr": AMROTP}))
}
