-- +goose Up
CREATE TABLE msglog_record (
    gateway TEXT NOT NULL,
    seq BIGINT NOT NULL,
    side TEXT NOT NULL,
    message_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    client TEXT NOT NULL,
    service TEXT NOT NULL,
    user_id TEXT NOT NULL,
    issue TEXT NOT NULL,
    represented_party TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    error_type TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    request_body_hash TEXT NOT NULL,
    response_headers_hash TEXT NOT NULL,
    response_body_hash TEXT NOT NULL,
    request_body {{BYTES}},
    response_body {{BYTES}},
    started BIGINT NOT NULL,
    finished BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (gateway, seq)
);
CREATE INDEX msglog_record_started ON msglog_record (gateway, started);
CREATE INDEX msglog_record_service ON msglog_record (service, started);
CREATE INDEX msglog_record_client ON msglog_record (client, started);
CREATE INDEX msglog_record_message ON msglog_record (message_id);

CREATE TABLE msglog_batch (
    gateway TEXT NOT NULL,
    batch_no BIGINT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    prev_root TEXT NOT NULL,
    root TEXT NOT NULL,
    at BIGINT NOT NULL,
    signature {{BYTES}} NOT NULL,
    cert TEXT NOT NULL,
    tsa_token TEXT NOT NULL,
    PRIMARY KEY (gateway, batch_no)
);
CREATE INDEX msglog_batch_last_seq ON msglog_batch (gateway, last_seq);
CREATE INDEX msglog_batch_at ON msglog_batch (gateway, at);

CREATE TABLE msglog_pruned (
    gateway TEXT NOT NULL PRIMARY KEY,
    batch_no BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    root TEXT NOT NULL,
    at BIGINT NOT NULL,
    signature {{BYTES}} NOT NULL,
    cert TEXT NOT NULL
);

-- +goose Down
DROP TABLE msglog_pruned;
DROP TABLE msglog_batch;
DROP TABLE msglog_record;
