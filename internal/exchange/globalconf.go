package exchange

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vngov/vngov/internal/platform/pki"
)

// Global configuration defaults (as X-Road's): regenerated every minute,
// valid for ten, fetched every minute.
const (
	ConfRegenerate = 60 * time.Second
	ConfValidity   = 600 * time.Second
	ConfFetch      = 60 * time.Second
)

// GlobalConf is what every gateway must know about the exchange: who the
// members are, which gateway serves which subsystem, each gateway's
// address and certificate, and the global groups.
type GlobalConf struct {
	Instance    string          `json:"instance"`
	Serial      int64           `json:"serial"`
	GeneratedAt time.Time       `json:"generated_at"`
	ExpiresAt   time.Time       `json:"expires_at"`
	HubURL      string          `json:"hub_url"`
	Members     []ConfMember    `json:"members"`
	Gateways    []GatewayRecord `json:"gateways"`
	Groups      []Group         `json:"groups"`
}

// ConfMember is a member and its subsystems in the global configuration.
type ConfMember struct {
	Member
	Subsystems []Subsystem `json:"subsystems"`
}

// SignedConf is the distributed form: the configuration's exact bytes, the
// hub's signature over them, and the signing certificate.
type SignedConf struct {
	Conf      json.RawMessage `json:"conf"`
	Signature []byte          `json:"signature"`
	Cert      string          `json:"cert"`
}

// TrustAnchor is what a gateway is given out of band to trust a hub: the
// instance, the CA certificate and where to fetch configuration.
type TrustAnchor struct {
	Instance string `json:"instance"`
	CAPEM    string `json:"ca_pem"`
	HubURL   string `json:"hub_url"`
}

// LoadAnchor reads a trust anchor file.
func LoadAnchor(path string) (TrustAnchor, *x509.Certificate, error) {
	var a TrustAnchor
	b, err := os.ReadFile(path)
	if err != nil {
		return a, nil, fmt.Errorf("exchange: trust anchor: %w", err)
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return a, nil, fmt.Errorf("exchange: trust anchor %s: %w", path, err)
	}
	ca, err := pki.DecodeCert([]byte(a.CAPEM))
	return a, ca, err
}

// BuildConf assembles the configuration from the registry.
func BuildConf(ctx context.Context, r *Registry, hubURL string, serial int64, now time.Time) (*GlobalConf, error) {
	ms, ss, err := r.Members(ctx)
	if err != nil {
		return nil, err
	}
	gws, err := r.Gateways(ctx)
	if err != nil {
		return nil, err
	}
	groups, err := r.Groups(ctx)
	if err != nil {
		return nil, err
	}
	byMember := map[string]*ConfMember{}
	conf := &GlobalConf{Instance: r.instance, Serial: serial, GeneratedAt: now.UTC(), ExpiresAt: now.Add(ConfValidity).UTC(), HubURL: hubURL, Gateways: gws, Groups: groups}
	for _, m := range ms {
		conf.Members = append(conf.Members, ConfMember{Member: m, Subsystems: []Subsystem{}})
	}
	for i := range conf.Members {
		byMember[conf.Members[i].Class+"/"+conf.Members[i].Code] = &conf.Members[i]
	}
	for _, s := range ss {
		if m := byMember[s.Class+"/"+s.Code]; m != nil {
			m.Subsystems = append(m.Subsystems, s)
		}
	}
	if conf.Gateways == nil {
		conf.Gateways = []GatewayRecord{}
	}
	if conf.Groups == nil {
		conf.Groups = []Group{}
	}
	return conf, nil
}

// Sign signs conf with the hub's configuration key.
func Sign(conf *GlobalConf, key crypto.Signer, cert *x509.Certificate) (SignedConf, error) {
	b, err := json.Marshal(conf)
	if err != nil {
		return SignedConf{}, err
	}
	sig, err := pki.Sign(key, b)
	if err != nil {
		return SignedConf{}, err
	}
	return SignedConf{Conf: b, Signature: sig, Cert: string(pki.EncodeCert(cert))}, nil
}

// VerifyConf checks a signed configuration against the trust anchor's CA
// and instance, and returns it. It does not check expiry: a gateway keeps
// the last valid copy and decides by ExpiresAt.
func VerifyConf(sc SignedConf, ca *x509.Certificate, instance string) (*GlobalConf, error) {
	cert, err := pki.DecodeCert([]byte(sc.Cert))
	if err != nil {
		return nil, err
	}
	if err := pki.VerifyIssued(ca, cert, time.Now()); err != nil {
		return nil, fmt.Errorf("exchange: configuration signer: %w", err)
	}
	if err := pki.Verify(cert, sc.Conf, sc.Signature); err != nil {
		return nil, fmt.Errorf("exchange: configuration signature: %w", err)
	}
	var conf GlobalConf
	if err := json.Unmarshal(sc.Conf, &conf); err != nil {
		return nil, fmt.Errorf("exchange: configuration: %w", err)
	}
	if conf.Instance != instance {
		return nil, fmt.Errorf("exchange: configuration is for instance %q, the trust anchor for %q", conf.Instance, instance)
	}
	return &conf, nil
}

// confIndex is a verified configuration with lookups prepared.
type confIndex struct {
	conf          *GlobalConf
	raw           SignedConf
	subsystems    map[string]Subsystem     // INSTANCE/CLASS/MEMBER/SUBSYSTEM -> subsystem
	names         map[string]string        // CLASS/MEMBER -> name
	gateways      map[string]GatewayRecord // id -> gateway
	byFingerprint map[string]GatewayRecord
	certs         map[string]*x509.Certificate // id -> parsed certificate
	groupsOf      map[string][]string          // client -> group codes
}

func newIndex(conf *GlobalConf, raw SignedConf) *confIndex {
	ix := &confIndex{conf: conf, raw: raw, subsystems: map[string]Subsystem{}, names: map[string]string{}, gateways: map[string]GatewayRecord{},
		byFingerprint: map[string]GatewayRecord{}, certs: map[string]*x509.Certificate{}, groupsOf: map[string][]string{}}
	for _, m := range conf.Members {
		ix.names[m.Class+"/"+m.Code] = m.Name
		for _, s := range m.Subsystems {
			ix.subsystems[conf.Instance+"/"+s.Class+"/"+s.Code+"/"+s.Subsystem] = s
		}
	}
	for _, g := range conf.Gateways {
		ix.gateways[g.ID] = g
		ix.byFingerprint[g.Fingerprint] = g
		if c, err := pki.DecodeCert([]byte(g.CertPEM)); err == nil {
			ix.certs[g.ID] = c
		}
	}
	for _, g := range conf.Groups {
		for _, m := range g.Members {
			ix.groupsOf[m] = append(ix.groupsOf[m], g.Code)
		}
	}
	for k := range ix.groupsOf {
		sort.Strings(ix.groupsOf[k])
	}
	return ix
}

func (ix *confIndex) valid(now time.Time) bool { return ix != nil && now.Before(ix.conf.ExpiresAt) }

// ConfSource keeps a gateway's current verified configuration: it fetches
// from the hub on a schedule and keeps the last valid copy while the hub
// is away. Calls fail with OutdatedGlobalConf once that copy expires.
type ConfSource struct {
	anchor   TrustAnchor
	ca       *x509.Certificate
	client   *http.Client
	cache    string // file keeping the last valid copy across restarts
	cur      atomic.Pointer[confIndex]
	mu       sync.Mutex
	lastErr  error
	lastTry  time.Time
	interval time.Duration
}

// NewConfSource returns a source for the hub named by the anchor. cache is
// a file path for the last valid copy (may be empty).
func NewConfSource(anchor TrustAnchor, ca *x509.Certificate, cache string) *ConfSource {
	s := &ConfSource{anchor: anchor, ca: ca, client: &http.Client{Timeout: 10 * time.Second}, cache: cache, interval: ConfFetch}
	if cache != "" {
		if b, err := os.ReadFile(cache); err == nil {
			var sc SignedConf
			if json.Unmarshal(b, &sc) == nil {
				s.Accept(sc)
			}
		}
	}
	return s
}

// Accept verifies sc and makes it current if it is newer.
func (s *ConfSource) Accept(sc SignedConf) error {
	conf, err := VerifyConf(sc, s.ca, s.anchor.Instance)
	if err != nil {
		return err
	}
	if cur := s.cur.Load(); cur != nil && cur.conf.Serial > conf.Serial {
		return nil
	}
	s.cur.Store(newIndex(conf, sc))
	return nil
}

// Fetch downloads, verifies and installs the hub's current configuration.
func (s *ConfSource) Fetch(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(s.anchor.HubURL, "/")+"/hub/v1/globalconf", nil)
	if err != nil {
		return err
	}
	err = func() error {
		resp, err := s.client.Do(req)
		if err != nil {
			return fmt.Errorf("exchange: fetch configuration: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("exchange: fetch configuration: hub answered %s", resp.Status)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		if err != nil {
			return err
		}
		var sc SignedConf
		if err := json.Unmarshal(b, &sc); err != nil {
			return fmt.Errorf("exchange: configuration: %w", err)
		}
		if err := s.Accept(sc); err != nil {
			return err
		}
		if s.cache != "" {
			pki.WriteFile(s.cache, b, 0o644)
		}
		return nil
	}()
	s.mu.Lock()
	s.lastErr, s.lastTry = err, time.Now()
	s.mu.Unlock()
	return err
}

// SetInterval changes how often Run fetches (default ConfFetch).
func (s *ConfSource) SetInterval(d time.Duration) { s.interval = d }

// Run fetches every interval until ctx ends.
func (s *ConfSource) Run(ctx context.Context) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		s.Fetch(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// current returns the configuration in force, or nil when there is none
// or it has expired.
func (s *ConfSource) current(now time.Time) *confIndex {
	ix := s.cur.Load()
	if !ix.valid(now) {
		return nil
	}
	return ix
}

// Status describes the configuration for health checks and pages.
func (s *ConfSource) Status() (serial int64, expires time.Time, lastErr error) {
	s.mu.Lock()
	lastErr = s.lastErr
	s.mu.Unlock()
	if ix := s.cur.Load(); ix != nil {
		return ix.conf.Serial, ix.conf.ExpiresAt, lastErr
	}
	return 0, time.Time{}, lastErr
}

// Ready fails when the gateway has no valid configuration.
func (s *ConfSource) Ready(ctx context.Context) error {
	if s.current(time.Now()) == nil {
		_, exp, err := s.Status()
		if exp.IsZero() {
			return fmt.Errorf("no global configuration yet (last fetch: %v)", err)
		}
		return fmt.Errorf("global configuration expired at %s (last fetch: %v)", exp.Format(time.RFC3339), err)
	}
	return nil
}

var errNoConf = errors.New("no valid global configuration")

func readCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return pki.DecodeCert(b)
}
