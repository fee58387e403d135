-- Several processes on one database (issue #19): an outbox row being sent is claimed by one process
-- until its lease ends (a process killed mid-send leaves its rows to the next one), and the
-- process that runs the scheduler says so, for /healthz.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
CREATE TABLE scheduler_leader (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    holder  TEXT NOT NULL,
    since   TEXT NOT NULL
);
