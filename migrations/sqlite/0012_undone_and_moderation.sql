-- An Undo that arrived before what it undoes (a retried Announce, Like or Follow comes
-- after its Undo): kept so the late activity is refused. Keyed by the undone activity's id
-- when the Undo names one, else by what it was about (`object`). Pruned with the received
-- activities (retention.received_activities_days).
CREATE TABLE undone_activities (
    actor_id TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    object TEXT NOT NULL,
    undone_at TEXT NOT NULL,
    PRIMARY KEY (actor_id, activity_id, kind, object)
);
CREATE INDEX undone_activities_at ON undone_activities (undone_at);

-- Moderation of one actor's signatures of one statement: while a row is here, the actor's
-- signatures of that statement, present and later, are hidden. The reason is for the
-- admins; the public ledger shows only its hash.
CREATE TABLE moderation (
    slug TEXT NOT NULL REFERENCES statements (slug),
    actor_id TEXT NOT NULL,
    hidden_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (slug, actor_id)
);

-- Hidden signatures before this migration: their actors stay hidden.
INSERT INTO moderation (slug, actor_id, hidden_at, reason)
SELECT slug, actor_id, MIN(hidden_at), COALESCE(MIN(hidden_reason), '')
FROM cosignatures WHERE hidden_at IS NOT NULL GROUP BY slug, actor_id;
