-- Jobs that walk an append-only table (the reporter-updates job walks `activities`) keep their
-- position here. Kept in lockstep with store-sqlite/migrations/0003_job_cursors.sql.
CREATE TABLE job_cursors (
    name     TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
