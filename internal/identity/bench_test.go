package identity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"regexp"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/identity/secret"
	"github.com/vngov/vngov/internal/platform/loadgen"
)

// TestClassifyProfile decodes a real CPU profile of argon2 and of other
// work, and finds both.
func TestClassifyProfile(t *testing.T) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Skipf("a CPU profile runs already: %v", err)
	}
	deadline := time.Now().Add(400 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for time.Now().Before(deadline) {
			secret.Hash("mot-mat-khau-dai-du-1")
		}
	}()
	sum := sha256.Sum256(nil)
	for time.Now().Before(deadline) {
		sum = sha256.Sum256(sum[:])
	}
	<-done
	pprof.StopCPUProfile()
	b, err := classifyProfile(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if b.hash <= 0 || b.server+b.runtime <= 0 || b.hash >= b.total {
		t.Fatalf("breakdown %+v: want both argon2 and other work", b)
	}
	if d := b.total - (b.hash + b.client + b.server + b.runtime); d != 0 {
		t.Fatalf("the parts do not add up: %+v", b)
	}
}

// TestBench runs the benchmark briefly: every phase must work and the
// last line must carry the four figures.
func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a provider and loads it for a few seconds")
	}
	line, err := Bench(context.Background(), loadgen.Options{Duration: 300 * time.Millisecond, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^cc_tokens_per_s=(\d+) introspect_per_s=(\d+) login_per_s=([0-9.]+) login_non_hash_cpu_share=([0-9.]+)$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("last line %q", line)
	}
	for _, v := range m[1:4] {
		if f, _ := strconv.ParseFloat(v, 64); f <= 0 {
			t.Errorf("a rate is zero: %q", line)
		}
	}
	if f, _ := strconv.ParseFloat(m[4], 64); f < 0 || f > 1 {
		t.Errorf("share out of range: %q", line)
	}
}
