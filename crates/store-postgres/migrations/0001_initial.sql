-- Tanggap schema, PostgreSQL dialect. Kept in lockstep with store-sqlite/migrations/0001_initial.sql:
-- the same tables, columns, indexes and rules, in PostgreSQL's own types.
-- Timestamps are TIMESTAMPTZ (microsecond precision, like the SQLite integers).

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
    active        BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE categories (
    code              TEXT PRIMARY KEY,
    name_id           TEXT NOT NULL,
    name_en           TEXT NOT NULL,
    default_agency_id TEXT REFERENCES agencies (id),
    needs_field_check BOOLEAN NOT NULL DEFAULT FALSE,
    keywords          TEXT NOT NULL DEFAULT '',
    position          INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE holidays (
    date DATE PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    agency_id     TEXT REFERENCES agencies (id),
    email         TEXT,
    phone         TEXT,
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    BIGINT REFERENCES users (id),
    data       TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE reporters (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             TEXT,
    phone            TEXT UNIQUE,
    email            TEXT,
    nik              TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    pseudonymised_at TIMESTAMPTZ
);
CREATE INDEX reporters_email ON reporters (email);

CREATE TABLE reporter_addresses (
    channel     TEXT NOT NULL,
    address     TEXT NOT NULL,
    reporter_id BIGINT NOT NULL REFERENCES reporters (id),
    PRIMARY KEY (channel, address)
);

CREATE TABLE reports (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tracking_id        TEXT NOT NULL UNIQUE,
    secret_hash        TEXT NOT NULL,
    kind               TEXT NOT NULL,
    title              TEXT NOT NULL,
    body               TEXT NOT NULL,
    occurred_on        DATE,
    region_code        TEXT REFERENCES regions (code),
    address            TEXT,
    latitude           DOUBLE PRECISION,
    longitude          DOUBLE PRECISION,
    category           TEXT REFERENCES categories (code),
    channel            TEXT NOT NULL,
    reporter_id        BIGINT REFERENCES reporters (id),
    entered_by         BIGINT REFERENCES users (id),
    show_reporter_name BOOLEAN NOT NULL DEFAULT FALSE,
    anonim             BOOLEAN NOT NULL DEFAULT FALSE,
    rahasia            BOOLEAN NOT NULL DEFAULT FALSE,
    needs_field_check  BOOLEAN NOT NULL DEFAULT FALSE,
    status             TEXT NOT NULL,
    status_before_wait TEXT,
    duplicate_of       BIGINT REFERENCES reports (id),
    archive_reason     TEXT,
    rating             SMALLINT,
    outcome            TEXT,
    rating_comment     TEXT,
    reopen_count       BIGINT NOT NULL DEFAULT 0,
    version            BIGINT NOT NULL DEFAULT 1,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    dispatched_at      TIMESTAMPTZ,
    selesai_at         TIMESTAMPTZ,
    closed_at          TIMESTAMPTZ,
    -- Full-text search over title and body. A stored generated column is always in step with the
    -- row, so no triggers are needed (SQLite keeps a separate FTS5 table in step by triggers).
    search             TSVECTOR GENERATED ALWAYS AS (to_tsvector('indonesian', title || ' ' || body)) STORED
);
CREATE INDEX reports_created ON reports (created_at);
CREATE INDEX reports_status ON reports (status, created_at);
-- text_pattern_ops so that the region filter's `LIKE '33.22.%'` can use the index whatever the
-- database's collation; it serves plain equality too.
CREATE INDEX reports_region ON reports (region_code text_pattern_ops);
CREATE INDEX reports_category ON reports (category);
CREATE INDEX reports_reporter ON reports (reporter_id);
CREATE INDEX reports_search ON reports USING GIN (search);

CREATE TABLE assignments (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id         BIGINT NOT NULL REFERENCES reports (id),
    agency_id         TEXT NOT NULL REFERENCES agencies (id),
    role              TEXT NOT NULL,
    stage             TEXT NOT NULL,
    responded         BOOLEAN NOT NULL DEFAULT FALSE,
    forwarded_from    BIGINT REFERENCES assignments (id),
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    first_response_at TIMESTAMPTZ,
    tuntas_at         TIMESTAMPTZ
);
CREATE INDEX assignments_report ON assignments (report_id);
CREATE INDEX assignments_agency ON assignments (agency_id, stage);

-- SLA clocks. assignment_id 0 marks the report's own clocks (triage, auto-close, Ombudsman).
-- next_fire_at is when the scheduler must next look at the clock; the partial index keeps
-- sweeps proportional to what is due, not to what is open.
CREATE TABLE clocks (
    report_id     BIGINT NOT NULL REFERENCES reports (id),
    assignment_id BIGINT NOT NULL DEFAULT 0,
    kind          TEXT NOT NULL,
    measure       TEXT NOT NULL,
    budget_us     BIGINT NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    consumed_us   BIGINT NOT NULL,
    running_since TIMESTAMPTZ,
    due_at        TIMESTAMPTZ,
    stopped_at    TIMESTAMPTZ,
    next_fire_at  TIMESTAMPTZ,
    fired         BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (report_id, assignment_id, kind)
);
CREATE INDEX clocks_next_fire ON clocks (next_fire_at) WHERE next_fire_at IS NOT NULL;
CREATE INDEX clocks_due ON clocks (due_at) WHERE stopped_at IS NULL;

CREATE TABLE activities (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id     BIGINT NOT NULL REFERENCES reports (id),
    assignment_id BIGINT REFERENCES assignments (id),
    agency_id     TEXT,
    kind          TEXT NOT NULL,
    stage         TEXT,
    status        TEXT,
    note          TEXT,
    actor         TEXT NOT NULL,
    public        BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX activities_report ON activities (report_id, id);

CREATE TABLE messages (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id           BIGINT REFERENCES reports (id),
    reporter_id         BIGINT REFERENCES reporters (id),
    channel             TEXT NOT NULL,
    direction           TEXT NOT NULL,
    provider_message_id TEXT,
    body                TEXT NOT NULL,
    status              TEXT NOT NULL,
    author              TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (channel, provider_message_id)
);
CREATE INDEX messages_report ON messages (report_id, id);

CREATE TABLE attachments (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id    BIGINT NOT NULL REFERENCES reports (id),
    activity_id  BIGINT REFERENCES activities (id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    storage_key  TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX attachments_report ON attachments (report_id);

-- The audit trail: append-only (enforced below) and hash-chained (checked by `tanggap audit verify`).
-- seq is assigned by the store from audit_head, never by a sequence: a sequence would leave gaps on
-- rollback, and a gap reads as a removed event. before_json/after_json stay TEXT, not jsonb,
-- because the chain hashes the exact text that was stored.
CREATE TABLE audit_events (
    seq         BIGINT PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
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

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
-- TRUNCATE does not fire row triggers, so it gets its own.
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- The last event of the chain, kept apart so that cutting events off the end is detected.
-- The row always exists (seq 0 and the genesis hash before the first event): every write
-- transaction locks it with SELECT ... FOR UPDATE, which is what serializes appends to the chain
-- across connections and processes.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
