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

// Consent is what a person agreed to give a client.
type Consent struct {
	ClientID   string    `json:"client_id"`
	ClientName string    `json:"client_name"`
	Purpose    string    `json:"purpose"`
	Scopes     []string  `json:"scopes"`
	Granted    time.Time `json:"granted_at"`
}

// consentScopes are the scopes of a request that need the person's
// consent: all but openid, which releases nothing but the pairwise sub.
func consentScopes(scopes []string) []string {
	out := []string{}
	for _, sc := range scopes {
		if sc != "openid" && !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// consented returns the scopes an account has agreed to give a client.
func (s *Service) consented(ctx context.Context, accountID, clientID string) ([]string, error) {
	var sc string
	err := s.db.QueryRow(ctx, "SELECT scopes FROM id_consent WHERE account_id = ? AND client_id = ? AND withdrawn_at = 0", accountID, clientID).Scan(&sc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fault.Wrap(err, "identity: read consent")
	}
	return parseList(sc), nil
}

// NeedsConsent reports whether a request for scopes needs the person to
// agree first: some attribute they have not agreed to give this client.
func (s *Service) NeedsConsent(ctx context.Context, accountID, clientID string, scopes []string) (bool, error) {
	want := consentScopes(scopes)
	if len(want) == 0 {
		return false, nil
	}
	have, err := s.consented(ctx, accountID, clientID)
	if err != nil {
		return false, err
	}
	for _, sc := range want {
		if !slices.Contains(have, sc) {
			return true, nil
		}
	}
	return false, nil
}

// GrantConsent records that the person agreed to give the client these
// attributes (added to those agreed before).
func (s *Service) GrantConsent(ctx context.Context, who audit.Actor, accountID, clientID string, scopes []string) error {
	have, err := s.consented(ctx, accountID, clientID)
	if err != nil {
		return err
	}
	all := consentScopes(append(have, scopes...))
	now := ms(s.now())
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO id_consent (account_id, client_id, scopes, granted_at, withdrawn_at) VALUES (?, ?, ?, ?, 0)
			ON CONFLICT (account_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at, withdrawn_at = 0`,
			accountID, clientID, jsonList(all), now)
		if err != nil {
			return fault.Wrap(err, "identity: record consent")
		}
		return audit.Record(ctx, tx, who.Entry("identity.consent.grant", accountObject(accountID), audit.OK, map[string]any{"client": clientID, "scopes": consentScopes(scopes)}))
	})
}

// RefuseConsent records that the person refused.
func (s *Service) RefuseConsent(ctx context.Context, who audit.Actor, accountID, clientID string, scopes []string) error {
	return audit.Record(ctx, s.db, who.Entry("identity.consent.refuse", accountObject(accountID), audit.Denied, map[string]any{"client": clientID, "scopes": consentScopes(scopes)}))
}

// Consents lists the clients an account gave attributes to, with what and
// why.
func (s *Service) Consents(ctx context.Context, accountID string) ([]Consent, error) {
	rows, err := s.db.Query(ctx, `SELECT c.client_id, COALESCE(k.name, c.client_id), COALESCE(k.purpose, ''), c.scopes, c.granted_at
		FROM id_consent c LEFT JOIN id_client k ON k.id = c.client_id WHERE c.account_id = ? AND c.withdrawn_at = 0 ORDER BY c.granted_at DESC`, accountID)
	if err != nil {
		return nil, fault.Wrap(err, "identity: list consents")
	}
	defer rows.Close()
	var out []Consent
	for rows.Next() {
		var c Consent
		var sc string
		var at int64
		if err := rows.Scan(&c.ClientID, &c.ClientName, &c.Purpose, &sc, &at); err != nil {
			return nil, fault.Wrap(err, "identity: list consents")
		}
		c.Scopes, c.Granted = parseList(sc), fromMS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// WithdrawConsent withdraws a consent: the client gets nothing more
// (its grants for the account are revoked) until the person agrees again.
func (s *Service) WithdrawConsent(ctx context.Context, who audit.Actor, accountID, clientID string) error {
	now := ms(s.now())
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE id_consent SET withdrawn_at = ? WHERE account_id = ? AND client_id = ? AND withdrawn_at = 0", now, accountID, clientID)
		if err != nil {
			return fault.Wrap(err, "identity: withdraw consent")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.New(fault.NotFound, "identity.consent_not_found", "Không có sự đồng ý nào với dịch vụ này để rút lại", "no consent for this client")
		}
		res, err = tx.Exec(ctx, "UPDATE id_grant SET revoked_at = ?, revoke_reason = 'consent withdrawn' WHERE account_id = ? AND client_id = ? AND revoked_at = 0", now, accountID, clientID)
		if err != nil {
			return fault.Wrap(err, "identity: withdraw consent")
		}
		n, _ := res.RowsAffected()
		return audit.Record(ctx, tx, who.Entry("identity.consent.withdraw", accountObject(accountID), audit.OK, map[string]any{"client": clientID, "grants_revoked": n}))
	})
}
