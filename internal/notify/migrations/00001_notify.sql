-- +goose Up
-- Every message the platform sends: the outbox, and in the demo the
-- mailbox people read. Times are Unix milliseconds; sent_at is set when a
-- gateway (SMTP, an SMS provider) accepted the message, error when it
-- refused it.
CREATE TABLE notify_message (
    id {{AUTO_ID}},
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    template TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    error TEXT NOT NULL
);
CREATE INDEX notify_message_recipient ON notify_message (lower(recipient), id);

-- +goose Down
DROP TABLE notify_message;
