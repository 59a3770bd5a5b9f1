-- What the accountability figures need of an assignment (SPEC section 6), kept on the
-- assignment itself so that a quarter is counted from one covering index instead of four
-- lookups per assignment (timeline, obligations, report, completion clock). The facts stay where
-- they are; these columns are derived from them by the triggers below, in the same transaction,
-- and the conformance suite checks the counts against the facts themselves.
--   finished            the assignment reached `tuntas` at least once (a timeline entry)
--   reopened            it has a response obligation of a later cycle (the report was reopened)
--   rating, outcome     the report's rating (counted for the lead assignment)
--   completion_judged   its completion clock exists and is not running (paused or stopped)
--   completion_stopped  that clock is stopped
--   completion_over     that clock has used more than its budget
ALTER TABLE assignments ADD COLUMN finished INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assignments ADD COLUMN reopened INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assignments ADD COLUMN rating INTEGER;
ALTER TABLE assignments ADD COLUMN outcome TEXT;
ALTER TABLE assignments ADD COLUMN completion_judged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assignments ADD COLUMN completion_stopped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assignments ADD COLUMN completion_over INTEGER NOT NULL DEFAULT 0;

UPDATE assignments SET finished = 1
 WHERE id IN (SELECT assignment_id FROM activities WHERE stage = 'tuntas' AND assignment_id IS NOT NULL);
UPDATE assignments SET reopened = 1
 WHERE id IN (SELECT assignment_id FROM obligations WHERE cycle > 1);
UPDATE assignments SET
    rating = (SELECT r.rating FROM reports r WHERE r.id = assignments.report_id),
    outcome = (SELECT r.outcome FROM reports r WHERE r.id = assignments.report_id);
UPDATE assignments SET
    completion_judged = (SELECT c.running_since IS NULL OR c.stopped_at IS NOT NULL FROM clocks c
        WHERE c.report_id = assignments.report_id AND c.assignment_id = assignments.id AND c.kind = 'completion'),
    completion_stopped = (SELECT c.stopped_at IS NOT NULL FROM clocks c
        WHERE c.report_id = assignments.report_id AND c.assignment_id = assignments.id AND c.kind = 'completion'),
    completion_over = (SELECT c.consumed_us > c.budget_us FROM clocks c
        WHERE c.report_id = assignments.report_id AND c.assignment_id = assignments.id AND c.kind = 'completion')
 WHERE EXISTS (SELECT 1 FROM clocks c
        WHERE c.report_id = assignments.report_id AND c.assignment_id = assignments.id AND c.kind = 'completion');

CREATE TRIGGER assignment_finished AFTER INSERT ON activities
WHEN NEW.stage = 'tuntas' AND NEW.assignment_id IS NOT NULL
BEGIN
    UPDATE assignments SET finished = 1 WHERE id = NEW.assignment_id AND finished = 0;
END;

CREATE TRIGGER assignment_reopened AFTER INSERT ON obligations
WHEN NEW.cycle > 1
BEGIN
    UPDATE assignments SET reopened = 1 WHERE id = NEW.assignment_id AND reopened = 0;
END;

CREATE TRIGGER assignment_rating AFTER UPDATE OF rating, outcome ON reports
BEGIN
    UPDATE assignments SET rating = NEW.rating, outcome = NEW.outcome WHERE report_id = NEW.id;
END;

CREATE TRIGGER assignment_rating_new AFTER INSERT ON assignments
WHEN EXISTS (SELECT 1 FROM reports r WHERE r.id = NEW.report_id AND (r.rating IS NOT NULL OR r.outcome IS NOT NULL))
BEGIN
    UPDATE assignments SET
        rating = (SELECT r.rating FROM reports r WHERE r.id = NEW.report_id),
        outcome = (SELECT r.outcome FROM reports r WHERE r.id = NEW.report_id)
     WHERE id = NEW.id;
END;

CREATE TRIGGER assignment_completion_new AFTER INSERT ON clocks
WHEN NEW.kind = 'completion' AND NEW.assignment_id <> 0
BEGIN
    UPDATE assignments SET
        completion_judged = (NEW.running_since IS NULL OR NEW.stopped_at IS NOT NULL),
        completion_stopped = (NEW.stopped_at IS NOT NULL),
        completion_over = (NEW.consumed_us > NEW.budget_us)
     WHERE id = NEW.assignment_id;
END;

CREATE TRIGGER assignment_completion AFTER UPDATE OF running_since, stopped_at, consumed_us, budget_us, kind ON clocks
WHEN NEW.kind = 'completion' AND NEW.assignment_id <> 0
BEGIN
    UPDATE assignments SET
        completion_judged = (NEW.running_since IS NULL OR NEW.stopped_at IS NOT NULL),
        completion_stopped = (NEW.stopped_at IS NOT NULL),
        completion_over = (NEW.consumed_us > NEW.budget_us)
     WHERE id = NEW.assignment_id;
END;

-- A quarter per agency from this index alone (the database skips from agency to agency).
CREATE INDEX assignments_figures ON assignments (agency_id, created_at, stage, role, finished, reopened,
    rating, outcome, completion_judged, completion_stopped, completion_over);
