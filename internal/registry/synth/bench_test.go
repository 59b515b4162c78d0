package synth

import "testing"

// BenchmarkPeople measures pure generation; it reports persons/s.
func BenchmarkPeople(b *testing.B) {
	g := New(1)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	err := g.People(b.N, func(h *Household, ps []*Person) error {
		n += len(ps)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "persons/s")
}
