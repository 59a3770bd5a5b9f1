-- How many reports are in each status, confidential or not, kept by the triggers below in the
-- same transaction as the reports themselves. A listing filtered by status alone (the desk's
-- queue, the home page's totals, the API without other filters) reads its total here instead
-- of counting a million rows; the reports stay the evidence and the conformance suite compares
-- the two.
CREATE TABLE report_counts (
    status  TEXT NOT NULL,
    rahasia INTEGER NOT NULL,
    n       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (status, rahasia)
) WITHOUT ROWID;
INSERT INTO report_counts (status, rahasia, n)
SELECT status, rahasia, COUNT(*) FROM reports GROUP BY status, rahasia;

CREATE TRIGGER report_counts_insert AFTER INSERT ON reports BEGIN
    INSERT INTO report_counts (status, rahasia, n) VALUES (new.status, new.rahasia, 1)
    ON CONFLICT (status, rahasia) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER report_counts_update AFTER UPDATE OF status, rahasia ON reports
WHEN old.status IS NOT new.status OR old.rahasia IS NOT new.rahasia BEGIN
    UPDATE report_counts SET n = n - 1 WHERE status = old.status AND rahasia = old.rahasia;
    INSERT INTO report_counts (status, rahasia, n) VALUES (new.status, new.rahasia, 1)
    ON CONFLICT (status, rahasia) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER report_counts_delete AFTER DELETE ON reports BEGIN
    UPDATE report_counts SET n = n - 1 WHERE status = old.status AND rahasia = old.rahasia;
END;

-- A report's obligations (its staff page, the reporter's figures) by report: without it, reading
-- one report's obligations scanned them all (seconds on a database of a million reports).
CREATE INDEX obligations_report ON obligations (report_id);
