-- +goose Up
-- A citizen's filing in progress (hồ sơ đang soạn): one per citizen and
-- procedure. values and sources are JSON objects (input name -> text,
-- field -> where a prefilled value came from); wallet is a JSON object
-- (document code -> wallet item). idem_key makes the submission
-- idempotent; submitting is when a submission took the draft (one at a
-- time: a second click waits for the first); dossier_code is set once the
-- dossier is filed, and the draft is kept a while so that a repeated
-- submission finds its dossier.
-- Times are Unix microseconds.
CREATE TABLE portal_draft (
    id TEXT PRIMARY KEY,
    applicant_id TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    agency TEXT NOT NULL DEFAULT '',
    form_values TEXT NOT NULL DEFAULT '{}',
    sources TEXT NOT NULL DEFAULT '{}',
    wallet TEXT NOT NULL DEFAULT '{}',
    consent TEXT NOT NULL DEFAULT '',
    prefill_note TEXT NOT NULL DEFAULT '',
    pay_online INTEGER NOT NULL DEFAULT 1,
    idem_key TEXT NOT NULL,
    dossier_code TEXT NOT NULL DEFAULT '',
    submitting BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX portal_draft_open ON portal_draft (applicant_id, procedure_code, dossier_code);

-- Files the citizen uploaded into a draft, checked on arrival, filed
-- with the dossier.
CREATE TABLE portal_draft_file (
    id {{AUTO_ID}},
    draft_id TEXT NOT NULL,
    doc_code TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data {{BYTES}} NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX portal_draft_file_draft ON portal_draft_file (draft_id, id);

-- +goose Down
DROP TABLE portal_draft_file;
DROP TABLE portal_draft;
