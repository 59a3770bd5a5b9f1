-- An agency's queue in deadline order from one index (issue 16). The queue is the agency's
-- assignments in an open stage on reports not finished, ordered by the running deadline (the
-- completion clock's once the agency responded, the first-response clock's before); it joined
-- every such assignment to its report and two clocks to sort and count them. Two derived
-- columns, kept by the triggers below in the same transaction as the facts they come from, let
-- one index hold the queue in order:
--   queue_due        the running deadline (a copy of the clock's due_at; NULL while none runs)
--   report_finished  true while the report is selesai, ditutup, diarsipkan or duplikat
-- The clocks and the report stay the evidence; the conformance suite checks the queue against
-- them.
ALTER TABLE assignments ADD COLUMN queue_due TIMESTAMPTZ,
                        ADD COLUMN report_finished BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE assignments SET report_finished = TRUE
 WHERE report_id IN (SELECT id FROM reports WHERE status IN ('selesai', 'ditutup', 'diarsipkan', 'duplikat'));
UPDATE assignments a SET queue_due = (
        SELECT c.due_at FROM clocks c
         WHERE c.report_id = a.report_id AND c.assignment_id = a.id
           AND c.kind = CASE WHEN a.responded THEN 'completion' ELSE 'first_response' END)
 WHERE a.stage IN ('menunggu_respon', 'verifikasi', 'cek_lapangan', 'pengerjaan');

-- A new assignment, or one whose stage or response changed: its own row, before it is written.
CREATE FUNCTION assignments_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.report_finished := COALESCE((SELECT r.status IN ('selesai', 'ditutup', 'diarsipkan', 'duplikat')
                                           FROM reports r WHERE r.id = NEW.report_id), FALSE);
    END IF;
    NEW.queue_due := (SELECT c.due_at FROM clocks c
                       WHERE c.report_id = NEW.report_id AND c.assignment_id = NEW.id
                         AND c.kind = CASE WHEN NEW.responded THEN 'completion' ELSE 'first_response' END);
    RETURN NEW;
END $$;
CREATE TRIGGER assignments_queue BEFORE INSERT OR UPDATE OF stage, responded ON assignments
    FOR EACH ROW EXECUTE FUNCTION assignments_queue();

-- A clock of an assignment written: the deadline it carries, if it is the running one.
CREATE FUNCTION clocks_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assignments SET queue_due = NEW.due_at
     WHERE id = NEW.assignment_id
       AND NEW.kind = CASE WHEN responded THEN 'completion' ELSE 'first_response' END
       AND queue_due IS DISTINCT FROM NEW.due_at;
    RETURN NULL;
END $$;
CREATE TRIGGER clocks_queue AFTER INSERT OR UPDATE OF due_at ON clocks
    FOR EACH ROW WHEN (NEW.assignment_id <> 0 AND NEW.kind IN ('first_response', 'completion'))
    EXECUTE FUNCTION clocks_queue();

-- A report finished or taken up again: its assignments leave or join the queues.
CREATE FUNCTION reports_queue_finished() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assignments SET report_finished = NEW.status IN ('selesai', 'ditutup', 'diarsipkan', 'duplikat')
     WHERE report_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER reports_queue_finished AFTER UPDATE OF status ON reports
    FOR EACH ROW
    WHEN ((OLD.status IN ('selesai', 'ditutup', 'diarsipkan', 'duplikat'))
          IS DISTINCT FROM (NEW.status IN ('selesai', 'ditutup', 'diarsipkan', 'duplikat')))
    EXECUTE FUNCTION reports_queue_finished();

CREATE INDEX assignments_queue ON assignments (agency_id, queue_due, id)
 WHERE stage IN ('menunggu_respon', 'verifikasi', 'cek_lapangan', 'pengerjaan') AND NOT report_finished;
