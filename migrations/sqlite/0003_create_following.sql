-- Actors the coalition follows. state: 'pending' until their server Accepts.
CREATE TABLE following (
    actor_id TEXT PRIMARY KEY REFERENCES remote_actors (id) ON DELETE CASCADE,
    follow_id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('accepted', 'pending')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
