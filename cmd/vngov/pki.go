package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/pki"
)

// The exchange's certificate tools: the hub is the CA of gateway
// certificates (pki init, pki issue); a gateway operator makes a key and a
// certificate request (pki csr) and has the hub sign it.

func pkiCommands() []subcommand {
	return []subcommand{
		{"init", "[--public-url URL]", "create (or load) the hub's CA, configuration and timestamping keys; write the trust anchor", runPKIInit},
		{"csr", "--id CLASS/MEMBER/SERVERCODE [--key FILE] [--out FILE] [--host H ...]", "for a gateway operator: make the gateway's key and a certificate request", runPKICSR},
		{"issue", "--csr FILE [--out FILE] [--days N]", "on the hub: sign a gateway's certificate request with the exchange CA", runPKIIssue},
	}
}

func runPKI(ctx context.Context, args []string) error {
	return dispatch(ctx, "pki", pkiCommands(), args)
}

func hubDir(dataDir string) string { return filepath.Join(dataDir, "hub") }

func haveFile(p string) bool { _, err := os.Stat(p); return err == nil }

func runPKIInit(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("pki init", "[--public-url URL] [--data-dir DIR] [--instance ID]",
		"On the hub: creates the exchange CA, the configuration-signing key and the timestamping key under\nDATA-DIR/hub (or loads them: running it again changes nothing), and writes the trust anchor\nDATA-DIR/hub/trust-anchor.json that every gateway needs (--trust-anchor there).\n--public-url is the hub's address in the trust anchor (default: the anchor's, else http://<listen>).")
	if err != nil {
		return err
	}
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	dir := hubDir(cfg.DataDir)
	caPath := filepath.Join(dir, "ca", "ca.pem")
	anchorPath := filepath.Join(dir, "trust-anchor.json")
	created := !haveFile(caPath)
	url := cfg.PublicURL
	if old, _, err := exchange.LoadAnchor(anchorPath); err == nil {
		if url == "" {
			url = old.HubURL
		}
		if old.Instance != cfg.Instance {
			_, fromEnv := os.LookupEnv("VNGOV_INSTANCE")
			if isSet(fs, "instance") || fromEnv {
				return fmt.Errorf("the hub under %s belongs to instance %s, not %s: its CA cannot change instance", dir, old.Instance, cfg.Instance)
			}
			cfg.Instance = old.Instance
		}
	}
	if url == "" {
		url = "http://" + cfg.Listen
	}
	db, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	h, err := exchange.OpenHub(db, dir, cfg.Instance, url, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		return fmt.Errorf("open the hub's keys under %s: %w", dir, err)
	}
	fp := pki.Fingerprint(h.CA.Cert)
	state := "already present, unchanged"
	if created {
		state = "created"
		if err := audit.Record(ctx, db, cliActor().Entry("exchange.ca.create", "exchange/ca/"+fp, audit.OK, map[string]any{"instance": cfg.Instance, "hub_url": url})); err != nil {
			return err
		}
	}
	fmt.Printf("exchange CA of instance %s: %s\n", cfg.Instance, state)
	fmt.Printf("  certificate   %s (valid until %s)\n", caPath, h.CA.Cert.NotAfter.Format(time.DateOnly))
	fmt.Printf("  fingerprint   %s\n", fp)
	fmt.Printf("trust anchor    %s (hub URL %s)\n", anchorPath, url)
	fmt.Println("Give the trust anchor to every gateway operator (--trust-anchor); sign their requests with 'vngov pki issue --csr FILE'.")
	return nil
}

func runPKICSR(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("pki csr", "--id CLASS/MEMBER/SERVERCODE [--key FILE] [--out FILE] [--host H ...]",
		"For a gateway operator: creates the gateway's key (or reuses it) and writes a certificate request\nfor the hub operator to sign with 'vngov pki issue'. The key never leaves this machine.")
	if err != nil {
		return err
	}
	id := fs.String("id", "", "the gateway's identifier CLASS/MEMBER/SERVERCODE, as it will be registered at the hub")
	keyPath := fs.String("key", "", "the gateway's key, created with mode 0600 if missing (default: DATA-DIR/gateway/key.pem)")
	out := fs.String("out", "", "where to write the request (default: DATA-DIR/gateway/request.csr)")
	var hosts listFlag
	fs.Var(&hosts, "host", "a host name or IP address of the gateway to put in the certificate (repeatable)")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	if err := required(fs, "id"); err != nil {
		return err
	}
	if _, _, _, err := parseGatewayID("--id", *id); err != nil {
		return err
	}
	gwDir := filepath.Join(cfg.DataDir, "gateway")
	if *keyPath == "" {
		*keyPath = filepath.Join(gwDir, "key.pem")
	}
	if *out == "" {
		*out = filepath.Join(gwDir, "request.csr")
	}
	existed := haveFile(*keyPath)
	key, err := pki.LoadOrCreateKey(*keyPath)
	if err != nil {
		return fmt.Errorf("--key %s: %w", *keyPath, err)
	}
	cn := cfg.Instance + "/" + *id
	csr, err := pki.NewCSR(key, cn, hosts)
	if err != nil {
		return err
	}
	if err := pki.WriteFile(*out, csr, 0o644); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	state := "created, mode 0600"
	if existed {
		state = "existing, reused"
	}
	fmt.Printf("key       %s (%s)\n", *keyPath, state)
	fmt.Printf("request   %s (for %s)\n", *out, cn)
	fmt.Printf("Next: the hub operator signs it with 'vngov pki issue --csr %s --out cert.pem';\n", filepath.Base(*out))
	fmt.Printf("put the certificate at %s and have the gateway registered\n", filepath.Join(filepath.Dir(*keyPath), "cert.pem"))
	fmt.Printf("('vngov exchange gateway add --id %s --address HOST:PORT --cert cert.pem').\n", *id)
	return nil
}

func runPKIIssue(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("pki issue", "--csr FILE [--out FILE] [--days N]",
		"On the hub: signs a gateway's certificate request with the exchange CA (DATA-DIR/hub/ca).\nWrites the certificate (PEM) to --out or standard output, and its fingerprint to standard error.")
	if err != nil {
		return err
	}
	csrPath := fs.String("csr", "", "the certificate request from 'vngov pki csr' ('-' reads standard input)")
	out := fs.String("out", "", "where to write the certificate (default: standard output)")
	days := fs.Int("days", 730, "how many days the certificate is valid (1 to 3650)")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	if err := required(fs, "csr"); err != nil {
		return err
	}
	if *days < 1 || *days > 3650 {
		return errors.New("--days must be 1 to 3650")
	}
	var csr []byte
	if *csrPath == "-" {
		csr, err = io.ReadAll(os.Stdin)
	} else {
		csr, err = os.ReadFile(*csrPath)
	}
	if err != nil {
		return fmt.Errorf("--csr: %w", err)
	}
	caDir := filepath.Join(hubDir(cfg.DataDir), "ca")
	if !haveFile(filepath.Join(caDir, "ca.pem")) || !haveFile(filepath.Join(caDir, "ca-key.pem")) {
		return fmt.Errorf("no exchange CA under %s: run 'vngov pki init' on the hub first (or give the hub's --data-dir)", caDir)
	}
	ca, err := pki.LoadOrCreateCA(caDir, "")
	if err != nil {
		return fmt.Errorf("load the exchange CA from %s: %w", caDir, err)
	}
	validity := time.Duration(*days) * 24 * time.Hour
	if end := time.Now().Add(validity); end.After(ca.Cert.NotAfter) {
		return fmt.Errorf("--days %d reaches past the CA's own expiry (%s): ask for fewer days", *days, ca.Cert.NotAfter.Format(time.DateOnly))
	}
	cert, err := ca.Issue(csr, validity)
	if err != nil {
		return fmt.Errorf("--csr %s: not a valid certificate request (%v): make one with 'vngov pki csr'", *csrPath, err)
	}
	fp := pki.Fingerprint(cert)
	db, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := audit.Record(ctx, db, cliActor().Entry("exchange.certificate.issue", "exchange/certificate/"+fp, audit.OK,
		map[string]any{"subject": cert.Subject.CommonName, "not_after": cert.NotAfter.UTC().Format(time.RFC3339)})); err != nil {
		return err
	}
	pemCert := pki.EncodeCert(cert)
	if *out == "" {
		os.Stdout.Write(pemCert)
	} else if err := pki.WriteFile(*out, pemCert, 0o644); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(os.Stderr, "issued a certificate for %s, valid until %s\nfingerprint %s\n", cert.Subject.CommonName, cert.NotAfter.Format(time.DateOnly), fp)
	if *out != "" {
		fmt.Fprintf(os.Stderr, "written to %s\n", *out)
	}
	return nil
}
