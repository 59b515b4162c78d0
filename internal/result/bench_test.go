package result

import (
	"context"
	"fmt"
	"testing"

	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// BenchmarkIssue measures issuing a document: render, sign, store, event.
func BenchmarkIssue(b *testing.B) {
	db := storetest.OpenSQLite(b)
	s, _ := newService(b, db)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Issue(ctx, birthExtract(fmt.Sprintf("000.00.92.H26-260302-%06d", i))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyFile measures checking an uploaded file.
func BenchmarkVerifyFile(b *testing.B) {
	db := storetest.OpenSQLite(b)
	s, _ := newService(b, db)
	ctx := context.Background()
	iss, err := s.Issue(ctx, birthExtract("000.00.92.H26-260302-0001"))
	if err != nil {
		b.Fatal(err)
	}
	_, pdf, _ := s.File(ctx, iss.URI)
	b.ResetTimer()
	for b.Loop() {
		if v, err := s.Verify(ctx, "", pdf); err != nil || v.Status != StatusGenuine {
			b.Fatal(v.Status, err)
		}
	}
}
