-- A deferred Idempotency-Key claim and the message it accepts, as one row of a view
-- (gateway.journal.idempotency, _AcceptClaiming). Inserting a row writes the key's stored answer
-- unless the key is held (a live answer, or a running claim within its lease; an expired answer
-- or a dead request's lease is taken over), and only if it wrote the key, the message and its
-- accept event. So a whole group of claims is ONE statement: it needs no transaction of its own,
-- and the writer thread gives up the GIL once for it instead of once per statement.
-- A row whose key is NULL is padding (statements come in a few sizes) and does nothing.
-- Dropped and made again in one transaction on every open, so the trigger is always this file's.
BEGIN IMMEDIATE;
DROP TRIGGER IF EXISTS accept_claims_insert;
DROP VIEW IF EXISTS accept_claims;
CREATE VIEW accept_claims (
    client, method, path, key, fingerprint, expires_at, status, headers, body, now,
    id, partner, channel, document_type, content_type, raw, received_at, trace_id,
    business_keys, detail
) AS SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0;
CREATE TRIGGER accept_claims_insert INSTEAD OF INSERT ON accept_claims
WHEN NEW.key IS NOT NULL
BEGIN
    INSERT INTO idempotency_keys (client, method, path, key, fingerprint, state, created_at,
                                  lease_until, expires_at, status, headers, body)
    VALUES (NEW.client, NEW.method, NEW.path, NEW.key, NEW.fingerprint, 'done', NEW.now,
            NEW.now, NEW.expires_at, NEW.status, NEW.headers, NEW.body)
    ON CONFLICT (client, method, path, key) DO UPDATE SET
        fingerprint = excluded.fingerprint, state = 'done', created_at = excluded.created_at,
        lease_until = excluded.lease_until, expires_at = excluded.expires_at,
        status = excluded.status, headers = excluded.headers, body = excluded.body
    WHERE idempotency_keys.expires_at <= excluded.created_at
       OR (idempotency_keys.state = 'running'
           AND idempotency_keys.lease_until <= excluded.created_at);
    -- changes(): 1 if the key's row was written just now, 0 if the key was held; the accepts
    -- view (_schema.sql) writes the message and its accept event
    INSERT INTO accepts
    SELECT NEW.id, NEW.partner, NEW.channel, NEW.document_type, NEW.content_type, NEW.raw,
           NEW.received_at, NEW.trace_id, NEW.business_keys, NEW.detail
    WHERE changes() = 1;
END;
COMMIT;
