-- +goose Up
CREATE TABLE catalog_list (
    code TEXT PRIMARY KEY,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    owner_agency TEXT NOT NULL,
    description TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    published_at BIGINT,
    created_at BIGINT NOT NULL
);

-- One row per version of an item: an item whose name changes, or that is
-- retired, keeps its old row with valid_to set, so any past date can be
-- viewed. valid_from '' means "since before records".
CREATE TABLE catalog_item (
    id {{AUTO_ID}},
    list_code TEXT NOT NULL REFERENCES catalog_list (code),
    code TEXT NOT NULL,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    parent_code TEXT NOT NULL,
    level TEXT NOT NULL,
    attrs TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    replaced_by TEXT NOT NULL,
    version INTEGER NOT NULL,
    UNIQUE (list_code, code, valid_from)
);
CREATE INDEX catalog_item_list ON catalog_item (list_code, code);

CREATE TABLE catalog_version (
    list_code TEXT NOT NULL REFERENCES catalog_list (code),
    version INTEGER NOT NULL,
    published_at BIGINT NOT NULL,
    published_by TEXT NOT NULL,
    note TEXT NOT NULL,
    changes INTEGER NOT NULL,
    PRIMARY KEY (list_code, version)
);

-- Changes staged for the next version of a list, one per item code.
CREATE TABLE catalog_draft (
    id {{AUTO_ID}},
    list_code TEXT NOT NULL REFERENCES catalog_list (code),
    code TEXT NOT NULL,
    op TEXT NOT NULL,
    payload TEXT NOT NULL,
    staged_by TEXT NOT NULL,
    staged_at BIGINT NOT NULL,
    UNIQUE (list_code, code)
);

-- +goose Down
DROP TABLE catalog_draft;
DROP TABLE catalog_version;
DROP TABLE catalog_item;
DROP TABLE catalog_list;
