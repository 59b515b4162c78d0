package portal

import (
	"context"

	"github.com/vngov/vngov/internal/platform/store"
)

// write runs fn in a write transaction with group commit on SQLite (see
// store.GroupWriter): many citizens filing at once share commits.
func (s *drafts) write(ctx context.Context, fn func(ctx context.Context, tx *store.Tx) error) error {
	s.batchOnce.Do(func() { s.batch = store.NewGroupWriter(s.db) })
	return s.batch.Write(ctx, fn)
}
