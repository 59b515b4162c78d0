-- +goose Up
CREATE TABLE bus_outbox (
    seq {{AUTO_ID}},
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    source TEXT NOT NULL,
    subject TEXT NOT NULL,
    time BIGINT NOT NULL,
    data TEXT NOT NULL,
    published_at BIGINT
);
CREATE INDEX bus_outbox_pending ON bus_outbox (seq) WHERE published_at IS NULL;
CREATE INDEX bus_outbox_published ON bus_outbox (published_at);

CREATE TABLE bus_consumed (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

-- +goose Down
DROP TABLE bus_consumed;
DROP TABLE bus_outbox;
