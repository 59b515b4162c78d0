-- +goose Up
ALTER TABLE thing ADD COLUMN size INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE thing DROP COLUMN size;
