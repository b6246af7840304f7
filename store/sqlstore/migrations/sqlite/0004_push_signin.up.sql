-- verifykit schema 4: the Guardian device protocol and push sign-in.
-- A ticket keeps engine-private state (push: the TOTP secret the device's
-- enrollment answer carries), sealed like method secrets under
-- secret_key_id with the row's hash as associated data, and the SHA-256 of
-- the device token handed to the device (the token itself is never stored).
-- verifykit_push_transactions holds push sign-ins waiting for the device's
-- answer: the SHA-256 of the transaction token and of the challenge, never
-- the values.

ALTER TABLE verifykit_push_tickets ADD COLUMN secret BLOB;
ALTER TABLE verifykit_push_tickets ADD COLUMN secret_key_id TEXT;
ALTER TABLE verifykit_push_tickets ADD COLUMN device_token_hash BLOB;

CREATE TABLE verifykit_push_transactions (
    hash           BLOB    NOT NULL PRIMARY KEY,
    challenge_hash BLOB    NOT NULL,
    subject        TEXT    NOT NULL,
    method_id      TEXT    NOT NULL,
    expires_at     INTEGER NOT NULL,
    resolved       INTEGER NOT NULL CHECK (resolved IN (0, 1)),
    accepted       INTEGER NOT NULL CHECK (accepted IN (0, 1)),
    reason         TEXT    NOT NULL
) STRICT;
CREATE INDEX verifykit_push_transactions_expires_at ON verifykit_push_transactions (expires_at);
