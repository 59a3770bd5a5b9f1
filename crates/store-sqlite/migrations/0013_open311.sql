-- Open311 GeoReport v2 (issue 14). Kept in lockstep with store-postgres/migrations/0013_open311.sql.
--
-- An Open311 client's key: only its SHA-256 is kept; shown once when issued. A key may act for
-- an integration account (its agency posts stage updates through servicerequestupdates).
CREATE TABLE open311_keys (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    user_id    INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at INTEGER
);

-- Which key filed a report, and the token the client can exchange for its tracking ID.
CREATE TABLE open311_requests (
    token      TEXT PRIMARY KEY,
    report_id  INTEGER NOT NULL UNIQUE REFERENCES reports (id),
    key_id     INTEGER NOT NULL REFERENCES open311_keys (id),
    created_at INTEGER NOT NULL
);

-- The feed of public updates (servicerequestupdates) reads the public timeline by time.
CREATE INDEX activities_public_time ON activities (created_at, id) WHERE audience = 'public';
