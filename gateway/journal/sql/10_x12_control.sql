-- X12 control numbers and the outbound interchange registry (gateway/journal/x12_control.py).
-- Times are POSIX seconds (REAL, UTC). Every statement is idempotent: this runs at each open.

-- the last number handed out per (partner, kind); kind is isa (ISA13), gs (GS06) or st (ST02)
CREATE TABLE IF NOT EXISTS x12_control_counters (
    partner    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    last       INTEGER NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (partner, kind)
);

-- which number a key got: a retried delivery asks again with the same key, gets the same number
CREATE TABLE IF NOT EXISTS x12_control_allocations (
    partner      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    key          TEXT NOT NULL,
    number       INTEGER NOT NULL,
    allocated_at REAL NOT NULL,
    PRIMARY KEY (partner, kind, key)
);

-- one row per interchange we sent a partner; state: pending (an ack is due), not_expected,
-- accepted, accepted_with_errors, rejected. "overdue" is pending with ack_due_at in the past.
CREATE TABLE IF NOT EXISTS x12_outbound (
    partner        TEXT NOT NULL,
    isa13          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    sender         TEXT NOT NULL DEFAULT '',
    receiver       TEXT NOT NULL DEFAULT '',
    message_id     TEXT,
    delivery_id    TEXT,
    sent_at        REAL NOT NULL,
    expects_ack    INTEGER NOT NULL,
    ack_due_at     REAL,
    state          TEXT NOT NULL,
    acked_at       REAL,
    ack_message_id TEXT,
    ta1_code       TEXT,
    PRIMARY KEY (partner, isa13)
);
CREATE INDEX IF NOT EXISTS x12_outbound_due ON x12_outbound (ack_due_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS x12_outbound_sent ON x12_outbound (partner, sent_at);

-- the functional groups of each interchange; sets is a JSON list of {set_id, control_number,
-- state, code, error_codes, errors}; a 997/999 is matched on (partner, functional_id, gs06)
CREATE TABLE IF NOT EXISTS x12_outbound_groups (
    partner        TEXT NOT NULL,
    isa13          TEXT NOT NULL,
    gs06           TEXT NOT NULL,
    functional_id  TEXT NOT NULL,
    version        TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL,
    ack_code       TEXT NOT NULL DEFAULT '',
    error_codes    TEXT NOT NULL DEFAULT '[]',
    sets           TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (partner, isa13, gs06)
);
CREATE INDEX IF NOT EXISTS x12_outbound_groups_gs06
    ON x12_outbound_groups (partner, functional_id, gs06);

-- the latest TA1 a partner sent about one of our interchanges (gateway/journal/_x12_ta1.py):
-- TA104 code, TA105 note, TA102/TA103 as they wrote them, and the journaled TA1 message.
-- x12_outbound.ta1_code repeats the code; this table keeps the rest without altering that one.
CREATE TABLE IF NOT EXISTS x12_outbound_ta1 (
    partner     TEXT NOT NULL,
    isa13       TEXT NOT NULL,
    code        TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    ta1_date    TEXT NOT NULL DEFAULT '',
    ta1_time    TEXT NOT NULL DEFAULT '',
    message_id  TEXT,
    received_at REAL NOT NULL,
    PRIMARY KEY (partner, isa13)
);
