-- verifykit schema 1: session records and confirmed methods.
-- Times are Unix microseconds of the library's clock (Config.Now), never the
-- database's, so that expiry agrees with the auth_session's.

CREATE TABLE verifykit_sessions (
    sid        TEXT    NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL CHECK (attempts >= 0),
    consumed   INTEGER NOT NULL CHECK (consumed IN (0, 1))
) STRICT;
CREATE INDEX verifykit_sessions_expires_at ON verifykit_sessions (expires_at);

CREATE TABLE verifykit_methods (
    id            TEXT    NOT NULL PRIMARY KEY,
    subject       TEXT    NOT NULL,
    type          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    attrs         BLOB    NOT NULL,
    -- secret is AES-256-GCM: nonce || ciphertext || tag, under the key
    -- secret_key_id, with the row's id and subject as associated data.
    secret        BLOB,
    secret_key_id TEXT,
    credential_id BLOB,
    counter       INTEGER NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    CHECK ((secret IS NULL) = (secret_key_id IS NULL))
) STRICT;
-- A credential id is registered once across all subjects (WebAuthn §7.1 step 26).
CREATE UNIQUE INDEX verifykit_methods_credential_id ON verifykit_methods (credential_id);
CREATE INDEX verifykit_methods_subject ON verifykit_methods (subject, created_at, id);
