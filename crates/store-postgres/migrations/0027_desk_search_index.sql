-- The desk's search among the reports waiting for it (baru, dibuka_kembali, menunggu_pelapor:
-- ReportStatus::AWAITING_DESK) gets an index of its own, as SQLite's reports_fts_desk
-- (migration 0025 there). Through reports_search_open (every open status) a common word's
-- matches among the desk's reports were gathered with those of every report with an agency,
-- and each read from the table to keep the desk's: most of a search's time at a million.
-- reports_search_open now holds the other open reports only (didisposisikan, diproses,
-- selesai), so each open report is in one of the two; a search over statuses of both kinds
-- asks each index for its own part (crates/store-postgres/src/reports.rs, push_text).
DROP INDEX reports_search_open;
CREATE INDEX reports_search_desk ON reports USING GIN (search)
 WHERE status IN ('baru', 'dibuka_kembali', 'menunggu_pelapor');
CREATE INDEX reports_search_open ON reports USING GIN (search)
 WHERE status NOT IN ('ditutup', 'diarsipkan', 'duplikat', 'baru', 'dibuka_kembali', 'menunggu_pelapor');
