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
UPDATE obligations SET tracking_id = (SELECT r.tracking_id FROM reports r WHERE r.id = obligations.report_id);
CREATE TRIGGER obligation_tracking_id AFTER INSERT ON obligations
WHEN NEW.tracking_id IS NULL
BEGIN
    UPDATE obligations SET tracking_id = (SELECT r.tracking_id FROM reports r WHERE r.id = NEW.report_id) WHERE id = NEW.id;
END;
CREATE INDEX obligations_lalai ON obligations
    (started_at, id, agency_id, due_at, responded_at, cancelled_at, report_id, assignment_id, cycle, tracking_id)
    WHERE responded_at > due_at OR (responded_at IS NULL AND (cancelled_at IS NULL OR cancelled_at > due_at));

CREATE TABLE obligation_tallies (
    cell INTEGER NOT NULL,
    agency_id TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    received INTEGER NOT NULL DEFAULT 0, on_time INTEGER NOT NULL DEFAULT 0, late INTEGER NOT NULL DEFAULT 0, cancelled INTEGER NOT NULL DEFAULT 0, lapsed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (cell, agency_id, bucket)
) WITHOUT ROWID;
CREATE TABLE assignment_tallies (
    cell INTEGER NOT NULL,
    agency_id TEXT NOT NULL,
    counted INTEGER NOT NULL DEFAULT 0, on_target INTEGER NOT NULL DEFAULT 0, done_late INTEGER NOT NULL DEFAULT 0, open_overdue INTEGER NOT NULL DEFAULT 0, reopened INTEGER NOT NULL DEFAULT 0, finished INTEGER NOT NULL DEFAULT 0, ratings INTEGER NOT NULL DEFAULT 0, rating_sum INTEGER NOT NULL DEFAULT 0, fixed INTEGER NOT NULL DEFAULT 0, partly INTEGER NOT NULL DEFAULT 0, not_fixed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (cell, agency_id)
) WITHOUT ROWID;
CREATE INDEX obligations_waiting ON obligations (started_at, agency_id, due_at) WHERE responded_at IS NULL AND cancelled_at IS NULL;

INSERT INTO obligation_tallies (agency_id, cell, bucket, received, on_time, late, cancelled, lapsed)
SELECT o.agency_id, (o.started_at + 25200000000) / 86400000000, CASE WHEN o.responded_at IS NULL THEN -1 WHEN (o.responded_at - o.started_at) < 21600000000 THEN MAX((o.responded_at - o.started_at), 0) / 300000000 WHEN (o.responded_at - o.started_at) < 172800000000 THEN 72 + ((o.responded_at - o.started_at) - 21600000000) / 900000000 WHEN (o.responded_at - o.started_at) < 2592000000000 THEN 240 + ((o.responded_at - o.started_at) - 172800000000) / 3600000000 ELSE 912 + MIN(((o.responded_at - o.started_at) - 2592000000000) / 86400000000, 3650) END, COUNT(*),
       SUM(CASE WHEN o.responded_at IS NOT NULL AND o.responded_at <= o.due_at THEN 1 ELSE 0 END),
       SUM(CASE WHEN o.responded_at IS NOT NULL AND o.responded_at > o.due_at THEN 1 ELSE 0 END),
       SUM(CASE WHEN o.responded_at IS NULL AND o.cancelled_at IS NOT NULL AND o.cancelled_at <= o.due_at THEN 1 ELSE 0 END),
       SUM(CASE WHEN o.responded_at IS NULL AND o.cancelled_at IS NOT NULL AND o.cancelled_at > o.due_at THEN 1 ELSE 0 END)
  FROM obligations o GROUP BY 1, 2, 3;
INSERT INTO assignment_tallies (agency_id, cell, counted, on_target, done_late, open_overdue, reopened, finished, ratings, rating_sum, fixed, partly, not_fixed)
SELECT a.agency_id, (a.created_at + 25200000000) / 86400000000,
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

CREATE TRIGGER obligation_tally_insert AFTER INSERT ON obligations
BEGIN
    INSERT INTO obligation_tallies (agency_id, cell, bucket, received, on_time, late, cancelled, lapsed)
    VALUES (NEW.agency_id,
        (NEW.started_at + 25200000000) / 86400000000,
        CASE WHEN NEW.responded_at IS NULL THEN -1 WHEN (NEW.responded_at - NEW.started_at) < 21600000000 THEN MAX((NEW.responded_at - NEW.started_at), 0) / 300000000 WHEN (NEW.responded_at - NEW.started_at) < 172800000000 THEN 72 + ((NEW.responded_at - NEW.started_at) - 21600000000) / 900000000 WHEN (NEW.responded_at - NEW.started_at) < 2592000000000 THEN 240 + ((NEW.responded_at - NEW.started_at) - 172800000000) / 3600000000 ELSE 912 + MIN(((NEW.responded_at - NEW.started_at) - 2592000000000) / 86400000000, 3650) END,
        1,
        CASE WHEN NEW.responded_at IS NOT NULL AND NEW.responded_at <= NEW.due_at THEN 1 ELSE 0 END,
        CASE WHEN NEW.responded_at IS NOT NULL AND NEW.responded_at > NEW.due_at THEN 1 ELSE 0 END,
        CASE WHEN NEW.responded_at IS NULL AND NEW.cancelled_at IS NOT NULL AND NEW.cancelled_at <= NEW.due_at THEN 1 ELSE 0 END,
        CASE WHEN NEW.responded_at IS NULL AND NEW.cancelled_at IS NOT NULL AND NEW.cancelled_at > NEW.due_at THEN 1 ELSE 0 END)
    ON CONFLICT (cell, agency_id, bucket) DO UPDATE SET
        received = obligation_tallies.received + excluded.received,
        on_time = obligation_tallies.on_time + excluded.on_time,
        late = obligation_tallies.late + excluded.late,
        cancelled = obligation_tallies.cancelled + excluded.cancelled,
        lapsed = obligation_tallies.lapsed + excluded.lapsed;
END;

CREATE TRIGGER obligation_tally_delete AFTER DELETE ON obligations
BEGIN
    UPDATE obligation_tallies SET
        received = received - 1,
        on_time = on_time - (CASE WHEN OLD.responded_at IS NOT NULL AND OLD.responded_at <= OLD.due_at THEN 1 ELSE 0 END),
        late = late - (CASE WHEN OLD.responded_at IS NOT NULL AND OLD.responded_at > OLD.due_at THEN 1 ELSE 0 END),
        cancelled = cancelled - (CASE WHEN OLD.responded_at IS NULL AND OLD.cancelled_at IS NOT NULL AND OLD.cancelled_at <= OLD.due_at THEN 1 ELSE 0 END),
        lapsed = lapsed - (CASE WHEN OLD.responded_at IS NULL AND OLD.cancelled_at IS NOT NULL AND OLD.cancelled_at > OLD.due_at THEN 1 ELSE 0 END)
     WHERE cell = (OLD.started_at + 25200000000) / 86400000000 AND agency_id = OLD.agency_id AND bucket = CASE WHEN OLD.responded_at IS NULL THEN -1 WHEN (OLD.responded_at - OLD.started_at) < 21600000000 THEN MAX((OLD.responded_at - OLD.started_at), 0) / 300000000 WHEN (OLD.responded_at - OLD.started_at) < 172800000000 THEN 72 + ((OLD.responded_at - OLD.started_at) - 21600000000) / 900000000 WHEN (OLD.responded_at - OLD.started_at) < 2592000000000 THEN 240 + ((OLD.responded_at - OLD.started_at) - 172800000000) / 3600000000 ELSE 912 + MIN(((OLD.responded_at - OLD.started_at) - 2592000000000) / 86400000000, 3650) END;
END;

CREATE TRIGGER obligation_tally_update AFTER UPDATE OF agency_id, started_at, due_at, responded_at, cancelled_at ON obligations
BEGIN
    UPDATE obligation_tallies SET
        received = received - 1,
        on_time = on_time - (CASE WHEN OLD.responded_at IS NOT NULL AND OLD.responded_at <= OLD.due_at THEN 1 ELSE 0 END),
        late = late - (CASE WHEN OLD.responded_at IS NOT NULL AND OLD.responded_at > OLD.due_at THEN 1 ELSE 0 END),
        cancelled = cancelled - (CASE WHEN OLD.responded_at IS NULL AND OLD.cancelled_at IS NOT NULL AND OLD.cancelled_at <= OLD.due_at THEN 1 ELSE 0 END),
        lapsed = lapsed - (CASE WHEN OLD.responded_at IS NULL AND OLD.cancelled_at IS NOT NULL AND OLD.cancelled_at > OLD.due_at THEN 1 ELSE 0 END)
     WHERE cell = (OLD.started_at + 25200000000) / 86400000000 AND agency_id = OLD.agency_id AND bucket = CASE WHEN OLD.responded_at IS NULL THEN -1 WHEN (OLD.responded_at - OLD.started_at) < 21600000000 THEN MAX((OLD.responded_at - OLD.started_at), 0) / 300000000 WHEN (OLD.responded_at - OLD.started_at) < 172800000000 THEN 72 + ((OLD.responded_at - OLD.started_at) - 21600000000) / 900000000 WHEN (OLD.responded_at - OLD.started_at) < 2592000000000 THEN 240 + ((OLD.responded_at - OLD.started_at) - 172800000000) / 3600000000 ELSE 912 + MIN(((OLD.responded_at - OLD.started_at) - 2592000000000) / 86400000000, 3650) END;
    INSERT INTO obligation_tallies (agency_id, cell, bucket, received, on_time, late, cancelled, lapsed)
    VALUES (NEW.agency_id,
        (NEW.started_at + 25200000000) / 86400000000,
        CASE WHEN NEW.responded_at IS NULL THEN -1 WHEN (NEW.responded_at - NEW.started_at) < 21600000000 THEN MAX((NEW.responded_at - NEW.started_at), 0) / 300000000 WHEN (NEW.responded_at - NEW.started_at) < 172800000000 THEN 72 + ((NEW.responded_at - NEW.started_at) - 21600000000) / 900000000 WHEN (NEW.responded_at - NEW.started_at) < 2592000000000 THEN 240 + ((NEW.responded_at - NEW.started_at) - 172800000000) / 3600000000 ELSE 912 + MIN(((NEW.responded_at - NEW.started_at) - 2592000000000) / 86400000000, 3650) END,
        1,
        CASE WHEN NEW.responded_at IS NOT NULL AND NEW.responded_at <= NEW.due_at THEN 1 ELSE 0 END,
        CASE WHEN NEW.responded_at IS NOT NULL AND NEW.responded_at > NEW.due_at THEN 1 ELSE 0 END,
        CASE WHEN NEW.responded_at IS NULL AND NEW.cancelled_at IS NOT NULL AND NEW.cancelled_at <= NEW.due_at THEN 1 ELSE 0 END,
        CASE WHEN NEW.responded_at IS NULL AND NEW.cancelled_at IS NOT NULL AND NEW.cancelled_at > NEW.due_at THEN 1 ELSE 0 END)
    ON CONFLICT (cell, agency_id, bucket) DO UPDATE SET
        received = obligation_tallies.received + excluded.received,
        on_time = obligation_tallies.on_time + excluded.on_time,
        late = obligation_tallies.late + excluded.late,
        cancelled = obligation_tallies.cancelled + excluded.cancelled,
        lapsed = obligation_tallies.lapsed + excluded.lapsed;
END;

CREATE TRIGGER assignment_tally_insert AFTER INSERT ON assignments
BEGIN
    INSERT INTO assignment_tallies (agency_id, cell, counted, on_target, done_late, open_overdue, reopened, finished, ratings, rating_sum, fixed, partly, not_fixed)
    VALUES (NEW.agency_id,
        (NEW.created_at + 25200000000) / 86400000000,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND NEW.completion_judged AND (NEW.stage = 'tuntas' AND NEW.completion_stopped) AND NOT NEW.completion_over THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND NEW.completion_judged AND (NEW.stage = 'tuntas' AND NEW.completion_stopped) AND NEW.completion_over THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND NEW.completion_judged AND NOT (NEW.stage = 'tuntas' AND NEW.completion_stopped) AND NEW.completion_over THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND NEW.reopened THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND NEW.finished THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (NEW.role = 'utama' AND NEW.rating IS NOT NULL AND NEW.outcome IS NOT NULL) THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (NEW.role = 'utama' AND NEW.rating IS NOT NULL AND NEW.outcome IS NOT NULL) THEN NEW.rating ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (NEW.role = 'utama' AND NEW.rating IS NOT NULL AND NEW.outcome IS NOT NULL) AND NEW.outcome = 'fixed' THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (NEW.role = 'utama' AND NEW.rating IS NOT NULL AND NEW.outcome IS NOT NULL) AND NEW.outcome = 'partly' THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (NEW.role = 'utama' AND NEW.rating IS NOT NULL AND NEW.outcome IS NOT NULL) AND NEW.outcome = 'not_fixed' THEN 1 ELSE 0 END)
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
END;

CREATE TRIGGER assignment_tally_delete AFTER DELETE ON assignments
BEGIN
    UPDATE assignment_tallies SET
        counted = counted - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') THEN 1 ELSE 0 END),
        on_target = on_target - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND OLD.completion_judged AND (OLD.stage = 'tuntas' AND OLD.completion_stopped) AND NOT OLD.completion_over THEN 1 ELSE 0 END),
        done_late = done_late - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND OLD.completion_judged AND (OLD.stage = 'tuntas' AND OLD.completion_stopped) AND OLD.completion_over THEN 1 ELSE 0 END),
        open_overdue = open_overdue - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND OLD.completion_judged AND NOT (OLD.stage = 'tuntas' AND OLD.completion_stopped) AND OLD.completion_over THEN 1 ELSE 0 END),
        reopened = reopened - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND OLD.reopened THEN 1 ELSE 0 END),
        finished = finished - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND OLD.finished THEN 1 ELSE 0 END),
        ratings = ratings - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (OLD.role = 'utama' AND OLD.rating IS NOT NULL AND OLD.outcome IS NOT NULL) THEN 1 ELSE 0 END),
        rating_sum = rating_sum - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (OLD.role = 'utama' AND OLD.rating IS NOT NULL AND OLD.outcome IS NOT NULL) THEN OLD.rating ELSE 0 END),
        fixed = fixed - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (OLD.role = 'utama' AND OLD.rating IS NOT NULL AND OLD.outcome IS NOT NULL) AND OLD.outcome = 'fixed' THEN 1 ELSE 0 END),
        partly = partly - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (OLD.role = 'utama' AND OLD.rating IS NOT NULL AND OLD.outcome IS NOT NULL) AND OLD.outcome = 'partly' THEN 1 ELSE 0 END),
        not_fixed = not_fixed - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (OLD.role = 'utama' AND OLD.rating IS NOT NULL AND OLD.outcome IS NOT NULL) AND OLD.outcome = 'not_fixed' THEN 1 ELSE 0 END)
     WHERE cell = (OLD.created_at + 25200000000) / 86400000000 AND agency_id = OLD.agency_id;
END;

CREATE TRIGGER assignment_tally_update AFTER UPDATE OF agency_id, stage, role, created_at, completion_judged, completion_stopped, completion_over, reopened, finished, rating, outcome ON assignments
BEGIN
    UPDATE assignment_tallies SET
        counted = counted - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') THEN 1 ELSE 0 END),
        on_target = on_target - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND OLD.completion_judged AND (OLD.stage = 'tuntas' AND OLD.completion_stopped) AND NOT OLD.completion_over THEN 1 ELSE 0 END),
        done_late = done_late - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND OLD.completion_judged AND (OLD.stage = 'tuntas' AND OLD.completion_stopped) AND OLD.completion_over THEN 1 ELSE 0 END),
        open_overdue = open_overdue - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND OLD.completion_judged AND NOT (OLD.stage = 'tuntas' AND OLD.completion_stopped) AND OLD.completion_over THEN 1 ELSE 0 END),
        reopened = reopened - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND OLD.reopened THEN 1 ELSE 0 END),
        finished = finished - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND OLD.finished THEN 1 ELSE 0 END),
        ratings = ratings - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (OLD.role = 'utama' AND OLD.rating IS NOT NULL AND OLD.outcome IS NOT NULL) THEN 1 ELSE 0 END),
        rating_sum = rating_sum - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (OLD.role = 'utama' AND OLD.rating IS NOT NULL AND OLD.outcome IS NOT NULL) THEN OLD.rating ELSE 0 END),
        fixed = fixed - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (OLD.role = 'utama' AND OLD.rating IS NOT NULL AND OLD.outcome IS NOT NULL) AND OLD.outcome = 'fixed' THEN 1 ELSE 0 END),
        partly = partly - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (OLD.role = 'utama' AND OLD.rating IS NOT NULL AND OLD.outcome IS NOT NULL) AND OLD.outcome = 'partly' THEN 1 ELSE 0 END),
        not_fixed = not_fixed - (CASE WHEN OLD.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (OLD.role = 'utama' AND OLD.rating IS NOT NULL AND OLD.outcome IS NOT NULL) AND OLD.outcome = 'not_fixed' THEN 1 ELSE 0 END)
     WHERE cell = (OLD.created_at + 25200000000) / 86400000000 AND agency_id = OLD.agency_id;
    INSERT INTO assignment_tallies (agency_id, cell, counted, on_target, done_late, open_overdue, reopened, finished, ratings, rating_sum, fixed, partly, not_fixed)
    VALUES (NEW.agency_id,
        (NEW.created_at + 25200000000) / 86400000000,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND NEW.completion_judged AND (NEW.stage = 'tuntas' AND NEW.completion_stopped) AND NOT NEW.completion_over THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND NEW.completion_judged AND (NEW.stage = 'tuntas' AND NEW.completion_stopped) AND NEW.completion_over THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND NEW.completion_judged AND NOT (NEW.stage = 'tuntas' AND NEW.completion_stopped) AND NEW.completion_over THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND NEW.reopened THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND NEW.finished THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (NEW.role = 'utama' AND NEW.rating IS NOT NULL AND NEW.outcome IS NOT NULL) THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (NEW.role = 'utama' AND NEW.rating IS NOT NULL AND NEW.outcome IS NOT NULL) THEN NEW.rating ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (NEW.role = 'utama' AND NEW.rating IS NOT NULL AND NEW.outcome IS NOT NULL) AND NEW.outcome = 'fixed' THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (NEW.role = 'utama' AND NEW.rating IS NOT NULL AND NEW.outcome IS NOT NULL) AND NEW.outcome = 'partly' THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage NOT IN ('diteruskan', 'bukan_wewenang') AND (NEW.role = 'utama' AND NEW.rating IS NOT NULL AND NEW.outcome IS NOT NULL) AND NEW.outcome = 'not_fixed' THEN 1 ELSE 0 END)
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
END;

