-- The desk's queue by channel and its search, at a million reports (BENCHMARKS.md).
--
-- By channel: the open statuses' ranges of reports_status were walked to find one channel's
-- reports, and counted the same way (327 ms p99 at a million). SQLite has had
-- reports_channel since migration 0018; here it ends in the id so that a (channel, status)
-- range is already in page order.
CREATE INDEX reports_channel ON reports (channel, status, created_at, id);

-- The search among the reports still being handled (every status but ditutup, diarsipkan and
-- duplikat: a few percent of years of reports): reports_search holds every report, so a common
-- word's matches (135,000 reports for "jalan") were gathered for each open status and its count.
-- This index holds only the open ones, as SQLite's reports_fts_open (migration 0019). A query
-- can use it only when its statuses are written into its text (the store does that: statuses
-- are a closed set of codes), since a generic plan cannot prove `status = $1` is open.
CREATE INDEX reports_search_open ON reports USING GIN (search)
 WHERE status NOT IN ('ditutup', 'diarsipkan', 'duplikat');
