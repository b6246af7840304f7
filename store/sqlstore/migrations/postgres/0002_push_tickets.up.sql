-- verifykit schema 2: push-notification enrollment tickets (store.PushDevices).
-- hash is the SHA-256 of the ticket (the ticket itself is never stored).
-- Device fields are bytes as the device sent them; device_token is sealed
-- (AES-256-GCM under device_token_key_id, the row's hash as associated data).

CREATE TABLE verifykit_push_tickets (
    hash                BYTEA   NOT NULL,
    subject             TEXT    NOT NULL,
    method_id           TEXT    NOT NULL,
    expires_at          BIGINT  NOT NULL,
    redeemed            BOOLEAN NOT NULL,
    device_identifier   BYTEA,
    device_name         BYTEA,
    device_service      BYTEA,
    device_token        BYTEA,
    device_token_key_id TEXT,
    device_public_key   BYTEA,
    enrolled_at         BIGINT,
    CONSTRAINT verifykit_push_tickets_pkey PRIMARY KEY (hash),
    CONSTRAINT verifykit_push_tickets_device CHECK (redeemed = (enrolled_at IS NOT NULL)),
    CONSTRAINT verifykit_push_tickets_token_key CHECK ((device_token IS NULL) = (device_token_key_id IS NULL))
);
CREATE INDEX verifykit_push_tickets_expires_at ON verifykit_push_tickets (expires_at);
