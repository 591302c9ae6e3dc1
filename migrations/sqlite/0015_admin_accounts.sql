-- The web admin (docs/admin.md): named accounts with a role, their server-side sessions,
-- their own API tokens, and the audit log of every admin action (web, API and CLI).
CREATE TABLE admin_accounts (
    name TEXT PRIMARY KEY NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'moderator')),
    -- Argon2id PHC string; NULL until the account's one-time link is used.
    password_hash TEXT,
    -- SHA-256 (hex) of the one-time link's secret, and when it stops working (ms).
    setup_sha256 TEXT UNIQUE,
    setup_expires_at BIGINT,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    disabled_at TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    last_login_at TEXT
);

-- One row per logged-in browser. `data` is the session's JSON (account, CSRF token, login
-- time); `account` is copied out of it so that "log out everywhere" is one DELETE.
CREATE TABLE admin_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    account TEXT REFERENCES admin_accounts (name) ON DELETE CASCADE,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX admin_sessions_account ON admin_sessions (account);
CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);

CREATE TABLE admin_tokens (
    token_sha256 TEXT PRIMARY KEY NOT NULL,
    account TEXT NOT NULL REFERENCES admin_accounts (name) ON DELETE CASCADE,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX admin_tokens_account ON admin_tokens (account);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    -- The account's name, the API token's label, or the operating-system user of the CLI.
    actor TEXT NOT NULL,
    via TEXT NOT NULL CHECK (via IN ('web', 'api', 'cli')),
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT,
    address TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
