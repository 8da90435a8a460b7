-- crossdock journal, embedded SQLite backend. Times are POSIX seconds (REAL, UTC).
CREATE TABLE IF NOT EXISTS messages (
    id            TEXT PRIMARY KEY,
    partner       TEXT NOT NULL,
    channel       TEXT NOT NULL,
    document_type TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    raw           BLOB NOT NULL,
    received_at   REAL NOT NULL,
    trace_id      TEXT NOT NULL,
    business_keys TEXT NOT NULL DEFAULT '{}',
    state         TEXT NOT NULL,
    stage         TEXT NOT NULL,
    canonical     BLOB,
    attempts      INTEGER NOT NULL DEFAULT 0,
    available_at  REAL NOT NULL,
    lease_owner   TEXT,
    lease_until   REAL,
    updated_at    REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_work ON messages (available_at) WHERE state = 'received';
CREATE INDEX IF NOT EXISTS messages_partner ON messages (partner, received_at);
-- REST resource lists (list_messages): one channel and partner, keyset-paged on (received_at, id)
CREATE INDEX IF NOT EXISTS messages_listing ON messages (channel, partner, received_at, id);
-- webhook replays are found by the sender's event id (durable dedupe across restarts)
CREATE INDEX IF NOT EXISTS messages_webhook_event
    ON messages (partner, json_extract(business_keys, '$.webhook_event_id'))
    WHERE json_extract(business_keys, '$.webhook_event_id') IS NOT NULL;
-- X12 duplicate-interchange checks look interchanges up by ISA13 and by their acceptance key
CREATE INDEX IF NOT EXISTS messages_isa13
    ON messages (partner, json_extract(business_keys, '$.isa13'))
    WHERE json_extract(business_keys, '$.isa13') IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_x12_interchange
    ON messages (partner, json_extract(business_keys, '$.x12_interchange'))
    WHERE json_extract(business_keys, '$.x12_interchange') IS NOT NULL;

CREATE TABLE IF NOT EXISTS events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id  TEXT NOT NULL,
    delivery_id TEXT,
    stage       TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    code        TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '{}',
    at          REAL NOT NULL,
    actor       TEXT NOT NULL DEFAULT 'system'
);
CREATE INDEX IF NOT EXISTS events_message ON events (message_id, seq);

CREATE TABLE IF NOT EXISTS deliveries (
    id               TEXT PRIMARY KEY,
    message_id       TEXT NOT NULL REFERENCES messages (id),
    destination      TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  REAL NOT NULL,
    created_at       REAL NOT NULL,
    first_attempt_at REAL,
    last_code        TEXT NOT NULL DEFAULT '',
    last_error       TEXT NOT NULL DEFAULT '',
    lease_owner      TEXT,
    lease_until      REAL,
    updated_at       REAL NOT NULL,
    UNIQUE (message_id, destination)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';

CREATE TABLE IF NOT EXISTS attempts (
    delivery_id  TEXT NOT NULL REFERENCES deliveries (id),
    number       INTEGER NOT NULL,
    started_at   REAL NOT NULL,
    latency_ms   REAL NOT NULL,
    outcome      TEXT NOT NULL,
    status_code  INTEGER,
    code         TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT '',
    body_excerpt TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS attempts_delivery ON attempts (delivery_id, started_at);

CREATE TABLE IF NOT EXISTS dead_letters (
    id            TEXT PRIMARY KEY,
    message_id    TEXT NOT NULL REFERENCES messages (id),
    delivery_id   TEXT,
    stage         TEXT NOT NULL,
    code          TEXT NOT NULL,
    error         TEXT NOT NULL,
    partner       TEXT NOT NULL,
    destination   TEXT,
    document_type TEXT NOT NULL,
    created_at    REAL NOT NULL,
    state         TEXT NOT NULL,
    resolved_at   REAL,
    resolved_by   TEXT,
    reason        TEXT
);
CREATE INDEX IF NOT EXISTS dead_letters_open ON dead_letters (state, created_at);

CREATE TABLE IF NOT EXISTS audit (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    at     REAL NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);

-- a body exactly as received when it was split into several messages (an X12 interchange:
-- one message per set); each message names it in business_keys.original_id
CREATE TABLE IF NOT EXISTS originals (
    id           TEXT PRIMARY KEY,
    partner      TEXT NOT NULL,
    channel      TEXT NOT NULL,
    content_type TEXT NOT NULL,
    raw          BLOB NOT NULL,
    received_at  REAL NOT NULL
);

-- An accepted message as one row of a view: inserting it writes the message (state received,
-- stage accept, available at once) and its accept event. A group of acceptances is then ONE
-- INSERT of many rows, needing no transaction of its own (gateway.journal._sqlite_writer,
-- Batchable.self_committing), and the message columns are written in this one place (the
-- Idempotency-Key claims of sql/21_accept_claims.sql insert here too). A row whose id is NULL is
-- padding and does nothing. Dropped and made again in one transaction on every open, so the
-- trigger is always this file's.
BEGIN IMMEDIATE;
DROP TRIGGER IF EXISTS accepts_insert;
DROP VIEW IF EXISTS accepts;
CREATE VIEW accepts (
    id, partner, channel, document_type, content_type, raw, received_at, trace_id,
    business_keys, detail
) AS SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0;
CREATE TRIGGER accepts_insert INSTEAD OF INSERT ON accepts
WHEN NEW.id IS NOT NULL
BEGIN
    INSERT INTO messages (id, partner, channel, document_type, content_type, raw, received_at,
                          trace_id, business_keys, state, stage, available_at, updated_at)
    VALUES (NEW.id, NEW.partner, NEW.channel, NEW.document_type, NEW.content_type, NEW.raw,
            NEW.received_at, NEW.trace_id, NEW.business_keys, 'received', 'accept',
            NEW.received_at, NEW.received_at);
    INSERT INTO events (message_id, stage, outcome, detail, at)
    VALUES (NEW.id, 'accept', 'ok', NEW.detail, NEW.received_at);
END;
COMMIT;
