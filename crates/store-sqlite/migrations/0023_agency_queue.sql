-- An agency's queue in deadline order from one index (issue 16). The queue is the agency's
-- assignments in an open stage on reports not finished, ordered by the running deadline (the
-- completion clock's once the agency responded, the first-response clock's before); it joined
-- every such assignment to its report and two clocks to sort and count them (800 of them for
-- the road agency at a million reports). Two derived columns, kept by the triggers below in the
-- same transaction as the facts they come from, let one index hold the queue in order:
--   queue_due        the running deadline (a copy of the clock's due_at; NULL while none runs)
--   report_finished  1 while the report is selesai, ditutup, diarsipkan or duplikat
-- The clocks and the report stay the evidence; the conformance suite checks the queue against
-- them.
ALTER TABLE assignments ADD COLUMN queue_due INTEGER;
ALTER TABLE assignments ADD COLUMN report_finished INTEGER NOT NULL DEFAULT 0;

UPDATE assignments SET report_finished = 1
 WHERE report_id IN (SELECT id FROM reports WHERE status IN ('selesai', 'ditutup', 'diarsipkan', 'duplikat'));
UPDATE assignments SET queue_due = (
        SELECT c.due_at FROM clocks c
         WHERE c.report_id = assignments.report_id AND c.assignment_id = assignments.id
           AND c.kind = CASE WHEN assignments.responded = 1 THEN 'completion' ELSE 'first_response' END)
 WHERE stage IN ('menunggu_respon', 'verifikasi', 'cek_lapangan', 'pengerjaan');

CREATE TRIGGER assignments_queue_insert AFTER INSERT ON assignments
BEGIN
    UPDATE assignments SET
        report_finished = (SELECT r.status IN ('selesai', 'ditutup', 'diarsipkan', 'duplikat')
                             FROM reports r WHERE r.id = NEW.report_id),
        queue_due = (SELECT c.due_at FROM clocks c
                      WHERE c.report_id = NEW.report_id AND c.assignment_id = NEW.id
                        AND c.kind = CASE WHEN NEW.responded = 1 THEN 'completion' ELSE 'first_response' END)
     WHERE id = NEW.id;
END;

CREATE TRIGGER assignments_queue_change AFTER UPDATE OF stage, responded ON assignments
BEGIN
    UPDATE assignments SET
        queue_due = (SELECT c.due_at FROM clocks c
                      WHERE c.report_id = NEW.report_id AND c.assignment_id = NEW.id
                        AND c.kind = CASE WHEN NEW.responded = 1 THEN 'completion' ELSE 'first_response' END)
     WHERE id = NEW.id;
END;

CREATE TRIGGER clocks_queue_insert AFTER INSERT ON clocks
WHEN NEW.assignment_id <> 0 AND NEW.kind IN ('first_response', 'completion')
BEGIN
    UPDATE assignments SET queue_due = NEW.due_at
     WHERE id = NEW.assignment_id
       AND NEW.kind = CASE WHEN responded = 1 THEN 'completion' ELSE 'first_response' END
       AND queue_due IS NOT NEW.due_at;
END;

CREATE TRIGGER clocks_queue_update AFTER UPDATE OF due_at ON clocks
WHEN NEW.assignment_id <> 0 AND NEW.kind IN ('first_response', 'completion')
BEGIN
    UPDATE assignments SET queue_due = NEW.due_at
     WHERE id = NEW.assignment_id
       AND NEW.kind = CASE WHEN responded = 1 THEN 'completion' ELSE 'first_response' END
       AND queue_due IS NOT NEW.due_at;
END;

CREATE TRIGGER reports_queue_finished AFTER UPDATE OF status ON reports
WHEN (OLD.status IN ('selesai', 'ditutup', 'diarsipkan', 'duplikat'))
  <> (NEW.status IN ('selesai', 'ditutup', 'diarsipkan', 'duplikat'))
BEGIN
    UPDATE assignments SET report_finished = (NEW.status IN ('selesai', 'ditutup', 'diarsipkan', 'duplikat'))
     WHERE report_id = NEW.id;
END;

CREATE INDEX assignments_queue ON assignments (agency_id, queue_due, id)
 WHERE stage IN ('menunggu_respon', 'verifikasi', 'cek_lapangan', 'pengerjaan') AND report_finished = 0;
