// Package bus carries events between components: a transactional outbox
// (an event row is written in the same transaction as the change it
// describes) and a relay that publishes the rows to NATS JetStream, embedded
// by default or an external cluster. Consumers get at-least-once delivery
// and deduplicate by event id.
package bus

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vngov/vngov/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the outbox's tables.
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// Stream is the JetStream stream that holds every platform event.
const Stream = "VNGOV_EVENTS"

// subjectPrefix keeps platform events apart from anything else on a shared
// NATS cluster.
const subjectPrefix = "vngov."

// Event is a fact a component announces, e.g. "catalog.changed".
type Event struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`    // dotted, component first: catalog.changed
	Source  string          `json:"source"`  // the component that emitted it
	Subject string          `json:"subject"` // what it is about, e.g. the list code
	Time    time.Time       `json:"time"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// Emit writes ev to the outbox inside tx, so the event exists if and only if
// the change it describes commits. It fills ID and Time when empty.
func Emit(ctx context.Context, tx store.Querier, ev Event) (Event, error) {
	if ev.Type == "" || strings.ContainsAny(ev.Type, " *>") {
		return ev, fmt.Errorf("bus: emit: invalid event type %q", ev.Type)
	}
	if ev.ID == "" {
		ev.ID = uuid.Must(uuid.NewV7()).String()
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	if len(ev.Data) == 0 {
		ev.Data = json.RawMessage("{}")
	}
	_, err := tx.Exec(ctx, "INSERT INTO bus_outbox (id, type, source, subject, time, data) VALUES (?, ?, ?, ?, ?, ?)",
		ev.ID, ev.Type, ev.Source, ev.Subject, ev.Time.UnixMicro(), string(ev.Data))
	if err != nil {
		return ev, fmt.Errorf("bus: emit %s: %w", ev.Type, err)
	}
	return ev, nil
}

// Seen records that consumer handled the event with id inside tx, and
// reports whether it had already done so: a consumer that finds true skips
// the event, which makes at-least-once delivery exactly-once in effect.
func Seen(ctx context.Context, tx store.Querier, consumer, id string) (bool, error) {
	res, err := tx.Exec(ctx, "INSERT INTO bus_consumed (consumer, event_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
		consumer, id, time.Now().UnixMicro())
	if err != nil {
		return false, fmt.Errorf("bus: mark %s seen by %s: %w", id, consumer, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("bus: mark seen: %w", err)
	}
	return n == 0, nil
}

// Config says which NATS to use.
type Config struct {
	// URL of an external NATS cluster (comma-separated servers); empty runs
	// an embedded server with its store under Dir.
	URL string
	// Dir is the embedded server's JetStream store directory.
	Dir string
	// Replicas is the stream's replica count on a cluster (1 embedded).
	Replicas int
	// MaxAge is how long the stream keeps events (default 7 days).
	MaxAge time.Duration
	// Name identifies this connection in NATS monitoring.
	Name string
}

// Bus is a connection to JetStream with the platform stream in place.
type Bus struct {
	ns  *server.Server // embedded server, nil for an external cluster
	nc  *nats.Conn
	js  jetstream.JetStream
	log *slog.Logger
}

// Open connects to NATS (starting the embedded server when cfg.URL is
// empty) and creates or updates the event stream.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Bus, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bus{log: log}
	name := cfg.Name
	if name == "" {
		name = "vngov"
	}
	var err error
	if cfg.URL == "" {
		if cfg.Dir == "" {
			return nil, errors.New("bus: no NATS URL and no directory for the embedded server")
		}
		b.ns, err = server.NewServer(&server.Options{
			ServerName: "vngov-embedded",
			JetStream:  true,
			StoreDir:   filepath.Clean(cfg.Dir),
			DontListen: true,
			NoSigs:     true,
			NoLog:      true,
		})
		if err != nil {
			return nil, fmt.Errorf("bus: embedded nats: %w", err)
		}
		b.ns.Start()
		if !b.ns.ReadyForConnections(30 * time.Second) {
			b.ns.Shutdown()
			return nil, errors.New("bus: embedded nats did not start in 30s")
		}
		b.nc, err = nats.Connect("", nats.InProcessServer(b.ns), nats.Name(name))
	} else {
		b.nc, err = nats.Connect(cfg.URL, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	}
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: connect: %w", err)
	}
	b.js, err = jetstream.New(b.nc)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: jetstream: %w", err)
	}
	replicas := cfg.Replicas
	if replicas <= 0 {
		replicas = 1
	}
	maxAge := cfg.MaxAge
	if maxAge <= 0 {
		maxAge = 7 * 24 * time.Hour
	}
	_, err = b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       Stream,
		Subjects:   []string{subjectPrefix + ">"},
		Storage:    jetstream.FileStorage,
		Replicas:   replicas,
		MaxAge:     maxAge,
		Duplicates: 10 * time.Minute,
	})
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: create stream %s: %w", Stream, err)
	}
	return b, nil
}

// Close drains the connection and stops the embedded server.
func (b *Bus) Close() {
	if b.nc != nil {
		b.nc.Drain()
		b.nc.Close()
	}
	if b.ns != nil {
		b.ns.Shutdown()
		b.ns.WaitForShutdown()
	}
}

// Ready checks that JetStream answers; it backs /readyz.
func (b *Bus) Ready(ctx context.Context) error {
	if _, err := b.js.Stream(ctx, Stream); err != nil {
		return fmt.Errorf("bus: stream %s: %w", Stream, err)
	}
	return nil
}

// JetStream exposes the JetStream handle, for tools and tests.
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// publish sends ev with its id as the JetStream message id, so a relay that
// publishes the same row twice (after a crash) stores it once.
func (b *Bus) publishAsync(ev Event) (jetstream.PubAckFuture, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	msg := nats.NewMsg(subjectPrefix + ev.Type)
	msg.Data = body
	msg.Header.Set("Vngov-Event-Type", ev.Type)
	return b.js.PublishMsgAsync(msg, jetstream.WithMsgID(ev.ID))
}

// Handler processes one event; an error makes the bus deliver it again later.
type Handler func(ctx context.Context, ev Event) error

// Subscription is a running durable consumer.
type Subscription struct{ cc jetstream.ConsumeContext }

// Stop stops delivery to the handler.
func (s *Subscription) Stop() { s.cc.Stop() }

// Subscribe starts a durable consumer named name for events whose type
// matches filter (NATS wildcards: "catalog.changed", "dossier.>"). Delivery
// is at least once: the handler must be idempotent (see Seen).
func (b *Bus) Subscribe(ctx context.Context, name, filter string, h Handler) (*Subscription, error) {
	cons, err := b.js.CreateOrUpdateConsumer(ctx, Stream, jetstream.ConsumerConfig{
		Durable:       name,
		FilterSubject: subjectPrefix + filter,
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: 1000,
	})
	if err != nil {
		return nil, fmt.Errorf("bus: consumer %s: %w", name, err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		var ev Event
		if err := json.Unmarshal(msg.Data(), &ev); err != nil {
			b.log.Error("bus: undecodable event dropped", "consumer", name, "subject", msg.Subject(), "err", err)
			msg.Term()
			return
		}
		if err := h(ctx, ev); err != nil {
			b.log.Warn("bus: handler failed, will retry", "consumer", name, "event", ev.ID, "type", ev.Type, "err", err)
			msg.NakWithDelay(time.Second)
			return
		}
		msg.Ack()
	})
	if err != nil {
		return nil, fmt.Errorf("bus: consume %s: %w", name, err)
	}
	return &Subscription{cc: cc}, nil
}

// Count returns how many events of the given type the stream holds.
func (b *Bus) Count(ctx context.Context, eventType string) (uint64, error) {
	s, err := b.js.Stream(ctx, Stream)
	if err != nil {
		return 0, fmt.Errorf("bus: stream: %w", err)
	}
	subj := subjectPrefix + eventType
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(subj))
	if err != nil {
		return 0, fmt.Errorf("bus: stream info: %w", err)
	}
	return info.State.Subjects[subj], nil
}

// Watch delivers events of the given types that arrive from now on to h,
// without a durable consumer: for caches that only need to hear of changes
// while they run. Delivery is best effort; use Subscribe for work that must
// not be missed.
func (b *Bus) Watch(ctx context.Context, filter string, h func(Event)) (*Subscription, error) {
	cons, err := b.js.OrderedConsumer(ctx, Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subjectPrefix + filter},
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("bus: watch %s: %w", filter, err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		var ev Event
		if json.Unmarshal(msg.Data(), &ev) == nil {
			h(ev)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("bus: watch %s: %w", filter, err)
	}
	return &Subscription{cc: cc}, nil
}
