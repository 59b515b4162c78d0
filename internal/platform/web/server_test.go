package web

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestServerStartShutdown(t *testing.T) {
	streaming := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "xin chào")
	})
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: hello\n\n")
		http.NewResponseController(w).Flush()
		close(streaming)
		select {
		case <-Draining(r.Context()):
		case <-r.Context().Done():
		}
	})
	s := NewServer("test", "127.0.0.1:0", Wrap(mux, Options{}), nil)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err == nil {
		t.Error("a second Start succeeded")
	}
	_, port, err := net.SplitHostPort(s.Addr())
	if err != nil || port == "0" {
		t.Fatalf("Addr = %q", s.Addr())
	}
	if s.URL() != "http://127.0.0.1:"+port {
		t.Errorf("URL = %q", s.URL())
	}

	resp, err := http.Get(s.URL() + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "xin chào" || resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("GET /hello: %d %q %v", resp.StatusCode, b, resp.Header)
	}

	// An open event stream must end when the server drains, not hold the
	// shutdown until its deadline.
	stream, err := http.Get(s.URL() + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	<-streaming

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	if err := s.Wait(); err != nil {
		t.Errorf("Wait = %v", err)
	}
	if _, err := http.Get(s.URL() + "/hello"); err == nil {
		t.Error("the server still answers after Shutdown")
	}
}

func TestServerSettings(t *testing.T) {
	s := NewServer("test", ":0", http.NotFoundHandler(), nil)
	hs := s.HTTP()
	if hs.ReadHeaderTimeout != ReadHeaderTimeout || hs.IdleTimeout != IdleTimeout || hs.WriteTimeout != 0 {
		t.Errorf("timeouts: header %v idle %v write %v", hs.ReadHeaderTimeout, hs.IdleTimeout, hs.WriteTimeout)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf("URL of a wildcard listener = %q", s.URL())
	}
}

func TestServerListenError(t *testing.T) {
	a := NewServer("a", "127.0.0.1:0", http.NotFoundHandler(), nil)
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(context.Background())
	b := NewServer("b", a.Addr(), http.NotFoundHandler(), nil)
	if err := b.Start(); err == nil {
		b.Shutdown(context.Background())
		t.Fatal("two servers listen on one port")
	}
	if err := b.Wait(); err != nil {
		t.Errorf("Wait of a server that never started = %v", err)
	}
}
