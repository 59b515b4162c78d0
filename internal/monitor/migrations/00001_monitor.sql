-- +goose Up
-- The latest snapshot of every dossier, from its dossier.* events. Times
-- are Unix microseconds, 0 for none. l1 is the level-1 part of the agency
-- code (the province or ministry, e.g. H26). is_open is 1 while the
-- dossier is being handled; paused_at is when the applicant got the turn
-- (statuses 5 and 6), so that its clock stands still.
CREATE TABLE mon_dossier (
    code TEXT PRIMARY KEY,
    agency TEXT NOT NULL,
    l1 TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    channel INTEGER NOT NULL,
    status INTEGER NOT NULL,
    version INTEGER NOT NULL,
    seen INTEGER NOT NULL,
    received_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    paused_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    returned_at BIGINT NOT NULL,
    closed_at BIGINT NOT NULL,
    is_open INTEGER NOT NULL,
    supplements INTEGER NOT NULL,
    paused_days INTEGER NOT NULL,
    docs_total INTEGER NOT NULL,
    docs_digitised INTEGER NOT NULL,
    docs_reused INTEGER NOT NULL,
    docs_registry INTEGER NOT NULL,
    fee_amount BIGINT NOT NULL,
    fee_paid INTEGER NOT NULL,
    fee_paid_online INTEGER NOT NULL,
    e_results INTEGER NOT NULL,
    rating INTEGER NOT NULL
);
CREATE INDEX mon_dossier_open ON mon_dossier (is_open, due_at);

-- Counters per agency, procedure and month (YYYYMM in Vietnam's time):
-- the first nine in the month dossiers were received, the rest in the
-- month they ended. Each is the sum of the latest snapshots'
-- contributions, so the live consumer and a rebuild give the same rows.
CREATE TABLE mon_month (
    agency TEXT NOT NULL,
    l1 TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    month INTEGER NOT NULL,
    received BIGINT NOT NULL,
    online BIGINT NOT NULL,
    fee_dossiers BIGINT NOT NULL,
    paid_online BIGINT NOT NULL,
    digitised BIGINT NOT NULL,
    docs BIGINT NOT NULL,
    docs_reused BIGINT NOT NULL,
    registry_used BIGINT NOT NULL,
    synced BIGINT NOT NULL,
    ended BIGINT NOT NULL,
    on_time BIGINT NOT NULL,
    proc_days BIGINT NOT NULL,
    with_result BIGINT NOT NULL,
    e_results BIGINT NOT NULL,
    not_satisfied BIGINT NOT NULL,
    rated BIGINT NOT NULL,
    PRIMARY KEY (agency, procedure_code, month)
);
CREATE INDEX mon_month_month ON mon_month (month);

-- Dossiers still open at the end of a month (YYYYMM), counted when their
-- next change came after it; those still open now are counted from
-- mon_dossier when asked.
CREATE TABLE mon_open (
    agency TEXT NOT NULL,
    l1 TEXT NOT NULL,
    month INTEGER NOT NULL,
    open_count BIGINT NOT NULL,
    late_count BIGINT NOT NULL,
    PRIMARY KEY (agency, month)
);

-- Portal page views per day and page, written in batches.
CREATE TABLE mon_visit (
    day INTEGER NOT NULL,
    page TEXT NOT NULL,
    visits BIGINT NOT NULL,
    PRIMARY KEY (day, page)
);

-- Facts about the monitor itself: when it was last rebuilt, from how many
-- events.
CREATE TABLE mon_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE mon_state;
DROP TABLE mon_visit;
DROP TABLE mon_open;
DROP TABLE mon_month;
DROP TABLE mon_dossier;
