-- Idempotency-Key records (gateway.journal.idempotency): one row per (client, method, path, key).
-- state 'running' holds a lease (lease_until) so a crashed request frees its key; 'done' holds
-- the stored response until expires_at. Times are POSIX seconds (REAL, UTC).
CREATE TABLE IF NOT EXISTS idempotency_keys (
    client      TEXT NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  REAL NOT NULL,
    lease_until REAL NOT NULL,
    expires_at  REAL NOT NULL,
    status      INTEGER,
    headers     TEXT,
    body        BLOB,
    PRIMARY KEY (client, method, path, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_expiry ON idempotency_keys (expires_at);
