-- Tallies (tanggap_store::tally): the accountability counts kept per agency and day (a cell:
-- midnight to midnight at +07:00) by the triggers below, in the same transaction as the facts,
-- so that a quarter is read from about a hundred rows per agency instead of counted from every
-- obligation and assignment. The facts stay where they are and remain the evidence; these are
-- derived from them, a period's edges that are not whole cells are counted from the facts, and
-- the conformance suite checks the figures against the facts themselves.
--   obligation_tallies  response obligations by agency, cell (of started_at) and response bucket
--                       (-1: not answered; else a range of response times, the histogram the
--                       median and 90th percentile are found in; tally::bucket_of)
--   assignment_tallies  the assignment counts of `compliance_counts` (`counted`: those not handed on) by agency and cell (of
--                       created_at), from the columns of migration 0012
-- obligations_waiting: the obligations still waiting for an answer, counted live (overdue or
-- not depends on the time of reading).
-- The lalai evidence (`lalai_obligations`) is read from one covering index of the obligations
-- that can be lalai (answered late, or not answered and not cancelled in time), with the
-- report's tracking ID kept on the obligation (it never changes) so that no report is looked up.
ALTER TABLE obligations ADD COLUMN tracking_id TEXT;
UPDATE obligations o SET tracking_id = r.tracking_id FROM reports r WHERE r.id = o.report_id;
CREATE FUNCTION obligation_tracking_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.tracking_id IS NULL THEN
        SELECT r.tracking_id INTO NEW.tracking_id FROM reports r WHERE r.id = NEW.report_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER obligation_tracking_id BEFORE INSERT ON obligations FOR EACH ROW EXECUTE FUNCTION obligation_tracking_id();
CREATE INDEX obligations_lalai ON obligations (started_at, id)
    INCLUDE (agency_id, due_at, responded_at, cancelled_at, report_id, assignment_id, cycle, tracking_id)
    WHERE responded_at > due_at OR (responded_at IS NULL AND (cancelled_at IS NULL OR cancelled_at > due_at));

CREATE TABLE obligation_tallies (
    cell BIGINT NOT NULL,
    agency_id TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    received BIGINT NOT NULL DEFAULT 0, on_time BIGINT NOT NULL DEFAULT 0, late BIGINT NOT NULL DEFAULT 0, cancelled BIGINT NOT NULL DEFAULT 0, lapsed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (cell, agency_id, bucket)
);
CREATE TABLE assignment_tallies (
    cell BIGINT NOT NULL,
    agency_id TEXT NOT NULL,
    counted BIGINT NOT NULL DEFAULT 0, on_target BIGINT NOT NULL DEFAULT 0, done_late BIGINT NOT NULL DEFAULT 0, open_overdue BIGINT NOT NULL DEFAULT 0, reopened BIGINT NOT NULL DEFAULT 0, finished BIGINT NOT NULL DEFAULT 0, ratings BIGINT NOT NULL DEFAULT 0, rating_sum BIGINT NOT NULL DEFAULT 0, fixed BIGINT NOT NULL DEFAULT 0, partly BIGINT NOT NULL DEFAULT 0, not_fixed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (cell, agency_id)
);
CREATE INDEX obligations_waiting ON obligations (started_at, agency_id, due_at) WHERE responded_at IS NULL AND cancelled_at IS NULL;

INSERT INTO obligation_tallies (agency_id, cell, bucket, received, on_time, late, cancelled, lapsed)
SELECT o.agency_id, ((EXTRACT(EPOCH FROM o.started_at) * 1000000)::BIGINT + 25200000000) / 86400000000, CASE WHEN o.responded_at IS NULL THEN -1 WHEN (EXTRACT(EPOCH FROM (o.responded_at - o.started_at)) * 1000000)::BIGINT < 21600000000 THEN GREATEST((EXTRACT(EPOCH FROM (o.responded_at - o.started_at)) * 1000000)::BIGINT, 0) / 300000000 WHEN (EXTRACT(EPOCH FROM (o.responded_at - o.started_at)) * 1000000)::BIGINT < 172800000000 THEN 72 + ((EXTRACT(EPOCH FROM (o.responded_at - o.started_at)) * 1000000)::BIGINT - 21600000000) / 900000000 WHEN (EXTRACT(EPOCH FROM (o.responded_at - o.started_at)) * 1000000)::BIGINT < 2592000000000 THEN 240 + ((EXTRACT(EPOCH FROM (o.responded_at - o.started_at)) * 1000000)::BIGINT - 172800000000) / 3600000000 ELSE 912 + LEAST(((EXTRACT(EPOCH FROM (o.responded_at - o.started_at)) * 1000000)::BIGINT - 2592000000000) / 86400000000, 3650) END, COUNT(*),
       SUM(CASE WHEN o.responded_at IS NOT NULL AND o.responded_at <= o.due_at THEN 1 ELSE 0 END),
       SUM(CASE WHEN o.responded_at IS NOT NULL AND o.responded_at > o.due_at THEN 1 ELSE 0 END),
       SUM(CASE WHEN o.responded_at IS NULL AND o.cancelled_at IS NOT NULL AND o.cancelled_at <= o.due_at THEN 1 ELSE 0 END),
       SUM(CASE WHEN o.responded_at IS NULL AND o.cancelled_at IS NOT NULL AND o.cancelled_at > o.due_at THEN 1 ELSE 0 END)
  FROM obligations o GROUP BY 1, 2, 3;
INSERT INTO assignment_tallies (agency_id, cell, counted, on_target, done_late, open_overdue, reopened, finished, ratings, rating_sum, fixed, partly, not_fixed)
SELECT a.agency_id, ((EXTRACT(EPOCH FROM a.created_at) * 1000000)::BIGINT + 25200000000) / 86400000000,
       SUM(CASE WHEN a.stage NOT IN ('diteruskan', 'bukan_wewenang') THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.stage NOT IN ('diteruskan', 'bukan_wewenang') AND a.completion_judged AND (a.stage = 'tuntas' AND a.completion_stopped) AND NOT a.completion_over THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.stage NOT IN ('diteruskan', 'bukan_wewenang') AND a.completion_judged AND (a.stage = 'tuntas' AND a.completion_stopped) AND a.completion_over THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.stage NOT IN ('diteruskan', 'bukan_wewenang') AND a.completion_judged AND NOT (a.stage = 'tuntas' AND a.completion_stopped) AND a.completion_over THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.stage NOT IN ('diteruskan', 'bukan_wewenang') AND a.reopened THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.stage NOT IN ('diteruskan', 'bukan_wewenang') AND a.finished THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (a.role = 'utama' AND a.rating IS NOT NULL AND a.outcome IS NOT NULL) THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (a.role = 'utama' AND a.rating IS NOT NULL AND a.outcome IS NOT NULL) THEN a.rating ELSE 0 END),
       SUM(CASE WHEN a.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (a.role = 'utama' AND a.rating IS NOT NULL AND a.outcome IS NOT NULL) AND a.outcome = 'fixed' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (a.role = 'utama' AND a.rating IS NOT NULL AND a.outcome IS NOT NULL) AND a.outcome = 'partly' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (a.role = 'utama' AND a.rating IS NOT NULL AND a.outcome IS NOT NULL) AND a.outcome = 'not_fixed' THEN 1 ELSE 0 END)
  FROM assignments a GROUP BY 1, 2;

-- Statement-level triggers with transition tables: one upsert per tally row a statement
-- touches (a bulk insert or an upgrade's rebuild adds to each row once, instead of updating
-- the same row once per inserted row inside one transaction).
CREATE FUNCTION obligation_tally_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO obligation_tallies (agency_id, cell, bucket, received, on_time, late, cancelled, lapsed)
    SELECT x.agency_id,
        ((EXTRACT(EPOCH FROM x.started_at) * 1000000)::BIGINT + 25200000000) / 86400000000,
        CASE WHEN x.responded_at IS NULL THEN -1 WHEN (EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT < 21600000000 THEN GREATEST((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT, 0) / 300000000 WHEN (EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT < 172800000000 THEN 72 + ((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT - 21600000000) / 900000000 WHEN (EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT < 2592000000000 THEN 240 + ((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT - 172800000000) / 3600000000 ELSE 912 + LEAST(((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT - 2592000000000) / 86400000000, 3650) END,
        COUNT(*),
        SUM(CASE WHEN x.responded_at IS NOT NULL AND x.responded_at <= x.due_at THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.responded_at IS NOT NULL AND x.responded_at > x.due_at THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.responded_at IS NULL AND x.cancelled_at IS NOT NULL AND x.cancelled_at <= x.due_at THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.responded_at IS NULL AND x.cancelled_at IS NOT NULL AND x.cancelled_at > x.due_at THEN 1 ELSE 0 END)
    FROM new_rows x GROUP BY 1, 2, 3
    ON CONFLICT (cell, agency_id, bucket) DO UPDATE SET
        received = obligation_tallies.received + excluded.received,
        on_time = obligation_tallies.on_time + excluded.on_time,
        late = obligation_tallies.late + excluded.late,
        cancelled = obligation_tallies.cancelled + excluded.cancelled,
        lapsed = obligation_tallies.lapsed + excluded.lapsed;
    RETURN NULL;
END $$;
CREATE FUNCTION obligation_tally_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO obligation_tallies (agency_id, cell, bucket, received, on_time, late, cancelled, lapsed)
    SELECT x.agency_id,
        ((EXTRACT(EPOCH FROM x.started_at) * 1000000)::BIGINT + 25200000000) / 86400000000,
        CASE WHEN x.responded_at IS NULL THEN -1 WHEN (EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT < 21600000000 THEN GREATEST((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT, 0) / 300000000 WHEN (EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT < 172800000000 THEN 72 + ((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT - 21600000000) / 900000000 WHEN (EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT < 2592000000000 THEN 240 + ((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT - 172800000000) / 3600000000 ELSE 912 + LEAST(((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT - 2592000000000) / 86400000000, 3650) END,
        -COUNT(*),
        -SUM(CASE WHEN x.responded_at IS NOT NULL AND x.responded_at <= x.due_at THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.responded_at IS NOT NULL AND x.responded_at > x.due_at THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.responded_at IS NULL AND x.cancelled_at IS NOT NULL AND x.cancelled_at <= x.due_at THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.responded_at IS NULL AND x.cancelled_at IS NOT NULL AND x.cancelled_at > x.due_at THEN 1 ELSE 0 END)
    FROM old_rows x GROUP BY 1, 2, 3
    ON CONFLICT (cell, agency_id, bucket) DO UPDATE SET
        received = obligation_tallies.received + excluded.received,
        on_time = obligation_tallies.on_time + excluded.on_time,
        late = obligation_tallies.late + excluded.late,
        cancelled = obligation_tallies.cancelled + excluded.cancelled,
        lapsed = obligation_tallies.lapsed + excluded.lapsed;
    RETURN NULL;
END $$;
CREATE FUNCTION obligation_tally_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO obligation_tallies (agency_id, cell, bucket, received, on_time, late, cancelled, lapsed)
    SELECT x.agency_id,
        ((EXTRACT(EPOCH FROM x.started_at) * 1000000)::BIGINT + 25200000000) / 86400000000,
        CASE WHEN x.responded_at IS NULL THEN -1 WHEN (EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT < 21600000000 THEN GREATEST((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT, 0) / 300000000 WHEN (EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT < 172800000000 THEN 72 + ((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT - 21600000000) / 900000000 WHEN (EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT < 2592000000000 THEN 240 + ((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT - 172800000000) / 3600000000 ELSE 912 + LEAST(((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT - 2592000000000) / 86400000000, 3650) END,
        -COUNT(*),
        -SUM(CASE WHEN x.responded_at IS NOT NULL AND x.responded_at <= x.due_at THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.responded_at IS NOT NULL AND x.responded_at > x.due_at THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.responded_at IS NULL AND x.cancelled_at IS NOT NULL AND x.cancelled_at <= x.due_at THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.responded_at IS NULL AND x.cancelled_at IS NOT NULL AND x.cancelled_at > x.due_at THEN 1 ELSE 0 END)
    FROM old_rows x JOIN new_rows n ON n.id = x.id WHERE x.agency_id IS DISTINCT FROM n.agency_id OR x.started_at IS DISTINCT FROM n.started_at OR x.due_at IS DISTINCT FROM n.due_at OR x.responded_at IS DISTINCT FROM n.responded_at OR x.cancelled_at IS DISTINCT FROM n.cancelled_at GROUP BY 1, 2, 3
    ON CONFLICT (cell, agency_id, bucket) DO UPDATE SET
        received = obligation_tallies.received + excluded.received,
        on_time = obligation_tallies.on_time + excluded.on_time,
        late = obligation_tallies.late + excluded.late,
        cancelled = obligation_tallies.cancelled + excluded.cancelled,
        lapsed = obligation_tallies.lapsed + excluded.lapsed;
    INSERT INTO obligation_tallies (agency_id, cell, bucket, received, on_time, late, cancelled, lapsed)
    SELECT x.agency_id,
        ((EXTRACT(EPOCH FROM x.started_at) * 1000000)::BIGINT + 25200000000) / 86400000000,
        CASE WHEN x.responded_at IS NULL THEN -1 WHEN (EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT < 21600000000 THEN GREATEST((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT, 0) / 300000000 WHEN (EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT < 172800000000 THEN 72 + ((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT - 21600000000) / 900000000 WHEN (EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT < 2592000000000 THEN 240 + ((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT - 172800000000) / 3600000000 ELSE 912 + LEAST(((EXTRACT(EPOCH FROM (x.responded_at - x.started_at)) * 1000000)::BIGINT - 2592000000000) / 86400000000, 3650) END,
        COUNT(*),
        SUM(CASE WHEN x.responded_at IS NOT NULL AND x.responded_at <= x.due_at THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.responded_at IS NOT NULL AND x.responded_at > x.due_at THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.responded_at IS NULL AND x.cancelled_at IS NOT NULL AND x.cancelled_at <= x.due_at THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.responded_at IS NULL AND x.cancelled_at IS NOT NULL AND x.cancelled_at > x.due_at THEN 1 ELSE 0 END)
    FROM new_rows x JOIN old_rows o ON o.id = x.id WHERE o.agency_id IS DISTINCT FROM x.agency_id OR o.started_at IS DISTINCT FROM x.started_at OR o.due_at IS DISTINCT FROM x.due_at OR o.responded_at IS DISTINCT FROM x.responded_at OR o.cancelled_at IS DISTINCT FROM x.cancelled_at GROUP BY 1, 2, 3
    ON CONFLICT (cell, agency_id, bucket) DO UPDATE SET
        received = obligation_tallies.received + excluded.received,
        on_time = obligation_tallies.on_time + excluded.on_time,
        late = obligation_tallies.late + excluded.late,
        cancelled = obligation_tallies.cancelled + excluded.cancelled,
        lapsed = obligation_tallies.lapsed + excluded.lapsed;
    RETURN NULL;
END $$;
CREATE TRIGGER obligation_tally_insert AFTER INSERT ON obligations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION obligation_tally_insert();
CREATE TRIGGER obligation_tally_delete AFTER DELETE ON obligations REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION obligation_tally_delete();
CREATE TRIGGER obligation_tally_update AFTER UPDATE ON obligations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION obligation_tally_update();

CREATE FUNCTION assignment_tally_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO assignment_tallies (agency_id, cell, counted, on_target, done_late, open_overdue, reopened, finished, ratings, rating_sum, fixed, partly, not_fixed)
    SELECT x.agency_id,
        ((EXTRACT(EPOCH FROM x.created_at) * 1000000)::BIGINT + 25200000000) / 86400000000,
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.completion_judged AND (x.stage = 'tuntas' AND x.completion_stopped) AND NOT x.completion_over THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.completion_judged AND (x.stage = 'tuntas' AND x.completion_stopped) AND x.completion_over THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.completion_judged AND NOT (x.stage = 'tuntas' AND x.completion_stopped) AND x.completion_over THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.reopened THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.finished THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) THEN x.rating ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) AND x.outcome = 'fixed' THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) AND x.outcome = 'partly' THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) AND x.outcome = 'not_fixed' THEN 1 ELSE 0 END)
    FROM new_rows x GROUP BY 1, 2
    ON CONFLICT (cell, agency_id) DO UPDATE SET
        counted = assignment_tallies.counted + excluded.counted,
        on_target = assignment_tallies.on_target + excluded.on_target,
        done_late = assignment_tallies.done_late + excluded.done_late,
        open_overdue = assignment_tallies.open_overdue + excluded.open_overdue,
        reopened = assignment_tallies.reopened + excluded.reopened,
        finished = assignment_tallies.finished + excluded.finished,
        ratings = assignment_tallies.ratings + excluded.ratings,
        rating_sum = assignment_tallies.rating_sum + excluded.rating_sum,
        fixed = assignment_tallies.fixed + excluded.fixed,
        partly = assignment_tallies.partly + excluded.partly,
        not_fixed = assignment_tallies.not_fixed + excluded.not_fixed;
    RETURN NULL;
END $$;
CREATE FUNCTION assignment_tally_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO assignment_tallies (agency_id, cell, counted, on_target, done_late, open_overdue, reopened, finished, ratings, rating_sum, fixed, partly, not_fixed)
    SELECT x.agency_id,
        ((EXTRACT(EPOCH FROM x.created_at) * 1000000)::BIGINT + 25200000000) / 86400000000,
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.completion_judged AND (x.stage = 'tuntas' AND x.completion_stopped) AND NOT x.completion_over THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.completion_judged AND (x.stage = 'tuntas' AND x.completion_stopped) AND x.completion_over THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.completion_judged AND NOT (x.stage = 'tuntas' AND x.completion_stopped) AND x.completion_over THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.reopened THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.finished THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) THEN x.rating ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) AND x.outcome = 'fixed' THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) AND x.outcome = 'partly' THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) AND x.outcome = 'not_fixed' THEN 1 ELSE 0 END)
    FROM old_rows x GROUP BY 1, 2
    ON CONFLICT (cell, agency_id) DO UPDATE SET
        counted = assignment_tallies.counted + excluded.counted,
        on_target = assignment_tallies.on_target + excluded.on_target,
        done_late = assignment_tallies.done_late + excluded.done_late,
        open_overdue = assignment_tallies.open_overdue + excluded.open_overdue,
        reopened = assignment_tallies.reopened + excluded.reopened,
        finished = assignment_tallies.finished + excluded.finished,
        ratings = assignment_tallies.ratings + excluded.ratings,
        rating_sum = assignment_tallies.rating_sum + excluded.rating_sum,
        fixed = assignment_tallies.fixed + excluded.fixed,
        partly = assignment_tallies.partly + excluded.partly,
        not_fixed = assignment_tallies.not_fixed + excluded.not_fixed;
    RETURN NULL;
END $$;
CREATE FUNCTION assignment_tally_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO assignment_tallies (agency_id, cell, counted, on_target, done_late, open_overdue, reopened, finished, ratings, rating_sum, fixed, partly, not_fixed)
    SELECT x.agency_id,
        ((EXTRACT(EPOCH FROM x.created_at) * 1000000)::BIGINT + 25200000000) / 86400000000,
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.completion_judged AND (x.stage = 'tuntas' AND x.completion_stopped) AND NOT x.completion_over THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.completion_judged AND (x.stage = 'tuntas' AND x.completion_stopped) AND x.completion_over THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.completion_judged AND NOT (x.stage = 'tuntas' AND x.completion_stopped) AND x.completion_over THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.reopened THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.finished THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) THEN x.rating ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) AND x.outcome = 'fixed' THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) AND x.outcome = 'partly' THEN 1 ELSE 0 END),
        -SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) AND x.outcome = 'not_fixed' THEN 1 ELSE 0 END)
    FROM old_rows x JOIN new_rows n ON n.id = x.id WHERE x.agency_id IS DISTINCT FROM n.agency_id OR x.stage IS DISTINCT FROM n.stage OR x.role IS DISTINCT FROM n.role OR x.created_at IS DISTINCT FROM n.created_at OR x.completion_judged IS DISTINCT FROM n.completion_judged OR x.completion_stopped IS DISTINCT FROM n.completion_stopped OR x.completion_over IS DISTINCT FROM n.completion_over OR x.reopened IS DISTINCT FROM n.reopened OR x.finished IS DISTINCT FROM n.finished OR x.rating IS DISTINCT FROM n.rating OR x.outcome IS DISTINCT FROM n.outcome GROUP BY 1, 2
    ON CONFLICT (cell, agency_id) DO UPDATE SET
        counted = assignment_tallies.counted + excluded.counted,
        on_target = assignment_tallies.on_target + excluded.on_target,
        done_late = assignment_tallies.done_late + excluded.done_late,
        open_overdue = assignment_tallies.open_overdue + excluded.open_overdue,
        reopened = assignment_tallies.reopened + excluded.reopened,
        finished = assignment_tallies.finished + excluded.finished,
        ratings = assignment_tallies.ratings + excluded.ratings,
        rating_sum = assignment_tallies.rating_sum + excluded.rating_sum,
        fixed = assignment_tallies.fixed + excluded.fixed,
        partly = assignment_tallies.partly + excluded.partly,
        not_fixed = assignment_tallies.not_fixed + excluded.not_fixed;
    INSERT INTO assignment_tallies (agency_id, cell, counted, on_target, done_late, open_overdue, reopened, finished, ratings, rating_sum, fixed, partly, not_fixed)
    SELECT x.agency_id,
        ((EXTRACT(EPOCH FROM x.created_at) * 1000000)::BIGINT + 25200000000) / 86400000000,
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.completion_judged AND (x.stage = 'tuntas' AND x.completion_stopped) AND NOT x.completion_over THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.completion_judged AND (x.stage = 'tuntas' AND x.completion_stopped) AND x.completion_over THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.completion_judged AND NOT (x.stage = 'tuntas' AND x.completion_stopped) AND x.completion_over THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.reopened THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND x.finished THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) THEN x.rating ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) AND x.outcome = 'fixed' THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) AND x.outcome = 'partly' THEN 1 ELSE 0 END),
        SUM(CASE WHEN x.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (x.role = 'utama' AND x.rating IS NOT NULL AND x.outcome IS NOT NULL) AND x.outcome = 'not_fixed' THEN 1 ELSE 0 END)
    FROM new_rows x JOIN old_rows o ON o.id = x.id WHERE o.agency_id IS DISTINCT FROM x.agency_id OR o.stage IS DISTINCT FROM x.stage OR o.role IS DISTINCT FROM x.role OR o.created_at IS DISTINCT FROM x.created_at OR o.completion_judged IS DISTINCT FROM x.completion_judged OR o.completion_stopped IS DISTINCT FROM x.completion_stopped OR o.completion_over IS DISTINCT FROM x.completion_over OR o.reopened IS DISTINCT FROM x.reopened OR o.finished IS DISTINCT FROM x.finished OR o.rating IS DISTINCT FROM x.rating OR o.outcome IS DISTINCT FROM x.outcome GROUP BY 1, 2
    ON CONFLICT (cell, agency_id) DO UPDATE SET
        counted = assignment_tallies.counted + excluded.counted,
        on_target = assignment_tallies.on_target + excluded.on_target,
        done_late = assignment_tallies.done_late + excluded.done_late,
        open_overdue = assignment_tallies.open_overdue + excluded.open_overdue,
        reopened = assignment_tallies.reopened + excluded.reopened,
        finished = assignment_tallies.finished + excluded.finished,
        ratings = assignment_tallies.ratings + excluded.ratings,
        rating_sum = assignment_tallies.rating_sum + excluded.rating_sum,
        fixed = assignment_tallies.fixed + excluded.fixed,
        partly = assignment_tallies.partly + excluded.partly,
        not_fixed = assignment_tallies.not_fixed + excluded.not_fixed;
    RETURN NULL;
END $$;
CREATE TRIGGER assignment_tally_insert AFTER INSERT ON assignments REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_tally_insert();
CREATE TRIGGER assignment_tally_delete AFTER DELETE ON assignments REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_tally_delete();
CREATE TRIGGER assignment_tally_update AFTER UPDATE ON assignments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_tally_update();

