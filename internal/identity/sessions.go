package identity

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

// Session is a browser's sign-in at the provider, shared by every client
// the person signs in to (single sign-on) until it expires or ends.
type Session struct {
	ID        string    `json:"id"` // SHA-256 of the cookie's value
	AccountID string    `json:"account_id"`
	Level     int       `json:"level"`
	AMR       []string  `json:"amr"`
	AuthTime  time.Time `json:"auth_time"`
	Created   time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen"`
	Expires   time.Time `json:"expires_at"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
}

var errNoSession = fault.New(fault.Unauthenticated, "identity.session_missing", "Bạn cần đăng nhập", "no session: sign in")

// StartSession starts a session at level 1 (password) and returns the
// cookie value that stands for it.
func (s *Service) StartSession(ctx context.Context, who audit.Actor, accountID, userAgent string) (string, Session, error) {
	tok := newToken(32)
	now := s.now()
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	ss := Session{ID: hashToken(tok), AccountID: accountID, Level: 1, AMR: []string{AMRPassword}, AuthTime: now, Created: now, LastSeen: now,
		Expires: now.Add(s.Life.Session), IP: who.SourceIP, UserAgent: userAgent}
	_, err := s.db.Exec(ctx, `INSERT INTO id_session (id, account_id, level, amr, auth_time, created_at, last_seen, expires_at, ended_at, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`, ss.ID, accountID, ss.Level, jsonList(ss.AMR), ms(now), ms(now), ms(now), ms(ss.Expires), ss.IP, ss.UserAgent)
	if err != nil {
		return "", Session{}, fault.Wrap(err, "identity: start session")
	}
	return tok, ss, nil
}

const sessionCols = "id, account_id, level, amr, auth_time, created_at, last_seen, expires_at, ip, user_agent"

func scanSession(row interface{ Scan(...any) error }) (Session, error) {
	var ss Session
	var amr string
	var at, c, l, e int64
	if err := row.Scan(&ss.ID, &ss.AccountID, &ss.Level, &amr, &at, &c, &l, &e, &ss.IP, &ss.UserAgent); err != nil {
		return ss, err
	}
	ss.AMR, ss.AuthTime, ss.Created, ss.LastSeen, ss.Expires = parseList(amr), fromMS(at), fromMS(c), fromMS(l), fromMS(e)
	return ss, nil
}

// SessionByToken returns the live session a cookie value stands for.
func (s *Service) SessionByToken(ctx context.Context, tok string) (Session, error) {
	if tok == "" {
		return Session{}, errNoSession
	}
	return s.sessionByID(ctx, s.db, hashToken(tok))
}

func (s *Service) sessionByID(ctx context.Context, q store.Querier, id string) (Session, error) {
	ss, err := scanSession(q.QueryRow(ctx, "SELECT "+sessionCols+" FROM id_session WHERE id = ? AND ended_at = 0 AND expires_at > ?", id, ms(s.now())))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, errNoSession
	}
	if err != nil {
		return Session{}, fault.Wrap(err, "identity: read session")
	}
	return ss, nil
}

// StepUp raises a session to level 2 after a second factor.
func (s *Service) StepUp(ctx context.Context, sessionID, method string) (Session, error) {
	ss, err := s.sessionByID(ctx, s.db, sessionID)
	if err != nil {
		return ss, err
	}
	if !slices.Contains(ss.AMR, method) {
		ss.AMR = append(ss.AMR, method)
	}
	ss.Level = 2
	ss.AuthTime = s.now()
	if _, err := s.db.Exec(ctx, "UPDATE id_session SET level = 2, amr = ?, auth_time = ?, last_seen = ? WHERE id = ?", jsonList(ss.AMR), ms(ss.AuthTime), ms(ss.AuthTime), sessionID); err != nil {
		return ss, fault.Wrap(err, "identity: step up session")
	}
	return ss, nil
}

// touch records that a session was used.
func (s *Service) touch(ctx context.Context, sessionID string) {
	s.db.Exec(ctx, "UPDATE id_session SET last_seen = ? WHERE id = ?", ms(s.now()), sessionID)
}

// Sessions lists an account's live sessions, newest first.
func (s *Service) Sessions(ctx context.Context, accountID string) ([]Session, error) {
	rows, err := s.db.Query(ctx, "SELECT "+sessionCols+" FROM id_session WHERE account_id = ? AND ended_at = 0 AND expires_at > ? ORDER BY created_at DESC LIMIT 50", accountID, ms(s.now()))
	if err != nil {
		return nil, fault.Wrap(err, "identity: list sessions")
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, fault.Wrap(err, "identity: list sessions")
		}
		out = append(out, ss)
	}
	return out, rows.Err()
}

// EndSession ends a session (sign-out, RP-initiated logout, or the person
// ending one of their sessions from the account page) and revokes the
// grants given during it: their access tokens stop being active and their
// refresh tokens stop working. accountID, when not empty, must own it.
func (s *Service) EndSession(ctx context.Context, who audit.Actor, sessionID, accountID, reason string) error {
	now := ms(s.now())
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		q := "UPDATE id_session SET ended_at = ? WHERE id = ? AND ended_at = 0"
		args := []any{now, sessionID}
		if accountID != "" {
			q += " AND account_id = ?"
			args = append(args, accountID)
		}
		var owner string
		if err := tx.QueryRow(ctx, "SELECT account_id FROM id_session WHERE id = ?", sessionID).Scan(&owner); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fault.New(fault.NotFound, "identity.session_not_found", "Không tìm thấy phiên đăng nhập", "no such session")
			}
			return fault.Wrap(err, "identity: end session")
		}
		res, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return fault.Wrap(err, "identity: end session")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, "UPDATE id_grant SET revoked_at = ?, revoke_reason = ? WHERE session_id = ? AND revoked_at = 0", now, "session ended: "+reason, sessionID); err != nil {
			return fault.Wrap(err, "identity: end session")
		}
		return audit.Record(ctx, tx, who.Entry("identity.session.end", accountObject(owner), audit.OK, map[string]any{"session": sessionID[:12], "reason": reason}))
	})
}
