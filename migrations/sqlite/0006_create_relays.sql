-- The coalition's Announces of its members' posts.
CREATE TABLE relays (
    post_id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    create_id TEXT NOT NULL,
    create_json TEXT NOT NULL,
    announce_id TEXT NOT NULL UNIQUE,
    relayed_at TEXT NOT NULL,
    -- The member deleted the post.
    removed_at TEXT,
    -- The coalition withdrew the relay (Undo{Announce}).
    undone_at TEXT
);
CREATE INDEX relays_member ON relays (member_id, relayed_at);

-- Posts addressed to the coalition that the relay rule does not take: held for an admin.
CREATE TABLE pending_posts (
    post_id TEXT PRIMARY KEY,
    actor_id TEXT NOT NULL,
    create_id TEXT NOT NULL,
    create_json TEXT NOT NULL,
    reason TEXT NOT NULL,
    received_at TEXT NOT NULL,
    decided_at TEXT,
    decision TEXT CHECK (decision IN ('approved', 'rejected'))
);

-- Actors a statement mentions (JSON: id, name, url): Mention tags, cc, and deliveries.
ALTER TABLE statements ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]';

-- What software other servers run (NodeInfo), where behaviour depends on it.
CREATE TABLE instances (
    host TEXT PRIMARY KEY,
    software TEXT,
    fetched_at TEXT NOT NULL
);
