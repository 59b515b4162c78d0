-- +goose Up
-- The certificate authority of electronic results (one row, id 1) and each
-- issuing agency's signing key with its certificate, both PEM. Times are
-- Unix microseconds.
CREATE TABLE res_ca (
    id INTEGER PRIMARY KEY,
    cert_pem TEXT NOT NULL,
    key_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE res_signer (
    agency TEXT PRIMARY KEY,
    cert_pem TEXT NOT NULL,
    key_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Issued documents. pdf is the file as issued: the signed revision (its
-- first signed_length bytes, whose SHA-256 is signed_sha256 and whose
-- signature is signature) followed by the incremental update that carries
-- the proof; file_sha256 is the SHA-256 of the whole file. One document per
-- dossier and document type.
CREATE TABLE res_document (
    uri TEXT PRIMARY KEY,
    agency TEXT NOT NULL,
    agency_name TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    title TEXT NOT NULL,
    holder_id TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    dossier_code TEXT NOT NULL,
    procedure_name TEXT NOT NULL,
    fields TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    demo INTEGER NOT NULL DEFAULT 0,
    signed_length BIGINT NOT NULL,
    signed_sha256 TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    signature {{BYTES}} NOT NULL,
    cert_pem TEXT NOT NULL,
    pdf {{BYTES}} NOT NULL,
    revoked_at BIGINT,
    revoke_reason TEXT NOT NULL DEFAULT '',
    revoked_by TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX res_document_dossier ON res_document (dossier_code, doc_type);
CREATE INDEX res_document_holder ON res_document (holder_id, issued_at);
CREATE INDEX res_document_signed ON res_document (signed_sha256);

-- +goose Down
DROP TABLE res_document;
DROP TABLE res_signer;
DROP TABLE res_ca;
