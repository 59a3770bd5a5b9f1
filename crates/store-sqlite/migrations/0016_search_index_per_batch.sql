-- The full-text index is written once per write batch instead of once per report. FTS5 flushes
-- its pending terms to disk at every savepoint, and the single writer opens one savepoint per
-- change, so indexing each new report inside its own savepoint cost more than storing it.
-- New reports are now listed in reports_fts_pending (by the insert trigger) and indexed by the
-- writer just before the batch commits, in the same transaction (crates/store-sqlite/src/writer.rs),
-- so a committed report is always searchable. An edit or deletion of a report that is still
-- pending leaves the index alone (the flush reads the current title and body).
CREATE TABLE reports_fts_pending (report_id INTEGER PRIMARY KEY);

DROP TRIGGER reports_fts_insert;
DROP TRIGGER reports_fts_update;
DROP TRIGGER reports_fts_delete;

CREATE TRIGGER reports_fts_insert AFTER INSERT ON reports BEGIN
    INSERT INTO reports_fts_pending (report_id) VALUES (new.id);
END;
CREATE TRIGGER reports_fts_update AFTER UPDATE OF title, body ON reports
WHEN NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE report_id = old.id) BEGIN
    INSERT INTO reports_fts (reports_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO reports_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER reports_fts_delete AFTER DELETE ON reports
WHEN NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE report_id = old.id) BEGIN
    INSERT INTO reports_fts (reports_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER reports_fts_delete_pending AFTER DELETE ON reports
WHEN EXISTS (SELECT 1 FROM reports_fts_pending WHERE report_id = old.id) BEGIN
    DELETE FROM reports_fts_pending WHERE report_id = old.id;
END;
