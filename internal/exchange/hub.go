package exchange

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/web"
)

// Hub is the central registry (trục trung tâm): the CA of gateway
// certificates, the signer of the global configuration and the
// timestamping authority of message logs.
type Hub struct {
	Registry *Registry
	CA       *pki.CA
	TSA      *pki.TSA
	instance string
	url      string
	confKey  crypto.Signer
	confCert *x509.Certificate
	log      *slog.Logger
	admin    authn.Verifier
	db       *store.DB

	// Validity is how long a configuration is valid (default ConfValidity).
	Validity time.Duration

	mu     sync.RWMutex
	signed []byte // current SignedConf JSON
	serial int64
	kick   chan struct{}
}

// OpenHub loads (or on first use creates) the hub's keys under dir.
func OpenHub(db *store.DB, dir, instance, url string, admin authn.Verifier, log *slog.Logger) (*Hub, error) {
	ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca"), "vngov exchange CA "+instance)
	if err != nil {
		return nil, err
	}
	issued := func(name string) (crypto.Signer, *x509.Certificate, error) {
		key, err := pki.LoadOrCreateKey(filepath.Join(dir, name+"-key.pem"))
		if err != nil {
			return nil, nil, err
		}
		certPath := filepath.Join(dir, name+".pem")
		if c, err := readCert(certPath); err == nil && pki.VerifyIssued(ca.Cert, c, time.Now().Add(24*time.Hour)) == nil {
			return key, c, nil
		}
		csr, err := pki.NewCSR(key, instance+" hub "+name, nil)
		if err != nil {
			return nil, nil, err
		}
		c, err := ca.Issue(csr, 2*365*24*time.Hour)
		if err != nil {
			return nil, nil, err
		}
		return key, c, pki.WriteFile(certPath, pki.EncodeCert(c), 0o644)
	}
	ck, cc, err := issued("conf")
	if err != nil {
		return nil, err
	}
	tk, tc, err := issued("tsa")
	if err != nil {
		return nil, err
	}
	h := &Hub{Registry: NewRegistry(db, instance), CA: ca, TSA: pki.NewTSA(tk, tc), instance: instance, url: url,
		confKey: ck, confCert: cc, log: log, admin: admin, db: db, kick: make(chan struct{}, 1), serial: time.Now().Unix()}
	anchor, _ := json.MarshalIndent(h.Anchor(), "", "  ")
	if err := pki.WriteFile(filepath.Join(dir, "trust-anchor.json"), anchor, 0o644); err != nil {
		return nil, err
	}
	return h, nil
}

// Anchor is the trust anchor gateways need to trust this hub.
func (h *Hub) Anchor() TrustAnchor {
	return TrustAnchor{Instance: h.instance, CAPEM: string(pki.EncodeCert(h.CA.Cert)), HubURL: h.url}
}

// Regenerate builds and signs a new configuration now.
func (h *Hub) Regenerate(ctx context.Context) error {
	h.mu.Lock()
	h.serial++
	serial := h.serial
	h.mu.Unlock()
	conf, err := BuildConf(ctx, h.Registry, h.url, serial, time.Now())
	if err != nil {
		return err
	}
	if h.Validity > 0 {
		conf.ExpiresAt = conf.GeneratedAt.Add(h.Validity)
	}
	sc, err := Sign(conf, h.confKey, h.confCert)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(sc)
	h.mu.Lock()
	h.signed = b
	h.mu.Unlock()
	return nil
}

// Changed asks for a regeneration soon (after a registry change).
func (h *Hub) Changed() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// Run regenerates the configuration every ConfRegenerate and after changes.
func (h *Hub) Run(ctx context.Context) {
	t := time.NewTicker(ConfRegenerate)
	defer t.Stop()
	for {
		if err := h.Regenerate(ctx); err != nil && ctx.Err() == nil {
			h.log.Error("exchange: regenerate global configuration", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-h.kick:
		}
	}
}

// Signed returns the current signed configuration.
func (h *Hub) Signed() SignedConf {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var sc SignedConf
	json.Unmarshal(h.signed, &sc)
	return sc
}

// Stamp timestamps a digest (the message log's Timestamper, in process).
func (h *Hub) Stamp(_ context.Context, digest []byte) (pki.Timestamp, error) {
	return h.TSA.Stamp(digest)
}

// Routes mounts the hub's API.
func (h *Hub) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /hub/v1/globalconf", func(w http.ResponseWriter, r *http.Request) {
		h.mu.RLock()
		b := h.signed
		h.mu.RUnlock()
		if b == nil {
			web.WriteError(w, r, fault.New(fault.Unavailable, "exchange.conf_not_ready", "Cấu hình toàn cục chưa sẵn sàng, thử lại sau ít giây", "global configuration not generated yet"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(b)
	})
	mux.HandleFunc("GET /hub/v1/trust-anchor", func(w http.ResponseWriter, r *http.Request) {
		web.WriteJSON(w, http.StatusOK, h.Anchor())
	})
	mux.HandleFunc("POST /hub/v1/timestamp", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Digest string `json:"digest"`
		}
		if err := web.DecodeJSON(r, &in, 4096); err != nil {
			web.WriteError(w, r, err)
			return
		}
		d, err := base64.StdEncoding.DecodeString(in.Digest)
		if err != nil || len(d) == 0 || len(d) > 64 {
			web.WriteError(w, r, fault.Invalidf([]fault.FieldError{{Field: "digest", Code: "digest.format", Message: "Giá trị băm phải là base64 của 1 đến 64 byte", Detail: "digest must be base64 of 1 to 64 bytes"}}, "bad digest"))
			return
		}
		tok, err := h.TSA.Stamp(d)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, tok)
	})
	mux.HandleFunc("GET /hub/v1/members", func(w http.ResponseWriter, r *http.Request) {
		ms, ss, err := h.Registry.Members(r.Context())
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		if ms == nil {
			ms = []Member{}
		}
		if ss == nil {
			ss = []Subsystem{}
		}
		web.WriteJSON(w, http.StatusOK, map[string]any{"members": ms, "subsystems": ss})
	})
	mux.HandleFunc("GET /hub/v1/gateways", func(w http.ResponseWriter, r *http.Request) {
		gs, err := h.Registry.Gateways(r.Context())
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		if gs == nil {
			gs = []GatewayRecord{}
		}
		web.WriteJSON(w, http.StatusOK, map[string]any{"items": gs, "total": len(gs)})
	})
	mux.HandleFunc("POST /hub/v1/members", h.adminJSON(func(r *http.Request, who audit.Actor) (any, error) {
		var m Member
		if err := web.DecodeJSON(r, &m, 1<<16); err != nil {
			return nil, err
		}
		return m, h.Registry.AddMember(r.Context(), who, m)
	}))
	mux.HandleFunc("POST /hub/v1/subsystems", h.adminJSON(func(r *http.Request, who audit.Actor) (any, error) {
		var s Subsystem
		if err := web.DecodeJSON(r, &s, 1<<16); err != nil {
			return nil, err
		}
		return s, h.Registry.AddSubsystem(r.Context(), who, s)
	}))
	mux.HandleFunc("POST /hub/v1/gateways", h.adminJSON(func(r *http.Request, who audit.Actor) (any, error) {
		var g GatewayRecord
		if err := web.DecodeJSON(r, &g, 1<<16); err != nil {
			return nil, err
		}
		return h.Registry.AddGateway(r.Context(), who, h.CA, g)
	}))
	mux.HandleFunc("POST /hub/v1/groups", h.adminJSON(func(r *http.Request, who audit.Actor) (any, error) {
		var g Group
		if err := web.DecodeJSON(r, &g, 1<<16); err != nil {
			return nil, err
		}
		if err := h.Registry.AddGroup(r.Context(), who, g.Code, g.Description); err != nil {
			return nil, err
		}
		for _, m := range g.Members {
			if err := h.Registry.AddGroupMember(r.Context(), who, g.Code, m); err != nil {
				return nil, err
			}
		}
		return g, nil
	}))
	mux.HandleFunc("POST /hub/v1/certificates", h.adminJSON(func(r *http.Request, who audit.Actor) (any, error) {
		var in struct {
			CSR string `json:"csr"`
		}
		if err := web.DecodeJSON(r, &in, 1<<16); err != nil {
			return nil, err
		}
		c, err := h.CA.Issue([]byte(in.CSR), 2*365*24*time.Hour)
		if err != nil {
			return nil, fault.Invalidf([]fault.FieldError{{Field: "csr", Code: "csr.invalid", Message: "Yêu cầu cấp chứng thư (CSR) không hợp lệ", Detail: err.Error()}}, "bad CSR")
		}
		audit.Record(r.Context(), h.db, who.Entry("exchange.certificate.issue", "exchange/certificate/"+pki.Fingerprint(c), audit.OK, map[string]any{"subject": c.Subject.CommonName}))
		return map[string]string{"cert_pem": string(pki.EncodeCert(c)), "fingerprint": pki.Fingerprint(c)}, nil
	}))
	mux.Handle("/hub/v1/", web.APINotFound)
}

// adminJSON wraps a registry write: it needs the exchange-admin role, is
// audited when refused, and regenerates the configuration when it succeeds.
func (h *Hub) adminJSON(fn func(r *http.Request, who audit.Actor) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who := audit.Actor{Subject: "anonymous", SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
		p, err := h.admin.Verify(r)
		if err == nil && !p.Has(authn.RoleExchangeAdmin) {
			err = fault.New(fault.Forbidden, "auth.forbidden", "Tài khoản không có quyền quản trị trục trao đổi dữ liệu", "the caller lacks the exchange-admin role")
		}
		if err != nil {
			audit.Record(r.Context(), h.db, who.Entry("exchange.write", "exchange"+r.URL.Path, audit.Denied, map[string]any{"method": r.Method}))
			web.WriteError(w, r, err)
			return
		}
		who.Subject = p.Subject
		v, err := fn(r, who)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		h.Changed()
		web.WriteJSON(w, http.StatusCreated, v)
	}
}
