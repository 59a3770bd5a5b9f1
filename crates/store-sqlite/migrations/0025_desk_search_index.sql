-- The desk's search among the reports waiting for it (baru, dibuka_kembali, menunggu_pelapor:
-- ReportStatus::AWAITING_DESK) gets a full-text index of its own. Counting a common word's
-- matches among them walked every one of those reports (15,000 at a million) and looked each up
-- in the word's matches among all open reports: 2–5 ms a search, most of its time. An index
-- of those reports alone counts its own matches (a tenth of a millisecond) and hands the page a
-- shorter list to look reports up in.
--
-- reports_fts_open (migration 0019) keeps the other reports still being handled
-- (didisposisikan, diproses, selesai); each open report is in exactly one of the two. New
-- reports are indexed by the writer's flush of reports_fts_pending (INDEX_PENDING_DESK_REPORTS
-- and INDEX_PENDING_OPEN_REPORTS in crates/store-sqlite/src/reports.rs); the triggers below
-- follow a report between the two as its status changes, and its edits and deletion.
CREATE VIRTUAL TABLE reports_fts_desk USING fts5 (
    title, body, content = 'reports', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO reports_fts_open (reports_fts_open, rowid, title, body)
    SELECT 'delete', id, title, body FROM reports
     WHERE status IN ('baru', 'dibuka_kembali', 'menunggu_pelapor')
       AND id NOT IN (SELECT report_id FROM reports_fts_pending);
INSERT INTO reports_fts_desk (rowid, title, body)
    SELECT id, title, body FROM reports
     WHERE status IN ('baru', 'dibuka_kembali', 'menunggu_pelapor')
       AND id NOT IN (SELECT report_id FROM reports_fts_pending);

DROP TRIGGER reports_fts_open_leave;
DROP TRIGGER reports_fts_open_enter;
DROP TRIGGER reports_fts_open_update;
DROP TRIGGER reports_fts_open_delete;

-- The reports being handled by agencies: every status but the desk's and the final ones.
CREATE TRIGGER reports_fts_open_leave AFTER UPDATE OF status ON reports
WHEN old.status NOT IN ('ditutup', 'diarsipkan', 'duplikat', 'baru', 'dibuka_kembali', 'menunggu_pelapor')
 AND new.status IN ('ditutup', 'diarsipkan', 'duplikat', 'baru', 'dibuka_kembali', 'menunggu_pelapor')
 AND NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE report_id = old.id) BEGIN
    INSERT INTO reports_fts_open (reports_fts_open, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER reports_fts_open_enter AFTER UPDATE OF status ON reports
WHEN old.status IN ('ditutup', 'diarsipkan', 'duplikat', 'baru', 'dibuka_kembali', 'menunggu_pelapor')
 AND new.status NOT IN ('ditutup', 'diarsipkan', 'duplikat', 'baru', 'dibuka_kembali', 'menunggu_pelapor')
 AND NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE report_id = old.id) BEGIN
    INSERT INTO reports_fts_open (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER reports_fts_open_update AFTER UPDATE OF title, body ON reports
WHEN old.status NOT IN ('ditutup', 'diarsipkan', 'duplikat', 'baru', 'dibuka_kembali', 'menunggu_pelapor')
 AND new.status NOT IN ('ditutup', 'diarsipkan', 'duplikat', 'baru', 'dibuka_kembali', 'menunggu_pelapor')
 AND NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE report_id = old.id) BEGIN
    INSERT INTO reports_fts_open (reports_fts_open, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO reports_fts_open (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER reports_fts_open_delete AFTER DELETE ON reports
WHEN old.status NOT IN ('ditutup', 'diarsipkan', 'duplikat', 'baru', 'dibuka_kembali', 'menunggu_pelapor')
 AND NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE report_id = old.id) BEGIN
    INSERT INTO reports_fts_open (reports_fts_open, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;

-- The reports waiting for the desk.
CREATE TRIGGER reports_fts_desk_leave AFTER UPDATE OF status ON reports
WHEN old.status IN ('baru', 'dibuka_kembali', 'menunggu_pelapor')
 AND new.status NOT IN ('baru', 'dibuka_kembali', 'menunggu_pelapor')
 AND NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE report_id = old.id) BEGIN
    INSERT INTO reports_fts_desk (reports_fts_desk, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER reports_fts_desk_enter AFTER UPDATE OF status ON reports
WHEN old.status NOT IN ('baru', 'dibuka_kembali', 'menunggu_pelapor')
 AND new.status IN ('baru', 'dibuka_kembali', 'menunggu_pelapor')
 AND NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE report_id = old.id) BEGIN
    INSERT INTO reports_fts_desk (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER reports_fts_desk_update AFTER UPDATE OF title, body ON reports
WHEN old.status IN ('baru', 'dibuka_kembali', 'menunggu_pelapor')
 AND new.status IN ('baru', 'dibuka_kembali', 'menunggu_pelapor')
 AND NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE report_id = old.id) BEGIN
    INSERT INTO reports_fts_desk (reports_fts_desk, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO reports_fts_desk (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER reports_fts_desk_delete AFTER DELETE ON reports
WHEN old.status IN ('baru', 'dibuka_kembali', 'menunggu_pelapor')
 AND NOT EXISTS (SELECT 1 FROM reports_fts_pending WHERE report_id = old.id) BEGIN
    INSERT INTO reports_fts_desk (reports_fts_desk, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
