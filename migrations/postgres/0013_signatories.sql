-- Signatories the coalition recorded off the fediverse (a newspaper's list, a paper form),
-- numbered per statement from 1. A removal sets `withdrawn_at`: rows are never deleted, and
-- each recording and removal is also an entry of the statement's ledger.
CREATE TABLE signatories (
    slug TEXT NOT NULL REFERENCES statements (slug),
    n BIGINT NOT NULL,
    name TEXT NOT NULL,
    role TEXT,
    organisation TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'organisation')),
    link TEXT,
    handle TEXT,
    source TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    withdrawn_at TIMESTAMPTZ,
    withdrawn_by TEXT,
    PRIMARY KEY (slug, n)
);
CREATE INDEX signatories_handle ON signatories (handle);
