-- Who reads a timeline entry, and the desk's review of attachments before the public sees them.
-- Kept in lockstep with store-sqlite/migrations/0005_audiences_and_attachment_review.sql.

-- `public` (a boolean) becomes an audience: what the reporter writes, and what the staff write
-- to them, is the conversation (the reporter, the desk, and the assigned agencies unless the
-- report is anonim), never the public. Ratings written before this kept the comment in the
-- note: they join the conversation too (the score stays public on the report).
ALTER TABLE activities ADD COLUMN audience TEXT NOT NULL DEFAULT 'public'
    CHECK (audience IN ('public', 'conversation', 'internal'));
UPDATE activities SET audience = CASE
    WHEN NOT public THEN 'internal'
    WHEN kind IN ('asked_reporter', 'reporter_replied', 'message_to_reporter', 'reopened', 'rated') THEN 'conversation'
    ELSE 'public'
END;
ALTER TABLE activities DROP COLUMN public;

-- Attachments are named in URLs by 128 random bits, never by their sequential id.
-- (gen_random_uuid() is PostgreSQL's own strong random source; two of them hashed give 128 bits.)
ALTER TABLE attachments ADD COLUMN public_key TEXT;
UPDATE attachments
   SET public_key = left(encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')), 'hex'), 32);
ALTER TABLE attachments ALTER COLUMN public_key SET NOT NULL;
CREATE UNIQUE INDEX attachments_public_key ON attachments (public_key);

-- The desk reviews every file before the public sees it; files stored before this wait for
-- that review like new ones.
ALTER TABLE attachments ADD COLUMN review TEXT NOT NULL DEFAULT 'pending'
    CHECK (review IN ('pending', 'published', 'hidden', 'redacted'));
ALTER TABLE attachments ADD COLUMN reviewed_at TIMESTAMPTZ;
-- The redacted copy the public sees (review = 'redacted').
ALTER TABLE attachments ADD COLUMN copy_storage_key TEXT;
ALTER TABLE attachments ADD COLUMN copy_content_type TEXT;
ALTER TABLE attachments ADD COLUMN copy_size_bytes BIGINT;
ALTER TABLE attachments ADD COLUMN copy_sha256 TEXT;
