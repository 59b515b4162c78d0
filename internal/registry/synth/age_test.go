package synth

import (
	"fmt"
	"os"
	"sort"
	"testing"
)

func TestExploreAge(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	buckets := map[int]int{}
	var ages []int
	New(1).People(200000, func(h *Household, ps []*Person) error {
		for _, p := range ps {
			if p.Status != Living {
				continue
			}
			a := 2025 - yearOf(p.BirthDate)
			buckets[a/10]++
			ages = append(ages, a)
		}
		return nil
	})
	sort.Ints(ages)
	for b := 0; b < 11; b++ {
		fmt.Printf("%d-%d: %.1f%%\n", b*10, b*10+9, float64(buckets[b])*100/float64(len(ages)))
	}
	fmt.Println("median", ages[len(ages)/2])
}
