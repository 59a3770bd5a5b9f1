-- Chat channels (issue 11): notifications on every chat channel, with the provider's id, its
-- delivery receipts and a `dead` end state; inbound messages recorded before they are answered.
ALTER TABLE notifications DROP CONSTRAINT notifications_channel_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check
    CHECK (channel IN ('in_app', 'email', 'whatsapp', 'sms', 'telegram', 'facebook', 'twitter'));
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'read', 'dead'));
ALTER TABLE notifications ADD COLUMN provider_message_id TEXT;
ALTER TABLE notifications ADD COLUMN delivery_status TEXT;
ALTER TABLE notifications ADD COLUMN delivery_at TIMESTAMPTZ;
CREATE INDEX notifications_provider ON notifications (channel, provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX notifications_dead ON notifications (id) WHERE status = 'dead';
-- The outbox sends one address's messages in order: a message waits while an earlier one to the
-- same address is still queued.
CREATE INDEX notifications_per_address ON notifications (channel, address, id) WHERE status IN ('pending', 'sending');

-- Every message a provider delivered, recorded before the provider is answered. `address` and
-- `payload` (the normalised message, with the sender's words) are emptied once the message has
-- been handled: what remains is the key that makes a provider's retry a no-op.
CREATE TABLE inbound_messages (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel      TEXT NOT NULL,
    provider_id  TEXT NOT NULL,
    address      TEXT,
    payload      TEXT,
    status       TEXT NOT NULL DEFAULT 'received'
                 CHECK (status IN ('received', 'handling', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_until  TIMESTAMPTZ,
    received_at  TIMESTAMPTZ NOT NULL,
    handled_at   TIMESTAMPTZ,
    report_id    BIGINT REFERENCES reports (id),
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
    inbound_id  BIGINT NOT NULL REFERENCES inbound_messages (id),
    payload     TEXT NOT NULL,
    choices     TEXT NOT NULL,
    asked_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel, address)
);

-- When each chat address last wrote to us (WhatsApp allows free-form replies only within 24 hours
-- of it; outside, a template). Personal data: removed when the reporter is forgotten.
CREATE TABLE chat_windows (
    channel          TEXT NOT NULL,
    address          TEXT NOT NULL,
    last_inbound_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel, address)
);

-- The chat message a report was created from: handling that message again (after a crash
-- between the report and the message's end) finds the report instead of making a second one.
ALTER TABLE reports ADD COLUMN inbound_id BIGINT REFERENCES inbound_messages (id);
CREATE UNIQUE INDEX reports_inbound ON reports (inbound_id) WHERE inbound_id IS NOT NULL;
