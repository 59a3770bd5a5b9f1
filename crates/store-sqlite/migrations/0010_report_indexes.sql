-- The accountability figures are counted by the database for a whole quarter
-- (`compliance_counts`): assignments by creation time, and "finished at least once" looked up
-- per assignment rather than by scanning the timeline.
CREATE INDEX assignments_created ON assignments (created_at);
CREATE INDEX activities_tuntas ON activities (assignment_id) WHERE stage = 'tuntas';
