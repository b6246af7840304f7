-- verifykit schema 1: session records and confirmed methods.
-- Times are Unix microseconds of the library's clock (Config.Now), never the
-- database server's now(), so that expiry agrees with the auth_session's.

CREATE TABLE verifykit_sessions (
    sid        TEXT    NOT NULL,
    expires_at BIGINT  NOT NULL,
    attempts   INTEGER NOT NULL CHECK (attempts >= 0),
    consumed   BOOLEAN NOT NULL,
    CONSTRAINT verifykit_sessions_pkey PRIMARY KEY (sid)
);
CREATE INDEX verifykit_sessions_expires_at ON verifykit_sessions (expires_at);

CREATE TABLE verifykit_methods (
    id            TEXT   NOT NULL,
    subject       TEXT   NOT NULL,
    type          TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    attrs         BYTEA  NOT NULL,
    -- secret is AES-256-GCM: nonce || ciphertext || tag, under the key
    -- secret_key_id, with the row's id and subject as associated data.
    secret        BYTEA,
    secret_key_id TEXT,
    credential_id BYTEA,
    counter       BIGINT NOT NULL,
    version       BIGINT NOT NULL CHECK (version >= 1),
    CONSTRAINT verifykit_methods_pkey PRIMARY KEY (id),
    CONSTRAINT verifykit_methods_secret_key CHECK ((secret IS NULL) = (secret_key_id IS NULL))
);
-- A credential id is registered once across all subjects (WebAuthn §7.1 step 26).
CREATE UNIQUE INDEX verifykit_methods_credential_id ON verifykit_methods (credential_id);
CREATE INDEX verifykit_methods_subject ON verifykit_methods (subject, created_at, id);
