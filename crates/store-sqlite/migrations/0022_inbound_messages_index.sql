-- The desk's inbox lists the newest messages citizens sent: walk only those, newest first,
-- instead of every message the system sent and received (issue 16: every read on an index).
CREATE INDEX messages_inbound ON messages (id) WHERE direction = 'inbound';
