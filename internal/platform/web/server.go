package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Timeouts and limits of every Server.
//
// There is deliberately no WriteTimeout: it would cut server-sent event
// streams and large downloads at a fixed age. A handler that needs a write
// deadline sets one itself with http.ResponseController.SetWriteDeadline, and
// a long-lived handler ends when Draining(ctx) is closed.
const (
	ReadHeaderTimeout = 10 * time.Second  // slow-loris guard: the headers must arrive quickly
	IdleTimeout       = 120 * time.Second // how long a keep-alive connection may wait for its next request
	MaxHeaderBytes    = 1 << 20
)

// Server is one named HTTP listener of the vngov process (portal, console,
// catalog, a gateway...), with sane timeouts and a graceful shutdown.
type Server struct {
	name string
	log  *slog.Logger
	srv  *http.Server

	mu       sync.Mutex
	ln       net.Listener
	started  bool
	tls      bool          // decided at Start: Serve itself fills in TLSConfig
	done     chan struct{} // closed when Serve returns
	serveErr error

	drainOnce sync.Once
	draining  chan struct{}
}

// NewServer returns a server named name (used in logs) that will listen on
// addr ("127.0.0.1:0" picks a free port) and serve h. A nil log means
// slog.Default().
func NewServer(name, addr string, h http.Handler, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	log = log.With(slog.String("server", name))
	s := &Server{
		name:     name,
		log:      log,
		done:     make(chan struct{}),
		draining: make(chan struct{}),
	}
	s.srv = &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context {
			return context.WithValue(context.Background(), drainKey{}, s.draining)
		},
	}
	return s
}

// HTTP returns the underlying http.Server, for settings such as TLSConfig
// (a gateway's mutual TLS) that must be made before Start. When TLSConfig is
// set, Start serves TLS with the certificates it holds.
func (s *Server) HTTP() *http.Server { return s.srv }

// Start listens and serves in the background. It returns once the listener
// is open, so Addr reports the real port and clients can connect at once.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return fmt.Errorf("web: server %s: already started", s.name)
	}
	ln, err := net.Listen("tcp", s.srv.Addr)
	if err != nil {
		return fmt.Errorf("web: server %s: listen on %s: %w", s.name, s.srv.Addr, err)
	}
	s.ln = ln
	s.started = true
	s.tls = s.srv.TLSConfig != nil
	tls := s.tls
	go func() {
		defer close(s.done)
		var err error
		if tls {
			err = s.srv.ServeTLS(ln, "", "")
		} else {
			err = s.srv.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		if err != nil {
			s.log.Error("server stopped", slog.Any("error", err))
		}
		s.mu.Lock()
		s.serveErr = err
		s.mu.Unlock()
	}()
	s.log.Info("server listening", slog.String("addr", ln.Addr().String()), slog.Bool("tls", tls))
	return nil
}

// Addr returns the address the server listens on, with the real port once
// started; before Start it is the configured address.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return s.ln.Addr().String()
	}
	return s.srv.Addr
}

// URL returns the base URL clients use to reach the server, such as
// "http://127.0.0.1:8080"; a wildcard listen address is reported as
// 127.0.0.1 so the URL can be printed and followed.
func (s *Server) URL() string {
	s.mu.Lock()
	tls := s.tls || !s.started && s.srv.TLSConfig != nil
	s.mu.Unlock()
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(s.Addr())
	if err != nil {
		return scheme + "://" + s.Addr()
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// Wait blocks until the server stops serving and returns why, nil after a
// Shutdown. It returns at once for a server that was never started.
func (s *Server) Wait() error {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return nil
	}
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serveErr
}

// Shutdown stops accepting connections, signals long-lived handlers through
// Draining, and waits for in-flight requests until ctx ends; then it closes
// whatever is left and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.drainOnce.Do(func() { close(s.draining) })
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
		err = fmt.Errorf("web: server %s: shutdown: %w", s.name, err)
	}
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if started {
		<-s.done
	}
	s.log.Info("server stopped")
	return err
}

type drainKey struct{}

// Draining returns a channel that is closed when the server handling the
// request behind ctx begins to shut down. Streaming handlers (server-sent
// events) select on it to end their stream so the shutdown can complete.
// Outside a Server it returns nil, a channel that never closes.
func Draining(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(drainKey{}).(chan struct{})
	return ch
}
