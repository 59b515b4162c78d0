package exchange

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/exchange/xroad"
	"github.com/vngov/vngov/internal/platform/pki"
)

// Gateway is one agency's gateway (security server, cổng kết nối): a
// client side for its information systems and a provider side, over
// mutual TLS, for other gateways.
type Gateway struct {
	ID       string // CLASS/MEMBER/SERVERCODE
	Name     string
	instance string
	key      crypto.Signer
	cert     *x509.Certificate
	pair     tls.Certificate
	conf     *ConfSource
	services *Services
	index    atomic.Pointer[serviceIndex]
	msgs     *msglog.Log
	log      *slog.Logger
	metrics  *gatewayMetrics

	transports sync.Map // peer id + fingerprint -> *http.Transport
	backend    *http.Client
	// MaxBody caps request bodies on the client side (0: 100 MiB).
	MaxBody int64
	now     func() time.Time
}

// GatewayConfig is what a gateway is made of.
type GatewayConfig struct {
	ID, Name, Instance string
	Key                crypto.Signer
	Cert               *x509.Certificate
	Conf               *ConfSource
	Services           *Services
	Log                *msglog.Log
	Logger             *slog.Logger
	Metrics            *gatewayMetrics
}

// NewGateway assembles a gateway.
func NewGateway(c GatewayConfig) *Gateway {
	g := &Gateway{ID: c.ID, Name: c.Name, instance: c.Instance, key: c.Key, cert: c.Cert, pair: pki.KeyPair(c.Key, c.Cert),
		conf: c.Conf, services: c.Services, msgs: c.Log, log: c.Logger, metrics: c.Metrics, now: time.Now}
	g.backend = &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		},
		// Redirects are returned to the client, never followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	g.index.Store(&serviceIndex{byID: map[string]*serviceEntry{}})
	return g
}

// Reload reads the gateway's services and access rights again.
func (g *Gateway) Reload(ctx context.Context) error {
	ix, err := g.services.load(ctx, g.ID)
	if err != nil {
		return err
	}
	g.index.Store(ix)
	return nil
}

// Ready checks what a gateway needs to serve: its key and certificate, a
// valid global configuration, and the store.
func (g *Gateway) Ready(ctx context.Context) error {
	if g.cert == nil || g.now().After(g.cert.NotAfter) {
		return errors.New("gateway certificate missing or expired")
	}
	if err := g.conf.Ready(ctx); err != nil {
		return err
	}
	return g.services.db.Ping(ctx)
}

// ServerTLS is the provider side's TLS configuration: TLS 1.3, and only
// gateways that the current global configuration lists may connect.
func (g *Gateway) ServerTLS() *tls.Config {
	return pki.ServerTLS(g.pair, func(c *x509.Certificate) error {
		ix := g.conf.current(g.now())
		if ix == nil {
			return errNoConf
		}
		if _, ok := ix.byFingerprint[pki.Fingerprint(c)]; !ok {
			return fmt.Errorf("certificate %s is not registered for any gateway", c.Subject.CommonName)
		}
		return nil
	})
}

// transport returns the connection pool to a peer gateway; it accepts
// only the certificate the global configuration registers for that peer.
func (g *Gateway) transport(peer GatewayRecord) *http.Transport {
	key := peer.ID + "|" + peer.Fingerprint
	if t, ok := g.transports.Load(key); ok {
		return t.(*http.Transport)
	}
	cfg := pki.ClientTLS(g.pair, func(c *x509.Certificate) error {
		if pki.Fingerprint(c) != peer.Fingerprint {
			return fmt.Errorf("gateway %s presented a certificate that is not the one registered in the global configuration", peer.ID)
		}
		return nil
	})
	t := &http.Transport{
		TLSClientConfig:     cfg,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 512,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 5 * time.Second,
	}
	actual, _ := g.transports.LoadOrStore(key, t)
	return actual.(*http.Transport)
}

func xerr(typ, msg string) *xroad.Error { return xroad.NewError(typ, "%s", msg) }

// clientIDOf reads and checks X-Road-Client.
func clientIDOf(r *http.Request) (xroad.ClientID, *xroad.Error) {
	c, err := xroad.ParseClientHeader(r.Header.Values(xroad.HeaderClient))
	if err != nil {
		return c, xerr(xroad.TypeInvalidClientIdentifier, err.Error())
	}
	if c.Subsystem == "" {
		return c, xerr(xroad.TypeInvalidClientIdentifier, "X-Road-Client must name a subsystem: INSTANCE/CLASS/MEMBER/SUBSYSTEM")
	}
	return c, nil
}

// ClientHandler serves the gateway's information systems: /r1/... calls
// and the listClients metadata service.
func (g *Gateway) ClientHandler() http.Handler {
	return http.HandlerFunc(g.serveClient)
}

func (g *Gateway) fail(w http.ResponseWriter, r *http.Request, side string, e *xroad.Error, rec *msglog.Record) {
	if e.Detail == "" {
		e.Detail = r.Header.Get(xroad.HeaderID)
	}
	xroad.WriteError(w, e)
	g.log.LogAttrs(r.Context(), slog.LevelWarn, "exchange: request refused", slog.String("gateway", g.ID), slog.String("side", side),
		slog.String("type", e.Type), slog.String("message", e.Message), slog.String("path", r.URL.Path))
	if rec != nil {
		rec.Status, rec.ErrorType, rec.Finished = e.Status, e.Type, g.now()
		if err := g.msgs.Append(r.Context(), *rec); err != nil {
			g.log.Error("exchange: message log", "err", err)
		}
		g.metrics.observe(g.ID, side, rec.Client, rec.Service, e.Status, e.Type, rec.Finished.Sub(rec.Started))
	}
}

func (g *Gateway) serveClient(w http.ResponseWriter, r *http.Request) {
	start := g.now()
	if r.URL.Path == "/listClients" && r.Method == http.MethodGet {
		g.listClients(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/r") {
		g.fail(w, r, "client", xerr(xroad.TypeBadRequest, "requests must have the form /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path]"), nil)
		return
	}
	ix := g.conf.current(start)
	if ix == nil {
		g.fail(w, r, "client", xerr(xroad.TypeClientProxyOutdatedGlobalConf, "the gateway has no valid global configuration: the hub has been unreachable for longer than the configuration's validity"), nil)
		return
	}
	msgID := r.Header.Get(xroad.HeaderID)
	if msgID == "" {
		msgID = uuid.NewString()
		r.Header.Set(xroad.HeaderID, msgID)
	}
	client, xe := clientIDOf(r)
	if xe != nil {
		g.fail(w, r, "client", xe, nil)
		return
	}
	if client.Instance != ix.conf.Instance {
		g.fail(w, r, "client", xerr(xroad.TypeBadRequest, fmt.Sprintf("X-Road-Client instance %q is not this exchange's instance %q", client.Instance, ix.conf.Instance)), nil)
		return
	}
	if s, ok := ix.subsystems[client.String()]; !ok || s.Gateway != g.ID {
		g.fail(w, r, "client", xerr(xroad.TypeBadRequest, fmt.Sprintf("client %s is not registered at this gateway (%s): register the subsystem at the hub and assign it to this gateway", client, g.ID)), nil)
		return
	}
	svc, _, err := xroad.ParseServicePath(r.URL.EscapedPath())
	if err != nil {
		g.fail(w, r, "client", xerr(xroad.TypeBadRequest, err.Error()), nil)
		return
	}
	rec := &msglog.Record{Side: "client", MessageID: msgID, Client: client.String(), Service: svc.String(), UserID: r.Header.Get(xroad.HeaderUserID),
		Issue: r.Header.Get(xroad.HeaderIssue), RepresentedParty: r.Header.Get(xroad.HeaderRepresentedParty), Method: r.Method, Path: r.URL.RequestURI(), Started: start}
	prov, ok := ix.subsystems[svc.Client.String()]
	if !ok || svc.Client.Instance != ix.conf.Instance {
		g.fail(w, r, "client", xerr(xroad.TypeClientProxyUnknownMember, fmt.Sprintf("the global configuration has no subsystem %s", svc.Client)), rec)
		return
	}
	peer, ok := ix.gateways[prov.Gateway]
	if !ok {
		g.fail(w, r, "client", xerr(xroad.TypeClientProxyUnknownMember, fmt.Sprintf("subsystem %s is not served by any gateway", svc.Client)), rec)
		return
	}
	maxBody := g.MaxBody
	if maxBody <= 0 {
		maxBody = 100 << 20
	}
	if r.ContentLength > maxBody {
		g.fail(w, r, "client", xerr(xroad.TypeClientProxyBodyTooLarge, fmt.Sprintf("request body of %d bytes is over this gateway's limit of %d bytes", r.ContentLength, maxBody)), rec)
		return
	}

	out := xroad.FilterHeaders(r.Header)
	out.Set(xroad.HeaderClient, client.Encode())
	out.Set(xroad.HeaderID, msgID)
	target := "https://" + peer.Address + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	var body io.Reader = http.NoBody
	hasBody := r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
	if hasBody {
		body = http.MaxBytesReader(w, r.Body, maxBody)
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, target, body)
	if err != nil {
		g.fail(w, r, "client", xerr(xroad.TypeBadRequest, "cannot forward the request: "+err.Error()), rec)
		return
	}
	req.Header = out
	req.ContentLength = r.ContentLength
	if !hasBody {
		req.ContentLength = 0
	}
	hasher := xroad.NewRequestHasher(req.Method, req.URL.RequestURI(), out)
	if hasBody {
		req.Body = hasher.TeeBody(req.Body)
	}
	reqBody := newBodyHash(nil)
	if hasBody {
		req.Body = reqBody.tee(req.Body)
	}
	resp, err := g.transport(peer).RoundTrip(req)
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			g.fail(w, r, "client", xerr(xroad.TypeClientProxyBodyTooLarge, fmt.Sprintf("request body is over this gateway's limit of %d bytes", maxBody)), rec)
		case isTLSError(err):
			g.fail(w, r, "client", xerr(xroad.TypeClientProxySslAuthenticationFailed, fmt.Sprintf("cannot authenticate gateway %s: %v", peer.ID, err)), rec)
		default:
			g.fail(w, r, "client", xerr(xroad.TypeClientProxyNetworkError, fmt.Sprintf("cannot reach gateway %s at %s: %v", peer.ID, peer.Address, err)), rec)
		}
		return
	}
	defer resp.Body.Close()
	rec.RequestHash = hasher.Sum()
	rec.RequestBodyHash = reqBody.sum()
	if et := resp.Header.Get(xroad.HeaderError); et == "" {
		if got := resp.Header.Get(xroad.HeaderRequestHash); got != rec.RequestHash {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			g.fail(w, r, "client", xerr(xroad.TypeClientProxyInconsistentResponse, fmt.Sprintf("the provider gateway's X-Road-Request-Hash %q does not match the request sent", got)), rec)
			return
		}
	} else {
		rec.ErrorType = et
	}
	g.relay(w, r, "client", resp, rec, false)
}

// relay writes the response to w, streaming the body, and records it in
// the message log before the last bytes leave: an answer that reached its
// client is always in the log.
func (g *Gateway) relay(w http.ResponseWriter, r *http.Request, side string, resp *http.Response, rec *msglog.Record, keepBody bool) {
	h := w.Header()
	for k, vs := range xroad.FilterHeaders(resp.Header) {
		h[k] = vs
	}
	if rh := resp.Header.Get(xroad.HeaderRequestHash); rh != "" {
		h.Set(xroad.HeaderRequestHash, rh)
	}
	if resp.ContentLength >= 0 && resp.Header.Get("Content-Length") != "" {
		h.Set("Content-Length", resp.Header.Get("Content-Length"))
	}
	rec.ResponseHeadersHash = headersHash(resp.StatusCode, resp.Header)
	w.WriteHeader(resp.StatusCode)
	rb := newBodyHash(nil)
	if keepBody {
		rb.keep = true
	}
	err := copyHoldingLast(w, rb.tee(resp.Body), func() error {
		rec.Status, rec.Finished, rec.ResponseBodyHash = resp.StatusCode, g.now(), rb.sum()
		if keepBody {
			rec.ResponseBody = []byte(rb.kept.String())
		}
		return g.msgs.Append(r.Context(), *rec)
	})
	g.metrics.observe(g.ID, side, rec.Client, rec.Service, resp.StatusCode, rec.ErrorType, g.now().Sub(rec.Started))
	if err != nil {
		g.log.Error("exchange: relay response", "gateway", g.ID, "side", side, "id", rec.MessageID, "err", err)
		// The client must not receive a complete answer that is not in the
		// log: break the response.
		panic(http.ErrAbortHandler)
	}
}

// copyHoldingLast copies src to dst but holds back the last chunk until
// beforeLast returns nil.
func copyHoldingLast(dst http.ResponseWriter, src io.Reader, beforeLast func() error) error {
	bufs := [2][]byte{make([]byte, 32<<10), make([]byte, 32<<10)}
	var pending []byte
	cur := 0
	for {
		n, err := src.Read(bufs[cur])
		if n > 0 {
			if pending != nil {
				if _, werr := dst.Write(pending); werr != nil {
					return werr
				}
			}
			pending = bufs[cur][:n]
			cur ^= 1
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if err := beforeLast(); err != nil {
		return err
	}
	if pending != nil {
		if _, err := dst.Write(pending); err != nil {
			return err
		}
	}
	return nil
}

// bodyHash hashes (and optionally keeps) a body as it streams.
type bodyHash struct {
	h    hash.Hash
	n    int64
	keep bool
	kept strings.Builder
}

func newBodyHash(_ []byte) *bodyHash { return &bodyHash{h: sha256.New()} }

func (b *bodyHash) Write(p []byte) (int, error) {
	b.n += int64(len(p))
	b.h.Write(p)
	if b.keep && b.kept.Len() < 1<<20 {
		b.kept.Write(p)
	}
	return len(p), nil
}

func (b *bodyHash) tee(rc io.ReadCloser) io.ReadCloser {
	return struct {
		io.Reader
		io.Closer
	}{io.TeeReader(rc, b), rc}
}

func (b *bodyHash) sum() string {
	if b.n == 0 {
		return ""
	}
	return hex.EncodeToString(b.h.Sum(nil))
}

func headersHash(status int, h http.Header) string {
	s := sha256.New()
	fmt.Fprintf(s, "%d\n", status)
	for _, k := range sortedKeys(h) {
		for _, v := range h[k] {
			fmt.Fprintf(s, "%s: %s\n", strings.ToLower(k), v)
		}
	}
	return hex.EncodeToString(s.Sum(nil))
}

func isTLSError(err error) bool {
	var ce *tls.CertificateVerificationError
	var ae tls.AlertError
	return errors.As(err, &ce) || errors.As(err, &ae) || strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "certificate")
}
