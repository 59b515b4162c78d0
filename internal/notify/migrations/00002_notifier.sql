-- +goose Up
-- attempted_at: when the message left the delivery queue: set before it
-- is handed to a gateway (so that it is never handed over twice), or at
-- once when its channel has no gateway (stored only). NULL while it waits.
ALTER TABLE notify_message ADD COLUMN attempted_at BIGINT;
UPDATE notify_message SET attempted_at = created_at;
CREATE INDEX notify_message_waiting ON notify_message (channel, id) WHERE attempted_at IS NULL;

-- Notifications sent once per subject ("received:<dossier code>",
-- "overdue:<dossier code>"): written with the messages, in one transaction.
CREATE TABLE notify_once (
    once_key TEXT PRIMARY KEY,
    at BIGINT NOT NULL
);

-- Agencies whose dossiers the notifier has heard of: the overdue sweep
-- asks each for its overdue dossiers.
CREATE TABLE notify_agency (
    agency TEXT PRIMARY KEY,
    seen_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE notify_agency;
DROP TABLE notify_once;
DROP INDEX notify_message_waiting;
ALTER TABLE notify_message DROP COLUMN attempted_at;
