-- A second full-text index over the reports still being handled (every status but ditutup,
-- diarsipkan and duplikat: a few percent of a database of years), for the desk's searches
-- among them. Searching the index of every report for a common word and keeping the open
-- ones read the whole word's list (135,000 reports for "jalan" at a million: 18 ms per
-- search, twice per page with the count); this index holds only the open ones.
-- Kept like reports_fts (migration 0016): new reports are indexed by the writer's flush of
-- reports_fts_pending (crates/store-sqlite/src/reports.rs, INDEX_PENDING_OPEN_REPORTS); the
-- triggers below follow a report in and out as its status changes, and its edits and deletion.
CREATE VIRTUAL TABLE reports_fts_open USING fts5 (
    title, body, content = 'reports', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO reports_fts_open (rowid, title, body)
    SELECT id, title, body FROM reports
     WHERE status NOT IN ('ditutup', 'diarsipkan', 'duplikat')
       AND id NOT IN (SELECT report_id FROM reports_fts_pending);

CREATE TRIGGER reports_fts_open_leave AFTER UPDATE OF status ON reports
WHEN old.status NOT IN ('ditutup', 'diarsipkan', 'duplikat')
 AND new.status IN ('ditutup', 'diarsipkan', 'duplikat')
 AND NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE report_id = old.id) BEGIN
    INSERT INTO reports_fts_open (reports_fts_open, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER reports_fts_open_enter AFTER UPDATE OF status ON reports
WHEN old.status IN ('ditutup', 'diarsipkan', 'duplikat')
 AND new.status NOT IN ('ditutup', 'diarsipkan', 'duplikat')
 AND NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE report_id = old.id) BEGIN
    INSERT INTO reports_fts_open (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER reports_fts_open_update AFTER UPDATE OF title, body ON reports
WHEN old.status NOT IN ('ditutup', 'diarsipkan', 'duplikat')
 AND new.status NOT IN ('ditutup', 'diarsipkan', 'duplikat')
 AND NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE report_id = old.id) BEGIN
    INSERT INTO reports_fts_open (reports_fts_open, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO reports_fts_open (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER reports_fts_open_delete AFTER DELETE ON reports
WHEN old.status NOT IN ('ditutup', 'diarsipkan', 'duplikat')
 AND NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE report_id = old.id) BEGIN
    INSERT INTO reports_fts_open (reports_fts_open, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
