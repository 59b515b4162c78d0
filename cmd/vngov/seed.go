package main

import (
	"context"
	"fmt"
	"os"

	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/registry/backend"
)

// runSeed fills the registries with synthetic data.
func runSeed(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "registries" {
		return fmt.Errorf("usage: vngov seed registries [--citizens N] [--enterprises M] [--parcels K] [--seed S] [flags]")
	}
	fs, cfg, err := flags("seed registries")
	if err != nil {
		return err
	}
	citizens := fs.Int("citizens", 10000, "synthetic citizens (in households)")
	enterprises := fs.Int("enterprises", 1000, "synthetic enterprises")
	parcels := fs.Int("parcels", 5000, "synthetic land parcels")
	seed := fs.Uint64("seed", 1, "generator seed: the same seed gives the same data")
	if err := parse(fs, cfg, args[1:]); err != nil {
		return err
	}
	if *citizens < 0 || *enterprises < 0 || *parcels < 0 {
		return fmt.Errorf("--citizens, --enterprises and --parcels must not be negative")
	}
	cfg.Roles, cfg.RegistryAddr = "registry", ""
	k, err := kernel.Open(ctx, cfg, newLogger(cfg.LogLevel))
	if err != nil {
		return err
	}
	defer k.Close()
	reg, _ := backend.NewComponent(k)
	if err := k.Start(ctx, reg); err != nil {
		return err
	}
	if n, err := reg.Population.Count(ctx); err != nil {
		return err
	} else if n > 0 {
		fmt.Fprintf(os.Stderr, "note: the population registry already holds %d people; generated IDs that exist already will be refused\n", n)
	}
	res, err := reg.Seed(ctx, backend.SeedOptions{Citizens: *citizens, Enterprises: *enterprises, Parcels: *parcels, Seed: *seed, Progress: os.Stdout})
	if err != nil {
		return err
	}
	fmt.Printf("seeded %d citizens (%.0f/s), %d enterprises, %d parcels in %s (%s)\n", res.Citizens, float64(res.Citizens)/res.CitizensTime.Seconds(),
		res.Enterprises, res.Parcels, res.Elapsed.Round(1e6), k.DB.Dialect())
	return nil
}
