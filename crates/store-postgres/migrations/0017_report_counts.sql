-- How many reports are in each status, confidential or not, kept by the triggers below in the
-- same transaction as the reports themselves. A listing filtered by status alone (the desk's
-- queue, the home page's totals, the API without other filters) reads its total here instead
-- of counting millions of rows; the reports stay the evidence and the conformance suite compares
-- the two. Statement-level triggers with transition tables: one upsert per (status, rahasia) a
-- statement touches, so a batch of new reports adds to each row once.
CREATE TABLE report_counts (
    status  TEXT NOT NULL,
    rahasia BOOLEAN NOT NULL,
    n       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (status, rahasia)
);
INSERT INTO report_counts (status, rahasia, n)
SELECT status, rahasia, COUNT(*) FROM reports GROUP BY status, rahasia;

CREATE FUNCTION report_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_counts (status, rahasia, n)
    SELECT status, rahasia, COUNT(*) FROM new_rows GROUP BY status, rahasia
    ON CONFLICT (status, rahasia) DO UPDATE SET n = report_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE FUNCTION report_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_counts (status, rahasia, n)
    SELECT status, rahasia, SUM(d) FROM (
        SELECT status, rahasia, 1 AS d FROM new_rows
        UNION ALL
        SELECT status, rahasia, -1 AS d FROM old_rows
    ) x GROUP BY status, rahasia HAVING SUM(d) <> 0
    ON CONFLICT (status, rahasia) DO UPDATE SET n = report_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE FUNCTION report_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_counts (status, rahasia, n)
    SELECT status, rahasia, -COUNT(*) FROM old_rows GROUP BY status, rahasia
    ON CONFLICT (status, rahasia) DO UPDATE SET n = report_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE TRIGGER report_counts_insert AFTER INSERT ON reports REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_counts_insert();
CREATE TRIGGER report_counts_update AFTER UPDATE ON reports REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_counts_update();
CREATE TRIGGER report_counts_delete AFTER DELETE ON reports REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_counts_delete();

-- A report's obligations (its staff page, the reporter's figures) by report: without it, reading
-- one report's obligations scanned them all (seconds on a database of a million reports).
CREATE INDEX obligations_report ON obligations (report_id);
