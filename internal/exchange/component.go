package exchange

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/web"
)

// EventServicesChanged tells gateways that their services or access rights
// changed; the subject is the gateway id.
const EventServicesChanged = "exchange.services.changed"

// Component runs the exchange roles of a process: "hub" (registry, global
// configuration, CA, timestamps) and "gateway" (one agency's gateway).
type Component struct {
	k        *kernel.Kernel
	Hub      *Hub
	Services *Services
	metrics  *gatewayMetrics
	pages    *Pages

	mu       sync.Mutex
	gateways map[string]*RunningGateway
}

// RunningGateway is a started gateway with its listeners.
type RunningGateway struct {
	*Gateway
	Conf       *ConfSource
	Log        *msglog.Log
	ClientAddr string // information systems call here (http)
	PeerAddr   string // other gateways connect here (mutual TLS)
	client     *web.Server
	peer       *web.Server
}

// NewComponent returns the exchange component on k.
func NewComponent(k *kernel.Kernel) (*Component, error) {
	c := &Component{k: k, Services: NewServices(k.DB), metrics: newGatewayMetrics(k.Metrics.Registry()), gateways: map[string]*RunningGateway{}}
	pages, err := NewPages(c)
	if err != nil {
		return nil, err
	}
	c.pages = pages
	return c, nil
}

// Name is the role family name.
func (c *Component) Name() string { return "exchange" }

// Migrations are the registry's and services' tables; the message log
// migrates its own.
func (c *Component) Migrations() fs.FS { return Migrations() }

// Start opens the hub and/or the configured gateway, as the roles say.
func (c *Component) Start(ctx context.Context) error {
	if err := c.k.DB.Migrate(ctx, "msglog", msglog.Migrations()); err != nil {
		return err
	}
	cfg := c.k.Config
	if cfg.HasRole("hub") {
		url := cfg.PublicURL
		if url == "" {
			url = "http://" + cfg.Listen
		}
		if err := c.OpenHub(ctx, url); err != nil {
			return err
		}
	}
	sub, err := c.k.Bus.Watch(ctx, EventServicesChanged, func(ev bus.Event) {
		c.mu.Lock()
		g := c.gateways[ev.Subject]
		c.mu.Unlock()
		if g != nil {
			g.Reload(ctx)
		}
	})
	if err != nil {
		return err
	}
	c.k.Go(func() { <-ctx.Done(); sub.Stop() })
	if cfg.HasRole("gateway") && cfg.GatewayID != "" {
		anchor := cfg.TrustAnchor
		if anchor == "" {
			anchor = filepath.Join(cfg.DataDir, "hub", "trust-anchor.json")
		}
		dir := filepath.Join(cfg.DataDir, "gateway")
		_, err := c.StartGateway(ctx, GatewaySpec{ID: cfg.GatewayID, Name: cfg.GatewayName, KeyPath: filepath.Join(dir, "key.pem"), CertPath: filepath.Join(dir, "cert.pem"),
			AnchorPath: anchor, ClientAddr: cfg.GatewayIS, PeerAddr: cfg.GatewayPeer})
		return err
	}
	return nil
}

// OpenHub opens the hub's keys and registry and starts regenerating the
// global configuration.
func (c *Component) OpenHub(ctx context.Context, url string) error {
	h, err := OpenHub(c.k.DB, filepath.Join(c.k.Config.DataDir, "hub"), c.k.Config.Instance, url, c.k.Admin, c.k.Log)
	if err != nil {
		return err
	}
	if err := h.Regenerate(ctx); err != nil {
		return err
	}
	c.Hub = h
	c.k.Go(func() { h.Run(ctx) })
	return nil
}

// Routes mounts the hub's API and the exchange administration API.
func (c *Component) Routes(mux *http.ServeMux) {
	if c.Hub != nil {
		c.Hub.Routes(mux)
	}
	c.adminRoutes(mux)
	c.pages.Routes(mux)
}

// GatewaySpec says how to start a gateway.
type GatewaySpec struct {
	ID, Name             string
	KeyPath, CertPath    string
	AnchorPath           string
	ClientAddr, PeerAddr string
	// Stamper timestamps message-log batches; nil means the hub's
	// timestamping service over HTTP, at the trust anchor's hub URL.
	Stamper msglog.Timestamper
	// ConfInterval is how often the configuration is fetched (default
	// ConfFetch).
	ConfInterval time.Duration
}

// StartGateway starts a gateway: its configuration source, message log,
// and both listeners. It stops when ctx ends.
func (c *Component) StartGateway(ctx context.Context, spec GatewaySpec) (*RunningGateway, error) {
	key, err := pki.LoadOrCreateKey(spec.KeyPath)
	if err != nil {
		return nil, err
	}
	cert, err := readCert(spec.CertPath)
	if err != nil {
		return nil, fmt.Errorf("exchange: gateway %s has no certificate at %s: make a request with `vngov pki csr` and have the hub issue it (`vngov pki issue`): %w", spec.ID, spec.CertPath, err)
	}
	anchor, ca, err := LoadAnchor(spec.AnchorPath)
	if err != nil {
		return nil, err
	}
	conf := NewConfSource(anchor, ca, filepath.Join(filepath.Dir(spec.KeyPath), "globalconf.json"))
	if c.Hub != nil {
		conf.Accept(c.Hub.Signed())
	}
	conf.Fetch(ctx)
	if spec.ConfInterval > 0 {
		conf.SetInterval(spec.ConfInterval)
	}
	c.k.Go(func() { conf.Run(ctx) })
	stamper := spec.Stamper
	if stamper == nil {
		stamper = &remoteStamper{url: strings.TrimRight(anchor.HubURL, "/") + "/hub/v1/timestamp", client: &http.Client{Timeout: 10 * time.Second}}
	}
	mlog, err := msglog.Open(c.k.DB, spec.ID, key, cert, stamper, msglog.Options{Retention: c.k.Config.LogRetention,
		ArchiveDir: filepath.Join(c.k.Config.DataDir, "msglog-archive"), CA: ca, Logger: c.k.Log})
	if err != nil {
		return nil, err
	}
	mlog.Start(ctx)
	g := NewGateway(GatewayConfig{ID: spec.ID, Name: spec.Name, Instance: anchor.Instance, Key: key, Cert: cert, Conf: conf, Services: c.Services, Log: mlog, Logger: c.k.Log, Metrics: c.metrics})
	if err := g.Reload(ctx); err != nil {
		return nil, err
	}
	rg := &RunningGateway{Gateway: g, Conf: conf, Log: mlog}
	health := web.NewHealth(c.k.Metrics)
	health.AddCheck("gateway", g.Ready)
	hmux := http.NewServeMux()
	health.Mount(hmux)
	// Protocol paths go straight to the gateway: a ServeMux would "clean"
	// them and answer with redirects, and the protocol wants them
	// validated, not rewritten.
	client := g.ClientHandler()
	cmux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			// A gateway is healthy only with its key, a valid global
			// configuration and its store: the same checks as readiness.
			health.Readiness().ServeHTTP(w, r)
		case "/readyz", "/metrics":
			hmux.ServeHTTP(w, r)
		default:
			client.ServeHTTP(w, r)
		}
	})
	rg.client = web.NewServer("gateway-client "+spec.ID, spec.ClientAddr, cmux, c.k.Log)
	rg.peer = web.NewServer("gateway-peer "+spec.ID, spec.PeerAddr, g.ProviderHandler(), c.k.Log)
	rg.peer.HTTP().TLSConfig = g.ServerTLS()
	if err := rg.peer.Start(); err != nil {
		mlog.Close()
		return nil, fmt.Errorf("exchange: gateway %s provider side on %s: %w", spec.ID, spec.PeerAddr, err)
	}
	if err := rg.client.Start(); err != nil {
		rg.peer.Shutdown(context.Background())
		mlog.Close()
		return nil, fmt.Errorf("exchange: gateway %s client side on %s: %w", spec.ID, spec.ClientAddr, err)
	}
	rg.ClientAddr, rg.PeerAddr = rg.client.Addr(), rg.peer.Addr()
	c.mu.Lock()
	c.gateways[spec.ID] = rg
	c.mu.Unlock()
	c.k.Go(func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rg.client.Shutdown(sctx)
		rg.peer.Shutdown(sctx)
		mlog.Close()
	})
	return rg, nil
}

// Gateway returns a running gateway by id.
func (c *Component) Gateway(id string) *RunningGateway {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gateways[id]
}

// remoteStamper asks the hub's timestamping service over HTTP.
type remoteStamper struct {
	url    string
	client *http.Client
}

func (s *remoteStamper) Stamp(ctx context.Context, digest []byte) (pki.Timestamp, error) {
	body, _ := json.Marshal(map[string]string{"digest": base64.StdEncoding.EncodeToString(digest)})
	req, err := http.NewRequestWithContext(ctx, "POST", s.url, bytes.NewReader(body))
	if err != nil {
		return pki.Timestamp{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return pki.Timestamp{}, fmt.Errorf("exchange: timestamp: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return pki.Timestamp{}, fmt.Errorf("exchange: timestamp: hub answered %s", resp.Status)
	}
	var tok pki.Timestamp
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		return pki.Timestamp{}, fmt.Errorf("exchange: timestamp: %w", err)
	}
	return tok, nil
}

// IssueGatewayCert makes (or reuses) a gateway key under dir and has the
// hub's CA certify it; for the demo and for tests, where hub and gateway
// share a process.
func (c *Component) IssueGatewayCert(dir, id string) (crypto.Signer, *x509.Certificate, error) {
	if c.Hub == nil {
		return nil, nil, errors.New("exchange: no hub in this process")
	}
	key, err := pki.LoadOrCreateKey(filepath.Join(dir, "key.pem"))
	if err != nil {
		return nil, nil, err
	}
	if cert, err := readCert(filepath.Join(dir, "cert.pem")); err == nil && pki.VerifyIssued(c.Hub.CA.Cert, cert, time.Now().Add(24*time.Hour)) == nil {
		return key, cert, nil
	}
	csr, err := pki.NewCSR(key, c.k.Config.Instance+"/"+id, []string{"127.0.0.1", "localhost"})
	if err != nil {
		return nil, nil, err
	}
	cert, err := c.Hub.CA.Issue(csr, 2*365*24*time.Hour)
	if err != nil {
		return nil, nil, err
	}
	return key, cert, pki.WriteFile(filepath.Join(dir, "cert.pem"), pki.EncodeCert(cert), 0o644)
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
