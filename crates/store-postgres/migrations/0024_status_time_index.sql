-- Listings by status are read in (created_at, id) order; with the id in the index a status's
-- range is already in that order, so a page stops after its rows. Without it the planner's
-- generic plan walked the time index from the oldest report and filtered (0.8 s for the
-- desk's `baru` at a million reports, where the open reports are the newest few percent).
-- SQLite needs no such change: its indexes end with the rowid.
DROP INDEX reports_status;
CREATE INDEX reports_status ON reports (status, created_at, id);
