-- +goose Up
-- One row per dossier (hồ sơ). Times are Unix microseconds. role is the
-- role whose queue holds the dossier now (the current step's role while
-- the desk has work to do, '' while the applicant supplements or once the
-- dossier is finished): the inbox indexes use it.
CREATE TABLE dos_dossier (
    code TEXT PRIMARY KEY,
    agency TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    procedure_version INTEGER NOT NULL,
    channel INTEGER NOT NULL,
    status INTEGER NOT NULL,
    resume_status INTEGER NOT NULL DEFAULT 0,
    applicant_id TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    applicant_phone TEXT NOT NULL DEFAULT '',
    applicant_email TEXT NOT NULL DEFAULT '',
    form TEXT NOT NULL,
    step TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT '',
    assignee TEXT NOT NULL DEFAULT '',
    received_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    step_due_at BIGINT NOT NULL,
    paused_since BIGINT,
    paused_days INTEGER NOT NULL DEFAULT 0,
    supplements INTEGER NOT NULL DEFAULT 0,
    finished_at BIGINT,
    returned_at BIGINT,
    version INTEGER NOT NULL,
    idem_key TEXT,
    idem_hash TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX dos_dossier_idem ON dos_dossier (applicant_id, idem_key);
-- The inbox: a role's queue in due order, with code as the tie-breaker and
-- assignee so that the counts per filter read the index only.
CREATE INDEX dos_dossier_queue ON dos_dossier (agency, role, due_at, code, assignee);
CREATE INDEX dos_dossier_applicant ON dos_dossier (applicant_id, received_at);
CREATE INDEX dos_dossier_active_due ON dos_dossier (agency, due_at) WHERE role <> '';

-- The processing history (quá trình xử lý): one row per change of step or
-- status, written in the transaction that makes the change, with the id of
-- the outbox event that announces it.
CREATE TABLE dos_history (
    seq {{AUTO_ID}},
    code TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    from_step TEXT NOT NULL,
    to_step TEXT NOT NULL,
    from_status INTEGER NOT NULL,
    to_status INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    event_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dos_history_code ON dos_history (code, seq);

-- Documents (thành phần hồ sơ): uploaded files are kept in the database,
-- in the same transaction as the dossier change they belong to; documents
-- taken from a registry or the citizen's wallet carry a reference and no
-- bytes. Booleans are 0/1 integers on both engines.
CREATE TABLE dos_document (
    id {{AUTO_ID}},
    code TEXT NOT NULL,
    doc_code TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data {{BYTES}},
    source TEXT NOT NULL,
    ref TEXT NOT NULL DEFAULT '',
    digitised INTEGER NOT NULL DEFAULT 0,
    reused INTEGER NOT NULL DEFAULT 0,
    from_registry INTEGER NOT NULL DEFAULT 0,
    supplement INTEGER NOT NULL DEFAULT 0,
    uploaded_by TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX dos_document_code ON dos_document (code, id);

-- Daily numbers of dossier codes, per receiving agency: the upsert that
-- takes the next number locks the row (PostgreSQL) or runs on the single
-- writer (SQLite), so two dossiers never get one code.
CREATE TABLE dos_sequence (
    agency TEXT NOT NULL,
    day TEXT NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (agency, day)
);

-- Fees and charges (phí, lệ phí) owed on a dossier; the payment adapter
-- marks them paid.
CREATE TABLE dos_fee (
    code TEXT NOT NULL,
    n INTEGER NOT NULL,
    name TEXT NOT NULL,
    amount BIGINT NOT NULL,
    paid INTEGER NOT NULL DEFAULT 0,
    paid_at BIGINT,
    PRIMARY KEY (code, n)
);

-- Results (kết quả giải quyết) issued on a dossier.
CREATE TABLE dos_result (
    code TEXT NOT NULL,
    n INTEGER NOT NULL,
    name TEXT NOT NULL,
    number TEXT NOT NULL DEFAULT '',
    issued_at BIGINT NOT NULL,
    issued_by TEXT NOT NULL,
    PRIMARY KEY (code, n)
);

-- +goose Down
DROP TABLE dos_result;
DROP TABLE dos_fee;
DROP TABLE dos_sequence;
DROP TABLE dos_document;
DROP TABLE dos_history;
DROP TABLE dos_dossier;
