-- The coalition itself: one row, holding its key pair and the moment it first started.
CREATE TABLE local_actor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    created_at TEXT NOT NULL
);
