-- SQLite lets a TEXT PRIMARY KEY column hold NULL (a quirk kept for compatibility; only
-- WITHOUT ROWID and STRICT tables refuse it), where PostgreSQL refuses it. The schema-parity
-- test found these columns nullable on SQLite only: each table is rebuilt with NOT NULL on
-- its key, rows and indexes kept. `local_actor.id` becomes `INT`, not `INTEGER`: an INTEGER
-- PRIMARY KEY is SQLite's rowid and numbers itself when left out, which PostgreSQL's does not.
--
-- The rebuild drops tables that others reference: migrations run on a connection with
-- foreign keys off (see `Db::migrate`), so that no drop cascades, and foreign keys are
-- checked once they are done. Triggers are dropped first and made again last.
DROP TRIGGER followers_delivery_on_insert;
DROP TRIGGER followers_delivery_on_actor_change;

-- cosignatures
CREATE TABLE cosignatures_rebuilt (
    announce_id TEXT NOT NULL PRIMARY KEY,
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
    signed_at TEXT NOT NULL,
    withdrawn_at TEXT,
    hidden_at TEXT,
    hidden_reason TEXT
);
INSERT INTO cosignatures_rebuilt SELECT * FROM cosignatures;
DROP TABLE cosignatures;
ALTER TABLE cosignatures_rebuilt RENAME TO cosignatures;
CREATE INDEX cosignatures_slug ON cosignatures (slug, withdrawn_at);
CREATE INDEX cosignatures_actor ON cosignatures (actor_id);

-- count_refreshes
CREATE TABLE count_refreshes_rebuilt (
    slug TEXT NOT NULL PRIMARY KEY REFERENCES statements (slug),
    due_at BIGINT NOT NULL
);
INSERT INTO count_refreshes_rebuilt SELECT * FROM count_refreshes;
DROP TABLE count_refreshes;
ALTER TABLE count_refreshes_rebuilt RENAME TO count_refreshes;

-- followers
CREATE TABLE followers_rebuilt (
    actor_id TEXT NOT NULL PRIMARY KEY REFERENCES remote_actors (id) ON DELETE CASCADE,
    follow_id TEXT NOT NULL,
    follow_json TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('accepted', 'pending')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
, delivery_inbox TEXT NOT NULL DEFAULT '', delivery_host TEXT NOT NULL DEFAULT '');
INSERT INTO followers_rebuilt SELECT * FROM followers;
DROP TABLE followers;
ALTER TABLE followers_rebuilt RENAME TO followers;
CREATE INDEX followers_state_created ON followers (state, created_at);
CREATE INDEX followers_delivery ON followers (state, delivery_inbox, delivery_host);

-- following
CREATE TABLE following_rebuilt (
    actor_id TEXT NOT NULL PRIMARY KEY REFERENCES remote_actors (id) ON DELETE CASCADE,
    follow_id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('accepted', 'pending')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO following_rebuilt SELECT * FROM following;
DROP TABLE following;
ALTER TABLE following_rebuilt RENAME TO following;

-- instances
CREATE TABLE instances_rebuilt (
    host TEXT NOT NULL PRIMARY KEY,
    software TEXT,
    fetched_at TEXT NOT NULL
);
INSERT INTO instances_rebuilt SELECT * FROM instances;
DROP TABLE instances;
ALTER TABLE instances_rebuilt RENAME TO instances;

-- local_actor
CREATE TABLE local_actor_rebuilt (
    id INT NOT NULL PRIMARY KEY CHECK (id = 1),
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    created_at TEXT NOT NULL
);
INSERT INTO local_actor_rebuilt SELECT * FROM local_actor;
DROP TABLE local_actor;
ALTER TABLE local_actor_rebuilt RENAME TO local_actor;

-- media
CREATE TABLE media_rebuilt (
    hash TEXT NOT NULL PRIMARY KEY,
    media_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    created_at TEXT NOT NULL
);
INSERT INTO media_rebuilt SELECT * FROM media;
DROP TABLE media;
ALTER TABLE media_rebuilt RENAME TO media;

-- members
CREATE TABLE members_rebuilt (
    actor_id TEXT NOT NULL PRIMARY KEY,
    added_at TEXT NOT NULL
);
INSERT INTO members_rebuilt SELECT * FROM members;
DROP TABLE members;
ALTER TABLE members_rebuilt RENAME TO members;

-- outgoing_activities
CREATE TABLE outgoing_activities_rebuilt (
    id TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
, in_outbox BOOLEAN NOT NULL DEFAULT FALSE);
INSERT INTO outgoing_activities_rebuilt SELECT * FROM outgoing_activities;
DROP TABLE outgoing_activities;
ALTER TABLE outgoing_activities_rebuilt RENAME TO outgoing_activities;
CREATE INDEX outgoing_activities_outbox ON outgoing_activities (in_outbox, created_at);

-- pending_posts
CREATE TABLE pending_posts_rebuilt (
    post_id TEXT NOT NULL PRIMARY KEY,
    actor_id TEXT NOT NULL,
    create_id TEXT NOT NULL,
    create_json TEXT NOT NULL,
    reason TEXT NOT NULL,
    received_at TEXT NOT NULL,
    decided_at TEXT,
    decision TEXT CHECK (decision IN ('approved', 'rejected'))
);
INSERT INTO pending_posts_rebuilt SELECT * FROM pending_posts;
DROP TABLE pending_posts;
ALTER TABLE pending_posts_rebuilt RENAME TO pending_posts;

-- received_activities
CREATE TABLE received_activities_rebuilt (
    id TEXT NOT NULL PRIMARY KEY,
    actor_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at TEXT NOT NULL
);
INSERT INTO received_activities_rebuilt SELECT * FROM received_activities;
DROP TABLE received_activities;
ALTER TABLE received_activities_rebuilt RENAME TO received_activities;

-- relays
CREATE TABLE relays_rebuilt (
    post_id TEXT NOT NULL PRIMARY KEY,
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
INSERT INTO relays_rebuilt SELECT * FROM relays;
DROP TABLE relays;
ALTER TABLE relays_rebuilt RENAME TO relays;
CREATE INDEX relays_member ON relays (member_id, relayed_at);

-- remote_actors
CREATE TABLE remote_actors_rebuilt (
    id TEXT NOT NULL PRIMARY KEY,
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
INSERT INTO remote_actors_rebuilt SELECT * FROM remote_actors;
DROP TABLE remote_actors;
ALTER TABLE remote_actors_rebuilt RENAME TO remote_actors;
CREATE INDEX remote_actors_host ON remote_actors (host);

-- statement_likes
CREATE TABLE statement_likes_rebuilt (
    like_id TEXT NOT NULL PRIMARY KEY,
    slug TEXT NOT NULL REFERENCES statements (slug),
    actor_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
INSERT INTO statement_likes_rebuilt SELECT * FROM statement_likes;
DROP TABLE statement_likes;
ALTER TABLE statement_likes_rebuilt RENAME TO statement_likes;
CREATE INDEX statement_likes_slug ON statement_likes (slug);

-- statements
CREATE TABLE statements_rebuilt (
    slug TEXT NOT NULL PRIMARY KEY,
    current_version INTEGER NOT NULL,
    tags TEXT NOT NULL,
    image_hash TEXT REFERENCES media (hash),
    image_alt TEXT,
    pinned BOOLEAN NOT NULL DEFAULT FALSE,
    published_at TEXT NOT NULL,
    updated_at TEXT,
    deleted_at TEXT
, mentions TEXT NOT NULL DEFAULT '[]');
INSERT INTO statements_rebuilt SELECT * FROM statements;
DROP TABLE statements;
ALTER TABLE statements_rebuilt RENAME TO statements;

CREATE TRIGGER followers_delivery_on_insert AFTER INSERT ON followers
BEGIN
    UPDATE followers SET
        delivery_inbox = (SELECT COALESCE(a.shared_inbox, a.inbox) FROM remote_actors a WHERE a.id = NEW.actor_id),
        delivery_host = (SELECT a.host FROM remote_actors a WHERE a.id = NEW.actor_id)
    WHERE actor_id = NEW.actor_id;
END;
CREATE TRIGGER followers_delivery_on_actor_change AFTER UPDATE OF inbox, shared_inbox, host ON remote_actors
BEGIN
    UPDATE followers SET
        delivery_inbox = COALESCE(NEW.shared_inbox, NEW.inbox),
        delivery_host = NEW.host
    WHERE actor_id = NEW.id;
END;
