package notify

import (
	"context"
	"errors"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

// enqueue stores m inside tx, the transaction of whatever decided to send
// it, and returns its id and whether it waits for a gateway: Deliver hands
// it over after the transaction commits. A message whose channel has no
// gateway is stored only (in the demo: the mailbox).
func (s *Service) enqueue(ctx context.Context, tx store.Querier, m Message) (int64, bool, error) {
	m, err := check(m)
	if err != nil {
		return 0, false, err
	}
	now := s.now().UnixMilli()
	var attempted any = now
	wait := s.gateways[m.Channel] != nil
	if wait {
		attempted = nil
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO notify_message (channel, recipient, subject, body, template, created_at, error, attempted_at)
		VALUES (?, ?, ?, ?, ?, ?, '', ?) RETURNING id`, m.Channel, m.To, m.Subject, m.Body, m.Template, now, attempted).Scan(&id)
	return id, wait, err
}

// Deliver hands the stored message id to its channel's gateway, once: the
// message is marked as handed over before the gateway gets it, so that a
// crash in between loses it rather than sends it twice, and a message
// already handed over is left alone.
func (s *Service) Deliver(ctx context.Context, id int64) error {
	res, err := s.db.Exec(ctx, "UPDATE notify_message SET attempted_at = ? WHERE id = ? AND attempted_at IS NULL", s.now().UnixMilli(), id)
	if err != nil {
		return fault.Wrap(err, "notify: claim message")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	m, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	g := s.gateways[m.Channel]
	if g == nil {
		return nil
	}
	wctx := context.WithoutCancel(ctx)
	if serr := g.Send(ctx, m.Message); serr != nil {
		_, err := s.db.Exec(wctx, "UPDATE notify_message SET error = ? WHERE id = ?", serr.Error(), id)
		f := fault.New(fault.Unavailable, "notify.not_delivered", notDelivered[m.Channel], "deliver "+m.Channel+" message")
		f.Cause = errors.Join(serr, err)
		return f
	}
	if _, err := s.db.Exec(wctx, "UPDATE notify_message SET sent_at = ? WHERE id = ?", s.now().UnixMilli(), id); err != nil {
		return fault.Wrap(err, "notify: record delivery")
	}
	return nil
}

// DeliverWaiting delivers the messages still waiting for a gateway (left
// by a crash between storing and delivering them), oldest first, at most
// limit, and returns how many it tried.
func (s *Service) DeliverWaiting(ctx context.Context, limit int) (int, error) {
	var channels []any
	for c := range s.gateways {
		channels = append(channels, c)
	}
	if len(channels) == 0 {
		return 0, nil
	}
	q := "SELECT id FROM notify_message WHERE attempted_at IS NULL AND channel IN (?" + repeat(", ?", len(channels)-1) + ") ORDER BY id LIMIT ?"
	rows, err := s.db.Query(ctx, q, append(channels, limit)...)
	if err != nil {
		return 0, fault.Wrap(err, "notify: waiting messages")
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fault.Wrap(err, "notify: waiting messages")
		}
		ids = append(ids, id)
	}
	rows.Close()
	var errs []error
	for _, id := range ids {
		if err := s.Deliver(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return len(ids), errors.Join(errs...)
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
