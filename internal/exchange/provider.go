package exchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/exchange/xroad"
	"github.com/vngov/vngov/internal/platform/pki"
)

// Metadata service codes (X-Road service metadata protocol for REST).
const (
	metaListMethods    = "listMethods"
	metaAllowedMethods = "allowedMethods"
	metaGetOpenAPI     = "getOpenAPI"
)

// ProviderHandler serves other gateways over mutual TLS: it checks who is
// calling, the access right and the purpose, and forwards to the backend.
func (g *Gateway) ProviderHandler() http.Handler { return http.HandlerFunc(g.serveProvider) }

func (g *Gateway) serveProvider(w http.ResponseWriter, r *http.Request) {
	start := g.now()
	side := "provider"
	ix := g.conf.current(start)
	if ix == nil {
		g.fail(w, r, side, xerr(xroad.TypeServerProxyOutdatedGlobalConf, "the provider gateway has no valid global configuration"), nil)
		return
	}
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		g.fail(w, r, side, xerr(xroad.TypeServerProxySslAuthenticationFailed, "the provider side accepts only gateways authenticated with mutual TLS"), nil)
		return
	}
	peer, ok := ix.byFingerprint[pki.Fingerprint(r.TLS.PeerCertificates[0])]
	if !ok {
		g.fail(w, r, side, xerr(xroad.TypeServerProxySslAuthenticationFailed, "the calling gateway's certificate is not registered in the global configuration"), nil)
		return
	}
	client, xe := clientIDOf(r)
	if xe != nil {
		g.fail(w, r, side, xe, nil)
		return
	}
	if s, ok := ix.subsystems[client.String()]; !ok || s.Gateway != peer.ID {
		g.fail(w, r, side, xerr(xroad.TypeServerProxySslAuthenticationFailed, fmt.Sprintf("the client certificate (gateway %s) does not belong to the claimed client %s", peer.ID, client)), nil)
		return
	}
	svc, rest, err := xroad.ParseServicePath(r.URL.EscapedPath())
	if err != nil {
		g.fail(w, r, side, xerr(xroad.TypeBadRequest, err.Error()), nil)
		return
	}
	rec := &msglog.Record{Side: side, MessageID: r.Header.Get(xroad.HeaderID), Client: client.String(), Service: svc.String(), UserID: r.Header.Get(xroad.HeaderUserID),
		Issue: r.Header.Get(xroad.HeaderIssue), RepresentedParty: r.Header.Get(xroad.HeaderRepresentedParty), Method: r.Method, Path: r.URL.RequestURI(), Started: start}
	if s, ok := ix.subsystems[svc.Client.String()]; !ok || s.Gateway != g.ID {
		g.fail(w, r, side, xerr(xroad.TypeServerProxyUnknownService, fmt.Sprintf("subsystem %s is not served by this gateway (%s)", svc.Client, g.ID)), rec)
		return
	}
	idx := g.index.Load()
	switch svc.Service {
	case metaListMethods, metaAllowedMethods, metaGetOpenAPI:
		g.metadata(w, r, svc, client, ix, idx, rec)
		return
	}
	entry := idx.byID[svc.Client.String()+"/"+svc.Service]
	if entry == nil {
		g.fail(w, r, side, xerr(xroad.TypeServerProxyUnknownService, fmt.Sprintf("no service %s is registered at this gateway", svc)), rec)
		return
	}
	path := "/"
	if rest != "" {
		if path, err = xroad.NormalizePath(rest); err != nil {
			g.fail(w, r, side, xerr(xroad.TypeBadRequest, err.Error()), rec)
			return
		}
	}
	if !allowed(entry, client.String(), ix.groupsOf[client.String()], r.Method, path) {
		g.fail(w, r, side, xerr(xroad.TypeServerProxyAccessDenied, fmt.Sprintf("client %s has no access right to %s %s of service %s: ask the provider to grant it", client, r.Method, path, svc)), rec)
		return
	}
	if entry.PersonalData && (rec.Issue == "" || rec.UserID == "") {
		g.fail(w, r, side, xerr(xroad.TypeBadRequest, fmt.Sprintf("service %s carries personal data: send X-Road-Issue (the case, e.g. the dossier code) and X-Road-UserId (the official)", svc)), rec)
		return
	}
	if r.ContentLength > entry.MaxBody {
		g.fail(w, r, side, xerr(xroad.TypeServerProxyBodyTooLarge, fmt.Sprintf("request body of %d bytes is over service %s's limit of %d bytes", r.ContentLength, svc, entry.MaxBody)), rec)
		return
	}

	in := xroad.FilterHeaders(r.Header)
	hasher := xroad.NewRequestHasher(r.Method, r.URL.RequestURI(), in)
	hasBody := r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
	reqBody := newBodyHash(nil)
	reqBody.keep = entry.LogBodies
	var body io.ReadCloser = http.NoBody
	if hasBody {
		body = reqBody.tee(hasher.TeeBody(http.MaxBytesReader(w, r.Body, entry.MaxBody)))
	}
	// The backend gets the normalised path that the access check saw, so
	// that "..", "%2e%2e" or "//" cannot reach what the right does not cover.
	target := strings.TrimRight(entry.BackendURL, "/")
	if rest != "" {
		target += xroad.EscapePath(path)
	}
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	ctx, cancel := context.WithTimeout(r.Context(), entry.Timeout)
	defer cancel()
	breq, err := http.NewRequestWithContext(ctx, r.Method, target, body)
	if err != nil {
		g.fail(w, r, side, xerr(xroad.TypeServerProxyServiceFailed, "cannot build the backend request: "+err.Error()), rec)
		return
	}
	breq.Header = in
	breq.ContentLength = r.ContentLength
	if !hasBody {
		breq.ContentLength = 0
	}
	resp, err := g.backend.Do(breq)
	if err != nil {
		var mbe *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &mbe):
			g.fail(w, r, side, xerr(xroad.TypeServerProxyBodyTooLarge, fmt.Sprintf("request body is over service %s's limit of %d bytes", svc, entry.MaxBody)), rec)
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
			g.fail(w, r, side, xerr(xroad.TypeServerProxyServiceFailed, fmt.Sprintf("service %s did not answer within %s", svc, entry.Timeout)), rec)
		default:
			g.fail(w, r, side, xerr(xroad.TypeServerProxyNetworkError, fmt.Sprintf("cannot reach the backend of service %s: %v", svc, err)), rec)
		}
		return
	}
	defer resp.Body.Close()
	// The request hash covers the whole request body, including any part
	// the backend did not read.
	if hasBody {
		io.Copy(io.Discard, body)
	}
	rec.RequestHash, rec.RequestBodyHash = hasher.Sum(), reqBody.sum()
	if entry.LogBodies {
		rec.RequestBody = []byte(reqBody.kept.String())
	}
	h := w.Header()
	h.Set(xroad.HeaderClient, client.Encode())
	h.Set(xroad.HeaderService, svc.Encode())
	h.Set(xroad.HeaderID, rec.MessageID)
	h.Set(xroad.HeaderRequestID, uuid.NewString())
	h.Set(xroad.HeaderRequestHash, rec.RequestHash)
	// The backend's own X-Road headers are overwritten (the protocol says so).
	for _, k := range []string{xroad.HeaderClient, xroad.HeaderService, xroad.HeaderID, xroad.HeaderRequestID, xroad.HeaderRequestHash, xroad.HeaderError} {
		resp.Header.Del(k)
	}
	g.relay(w, r, side, resp, rec, entry.LogBodies)
}

// allowed reports whether client (or one of its groups) holds a right on
// an endpoint of entry that matches method and path.
func allowed(entry *serviceEntry, client string, groups []string, method, path string) bool {
	for _, a := range entry.access {
		if a.Subject != client && !(strings.HasPrefix(a.Subject, "group:") && hasGroup(groups, strings.TrimPrefix(a.Subject, "group:"))) {
			continue
		}
		if a.Endpoint.Path == "**" && (a.Endpoint.Method == "*" || strings.EqualFold(a.Endpoint.Method, method)) {
			return true
		}
		if xroad.MatchEndpoint(a.Endpoint.Method, a.Endpoint.Path, method, path) {
			return true
		}
	}
	return false
}

func hasGroup(groups []string, code string) bool {
	for _, g := range groups {
		if g == code {
			return true
		}
	}
	return false
}

func sortedKeys(h http.Header) []string {
	ks := make([]string, 0, len(h))
	for k := range h {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
