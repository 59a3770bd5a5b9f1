-- Chat channels (issue 11). Notifications may travel on every chat channel, carry the id the
-- provider gave them (matched by delivery receipts) and end as `dead` (given up; operators see
-- and retry them). SQLite cannot change a CHECK constraint in place: the table is rebuilt. No
-- other table refers to it.
CREATE TABLE notifications_new (
    id                  INTEGER PRIMARY KEY,
    idempotency_key     TEXT NOT NULL UNIQUE,
    action              TEXT NOT NULL,
    report_id           INTEGER REFERENCES reports (id),
    assignment_id       INTEGER REFERENCES assignments (id),
    agency_id           TEXT,
    recipient           TEXT NOT NULL CHECK (recipient IN ('officers', 'head', 'desk', 'reporter', 'user')),
    user_id             INTEGER REFERENCES users (id),
    channel             TEXT NOT NULL
                        CHECK (channel IN ('in_app', 'email', 'whatsapp', 'sms', 'telegram', 'facebook', 'twitter')),
    address             TEXT,
    subject             TEXT NOT NULL,
    body                TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'read', 'dead')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    lease_until         INTEGER,
    created_at          INTEGER NOT NULL,
    sent_at             INTEGER,
    read_at             INTEGER,
    last_error          TEXT,
    provider_message_id TEXT,
    delivery_status     TEXT,
    delivery_at         INTEGER
);
INSERT INTO notifications_new (id, idempotency_key, action, report_id, assignment_id, agency_id,
    recipient, user_id, channel, address, subject, body, status, attempts, next_attempt_at,
    lease_until, created_at, sent_at, read_at, last_error)
SELECT id, idempotency_key, action, report_id, assignment_id, agency_id, recipient, user_id,
    channel, address, subject, body, status, attempts, next_attempt_at, lease_until, created_at,
    sent_at, read_at, last_error
FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_outbox ON notifications (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX notifications_inbox ON notifications (user_id, id) WHERE channel = 'in_app';
CREATE INDEX notifications_report ON notifications (report_id, id);
CREATE INDEX notifications_provider ON notifications (channel, provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX notifications_dead ON notifications (id) WHERE status = 'dead';
-- The outbox sends one address's messages in order: a message waits while an earlier one to the
-- same address is still queued.
CREATE INDEX notifications_per_address ON notifications (channel, address, id) WHERE status IN ('pending', 'sending');

-- Every message a provider delivered, recorded before the provider is answered. `address` and
-- `payload` (the normalised message, with the sender's words) are emptied once the message has
-- been handled: what remains is the key that makes a provider's retry a no-op.
CREATE TABLE inbound_messages (
    id           INTEGER PRIMARY KEY,
    channel      TEXT NOT NULL,
    provider_id  TEXT NOT NULL,
    address      TEXT,
    payload      TEXT,
    status       TEXT NOT NULL DEFAULT 'received'
                 CHECK (status IN ('received', 'handling', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_until  INTEGER,
    received_at  INTEGER NOT NULL,
    handled_at   INTEGER,
    report_id    INTEGER REFERENCES reports (id),
    last_error   TEXT,
    UNIQUE (channel, provider_id)
);
-- Messages of one sender are handled one at a time, oldest first.
CREATE INDEX inbound_messages_todo ON inbound_messages (channel, address, id) WHERE status IN ('received', 'handling');

-- A chat conversation's open question: the bot asked which report a message was for; the
-- message waits here (its normalised payload) until the sender answers.
CREATE TABLE chat_pending (
    channel     TEXT NOT NULL,
    address     TEXT NOT NULL,
    inbound_id  INTEGER NOT NULL REFERENCES inbound_messages (id),
    payload     TEXT NOT NULL,
    choices     TEXT NOT NULL,
    asked_at    INTEGER NOT NULL,
    PRIMARY KEY (channel, address)
);

-- When each chat address last wrote to us (WhatsApp allows free-form replies only within 24 hours
-- of it; outside, a template). Personal data: removed when the reporter is forgotten.
CREATE TABLE chat_windows (
    channel          TEXT NOT NULL,
    address          TEXT NOT NULL,
    last_inbound_at  INTEGER NOT NULL,
    PRIMARY KEY (channel, address)
);

-- The chat message a report was created from: handling that message again (after a crash
-- between the report and the message's end) finds the report instead of making a second one.
ALTER TABLE reports ADD COLUMN inbound_id INTEGER REFERENCES inbound_messages (id);
CREATE UNIQUE INDEX reports_inbound ON reports (inbound_id) WHERE inbound_id IS NOT NULL;
