-- +goose Up
CREATE TABLE audit_log (
    seq {{AUTO_ID}},
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    source_ip TEXT NOT NULL,
    result TEXT NOT NULL,
    request_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor, at);
CREATE INDEX audit_log_object ON audit_log (object, at);

-- +goose Down
DROP TABLE audit_log;
