-- Dashboards (issue 12): a notification "sent" to a channel without a provider was only written
-- to the log. Recorded at delivery, so the pages can say it did not reach anyone.
ALTER TABLE notifications ADD COLUMN logged_only INTEGER NOT NULL DEFAULT 0;
-- A user's notifications on every channel (the in-app inbox index covers `in_app` only).
CREATE INDEX notifications_user ON notifications (user_id, id) WHERE user_id IS NOT NULL;
