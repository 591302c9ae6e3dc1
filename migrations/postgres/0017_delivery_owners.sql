-- Who holds a delivery's lease, and whether that process is alive (issue 20, point 7).
-- A process that claims deliveries writes its row here and renews `heartbeat_at` (ms since
-- the epoch) every second while it holds leases. A row leased by an owner whose heartbeat
-- is older than a few seconds is free to claim again, without waiting for `leased_until`:
-- a crashed process no longer holds up the rest of a fan-out for the whole lease.
CREATE TABLE delivery_owners (
    id TEXT PRIMARY KEY NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
ALTER TABLE deliveries ADD COLUMN leased_by TEXT;
