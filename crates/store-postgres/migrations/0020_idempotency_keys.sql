-- Submissions retried with an `Idempotency-Key` header find the report the first attempt
-- stored (issue 17). Written in the report's own transaction; deleted a day later. Holds no
-- key, request or secret in the clear: hashes, and the secret sealed with a pad derived from
-- the key (see tanggap_service::reports::idempotency).
CREATE TABLE idempotency_keys (
    key_hash      TEXT PRIMARY KEY,
    request_hash  TEXT NOT NULL,
    report_id     BIGINT NOT NULL REFERENCES reports (id),
    sealed_secret TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
