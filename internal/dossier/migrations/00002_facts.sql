-- +goose Up
-- The applicant's rating once the dossier is finished (1 very satisfied,
-- 2 satisfied, 3 not satisfied; 0 not rated), how each fee was paid, the
-- URI of each electronic result, and the dossier events kept for good:
-- the outbox is pruned once published, this log is what the monitoring
-- component rebuilds its figures from.
ALTER TABLE dos_dossier ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dos_dossier ADD COLUMN rating_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE dos_dossier ADD COLUMN rated_at BIGINT;
ALTER TABLE dos_fee ADD COLUMN online INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dos_fee ADD COLUMN payment_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE dos_result ADD COLUMN uri TEXT NOT NULL DEFAULT '';
CREATE TABLE dos_event (
    seq {{AUTO_ID}},
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    subject TEXT NOT NULL,
    data TEXT NOT NULL,
    at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE dos_event;
ALTER TABLE dos_result DROP COLUMN uri;
ALTER TABLE dos_fee DROP COLUMN payment_ref;
ALTER TABLE dos_fee DROP COLUMN online;
ALTER TABLE dos_dossier DROP COLUMN rated_at;
ALTER TABLE dos_dossier DROP COLUMN rating_reason;
ALTER TABLE dos_dossier DROP COLUMN rating;
