-- +goose Up
-- Every record is written once and read rarely: each secondary index costs
-- every append a B-tree update. Queries by client or service are scoped by
-- gateway and time, which msglog_record_started serves.
DROP INDEX msglog_record_service;
DROP INDEX msglog_record_client;

-- +goose Down
CREATE INDEX msglog_record_service ON msglog_record (service, started);
CREATE INDEX msglog_record_client ON msglog_record (client, started);
