package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/exchange/xroad"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/config"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/store"
)

// The exchange's command-line tools: the hub's registry (members,
// subsystems, gateways, groups), a provider gateway's services and access
// rights, the message log, and a curl-like client. They write to the store
// directly, as `audit verify` reads it; a running hub publishes registry
// changes in its next global configuration (within ConfRegenerate), and
// running gateways reload their services on the bus event that the
// services register emits with every write.

// subcommand is one command of a command group ("exchange", "pki").
type subcommand struct {
	name, args, summary string
	run                 func(ctx context.Context, args []string) error
}

func exchangeCommands() []subcommand {
	return []subcommand{
		{"member add", "--class GOV|COM|ORG --code CODE --name NAME", "register a member (an agency, enterprise or organisation)", runMemberAdd},
		{"subsystem add", "--class C --code M --subsystem S --name NAME [--gateway ID]", "register an information system of a member", runSubsystemAdd},
		{"subsystem assign", "--class C --code M --subsystem S --gateway ID", "make a gateway serve a subsystem (--gateway '' for none)", runSubsystemAssign},
		{"gateway add", "--id CLASS/MEMBER/SERVERCODE --address HOST:PORT --cert FILE", "register a gateway and its certificate (issued by `vngov pki issue`)", runGatewayAdd},
		{"gateway update", "--id CLASS/MEMBER/SERVERCODE --address HOST:PORT --cert FILE", "change a gateway's address or certificate", runGatewayUpdate},
		{"group add", "--code CODE --description TEXT [--member INSTANCE/CLASS/MEMBER/SUBSYSTEM ...]", "create a global group, used in access rights as group:CODE", runGroupAdd},
		{"members", "[--json]", "list members and subsystems", runMembers},
		{"gateways", "[--json]", "list gateways", runGateways},
		{"groups", "[--json]", "list global groups", runGroups},
		{"service add", "--gateway ID --provider I/C/M/S --code CODE --url URL --openapi FILE [...]", "register (or replace) a service at its provider gateway", runServiceAdd},
		{"services", "[--gateway ID] [--json]", "list services", runServices},
		{"access grant", "--provider I/C/M/S --service CODE --subject I/C/M/S|group:CODE [--method M] [--path P]", "let a client subsystem or group call a service", runAccessGrant},
		{"access revoke", "--provider I/C/M/S --service CODE --subject ... [--method M] [--path P]", "take an access right back", runAccessRevoke},
		{"access list", "--provider I/C/M/S --service CODE [--json]", "list a service's access rights", runAccessList},
		{"call", "--client I/C/M/S [--gateway URL | --from MEMBER] [-X M] [-H 'K: V'] [-d BODY|@FILE] [-i] SERVICE_PATH", "call a service through a gateway, like curl", runCall},
		{"log verify", "--gateway ID [--from DAY] [--to DAY] [--ca FILE] | --archive FILE.zip --ca FILE", "prove a message log (or a daily archive, offline) complete and untampered", runLogVerify},
		{"log archive", "--gateway ID --day YYYY-MM-DD --out FILE.zip", "write a day of a gateway's message log to a signed archive", runLogArchive},
		{"log list", "--gateway ID [--client I/C/M/S] [--service I/C/M/S/CODE] [--limit N] [--json]", "list logged messages, newest first", runLogList},
	}
}

func runExchange(ctx context.Context, args []string) error {
	return dispatch(ctx, "exchange", exchangeCommands(), args)
}

// dispatch runs the subcommand that args name: one word ("members") or two
// ("member add").
func dispatch(ctx context.Context, group string, subs []subcommand, args []string) error {
	if len(args) == 0 {
		groupUsage(os.Stderr, group, subs)
		return exitCode(2)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		groupUsage(os.Stdout, group, subs)
		return nil
	}
	for _, n := range []int{2, 1} {
		if len(args) < n {
			continue
		}
		name := strings.Join(args[:n], " ")
		for _, s := range subs {
			if s.name == name {
				err := s.run(ctx, args[n:])
				var ec exitCode
				if err == nil || errors.Is(err, flag.ErrHelp) || errors.As(err, &ec) {
					return err
				}
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "vngov %s: unknown command %q\n\n", group, strings.Join(args[:min(2, len(args))], " "))
	groupUsage(os.Stderr, group, subs)
	return exitCode(2)
}

func groupUsage(w io.Writer, group string, subs []subcommand) {
	fmt.Fprintf(w, "Usage: vngov %s <command> [flags]\n\nCommands:\n", group)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range subs {
		fmt.Fprintf(tw, "  %s\t%s\n", s.name, s.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n'vngov %s <command> -h' shows a command's flags. Every command also takes the settings\n(--data-dir, --database-url, --instance, ...: see 'vngov help config').\n", group)
}

// cmdFlags is flags(name) with a usage that shows the command's own flags
// and leaves the settings to `vngov help config`.
func cmdFlags(name, synopsis, about string) (*flag.FlagSet, *config.Config, error) {
	fs, cfg, err := flags(name)
	if err != nil {
		return nil, nil, err
	}
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: vngov %s %s\n\n%s\n", name, synopsis, about)
		settings := map[string]bool{}
		for _, s := range config.Settings() {
			settings[s.Flag] = true
		}
		own := flag.NewFlagSet(name, flag.ContinueOnError)
		own.SetOutput(w)
		fs.VisitAll(func(f *flag.Flag) {
			if !settings[f.Name] {
				own.Var(f.Value, f.Name, f.Usage)
			}
		})
		n := 0
		own.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "\nFlags:")
			own.PrintDefaults()
		}
		fmt.Fprintln(w, "\nSettings such as --data-dir DIR, --database-url URL and --instance ID work here too: see 'vngov help config'.")
	}
	return fs, cfg, nil
}

// parseCmd parses args, which may mix flags and up to maxArgs positional
// arguments, and validates the settings. A flag the flag package refused
// (it has printed why, and the usage) exits with status 2.
func parseCmd(fs *flag.FlagSet, cfg *config.Config, args []string, maxArgs int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, exitCode(2)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) > maxArgs {
		return nil, fmt.Errorf("unexpected argument %q (see -h)", pos[maxArgs])
	}
	return pos, cfg.Validate()
}

// required reports the named flags left empty.
func required(fs *flag.FlagSet, names ...string) error {
	var miss []string
	for _, n := range names {
		if f := fs.Lookup(n); f != nil && strings.TrimSpace(f.Value.String()) == "" {
			miss = append(miss, "--"+n)
		}
	}
	if len(miss) > 0 {
		return fmt.Errorf("missing %s (see '%s -h')", strings.Join(miss, ", "), fs.Name())
	}
	return nil
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// cliActor is who the audit trail names for a command-line write.
func cliActor() audit.Actor {
	u := os.Getenv("USER")
	if u == "" {
		u = strconv.Itoa(os.Getuid())
	}
	return audit.Actor{Subject: "cli:" + u}
}

// openStore opens the store the settings name and migrates the tables the
// exchange commands use. With mustExist, a SQLite file that is not there
// is an error rather than a new, empty database.
func openStore(ctx context.Context, cfg *config.Config, mustExist bool) (*store.DB, error) {
	if mustExist && cfg.DatabaseURL == "" {
		if _, err := os.Stat(cfg.SQLitePath()); err != nil {
			return nil, fmt.Errorf("no database at %s: give the --data-dir (or --database-url) of the hub or gateway", cfg.SQLitePath())
		}
	}
	db, err := store.Open(ctx, store.Config{URL: cfg.DatabaseURL, Path: cfg.SQLitePath(), Synchronous: cfg.SQLiteSync})
	if err != nil {
		return nil, err
	}
	for _, m := range []struct {
		name string
		fs   fs.FS
	}{{"bus", bus.Migrations()}, {"audit", audit.Migrations()}, {"exchange", exchange.Migrations()}, {"msglog", msglog.Migrations()}} {
		if err := db.Migrate(ctx, m.name, m.fs); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// fieldFlags maps the registers' field names to this tool's flags.
var fieldFlags = map[string]string{
	"class": "--class", "code": "--code", "name": "--name", "subsystem": "--subsystem",
	"owner_code": "--id", "server_code": "--id", "cert_pem": "--cert", "address": "--address",
	"client": "--member", "service_code": "--code", "backend_url": "--url", "openapi": "--openapi",
	"provider": "--provider", "subject": "--subject",
}

// explain turns a register's fault into a message that names the flag to
// fix; what names the object for "already registered".
func explain(err error, what string) error {
	f := fault.As(err)
	if f == nil {
		return err
	}
	switch {
	case len(f.Fields) > 0:
		var msgs []string
		for _, fe := range f.Fields {
			name := fieldFlags[fe.Field]
			if name == "" {
				name = fe.Field
			}
			msgs = append(msgs, name+": "+fe.Detail)
		}
		return errors.New(strings.Join(msgs, "; "))
	case f.Kind == fault.Conflict:
		return fmt.Errorf("%s is already registered", what)
	}
	return errors.New(f.Detail)
}

// partRE is the identifier alphabet of the exchange (xroad: A-Z a-z 0-9
// and ' ( ) + , - . = ?, at most 255 bytes).
var partRE = regexp.MustCompile(`^[A-Za-z0-9'()+,\-.=?]{1,255}$`)

func checkPart(flagName, what, v string) error {
	if !partRE.MatchString(v) || v == "." || v == ".." {
		return fmt.Errorf("%s: %s %q is not a valid identifier part: use A-Z a-z 0-9 and ' ( ) + , - . = ?, at most 255 characters", flagName, what, v)
	}
	return nil
}

func checkClass(flagName, class string) error {
	switch class {
	case exchange.ClassGOV, exchange.ClassCOM, exchange.ClassORG:
		return nil
	}
	return fmt.Errorf("%s: class %q must be GOV (state bodies), COM (enterprises) or ORG (other organisations)", flagName, class)
}

// parseGatewayID checks CLASS/MEMBER/SERVERCODE.
func parseGatewayID(flagName, id string) (class, member, server string, err error) {
	p := strings.Split(id, "/")
	if len(p) != 3 {
		return "", "", "", fmt.Errorf("%s: gateway identifier %q must be CLASS/MEMBER/SERVERCODE, e.g. GOV/000.00.00.G22/GW1", flagName, id)
	}
	if err := checkClass(flagName, p[0]); err != nil {
		return "", "", "", err
	}
	for i, what := range []string{"", "member code", "server code"} {
		if i > 0 {
			if err := checkPart(flagName, what, p[i]); err != nil {
				return "", "", "", err
			}
		}
	}
	return p[0], p[1], p[2], nil
}

// parseSubsystem checks INSTANCE/CLASS/MEMBER/SUBSYSTEM (plain form).
func parseSubsystem(flagName, s string) (xroad.ClientID, error) {
	p := strings.Split(s, "/")
	if len(p) != 4 {
		return xroad.ClientID{}, fmt.Errorf("%s: %q must be INSTANCE/CLASS/MEMBER/SUBSYSTEM, e.g. VN/GOV/000.00.00.G22/DANHMUC", flagName, s)
	}
	for i, what := range []string{"instance", "class", "member code", "subsystem code"} {
		if err := checkPart(flagName, what, p[i]); err != nil {
			return xroad.ClientID{}, err
		}
	}
	return xroad.ClientID{Instance: p[0], Class: p[1], Member: p[2], Subsystem: p[3]}, nil
}

// parseSubject checks an access-right subject: a subsystem or group:CODE.
func parseSubject(s string) error {
	if code, ok := strings.CutPrefix(s, "group:"); ok {
		return checkPart("--subject", "group code", code)
	}
	_, err := parseSubsystem("--subject", s)
	if err != nil {
		return fmt.Errorf("%w (or group:CODE for a global group)", err)
	}
	return nil
}

const hubNote = "the hub publishes it within 60 s, in its next global configuration"

const servicesNote = "gateways running on this store reload their services at once (bus event " + exchange.EventServicesChanged + ")"

// ---- registry ------------------------------------------------------------

func runMemberAdd(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange member add", "--class GOV|COM|ORG --code CODE --name NAME",
		"Registers a member of the exchange: a state body (GOV), an enterprise (COM) or another\norganisation (ORG), by its code (for agencies, the code of the agencies list).")
	if err != nil {
		return err
	}
	class := fs.String("class", "", "member class: GOV, COM or ORG")
	code := fs.String("code", "", "member code, e.g. 000.00.00.G22")
	name := fs.String("name", "", "the member's name")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	if err := required(fs, "class", "code", "name"); err != nil {
		return err
	}
	if err := checkClass("--class", *class); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	reg := exchange.NewRegistry(db, cfg.Instance)
	if err := reg.AddMember(ctx, cliActor(), exchange.Member{Class: *class, Code: *code, Name: *name}); err != nil {
		return explain(err, "member "+*class+"/"+*code)
	}
	fmt.Printf("member %s/%s (%s) registered; %s\n", *class, *code, *name, hubNote)
	return nil
}

func runSubsystemAdd(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange subsystem add", "--class C --code MEMBER --subsystem CODE --name NAME [--gateway CLASS/MEMBER/SERVERCODE]",
		"Registers an information system of a member, optionally served by a registered gateway.")
	if err != nil {
		return err
	}
	class := fs.String("class", "", "the member's class: GOV, COM or ORG")
	code := fs.String("code", "", "the member's code")
	sub := fs.String("subsystem", "", "subsystem code, e.g. DANHMUC")
	name := fs.String("name", "", "the information system's name")
	gw := fs.String("gateway", "", "the gateway that serves it, CLASS/MEMBER/SERVERCODE (optional; see 'subsystem assign')")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	if err := required(fs, "class", "code", "subsystem", "name"); err != nil {
		return err
	}
	if err := checkClass("--class", *class); err != nil {
		return err
	}
	if *gw != "" {
		if _, _, _, err := parseGatewayID("--gateway", *gw); err != nil {
			return err
		}
	}
	db, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	reg := exchange.NewRegistry(db, cfg.Instance)
	s := exchange.Subsystem{Class: *class, Code: *code, Subsystem: *sub, Name: *name, Gateway: *gw}
	if err := reg.AddSubsystem(ctx, cliActor(), s); err != nil {
		return explain(err, "subsystem "+*class+"/"+*code+"/"+*sub)
	}
	at := ""
	if *gw != "" {
		at = ", served by gateway " + *gw
	}
	fmt.Printf("subsystem %s/%s/%s/%s (%s) registered%s; %s\n", cfg.Instance, *class, *code, *sub, *name, at, hubNote)
	return nil
}

func runSubsystemAssign(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange subsystem assign", "--class C --code MEMBER --subsystem CODE --gateway CLASS/MEMBER/SERVERCODE",
		"Makes a registered gateway serve a subsystem; --gateway '' leaves it served by none.")
	if err != nil {
		return err
	}
	class := fs.String("class", "", "the member's class: GOV, COM or ORG")
	code := fs.String("code", "", "the member's code")
	sub := fs.String("subsystem", "", "subsystem code")
	gw := fs.String("gateway", "", "the gateway, CLASS/MEMBER/SERVERCODE ('' for none)")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	if err := required(fs, "class", "code", "subsystem"); err != nil {
		return err
	}
	if !isSet(fs, "gateway") {
		return fmt.Errorf("missing --gateway (CLASS/MEMBER/SERVERCODE, or '' for none)")
	}
	if *gw != "" {
		if _, _, _, err := parseGatewayID("--gateway", *gw); err != nil {
			return err
		}
	}
	db, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	reg := exchange.NewRegistry(db, cfg.Instance)
	if err := reg.AssignSubsystem(ctx, cliActor(), *class, *code, *sub, *gw); err != nil {
		return explain(err, "")
	}
	if *gw == "" {
		fmt.Printf("subsystem %s/%s/%s is now served by no gateway; %s\n", *class, *code, *sub, hubNote)
	} else {
		fmt.Printf("subsystem %s/%s/%s is now served by gateway %s; %s\n", *class, *code, *sub, *gw, hubNote)
	}
	return nil
}

// readCertFile reads a PEM certificate for --cert.
func readCertFile(flagName, path string) (string, *x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", flagName, err)
	}
	c, err := pki.DecodeCert(b)
	if err != nil {
		return "", nil, fmt.Errorf("%s %s: no PEM certificate in it (expected the output of 'vngov pki issue')", flagName, path)
	}
	return string(pki.EncodeCert(c)), c, nil
}

func checkAddress(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil || host == "" || port == "" {
		return fmt.Errorf("--address %q must be HOST:PORT of the gateway's mutual-TLS listener, e.g. 10.0.0.5:8443", a)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("--address %q: port must be a number from 1 to 65535", a)
	}
	return nil
}

// hubCA finds the exchange CA certificate: flagValue, else the hub's under
// the data directory, else the trust anchor's.
func hubCA(cfg *config.Config, flagValue string) (*x509.Certificate, string, error) {
	if flagValue != "" {
		b, err := os.ReadFile(flagValue)
		if err != nil {
			return nil, "", fmt.Errorf("--ca: %w", err)
		}
		c, err := pki.DecodeCert(b)
		if err == nil {
			return c, flagValue, nil
		}
		if _, c, err := exchange.LoadAnchor(flagValue); err == nil {
			return c, flagValue, nil
		}
		return nil, "", fmt.Errorf("--ca %s: neither a PEM certificate nor a trust anchor", flagValue)
	}
	p := filepath.Join(cfg.DataDir, "hub", "ca", "ca.pem")
	if b, err := os.ReadFile(p); err == nil {
		c, err := pki.DecodeCert(b)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", p, err)
		}
		return c, p, nil
	}
	anchor := cfg.TrustAnchor
	if anchor == "" {
		anchor = filepath.Join(cfg.DataDir, "hub", "trust-anchor.json")
	}
	if _, c, err := exchange.LoadAnchor(anchor); err == nil {
		return c, anchor, nil
	}
	return nil, "", fmt.Errorf("no exchange CA certificate at %s: run 'vngov pki init' on the hub, or give --ca FILE (the hub's hub/ca/ca.pem or trust-anchor.json)", p)
}

func runGatewayAdd(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange gateway add", "--id CLASS/MEMBER/SERVERCODE --address HOST:PORT --cert FILE [--ca FILE]",
		"Registers a gateway of a member: the address where other gateways reach its provider side\n(mutual TLS) and its certificate, which the hub's CA must have issued ('vngov pki issue').")
	if err != nil {
		return err
	}
	id := fs.String("id", "", "gateway identifier CLASS/MEMBER/SERVERCODE; the member must be registered")
	addr := fs.String("address", "", "HOST:PORT of the gateway's provider side (--gateway-listen there)")
	certFile := fs.String("cert", "", "the gateway's certificate (PEM), from 'vngov pki issue'")
	caFile := fs.String("ca", "", "the exchange CA certificate (default: DATA-DIR/hub/ca/ca.pem)")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	if err := required(fs, "id", "address", "cert"); err != nil {
		return err
	}
	class, member, server, err := parseGatewayID("--id", *id)
	if err != nil {
		return err
	}
	if err := checkAddress(*addr); err != nil {
		return err
	}
	certPEM, cert, err := readCertFile("--cert", *certFile)
	if err != nil {
		return err
	}
	ca, _, err := hubCA(cfg, *caFile)
	if err != nil {
		return err
	}
	if want := cfg.Instance + "/" + *id; cert.Subject.CommonName != want && cert.Subject.CommonName != *id {
		fmt.Fprintf(os.Stderr, "warning: the certificate names %q, not %q\n", cert.Subject.CommonName, want)
	}
	db, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	reg := exchange.NewRegistry(db, cfg.Instance)
	g, err := reg.AddGateway(ctx, cliActor(), &pki.CA{Cert: ca}, exchange.GatewayRecord{OwnerClass: class, OwnerCode: member, ServerCode: server, Address: *addr, CertPEM: certPEM})
	if err != nil {
		return explain(err, "gateway "+*id+" (or its certificate)")
	}
	fmt.Printf("gateway %s registered at %s, certificate %s; %s\n", g.ID, g.Address, g.Fingerprint, hubNote)
	return nil
}

func runGatewayUpdate(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange gateway update", "--id CLASS/MEMBER/SERVERCODE --address HOST:PORT --cert FILE [--ca FILE]",
		"Changes a registered gateway's address or certificate (a move, or a renewed certificate).")
	if err != nil {
		return err
	}
	id := fs.String("id", "", "gateway identifier CLASS/MEMBER/SERVERCODE")
	addr := fs.String("address", "", "HOST:PORT of the gateway's provider side")
	certFile := fs.String("cert", "", "the gateway's certificate (PEM), from 'vngov pki issue'")
	caFile := fs.String("ca", "", "the exchange CA certificate (default: DATA-DIR/hub/ca/ca.pem)")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	if err := required(fs, "id", "address", "cert"); err != nil {
		return err
	}
	if _, _, _, err := parseGatewayID("--id", *id); err != nil {
		return err
	}
	if err := checkAddress(*addr); err != nil {
		return err
	}
	certPEM, cert, err := readCertFile("--cert", *certFile)
	if err != nil {
		return err
	}
	ca, _, err := hubCA(cfg, *caFile)
	if err != nil {
		return err
	}
	if err := pki.VerifyIssued(ca, cert, time.Now()); err != nil {
		return fmt.Errorf("--cert: the certificate is invalid or not issued by the hub's CA (%v): have it issued with 'vngov pki issue'", err)
	}
	db, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := exchange.NewRegistry(db, cfg.Instance).UpdateGateway(ctx, cliActor(), *id, *addr, certPEM); err != nil {
		return explain(err, "")
	}
	fmt.Printf("gateway %s: address %s, certificate %s; %s\n", *id, *addr, pki.Fingerprint(cert), hubNote)
	return nil
}

func runGroupAdd(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange group add", "--code CODE --description TEXT [--member INSTANCE/CLASS/MEMBER/SUBSYSTEM ...]",
		"Creates a global group of subsystems. Access rights name it as group:CODE.\n--member may be repeated; each must be a registered subsystem of this instance.")
	if err != nil {
		return err
	}
	code := fs.String("code", "", "group code, e.g. tinh-thanh")
	desc := fs.String("description", "", "what the group is")
	var members listFlag
	fs.Var(&members, "member", "a subsystem INSTANCE/CLASS/MEMBER/SUBSYSTEM to add (repeatable)")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	if err := required(fs, "code", "description"); err != nil {
		return err
	}
	if err := checkPart("--code", "group code", *code); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	reg := exchange.NewRegistry(db, cfg.Instance)
	// Check every member first, so that a typo leaves no half-made group.
	_, subs, err := reg.Members(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, s := range subs {
		known[cfg.Instance+"/"+s.Class+"/"+s.Code+"/"+s.Subsystem] = true
	}
	for _, m := range members {
		id, err := parseSubsystem("--member", m)
		if err != nil {
			return err
		}
		if id.Instance != cfg.Instance {
			return fmt.Errorf("--member %s: the instance is %s here, not %s (set --instance if this hub's is %s)", m, cfg.Instance, id.Instance, id.Instance)
		}
		if !known[m] {
			return fmt.Errorf("--member %s: no such subsystem: register it first with 'vngov exchange subsystem add'", m)
		}
	}
	groups, err := reg.Groups(ctx)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if g.Code == *code {
			return fmt.Errorf("group %s is already registered", *code)
		}
	}
	who := cliActor()
	if err := reg.AddGroup(ctx, who, *code, *desc); err != nil {
		return explain(err, "group "+*code)
	}
	for _, m := range members {
		if err := reg.AddGroupMember(ctx, who, *code, m); err != nil {
			return fmt.Errorf("group %s created, but adding %s failed: %w", *code, m, explain(err, ""))
		}
	}
	fmt.Printf("group %s registered with %d member(s); grant it access as --subject group:%s; %s\n", *code, len(members), *code, hubNote)
	return nil
}

func writeJSONOut(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runMembers(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange members", "[--json]", "Lists the registered members and their subsystems.")
	if err != nil {
		return err
	}
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	ms, ss, err := exchange.NewRegistry(db, cfg.Instance).Members(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if ms == nil {
			ms = []exchange.Member{}
		}
		if ss == nil {
			ss = []exchange.Subsystem{}
		}
		return writeJSONOut(map[string]any{"members": ms, "subsystems": ss})
	}
	if len(ms) == 0 {
		fmt.Println("no members registered yet: add one with 'vngov exchange member add'")
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tNAME\tSUBSYSTEMS")
	for _, m := range ms {
		n := 0
		for _, s := range ss {
			if s.Class == m.Class && s.Code == m.Code {
				n++
			}
		}
		fmt.Fprintf(tw, "%s/%s\t%s\t%d\n", m.Class, m.Code, m.Name, n)
	}
	if len(ss) > 0 {
		tw.Flush()
		fmt.Println()
		fmt.Fprintln(tw, "SUBSYSTEM\tNAME\tGATEWAY")
		for _, s := range ss {
			gw := s.Gateway
			if gw == "" {
				gw = "-"
			}
			fmt.Fprintf(tw, "%s/%s/%s/%s\t%s\t%s\n", cfg.Instance, s.Class, s.Code, s.Subsystem, s.Name, gw)
		}
	}
	return tw.Flush()
}

func runGateways(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange gateways", "[--json]", "Lists the registered gateways.")
	if err != nil {
		return err
	}
	asJSON := fs.Bool("json", false, "print JSON (with the certificates)")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	gs, err := exchange.NewRegistry(db, cfg.Instance).Gateways(ctx)
	if err != nil {
		return err
	}
	return printList(*asJSON, gs, "no gateways registered yet: add one with 'vngov exchange gateway add'",
		"GATEWAY\tADDRESS\tCERTIFICATE\tEXPIRES", func(g exchange.GatewayRecord) string {
			exp := "?"
			if c, err := pki.DecodeCert([]byte(g.CertPEM)); err == nil {
				exp = c.NotAfter.Format(time.DateOnly)
			}
			return fmt.Sprintf("%s\t%s\t%s\t%s", g.ID, g.Address, g.Fingerprint, exp)
		})
}

func runGroups(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange groups", "[--json]", "Lists the global groups and their members.")
	if err != nil {
		return err
	}
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	gs, err := exchange.NewRegistry(db, cfg.Instance).Groups(ctx)
	if err != nil {
		return err
	}
	return printList(*asJSON, gs, "no groups registered yet: add one with 'vngov exchange group add'",
		"GROUP\tDESCRIPTION\tMEMBERS", func(g exchange.Group) string {
			return fmt.Sprintf("%s\t%s\t%s", g.Code, g.Description, strings.Join(g.Members, " "))
		})
}

// ---- services and access rights --------------------------------------------

func runServiceAdd(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange service add",
		"--gateway ID --provider INSTANCE/CLASS/MEMBER/SUBSYSTEM --code CODE --url BACKEND_URL --openapi FILE\n       [--title T] [--personal-data] [--log-bodies] [--timeout 30s] [--max-body BYTES]",
		"Registers a provider's service at the gateway that serves the provider, or replaces it\n(same provider and code). Its endpoints, the unit of access rights, are the operations\nof the OpenAPI 3 description (JSON or YAML). No client may call it until granted access.")
	if err != nil {
		return err
	}
	gw := fs.String("gateway", "", "the provider's gateway, CLASS/MEMBER/SERVERCODE")
	provider := fs.String("provider", "", "the providing subsystem INSTANCE/CLASS/MEMBER/SUBSYSTEM")
	code := fs.String("code", "", "service code, e.g. xacminh-cccd")
	backend := fs.String("url", "", "the backend's base URL (http:// or https://)")
	openapi := fs.String("openapi", "", "OpenAPI 3 description of the service (JSON or YAML file)")
	title := fs.String("title", "", "title (default: the OpenAPI info.title)")
	personal := fs.Bool("personal-data", false, "the service handles personal data (calls must name a user and a case)")
	bodies := fs.Bool("log-bodies", false, "keep request and response bodies in the message log")
	timeout := fs.Duration("timeout", 30*time.Second, "how long the gateway waits for the backend")
	maxBody := fs.Int64("max-body", 10<<20, "largest request body accepted, in bytes")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	if err := required(fs, "gateway", "provider", "code", "url", "openapi"); err != nil {
		return err
	}
	if _, _, _, err := parseGatewayID("--gateway", *gw); err != nil {
		return err
	}
	if _, err := parseSubsystem("--provider", *provider); err != nil {
		return err
	}
	if *timeout <= 0 || *maxBody <= 0 {
		return errors.New("--timeout and --max-body must be positive")
	}
	doc, err := os.ReadFile(*openapi)
	if err != nil {
		return fmt.Errorf("--openapi: %w", err)
	}
	db, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	svc, err := exchange.NewServices(db).AddService(ctx, cliActor(), exchange.Service{Gateway: *gw, Provider: *provider, Code: *code, Title: *title, BackendURL: *backend,
		OpenAPI: string(doc), PersonalData: *personal, LogBodies: *bodies, Timeout: *timeout, MaxBody: *maxBody})
	if err != nil {
		return explain(err, "service "+*provider+"/"+*code)
	}
	fmt.Printf("service %s/%s (%s) registered at gateway %s, backend %s, %d endpoint(s):\n", svc.Provider, svc.Code, svc.Title, svc.Gateway, svc.BackendURL, len(svc.Endpoints))
	for _, ep := range svc.Endpoints {
		fmt.Printf("  %-7s %s\n", ep.Method, ep.Path)
	}
	fmt.Printf("%s.\nNo client may call it yet: grant access with 'vngov exchange access grant --provider %s --service %s --subject ...'\n", servicesNote, svc.Provider, svc.Code)
	return nil
}

func runServices(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange services", "[--gateway ID] [--json]", "Lists the registered services, of one gateway or of all.")
	if err != nil {
		return err
	}
	gw := fs.String("gateway", "", "only this gateway's services, CLASS/MEMBER/SERVERCODE")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	ss, err := exchange.NewServices(db).List(ctx, *gw)
	if err != nil {
		return err
	}
	return printList(*asJSON, ss, "no services registered: add one with 'vngov exchange service add'",
		"SERVICE\tTITLE\tGATEWAY\tBACKEND\tPERSONAL DATA", func(s exchange.Service) string {
			pd := "no"
			if s.PersonalData {
				pd = "yes"
			}
			return fmt.Sprintf("%s/%s\t%s\t%s\t%s\t%s", s.Provider, s.Code, s.Title, s.Gateway, s.BackendURL, pd)
		})
}

// accessFlags are the flags of access grant, revoke and list.
type accessFlags struct {
	provider, service, subject, method, path *string
}

func newAccessFlags(fs *flag.FlagSet, withSubject bool) accessFlags {
	a := accessFlags{
		provider: fs.String("provider", "", "the providing subsystem INSTANCE/CLASS/MEMBER/SUBSYSTEM"),
		service:  fs.String("service", "", "the service code"),
	}
	if withSubject {
		a.subject = fs.String("subject", "", "who may call: a client subsystem INSTANCE/CLASS/MEMBER/SUBSYSTEM, or group:CODE")
		a.method = fs.String("method", "*", "HTTP method of the endpoint, or * for any")
		a.path = fs.String("path", "**", "path of the endpoint as in the OpenAPI description (e.g. /persons/{id}), or ** for the whole service")
	}
	return a
}

func (a accessFlags) check(fs *flag.FlagSet) error {
	names := []string{"provider", "service"}
	if a.subject != nil {
		names = append(names, "subject")
	}
	if err := required(fs, names...); err != nil {
		return err
	}
	if _, err := parseSubsystem("--provider", *a.provider); err != nil {
		return err
	}
	if err := checkPart("--service", "service code", *a.service); err != nil {
		return err
	}
	if a.subject != nil {
		if err := parseSubject(*a.subject); err != nil {
			return err
		}
		if *a.path != "**" && !strings.HasPrefix(*a.path, "/") {
			return fmt.Errorf("--path %q must start with / (as in the OpenAPI description) or be ** for the whole service", *a.path)
		}
	}
	return nil
}

func (a accessFlags) access() exchange.Access {
	return exchange.Access{Provider: *a.provider, Service: *a.service, Subject: *a.subject, Endpoint: exchange.Endpoint{Method: strings.ToUpper(*a.method), Path: *a.path}}
}

func describeAccess(a exchange.Access) string {
	what := a.Endpoint.Method + " " + a.Endpoint.Path
	if a.Endpoint.Method == "*" && a.Endpoint.Path == "**" {
		what = "the whole service"
	}
	return fmt.Sprintf("%s: %s of %s/%s", a.Subject, what, a.Provider, a.Service)
}

func runAccessGrant(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange access grant", "--provider INSTANCE/CLASS/MEMBER/SUBSYSTEM --service CODE --subject (INSTANCE/CLASS/MEMBER/SUBSYSTEM | group:CODE) [--method GET] [--path /x/{id}]",
		"Lets a client subsystem, or every member of a global group, call a service: one endpoint\n(--method and --path, as in the service's OpenAPI description) or, by default, all of it.")
	if err != nil {
		return err
	}
	af := newAccessFlags(fs, true)
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	if err := af.check(fs); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	a := af.access()
	if err := exchange.NewServices(db).Grant(ctx, cliActor(), a); err != nil {
		return explain(err, "")
	}
	fmt.Printf("granted %s; %s\n", describeAccess(a), servicesNote)
	return nil
}

func runAccessRevoke(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange access revoke", "--provider INSTANCE/CLASS/MEMBER/SUBSYSTEM --service CODE --subject (INSTANCE/CLASS/MEMBER/SUBSYSTEM | group:CODE) [--method GET] [--path /x/{id}]",
		"Takes back an access right, named exactly as it was granted (see 'vngov exchange access list').")
	if err != nil {
		return err
	}
	af := newAccessFlags(fs, true)
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	if err := af.check(fs); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	a := af.access()
	if err := exchange.NewServices(db).Revoke(ctx, cliActor(), a); err != nil {
		if fault.Is(err, fault.NotFound) {
			return fmt.Errorf("no such access right (%s): see 'vngov exchange access list --provider %s --service %s'", describeAccess(a), a.Provider, a.Service)
		}
		return explain(err, "")
	}
	fmt.Printf("revoked %s; %s\n", describeAccess(a), servicesNote)
	return nil
}

func runAccessList(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange access list", "--provider INSTANCE/CLASS/MEMBER/SUBSYSTEM --service CODE [--json]", "Lists who may call a service, and which endpoints.")
	if err != nil {
		return err
	}
	af := newAccessFlags(fs, false)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	if err := af.check(fs); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	svcs := exchange.NewServices(db)
	all, err := svcs.List(ctx, "")
	if err != nil {
		return err
	}
	found := false
	for _, s := range all {
		found = found || (s.Provider == *af.provider && s.Code == *af.service)
	}
	if !found {
		return fmt.Errorf("no service %s/%s in this store: see 'vngov exchange services'", *af.provider, *af.service)
	}
	as, err := svcs.AccessList(ctx, *af.provider, *af.service)
	if err != nil {
		return err
	}
	return printList(*asJSON, as, fmt.Sprintf("no one may call %s/%s yet: grant access with 'vngov exchange access grant'", *af.provider, *af.service),
		"SUBJECT\tMETHOD\tPATH\tGRANTED\tBY", func(a exchange.Access) string {
			return fmt.Sprintf("%s\t%s\t%s\t%s\t%s", a.Subject, a.Endpoint.Method, a.Endpoint.Path, a.Granted.Format(time.RFC3339), a.By)
		})
}

// ---- message log -------------------------------------------------------------

// ict is Vietnam's time zone, in which the message log's days are counted.
var ict = time.FixedZone("ICT", 7*3600)

func parseDay(flagName, s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, ict)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q must be a day YYYY-MM-DD (UTC+7)", flagName, s)
	}
	return t, nil
}

func printReport(what string, rep msglog.Report) error {
	if !rep.OK {
		if rep.BadSeq > 0 {
			fmt.Printf("%s BROKEN at record %d: %s (%d records and %d batches checked before it)\n", what, rep.BadSeq, rep.Reason, rep.Records, rep.Batches)
		} else {
			fmt.Printf("%s BROKEN: %s\n", what, rep.Reason)
		}
		return exitCode(3)
	}
	span := ""
	if rep.Records > 0 {
		span = fmt.Sprintf(", records %d to %d", rep.First, rep.Last)
	}
	fmt.Printf("%s intact: %d records, %d batches, %d unsealed%s\n", what, rep.Records, rep.Batches, rep.Unsealed, span)
	if rep.Unsealed > 0 {
		fmt.Printf("  (%d records after the last batch are checked but not yet signed and timestamped)\n", rep.Unsealed)
	}
	fmt.Printf("  anchor %s\n  head   %s\n", rep.Anchor, rep.Head)
	return nil
}

func runLogVerify(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange log verify", "--gateway ID [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--ca FILE]\n       vngov exchange log verify --archive FILE.zip --ca FILE",
		"Proves a gateway's message log complete and untampered: every record present, unaltered and\nlinked to the one before, every batch signed by a gateway certificate and timestamped under\nthe exchange CA. With --archive it checks a daily archive offline, with no database.\nExit status 0: intact; 3: not, naming the first bad record.")
	if err != nil {
		return err
	}
	gw := fs.String("gateway", "", "the gateway whose log to check, CLASS/MEMBER/SERVERCODE")
	from := fs.String("from", "", "first day to check, YYYY-MM-DD (UTC+7; default: the start of the log)")
	to := fs.String("to", "", "last day to check, YYYY-MM-DD, inclusive (default: the end of the log)")
	caFile := fs.String("ca", "", "the exchange CA certificate (default: DATA-DIR/hub/ca/ca.pem, else the trust anchor)")
	archive := fs.String("archive", "", "an archive written by 'vngov exchange log archive' to check offline")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	if *archive != "" {
		if *gw != "" || *from != "" || *to != "" {
			return errors.New("--archive checks one file offline: leave out --gateway, --from and --to")
		}
		ca, _, err := hubCA(cfg, *caFile)
		if err != nil {
			return err
		}
		f, err := os.Open(*archive)
		if err != nil {
			return fmt.Errorf("--archive: %w", err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		rep, err := msglog.VerifyArchive(f, st.Size(), ca)
		if err != nil {
			return err
		}
		return printReport("archive "+*archive, rep)
	}
	if err := required(fs, "gateway"); err != nil {
		return fmt.Errorf("%w; or --archive FILE.zip to check an archive", err)
	}
	var fromT, toT time.Time
	if *from != "" {
		if fromT, err = parseDay("--from", *from); err != nil {
			return err
		}
	}
	if *to != "" {
		if toT, err = parseDay("--to", *to); err != nil {
			return err
		}
		toT = toT.AddDate(0, 0, 1)
	}
	if !fromT.IsZero() && !toT.IsZero() && !fromT.Before(toT) {
		return errors.New("--from must not be after --to")
	}
	ca, _, err := hubCA(cfg, *caFile)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := msglog.Verify(ctx, db, *gw, fromT, toT, ca)
	if err != nil {
		return err
	}
	what := "message log of " + *gw
	if *from != "" || *to != "" {
		what += fmt.Sprintf(" (%s to %s)", orDash(*from, "start"), orDash(*to, "end"))
	}
	if rep.OK && rep.Records == 0 && rep.Batches == 0 {
		var n int
		db.QueryRow(ctx, "SELECT COUNT(*) FROM msglog_record WHERE gateway = ?", *gw).Scan(&n)
		if n == 0 {
			fmt.Fprintf(os.Stderr, "note: this store holds no records of gateway %q (check --gateway: 'vngov exchange gateways')\n", *gw)
		}
	}
	return printReport(what, rep)
}

func orDash(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// gatewayKeyPair finds the gateway's key and certificate: the flags, else
// DATA-DIR/gateway/{key,cert}.pem, else where `vngov demo` keeps its
// gateways'. It never creates a key.
func gatewayKeyPair(cfg *config.Config, id, keyFlag, certFlag string) (crypto.Signer, *x509.Certificate, error) {
	keyPath, certPath := keyFlag, certFlag
	if keyPath == "" || certPath == "" {
		dirs := []string{filepath.Join(cfg.DataDir, "gateway"), filepath.Join(cfg.DataDir, "exchange", "gateways", strings.ReplaceAll(id, "/", "_"))}
		for _, d := range dirs {
			if _, err := os.Stat(filepath.Join(d, "key.pem")); err == nil {
				if keyPath == "" {
					keyPath = filepath.Join(d, "key.pem")
				}
				if certPath == "" {
					certPath = filepath.Join(d, "cert.pem")
				}
				break
			}
		}
		if keyPath == "" || certPath == "" {
			return nil, nil, fmt.Errorf("no gateway key at %s: give --key and --cert (the gateway's key.pem and cert.pem)", filepath.Join(dirs[0], "key.pem"))
		}
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("--key: %w", err)
	}
	key, err := pki.DecodeKey(kb)
	if err != nil {
		return nil, nil, fmt.Errorf("--key %s: %w", keyPath, err)
	}
	_, cert, err := readCertFile("--cert", certPath)
	if err != nil {
		return nil, nil, err
	}
	return key, cert, nil
}

// noStamper is the timestamper of a log opened only to archive: it is
// never started, so it never seals.
type noStamper struct{}

func (noStamper) Stamp(context.Context, []byte) (pki.Timestamp, error) {
	return pki.Timestamp{}, errors.New("the command line does not seal message-log batches")
}

func runLogArchive(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange log archive", "--gateway ID --day YYYY-MM-DD --out FILE.zip [--key FILE --cert FILE] [--ca FILE]",
		"Writes the sealed batches of one day (UTC+7) of a gateway's message log, and their records,\nto a zip signed with the gateway's key. 'vngov exchange log verify --archive' checks it offline.")
	if err != nil {
		return err
	}
	gw := fs.String("gateway", "", "the gateway whose log to archive, CLASS/MEMBER/SERVERCODE")
	day := fs.String("day", "", "the day, YYYY-MM-DD (UTC+7)")
	out := fs.String("out", "", "the archive to write (.zip)")
	keyFile := fs.String("key", "", "the gateway's key, which signs the archive (default: DATA-DIR/gateway/key.pem)")
	certFile := fs.String("cert", "", "the gateway's certificate (default: DATA-DIR/gateway/cert.pem)")
	caFile := fs.String("ca", "", "the exchange CA certificate, to check the archive once written (default: DATA-DIR/hub/ca/ca.pem, else the trust anchor)")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	if err := required(fs, "gateway", "day", "out"); err != nil {
		return err
	}
	d, err := parseDay("--day", *day)
	if err != nil {
		return err
	}
	key, cert, err := gatewayKeyPair(cfg, *gw, *keyFile, *certFile)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := msglog.Open(db, *gw, key, cert, noStamper{}, msglog.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	tmp := *out + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	err = l.Archive(ctx, d, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, *out)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	audit.Record(ctx, db, cliActor().Entry("exchange.log.archive", "exchange/log/"+*gw, audit.OK, map[string]any{"day": *day, "file": *out}))
	ca, _, caErr := hubCA(cfg, *caFile)
	if caErr != nil {
		fmt.Printf("wrote %s (not checked: %v)\n", *out, caErr)
		return nil
	}
	af, err := os.Open(*out)
	if err != nil {
		return err
	}
	defer af.Close()
	st, err := af.Stat()
	if err != nil {
		return err
	}
	rep, err := msglog.VerifyArchive(af, st.Size(), ca)
	if err != nil {
		return err
	}
	if !rep.OK {
		fmt.Printf("wrote %s, but it does not verify: record %d: %s\n", *out, rep.BadSeq, rep.Reason)
		return exitCode(3)
	}
	if rep.Batches == 0 {
		fmt.Printf("wrote %s: no sealed batch of %s on %s\n", *out, *gw, *day)
		return nil
	}
	fmt.Printf("wrote %s: %s on %s, %d batches, records %d to %d (%d); checked against the CA\n", *out, *gw, *day, rep.Batches, rep.First, rep.Last, rep.Records)
	return nil
}

func runLogList(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange log list", "--gateway ID [--client INSTANCE/CLASS/MEMBER/SUBSYSTEM] [--service INSTANCE/CLASS/MEMBER/SUBSYSTEM/CODE] [--limit N] [--json]",
		"Lists the messages a gateway logged, newest first, without their bodies. Reading the log is audited.")
	if err != nil {
		return err
	}
	gw := fs.String("gateway", "", "the gateway, CLASS/MEMBER/SERVERCODE")
	client := fs.String("client", "", "only calls from this client subsystem")
	service := fs.String("service", "", "only calls of this service INSTANCE/CLASS/MEMBER/SUBSYSTEM/CODE")
	limit := fs.Int("limit", 50, "at most this many records (1 to 1000)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseCmd(fs, cfg, args, 0); err != nil {
		return err
	}
	if err := required(fs, "gateway"); err != nil {
		return err
	}
	if *limit < 1 || *limit > 1000 {
		return errors.New("--limit must be 1 to 1000")
	}
	db, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	recs, err := msglog.List(ctx, db, msglog.Filter{Gateway: *gw, Client: *client, Service: *service, Limit: *limit})
	if err != nil {
		return err
	}
	if err := audit.Record(ctx, db, cliActor().Entry("exchange.log.read", "exchange/log/"+*gw, audit.OK, map[string]any{"client": *client, "service": *service})); err != nil {
		return err
	}
	return printList(*asJSON, recs, "no records of gateway "+*gw+" match",
		"SEQ\tSTARTED\tSIDE\tCLIENT\tSERVICE\tREQUEST\tSTATUS\tMS", func(r msglog.Record) string {
			status := strconv.Itoa(r.Status)
			if r.ErrorType != "" {
				status += " " + r.ErrorType
			}
			return fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s %s\t%s\t%d", r.Seq, r.Started.In(ict).Format("2006-01-02 15:04:05"), r.Side, r.Client, r.Service,
				r.Method, r.Path, status, r.Finished.Sub(r.Started).Milliseconds())
		})
}

// printList prints a list command's items: as JSON ({"items": [...],
// "total": n}, an empty list as []), or as a table with header and one row
// per item, or, when there is none, the line none (which says how to add
// one).
func printList[T any](asJSON bool, items []T, none, header string, row func(T) string) error {
	if asJSON {
		if items == nil {
			items = []T{}
		}
		return writeJSONOut(map[string]any{"items": items, "total": len(items)})
	}
	if len(items) == 0 {
		fmt.Println(none)
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, it := range items {
		fmt.Fprintln(tw, row(it))
	}
	return tw.Flush()
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// ---- call ------------------------------------------------------------------------

// servicePath turns SERVICE_PATH into the request path and query to send:
// a full "/r1/..." path is sent as it is; INSTANCE/CLASS/MEMBER/SUBSYSTEM/
// SERVICE[/path][?query] has each identifier part checked and
// percent-encoded on its own, as PR-REST says. The query starts at the
// first "?"; a part that itself holds "?" is written %3F.
func servicePath(arg string) (string, error) {
	if strings.HasPrefix(arg, "/") {
		if strings.ContainsAny(arg, " \t\r\n") {
			return "", fmt.Errorf("SERVICE_PATH %q: percent-encode spaces in a /r1/ path", arg)
		}
		return arg, nil
	}
	p, query, hasQuery := strings.Cut(arg, "?")
	parts := strings.SplitN(p, "/", 6)
	if len(parts) < 5 {
		return "", fmt.Errorf("SERVICE_PATH %q must be INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path][?query], or a full /r1/... path", arg)
	}
	id, err := xroad.ParseServiceID(strings.Join(parts[:5], "/"))
	if err != nil {
		var xe *xroad.Error
		if errors.As(err, &xe) {
			return "", fmt.Errorf("SERVICE_PATH: %s", xe.Message)
		}
		return "", err
	}
	out := id.Path()
	if len(parts) == 6 {
		out += "/" + escapeLoosely(parts[5], false)
	}
	if hasQuery {
		out += "?" + escapeLoosely(query, true)
	}
	return out, nil
}

// escapeLoosely percent-encodes what may not appear as it is in a URL path
// (or query) and leaves existing escapes and reserved characters alone, as
// curl does with what it is given.
func escapeLoosely(s string, query bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~!$&'()*+,;=:@/%", c) >= 0 || (query && c == '?')
		if ok {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// gatewayFromEndpoints finds a member's gateway in DATA-DIR/endpoints.json,
// which `vngov demo` writes: {"gateways": {"VN/GOV/CODE": {"client": URL}}}.
func gatewayFromEndpoints(dataDir, member string) (string, error) {
	p := filepath.Join(dataDir, "endpoints.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("--from reads the gateways in %s, which 'vngov demo' writes: %v; or give --gateway URL", p, err)
	}
	var ep struct {
		Gateways map[string]struct {
			Client string `json:"client"`
		} `json:"gateways"`
	}
	if err := json.Unmarshal(b, &ep); err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	var hits []string
	for k := range ep.Gateways {
		if k == member || strings.HasSuffix(k, "/"+member) {
			hits = append(hits, k)
		}
	}
	if len(hits) != 1 {
		what := "no gateway"
		if len(hits) > 1 {
			what = "more than one gateway"
		}
		return "", fmt.Errorf("--from %s: %s in %s; its gateways are: %s", member, what, p, strings.Join(sortedKeys(ep.Gateways), ", "))
	}
	return ep.Gateways[hits[0]].Client, nil
}

func runCall(ctx context.Context, args []string) error {
	fs, cfg, err := cmdFlags("exchange call", "--client INSTANCE/CLASS/MEMBER/SUBSYSTEM [--gateway URL | --from MEMBER] [--user ID] [--issue CASE]\n       [-X METHOD] [-H 'K: V' ...] [-d BODY | -d @FILE] [-i] SERVICE_PATH",
		"Calls a service through a gateway's client side, as an information system would.\nSERVICE_PATH is INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path][?query] (each identifier part is\npercent-encoded for you; write a '?' inside a part as %3F) or a full /r1/... path.\nPrints the answer's body (-i: the status and headers too). An exchange error is printed as\n'X-Road-Error: <type>: <message>'. Exit status 0 for a 2xx answer, 1 otherwise.")
	if err != nil {
		return err
	}
	gwURL := fs.String("gateway", "", "the gateway's client-side URL (default: http://<gateway-client-listen>)")
	from := fs.String("from", "", "call through this member's gateway, as listed in DATA-DIR/endpoints.json (INSTANCE/CLASS/MEMBER, CLASS/MEMBER or MEMBER)")
	client := fs.String("client", "", "the calling subsystem INSTANCE/CLASS/MEMBER/SUBSYSTEM (X-Road-Client)")
	user := fs.String("user", "", "the official who acts, e.g. VN001089012345 (X-Road-UserId)")
	issue := fs.String("issue", "", "the case the call is for, e.g. a dossier code (X-Road-Issue)")
	method := fs.String("X", "", "HTTP method (default GET, or POST with -d)")
	var headers listFlag
	fs.Var(&headers, "H", "a request header 'Name: value' (repeatable)")
	data := fs.String("d", "", "request body; @FILE reads a file, @- standard input")
	include := fs.Bool("i", false, "print the status line and headers before the body")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after this long")
	pos, err := parseCmd(fs, cfg, args, 1)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return errors.New("missing SERVICE_PATH, e.g. VN/GOV/000.00.00.G91/CSDLQGDC/xacminh-cccd/personal-ids/001089012345 (see -h)")
	}
	if err := required(fs, "client"); err != nil {
		return err
	}
	cid, err := xroad.ParseClientID(*client)
	if err != nil || !cid.IsSubsystem() {
		msg := "must name a subsystem"
		var xe *xroad.Error
		if errors.As(err, &xe) {
			msg = xe.Message
		}
		return fmt.Errorf("--client %q: %s: INSTANCE/CLASS/MEMBER/SUBSYSTEM", *client, msg)
	}
	path, err := servicePath(pos[0])
	if err != nil {
		return err
	}
	base := *gwURL
	switch {
	case base != "" && *from != "":
		return errors.New("give --gateway or --from, not both")
	case *from != "":
		if base, err = gatewayFromEndpoints(cfg.DataDir, *from); err != nil {
			return err
		}
	case base == "":
		base = "http://" + cfg.GatewayIS
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		base = "http://" + base
	}
	var body io.Reader
	var bodyBytes []byte
	if isSet(fs, "d") {
		switch {
		case *data == "@-":
			bodyBytes, err = io.ReadAll(os.Stdin)
		case strings.HasPrefix(*data, "@"):
			bodyBytes, err = os.ReadFile((*data)[1:])
		default:
			bodyBytes = []byte(*data)
		}
		if err != nil {
			return fmt.Errorf("-d: %w", err)
		}
		body = bytes.NewReader(bodyBytes)
	}
	m := strings.ToUpper(*method)
	if m == "" {
		m = "GET"
		if body != nil {
			m = "POST"
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, m, strings.TrimRight(base, "/")+path, body)
	if err != nil {
		return fmt.Errorf("--gateway %q: %w", base, err)
	}
	req.Header.Set(xroad.HeaderClient, cid.Encode())
	if *user != "" {
		req.Header.Set(xroad.HeaderUserID, *user)
	}
	if *issue != "" {
		req.Header.Set(xroad.HeaderIssue, *issue)
	}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("-H %q must be 'Name: value'", h)
		}
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		if t := strings.TrimSpace(string(bodyBytes)); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "application/octet-stream")
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the gateway at %s: %v", base, err)
	}
	defer resp.Body.Close()
	xe := xroad.ErrorFromResponse(resp)
	if *include {
		fmt.Printf("%s %s\n", resp.Proto, resp.Status)
		for _, k := range sortedKeys(resp.Header) {
			for _, v := range resp.Header[k] {
				fmt.Printf("%s: %s\n", k, v)
			}
		}
		fmt.Println()
	}
	if xe != nil {
		fmt.Fprintf(os.Stderr, "X-Road-Error: %s: %s\n", xe.Type, xe.Message)
		if xe.Detail != "" {
			fmt.Fprintf(os.Stderr, "  (detail %s: the gateway's logs name the event by it)\n", xe.Detail)
		}
		if *include {
			io.Copy(os.Stdout, resp.Body)
		}
		return exitCode(1)
	}
	if _, err := io.Copy(os.Stdout, resp.Body); err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if !*include {
			fmt.Fprintf(os.Stderr, "\nvngov exchange call: the service answered %s\n", resp.Status)
		}
		return exitCode(1)
	}
	return nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
