-- What the accountability figures need of an assignment (SPEC section 6), kept on the
-- assignment itself so that a quarter is counted from one table instead of four lookups per
-- assignment (timeline, obligations, report, completion clock). The facts stay where they are;
-- these columns are derived from them by the triggers below, in the same transaction, and the
-- conformance suite checks the counts against the facts themselves.
--   finished            the assignment reached `tuntas` at least once (a timeline entry)
--   reopened            it has a response obligation of a later cycle (the report was reopened)
--   rating, outcome     the report's rating (counted for the lead assignment)
--   completion_judged   its completion clock exists and is not running (paused or stopped)
--   completion_stopped  that clock is stopped
--   completion_over     that clock has used more than its budget
ALTER TABLE assignments
    ADD COLUMN finished BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN reopened BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN rating SMALLINT,
    ADD COLUMN outcome TEXT,
    ADD COLUMN completion_judged BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN completion_stopped BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN completion_over BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE assignments a SET finished = TRUE
 WHERE EXISTS (SELECT 1 FROM activities x WHERE x.assignment_id = a.id AND x.stage = 'tuntas');
UPDATE assignments a SET reopened = TRUE
 WHERE EXISTS (SELECT 1 FROM obligations x WHERE x.assignment_id = a.id AND x.cycle > 1);
UPDATE assignments a SET rating = r.rating, outcome = r.outcome
  FROM reports r WHERE r.id = a.report_id AND (r.rating IS NOT NULL OR r.outcome IS NOT NULL);
UPDATE assignments a SET
    completion_judged = (c.running_since IS NULL OR c.stopped_at IS NOT NULL),
    completion_stopped = (c.stopped_at IS NOT NULL),
    completion_over = (c.consumed_us > c.budget_us)
  FROM clocks c WHERE c.report_id = a.report_id AND c.assignment_id = a.id AND c.kind = 'completion';

CREATE FUNCTION assignment_finished() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assignments SET finished = TRUE WHERE id = NEW.assignment_id AND NOT finished;
    RETURN NULL;
END $$;
CREATE TRIGGER assignment_finished AFTER INSERT ON activities FOR EACH ROW
    WHEN (NEW.stage = 'tuntas' AND NEW.assignment_id IS NOT NULL)
    EXECUTE FUNCTION assignment_finished();

CREATE FUNCTION assignment_reopened() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assignments SET reopened = TRUE WHERE id = NEW.assignment_id AND NOT reopened;
    RETURN NULL;
END $$;
CREATE TRIGGER assignment_reopened AFTER INSERT ON obligations FOR EACH ROW
    WHEN (NEW.cycle > 1)
    EXECUTE FUNCTION assignment_reopened();

CREATE FUNCTION assignment_rating() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assignments SET rating = NEW.rating, outcome = NEW.outcome WHERE report_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER assignment_rating AFTER UPDATE OF rating, outcome ON reports FOR EACH ROW
    WHEN (OLD.rating IS DISTINCT FROM NEW.rating OR OLD.outcome IS DISTINCT FROM NEW.outcome)
    EXECUTE FUNCTION assignment_rating();

CREATE FUNCTION assignment_rating_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assignments a SET rating = r.rating, outcome = r.outcome
      FROM reports r
     WHERE a.id = NEW.id AND r.id = NEW.report_id AND (r.rating IS NOT NULL OR r.outcome IS NOT NULL);
    RETURN NULL;
END $$;
CREATE TRIGGER assignment_rating_new AFTER INSERT ON assignments FOR EACH ROW
    EXECUTE FUNCTION assignment_rating_new();

CREATE FUNCTION assignment_completion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assignments SET
        completion_judged = (NEW.running_since IS NULL OR NEW.stopped_at IS NOT NULL),
        completion_stopped = (NEW.stopped_at IS NOT NULL),
        completion_over = (NEW.consumed_us > NEW.budget_us)
     WHERE id = NEW.assignment_id;
    RETURN NULL;
END $$;
CREATE TRIGGER assignment_completion_new AFTER INSERT ON clocks FOR EACH ROW
    WHEN (NEW.kind = 'completion' AND NEW.assignment_id <> 0)
    EXECUTE FUNCTION assignment_completion();
CREATE TRIGGER assignment_completion AFTER UPDATE OF running_since, stopped_at, consumed_us, budget_us, kind ON clocks FOR EACH ROW
    WHEN (NEW.kind = 'completion' AND NEW.assignment_id <> 0 AND (
        OLD.running_since IS DISTINCT FROM NEW.running_since OR OLD.stopped_at IS DISTINCT FROM NEW.stopped_at
        OR OLD.consumed_us IS DISTINCT FROM NEW.consumed_us OR OLD.budget_us IS DISTINCT FROM NEW.budget_us))
    EXECUTE FUNCTION assignment_completion();
