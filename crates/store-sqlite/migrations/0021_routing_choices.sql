-- What the desk chose at a report's first dispatch against what the assistant suggested
-- (issue 18). Insert-only; the accuracy on the admin page is counted from it. Holds nothing of
-- the reporter: agency and category codes and the confidences shown.
CREATE TABLE routing_choices (
    id              INTEGER PRIMARY KEY,
    report_id       INTEGER NOT NULL REFERENCES reports (id),
    suggested       TEXT NOT NULL,
    chosen_agency   TEXT NOT NULL,
    chosen_category TEXT,
    rank            INTEGER,
    category_right  INTEGER,
    trained_on      INTEGER NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX routing_choices_at ON routing_choices (at);
-- The assistant learns from the latest dispatches: their lead assignments, by report.
CREATE INDEX assignments_report_role ON assignments (report_id, role, id);
