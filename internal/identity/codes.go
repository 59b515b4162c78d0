package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"math/big"
	"time"

	"github.com/vngov/vngov/internal/identity/secret"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

// Notifier sends a message to a person: channel is "email" or "sms", to
// the address or number. The process wires it to the notification
// service.
type Notifier interface {
	Send(ctx context.Context, channel, to, subject, body string) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, channel, to, subject, body string) error

// Send calls f.
func (f NotifierFunc) Send(ctx context.Context, channel, to, subject, body string) error {
	return f(ctx, channel, to, subject, body)
}

// Channels of one-time codes.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// codeTTL is how long a one-time code sent by email or SMS works.
const codeTTL = 15 * time.Minute

func newCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1000000))
	return fmt.Sprintf("%06d", n.Int64())
}

func (s *Service) send(ctx context.Context, channel, to, subject, body string) error {
	if s.Notifier == nil {
		s.log.Warn("identity: no notifier: a one-time code was not sent", "channel", channel)
		return fault.New(fault.Unavailable, "identity.notify_unavailable", "Chưa gửi được mã: dịch vụ gửi thư và tin nhắn chưa sẵn sàng. Hãy thử lại sau.", "no notifier configured")
	}
	return s.Notifier.Send(ctx, channel, to, subject, body)
}

// storeCode keeps an HMAC of a new code for an account and purpose,
// replacing earlier unused ones.
func (s *Service) storeCode(ctx context.Context, accountID, purpose, channel, target string) (string, error) {
	code := newCode()
	now := s.now()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM id_otp WHERE account_id = ? AND purpose = ?", accountID, purpose); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO id_otp (account_id, purpose, channel, target, code, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
			accountID, purpose, channel, target, s.mac("otp", accountID, purpose, code), ms(now), ms(now.Add(codeTTL)))
		return err
	})
	if err != nil {
		return "", fault.Wrap(err, "identity: store code")
	}
	return code, nil
}

// takeCode checks a code and uses it up; target is where it was sent.
func (s *Service) takeCode(ctx context.Context, accountID, purpose, code string) (string, bool) {
	var id int64
	var stored, target string
	err := s.db.QueryRow(ctx, "SELECT id, code, target FROM id_otp WHERE account_id = ? AND purpose = ? AND used_at = 0 AND expires_at > ? ORDER BY id DESC LIMIT 1",
		accountID, purpose, ms(s.now())).Scan(&id, &stored, &target)
	if err != nil {
		return "", false
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(s.mac("otp", accountID, purpose, code))) != 1 {
		return "", false
	}
	res, err := s.db.Exec(ctx, "UPDATE id_otp SET used_at = ? WHERE id = ? AND used_at = 0", ms(s.now()), id)
	if err != nil {
		return "", false
	}
	n, _ := res.RowsAffected()
	return target, n == 1
}

// SendContactCode sends a code to the account's email address or phone
// number, to prove the person receives what is sent there.
func (s *Service) SendContactCode(ctx context.Context, who audit.Actor, accountID, channel string) error {
	a, err := s.Account(ctx, accountID)
	if err != nil {
		return err
	}
	target := a.Email
	if channel == ChannelSMS {
		target = a.Phone
	}
	if channel != ChannelEmail && channel != ChannelSMS || target == "" {
		return fault.New(fault.Invalid, "identity.contact_missing", "Tài khoản chưa có địa chỉ hoặc số điện thoại này", "no such contact on the account")
	}
	// Sending is throttled like guessing: a flood of codes is refused.
	key := "send:" + accountID
	if err := s.checkLimit(ctx, key, ""); err != nil {
		return err
	}
	s.limit.Fail(ctx, key)
	code, err := s.storeCode(ctx, accountID, "verify_"+channel, channel, target)
	if err != nil {
		return err
	}
	body := fmt.Sprintf("Mã xác minh của bạn là %s. Mã có hiệu lực trong 15 phút. Không chia sẻ mã này với bất kỳ ai.", code)
	if err := s.send(ctx, channel, target, "Mã xác minh tài khoản định danh", body); err != nil {
		return err
	}
	return audit.Record(ctx, s.db, who.Entry("identity.contact.code", accountObject(accountID), audit.OK, map[string]any{"channel": channel}))
}

// VerifyContact checks the code SendContactCode sent and marks the email
// address or phone number verified.
func (s *Service) VerifyContact(ctx context.Context, who audit.Actor, accountID, channel, code string) error {
	key := "code:" + accountID
	if err := s.checkLimit(ctx, key, who.SourceIP); err != nil {
		return err
	}
	target, ok := s.takeCode(ctx, accountID, "verify_"+channel, code)
	if !ok {
		s.failLimit(ctx, who, key, accountObject(accountID))
		audit.Record(ctx, s.db, who.Entry("identity.contact.verify", accountObject(accountID), audit.Failed, map[string]any{"channel": channel}))
		return fault.Invalidf([]fault.FieldError{fieldErr("code", "code.wrong", "Mã không đúng hoặc đã hết hạn. Hãy nhập mã vừa nhận, hoặc gửi lại mã mới.", "the code is wrong or expired")}, "wrong code")
	}
	s.limit.Succeed(ctx, key)
	col, val := "email_verified", "email"
	if channel == ChannelSMS {
		col, val = "phone_verified", "phone"
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		// Verified only if the contact is still the one the code went to.
		if _, err := tx.Exec(ctx, "UPDATE id_account SET "+col+" = 1, updated_at = ? WHERE id = ? AND "+val+" = ?", ms(s.now()), accountID, target); err != nil {
			return fault.Wrap(err, "identity: verify contact")
		}
		return audit.Record(ctx, tx, who.Entry("identity.contact.verify", accountObject(accountID), audit.OK, map[string]any{"channel": channel}))
	})
}

// RequestPasswordReset sends a reset code to the verified contacts of the
// account with username, if there is one. It answers the same in every
// case and does the work in the background, so that neither its answer
// nor its timing tells whether the account exists; done, when not nil, is
// called when the work is over (tests).
func (s *Service) RequestPasswordReset(ctx context.Context, who audit.Actor, username string, done func()) {
	user := normalizeUsername(username)
	bg := context.WithoutCancel(ctx)
	go func() {
		if done != nil {
			defer done()
		}
		ctx, cancel := context.WithTimeout(bg, 30*time.Second)
		defer cancel()
		key := "reset-request:" + user
		if wait, err := s.limit.Check(ctx, key); err != nil || wait > 0 || user == "" {
			audit.Record(ctx, s.db, who.Entry("identity.password.reset_request", "identity/usernames/"+user, audit.Denied, map[string]any{"reason": "throttled"}))
			return
		}
		s.limit.Fail(ctx, key) // each request counts: five in a day and further ones wait
		a, err := s.AccountByUsername(ctx, user)
		if err != nil || a.Status != Active || (!a.EmailVerified && !a.PhoneVerified) {
			reason := "unknown account"
			if err == nil {
				reason = "no verified contact"
			}
			audit.Record(ctx, s.db, who.Entry("identity.password.reset_request", "identity/usernames/"+user, audit.Failed, map[string]any{"reason": reason}))
			return
		}
		channel, target := ChannelEmail, a.Email
		if !a.EmailVerified {
			channel, target = ChannelSMS, a.Phone
		}
		code, err := s.storeCode(ctx, a.ID, "reset", channel, target)
		if err != nil {
			s.log.Error("identity: store reset code", "err", err)
			return
		}
		body := fmt.Sprintf("Mã đặt lại mật khẩu tài khoản định danh của bạn là %s, có hiệu lực trong 15 phút. Nếu bạn không yêu cầu, hãy bỏ qua tin này: mật khẩu của bạn không thay đổi.", code)
		if err := s.send(ctx, channel, target, "Đặt lại mật khẩu", body); err != nil {
			s.log.Warn("identity: send reset code", "err", err)
		}
		audit.Record(ctx, s.db, who.Entry("identity.password.reset_request", accountObject(a.ID), audit.OK, map[string]any{"channel": channel}))
	}()
}

// ResetPassword sets a new password with a code RequestPasswordReset sent,
// and ends every session and grant of the account. Wrong codes count
// towards a lockout; the answer is the same for an unknown account.
func (s *Service) ResetPassword(ctx context.Context, who audit.Actor, username, code, password string) error {
	user := normalizeUsername(username)
	if probs := secret.CheckStrength(password); len(probs) > 0 {
		var errs []fault.FieldError
		for _, p := range probs {
			errs = append(errs, fieldErr("password", "password.weak", p, "the password is too weak: "+p))
		}
		return fault.Invalidf(errs, "weak password")
	}
	key := "reset:" + user
	if err := s.checkLimit(ctx, key, who.SourceIP); err != nil {
		return err
	}
	wrong := fault.Invalidf([]fault.FieldError{fieldErr("code", "code.wrong", "Mã không đúng hoặc đã hết hạn. Hãy kiểm tra số định danh và mã, hoặc yêu cầu mã mới.", "the code is wrong or expired")}, "wrong code")
	a, err := s.AccountByUsername(ctx, user)
	if err != nil {
		s.failLimit(ctx, who, key, "identity/usernames/"+user)
		audit.Record(ctx, s.db, who.Entry("identity.password.reset", "identity/usernames/"+user, audit.Failed, map[string]any{"reason": "unknown account"}))
		return wrong
	}
	if _, ok := s.takeCode(ctx, a.ID, "reset", code); !ok {
		s.failLimit(ctx, who, key, accountObject(a.ID))
		audit.Record(ctx, s.db, who.Entry("identity.password.reset", accountObject(a.ID), audit.Failed, map[string]any{"reason": "wrong code"}))
		return wrong
	}
	s.limit.Succeed(ctx, key)
	s.limit.Succeed(ctx, "pwd:"+user) // a reset also lifts a password lockout
	return s.setPassword(ctx, who, a.ID, password, "identity.password.reset", true)
}
