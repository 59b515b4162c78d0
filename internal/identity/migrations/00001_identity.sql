-- +goose Up
-- Times are Unix milliseconds. Lists (roles, scopes, URIs) are JSON arrays
-- in TEXT columns: they are read and written whole, never queried inside.

-- Settings of this identity provider instance: the pairwise-subject key,
-- the key that seals authorization codes. Created once, shared by every
-- node.
CREATE TABLE id_setting (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Accounts: citizens (username = personal ID) and officials.
CREATE TABLE id_account (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    username TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL,
    phone TEXT NOT NULL,
    phone_verified INTEGER NOT NULL,
    email TEXT NOT NULL,
    email_verified INTEGER NOT NULL,
    address_street TEXT NOT NULL,
    address_commune TEXT NOT NULL,
    agency TEXT NOT NULL,
    roles TEXT NOT NULL,
    enterprises TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret TEXT NOT NULL,
    totp_enabled INTEGER NOT NULL,
    totp_last_step BIGINT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Relying parties.
CREATE TABLE id_client (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    purpose TEXT NOT NULL,
    type TEXT NOT NULL,
    auth_method TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    jwks TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    post_logout_uris TEXT NOT NULL,
    grant_types TEXT NOT NULL,
    scopes TEXT NOT NULL,
    min_level INTEGER NOT NULL,
    sector TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Token signing keys (RS256). A key signs from created_at until a newer
-- one replaces it (retired_at), and stays published in the JWKS until the
-- tokens it signed have expired.
CREATE TABLE id_signing_key (
    id TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    private_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT NOT NULL
);

-- Browser sessions at the provider (single sign-on). id is the SHA-256 of
-- the cookie's value.
CREATE TABLE id_session (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    level INTEGER NOT NULL,
    amr TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at BIGINT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL
);
CREATE INDEX id_session_account ON id_session (account_id, created_at);
CREATE INDEX id_session_expires ON id_session (expires_at);

-- Authorization requests, from /authorize to the code exchange. code is
-- the SHA-256 of the authorization code.
CREATE TABLE id_auth_request (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    request TEXT NOT NULL,
    hint_subject TEXT NOT NULL,
    account_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    acr TEXT NOT NULL,
    amr TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    done INTEGER NOT NULL,
    code TEXT,
    code_expires_at BIGINT NOT NULL,
    code_used INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX id_auth_request_code ON id_auth_request (code);
CREATE INDEX id_auth_request_expires ON id_auth_request (expires_at);

-- Grants: what one sign-in gave one client. Access tokens carry the
-- grant's id in their jti; refresh tokens belong to one grant, their
-- family: revoking the grant revokes every token issued under it.
CREATE TABLE id_grant (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    auth_request_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    scopes TEXT NOT NULL,
    acr TEXT NOT NULL,
    amr TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL,
    revoke_reason TEXT NOT NULL
);
CREATE INDEX id_grant_account ON id_grant (account_id, client_id);
CREATE INDEX id_grant_session ON id_grant (session_id);
CREATE INDEX id_grant_request ON id_grant (auth_request_id);
CREATE INDEX id_grant_expires ON id_grant (expires_at);

-- Refresh tokens; id is the SHA-256 of the token. A token is used once:
-- presenting a used one again revokes its grant.
CREATE TABLE id_refresh_token (
    id TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT NOT NULL
);
CREATE INDEX id_refresh_token_grant ON id_refresh_token (grant_id);
CREATE INDEX id_refresh_token_expires ON id_refresh_token (expires_at);

-- Access tokens revoked one by one (RFC 7009), until they expire anyway.
CREATE TABLE id_revoked_token (
    jti TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX id_revoked_token_expires ON id_revoked_token (expires_at);

-- Client assertions (private_key_jwt) seen, so none is accepted twice.
CREATE TABLE id_assertion (
    id TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX id_assertion_expires ON id_assertion (expires_at);

-- Pairwise subjects: which account a client-specific sub stands for.
CREATE TABLE id_subject (
    subject TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    sector TEXT NOT NULL
);
CREATE INDEX id_subject_account ON id_subject (account_id);

-- Consents: the attributes (scopes) a person agreed to give a client.
CREATE TABLE id_consent (
    account_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    withdrawn_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, client_id)
);

-- One-time codes sent by email or SMS: password reset, contact checks.
-- code is an HMAC of the code, never the code itself.
CREATE TABLE id_otp (
    id {{AUTO_ID}},
    account_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    code TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT NOT NULL
);
CREATE INDEX id_otp_account ON id_otp (account_id, purpose);
CREATE INDEX id_otp_expires ON id_otp (expires_at);

-- +goose Down
DROP TABLE id_otp;
DROP TABLE id_consent;
DROP TABLE id_subject;
DROP TABLE id_assertion;
DROP TABLE id_revoked_token;
DROP TABLE id_refresh_token;
DROP TABLE id_grant;
DROP TABLE id_auth_request;
DROP TABLE id_session;
DROP TABLE id_signing_key;
DROP TABLE id_client;
DROP TABLE id_account;
DROP TABLE id_setting;
