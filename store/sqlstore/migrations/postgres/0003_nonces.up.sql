-- verifykit schema 3: single-use nonces (store.Nonces), e.g. DPoP proof jtis.
-- nonce is a digest the caller computed (at most 64 bytes), never a raw
-- client value.

CREATE TABLE verifykit_nonces (
    nonce      BYTEA  NOT NULL,
    expires_at BIGINT NOT NULL,
    CONSTRAINT verifykit_nonces_pkey PRIMARY KEY (nonce)
);
CREATE INDEX verifykit_nonces_expires_at ON verifykit_nonces (expires_at);
