-- +goose Up
-- Who read whose data, for what (the per-person data-access log).
CREATE TABLE reg_access (
    seq {{AUTO_ID}},
    registry TEXT NOT NULL,
    subject TEXT NOT NULL,
    at BIGINT NOT NULL,
    client TEXT NOT NULL,
    user_id TEXT NOT NULL,
    issue TEXT NOT NULL,
    service TEXT NOT NULL,
    fields TEXT NOT NULL,
    message_id TEXT NOT NULL
);
CREATE INDEX reg_access_subject ON reg_access (subject, at);

-- What changed in a registry, without values: the feed subscribers read.
CREATE TABLE reg_change (
    seq {{AUTO_ID}},
    registry TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    fields TEXT NOT NULL,
    version INTEGER NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX reg_change_registry ON reg_change (registry, seq);

CREATE TABLE reg_subscription (
    registry TEXT NOT NULL,
    client TEXT NOT NULL,
    kinds TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (registry, client)
);

-- The population registry (CSDL quốc gia về dân cư): the current version of
-- each person, with the columns searches need, and every version's record.
CREATE TABLE pop_person (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    name_folded TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    household_id TEXT NOT NULL,
    commune TEXT NOT NULL,
    status TEXT NOT NULL,
    father_id TEXT NOT NULL,
    mother_id TEXT NOT NULL
);
CREATE INDEX pop_person_name ON pop_person (name_folded);
CREATE INDEX pop_person_household ON pop_person (household_id);
CREATE INDEX pop_person_father ON pop_person (father_id);
CREATE INDEX pop_person_mother ON pop_person (mother_id);

CREATE TABLE pop_person_version (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    valid_from TEXT NOT NULL,
    reason TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE pop_household (
    id TEXT PRIMARY KEY,
    head_id TEXT NOT NULL,
    commune TEXT NOT NULL,
    street TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE pop_household;
DROP TABLE pop_person_version;
DROP TABLE pop_person;
DROP TABLE reg_subscription;
DROP TABLE reg_change;
DROP TABLE reg_access;
