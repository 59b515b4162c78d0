package synth

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"testing"
)

func TestExplore(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	g := New(42)
	shown := 0
	sur := map[string]int{}
	eth := map[string]int{}
	rel := map[string]int{}
	dead, total, curDiff := 0, 0, 0
	sizes := map[int]int{}
	err := g.People(200000, func(h *Household, ps []*Person) error {
		if shown < 6 {
			b, _ := json.MarshalIndent(h, "", " ")
			fmt.Println(string(b))
			for _, p := range ps {
				b, _ := json.Marshal(p)
				fmt.Println(string(b))
			}
			shown++
		}
		sizes[len(h.Members)]++
		for _, p := range ps {
			total++
			s := p.Surname
			if s == "Huỳnh" {
				s = "Hoàng"
			}
			if s == "Võ" {
				s = "Vũ"
			}
			sur[s]++
			eth[p.Ethnicity]++
			rel[p.Religion]++
			if p.Status == Deceased {
				dead++
			}
			if p.CurrentCommune != p.PermanentCommune || p.CurrentStreet != p.PermanentStreet {
				curDiff++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pr := func(name string, m map[string]int) {
		type kv struct {
			k string
			v int
		}
		var l []kv
		for k, v := range m {
			l = append(l, kv{k, v})
		}
		sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v })
		fmt.Print(name, ": ")
		for i, x := range l {
			if i < 25 {
				fmt.Printf("%s %.2f%%, ", x.k, float64(x.v)*100/float64(total))
			}
		}
		fmt.Println()
	}
	pr("surnames", sur)
	pr("ethnic", eth)
	pr("religion", rel)
	fmt.Printf("dead %.2f%% curDiff %.2f%% sizes %v\n", float64(dead)*100/float64(total), float64(curDiff)*100/float64(total), sizes)
}

func TestExploreEnt(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	g := New(7)
	var adults []string
	g.People(20000, func(h *Household, ps []*Person) error {
		for _, p := range ps {
			if p.LivingAdult() {
				adults = append(adults, p.ID)
			}
		}
		return nil
	})
	i := 0
	var codes []string
	err := g.Enterprises(2000, adults, func(e *Enterprise) error {
		if i < 12 {
			b, _ := json.Marshal(e)
			fmt.Println(string(b))
		}
		codes = append(codes, e.Code)
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	i = 0
	err = g.Parcels(2000, adults, codes, func(p *Parcel) error {
		if i < 12 {
			b, _ := json.Marshal(p)
			fmt.Println(string(b))
		}
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
