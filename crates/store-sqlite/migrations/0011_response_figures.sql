-- The quarterly report counts a whole quarter of obligations (`compliance_counts`): per agency
-- from one covering index (the database skips from agency to agency), and the median and 90th
-- percentile response times read at their ranks from indexes ordered by response time instead
-- of sorting every response of the quarter.
ALTER TABLE obligations ADD COLUMN response_us INTEGER GENERATED ALWAYS AS (responded_at - started_at) VIRTUAL;
CREATE INDEX obligations_figures ON obligations (agency_id, started_at, due_at, responded_at, cancelled_at);
CREATE INDEX obligations_response ON obligations (agency_id, response_us, started_at) WHERE response_us IS NOT NULL;
CREATE INDEX obligations_response_all ON obligations (response_us, started_at, agency_id) WHERE response_us IS NOT NULL;
