package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnvFlagAndFile(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "token")
	os.WriteFile(secret, []byte("from-file\n"), 0o600)
	t.Setenv("VNGOV_ADMIN_TOKEN_FILE", secret)
	t.Setenv("VNGOV_ROLES", "catalog")
	t.Setenv("VNGOV_NATS_REPLICAS", "3")
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c, err := Register(fs)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--data-dir", "d", "--roles", "catalog,exchange"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.AdminToken != "from-file" || c.NATSReplicas != 3 || !filepath.IsAbs(c.DataDir) {
		t.Fatalf("%+v", c)
	}
	if !c.HasRole("exchange") || c.HasRole("identity") {
		t.Fatalf("roles %q", c.Roles)
	}
}

func TestValidate(t *testing.T) {
	c := &Config{DataDir: "x", DatabaseURL: "mysql://x", SQLiteSync: "off", LogLevel: "loud", NATSReplicas: 0}
	err := c.Validate()
	if err == nil || strings.Count(err.Error(), ";") != 3 {
		t.Fatalf("want four problems, got %v", err)
	}
}

func TestTable(t *testing.T) {
	var b strings.Builder
	WriteTable(&b)
	if !strings.Contains(b.String(), "VNGOV_DATABASE_URL_FILE") {
		t.Fatal(b.String())
	}
}
