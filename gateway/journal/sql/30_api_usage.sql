-- Partner API usage per (partner, API version, UTC day) (gateway.journal.api_usage): how many
-- requests, first and last seen (POSIX seconds, REAL). Counts are added in batches, never one
-- write per request; operations read it to see who still calls a deprecated version.
CREATE TABLE IF NOT EXISTS api_usage (
    partner    TEXT NOT NULL,
    version    TEXT NOT NULL,
    day        TEXT NOT NULL,
    requests   INTEGER NOT NULL,
    first_seen REAL NOT NULL,
    last_seen  REAL NOT NULL,
    PRIMARY KEY (partner, version, day)
);
CREATE INDEX IF NOT EXISTS api_usage_by_version ON api_usage (version, day);
