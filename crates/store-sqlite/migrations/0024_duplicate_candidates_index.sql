-- The likely duplicates of an open report are the open reports of its kabupaten/kota within
-- a window of days (service/src/assist.rs). Found through reports_status, every open report
-- of the window was read to keep its kabupaten/kota's (35 ms a staff page on average at a
-- million reports, 113 ms at worst, most of an open report's page). Here a status's range of
-- one kabupaten/kota is read in the index alone, its dates with it (0.9 ms).
CREATE INDEX reports_status_region ON reports (status, region_code, created_at);
