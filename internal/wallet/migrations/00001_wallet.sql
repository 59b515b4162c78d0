-- +goose Up
-- The documents in a holder's wallet. kind 'issued': an electronic result
-- issued to the holder (its file stays with the results component and is
-- fetched by its uri); kind 'uploaded': a file the holder chose to keep,
-- stored in data. ref is what a dossier references: the uri of an issued
-- document, 'wallet-<id>' of an uploaded one. Times are Unix microseconds.
CREATE TABLE wallet_item (
    id {{AUTO_ID}},
    holder_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    title TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    issuer TEXT NOT NULL DEFAULT '',
    issuer_name TEXT NOT NULL DEFAULT '',
    doc_type TEXT NOT NULL DEFAULT '',
    dossier_code TEXT NOT NULL DEFAULT '',
    uri TEXT NOT NULL DEFAULT '',
    issued_at BIGINT,
    revoked_at BIGINT,
    revoke_reason TEXT NOT NULL DEFAULT '',
    data {{BYTES}},
    added_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX wallet_item_ref ON wallet_item (holder_id, ref);
CREATE INDEX wallet_item_holder ON wallet_item (holder_id, added_at);
CREATE INDEX wallet_item_uri ON wallet_item (uri);

-- Consents the holder gave (sự đồng ý): which data, from where, to whom,
-- for what. A withdrawn consent keeps its row with withdrawn_at set.
CREATE TABLE wallet_consent (
    id {{AUTO_ID}},
    holder_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    recipient TEXT NOT NULL,
    data_items TEXT NOT NULL,
    source TEXT NOT NULL,
    procedure_code TEXT NOT NULL DEFAULT '',
    granted_at BIGINT NOT NULL,
    withdrawn_at BIGINT
);
CREATE INDEX wallet_consent_holder ON wallet_consent (holder_id, granted_at);

-- +goose Down
DROP TABLE wallet_consent;
DROP TABLE wallet_item;
