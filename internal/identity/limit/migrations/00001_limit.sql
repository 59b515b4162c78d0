-- +goose Up
-- One row per key (an account, an address, ...) that failed recently.
-- Times are Unix milliseconds; locked_until 0 means not locked.
CREATE TABLE id_attempt (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX id_attempt_updated ON id_attempt (updated_at);

-- +goose Down
DROP TABLE id_attempt;
