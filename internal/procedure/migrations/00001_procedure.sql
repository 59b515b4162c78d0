-- +goose Up
CREATE TABLE proc_procedure (
    code TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    published_at BIGINT NOT NULL
);

CREATE TABLE proc_version (
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    published_by TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE proc_draft (
    code TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);

-- +goose Down
DROP TABLE proc_draft;
DROP TABLE proc_version;
DROP TABLE proc_procedure;
