// Command vngov runs the vngov digital-government platform: every framework
// component in one binary, chosen by role.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/vngov/vngov/internal/catalog"
	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/identity"
	"github.com/vngov/vngov/internal/monitor"
	"github.com/vngov/vngov/internal/payment"
	"github.com/vngov/vngov/internal/platform/config"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/portal"
	"github.com/vngov/vngov/internal/procedure"
	"github.com/vngov/vngov/internal/registry/backend"
	"github.com/vngov/vngov/internal/result"
	"github.com/vngov/vngov/internal/wallet"
)

// version is set at build time by the Makefile (-ldflags -X main.version=...).
var version = "dev"

type command struct {
	name, args, summary string
	run                 func(ctx context.Context, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "[flags]", "run the components named by --roles behind one listen address", runServe},
		{"demo", "[--data-dir DIR] [--port-base N]", "run every component with demo data, each on its own port; writes DIR/endpoints.json", runDemo},
		{"migrate", "[flags]", "apply every component's database migrations and exit", runMigrate},
		{"seed", "registries [--citizens N ...]", "fill the base registries with synthetic, consistent data (deterministic per --seed)", runSeed},
		{"audit", "verify [flags]", "check the audit trail's hash chain; names the first broken row", runAudit},
		{"exchange", "<command> [flags]", "the data exchange: registry, services, access rights, message log, calls ('vngov exchange help')", runExchange},
		{"pki", "init|csr|issue [flags]", "the exchange's certificates: the hub's CA, gateway keys and requests", runPKI},
		{"monitor", "rebuild [flags]", "recompute the monitoring tables (Decision 766 index, EMC) from the dossier event log", runMonitor},
		{"bench", "<area> [--duration D]", "measure an area's performance targets against their baselines (areas: " + strings.Join(benchAreas(), ", ") + ")", runBench},
		{"version", "", "print the version", func(context.Context, []string) error { fmt.Println("vngov", buildVersion()); return nil }},
		{"help", "[config]", "show this help, or the configuration settings", runHelp},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := os.Args[1:]
	if len(args) == 0 {
		usage(os.Stderr)
		os.Exit(2)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:])
			if errors.Is(err, flag.ErrHelp) {
				return
			}
			if err != nil {
				var ec exitCode
				if errors.As(err, &ec) {
					os.Exit(int(ec))
				}
				fmt.Fprintln(os.Stderr, "vngov "+c.name+":", err)
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "vngov: unknown command %q\n\n", args[0])
	usage(os.Stderr)
	os.Exit(2)
}

// exitCode is an error that asks for a particular exit status.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func usage(w io.Writer) {
	fmt.Fprintln(w, "vngov: Vietnam's digital-government platform (Architecture Framework 4.0)")
	fmt.Fprintln(w, "\nUsage: vngov <command> [arguments]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %-34s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nEvery setting is a flag and a VNGOV_* environment variable: see 'vngov help config'.")
}

func runHelp(_ context.Context, args []string) error {
	if len(args) > 0 && args[0] == "config" {
		config.WriteTable(os.Stdout)
		return nil
	}
	usage(os.Stdout)
	return nil
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

// flags returns a flag set with every setting registered.
func flags(name string) (*flag.FlagSet, *config.Config, error) {
	fs := flag.NewFlagSet("vngov "+name, flag.ContinueOnError)
	cfg, err := config.Register(fs)
	return fs, cfg, err
}

func parse(fs *flag.FlagSet, cfg *config.Config, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return cfg.Validate()
}

func newLogger(level string) *slog.Logger {
	var lv slog.Level
	lv.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
}

// components returns the components this process runs, in start order.
func components(k *kernel.Kernel) ([]kernel.Component, error) {
	type ctor struct {
		name string
		new  func(*kernel.Kernel) (kernel.Component, error)
	}
	all := []ctor{
		{"catalog", func(k *kernel.Kernel) (kernel.Component, error) { return catalog.NewComponent(k) }},
		{"exchange", func(k *kernel.Kernel) (kernel.Component, error) { return exchange.NewComponent(k) }},
		{"registry", func(k *kernel.Kernel) (kernel.Component, error) { return backend.NewComponent(k) }},
		{"procedure", func(k *kernel.Kernel) (kernel.Component, error) { return procedure.NewComponent(k) }},
		{"identity", func(k *kernel.Kernel) (kernel.Component, error) { return identity.NewComponent(k) }},
		{"dossier", func(k *kernel.Kernel) (kernel.Component, error) { return dossier.NewComponent(k) }},
		{"payment", func(k *kernel.Kernel) (kernel.Component, error) { return payment.NewComponent(k) }},
		{"portal", func(k *kernel.Kernel) (kernel.Component, error) { return portal.NewComponent(k) }},
		{"result", func(k *kernel.Kernel) (kernel.Component, error) { return result.NewComponent(k) }},
		{"wallet", func(k *kernel.Kernel) (kernel.Component, error) { return wallet.NewComponent(k) }},
		{"monitor", func(k *kernel.Kernel) (kernel.Component, error) { return monitor.NewComponent(k) }},
	}
	var out []kernel.Component
	for _, c := range all {
		if !k.Config.HasRole(c.name) && !(c.name == "exchange" && (k.Config.HasRole("hub") || k.Config.HasRole("gateway"))) {
			continue
		}
		comp, err := c.new(k)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		out = append(out, comp)
	}
	// The one-stop engine reads procedures from the procedures database of
	// the same process when it runs here (it sees new versions at once).
	for _, c := range out {
		if d, ok := c.(*dossier.Component); ok {
			for _, p := range out {
				if pc, ok := p.(*procedure.Component); ok {
					d.UseProcedures(pc.Svc)
				}
			}
		}
	}
	// The portal files and reads dossiers with the engine and reads
	// procedures from the database of the same process.
	for _, c := range out {
		if pc, ok := c.(*portal.Component); ok {
			pc.OIDC = portal.OIDC{Issuer: k.Config.PortalIssuer, ClientID: k.Config.PortalClientID, ClientSecret: k.Config.PortalClientSecret, BaseURL: k.Config.PublicURL}
			pc.SessionKey = []byte(k.Config.PortalSessionKey)
			for _, o := range out {
				switch x := o.(type) {
				case *procedure.Component:
					pc.Procedures = x.Svc
				case *dossier.Component:
					pc.Dossiers = x.Svc
				}
			}
		}
	}
	// Results are issued on approval through the engine of the same
	// process; the wallet opens issued documents from the results.
	for _, c := range out {
		switch x := c.(type) {
		case *result.Component:
			x.Connect(out)
		case *wallet.Component:
			x.Connect(out)
		}
	}
	// The monitor reads the dossier event log, procedures, catalogs and the
	// exchange's message log of the same process.
	wireMonitor(k, out)
	if len(out) == 0 {
		return nil, fmt.Errorf("no component matches --roles=%q (known: catalog, hub, gateway, registry, procedure, identity, dossier, payment, portal, result, wallet, monitor)", k.Config.Roles)
	}
	return out, nil
}
