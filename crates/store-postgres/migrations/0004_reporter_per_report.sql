-- Reporters are no longer found by the phone number someone typed (anyone can type a victim's
-- number): two reports may carry the same phone on two records.
ALTER TABLE reporters DROP CONSTRAINT reporters_phone_key;
CREATE INDEX reporters_phone ON reporters (phone);
