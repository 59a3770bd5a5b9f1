-- The quarterly report counts a whole quarter of obligations (`compliance_counts`): the median
-- and 90th percentile response times are read at their ranks from indexes ordered by response
-- time instead of sorting every response of the quarter.
ALTER TABLE obligations ADD COLUMN response_us BIGINT
    GENERATED ALWAYS AS ((EXTRACT(EPOCH FROM (responded_at - started_at)) * 1000000)::BIGINT) STORED;
CREATE INDEX obligations_response ON obligations (agency_id, response_us, started_at) WHERE response_us IS NOT NULL;
CREATE INDEX obligations_response_all ON obligations (response_us, started_at, agency_id) WHERE response_us IS NOT NULL;
