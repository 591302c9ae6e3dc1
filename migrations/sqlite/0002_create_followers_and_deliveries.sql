-- Remote actors we know: followers now, co-signers and members later. The document is kept
-- as received, next to the fields we read.
CREATE TABLE remote_actors (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    preferred_username TEXT,
    name TEXT,
    host TEXT NOT NULL,
    inbox TEXT NOT NULL,
    shared_inbox TEXT,
    icon_url TEXT,
    public_key_id TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    document TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
CREATE INDEX remote_actors_host ON remote_actors (host);

-- Who follows the coalition. state: 'accepted', or 'pending' while an admin decides.
CREATE TABLE followers (
    actor_id TEXT PRIMARY KEY REFERENCES remote_actors (id) ON DELETE CASCADE,
    follow_id TEXT NOT NULL,
    follow_json TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('accepted', 'pending')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX followers_state_created ON followers (state, created_at);

-- Ids of the activities received, so that a repeated delivery has one effect.
CREATE TABLE received_activities (
    id TEXT PRIMARY KEY,
    actor_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at TEXT NOT NULL
);

-- Activities we send, stored once; their deliveries point to them.
CREATE TABLE outgoing_activities (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- One row per (activity, inbox): signed at each attempt, retried with growing delays.
-- Times used to claim work are milliseconds since the epoch, on both backends.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id TEXT NOT NULL REFERENCES outgoing_activities (id) ON DELETE CASCADE,
    inbox TEXT NOT NULL,
    host TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    leased_until BIGINT,
    last_status INTEGER,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);

-- Blocked domains and actors: 403 at the inbox, nothing stored.
CREATE TABLE blocks (
    kind TEXT NOT NULL CHECK (kind IN ('domain', 'actor')),
    value TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (kind, value)
);
