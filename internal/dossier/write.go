package dossier

import (
	"context"

	"github.com/vngov/vngov/internal/platform/store"
)

// write runs fn in a write transaction with group commit on SQLite (see
// store.GroupWriter): many officials acting at once share commits, each
// write still all or nothing and durable before it is acknowledged.
func (s *Service) write(ctx context.Context, fn func(ctx context.Context, tx *store.Tx) error) error {
	s.batchOnce.Do(func() { s.batch = store.NewGroupWriter(s.db) })
	return s.batch.Write(ctx, fn)
}
