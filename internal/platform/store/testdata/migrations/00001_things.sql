-- +goose Up
CREATE TABLE thing (
    id {{AUTO_ID}},
    name TEXT NOT NULL UNIQUE,
    note TEXT,
    raw {{BYTES}},
    created_at BIGINT NOT NULL
);
CREATE INDEX thing_created ON thing (created_at);

-- +goose Down
DROP TABLE thing;
