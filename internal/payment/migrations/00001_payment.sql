-- +goose Up
-- Payments (giao dịch thanh toán trực tuyến) of fees for dossiers. Times are
-- Unix microseconds. A reference (the dossier code) has at most one
-- pending and at most one paid payment at a time; a provider transaction
-- pays at most one payment.
CREATE TABLE pay_payment (
    id TEXT PRIMARY KEY,
    ref TEXT NOT NULL,
    agency TEXT NOT NULL,
    agency_name TEXT NOT NULL,
    payer_id TEXT NOT NULL,
    payer_name TEXT NOT NULL,
    description TEXT NOT NULL,
    amount BIGINT NOT NULL,
    status TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_txn TEXT NOT NULL,
    return_url TEXT NOT NULL,
    receipt_no TEXT NOT NULL,
    reason TEXT NOT NULL,
    refund_id TEXT NOT NULL,
    refunded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    paid_at BIGINT,
    closed_at BIGINT,
    refunded_at BIGINT
);
CREATE UNIQUE INDEX pay_payment_one_pending ON pay_payment (ref) WHERE status = 'pending';
CREATE UNIQUE INDEX pay_payment_one_paid ON pay_payment (ref) WHERE status = 'paid';
CREATE UNIQUE INDEX pay_payment_txn ON pay_payment (provider, provider_txn) WHERE provider_txn <> '';
CREATE INDEX pay_payment_ref ON pay_payment (ref, created_at);
CREATE INDEX pay_payment_agency ON pay_payment (agency, created_at);
CREATE INDEX pay_payment_due ON pay_payment (status, expires_at);

-- Receipt numbers (số biên lai), one sequence per agency and year.
CREATE TABLE pay_receipt_seq (
    agency TEXT NOT NULL,
    year INTEGER NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (agency, year)
);

-- Every provider notification the adapter accepted, by the digest of its
-- body: the same notification again is a replay and changes nothing.
CREATE TABLE pay_callback (
    provider TEXT NOT NULL,
    digest TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    provider_txn TEXT NOT NULL,
    result TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (provider, digest)
);

-- The demo provider's own ledger: what a bank's gateway would keep on its
-- side. Its transactions are what the reconciliation compares the
-- adapter's payments with.
CREATE TABLE pay_demo_txn (
    txn TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL UNIQUE,
    merchant TEXT NOT NULL,
    amount BIGINT NOT NULL,
    result TEXT NOT NULL,
    reason TEXT NOT NULL,
    return_url TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    notify_state TEXT NOT NULL, -- pending, delivered (the adapter answered 2xx), rejected (4xx)
    notified_at BIGINT,
    notify_attempts INTEGER NOT NULL,
    notify_error TEXT NOT NULL,
    refund_id TEXT NOT NULL,
    refunded_at BIGINT
);
CREATE INDEX pay_demo_txn_merchant ON pay_demo_txn (merchant, created_at);
CREATE INDEX pay_demo_txn_notify ON pay_demo_txn (notify_state);

-- +goose Down
DROP TABLE pay_demo_txn;
DROP TABLE pay_callback;
DROP TABLE pay_receipt_seq;
DROP TABLE pay_payment;
