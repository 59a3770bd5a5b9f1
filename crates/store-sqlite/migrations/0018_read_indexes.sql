-- Reads on a database of years (issue 16): the listings find their page in an index and read
-- only the page's rows.
-- A kabupaten/kota's reports in time order (the public list of a place, similar reports in
-- the last weeks): the region's range with the time beside it, no row read to filter by time.
DROP INDEX reports_region;
CREATE INDEX reports_region ON reports (region_code, created_at);
-- The desk's queue by channel: the few reports of the statuses being handled on one channel.
CREATE INDEX reports_channel ON reports (channel, status, created_at);
