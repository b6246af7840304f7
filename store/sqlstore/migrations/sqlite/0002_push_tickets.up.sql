-- verifykit schema 2: push-notification enrollment tickets (store.PushDevices).
-- hash is the SHA-256 of the ticket (the ticket itself is never stored).
-- Device fields are bytes as the device sent them; device_token is sealed
-- (AES-256-GCM under device_token_key_id, the row's hash as associated data).

CREATE TABLE verifykit_push_tickets (
    hash                BLOB    NOT NULL PRIMARY KEY,
    subject             TEXT    NOT NULL,
    method_id           TEXT    NOT NULL,
    expires_at          INTEGER NOT NULL,
    redeemed            INTEGER NOT NULL CHECK (redeemed IN (0, 1)),
    device_identifier   BLOB,
    device_name         BLOB,
    device_service      BLOB,
    device_token        BLOB,
    device_token_key_id TEXT,
    device_public_key   BLOB,
    enrolled_at         INTEGER,
    CHECK (redeemed = (enrolled_at IS NOT NULL)),
    CHECK ((device_token IS NULL) = (device_token_key_id IS NULL))
) STRICT;
CREATE INDEX verifykit_push_tickets_expires_at ON verifykit_push_tickets (expires_at);
