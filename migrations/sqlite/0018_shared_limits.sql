-- Circuit breakers shared by every process on the database (issue 20, point 6): a host's
-- failures in a row, counted by all processes, and until when its breaker is open (ms since
-- the epoch). A host that answers is removed. Each process reads the table at most once a
-- second while it delivers, so a host that fails for one process is put off by all.
CREATE TABLE host_breakers (
    host TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    open_until BIGINT,
    updated_at BIGINT NOT NULL
);

-- Rate-limit windows shared the same way: hits per limit (`name`: inbox per host, per
-- address, co-signatures per actor) and key, per minute (`window_start`, ms since the
-- epoch). Each process adds its hits every quarter second and reads the totals back; a
-- window is kept for two minutes (the current one and the one before it count).
CREATE TABLE rate_windows (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (name, key, window_start)
);
