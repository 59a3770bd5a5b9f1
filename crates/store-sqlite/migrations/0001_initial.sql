-- Tanggap schema, SQLite dialect. Kept in lockstep with store-postgres/migrations/0001_initial.sql.
-- Timestamps are INTEGER microseconds since the Unix epoch (UTC); booleans are 0/1.

CREATE TABLE regions (
    code        TEXT PRIMARY KEY,
    parent_code TEXT,
    level       TEXT NOT NULL,
    name        TEXT NOT NULL
);
CREATE INDEX regions_parent ON regions (parent_code, name);

CREATE TABLE agencies (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    parent_id     TEXT REFERENCES agencies (id),
    region_code   TEXT,
    head_name     TEXT,
    head_position TEXT,
    head_phone    TEXT,
    head_email    TEXT,
    active        INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE categories (
    code              TEXT PRIMARY KEY,
    name_id           TEXT NOT NULL,
    name_en           TEXT NOT NULL,
    default_agency_id TEXT REFERENCES agencies (id),
    needs_field_check INTEGER NOT NULL DEFAULT 0,
    keywords          TEXT NOT NULL DEFAULT '',
    position          INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE holidays (
    date TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    agency_id     TEXT REFERENCES agencies (id),
    email         TEXT,
    phone         TEXT,
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    INTEGER REFERENCES users (id),
    data       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE reporters (
    id               INTEGER PRIMARY KEY,
    name             TEXT,
    phone            TEXT UNIQUE,
    email            TEXT,
    nik              TEXT,
    created_at       INTEGER NOT NULL,
    pseudonymised_at INTEGER
);
CREATE INDEX reporters_email ON reporters (email);

CREATE TABLE reporter_addresses (
    channel     TEXT NOT NULL,
    address     TEXT NOT NULL,
    reporter_id INTEGER NOT NULL REFERENCES reporters (id),
    PRIMARY KEY (channel, address)
);

CREATE TABLE reports (
    id                 INTEGER PRIMARY KEY,
    tracking_id        TEXT NOT NULL UNIQUE,
    secret_hash        TEXT NOT NULL,
    kind               TEXT NOT NULL,
    title              TEXT NOT NULL,
    body               TEXT NOT NULL,
    occurred_on        TEXT,
    region_code        TEXT REFERENCES regions (code),
    address            TEXT,
    latitude           REAL,
    longitude          REAL,
    category           TEXT REFERENCES categories (code),
    channel            TEXT NOT NULL,
    reporter_id        INTEGER REFERENCES reporters (id),
    entered_by         INTEGER REFERENCES users (id),
    show_reporter_name INTEGER NOT NULL DEFAULT 0,
    anonim             INTEGER NOT NULL DEFAULT 0,
    rahasia            INTEGER NOT NULL DEFAULT 0,
    needs_field_check  INTEGER NOT NULL DEFAULT 0,
    status             TEXT NOT NULL,
    status_before_wait TEXT,
    duplicate_of       INTEGER REFERENCES reports (id),
    archive_reason     TEXT,
    rating             INTEGER,
    outcome            TEXT,
    rating_comment     TEXT,
    reopen_count       INTEGER NOT NULL DEFAULT 0,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    dispatched_at      INTEGER,
    selesai_at         INTEGER,
    closed_at          INTEGER
);
CREATE INDEX reports_created ON reports (created_at);
CREATE INDEX reports_status ON reports (status, created_at);
CREATE INDEX reports_region ON reports (region_code);
CREATE INDEX reports_category ON reports (category);
CREATE INDEX reports_reporter ON reports (reporter_id);

-- Full-text search over title and body, kept in step by triggers.
CREATE VIRTUAL TABLE reports_fts USING fts5 (
    title, body, content = 'reports', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER reports_fts_insert AFTER INSERT ON reports BEGIN
    INSERT INTO reports_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER reports_fts_update AFTER UPDATE OF title, body ON reports BEGIN
    INSERT INTO reports_fts (reports_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO reports_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER reports_fts_delete AFTER DELETE ON reports BEGIN
    INSERT INTO reports_fts (reports_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;

CREATE TABLE assignments (
    id                INTEGER PRIMARY KEY,
    report_id         INTEGER NOT NULL REFERENCES reports (id),
    agency_id         TEXT NOT NULL REFERENCES agencies (id),
    role              TEXT NOT NULL,
    stage             TEXT NOT NULL,
    responded         INTEGER NOT NULL DEFAULT 0,
    forwarded_from    INTEGER REFERENCES assignments (id),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    first_response_at INTEGER,
    tuntas_at         INTEGER
);
CREATE INDEX assignments_report ON assignments (report_id);
CREATE INDEX assignments_agency ON assignments (agency_id, stage);

-- SLA clocks. assignment_id 0 marks the report's own clocks (triage, auto-close, Ombudsman).
-- next_fire_at is when the scheduler must next look at the clock; the partial index keeps
-- sweeps proportional to what is due, not to what is open.
CREATE TABLE clocks (
    report_id     INTEGER NOT NULL REFERENCES reports (id),
    assignment_id INTEGER NOT NULL DEFAULT 0,
    kind          TEXT NOT NULL,
    measure       TEXT NOT NULL,
    budget_us     INTEGER NOT NULL,
    started_at    INTEGER NOT NULL,
    consumed_us   INTEGER NOT NULL,
    running_since INTEGER,
    due_at        INTEGER,
    stopped_at    INTEGER,
    next_fire_at  INTEGER,
    fired         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (report_id, assignment_id, kind)
) WITHOUT ROWID;
CREATE INDEX clocks_next_fire ON clocks (next_fire_at) WHERE next_fire_at IS NOT NULL;
CREATE INDEX clocks_due ON clocks (due_at) WHERE stopped_at IS NULL;

CREATE TABLE activities (
    id            INTEGER PRIMARY KEY,
    report_id     INTEGER NOT NULL REFERENCES reports (id),
    assignment_id INTEGER REFERENCES assignments (id),
    agency_id     TEXT,
    kind          TEXT NOT NULL,
    stage         TEXT,
    status        TEXT,
    note          TEXT,
    actor         TEXT NOT NULL,
    public        INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX activities_report ON activities (report_id, id);

CREATE TABLE messages (
    id                  INTEGER PRIMARY KEY,
    report_id           INTEGER REFERENCES reports (id),
    reporter_id         INTEGER REFERENCES reporters (id),
    channel             TEXT NOT NULL,
    direction           TEXT NOT NULL,
    provider_message_id TEXT,
    body                TEXT NOT NULL,
    status              TEXT NOT NULL,
    author              TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    UNIQUE (channel, provider_message_id)
);
CREATE INDEX messages_report ON messages (report_id, id);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    report_id    INTEGER NOT NULL REFERENCES reports (id),
    activity_id  INTEGER REFERENCES activities (id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    storage_key  TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX attachments_report ON attachments (report_id);

-- The audit trail: append-only (enforced below) and hash-chained (checked by `tanggap audit verify`).
CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY,
    occurred_at INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_object ON audit_events (object_type, object_id, seq);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

-- The last event of the chain, kept apart so that cutting events off the end is detected.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
