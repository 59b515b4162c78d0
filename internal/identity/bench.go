package identity

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/vngov/vngov/internal/identity/secret"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/config"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/loadgen"
	"github.com/vngov/vngov/internal/platform/vnid"
	"github.com/vngov/vngov/internal/platform/web"
)

// Bench measures the identity provider against its targets in one run,
// over HTTP on loopback, with the load generator in the same process:
//
//   - client_credentials with private_key_jwt: a machine client that
//     registered an RSA public key signs a fresh assertion (RS256, new jti)
//     for every request, as a real client must; that signing is the
//     client's cost and is included, so the figure is tokens/s as the
//     clients see them (target: 2,000/s);
//   - introspection of those access tokens by a resource server
//     (client_secret_basic), opt.Concurrency clients (target: 10,000/s);
//   - password sign-in: the real sign-in form POST /login for level-1
//     accounts, answered with the session cookie and the redirect
//     (logins/s), and the share of the provider's CPU during that phase
//     spent outside password hashing (target: under 10%).
//
// The share is read from a CPU profile of the sign-in phase (runtime/pprof
// into a buffer, decoded here with protowire: github.com/google/pprof is
// not a requirement of the module): samples whose stack runs argon2 are
// the hashing; samples of the load generator's own goroutines (loadgen's
// workers, the HTTP clients' connections) are left out; everything else
// (handlers, store, audit, sessions, the HTTP server, the runtime and its
// garbage collector) is the non-hash part. When no profile can be taken
// (vngov bench --cpuprofile already runs one), the share is estimated as
// 1 − (argon2 CPU time per verification × logins/s ÷ CPU used), with the
// argon2 time measured apart, on all cores, just before the phase, and the
// CPU from runtime/metrics; that estimate is rough (argon2 apart does not
// run at the speed it runs under load, and the load generator counts as
// non-hash).
func Bench(ctx context.Context, opt loadgen.Options) (string, error) {
	if opt.Concurrency <= 0 {
		opt.Concurrency = 32
	}
	if opt.Duration <= 0 {
		opt.Duration = 10 * time.Second
	}
	dir, err := os.MkdirTemp("", "vngov-bench-identity-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	cfg := &config.Config{DataDir: dir, DatabaseURL: opt.DatabaseURL, SQLiteSync: "full", NATSReplicas: 1, Roles: "identity", LogLevel: "error",
		Instance: "VN-BENCH", AdminToken: "bench", Listen: "127.0.0.1:0"}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	k, err := kernel.Open(ctx, cfg, log)
	if err != nil {
		return "", err
	}
	defer k.Close()
	mux := http.NewServeMux()
	srv := web.NewServer("identity", "127.0.0.1:0", k.Handler("identity", mux, CrossOriginBypass...), log)
	if err := srv.Start(); err != nil {
		return "", err
	}
	defer srv.Shutdown(context.Background())
	c, err := NewComponent(k)
	if err != nil {
		return "", err
	}
	c.Issuer = srv.URL()
	if err := k.Start(ctx, c); err != nil {
		return "", err
	}
	c.Routes(mux)
	// zitadel/oidc logs refused requests through slog's default logger;
	// the requests the load generator cuts short at the end of each
	// phase would fill the output.
	prevLog := slog.Default()
	slog.SetDefault(log)
	defer slog.SetDefault(prevLog)
	issuer := c.Provider.Issuer()
	s := c.Svc
	who := audit.Actor{Subject: "system:bench"}
	fmt.Printf("provider %s (store %s), %d clients, GOMAXPROCS %d\n", issuer, k.DB.Dialect(), opt.Concurrency, runtime.GOMAXPROCS(0))

	// The machine client (private_key_jwt) and the resource server
	// (client_secret_basic) that introspects its tokens.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "bench-1", Algorithm: string(jose.RS256), Use: "sig"}}})
	if _, _, err := s.CreateClient(ctx, who, Client{ID: "bench-machine", Name: "Hệ thống đo tải", Purpose: "Đo hiệu năng", Type: Confidential,
		AuthMethod: AuthPrivateKeyJWT, JWKS: jwks, GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"vngov.api"}, MinLevel: 1}); err != nil {
		return "", err
	}
	_, rsSecret, err := s.CreateClient(ctx, who, Client{ID: "bench-resource", Name: "Máy chủ tài nguyên đo tải", Purpose: "Đo hiệu năng", Type: Confidential,
		AuthMethod: AuthSecretBasic, GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"vngov.api"}, MinLevel: 1})
	if err != nil {
		return "", err
	}

	// Level-1 citizens for the sign-in.
	type login struct{ user, password string }
	var logins []login
	for i := range 8 {
		id, err := vnid.NewPersonalID("001", vnid.Female, 1990, 700000+i)
		if err != nil {
			return "", err
		}
		pw := fmt.Sprintf("do-tai-hoa-sen-%02d-ho-guom", i)
		if _, err := s.CreateAccount(ctx, who, NewAccount{Kind: Citizen, PersonalID: id.String(), FullName: "Phạm Thị Đo Tải", BirthDate: "1990-06-15",
			Sex: vnid.Female, Password: pw, Verified: true}); err != nil {
			return "", err
		}
		logins = append(logins, login{id.String(), pw})
	}

	httpc := loadgen.Client(opt.Concurrency)
	warm := min(opt.Duration/5, 2*time.Second)

	// ---------------------------------------------------------------- client_credentials
	signers := make([]jose.Signer, opt.Concurrency)
	for i := range signers {
		if signers[i], err = jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "bench-1"}}, (&jose.SignerOptions{}).WithType("JWT")); err != nil {
			return "", err
		}
	}
	const poolSize = 4096
	var pool []string
	var poolMu sync.Mutex
	var jti atomic.Uint64
	tokenURL := issuer + PathToken
	cc := func(ctx context.Context, w, i int) error {
		now := time.Now()
		claims, _ := json.Marshal(map[string]any{"iss": "bench-machine", "sub": "bench-machine", "aud": issuer,
			"jti": fmt.Sprintf("b%d-%d", now.UnixNano(), jti.Add(1)), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
		sig, err := signers[w].Sign(claims)
		if err != nil {
			return err
		}
		assertion, _ := sig.CompactSerialize()
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"vngov.api"},
			"client_assertion_type": {oidc.ClientAssertionTypeJWTAssertion}, "client_assertion": {assertion}}
		var out struct {
			AccessToken string `json:"access_token"`
		}
		if err := postJSON(ctx, httpc, tokenURL, form, nil, &out); err != nil {
			return err
		}
		if out.AccessToken == "" {
			return errors.New("no access_token")
		}
		poolMu.Lock()
		if len(pool) < poolSize {
			pool = append(pool, out.AccessToken)
		}
		poolMu.Unlock()
		return nil
	}
	loadgen.Run(ctx, warm, opt.Concurrency, cc)
	cpu0 := cpuUsed()
	ccRes := loadgen.Run(ctx, opt.Duration, opt.Concurrency, cc)
	fmt.Println("client_credentials, private_key_jwt (RS256 assertion signed per request):", ccRes, cores(cpu0, ccRes))
	if ccRes.Errors > 0 || len(pool) == 0 {
		return "", fmt.Errorf("client_credentials: %d errors (first: %v), %d tokens", ccRes.Errors, ccRes.FirstErr, len(pool))
	}

	// ---------------------------------------------------------------- introspection
	introspectURL := issuer + PathIntrospect
	basic := func(r *http.Request) { r.SetBasicAuth("bench-resource", rsSecret) }
	introspect := func(ctx context.Context, w, i int) error {
		var out struct {
			Active   bool   `json:"active"`
			ClientID string `json:"client_id"`
		}
		if err := postJSON(ctx, httpc, introspectURL, url.Values{"token": {pool[(w*7919+i)%len(pool)]}}, basic, &out); err != nil {
			return err
		}
		if !out.Active || out.ClientID != "bench-machine" {
			return fmt.Errorf("introspection: active %v client %q", out.Active, out.ClientID)
		}
		return nil
	}
	loadgen.Run(ctx, warm, opt.Concurrency, introspect)
	cpu0 = cpuUsed()
	inRes := loadgen.Run(ctx, opt.Duration, opt.Concurrency, introspect)
	fmt.Println("introspection, client_secret_basic:                                    ", inRes, cores(cpu0, inRes))
	if inRes.Errors > 0 {
		return "", fmt.Errorf("introspection: %d errors (first: %v)", inRes.Errors, inRes.FirstErr)
	}

	// ---------------------------------------------------------------- password sign-in
	noFollow := loadgen.Client(opt.Concurrency)
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	loginURL := issuer + "/login"
	signIn := func(ctx context.Context, w, i int) error {
		l := logins[(w+i)%len(logins)]
		form := url.Values{"authRequestID": {""}, "next": {"/account"}, "username": {l.user}, "password": {l.password}}
		req, _ := http.NewRequestWithContext(ctx, "POST", loginURL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Origin", issuer)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := noFollow.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" {
			return fmt.Errorf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		for _, ck := range resp.Cookies() {
			if ck.Name == sessionCookie && ck.Value != "" {
				return nil
			}
		}
		return errors.New("sign-in: no session cookie")
	}
	// argon2 alone, on every core at once as under load, for the estimate
	// (and for the record): CPU time per verification.
	hash, err := secret.Hash(logins[0].password)
	if err != nil {
		return "", err
	}
	procs := runtime.GOMAXPROCS(0)
	const hashRuns = 6
	var bad atomic.Bool
	var wg sync.WaitGroup
	verify := func(runs int) {
		for range procs {
			wg.Go(func() {
				for range runs {
					if ok, _, _ := secret.Verify(hash, logins[0].password); !ok {
						bad.Store(true)
					}
				}
			})
		}
		wg.Wait()
	}
	time.Sleep(200 * time.Millisecond) // the previous phase's last requests
	verify(2)                          // warm: the heap grows to hold the hashes' memory
	hc0 := cpuUsed()
	verify(hashRuns)
	if bad.Load() {
		return "", errors.New("secret.Verify refused its own hash")
	}
	// CPU time by the runtime's own account (busy Ps), as the phase's CPU
	// below: the two are measured alike.
	perHash := (cpuUsed() - hc0) / float64(procs*hashRuns)
	loadgen.Run(ctx, warm, opt.Concurrency, signIn)

	var prof bytes.Buffer
	profiling := pprof.StartCPUProfile(&prof) == nil
	cpu0 = cpuUsed()
	inRes2 := loadgen.Run(ctx, opt.Duration, opt.Concurrency, signIn)
	cpuSecs := cpuUsed() - cpu0
	if profiling {
		pprof.StopCPUProfile()
	}
	fmt.Println("password sign-in, POST /login (argon2id m=19 MiB t=2 p=1):             ", inRes2)
	if inRes2.Errors > 0 || inRes2.Requests == 0 {
		return "", fmt.Errorf("sign-in: %d errors (first: %v)", inRes2.Errors, inRes2.FirstErr)
	}
	fmt.Printf("CPU used during the sign-in phase: %.2f cores; argon2 alone on %d cores: %.1f ms CPU per verification\n",
		cpuSecs/inRes2.Elapsed.Seconds(), procs, perHash*1000)
	var share float64
	if profiling {
		b, err := classifyProfile(prof.Bytes())
		if err != nil {
			return "", fmt.Errorf("sign-in CPU profile: %w", err)
		}
		fmt.Printf("sign-in CPU profile (%.1f CPU-s): argon2 %.1f%%, other request handling %.1f%%, runtime and GC %.1f%%, load generator %.1f%% (left out)\n",
			b.total/1e9, 100*b.hash/b.total, 100*b.server/b.total, 100*b.runtime/b.total, 100*b.client/b.total)
		share = (b.server + b.runtime) / (b.total - b.client)
		fmt.Printf("non-hash share of the provider's CPU during sign-in (from the profile): %.3f\n", share)
	} else {
		// A rough figure: argon2 measured apart runs at another speed than
		// under load, and the load generator counts as non-hash.
		share = min(1, max(0, 1-perHash*inRes2.RPS/(cpuSecs/inRes2.Elapsed.Seconds())))
		fmt.Printf("no CPU profile could be taken (another one runs): the share is the estimate 1 - hash×rate/CPU = %.3f\n", share)
	}
	return fmt.Sprintf("cc_tokens_per_s=%.0f introspect_per_s=%.0f login_per_s=%.1f login_non_hash_cpu_share=%.3f",
		ccRes.RPS, inRes.RPS, inRes2.RPS, share), nil
}

// postJSON posts a form and decodes a 200 answer's JSON into out.
func postJSON(ctx context.Context, c *http.Client, u string, form url.Values, set func(*http.Request), out any) error {
	req, _ := http.NewRequestWithContext(ctx, "POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if set != nil {
		set(req)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %d %s", u, resp.StatusCode, bytes.TrimSpace(body))
	}
	return json.Unmarshal(body, out)
}

// cores says how many cores the process kept busy during a phase that
// started when the CPU used was cpu0.
func cores(cpu0 float64, r loadgen.Result) string {
	return fmt.Sprintf("[%.2f cores busy]", (cpuUsed()-cpu0)/r.Elapsed.Seconds())
}

// cpuUsed is the CPU time the process has used so far, in seconds
// (runtime/metrics: all CPU classes but idle).
func cpuUsed() float64 {
	s := []metrics.Sample{{Name: "/cpu/classes/total:cpu-seconds"}, {Name: "/cpu/classes/idle:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 || s[1].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return s[0].Value.Float64() - s[1].Value.Float64()
}

// ---------------------------------------------------------------- CPU profile

// cpuBreakdown is a CPU profile's time by what the stacks run.
type cpuBreakdown struct {
	samples int
	total   float64 // all samples (the profile's last value: CPU nanoseconds)
	hash    float64 // stacks running argon2 (password hashing)
	client  float64 // the load generator's goroutines (HTTP clients)
	server  float64 // the rest of the provider's request handling
	runtime float64 // neither: scheduler, garbage collector, timers
}

// classifyProfile decodes a runtime/pprof CPU profile (gzipped
// profile.proto) and sorts its samples by the functions on their stacks:
// argon2 first (hashing, wherever it runs), then the load generator's
// frames (loadgen.Run's workers and the HTTP client's connections), then
// the provider's request handling (net/http's server connections), and
// the remainder as runtime.
func classifyProfile(data []byte) (cpuBreakdown, error) {
	var b cpuBreakdown
	p, err := decodeProfile(data)
	if err != nil {
		return b, err
	}
	str := func(i int64) string {
		if i >= 0 && int(i) < len(p.strings) {
			return p.strings[i]
		}
		return ""
	}
	for _, s := range p.samples {
		if len(s.values) == 0 {
			continue
		}
		v := float64(s.values[len(s.values)-1])
		var isHash, isClient, isServer bool
		for _, loc := range s.locations {
			for _, fn := range p.locations[loc] {
				name := str(p.functions[fn])
				switch {
				case strings.HasPrefix(name, "golang.org/x/crypto/argon2."):
					isHash = true
				case strings.Contains(name, "/platform/loadgen.Run"), strings.HasPrefix(name, "net/http.(*persistConn)"), strings.HasPrefix(name, "net/http.(*Transport)"):
					isClient = true
				case strings.HasPrefix(name, "net/http.(*conn).serve"):
					isServer = true
				}
			}
		}
		b.samples++
		b.total += v
		switch {
		case isHash:
			b.hash += v
		case isClient:
			b.client += v
		case isServer:
			b.server += v
		default:
			b.runtime += v
		}
	}
	if b.samples == 0 || b.total == 0 {
		return b, errors.New("the profile has no samples")
	}
	return b, nil
}

type rawSample struct {
	locations []uint64
	values    []int64
}

type rawProfile struct {
	samples   []rawSample
	locations map[uint64][]uint64 // location id -> function ids (inlined frames included)
	functions map[uint64]int64    // function id -> name (string table index)
	strings   []string
}

// decodeProfile reads the parts of profile.proto (github.com/google/pprof,
// proto/profile.proto) the breakdown needs: Profile.sample (2),
// Profile.location (4), Profile.function (5), Profile.string_table (6);
// Sample.location_id (1), Sample.value (2); Location.id (1), Location.line
// (4) with Line.function_id (1); Function.id (1), Function.name (2).
func decodeProfile(data []byte) (*rawProfile, error) {
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, err
		}
	}
	p := &rawProfile{locations: map[uint64][]uint64{}, functions: map[uint64]int64{}}
	err := eachField(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch num {
		case 2:
			var s rawSample
			err := eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
				switch num {
				case 1:
					return eachVarint(typ, v, b, func(x uint64) { s.locations = append(s.locations, x) })
				case 2:
					return eachVarint(typ, v, b, func(x uint64) { s.values = append(s.values, int64(x)) })
				}
				return nil
			})
			p.samples = append(p.samples, s)
			return err
		case 4:
			var id uint64
			var fns []uint64
			err := eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
				switch num {
				case 1:
					id = v
				case 4:
					return eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, _ []byte) error {
						if num == 1 {
							fns = append(fns, v)
						}
						return nil
					})
				}
				return nil
			})
			p.locations[id] = fns
			return err
		case 5:
			var id uint64
			var name int64
			err := eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, _ []byte) error {
				switch num {
				case 1:
					id = v
				case 2:
					name = int64(v)
				}
				return nil
			})
			p.functions[id] = name
			return err
		case 6:
			p.strings = append(p.strings, string(b))
		}
		return nil
	})
	return p, err
}

// eachField calls fn for each field of a protobuf message: v for varint
// fields, b for length-delimited ones; fixed-width fields are skipped.
func eachField(data []byte, fn func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error) error {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return protowire.ParseError(n)
		}
		data = data[n:]
		var v uint64
		var b []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(data)
		case protowire.BytesType:
			b, n = protowire.ConsumeBytes(data)
		default:
			n = protowire.ConsumeFieldValue(num, typ, data)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		data = data[n:]
		if typ == protowire.VarintType || typ == protowire.BytesType {
			if err := fn(num, typ, v, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// eachVarint reads a repeated integer field, packed (BytesType) or not.
func eachVarint(typ protowire.Type, v uint64, b []byte, fn func(uint64)) error {
	if typ == protowire.VarintType {
		fn(v)
		return nil
	}
	for len(b) > 0 {
		x, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		fn(x)
		b = b[n:]
	}
	return nil
}
