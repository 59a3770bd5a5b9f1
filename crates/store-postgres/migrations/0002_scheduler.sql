-- The clock scheduler and the notification outbox. Kept in lockstep with
-- store-sqlite/migrations/0002_scheduler.sql.

-- clocks.fired becomes the highest threshold percentage acted on, 0 for none (it was a flag that
-- nothing set). lease_until: a scheduler that claimed the clock works on it until then; after
-- that (a crash) another may claim it.
ALTER TABLE clocks ALTER COLUMN fired DROP DEFAULT;
ALTER TABLE clocks ALTER COLUMN fired TYPE INTEGER USING (CASE WHEN fired THEN 100 ELSE 0 END);
ALTER TABLE clocks ALTER COLUMN fired SET DEFAULT 0;
ALTER TABLE clocks ADD COLUMN lease_until TIMESTAMPTZ;

-- Clocks written before the scheduler existed were never scheduled: look at every running one
-- now; the scheduler works out its real next threshold (and fires what was crossed).
UPDATE clocks SET next_fire_at = started_at
 WHERE next_fire_at IS NULL AND stopped_at IS NULL AND running_since IS NOT NULL;

-- When the assignment was marked lalai (the missed first-response deadline). Evidence: never cleared.
ALTER TABLE assignments ADD COLUMN negligent_at TIMESTAMPTZ;
CREATE INDEX assignments_negligent ON assignments (negligent_at) WHERE negligent_at IS NOT NULL;

CREATE TABLE notifications (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    action          TEXT NOT NULL,
    report_id       BIGINT REFERENCES reports (id),
    assignment_id   BIGINT REFERENCES assignments (id),
    agency_id       TEXT,
    recipient       TEXT NOT NULL CHECK (recipient IN ('officers', 'head', 'desk', 'reporter', 'user')),
    user_id         BIGINT REFERENCES users (id),
    channel         TEXT NOT NULL CHECK (channel IN ('in_app', 'email', 'whatsapp', 'sms')),
    address         TEXT,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'read')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- When the outbox should next try (for `sending`: when the sender's lease ends).
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_until     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    read_at         TIMESTAMPTZ,
    last_error      TEXT
);
-- The outbox: only what is still to be sent is in this index.
CREATE INDEX notifications_outbox ON notifications (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX notifications_inbox ON notifications (user_id, id) WHERE channel = 'in_app';
CREATE INDEX notifications_report ON notifications (report_id, id);

-- Daily jobs (the morning digest): the last local date each was done for.
CREATE TABLE job_runs (
    name       TEXT PRIMARY KEY,
    last_date  DATE NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
