-- Accounts that protect themselves: integration accounts (API tokens only), passwords an
-- administrator set that must be changed, a lock after repeated wrong passwords, and a session
-- epoch that ends old sessions when credentials change. Kept in lockstep with
-- store-sqlite/migrations/0006_account_safety.sql.
ALTER TABLE users ADD COLUMN integration BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;

-- Ending a user's sessions and tokens finds them by user.
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
