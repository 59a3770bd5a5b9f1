-- Response obligations (SPEC section 6): one agency, one cycle (a dispatch, a forward to a
-- sub-unit, a reopen), kept as facts. A later cycle never rewrites an earlier one; the figures
-- are derived from these rows. Existing assignments are rebuilt from their timeline by the
-- application at start (see `Services::rebuild_obligations`).
CREATE TABLE obligations (
    id            INTEGER PRIMARY KEY,
    assignment_id INTEGER NOT NULL REFERENCES assignments (id),
    report_id     INTEGER NOT NULL REFERENCES reports (id),
    agency_id     TEXT NOT NULL,
    cycle         INTEGER NOT NULL,
    started_at    INTEGER NOT NULL,
    due_at        INTEGER NOT NULL,
    responded_at  INTEGER,
    cancelled_at  INTEGER,
    UNIQUE (assignment_id, cycle)
);
CREATE INDEX obligations_started ON obligations (started_at);
CREATE INDEX obligations_open ON obligations (assignment_id) WHERE responded_at IS NULL AND cancelled_at IS NULL;

-- Heads of agencies with their history: an item names the head in office at its deadline.
CREATE TABLE agency_heads (
    id        INTEGER PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    name      TEXT NOT NULL,
    position  TEXT,
    since     INTEGER NOT NULL
);
CREATE INDEX agency_heads_agency ON agency_heads (agency_id, since);
INSERT INTO agency_heads (agency_id, name, position, since)
    SELECT id, head_name, head_position, 0 FROM agencies WHERE head_name IS NOT NULL;
