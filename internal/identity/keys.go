package identity

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

// signingKey is one RS256 key pair. It implements op.SigningKey (the
// current key) and op.Key (each published key).
type signingKey struct {
	id      string
	priv    *rsa.PrivateKey
	created time.Time
	retired time.Time // zero while it signs
}

func (k *signingKey) ID() string                                  { return k.id }
func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Algorithm() jose.SignatureAlgorithm          { return jose.RS256 }
func (k *signingKey) Use() string                                 { return "sig" }

// Key is the private key when signing (op.SigningKey) and the public key
// when published (op.Key): the two interfaces share the method, so the
// published form is a separate type.
func (k *signingKey) Key() any { return k.priv }

type publicKey struct{ *signingKey }

func (k publicKey) Key() any { return &k.priv.PublicKey }

// keyRing is the published keys in memory; the one that signs is the
// newest already active.
type keyRing struct {
	mu        sync.RWMutex
	published []*signingKey
	loaded    time.Time
}

// keyKeep is how long a retired key stays published: longer than any JWT
// it signed can live (ID tokens, access tokens, and some clock skew).
func (s *Service) keyKeep() time.Duration {
	return max(s.Life.IDToken, s.Life.AccessToken) + 5*time.Minute
}

// KeyPublishAhead is how long a new signing key is published before it
// signs: every node (they reload each minute) and every relying party
// that refreshes its JWKS knows it before the first token it signs.
const KeyPublishAhead = 3 * time.Minute

// LoadKeys reads the signing keys from the store, makes the first one if
// there is none, and schedules a new one when the current key is older
// than Life.KeyRotation. Every node runs it each minute, so all of them
// sign with the same key and publish the same set.
func (s *Service) LoadKeys(ctx context.Context) error {
	now := s.now()
	keys, err := s.readKeys(ctx, now)
	if err != nil {
		return err
	}
	cur, next := currentKey(keys, now), pendingKey(keys, now)
	if cur == nil || (next == nil && now.Sub(cur.created) >= s.Life.KeyRotation) {
		ahead := KeyPublishAhead
		if cur == nil {
			ahead = 0 // nothing signs yet: the first key starts at once
		}
		if _, err := s.rotateKeys(ctx, audit.Actor{Subject: "system:identity"}, ahead); err != nil {
			return err
		}
		now = s.now()
		if keys, err = s.readKeys(ctx, now); err != nil {
			return err
		}
	}
	if currentKey(keys, now) == nil {
		return fault.Wrap(errors.New("no signing key after rotation"), "identity: load keys")
	}
	s.keys.mu.Lock()
	s.keys.published, s.keys.loaded = keys, now
	s.keys.mu.Unlock()
	return nil
}

// currentKey is the key that signs at now: the newest one already
// active.
func currentKey(keys []*signingKey, now time.Time) *signingKey {
	var cur *signingKey
	for _, k := range keys {
		if !k.created.After(now) && (cur == nil || k.created.After(cur.created)) {
			cur = k
		}
	}
	return cur
}

// pendingKey is a key published but not signing yet, if any.
func pendingKey(keys []*signingKey, now time.Time) *signingKey {
	for _, k := range keys {
		if k.created.After(now) {
			return k
		}
	}
	return nil
}

// readKeys returns the keys still published at now.
func (s *Service) readKeys(ctx context.Context, now time.Time) ([]*signingKey, error) {
	rows, err := s.db.Query(ctx, "SELECT id, private_pem, created_at, retired_at FROM id_signing_key WHERE retired_at = 0 OR retired_at > ? ORDER BY created_at DESC",
		ms(now.Add(-s.keyKeep())))
	if err != nil {
		return nil, fault.Wrap(err, "identity: read signing keys")
	}
	defer rows.Close()
	var out []*signingKey
	for rows.Next() {
		var id, p string
		var created, retired int64
		if err := rows.Scan(&id, &p, &created, &retired); err != nil {
			return nil, fault.Wrap(err, "identity: read signing keys")
		}
		block, _ := pem.Decode([]byte(p))
		if block == nil {
			return nil, fault.Wrap(errors.New("key "+id+" is not PEM"), "identity: read signing keys")
		}
		priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fault.Wrap(err, "identity: parse signing key "+id)
		}
		rk, ok := priv.(*rsa.PrivateKey)
		if !ok {
			return nil, fault.Wrap(errors.New("key "+id+" is not RSA"), "identity: read signing keys")
		}
		out = append(out, &signingKey{id: id, priv: rk, created: fromMS(created), retired: fromMS(retired)})
	}
	return out, rows.Err()
}

// RotateKeys makes a new signing key. It is published at once and signs
// from KeyPublishAhead on, or at once when immediate (a key believed
// compromised: tokens it signed stop verifying at relying parties only
// when they drop it, so revoke them too). The keys it replaces retire
// when it starts signing and stay published until their tokens expire.
// It returns the new key's id.
func (s *Service) RotateKeys(ctx context.Context, who audit.Actor, immediate bool) (string, error) {
	ahead := KeyPublishAhead
	if immediate {
		ahead = 0
	}
	id, err := s.rotateKeys(ctx, who, ahead)
	if err != nil {
		return "", err
	}
	if err := s.refreshKeys(ctx); err != nil {
		return "", err
	}
	return id, nil
}

func (s *Service) rotateKeys(ctx context.Context, who audit.Actor, ahead time.Duration) (string, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", fault.Wrap(err, "identity: generate signing key")
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fault.Wrap(err, "identity: encode signing key")
	}
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	now := s.now()
	start := now.Add(ahead)
	id := start.UTC().Format("20060102T150405") + "-" + newToken(6)
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		// The keys that sign now (or were to) retire when the new one
		// starts.
		if _, err := tx.Exec(ctx, "UPDATE id_signing_key SET retired_at = ? WHERE retired_at = 0 OR retired_at > ?", ms(start), ms(start)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO id_signing_key (id, algorithm, private_pem, created_at, retired_at) VALUES (?, 'RS256', ?, ?, 0)", id, pemText, ms(start)); err != nil {
			return err
		}
		// Keys whose tokens are long gone are deleted.
		if _, err := tx.Exec(ctx, "DELETE FROM id_signing_key WHERE retired_at <> 0 AND retired_at < ?", ms(now.Add(-s.keyKeep()-24*time.Hour))); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Entry("identity.keys.rotate", "identity/keys/"+id, audit.OK, map[string]any{"algorithm": "RS256", "signs_from": start.UTC().Format(time.RFC3339)}))
	})
	if err != nil {
		return "", fault.Wrap(err, "identity: rotate signing keys")
	}
	return id, nil
}

// refreshKeys rereads the published keys (no rotation).
func (s *Service) refreshKeys(ctx context.Context) error {
	now := s.now()
	keys, err := s.readKeys(ctx, now)
	if err != nil {
		return err
	}
	s.keys.mu.Lock()
	s.keys.published, s.keys.loaded = keys, now
	s.keys.mu.Unlock()
	return nil
}

// SigningKey implements op.Storage: the key that signs now.
func (s *Service) SigningKey(ctx context.Context) (op.SigningKey, error) {
	s.keys.mu.RLock()
	defer s.keys.mu.RUnlock()
	if k := currentKey(s.keys.published, s.now()); k != nil {
		return k, nil
	}
	return nil, errors.New("identity: no signing key loaded: Init has not run")
}

// SignatureAlgorithms implements op.Storage.
func (s *Service) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet implements op.Storage: the JWKS, with the key that signs, the one
// about to, and the retired ones whose tokens may still be in use. It
// rereads the store when its copy is older than 30 seconds, so a token
// signed on another node with a key made there verifies here too.
func (s *Service) KeySet(ctx context.Context) ([]op.Key, error) {
	s.keys.mu.RLock()
	stale := s.now().Sub(s.keys.loaded) > 30*time.Second
	s.keys.mu.RUnlock()
	if stale {
		if err := s.refreshKeys(ctx); err != nil {
			s.log.Warn("identity: refresh signing keys", "err", err)
		}
	}
	s.keys.mu.RLock()
	defer s.keys.mu.RUnlock()
	now := s.now()
	out := make([]op.Key, 0, len(s.keys.published))
	for _, k := range s.keys.published {
		if k.retired.IsZero() || now.Sub(k.retired) < s.keyKeep() {
			out = append(out, publicKey{k})
		}
	}
	return out, nil
}
