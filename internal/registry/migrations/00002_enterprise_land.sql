-- +goose Up
-- The enterprise registry (CSDL quốc gia về đăng ký doanh nghiệp): the
-- current version of each enterprise, with the columns searches need, and
-- every version's record.
CREATE TABLE ent_enterprise (
    code TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    name_folded TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    commune TEXT NOT NULL
);
CREATE INDEX ent_enterprise_name ON ent_enterprise (name_folded, code);
CREATE INDEX ent_enterprise_commune ON ent_enterprise (commune);

CREATE TABLE ent_enterprise_version (
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    valid_from TEXT NOT NULL,
    reason TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (code, version)
);

-- The people of the current version of each enterprise: legal
-- representatives and members, so that a person's enterprises can be found.
CREATE TABLE ent_person (
    code TEXT NOT NULL,
    person_id TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (code, person_id, role)
);
CREATE INDEX ent_person_person ON ent_person (person_id);

-- The words of the current names (folded, legal-form words left out): word
-- search without a scan of every name.
CREATE TABLE ent_name_token (
    token TEXT NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (token, code)
);
CREATE INDEX ent_name_token_code ON ent_name_token (code);

-- The land registry (CSDL quốc gia về đất đai): the current version of each
-- parcel and every version's record.
CREATE TABLE land_parcel (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    commune TEXT NOT NULL,
    map_sheet INTEGER NOT NULL,
    parcel_no INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    certificate_serial TEXT NOT NULL
);
CREATE INDEX land_parcel_commune ON land_parcel (commune, map_sheet, parcel_no);
CREATE INDEX land_parcel_certificate ON land_parcel (certificate_serial);

CREATE TABLE land_parcel_version (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    valid_from TEXT NOT NULL,
    reason TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (id, version)
);

-- The holders of the current version of each parcel (người sử dụng đất):
-- personal IDs or enterprise codes, with their shares in percent.
CREATE TABLE land_holder (
    parcel_id TEXT NOT NULL,
    holder_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    share DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (parcel_id, holder_id)
);
CREATE INDEX land_holder_holder ON land_holder (holder_id);

-- +goose Down
DROP TABLE land_holder;
DROP TABLE land_parcel_version;
DROP TABLE land_parcel;
DROP TABLE ent_name_token;
DROP TABLE ent_person;
DROP TABLE ent_enterprise_version;
DROP TABLE ent_enterprise;
