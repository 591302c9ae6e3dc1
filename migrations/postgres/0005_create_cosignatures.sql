-- The roster of member organisations (managed with the members commands).
CREATE TABLE members (
    actor_id TEXT PRIMARY KEY,
    added_at TIMESTAMPTZ NOT NULL
);

-- A boost of a statement: a co-signature when `counts`, else a share. Who signed is kept as
-- it was at signing time; a withdrawal or a hiding only sets its time.
CREATE TABLE cosignatures (
    announce_id TEXT PRIMARY KEY,
    slug TEXT NOT NULL REFERENCES statements (slug),
    actor_id TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_name TEXT,
    actor_handle TEXT,
    actor_icon TEXT,
    actor_host TEXT NOT NULL,
    class TEXT NOT NULL CHECK (class IN ('member', 'organisation', 'person')),
    counts BOOLEAN NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'followers')),
    version INTEGER NOT NULL,
    version_hash TEXT NOT NULL,
    signed_at TIMESTAMPTZ NOT NULL,
    withdrawn_at TIMESTAMPTZ,
    hidden_at TIMESTAMPTZ,
    hidden_reason TEXT
);
CREATE INDEX cosignatures_slug ON cosignatures (slug, withdrawn_at);
CREATE INDEX cosignatures_actor ON cosignatures (actor_id);

-- Likes of statements: support, counted, not signatures.
CREATE TABLE statement_likes (
    like_id TEXT PRIMARY KEY,
    slug TEXT NOT NULL REFERENCES statements (slug),
    actor_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX statement_likes_slug ON statement_likes (slug);

-- Every sign, withdraw and hide, per statement, hash-chained: `entry` is the canonical
-- serialisation, `hash` its SHA-256, which the next entry names as its `prev`.
CREATE TABLE ledger (
    slug TEXT NOT NULL REFERENCES statements (slug),
    seq BIGINT NOT NULL,
    entry TEXT NOT NULL,
    hash TEXT NOT NULL,
    request TEXT,
    PRIMARY KEY (slug, seq)
);

-- Statements whose counts changed: an Update refreshes them on followers' servers when due.
CREATE TABLE count_refreshes (
    slug TEXT PRIMARY KEY REFERENCES statements (slug),
    due_at BIGINT NOT NULL
);
