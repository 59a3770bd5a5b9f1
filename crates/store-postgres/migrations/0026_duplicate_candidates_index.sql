-- The likely duplicates of an open report are the open reports of its kabupaten/kota within
-- a window of days (service/src/assist.rs). Found through reports_status, every open report
-- of the window was read to keep its kabupaten/kota's (48 ms for Kota Semarang at a million
-- reports: 40,000 rows read, 3,000 kept). Here each status's range of one kabupaten/kota
-- (a prefix of the region code, hence text_pattern_ops as in reports_region) is found in the
-- index (15 ms, the time now going to reading the 3,000 rows for their dates).
CREATE INDEX reports_status_region ON reports (status, region_code text_pattern_ops, created_at);
