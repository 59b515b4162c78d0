-- +goose Up
-- The hub's registry: members, their subsystems, gateways and global groups.
CREATE TABLE xr_member (
    class TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (class, code)
);

CREATE TABLE xr_gateway (
    id TEXT PRIMARY KEY,
    owner_class TEXT NOT NULL,
    owner_code TEXT NOT NULL,
    server_code TEXT NOT NULL,
    address TEXT NOT NULL,
    cert_pem TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    FOREIGN KEY (owner_class, owner_code) REFERENCES xr_member (class, code)
);

CREATE TABLE xr_subsystem (
    class TEXT NOT NULL,
    code TEXT NOT NULL,
    subsystem TEXT NOT NULL,
    name TEXT NOT NULL,
    gateway_id TEXT REFERENCES xr_gateway (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (class, code, subsystem),
    FOREIGN KEY (class, code) REFERENCES xr_member (class, code)
);

CREATE TABLE xr_group (
    code TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE xr_group_member (
    group_code TEXT NOT NULL REFERENCES xr_group (code),
    client TEXT NOT NULL,
    PRIMARY KEY (group_code, client)
);

-- A provider gateway's services, their endpoints (from the OpenAPI
-- description) and the access rights to them.
CREATE TABLE xr_service (
    gateway_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    service_code TEXT NOT NULL,
    backend_url TEXT NOT NULL,
    openapi TEXT NOT NULL,
    title TEXT NOT NULL,
    personal_data INTEGER NOT NULL,
    log_bodies INTEGER NOT NULL,
    timeout_ms INTEGER NOT NULL,
    max_body BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (provider, service_code)
);

CREATE TABLE xr_endpoint (
    provider TEXT NOT NULL,
    service_code TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (provider, service_code, method, path)
);

CREATE TABLE xr_access (
    provider TEXT NOT NULL,
    service_code TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    subject TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    granted_by TEXT NOT NULL,
    PRIMARY KEY (provider, service_code, method, path, subject)
);

-- +goose Down
DROP TABLE xr_access;
DROP TABLE xr_endpoint;
DROP TABLE xr_service;
DROP TABLE xr_group_member;
DROP TABLE xr_group;
DROP TABLE xr_subsystem;
DROP TABLE xr_gateway;
DROP TABLE xr_member;
