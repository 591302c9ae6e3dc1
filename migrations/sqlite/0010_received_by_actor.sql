-- A received activity is known by its actor and its id together: keyed by id alone, an
-- actor could send an activity under the id another actor will use later (an Undo's id is
-- often predictable) and so have that actor's real activity ignored as a repeat.
CREATE TABLE received_activities_rebuilt (
    id TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (actor_id, id)
);
INSERT INTO received_activities_rebuilt SELECT id, actor_id, kind, received_at FROM received_activities;
DROP TABLE received_activities;
ALTER TABLE received_activities_rebuilt RENAME TO received_activities;
