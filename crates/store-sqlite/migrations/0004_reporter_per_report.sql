-- Reporters are no longer found by the phone number someone typed (anyone can type a victim's
-- number): two reports may carry the same phone on two records. SQLite cannot drop an inline
-- UNIQUE constraint without rebuilding the table, and rebuilding a table that others reference
-- breaks their foreign keys inside a migration's transaction. So the constrained column is
-- retired (renamed and emptied; NULLs do not collide) and `phone` is added again without it.
ALTER TABLE reporters RENAME COLUMN phone TO phone_retired_unique;
ALTER TABLE reporters ADD COLUMN phone TEXT;
UPDATE reporters SET phone = phone_retired_unique, phone_retired_unique = NULL;
CREATE INDEX reporters_phone ON reporters (phone);
