-- Outbound webhook endpoints' health (gateway/journal/webhook_endpoints.py), one row per
-- subscription that has had an attempt or an operations action; no row reads as enabled.
-- Times are POSIX seconds (REAL, UTC). Every statement is idempotent: this runs at each open.
-- first_failure_at starts a failure streak and is cleared by any success: an endpoint whose streak
-- is older than its disable_after is disabled (enabled = 0) until operations enable it again.
CREATE TABLE IF NOT EXISTS webhook_endpoints (
    subscription     TEXT PRIMARY KEY,
    enabled          INTEGER NOT NULL DEFAULT 1,
    disabled_at      REAL,
    reason           TEXT NOT NULL DEFAULT '',
    first_failure_at REAL,
    last_failure_at  REAL,
    last_success_at  REAL,
    failures         INTEGER NOT NULL DEFAULT 0,
    updated_at       REAL NOT NULL
);
