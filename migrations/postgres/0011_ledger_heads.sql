-- The coalition's Ed25519 key, which signs each statement's ledger head (docs/ledger.md):
-- PKCS#8, PEM. Empty until the first start after this migration, which makes one and signs
-- the heads of the ledgers that exist then.
ALTER TABLE local_actor ADD COLUMN ed25519_private_key_pem TEXT;

-- The latest signed head of each statement's ledger: the last entry's seq and hash, and the
-- head document with its eddsa-jcs-2022 proof as published. Replaced in the transaction that
-- appends an entry.
CREATE TABLE ledger_heads (
    slug TEXT NOT NULL PRIMARY KEY REFERENCES statements (slug),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    signed TEXT NOT NULL
);
