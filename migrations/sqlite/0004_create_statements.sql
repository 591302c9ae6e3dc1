-- Images published with statements, stored once by the SHA-256 of their bytes.
CREATE TABLE media (
    hash TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    created_at TEXT NOT NULL
);

-- Statements. A slug is never reused: a deleted statement keeps its row as a tombstone.
CREATE TABLE statements (
    slug TEXT PRIMARY KEY,
    current_version INTEGER NOT NULL,
    tags TEXT NOT NULL,
    image_hash TEXT REFERENCES media (hash),
    image_alt TEXT,
    pinned BOOLEAN NOT NULL DEFAULT FALSE,
    published_at TEXT NOT NULL,
    updated_at TEXT,
    deleted_at TEXT
);

-- Every version of a statement's text; `hash` identifies the text that was signed.
CREATE TABLE statement_versions (
    slug TEXT NOT NULL REFERENCES statements (slug),
    version INTEGER NOT NULL,
    hash TEXT NOT NULL,
    texts TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (slug, version)
);

-- Activities shown in the outbox (Create, Update, Delete, Add, Remove, Announce); follow
-- answers are addressed to one actor and stay out of it.
ALTER TABLE outgoing_activities ADD COLUMN in_outbox BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX outgoing_activities_outbox ON outgoing_activities (in_outbox, created_at);
