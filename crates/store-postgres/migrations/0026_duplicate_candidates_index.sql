-- The likely duplicates of an open report are the open reports of its kabupaten/kota within
-- a window of days (service/src/assist.rs). Found through reports_status, every open report
-- of the window was read to keep its kabupaten/kota's (48 ms for Kota Semarang at a million
-- reports: 40,000 rows read, 3,000 kept). Here each status's range of one kabupaten/kota (a
-- byte-wise range of region codes, hence text_pattern_ops as in reports_region) is read in
-- the index alone, dates and ids with it (1.2 ms); only the page's rows are read after.
CREATE INDEX reports_status_region ON reports (status, region_code text_pattern_ops, created_at, id);
