-- Who reads a timeline entry, and the desk's review of attachments before the public sees them.
-- Kept in lockstep with store-postgres/migrations/0005_audiences_and_attachment_review.sql.

-- `public` (a boolean) becomes an audience: what the reporter writes, and what the staff write
-- to them, is the conversation (the reporter, the desk, and the assigned agencies unless the
-- report is anonim), never the public. Ratings written before this kept the comment in the
-- note: they join the conversation too (the score stays public on the report).
ALTER TABLE activities ADD COLUMN audience TEXT NOT NULL DEFAULT 'public'
    CHECK (audience IN ('public', 'conversation', 'internal'));
UPDATE activities SET audience = CASE
    WHEN public = 0 THEN 'internal'
    WHEN kind IN ('asked_reporter', 'reporter_replied', 'message_to_reporter', 'reopened', 'rated') THEN 'conversation'
    ELSE 'public'
END;
ALTER TABLE activities DROP COLUMN public;

-- Attachments are named in URLs by 128 random bits, never by their sequential id.
ALTER TABLE attachments ADD COLUMN public_key TEXT;
UPDATE attachments SET public_key = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX attachments_public_key ON attachments (public_key);

-- The desk reviews every file before the public sees it; files stored before this wait for
-- that review like new ones.
ALTER TABLE attachments ADD COLUMN review TEXT NOT NULL DEFAULT 'pending'
    CHECK (review IN ('pending', 'published', 'hidden', 'redacted'));
ALTER TABLE attachments ADD COLUMN reviewed_at INTEGER;
-- The redacted copy the public sees (review = 'redacted').
ALTER TABLE attachments ADD COLUMN copy_storage_key TEXT;
ALTER TABLE attachments ADD COLUMN copy_content_type TEXT;
ALTER TABLE attachments ADD COLUMN copy_size_bytes INTEGER;
ALTER TABLE attachments ADD COLUMN copy_sha256 TEXT;
