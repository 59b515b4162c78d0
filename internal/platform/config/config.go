// Package config holds vngov's settings. Each setting has a command-line
// flag and a VNGOV_* environment variable (the flag wins); secrets can also
// be read from a file named by VNGOV_*_FILE, so they need not sit in the
// environment. Settings() lists them all; the README's configuration table
// is made from it (`vngov help config`).
package config

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Config is the process's settings.
type Config struct {
	DataDir      string
	DatabaseURL  string
	SQLiteSync   string
	NATSURL      string
	NATSReplicas int
	Listen       string
	Roles        string
	Instance     string
	AdminToken   string
	LogLevel     string
	TrustProxy   bool
	PublicURL    string
	TrustAnchor  string
	GatewayID    string
	GatewayName  string
	GatewayIS    string
	GatewayPeer  string
	LogRetention int
	RegistryAddr string
	// Payments: the secret shared with the payment provider, the
	// provider's address and how long a payment stays payable.
	PaymentSecret      string
	PaymentProviderURL string
	PaymentTTLMinutes  int
	// Portal: its client at the identity provider and its session key.
	PortalIssuer       string
	PortalClientID     string
	PortalClientSecret string
	PortalSessionKey   string
	// Email: the SMTP server notifications and one-time codes go through.
	SMTPAddr       string
	SMTPFrom       string
	SMTPUsername   string
	SMTPPassword   string
	SMTPRequireTLS bool
}

// Setting describes one setting.
type Setting struct {
	Flag    string
	Env     string
	Default string
	Secret  bool // may come from Env + "_FILE"
	Usage   string
	target  func(c *Config) any
}

// Settings lists every setting.
func Settings() []Setting {
	return []Setting{
		{"data-dir", "VNGOV_DATA_DIR", "./vngov-data", false, "Directory for the SQLite database, the embedded NATS store, keys and endpoints.json.", func(c *Config) any { return &c.DataDir }},
		{"database-url", "VNGOV_DATABASE_URL", "", true, "PostgreSQL URL (postgres://user:pass@host/db). Empty: SQLite in the data directory.", func(c *Config) any { return &c.DatabaseURL }},
		{"sqlite-sync", "VNGOV_SQLITE_SYNC", "full", false, "SQLite synchronous mode: full (a commit survives a power cut) or normal (survives a crash of the process; faster).", func(c *Config) any { return &c.SQLiteSync }},
		{"nats-url", "VNGOV_NATS_URL", "", true, "NATS cluster URL(s), comma-separated. Empty: an embedded NATS server with its store in the data directory.", func(c *Config) any { return &c.NATSURL }},
		{"nats-replicas", "VNGOV_NATS_REPLICAS", "1", false, "Replicas of the event stream on a NATS cluster (3 in production).", func(c *Config) any { return &c.NATSReplicas }},
		{"listen", "VNGOV_LISTEN", "127.0.0.1:8080", false, "Address that `serve` listens on.", func(c *Config) any { return &c.Listen }},
		{"roles", "VNGOV_ROLES", "all", false, "Components this process runs, comma-separated (catalog, ...), or all.", func(c *Config) any { return &c.Roles }},
		{"instance", "VNGOV_INSTANCE", "VN", false, "Exchange instance identifier (VN in production, e.g. VN-TEST elsewhere).", func(c *Config) any { return &c.Instance }},
		{"admin-token", "VNGOV_ADMIN_TOKEN", "", true, "Bearer token for administrative APIs until the identity provider issues credentials. Empty: administrative writes are refused.", func(c *Config) any { return &c.AdminToken }},
		{"log-level", "VNGOV_LOG_LEVEL", "info", false, "Log level: debug, info, warn, error.", func(c *Config) any { return &c.LogLevel }},
		{"public-url", "VNGOV_PUBLIC_URL", "", false, "URL at which other nodes reach this one (the hub's address in its trust anchor). Empty: http://<listen>.", func(c *Config) any { return &c.PublicURL }},
		{"trust-anchor", "VNGOV_TRUST_ANCHOR", "", false, "Exchange trust anchor file (from the hub: hub/trust-anchor.json). Empty: the hub's own, when this process runs the hub.", func(c *Config) any { return &c.TrustAnchor }},
		{"gateway-id", "VNGOV_GATEWAY_ID", "", false, "This gateway's identifier CLASS/MEMBER/SERVERCODE, as registered at the hub (role gateway).", func(c *Config) any { return &c.GatewayID }},
		{"gateway-name", "VNGOV_GATEWAY_NAME", "", false, "A name for this gateway in logs and pages.", func(c *Config) any { return &c.GatewayName }},
		{"gateway-client-listen", "VNGOV_GATEWAY_CLIENT_LISTEN", "127.0.0.1:8110", false, "Address where the agency's information systems call the gateway (plain HTTP; keep it on loopback or a private network).", func(c *Config) any { return &c.GatewayIS }},
		{"gateway-listen", "VNGOV_GATEWAY_LISTEN", "0.0.0.0:8443", false, "Address of the gateway's provider side, where other gateways connect with mutual TLS.", func(c *Config) any { return &c.GatewayPeer }},
		{"msglog-retention-days", "VNGOV_MSGLOG_RETENTION_DAYS", "0", false, "Days the exchange message log stays in the database; older days are archived (signed zip per day, <data-dir>/msglog-archive) and then deleted. 0 keeps everything.", func(c *Config) any { return &c.LogRetention }},
		{"registry-listen", "VNGOV_REGISTRY_LISTEN", "127.0.0.1:8121", false, "Address of the base registries' backend, which only the agency's own gateway should reach (role registry).", func(c *Config) any { return &c.RegistryAddr }},
		{"trust-proxy", "VNGOV_TRUST_PROXY", "false", false, "Trust X-Forwarded-For and X-Forwarded-Proto from a reverse proxy in front of vngov.", func(c *Config) any { return &c.TrustProxy }},
		{"payment-secret", "VNGOV_PAYMENT_SECRET", "", true, "Secret shared with the payment provider: it signs pay requests, notifications and refunds (HMAC-SHA256). Empty: online payment is refused (the demo makes one per data directory).", func(c *Config) any { return &c.PaymentSecret }},
		{"payment-provider-url", "VNGOV_PAYMENT_PROVIDER_URL", "", false, "Address of the payment provider's pages and API. Empty: the demo provider, served at this process's own address (--public-url).", func(c *Config) any { return &c.PaymentProviderURL }},
		{"payment-ttl-minutes", "VNGOV_PAYMENT_TTL_MINUTES", "15", false, "Minutes a started payment stays payable; pending payments older than this expire.", func(c *Config) any { return &c.PaymentTTLMinutes }},
		{"portal-issuer", "VNGOV_PORTAL_ISSUER", "", false, "Issuer URL of the identity provider the portal signs citizens in with (role portal).", func(c *Config) any { return &c.PortalIssuer }},
		{"portal-client-id", "VNGOV_PORTAL_CLIENT_ID", "cong-dich-vu-cong", false, "The portal's client id at the identity provider (a confidential client whose redirect URI is <public-url>/dang-nhap/callback).", func(c *Config) any { return &c.PortalClientID }},
		{"portal-client-secret", "VNGOV_PORTAL_CLIENT_SECRET", "", true, "The portal's client secret at the identity provider.", func(c *Config) any { return &c.PortalClientSecret }},
		{"portal-session-key", "VNGOV_PORTAL_SESSION_KEY", "", true, "Key that signs the portal's session cookies (32 characters or more; the same on every portal node). Empty: a random key, sessions end when the process stops.", func(c *Config) any { return &c.PortalSessionKey }},
		{"smtp-addr", "VNGOV_SMTP_ADDR", "", false, "SMTP server (host:port) that delivers email notifications and one-time codes. Empty: messages are only stored (notify_message), not sent.", func(c *Config) any { return &c.SMTPAddr }},
		{"smtp-from", "VNGOV_SMTP_FROM", "", false, "Sender of email, e.g. \"Cổng dịch vụ công <khongtraloi@example.gov.vn>\".", func(c *Config) any { return &c.SMTPFrom }},
		{"smtp-username", "VNGOV_SMTP_USERNAME", "", false, "SMTP user (AUTH PLAIN, only over TLS or to localhost). Empty: no authentication.", func(c *Config) any { return &c.SMTPUsername }},
		{"smtp-password", "VNGOV_SMTP_PASSWORD", "", true, "SMTP password.", func(c *Config) any { return &c.SMTPPassword }},
		{"smtp-require-tls", "VNGOV_SMTP_REQUIRE_TLS", "true", false, "Refuse to deliver to an SMTP server that does not offer STARTTLS.", func(c *Config) any { return &c.SMTPRequireTLS }},
	}
}

// Register defines the flags of every setting on fs, with defaults taken
// from the environment, and returns the Config they fill when fs is parsed.
// Call Validate after parsing.
func Register(fs *flag.FlagSet) (*Config, error) {
	c := &Config{}
	for _, s := range Settings() {
		def, err := envValue(s)
		if err != nil {
			return nil, err
		}
		usage := s.Usage + " (env " + s.Env
		if s.Secret {
			usage += ", or " + s.Env + "_FILE"
		}
		usage += ")"
		switch p := s.target(c).(type) {
		case *string:
			fs.StringVar(p, s.Flag, def, usage)
		case *int:
			n, err := strconv.Atoi(def)
			if err != nil {
				return nil, fmt.Errorf("config: %s=%q is not a number", s.Env, def)
			}
			fs.IntVar(p, s.Flag, n, usage)
		case *bool:
			b, err := strconv.ParseBool(def)
			if err != nil {
				return nil, fmt.Errorf("config: %s=%q is not true or false", s.Env, def)
			}
			fs.BoolVar(p, s.Flag, b, usage)
		}
	}
	return c, nil
}

func envValue(s Setting) (string, error) {
	if v, ok := os.LookupEnv(s.Env); ok {
		return v, nil
	}
	if s.Secret {
		if f := os.Getenv(s.Env + "_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return "", fmt.Errorf("config: %s_FILE: %w", s.Env, err)
			}
			return strings.TrimSpace(string(b)), nil
		}
	}
	return s.Default, nil
}

// Validate checks the values and makes the data directory absolute.
func (c *Config) Validate() error {
	var errs []string
	if c.DataDir == "" {
		errs = append(errs, "data-dir must not be empty")
	} else if abs, err := filepath.Abs(c.DataDir); err == nil {
		c.DataDir = abs
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, "database-url must be a postgres:// URL, or empty for SQLite")
	}
	switch strings.ToLower(c.SQLiteSync) {
	case "full", "normal":
	default:
		errs = append(errs, "sqlite-sync must be full or normal")
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, "log-level must be debug, info, warn or error")
	}
	if c.NATSReplicas < 1 || c.NATSReplicas > 5 {
		errs = append(errs, "nats-replicas must be 1 to 5")
	}
	if c.PaymentTTLMinutes < 0 || c.PaymentTTLMinutes > 7*24*60 {
		errs = append(errs, "payment-ttl-minutes must be 1 to 10080 (0: the default, 15)")
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %s", strings.Join(errs, "; "))
	}
	return nil
}

// HasRole reports whether this process runs the named component.
func (c *Config) HasRole(name string) bool {
	for _, r := range strings.Split(c.Roles, ",") {
		if r = strings.TrimSpace(r); r == "all" || r == name {
			return true
		}
	}
	return false
}

// SQLitePath is the SQLite database file in the data directory.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "vngov.db") }

// NATSDir is the embedded NATS server's store directory.
func (c *Config) NATSDir() string { return filepath.Join(c.DataDir, "nats") }

// WriteTable prints the settings as a Markdown table.
func WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "| flag\t| environment\t| default\t| meaning\t|")
	fmt.Fprintln(tw, "|---\t|---\t|---\t|---\t|")
	for _, s := range Settings() {
		env := "`" + s.Env + "`"
		if s.Secret {
			env += " / `" + s.Env + "_FILE`"
		}
		def := s.Default
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(tw, "| `--%s`\t| %s\t| `%s`\t| %s\t|\n", s.Flag, env, def, s.Usage)
	}
	tw.Flush()
}
