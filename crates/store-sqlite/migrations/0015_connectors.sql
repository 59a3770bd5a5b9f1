-- Connectors to agencies' own systems (issue 15). Kept in lockstep with
-- store-postgres/migrations/0015_connectors.sql.
--
-- An agency whose reports are handled in its own system: how to reach it, its secret (the
-- Open311 api_key or the webhook's HMAC key, used with every call, so kept as given), how its
-- statuses map to stages (JSON), and its health.
CREATE TABLE connectors (
    agency_id       TEXT PRIMARY KEY REFERENCES agencies (id),
    kind            TEXT NOT NULL CHECK (kind IN ('open311', 'webhook', 'email')),
    target          TEXT NOT NULL,
    secret          TEXT,
    status_map      TEXT NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    followed_until  INTEGER,
    last_success_at INTEGER,
    last_error_at   INTEGER,
    last_error      TEXT
);

-- What is to be sent, by reference (the document is built when sent): each item once by its
-- key, leased while one process sends it, retried with backoff, given up after the last try.
CREATE TABLE connector_outbox (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    agency_id       TEXT NOT NULL REFERENCES connectors (agency_id),
    report_id       INTEGER NOT NULL REFERENCES reports (id),
    assignment_id   INTEGER NOT NULL REFERENCES assignments (id),
    kind            TEXT NOT NULL CHECK (kind IN ('report', 'update')),
    activity_id     INTEGER NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    last_error      TEXT
);
CREATE INDEX connector_outbox_due ON connector_outbox (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX connector_outbox_agency ON connector_outbox (agency_id, id);

-- An assignment handled in a remote system: the token that maps replies and updates back, the
-- remote id, and when the remote system took the report.
CREATE TABLE connector_links (
    assignment_id INTEGER PRIMARY KEY REFERENCES assignments (id),
    report_id     INTEGER NOT NULL REFERENCES reports (id),
    agency_id     TEXT NOT NULL,
    token         TEXT NOT NULL UNIQUE,
    remote_id     TEXT,
    delivered_at  INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX connector_links_remote ON connector_links (agency_id, remote_id) WHERE remote_id IS NOT NULL;

-- Each remote update once, by the remote system's id for it.
CREATE TABLE connector_updates (
    agency_id     TEXT NOT NULL,
    update_id     TEXT NOT NULL,
    assignment_id INTEGER NOT NULL REFERENCES assignments (id),
    status        TEXT NOT NULL,
    remote_at     INTEGER NOT NULL,
    received_at   INTEGER NOT NULL,
    outcome       TEXT NOT NULL,
    PRIMARY KEY (agency_id, update_id)
);
CREATE INDEX connector_updates_assignment ON connector_updates (assignment_id);
