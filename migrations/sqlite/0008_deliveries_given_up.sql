-- A delivery that failed after every attempt gets a state of its own, 'given_up', instead of
-- 'failed' with an error message that starts "gave up" (which reports had to match with LIKE).
-- SQLite cannot change a CHECK constraint: the table is rebuilt, ids kept.
CREATE TABLE deliveries_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id TEXT NOT NULL REFERENCES outgoing_activities (id) ON DELETE CASCADE,
    inbox TEXT NOT NULL,
    host TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'given_up')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    leased_until BIGINT,
    last_status INTEGER,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    UNIQUE (activity_id, inbox)
);
INSERT INTO deliveries_new (id, activity_id, inbox, host, state, attempts, next_attempt_at,
                            leased_until, last_status, last_error, created_at, finished_at)
SELECT id, activity_id, inbox, host,
       CASE WHEN state = 'failed' AND last_error LIKE 'gave up%' THEN 'given_up' ELSE state END,
       attempts, next_attempt_at, leased_until, last_status, last_error, created_at, finished_at
FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
