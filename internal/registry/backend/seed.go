package backend

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/registry/enterprise"
	"github.com/vngov/vngov/internal/registry/land"
	"github.com/vngov/vngov/internal/registry/population"
	"github.com/vngov/vngov/internal/registry/synth"
)

// SeedOptions size a synthetic load of the registries.
type SeedOptions struct {
	Citizens, Enterprises, Parcels int
	Seed                           uint64
	Progress                       io.Writer // progress lines; nil for none
}

// SeedResult is what a seed wrote and how fast.
type SeedResult struct {
	Citizens, Enterprises, Parcels int
	CitizensTime                   time.Duration
	Elapsed                        time.Duration
}

const seedAuthor = "system:seed"

// Seed fills the registries with synthetic, consistent data (deterministic
// for a seed). Generation and writing run side by side: the generator
// fills batches while the store writes the previous one.
func (c *Component) Seed(ctx context.Context, opt SeedOptions) (SeedResult, error) {
	start := time.Now()
	res := SeedResult{}
	g := synth.New(opt.Seed)
	out := opt.Progress
	if out == nil {
		out = io.Discard
	}

	type batch struct {
		people []population.Person
		homes  []population.Household
	}
	const per = 5000
	batches := make(chan batch, 2)
	done := make(chan error, 1)
	prog := synth.NewProgress(out, "citizens", opt.Citizens)
	go func() {
		var err error
		for b := range batches {
			if err == nil {
				err = c.Population.Load(ctx, b.people, b.homes, seedAuthor)
				prog.Add(len(b.people))
			}
		}
		done <- err
	}()
	var adults []string
	cur := batch{}
	err := g.People(opt.Citizens, func(h *synth.Household, ps []*synth.Person) error {
		cur.homes = append(cur.homes, population.Household{ID: h.ID, HeadID: h.HeadID, Address: population.Address{Commune: h.Commune, Street: h.Street}})
		for _, p := range ps {
			cur.people = append(cur.people, personOf(p))
			if p.LivingAdult() && len(adults) < 500000 {
				adults = append(adults, p.ID)
			}
		}
		if len(cur.people) >= per {
			select {
			case batches <- cur:
			case <-ctx.Done():
				return ctx.Err()
			}
			cur = batch{}
		}
		return nil
	})
	if err == nil && len(cur.people) > 0 {
		batches <- cur
	}
	close(batches)
	if werr := <-done; err == nil {
		err = werr
	}
	prog.Done()
	if err != nil {
		return res, fmt.Errorf("registry: seed citizens: %w", err)
	}
	res.Citizens, res.CitizensTime = opt.Citizens, time.Since(start)

	var codes []string
	var ents []enterprise.Enterprise
	eprog := synth.NewProgress(out, "enterprises", opt.Enterprises)
	err = g.Enterprises(opt.Enterprises, adults, func(e *synth.Enterprise) error {
		ents = append(ents, enterpriseOf(e))
		codes = append(codes, e.Code)
		if len(ents) >= 2000 {
			if err := c.Enterprise.Load(ctx, ents, seedAuthor); err != nil {
				return err
			}
			eprog.Add(len(ents))
			ents = ents[:0]
		}
		return nil
	})
	if err == nil && len(ents) > 0 {
		err = c.Enterprise.Load(ctx, ents, seedAuthor)
		eprog.Add(len(ents))
	}
	eprog.Done()
	if err != nil {
		return res, fmt.Errorf("registry: seed enterprises: %w", err)
	}
	res.Enterprises = opt.Enterprises

	var parcels []land.Parcel
	pprog := synth.NewProgress(out, "parcels", opt.Parcels)
	err = g.Parcels(opt.Parcels, adults, codes, func(p *synth.Parcel) error {
		parcels = append(parcels, parcelOf(p))
		if len(parcels) >= 2000 {
			if err := c.Land.Load(ctx, parcels, seedAuthor); err != nil {
				return err
			}
			pprog.Add(len(parcels))
			parcels = parcels[:0]
		}
		return nil
	})
	if err == nil && len(parcels) > 0 {
		err = c.Land.Load(ctx, parcels, seedAuthor)
		pprog.Add(len(parcels))
	}
	pprog.Done()
	if err != nil {
		return res, fmt.Errorf("registry: seed parcels: %w", err)
	}
	res.Parcels = opt.Parcels
	res.Elapsed = time.Since(start)
	return res, nil
}

func personOf(p *synth.Person) population.Person {
	return population.Person{ID: p.ID, FullName: p.FullName, BirthDate: p.BirthDate, Sex: p.Sex, Ethnicity: p.Ethnicity, Religion: p.Religion,
		Nationality: p.Nationality, BirthPlace: p.BirthPlace, HomeTown: p.HomeTown,
		Permanent:   population.Address{Commune: p.PermanentCommune, Street: p.PermanentStreet},
		Current:     population.Address{Commune: p.CurrentCommune, Street: p.CurrentStreet},
		HouseholdID: p.HouseholdID, RelationToHead: p.RelationToHead, FatherID: p.FatherID, MotherID: p.MotherID, SpouseID: p.SpouseID,
		MaritalStatus: p.MaritalStatus, Status: p.Status, DeathDate: p.DeathDate}
}

// The generator names enterprise types as people say them; the registry
// uses its own codes.
var enterpriseTypes = map[string]string{
	"sole-proprietorship": enterprise.TypeSoleProprietorship,
	"llc-one-member":      enterprise.TypeSingleMemberLLC,
	"llc-multi-member":    enterprise.TypeMultiMemberLLC,
	"joint-stock":         enterprise.TypeJointStock,
	"partnership":         enterprise.TypePartnership,
}

func enterpriseOf(e *synth.Enterprise) enterprise.Enterprise {
	t := enterpriseTypes[e.Type]
	if t == "" {
		t = e.Type
	}
	return enterprise.Enterprise{Code: e.Code, Name: e.Name, NameEn: e.NameEn, ShortName: e.ShortName, Type: t, RegisteredOn: e.RegisteredOn, Status: e.Status,
		HeadOffice: enterprise.Address{Commune: e.HeadOfficeCommune, Street: e.HeadOfficeStreet}, CharterCapital: e.CharterCapital,
		Representatives: e.Representatives, Members: e.Members, BusinessLines: e.BusinessLines, Branches: e.Branches}
}

// landOrigin maps the generator's Vietnamese origin text to the
// registry's origin codes.
func landOrigin(s string) string {
	l := strings.ToLower(s)
	switch {
	case strings.Contains(l, "công nhận"):
		return "recognized"
	case strings.Contains(l, "cho thuê") && strings.Contains(l, "hằng năm"):
		return "lease-annual"
	case strings.Contains(l, "cho thuê"):
		return "lease-lump-sum"
	case strings.Contains(l, "không thu tiền"):
		return "allocated-without-fee"
	case strings.Contains(l, "có thu tiền"):
		return "allocated-with-fee"
	case strings.Contains(l, "chuyển nhượng") || strings.Contains(l, "thừa kế") || strings.Contains(l, "tặng cho") || strings.Contains(l, "nhận chuyển"):
		return "transferred"
	}
	return "recognized"
}

func parcelOf(p *synth.Parcel) land.Parcel {
	term := p.Term
	if term == "lâu dài" {
		term = land.LongTerm
	}
	out := land.Parcel{Commune: p.Commune, MapSheet: p.MapSheet, ParcelNo: p.ParcelNo, AreaM2: p.AreaM2, Purpose: p.Purpose, Term: term, Origin: landOrigin(p.Origin),
		CertificateSerial: p.CertificateSerial, Mortgages: []land.Mortgage{}}
	for _, h := range p.Holders {
		out.Holders = append(out.Holders, land.Holder{ID: h.ID, Kind: h.Kind, SharePct: h.SharePct})
	}
	for _, m := range p.Mortgages {
		out.Mortgages = append(out.Mortgages, land.Mortgage{Bank: m.Bank, RegisteredOn: m.RegisteredOn, Amount: m.Amount})
	}
	return out
}
